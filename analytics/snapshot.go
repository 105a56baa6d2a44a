package analytics

import "encoding/binary"

// snapReader reads a query snapshot's varint-framed fields; a short or
// malformed input makes every later read fail (ok false).
type snapReader struct {
	b  []byte
	ok bool
}

func newSnapReader(b []byte) *snapReader { return &snapReader{b: b, ok: true} }

// bytes reads a uvarint length and that many bytes.
func (r *snapReader) bytes() []byte {
	n := r.uvarint()
	if !r.ok || n > uint64(len(r.b)) {
		r.ok = false
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *snapReader) uvarint() uint64 {
	if !r.ok {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.ok = false
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *snapReader) varint() int64 {
	if !r.ok {
		return 0
	}
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.ok = false
		return 0
	}
	r.b = r.b[k:]
	return v
}

// byte1 reads one byte.
func (r *snapReader) byte1() byte {
	if !r.ok || len(r.b) == 0 {
		r.ok = false
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// done reports whether everything read well and nothing is left.
func (r *snapReader) done() bool { return r.ok && len(r.b) == 0 }
