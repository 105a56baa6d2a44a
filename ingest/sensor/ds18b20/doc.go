// Package ds18b20 drives the Maxim (Dallas) DS18B20 1-Wire thermometer on a
// periph.io/x/conn/v3/onewire Bus, written from the datasheet "DS18B20
// Programmable Resolution 1-Wire Digital Thermometer" (Maxim 19-7487),
// cited below by section name.
//
// # Contract
//
// New checks the family code of the 64-bit ROM (28h, "64-bit Lasered ROM
// Code"), reads the scratchpad and, if the configured resolution differs,
// writes TH, TL and the configuration register back with the new R1:R0 bits
// ("Configuration Register", Table 2) and reads it again to verify. The
// setting lives in the scratchpad only; it is not copied to EEPROM, so New
// re-applies it every time a device is (re)opened.
//
// Sense issues Convert T (44h) with a strong pull-up for parasite-powered
// probes ("Powering the DS18B20"), waits the maximum conversion time of the
// resolution (Table 2: 93.75, 187.5, 375 or 750 ms), then Read Scratchpad
// (BEh) and checks its CRC (Maxim/Dallas CRC-8, X⁸+X⁵+X⁴+1, "CRC
// Generation"). Every transaction addresses the probe with Match ROM (55h),
// so several probes can share a bus.
//
// Readings are in 1/16 °C (Table 1); bits that are undefined at lower
// resolutions are cleared. These are errors, never readings:
//   - a scratchpad whose CRC does not match (ErrCRC);
//   - a scratchpad of all 0xFF (no presence: nothing pulled the bus low) or
//     all 0x00 (bus stuck low) (ErrNoResponse), which a CRC alone would not
//     catch for all-zero;
//   - the power-on reset value +85 °C, 0550h (ErrPowerOnReset): the probe
//     lost power or the conversion never ran. A real 85.0 °C reading is
//     indistinguishable and is reported as an error too;
//   - a value outside −55…+125 °C (ErrOutOfRange).
//
// On Linux the bus comes from the kernel w1 driver through periph's
// netlink OneWire (host/v3/netlink), which does not honour strong
// pull-ups: parasite-powered probes then need the kernel's own strong
// pull-up (w1-gpio's "pullup" option) or an external VDD.
package ds18b20
