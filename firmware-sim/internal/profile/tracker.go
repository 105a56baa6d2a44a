package profile

import (
	"math"
	"math/rand/v2"
	"time"
)

// tracker is a vehicle GPS tracker: it moves from a random start near
// Berlin at 0–130 km/h, turning gradually.
type tracker struct {
	lat, lon, speed, heading float64
}

type trackerFields struct {
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	SpeedKmh float64 `json:"speed_kmh"`
	Heading  float64 `json:"heading"` // degrees clockwise from north, [0, 360)
}

func newTracker(rng *rand.Rand) model {
	return &tracker{
		lat:     52.52 + (rng.Float64()-0.5)*0.5,
		lon:     13.40 + (rng.Float64()-0.5)*0.5,
		speed:   rng.Float64() * 60,
		heading: rng.Float64() * 360,
	}
}

func (m *tracker) next(rng *rand.Rand, dt time.Duration) any {
	m.speed = clamp(m.speed+rng.NormFloat64()*3, 0, 130)
	m.heading = math.Mod(m.heading+rng.NormFloat64()*10+360, 360)
	km := m.speed * dt.Hours()
	rad := m.heading * math.Pi / 180
	m.lat = clamp(m.lat+km*math.Cos(rad)/111.32, -89.9, 89.9)
	m.lon += km * math.Sin(rad) / (111.32 * math.Cos(m.lat*math.Pi/180))
	m.lon = math.Mod(m.lon+540, 360) - 180
	return trackerFields{Lat: round(m.lat, 6), Lon: round(m.lon, 6), SpeedKmh: round(m.speed, 1), Heading: round(m.heading, 1)}
}
