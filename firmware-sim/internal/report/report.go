// Package report is the outcome of a firmware-sim run: the JSON written
// by --report and read back by "firmware-sim verify --acked", the text
// report printed at the end of a run, and the live one-line summary.
//
// The JSON keeps, per device, the acknowledged sequence numbers as
// ranges ([[1,120],[122,300]]), so a later verification (after the
// gateway was killed and restarted, say) knows exactly what had been
// acknowledged.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/device"
	"github.com/tributary-edge/tributary/firmware-sim/internal/seqset"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
	"github.com/tributary-edge/tributary/firmware-sim/internal/verify"
)

// Tool is the value of Report.Tool.
const Tool = "firmware-sim"

// ErrNotAReport is wrapped by Read for a file that is not a report.
var ErrNotAReport = errors.New("not a firmware-sim report")

// Report is the JSON of --report.
type Report struct {
	Tool      string    `json:"tool"` // "firmware-sim"
	Version   string    `json:"version"`
	RunID     string    `json:"run_id"` // the "run" field of every payload
	Broker    string    `json:"broker"`
	Profile   string    `json:"profile"`
	QoS       byte      `json:"qos"`
	Rate      float64   `json:"rate"` // per device; 0 = as fast as acks allow
	Topic     string    `json:"topic"`
	IDPrefix  string    `json:"id_prefix"`
	Seed      uint64    `json:"seed"`
	Faults    string    `json:"faults"` // as given to --faults, normalised
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"` // wall time of the run, draining included

	Devices      int              `json:"devices"`
	Sent         int64            `json:"sent"`           // publishes of every kind
	Acked        int64            `json:"acked"`          // completed without error (QoS 0: written)
	AckedSeqs    uint64           `json:"acked_distinct"` // distinct sequenced messages with a PUBACK
	Errors       int64            `json:"errors"`
	ErrorsByKind map[string]int64 `json:"errors_by_kind"` // connect, publish, timeout, disconnect
	Connects     int64            `json:"connects"`
	Injected     Injected         `json:"injected"`
	MsgsPerS     float64          `json:"msgs_per_s"` // acked (QoS 0: sent) per second
	Latency      *Latency         `json:"latency_ms"` // publish to PUBACK; null for QoS 0

	DeviceResults []Device       `json:"device_results,omitempty"`
	Verify        *verify.Result `json:"verify,omitempty"` // with --verify
}

