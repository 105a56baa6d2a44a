package spool

import (
	"fmt"
	"strconv"
)

// SeqNum is a decoded sequence number: the shard index it belongs to and the
// shard's record counter. Its string form is a 33-digit decimal number,
//
//	"1" + shard index (12 digits) + counter (20 digits)
//
// so sequence numbers compare the same as big integers and as strings, stay
// within Kinesis' 129-digit limit and name their shard (kinesis.md §3.3).
type SeqNum struct {
	Shard   uint32
	Counter uint64
}

const seqNumLen = 1 + 12 + 20

// String returns the decimal form ("1%012d%020d", without fmt: it is on
// every record's path).
func (s SeqNum) String() string {
	var b [seqNumLen]byte
	b[0] = '1'
	putDigits(b[1:13], uint64(s.Shard))
	putDigits(b[13:], s.Counter)
	return string(b[:])
}

// putDigits writes v zero-padded into all of dst.
func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// ParseSeqNum decodes a sequence number produced by SeqNum.String. Anything
// else is an ErrInvalidArgument naming the value.
func ParseSeqNum(s string) (SeqNum, error) {
	bad := func() (SeqNum, error) {
		return SeqNum{}, fmt.Errorf("%w: sequence number %q is not one this gateway issued (want 33 digits starting with 1)", ErrInvalidArgument, s)
	}
	if len(s) != seqNumLen || s[0] != '1' {
		return bad()
	}
	shard, err1 := strconv.ParseUint(s[1:13], 10, 32)
	counter, err2 := strconv.ParseUint(s[13:], 10, 64)
	if err1 != nil || err2 != nil {
		return bad()
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return bad()
		}
	}
	return SeqNum{Shard: uint32(shard), Counter: counter}, nil
}

// ShardID returns the Kinesis shard id for a shard index: shardId-000000000007.
func ShardID(index uint32) string { return fmt.Sprintf("shardId-%012d", index) }

// ParseShardID accepts "shardId-000000000007", "shardId-7" and "7", as
// kinesalite does, and returns the index.
func ParseShardID(id string) (uint32, error) {
	s := id
	if len(s) > 8 && s[:8] == "shardId-" {
		s = s[8:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("%w: %q is not a shard id", ErrShardNotFound, id)
	}
	return uint32(n), nil
}
