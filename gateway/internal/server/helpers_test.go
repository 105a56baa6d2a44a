package server

import "github.com/tributary-edge/tributary/spool"

var readAll = spool.ReadLimits{}

func spoolAt(seq string) spool.StartPosition {
	return spool.StartPosition{Type: spool.AtSequenceNumber, SequenceNumber: seq}
}

var spoolTrimHorizon = spool.StartPosition{Type: spool.TrimHorizon}
