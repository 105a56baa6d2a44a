package sensor_test

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/physic"

	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

// twoDevices answers at 0x3C (a display) and, through the BME280 sim, at
// 0x76; every other address NACKs. It records the probed addresses.
type twoDevices struct {
	bme    *sensortest.BME280
	probed []uint16
}

func (b *twoDevices) Tx(addr uint16, w, r []byte) error {
	b.probed = append(b.probed, addr)
	if len(w) != 0 || len(r) != 1 {
		return errors.New("probe must be a one-byte read")
	}
	if addr == 0x3C {
		return nil
	}
	return b.bme.Tx(addr, []byte{0xD0}, r)
}
func (b *twoDevices) SetSpeed(physic.Frequency) error { return nil }
func (b *twoDevices) String() string                  { return "two" }

func TestProbe(t *testing.T) {
	bus := &twoDevices{bme: simBME(0x76)}
	op := sensortest.NewOpener()
	op.AddI2C("/dev/i2c-1", bus)
	got, err := sensor.Probe(op, "/dev/i2c-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 0x3C || got[1] != 0x76 {
		t.Fatalf("Probe = %#x", got)
	}
	if len(bus.probed) != 0x77-0x08+1 || bus.probed[0] != 0x08 || bus.probed[len(bus.probed)-1] != 0x77 {
		t.Fatalf("probed %d addresses from %#x to %#x", len(bus.probed), bus.probed[0], bus.probed[len(bus.probed)-1])
	}
	if op.Closes("/dev/i2c-1") != 1 {
		t.Fatal("bus not closed")
	}
	if _, err := sensor.Probe(op, "/dev/i2c-9"); !errors.Is(err, sensor.ErrBusNotFound) {
		t.Fatalf("err = %v", err)
	}
}
