package profile

import (
	"math/rand/v2"
	"time"
)

// door is a door contact: events alternate "open" and "close", and now
// and then the door flaps, sending a few events back to back.
type door struct {
	open    bool
	battery float64
}

type doorFields struct {
	Event   string  `json:"event"` // "open" or "close"
	Battery float64 `json:"battery"`
}

func newDoor(rng *rand.Rand) model {
	return &door{battery: 60 + rng.Float64()*40}
}

func (m *door) next(rng *rand.Rand, _ time.Duration) any {
	m.open = !m.open
	m.battery = clamp(m.battery-rng.Float64()*0.01, 0, 100)
	ev := "close"
	if m.open {
		ev = "open"
	}
	return doorFields{Event: ev, Battery: round(m.battery, 2)}
}

// follow starts a flap of 3–8 events with probability 1/20.
func (m *door) follow(rng *rand.Rand) int {
	if rng.IntN(20) == 0 {
		return 3 + rng.IntN(6)
	}
	return 0
}
