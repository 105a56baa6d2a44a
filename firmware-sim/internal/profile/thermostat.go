package profile

import (
	"math/rand/v2"
	"time"
)

// thermostat is a room thermostat: the temperature drifts towards the
// setpoint with noise and stays within 15–30 °C; humidity wanders within
// 30–70 %; the setpoint changes now and then.
type thermostat struct {
	temp, humidity, setpoint float64
}

type thermostatFields struct {
	Temperature float64 `json:"temperature"` // °C
	Humidity    float64 `json:"humidity"`    // %
	Setpoint    float64 `json:"setpoint"`    // °C
}

func newThermostat(rng *rand.Rand) model {
	return &thermostat{
		temp:     18 + rng.Float64()*6,
		humidity: 40 + rng.Float64()*20,
		setpoint: float64(19 + rng.IntN(5)),
	}
}

func (m *thermostat) next(rng *rand.Rand, _ time.Duration) any {
	if rng.IntN(200) == 0 {
		m.setpoint = float64(19 + rng.IntN(5))
	}
	m.temp = clamp(m.temp+0.05*(m.setpoint-m.temp)+rng.NormFloat64()*0.1, 15, 30)
	m.humidity = clamp(m.humidity+rng.NormFloat64()*0.3, 30, 70)
	return thermostatFields{Temperature: round(m.temp, 2), Humidity: round(m.humidity, 1), Setpoint: m.setpoint}
}
