package sensortest

import (
	"errors"
	"sort"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/pin"
)

// Change is a scripted change of a Pin's level at a time on the Clock.
type Change struct {
	At    time.Time
	Level gpio.Level
}

// Pin is a simulated gpio.PinIn whose level follows a script of Changes
// on a fake Clock. WaitForEdge is where simulated time passes: it moves
// the Clock to the next scripted change (returning true, the level now
// changed) or, if that is beyond the timeout, by the timeout (returning
// false). With nothing scripted the line is quiet: WaitForEdge waits on a
// Clock timer for its timeout (advance the Clock to let it pass), or until
// Push or Halt. This makes debounce tests exact: the code under test sees
// precisely the scripted times.
//
// conn/v3's gpiotest.Pin is not used: its fake time comes from
// github.com/jonboulle/clockwork, which is not a dependency here, and its
// WaitForEdge cannot share this package's Clock.
type Pin struct {
	N     string
	Clock *Clock

	mu     sync.Mutex
	level  gpio.Level
	pull   gpio.Pull
	edge   gpio.Edge
	script []Change
	halted bool
	wake   chan struct{}
	InErr  error // returned by In when set
	ins    int
}

// NewPin returns a pin at level initial.
func NewPin(name string, clock *Clock, initial gpio.Level) *Pin {
	return &Pin{N: name, Clock: clock, level: initial, wake: make(chan struct{}, 1)}
}

// Push appends scripted changes (kept in time order).
func (p *Pin) Push(changes ...Change) {
	p.mu.Lock()
	p.script = append(p.script, changes...)
	sort.SliceStable(p.script, func(i, j int) bool { return p.script[i].At.Before(p.script[j].At) })
	p.mu.Unlock()
	p.signal()
}

// Remaining returns the number of scripted changes not yet delivered.
func (p *Pin) Remaining() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.script)
}

// Ins returns how many times In was called.
func (p *Pin) Ins() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ins
}

func (p *Pin) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// WaitForEdge implements gpio.PinIn (see the type doc).
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	deadline := p.Clock.Now().Add(timeout)
	for {
		p.mu.Lock()
		if p.halted {
			p.halted = false
			p.mu.Unlock()
			return false
		}
		if len(p.script) == 0 {
			p.mu.Unlock()
			if timeout < 0 {
				<-p.wake
				continue
			}
			// Quiet line: wait for the Clock to reach the deadline (a
			// test advances it) or for Push/Halt.
			t := p.Clock.NewTimer(deadline.Sub(p.Clock.Now()))
			select {
			case <-p.wake:
				t.Stop()
				continue
			case <-t.C():
				return false
			}
		}
		next := p.script[0]
		if timeout >= 0 && next.At.After(deadline) {
			p.mu.Unlock()
			p.Clock.Set(deadline)
			return false
		}
		p.script = p.script[1:]
		prev := p.level
		p.level = next.Level
		edge := p.edge
		p.mu.Unlock()
		p.Clock.Set(next.At)
		if prev == next.Level {
			continue // not a transition
		}
		rising := next.Level == gpio.High
		if edge == gpio.BothEdges || (edge == gpio.RisingEdge && rising) || (edge == gpio.FallingEdge && !rising) {
			return true
		}
	}
}

// Halt implements conn.Resource: it makes the current or next
// WaitForEdge return false.
func (p *Pin) Halt() error {
	p.mu.Lock()
	p.halted = true
	p.mu.Unlock()
	p.signal()
	return nil
}

// In implements gpio.PinIn.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ins++
	if p.InErr != nil {
		return p.InErr
	}
	if edge == gpio.NoEdge {
		return errors.New("sensortest: pin configured without edge detection")
	}
	p.pull, p.edge = pull, edge
	return nil
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// String implements conn.Resource.
func (p *Pin) String() string { return p.N }

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.N }

// Number implements pin.Pin.
func (p *Pin) Number() int { return -1 }

// Function implements pin.Pin.
func (p *Pin) Function() string { return string(gpio.IN) }

var _ gpio.PinIn = (*Pin)(nil)
var _ pin.Pin = (*Pin)(nil)

// SetLevelSilently changes the level without an edge, like an interrupt
// the driver missed.
func (p *Pin) SetLevelSilently(l gpio.Level) {
	p.mu.Lock()
	p.level = l
	p.mu.Unlock()
}
