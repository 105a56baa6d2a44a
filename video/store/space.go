package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// checkSpace fails a Put of incoming bytes that would take free space under
// Dir below the reserve, or the value log past MaxValueLogBytes.
func (s *Store) checkSpace(incoming int64) error {
	if s.opts.MinFreeDisk >= 0 {
		if free, err := s.freeSpace(s.opts.Dir); err == nil { // cannot tell: let the write report
			if reserve := s.reserve(); free-incoming < reserve {
				return fmt.Errorf("%w: %d bytes free under %s, a fragment of %d would cross the %d-byte reserve", ErrDiskFull, free, s.opts.Dir, incoming, reserve)
			}
		}
	}
	if s.opts.MaxValueLogBytes > 0 {
		if n := valueLogBytes(s.opts.Dir); n+incoming > s.opts.MaxValueLogBytes {
			return fmt.Errorf("%w: value log holds %d bytes, MaxValueLogBytes is %d", ErrDiskFull, n, s.opts.MaxValueLogBytes)
		}
	}
	return nil
}

// reserve is the free space Put leaves untouched: at least MinFreeDisk,
// and never less than what Badger may still write through memory maps
// (the rest of the current value-log file, which a fragment may overrun,
// and the memtables' logs), because a write through a map to a full disk
// kills the process (SIGBUS) instead of returning an error.
func (s *Store) reserve() int64 {
	o := &s.opts
	return max(o.MinFreeDisk, o.ValueLogFileSize+int64(o.MaxFragmentSize)+2*int64(o.NumMemtables+1)*o.MemTableSize)
}

func statfsFree(dir string) (int64, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return 0, err
	}
	return int64(fs.Bavail) * int64(fs.Bsize), nil
}

// valueLogBytes sums the apparent sizes of the value-log files: the bytes
// Badger maps (the file being written is preallocated, sparse, to twice
// ValueLogFileSize).
func valueLogBytes(dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".vlog" {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func classifyWriteError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	}
	return err
}
