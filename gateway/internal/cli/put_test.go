package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// collectBatches runs batchLines over input with a fixed key and returns
// each batch's line numbers and data.
func collectBatches(t *testing.T, input io.Reader, maxRecords, maxBytes int) (lines [][]int, data [][]string, err error) {
	t.Helper()
	mk := func(line int, b []byte) api.PutRecord { return api.PutRecord{PartitionKey: "k", Data: b} }
	err = batchLines(input, maxRecords, maxBytes, mk, func(batch []lineRecord) error {
		var l []int
		var d []string
		for _, lr := range batch {
			l = append(l, lr.line)
			d = append(d, string(lr.rec.Data))
		}
		lines, data = append(lines, l), append(data, d)
		return nil
	})
	return lines, data, err
}

func TestBatchLinesByCount(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 1200; i++ {
		fmt.Fprintf(&b, "record %d\n", i)
	}
	lines, data, err := collectBatches(t, strings.NewReader(b.String()), putBatchRecords, putBatchBytes)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, l := range lines {
		sizes = append(sizes, len(l))
	}
	if !slices.Equal(sizes, []int{500, 500, 200}) {
		t.Fatalf("batch sizes %v, want [500 500 200]", sizes)
	}
	if data[0][0] != "record 1" || data[2][199] != "record 1200" || lines[2][199] != 1200 {
		t.Errorf("first %q, last %q (line %d)", data[0][0], data[2][199], lines[2][199])
	}
}

func TestBatchLinesByBytes(t *testing.T) {
	// 1 MiB - 1 byte of data plus the 1-byte key is exactly 1 MiB, so four
	// records fill a 4 MiB batch; a fifth starts the next one.
	line := strings.Repeat("x", 1<<20-1) + "\n"
	_, data, err := collectBatches(t, strings.NewReader(strings.Repeat(line, 9)), putBatchRecords, putBatchBytes)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, d := range data {
		sizes = append(sizes, len(d))
	}
	if !slices.Equal(sizes, []int{4, 4, 1}) {
		t.Errorf("batch sizes %v, want [4 4 1]", sizes)
	}
}

func TestBatchLinesOversizedRecordAlone(t *testing.T) {
	input := "a\n" + strings.Repeat("B", 100) + "\nc\n"
	_, data, err := collectBatches(t, strings.NewReader(input), 500, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 3 || data[0][0] != "a" || len(data[1][0]) != 100 || data[2][0] != "c" {
		t.Errorf("batches %q", data)
	}
}

func TestBatchLinesEndingsAndEmptyLines(t *testing.T) {
	input := "one\r\n\r\ntwo\n\nthree\r\n  \nlast without newline"
	lines, data, err := collectBatches(t, iotest.OneByteReader(strings.NewReader(input)), 500, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 {
		t.Fatalf("got %d batches, want 1", len(data))
	}
	wantData := []string{"one", "two", "three", "  ", "last without newline"}
	wantLines := []int{1, 3, 5, 6, 7}
	if !slices.Equal(data[0], wantData) || !slices.Equal(lines[0], wantLines) {
		t.Errorf("got %q at lines %v, want %q at lines %v", data[0], lines[0], wantData, wantLines)
	}
}

func TestBatchLinesEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n", "\r\n\n\n"} {
		lines, _, err := collectBatches(t, strings.NewReader(in), 500, 1<<20)
		if err != nil || len(lines) != 0 {
			t.Errorf("%q: %d batches, err %v; want none", in, len(lines), err)
		}
	}
}

func TestBatchLinesErrors(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	mk := func(int, []byte) api.PutRecord { return api.PutRecord{} }
	err := batchLines(strings.NewReader("a\nb\nc\n"), 1, 1<<20, mk, func([]lineRecord) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("send error: got %v after %d calls; want boom after 1", err, calls)
	}
	err = batchLines(iotest.ErrReader(boom), 1, 1<<20, mk, func([]lineRecord) error { return nil })
	if !errors.Is(err, errStdin) {
		t.Errorf("read error: got %v, want errStdin", err)
	}
}

func TestRandomKey(t *testing.T) {
	a, b := randomKey(), randomKey()
	if len(a) != 16 || strings.Trim(a, "0123456789abcdef") != "" || a == b {
		t.Errorf("randomKey() = %q, %q", a, b)
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(strings.NewReader("x")) {
		t.Error("strings.Reader is a terminal")
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error(os.DevNull + " is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(r) {
		t.Error("a pipe is a terminal")
	}
}
