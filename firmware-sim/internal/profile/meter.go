package profile

import (
	"math/rand/v2"
	"time"
)

// meter is an electricity meter: power wanders within 50–7000 W and the
// cumulative energy (kWh) never decreases.
type meter struct {
	kwh, power float64
}

type meterFields struct {
	KWh    float64 `json:"kwh"`
	PowerW float64 `json:"power_w"`
}

func newMeter(rng *rand.Rand) model {
	return &meter{kwh: float64(rng.IntN(50000)), power: 200 + rng.Float64()*1500}
}

func (m *meter) next(rng *rand.Rand, dt time.Duration) any {
	m.power = clamp(m.power+rng.NormFloat64()*50, 50, 7000)
	m.kwh += m.power * dt.Hours() / 1000
	return meterFields{KWh: round(m.kwh, 4), PowerW: round(m.power, 1)}
}
