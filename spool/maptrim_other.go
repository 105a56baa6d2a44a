//go:build !linux

package spool

func trimMappedPages(dir string) int64 { return 0 }

func trimMappedPagesOver(dir string, budget int64) int64 { return 0 }
