package cli

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// Batch limits for records read from stdin: one PutRecords request holds
// at most this many records and bytes (data plus keys).
const (
	putBatchRecords = 500
	putBatchBytes   = 4 << 20
)

const putAbout = `Appends records to STREAM. With DATA, appends one record holding DATA.
With "-", or with no DATA and stdin not a terminal, appends one record per
line of stdin (the line ending, \n or \r\n, is not part of the record;
empty lines are skipped), sent in batches of up to 500 records or 4 MiB.

Each record's partition key is --key, or else a random key per record, so
records spread across shards. Prints one line per record: its shard and
sequence number, or "error: CODE message (line N)". Exits 1 if any
record failed.`

// lineRecord is one record to put and the stdin line it came from (0 for
// a record given as an argument).
type lineRecord struct {
	line int
	rec  api.PutRecord
}

func putCmd(e *env, args []string) int {
	var cf clientFlags
	fs := newFlagSet("put", "STREAM [DATA | -] [--key K] [--explicit-hash-key H]", putAbout)
	cf.register(e, fs, "table", "json")
	key := fs.String("key", "", "partition key of every record (default: random per record)")
	hashKey := fs.String("explicit-hash-key", "", "decimal 128-bit hash key that picks the shard, overriding the key's hash")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if msg := cf.check(); msg != "" {
		return usageError(e, fs, "%s", msg)
	}
	switch {
	case len(pos) == 0:
		return usageError(e, fs, "missing STREAM")
	case len(pos) > 2:
		return usageError(e, fs, "unexpected argument %q (quote DATA that has spaces)", pos[2])
	}
	stream := pos[0]
	keyFor := func() string {
		if *key != "" {
			return *key
		}
		return randomKey()
	}
	p := &putter{
		e:      e,
		client: &api.Client{Base: cf.baseURL()},
		server: cf.baseURL(),
		stream: stream,
		json:   cf.output == "json",
	}
	var err error
	switch {
	case len(pos) == 2 && pos[1] != "-":
		rec := api.PutRecord{PartitionKey: keyFor(), ExplicitHashKey: *hashKey, Data: []byte(pos[1])}
		err = p.send([]lineRecord{{rec: rec}})
	case len(pos) == 2 || !isTerminal(e.stdin):
		err = batchLines(e.stdin, putBatchRecords, putBatchBytes, func(line int, data []byte) api.PutRecord {
			return api.PutRecord{PartitionKey: keyFor(), ExplicitHashKey: *hashKey, Data: data}
		}, p.send)
	default:
		return usageError(e, fs, "no DATA: give it as an argument, or pipe lines on stdin")
	}
	if err != nil {
		if errors.Is(err, errStdin) {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitFailure
		}
		return reportError(e, p.server, err)
	}
	if p.failed > 0 {
		fmt.Fprintf(e.stderr, "%d of %d records failed\n", p.failed, p.total)
		return exitFailure
	}
	return exitOK
}

// putter sends batches and prints their results.
type putter struct {
	e      *env
	client *api.Client
	server string
	stream string
	json   bool

	total, failed int
}

// send puts one batch and prints one line per record (or, with -o json,
// the result as one JSON line). It returns an error only when the whole
// request failed.
func (p *putter) send(batch []lineRecord) error {
	recs := make([]api.PutRecord, len(batch))
	for i, lr := range batch {
		recs[i] = lr.rec
	}
	res, err := p.client.PutRecords(p.e.ctx, p.stream, recs)
	if err != nil {
		return err
	}
	p.total += len(batch)
	p.failed += res.FailedCount
	if p.json {
		return writeJSONLine(p.e.stdout, res)
	}
	w := bufio.NewWriter(p.e.stdout)
	for i, r := range res.Records {
		if r.ErrorCode == "" {
			fmt.Fprintf(w, "%s %s\n", r.ShardID, r.SequenceNumber)
			continue
		}
		where := ""
		if i < len(batch) && batch[i].line > 0 {
			where = fmt.Sprintf(" (line %d)", batch[i].line)
		}
		fmt.Fprintf(w, "error: %s %s%s\n", r.ErrorCode, r.Error, where)
	}
	return w.Flush()
}

// errStdin wraps a failure to read stdin.
var errStdin = errors.New("reading stdin")

// batchLines reads r line by line and calls send with batches of at most
// maxRecords records and maxBytes bytes (data plus keys; a single larger
// record is sent alone). A line's trailing "\n" or "\r\n" is removed;
// empty lines are skipped but still counted, so line numbers match the
// input. mk builds the record for 1-based line number line. It stops at
// the first error from send; a read error is wrapped in errStdin.
func batchLines(r io.Reader, maxRecords, maxBytes int, mk func(line int, data []byte) api.PutRecord, send func([]lineRecord) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var batch []lineRecord
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := send(batch)
		batch, size = nil, 0
		return err
	}
	for line := 1; ; line++ {
		b, readErr := br.ReadBytes('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return fmt.Errorf("%w: %v", errStdin, readErr)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) > 0 {
			rec := mk(line, b)
			n := len(rec.Data) + len(rec.PartitionKey) + len(rec.ExplicitHashKey)
			if len(batch) > 0 && (len(batch) >= maxRecords || size+n > maxBytes) {
				if err := flush(); err != nil {
					return err
				}
			}
			batch = append(batch, lineRecord{line: line, rec: rec})
			size += n
		}
		if readErr != nil { // io.EOF
			return flush()
		}
	}
}

// randomKey returns 16 hex digits from 8 random bytes.
func randomKey() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isTerminal reports whether r looks like an interactive terminal: a
// character device other than os.DevNull. Readers that are not files
// (tests, wrapped pipes) are not terminals; a nil reader is treated as one,
// since there is nothing to read.
func isTerminal(r io.Reader) bool {
	if r == nil {
		return true
	}
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}
