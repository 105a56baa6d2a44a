package uplink

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
)

// csvEncoder writes JSON records as CSV (RFC 4180 quoting, by
// encoding/csv; lines end in "\n"): a header row of the column names
// unless omitted, then a row per record. The columns are the schema's, or
// the top-level keys of the first record that is an object, in order.
// Strings are written as they are, numbers as their JSON text, booleans
// as true or false, objects and arrays as compact JSON; null or missing
// is an empty field. A record that is not a JSON object, or lacks a
// required field, is refused.
type csvEncoder struct {
	w      *csv.Writer
	header bool // a header row is still to be written
	fields []field
	pick   *picker
	row    []string
	buf    bytes.Buffer
}

func newCSVEncoder(w io.Writer, o FormatOptions) (*csvEncoder, error) {
	c := &csvEncoder{w: csv.NewWriter(w), header: !o.CSVOmitHeader}
	if o.Schema != nil {
		if err := o.Schema.Validate(); err != nil {
			return nil, fmt.Errorf("%w: csv schema: %v", ErrPermanent, err)
		}
		c.setFields(o.Schema.fields())
	}
	return c, nil
}

func (c *csvEncoder) setFields(fs []field) {
	c.fields = fs
	c.pick = newPicker(fs)
	c.row = make([]string, len(fs))
}

// write adds a record as a row, or returns why it does not fit.
func (c *csvEncoder) write(data []byte) (reason string, err error) {
	obj, reason := jsonObject(data)
	if reason != "" {
		return reason, nil
	}
	if c.fields == nil {
		fs, ok := inferFields(obj)
		switch {
		case !ok:
			return fmt.Sprintf("more than %d keys: too many columns to infer from", maxColumns), nil
		case len(fs) == 0:
			return "an object without keys: no columns to infer", nil
		}
		c.setFields(fs)
	}
	c.pick.pick(obj)
	for i, f := range c.fields {
		raw := c.pick.vals[i]
		if f.required && (raw == nil || kindOf(raw) == kindNull) {
			what := "missing"
			if raw != nil {
				what = "null"
			}
			return fmt.Sprintf("field %q is %s (column %q is required)", f.key, what, f.name), nil
		}
	}
	if err := c.writeHeader(); err != nil {
		return "", err
	}
	for i, raw := range c.pick.vals {
		c.row[i] = c.text(raw)
	}
	return "", c.w.Write(c.row)
}

// text is a field's CSV text.
func (c *csvEncoder) text(raw []byte) string {
	if raw == nil {
		return ""
	}
	switch kindOf(raw) {
	case kindNull:
		return ""
	case kindString:
		return string(unquote(raw, nil))
	case kindObject, kindArray:
		c.buf.Reset()
		json.Compact(&c.buf, raw) // valid: cannot fail
		return c.buf.String()
	}
	return string(raw)
}

func (c *csvEncoder) writeHeader() error {
	if !c.header || c.fields == nil {
		return nil
	}
	c.header = false
	names := make([]string, len(c.fields))
	for i, f := range c.fields {
		names[i] = f.name
	}
	return c.w.Write(names)
}

// close writes what is buffered (a declared schema's header, if no record
// came).
func (c *csvEncoder) close() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}
