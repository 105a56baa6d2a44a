package webm

import (
	"bufio"
	"fmt"
	"io"
	"sync"
)

// output is the io.WriteCloser handed to ebml-go. ebml-go writes from its
// own goroutine and gives up on the first write error, which would leave
// the frames still to come blocked, so output never fails a write: it keeps
// the first error, drops everything after it, and WriteClip reports the
// error when the writer has finished. Close flushes; it does not close the
// caller's writer.
type output struct {
	bw  *bufio.Writer
	mu  sync.Mutex // guards err, read by WriteClip while ebml-go writes
	err error
}

func newOutput(w io.Writer) *output { return &output{bw: bufio.NewWriterSize(w, 64<<10)} }

func (o *output) Write(p []byte) (int, error) {
	if o.error() == nil {
		if _, err := o.bw.Write(p); err != nil {
			o.fail(fmt.Errorf("webm: write: %w", err))
		}
	}
	return len(p), nil
}

func (o *output) Close() error {
	if o.error() == nil {
		if err := o.bw.Flush(); err != nil {
			o.fail(fmt.Errorf("webm: write: %w", err))
		}
	}
	return nil
}

// error returns the first error, if any.
func (o *output) error() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

func (o *output) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = err
	}
}

// seekingOutput is an output over an io.WriteSeeker, so that ebml-go can go
// back and fill in Cues and the duration.
type seekingOutput struct {
	*output
	s io.Seeker
}

func (o *seekingOutput) Seek(offset int64, whence int) (int64, error) {
	if err := o.error(); err != nil {
		return 0, err
	}
	if err := o.bw.Flush(); err != nil {
		o.fail(fmt.Errorf("webm: write: %w", err))
		return 0, o.error()
	}
	n, err := o.s.Seek(offset, whence)
	if err != nil {
		o.fail(fmt.Errorf("webm: seek: %w", err))
	}
	return n, err
}