// Injected counts the faults that struck.
type Injected struct {
	Malformed  int64 `json:"malformed"`
	Oversize   int64 `json:"oversize"`
	Duplicate  int64 `json:"duplicate"`
	Bursts     int64 `json:"bursts"`
	Reconnects int64 `json:"reconnects"`
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// Device is one device's outcome.
type Device struct {
	ID         string      `json:"id"`
	Topic      string      `json:"topic"`
	Sent       int64       `json:"sent"`
	Acked      int64       `json:"acked"`
	Errors     int64       `json:"errors"`
	Connects   int64       `json:"connects"`
	Reconnects int64       `json:"reconnects"`
	SkewMS     int64       `json:"skew_ms,omitempty"`
	LastSeq    uint64      `json:"last_seq"`                  // highest seq published
	AckedSeqs  *seqset.Set `json:"acked_seqs"`                // seqs with a PUBACK, as ranges
	Duplicated *seqset.Set `json:"duplicated_seqs,omitempty"` // seqs published twice by the duplicate fault
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// LatencyOf summarises a histogram snapshot, nil when it is empty.
func LatencyOf(s stats.Snapshot) *Latency {
	if s.N == 0 {
		return nil
	}
	return &Latency{Count: s.N, P50: ms(s.Quantile(0.5)), P90: ms(s.Quantile(0.9)), P99: ms(s.Quantile(0.99)), Max: ms(s.Max()), Mean: ms(s.Mean())}
}

// Build makes the report of a run of c.
func Build(c device.Config, res device.FleetResult, version string) Report {
	s := res.Counters
	r := Report{
		Tool: Tool, Version: version, RunID: c.RunID, Broker: c.Broker, Profile: c.Profile, QoS: c.QoS, Rate: c.Rate,
		Topic: c.Topic, IDPrefix: c.IDPrefix, Seed: c.Seed, Faults: c.Faults.String(),
		Started: res.Started.UTC(), DurationS: res.Elapsed.Seconds(),
		Devices: len(res.Devices), Sent: s.Sent, Acked: s.Acked, Errors: s.TotalErrors(), ErrorsByKind: s.ErrorsByKind(),
		Connects: s.Connects,
		Injected: Injected{Malformed: s.Malformed, Oversize: s.Oversize, Duplicate: s.Duplicates, Bursts: s.Bursts, Reconnects: s.Reconnects},
		Latency:  LatencyOf(res.Latency),
	}
	if secs := res.Elapsed.Seconds(); secs > 0 {
		n := s.Acked
		if c.QoS == 0 {
			n = s.Sent
		}
		r.MsgsPerS = float64(n) / secs
	}
	for i := range res.Devices {
		d := &res.Devices[i]
		r.AckedSeqs += d.AckedSeqs.Len()
		dev := Device{
			ID: d.ID, Topic: d.Topic, Sent: d.Sent, Acked: d.Acked, Errors: d.Errors, Connects: d.Connects,
			Reconnects: d.Reconnects, SkewMS: d.Skew.Milliseconds(), LastSeq: d.LastSeq, AckedSeqs: &d.AckedSeqs,
		}
		if d.DuplicatedSeqs.Len() > 0 {
			dev.Duplicated = &d.DuplicatedSeqs
		}
		r.DeviceResults = append(r.DeviceResults, dev)
	}
	return r
}

// Expect returns what a verification of r checks.
func (r *Report) Expect() verify.Expect {
	e := verify.Expect{RunID: r.RunID, QoS: r.QoS, Devices: make([]verify.Device, len(r.DeviceResults))}
	for i, d := range r.DeviceResults {
		e.Devices[i] = verify.Device{ID: d.ID, LastSeq: d.LastSeq, Acked: d.AckedSeqs, Duplicated: d.Duplicated}
	}
	return e
}

// Marshal returns r as JSON: indented, except that each device result
// and each problem device of the verification is one compact line, so a
// report of thousands of devices stays readable and small.
func (r *Report) Marshal() ([]byte, error) {
	head := *r
	head.DeviceResults, head.Verify = nil, nil
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSuffix(b, []byte("\n}"))
	if b, err = appendList(b, "device_results", r.DeviceResults, "  "); err != nil {
		return nil, err
	}
	if v := r.Verify; v != nil {
		vh := *v
		vh.Problems = nil
		vb, err := json.MarshalIndent(vh, "  ", "  ")
		if err != nil {
			return nil, err
		}
		b = append(b, ",\n  \"verify\": "...)
		b = append(b, bytes.TrimSuffix(vb, []byte("\n  }"))...)
		if b, err = appendList(b, "problems", v.Problems, "    "); err != nil {
			return nil, err
		}
		b = append(b, "\n  }"...)
	}
	return append(b, "\n}\n"...), nil
}

// appendList appends `,\n<indent>"key": [` and one compact line per
// element to b, which holds an object missing its closing brace.
func appendList[T any](b []byte, key string, list []T, indent string) ([]byte, error) {
	b = append(b, ",\n"+indent+`"`+key+`": [`...)
	for i := range list {
		eb, err := json.Marshal(&list[i])
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n"+indent+"  "...)
		b = append(b, eb...)
	}
	if len(list) > 0 {
		b = append(b, "\n"+indent...)
	}
	return append(b, ']'), nil
}

// WriteFile writes r (see Marshal) to path, through a temporary file
// renamed into place so a reader never sees half a report.
func (r *Report) WriteFile(path string) error {
	b, err := r.Marshal()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".firmware-sim-report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Read loads a report written by WriteFile.
func Read(path string) (Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Report{}, err
	}
	r, err := Parse(b)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Parse decodes a report. Errors wrap ErrNotAReport.
func Parse(b []byte) (Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrNotAReport, err)
	}
	switch {
	case r.Tool != Tool:
		return Report{}, fmt.Errorf("%w: \"tool\" is %q", ErrNotAReport, r.Tool)
	case r.RunID == "":
		return Report{}, fmt.Errorf("%w: \"run_id\" is empty", ErrNotAReport)
	}
	for i, d := range r.DeviceResults {
		if d.ID == "" {
			return Report{}, fmt.Errorf("%w: device_results[%d] has no \"id\"", ErrNotAReport, i)
		}
		if d.AckedSeqs == nil {
			r.DeviceResults[i].AckedSeqs = &seqset.Set{}
		}
	}
	return r, nil
}
