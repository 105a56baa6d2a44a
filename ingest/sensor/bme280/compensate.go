package bme280

import "fmt"

// Measurement is one compensated reading, in the datasheet's fixed-point
// units (§4.2.3).
type Measurement struct {
	// Temperature in 0.01 °C: 2508 is 25.08 °C.
	Temperature int32
	// Pressure in Pa, Q24.8: 24674867 is 96386.2 Pa.
	Pressure uint32
	// Humidity in %RH, Q22.10: 47445 is 46.333 %RH. Valid only if
	// HasHumidity.
	Humidity    uint32
	HasHumidity bool
}

// Celsius returns the temperature in °C.
func (m Measurement) Celsius() float64 { return float64(m.Temperature) / 100 }

// HectoPascal returns the pressure in hPa.
func (m Measurement) HectoPascal() float64 { return float64(m.Pressure) / 256 / 100 }

// RelativeHumidity returns the humidity in %RH.
func (m Measurement) RelativeHumidity() float64 { return float64(m.Humidity) / 1024 }

// Operating range, §1 Table 1 ("operation range"), in the output units.
const (
	minTemperature = -4000            // −40 °C
	maxTemperature = 8500             // +85 °C
	minPressure    = 300 * 100 * 256  // 300 hPa in Q24.8 Pa
	maxPressure    = 1100 * 100 * 256 // 1100 hPa
	skipped20      = 0x80000          // §4: value of a skipped T or P measurement
	skipped16      = 0x8000           // §4: value of a skipped H measurement
)

// Compensate turns raw ADC values into a Measurement with the datasheet's
// integer formulas. adcH is ignored unless c.Humidity. It returns
// ErrNoData for a skipped measurement and ErrOutOfRange for a result
// outside the operating range; otherwise the Measurement is in range.
func (c *Calibration) Compensate(adcT, adcP, adcH int32) (Measurement, error) {
	var m Measurement
	if adcT == skipped20 || adcP == skipped20 || (c.Humidity && adcH == skipped16) {
		return m, fmt.Errorf("%w: raw T=0x%05X P=0x%05X H=0x%04X", ErrNoData, adcT, adcP, adcH)
	}
	t, tFine := c.CompensateT(adcT)
	if t < minTemperature || t > maxTemperature {
		return m, fmt.Errorf("%w: temperature %.2f °C outside −40…85 °C", ErrOutOfRange, float64(t)/100)
	}
	p := c.CompensateP(adcP, tFine)
	if p < minPressure || p > maxPressure {
		return m, fmt.Errorf("%w: pressure %.2f hPa outside 300…1100 hPa", ErrOutOfRange, float64(p)/25600)
	}
	m.Temperature, m.Pressure = t, p
	if c.Humidity {
		m.Humidity, m.HasHumidity = c.CompensateH(adcH, tFine), true
	}
	return m, nil
}

// CompensateT is BME280_compensate_T_int32 (§4.2.3): it returns the
// temperature in 0.01 °C and t_fine, the fine temperature that the pressure
// and humidity formulas take. Arithmetic is 32-bit and wraps like the
// reference C on two's-complement machines.
func (c *Calibration) CompensateT(adcT int32) (t, tFine int32) {
	t1, t2, t3 := int32(c.T1), int32(c.T2), int32(c.T3)
	var1 := (((adcT >> 3) - (t1 << 1)) * t2) >> 11
	var2 := (((((adcT >> 4) - t1) * ((adcT >> 4) - t1)) >> 12) * t3) >> 14
	tFine = var1 + var2
	t = (tFine*5 + 128) >> 8
	return t, tFine
}

// CompensateP is BME280_compensate_P_int64 (§4.2.3): pressure in Pa as
// Q24.8. It returns 0 where the reference code does (division by zero).
func (c *Calibration) CompensateP(adcP, tFine int32) uint32 {
	var1 := int64(tFine) - 128000
	var2 := var1 * var1 * int64(c.P6)
	var2 += (var1 * int64(c.P5)) << 17
	var2 += int64(c.P4) << 35
	var1 = ((var1 * var1 * int64(c.P3)) >> 8) + ((var1 * int64(c.P2)) << 12)
	var1 = ((int64(1) << 47) + var1) * int64(c.P1) >> 33
	if var1 == 0 {
		return 0 // avoid exception caused by division by zero
	}
	p := int64(1048576) - int64(adcP)
	p = (((p << 31) - var2) * 3125) / var1
	var1 = (int64(c.P9) * (p >> 13) * (p >> 13)) >> 25
	var2 = (int64(c.P8) * p) >> 19
	p = ((p + var1 + var2) >> 8) + (int64(c.P7) << 4)
	return uint32(p)
}

// CompensateH is bme280_compensate_H_int32 (§4.2.3): humidity in %RH as
// Q22.10, clamped by the formula itself to 0…100 %RH.
func (c *Calibration) CompensateH(adcH, tFine int32) uint32 {
	h1, h2, h3 := int32(c.H1), int32(c.H2), int32(c.H3)
	h4, h5, h6 := int32(c.H4), int32(c.H5), int32(c.H6)
	v := tFine - 76800
	v = ((((adcH << 14) - (h4 << 20) - (h5 * v)) + 16384) >> 15) *
		(((((((v*h6)>>10)*(((v*h3)>>11)+32768))>>10)+2097152)*h2 + 8192) >> 14)
	v = v - (((((v >> 15) * (v >> 15)) >> 7) * h1) >> 4)
	if v < 0 {
		v = 0
	}
	if v > 419430400 {
		v = 419430400
	}
	return uint32(v >> 12)
}
