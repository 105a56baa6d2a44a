// Package bme280 drives the Bosch BME280 (temperature, pressure, humidity)
// and BMP280 (temperature, pressure) over I²C, written from the datasheets:
//
//   - BME280: Bosch Sensortec BST-BME280-DS002 ("BME280 Combined humidity
//     and pressure sensor", rev 1.6 and later), cited below as "BME280 §x".
//   - BMP280: Bosch Sensortec BST-BMP280-DS001, cited as "BMP280 §x".
//
// # Contract
//
// New checks the chip id (BME280 §5.4.1: 0x60; BMP280 §4.3.1: 0x58, with
// 0x56 and 0x57 on engineering samples), soft-resets the chip (§5.4.2),
// waits for the NVM copy to finish (status.im_update, §5.4.4), reads the
// trimming parameters (§4.2.2, Table 16), including the humidity block that
// lives apart from the rest in 0xE1..0xE7 with dig_H4/dig_H5 packed into
// three bytes, and writes ctrl_hum, config and ctrl_meas (§5.4.3, §5.4.5,
// §5.4.6) in one burst of register/value pairs (§6.2.1). A chip id other
// than the expected one is ErrChipID and names both ids.
//
// Sense in forced mode (§3.3.3) starts one measurement, waits for the
// datasheet's maximum measurement time (§9.1, Appendix B), polls
// status.measuring (§5.4.4) and burst-reads the data registers 0xF7..0xFE
// (0xF7..0xFC on a BMP280) so that all values come from the same
// measurement (§4, "data readout"). In normal mode (§3.3.4) the chip
// measures on its own every t_standby and Sense only reads.
//
// Compensation uses the datasheet's integer reference code verbatim
// (§4.2.3): BME280_compensate_T_int32 (0.01 °C), BME280_compensate_P_int64
// (Pa in Q24.8) and bme280_compensate_H_int32 (%RH in Q22.10). Results
// outside the sensor's operating range (§1, Table 1: −40…85 °C,
// 300…1100 hPa) and the "measurement skipped" value 0x80000 (§4) are
// errors, not readings, so a corrupted transfer never becomes data.
//
// The package does no retrying and keeps no goroutines: any error means the
// caller should drop the Dev and build a new one (which re-checks the chip
// id and re-reads the calibration). Time is injected through Opts.Sleep.
package bme280
