package sensor

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/onewire/onewirereg"
	"periph.io/x/host/v3"
	"periph.io/x/host/v3/netlink"
	"periph.io/x/host/v3/sysfs"
)

// HostOpener returns the Opener for this machine. It initialises periph's
// host drivers once (host.Init: sysfs I²C on /dev/i2c-*, GPIO character
// devices, the kernel w1 bus over netlink) and opens buses and pins from
// its registries. A bus whose device node appears after initialisation
// (/dev/i2c-N after loading i2c-dev, a w1 master after loading w1-gpio) is
// opened directly. On a machine without I²C, 1-Wire or GPIO, opens fail
// quickly with ErrBusNotFound or ErrPinNotFound listing what exists.
func HostOpener() Opener { return hostOpener{} }

type hostOpener struct{}

var hostInit = sync.OnceValue(func() error {
	// Drivers that find no hardware are skipped, not errors; an error here
	// means the driver registry itself is inconsistent.
	if _, err := host.Init(); err != nil {
		return fmt.Errorf("sensor: periph host init: %w", err)
	}
	return nil
})

func (hostOpener) OpenI2C(bus string) (i2c.BusCloser, error) {
	if err := hostInit(); err != nil {
		return nil, err
	}
	for _, ref := range i2creg.All() {
		if refMatches(bus, ref.Name, ref.Aliases, ref.Number) {
			b, err := ref.Open()
			if err != nil {
				return nil, fmt.Errorf("sensor: open i2c bus %q: %w", bus, err)
			}
			return b, nil
		}
	}
	if n, ok := busNumber(bus, "/dev/i2c-", "I2C"); ok {
		if _, err := os.Stat("/dev/i2c-" + strconv.Itoa(n)); err == nil {
			b, err := sysfs.NewI2C(n)
			if err != nil {
				return nil, fmt.Errorf("sensor: open i2c bus %q: %w", bus, err)
			}
			return b, nil
		}
	}
	var names []string
	for _, ref := range i2creg.All() {
		names = append(names, ref.Name)
	}
	return nil, fmt.Errorf("%w: i2c bus %q (available: %s; on a Raspberry Pi enable I2C with dtparam=i2c_arm=on)",
		ErrBusNotFound, bus, listNames(names, 16))
}

func (hostOpener) OpenOneWire(bus string) (onewire.BusCloser, error) {
	if err := hostInit(); err != nil {
		return nil, err
	}
	for _, ref := range onewirereg.All() {
		if refMatches(bus, ref.Name, ref.Aliases, ref.Number) {
			b, err := ref.Open()
			if err != nil {
				return nil, fmt.Errorf("sensor: open 1-wire bus %q: %w", bus, err)
			}
			return b, nil
		}
	}
	if n, ok := busNumber(bus, "netlink-w1-master ", "OneWire"); ok {
		if _, err := os.Stat("/sys/bus/w1/devices/w1_bus_master" + strconv.Itoa(n)); err == nil {
			b, err := netlink.New(uint32(n))
			if err != nil {
				return nil, fmt.Errorf("sensor: open 1-wire bus %q: %w", bus, err)
			}
			return b, nil
		}
	}
	var names []string
	for _, ref := range onewirereg.All() {
		names = append(names, ref.Name)
	}
	return nil, fmt.Errorf("%w: 1-wire bus %q (available: %s; on a Raspberry Pi enable 1-Wire with dtoverlay=w1-gpio)",
		ErrBusNotFound, bus, listNames(names, 16))
}

func (hostOpener) OpenGPIO(pin string) (gpio.PinIn, error) {
	if err := hostInit(); err != nil {
		return nil, err
	}
	if p := gpioreg.ByName(pin); p != nil {
		return p, nil
	}
	var names []string
	for _, p := range gpioreg.All() {
		names = append(names, p.Name())
	}
	return nil, fmt.Errorf("%w: gpio pin %q (available: %s)", ErrPinNotFound, pin, listNames(names, 16))
}

// refMatches resolves a configured bus name like i2creg.Open does: by
// name, alias or number.
func refMatches(want, name string, aliases []string, number int) bool {
	if want == name {
		return true
	}
	for _, a := range aliases {
		if want == a {
			return true
		}
	}
	n, err := strconv.Atoi(want)
	return err == nil && number >= 0 && n == number
}

// busNumber extracts N from "N" or from one of the prefixed forms.
func busNumber(bus string, prefixes ...string) (int, bool) {
	s := bus
	for _, p := range prefixes {
		if strings.HasPrefix(bus, p) {
			s = bus[len(p):]
			break
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func listNames(names []string, max int) string {
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}
