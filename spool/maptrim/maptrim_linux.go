// Package maptrim keeps the pages of Badger's memory-mapped files out of
// the process's resident set on Linux (see Over); the spool and the video
// fragment store both use it.
package maptrim

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Over asks the kernel to reclaim the pages of Badger's
// memory-mapped files under dir (value logs, tables, memtable logs).
//
// Badger reads and writes its files through shared mappings, and every
// page touched stays counted in the process's RSS until the mapping goes
// away, although it is only page cache the kernel can reclaim. On a Pi a
// tailing consumer would make `top` show hundreds of MB. MADV_PAGEOUT
// reclaims those pages now (clean ones are dropped, dirty ones written
// back first; the next access reads them again). It is a hint and never
// destroys data: Badger may unmap a file between our reading
// /proc/self/maps and the call, and the address may by then hold Go heap,
// which MADV_DONTNEED would zero but MADV_PAGEOUT at worst swaps out.
// It returns how many bytes of mappings were advised.
//
// It trims only when the process's file-backed resident
// pages (the "shared" column of /proc/self/statm) exceed budget bytes.
func Over(dir string, budget int64) int64 {
	if budget > 0 {
		b, err := os.ReadFile("/proc/self/statm")
		if err != nil {
			return 0
		}
		f := strings.Fields(string(b))
		if len(f) < 3 {
			return 0
		}
		shared, _ := strconv.ParseInt(f[2], 10, 64)
		if shared*int64(os.Getpagesize()) <= budget {
			return 0
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var trimmed int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 7f1d72000000-7f1d76000000 rw-s 00000000 fd:00 1234   /path/000001.vlog
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], abs+"/") || !strings.HasSuffix(fields[1], "s") {
			continue
		}
		switch filepath.Ext(fields[5]) {
		case ".vlog", ".sst", ".mem":
		default:
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
		if errno == 0 {
			trimmed += int64(end - start)
		}
	}
	return trimmed
}
