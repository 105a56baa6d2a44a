package verify

import (
	"fmt"
	"io"
	"strings"

	"github.com/tributary-edge/tributary/firmware-sim/internal/seqset"
)

// Ignored counts the records that were not checked.
type Ignored struct {
	NotSim      uint64 `json:"not_sim"`      // data is not a sequenced firmware-sim message (malformed, oversize, other producers)
	OtherRun    uint64 `json:"other_run"`    // a firmware-sim message of another run
	OtherDevice uint64 `json:"other_device"` // this run's id but a device outside the run
}

// Result is the outcome of a verification.
type Result struct {
	Stream  string  `json:"stream"`
	Shards  int     `json:"shards"`
	RunID   string  `json:"run_id"`
	QoS     byte    `json:"qos"`
	Records uint64  `json:"records_read"`
	Ignored Ignored `json:"ignored"`
	Devices int     `json:"devices"`

	Acked              uint64 `json:"acked"`  // acknowledged (device, seq) pairs expected
	Stored             uint64 `json:"stored"` // distinct (device, seq) pairs of the run found
	Missing            uint64 `json:"missing"`
	Duplicates         uint64 `json:"duplicates"`
	InjectedDuplicates uint64 `json:"injected_duplicates"` // of Duplicates, those the duplicate fault sent
	UnackedStored      uint64 `json:"unacked_stored"`
	Unknown            uint64 `json:"unknown"` // seqs above what the device sent
	OutOfOrder         uint64 `json:"out_of_order"`
	MultiShardDevices  int    `json:"multi_shard_devices"`

	// Problems lists the devices with missing, out-of-order, unknown or
	// unexpectedly duplicated records.
	Problems []DeviceResult `json:"problems"`
}

// DeviceResult is the outcome for one device.
type DeviceResult struct {
	ID            string      `json:"id"`
	Acked         uint64      `json:"acked"`
	Stored        uint64      `json:"stored"`
	Missing       *seqset.Set `json:"missing"`
	MissingCount  uint64      `json:"missing_count"`
	Duplicates    uint64      `json:"duplicates"`
	Injected      uint64      `json:"injected_duplicates"`
	UnackedStored uint64      `json:"unacked_stored"`
	Unknown       uint64      `json:"unknown"`
	OutOfOrder    uint64      `json:"out_of_order"`
	Examples      []Disorder  `json:"out_of_order_examples,omitempty"`
	Shards        int         `json:"shards"`
}

// OK reports whether the check passed: nothing acknowledged is missing
// and per-device order holds.
func (r Result) OK() bool { return r.Missing == 0 && r.OutOfOrder == 0 }

// maxProblemDevices bounds the devices WriteText lists.
const maxProblemDevices = 20

// WriteText writes a human-readable report.
func (r Result) WriteText(w io.Writer) {
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "verify %s: stream %q (%d shards), run %s, %d devices\n", verdict, r.Stream, r.Shards, r.RunID, r.Devices)
	fmt.Fprintf(w, "  records read     %d (ignored: %d not firmware-sim messages, %d of other runs, %d of other devices)\n",
		r.Records, r.Ignored.NotSim, r.Ignored.OtherRun, r.Ignored.OtherDevice)
	if r.QoS == 0 {
		fmt.Fprintf(w, "  acked            none (QoS 0 is never acknowledged, so nothing can be missing)\n")
	} else {
		fmt.Fprintf(w, "  acked            %d\n", r.Acked)
	}
	fmt.Fprintf(w, "  stored           %d distinct messages\n", r.Stored)
	fmt.Fprintf(w, "  missing          %d%s\n", r.Missing, note(r.Missing > 0, "acked but not stored: a durability bug"))
	fmt.Fprintf(w, "  out of order     %d%s\n", r.OutOfOrder, note(r.OutOfOrder > 0, "a device's seq went back within a shard"))
	dupNote := ""
	if r.Duplicates > 0 {
		dupNote = fmt.Sprintf("  (%d sent twice by the duplicate fault; duplicates are allowed for QoS 1)", r.InjectedDuplicates)
	}
	fmt.Fprintf(w, "  duplicates       %d%s\n", r.Duplicates, dupNote)
	fmt.Fprintf(w, "  unacked, stored  %d  (fine: the PUBACK was lost or not awaited)\n", r.UnackedStored)
	if r.Unknown > 0 {
		fmt.Fprintf(w, "  unknown          %d  (seqs this run never sent: is the run id reused?)\n", r.Unknown)
	}
	if r.MultiShardDevices > 0 {
		fmt.Fprintf(w, "  note             %d devices were found in more than one shard (resharded?); order is checked per shard\n", r.MultiShardDevices)
	}
	for i, d := range r.Problems {
		if i == maxProblemDevices {
			fmt.Fprintf(w, "  … and %d more devices with problems\n", len(r.Problems)-maxProblemDevices)
			break
		}
		var parts []string
		if d.MissingCount > 0 {
			parts = append(parts, fmt.Sprintf("missing %d of %d acked: %s", d.MissingCount, d.Acked, d.Missing.Format(8)))
		}
		if d.OutOfOrder > 0 {
			ex := make([]string, len(d.Examples))
			for j, e := range d.Examples {
				ex[j] = fmt.Sprintf("seq %d after %d in %s at %s", e.Seq, e.After, e.Shard, e.SequenceNumber)
			}
			parts = append(parts, fmt.Sprintf("%d out of order (%s)", d.OutOfOrder, strings.Join(ex, "; ")))
		}
		if extra := d.Duplicates - d.Injected; extra > 0 {
			parts = append(parts, fmt.Sprintf("%d duplicates not injected", extra))
		}
		if d.Unknown > 0 {
			parts = append(parts, fmt.Sprintf("%d unknown seqs", d.Unknown))
		}
		fmt.Fprintf(w, "  %s: %s\n", d.ID, strings.Join(parts, "; "))
	}
}

func note(on bool, s string) string {
	if !on {
		return ""
	}
	return "  <- " + s
}
