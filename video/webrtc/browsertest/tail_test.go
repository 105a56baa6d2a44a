package browsertest

import (
	"sync"
	"testing"
)

// tailBuffer is an io.Writer that keeps the last max bytes written, for
// process output shown when a test fails. It is safe for concurrent use.
type tailBuffer struct {
	max int

	mu  sync.Mutex
	buf []byte
	cut bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		b.cut = true
		return len(p), nil
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.cut = true
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// String returns what is kept, marked when earlier output was dropped.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut {
		return "[earlier output dropped]\n" + string(b.buf)
	}
	return string(b.buf)
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(8)
	for _, s := range []string{"abc", "def"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "abcdef" {
		t.Fatalf("kept %q, want %q", got, "abcdef")
	}
	_, _ = b.Write([]byte("ghij"))
	if got, want := b.String(), "[earlier output dropped]\ncdefghij"; got != want {
		t.Fatalf("kept %q, want %q", got, want)
	}
	_, _ = b.Write([]byte("0123456789"))
	if got, want := b.String(), "[earlier output dropped]\n23456789"; got != want {
		t.Fatalf("kept %q, want %q", got, want)
	}
	if cap(b.buf) > 16 {
		t.Fatalf("buffer grew to %d bytes for a cap of 8", cap(b.buf))
	}
}
