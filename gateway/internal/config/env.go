package config

// Environment overrides, applied after the file and before validation.
// An unset or empty variable changes nothing. A variable whose value is
// invalid is reported under the variable's name and not applied, so the
// same problem is not reported again under the key path.
//
//	TRIBUTARY_DATA_DIR    data_dir
//	TRIBUTARY_HTTP_ADDR   http.addr
//	TRIBUTARY_DURABILITY  spool.durability
//	TRIBUTARY_LOG_LEVEL   log.level
//	TRIBUTARY_MQTT_ADDR   mqtt.listen
var envOverrides = []struct {
	name, path string
	check      func(string) string
	set        func(*Config, string)
}{
	{"TRIBUTARY_DATA_DIR", "data_dir", checkNonEmpty, func(c *Config, v string) { c.DataDir = v }},
	{"TRIBUTARY_HTTP_ADDR", "http.addr", checkAddr, func(c *Config, v string) { c.HTTP.Addr = v }},
	{"TRIBUTARY_DURABILITY", "spool.durability", func(v string) string { return checkOneOf(v, durabilities) },
		func(c *Config, v string) { c.Spool.Durability = v }},
	{"TRIBUTARY_LOG_LEVEL", "log.level", func(v string) string { return checkOneOf(v, logLevels) },
		func(c *Config, v string) { c.Log.Level = v }},
	{"TRIBUTARY_MQTT_ADDR", "mqtt.listen", checkOptionalAddr, func(c *Config, v string) { c.MQTT.Listen = v }},
}

// applyEnv applies the overrides that getenv reports to c. It returns the
// problems (Path is the variable's name) and the key paths it set.
func applyEnv(c *Config, getenv func(string) string) (errs Errors, applied []string) {
	for _, o := range envOverrides {
		v := getenv(o.name)
		if v == "" {
			continue
		}
		if msg := o.check(v); msg != "" {
			errs = append(errs, &KeyError{Path: o.name, Msg: msg})
			continue
		}
		o.set(c, v)
		applied = append(applied, o.path)
	}
	return errs, applied
}
