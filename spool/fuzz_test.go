package spool

// Fuzz tests for every decoder in the package (STYLE.md practice 8). The
// seeds come from the unit tests; crashers that `go test -fuzz` finds are
// kept under testdata/fuzz/<FuzzName>/ and run with the normal suite.
//
//	go test -run '^$' -fuzz '^FuzzChunk$' -fuzztime 60s ./spool/

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func FuzzParseSeqNum(f *testing.F) {
	for _, sn := range []SeqNum{{0, 0}, {0, 1}, {7, 12345}, {4294967295, 18446744073709551615}} {
		f.Add(sn.String())
	}
	for _, s := range []string{
		"", "1", "49590338271490256608559692538361571095921575989136588898",
		"200000000000000000000000000000000", "1000000000000a00000000000000000001",
		"10000000000000000000000000000000x", "1000000000000999999999999999999999",
		"100000000000018446744073709551616", "104294967296000000000000000000001",
		"1+00000000000000000000000000000001", "1 00000000000000000000000000000001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sn, err := ParseSeqNum(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("ParseSeqNum(%q) error %v is not ErrInvalidArgument", s, err)
			}
			return
		}
		out := sn.String()
		if out != s {
			t.Fatalf("ParseSeqNum(%q) = %+v, which prints as %q", s, sn, out)
		}
		if len(out) != 33 || strings.IndexFunc(out, notDigit) >= 0 || out[0] != '1' {
			t.Fatalf("%+v prints as %q: want 33 digits starting with 1", sn, out)
		}
		// the printed form orders like the big integer it is
		var n big.Int
		if _, ok := n.SetString(out, 10); !ok {
			t.Fatalf("%q is not a decimal integer", out)
		}
		pow10 := func(e int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(e), nil) }
		want := pow10(32)
		want.Add(want, new(big.Int).Mul(new(big.Int).SetUint64(uint64(sn.Shard)), pow10(20)))
		want.Add(want, new(big.Int).SetUint64(sn.Counter))
		if n.Cmp(want) != 0 {
			t.Fatalf("%q = %s, want 10^32 + shard·10^20 + counter = %s", out, &n, want)
		}
		// and the neighbouring counter prints in order
		if sn.Counter < ^uint64(0) {
			next := SeqNum{sn.Shard, sn.Counter + 1}.String()
			if !(out < next) {
				t.Fatalf("%q is not below the next counter %q", out, next)
			}
		}
	})
}

// maxHashKeyBig is 2^128-1.
var maxHashKeyBig = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

func FuzzParseHashKey(f *testing.F) {
	for _, s := range []string{
		"0", "1", "340282366920938463463374607431768211455", "16955237001963240173058271559858726497",
		"229609063533823256041787889330700985560", "103341369634063465466164320543046703539",
		"113427455640312821154458202477256070485", "170141183460469231731687303715884105728",
		"", "-1", "01", "00", "1.5", "abc", " 1", "1 ", "+1", "0x10", "1_000", "١",
		"340282366920938463463374607431768211456", "9999999999999999999999999999999999999999",
		"999999999999999999999999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHashKey(s)
		// the reference: Kinesis' pattern 0|([1-9]\d{0,38}) and 0 ≤ n ≤ 2^128-1
		canonical := s == "0" || (len(s) >= 1 && len(s) <= 39 && s[0] >= '1' && s[0] <= '9' && strings.IndexFunc(s, notDigit) < 0)
		var n big.Int
		inRange := false
		if canonical {
			if _, ok := n.SetString(s, 10); !ok {
				t.Fatalf("math/big refuses %q", s)
			}
			inRange = n.Sign() >= 0 && n.Cmp(maxHashKeyBig) <= 0
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("ParseHashKey(%q) error %v is not ErrInvalidArgument", s, err)
			}
			if canonical && inRange {
				t.Fatalf("ParseHashKey(%q) refused a valid hash key: %v", s, err)
			}
			return
		}
		if !canonical {
			t.Fatalf("ParseHashKey(%q) = %s: accepted a value outside 0|([1-9]\\d{0,38})", s, h)
		}
		if !inRange {
			t.Fatalf("ParseHashKey(%q) = %s: accepted a value above 2^128-1", s, h)
		}
		if got := h.String(); got != s {
			t.Fatalf("ParseHashKey(%q).String() = %q", s, got)
		}
		if h.big().Cmp(&n) != 0 {
			t.Fatalf("ParseHashKey(%q) = {%#x %#x}, math/big says %s", s, h.Hi, h.Lo, &n)
		}
		// Cmp agrees with math/big against the range ends
		if h.Cmp(HashKey{}) != n.Sign() || h.Cmp(MaxHashKey) != n.Cmp(maxHashKeyBig) {
			t.Fatalf("HashKey.Cmp disagrees with math/big for %s", s)
		}
	})
}

func FuzzParseShardID(f *testing.F) {
	for _, s := range []string{
		"shardId-000000000000", "shardId-000000000012", "shardId-3", "5", "0",
		"shardId-4294967295", "shardId-4294967296", "4294967296",
		"", "shardId-", "shard-1", "-1", "+1", "shardId-x", "shardId-+1", "shardId--1",
		"shardId-shardId-1", " 1", "1 ", "0x1", "1_0", "shardid-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		idx, err := ParseShardID(id)
		digits, prefixed := strings.CutPrefix(id, "shardId-")
		if !prefixed {
			digits = id
		}
		valid := digits != "" && strings.IndexFunc(digits, notDigit) < 0
		var want uint64
		if valid {
			var perr error
			want, perr = strconv.ParseUint(digits, 10, 32)
			valid = perr == nil
		}
		if err != nil {
			if !errors.Is(err, ErrShardNotFound) {
				t.Fatalf("ParseShardID(%q) error %v is not ErrShardNotFound", id, err)
			}
			if valid {
				t.Fatalf("ParseShardID(%q) refused a shard id: %v", id, err)
			}
			return
		}
		if !valid {
			t.Fatalf("ParseShardID(%q) = %d: accepted something that is neither digits nor shardId-digits", id, idx)
		}
		if uint64(idx) != want {
			t.Fatalf("ParseShardID(%q) = %d, want %d", id, idx, want)
		}
		// the canonical form names the same shard
		canon := ShardID(idx)
		if back, err := ParseShardID(canon); err != nil || back != idx {
			t.Fatalf("ParseShardID(ShardID(%d) = %q) = %d, %v", idx, canon, back, err)
		}
		if len(canon) != len("shardId-")+12 {
			t.Fatalf("ShardID(%d) = %q is not zero-padded to 12 digits", idx, canon)
		}
	})
}

// within reports whether b is a sub-slice of v (its bytes lie inside v).
func within(v, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= base && p+uintptr(len(b)) <= base+uintptr(len(v))
}

// offsetIn returns b's offset in v; b must be within v and non-empty.
func offsetIn(v, b []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(v))))
}

// splitPairs turns fuzz bytes into (key, data) pairs: segments separated by
// 0xFF, alternately key and data. There is always at least one pair.
func splitPairs(raw []byte) [][2][]byte {
	segs := bytes.Split(raw, []byte{0xFF})
	if len(segs)%2 == 1 {
		segs = append(segs, nil)
	}
	var out [][2][]byte
	for i := 0; i < len(segs); i += 2 {
		out = append(out, [2][]byte{segs[i], segs[i+1]})
	}
	return out
}

func buildChunk(pairs [][2][]byte, wallMs, spoolMs int64) []byte {
	var b chunkBuilder
	for _, p := range pairs {
		b.add(string(p[0]), p[1])
	}
	return b.bytes(wallMs, spoolMs)
}

func FuzzChunk(f *testing.F) {
	// seeds: chunks as the writer builds them, plus broken ones
	wall := int64(1795694400000) // the fake clock's start
	f.Add(buildChunk([][2][]byte{{[]byte("a"), []byte("hello")}}, wall, 0), wall, int64(0))
	f.Add(buildChunk([][2][]byte{{[]byte("a"), []byte("r1")}, {[]byte("foo"), []byte("r2")}, {[]byte("k"), nil}}, wall, 3600000), wall, int64(3600000))
	f.Add(buildChunk([][2][]byte{{nil, nil}}, -1, -1), int64(-1), int64(-1))
	f.Add(buildChunk([][2][]byte{{[]byte(strings.Repeat("é", 256)), make([]byte, 300)}}, 0, 1<<62), int64(0), int64(1<<62))
	f.Add([]byte{}, int64(0), int64(0))
	f.Add([]byte{chunkVersion}, int64(0), int64(0))
	f.Add([]byte{2, 1, 0, 0, 0, 0}, int64(0), int64(0))                              // unknown version
	f.Add([]byte{chunkVersion, 0, 0, 0}, int64(0), int64(0))                         // zero records
	f.Add([]byte{chunkVersion, 5, 0, 0, 1, 'k', 1, 'd'}, int64(0), int64(0))         // count larger than the records
	f.Add([]byte{chunkVersion, 1, 0, 0, 0x80, 0x80, 0x80, 0x80}, int64(0), int64(0)) // truncated varint
	f.Add([]byte{chunkVersion, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, int64(0), int64(0))
	f.Add([]byte{chunkVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, int64(0), int64(0))
	f.Add([]byte{chunkVersion, 2, 0, 0, 0x7f, 'k'}, int64(0), int64(0)) // field longer than the value
	f.Add([]byte("\x01\x01\x00\x00\x01a\x05hello\xffk\xffv"), int64(7), int64(9))

	f.Fuzz(func(t *testing.T, raw []byte, wallMs, spoolMs int64) {
		// 1. arbitrary bytes: no panic, and every field lies inside the input
		// in order, without overlap
		if h, off, err := decodeChunkHeader(raw); err == nil {
			if h.count < 1 || h.count > len(raw) {
				t.Fatalf("decodeChunkHeader accepted count %d for %d bytes", h.count, len(raw))
			}
			if off < 2 || off > len(raw) {
				t.Fatalf("decodeChunkHeader: records offset %d outside [2, %d]", off, len(raw))
			}
			end := off
			n := 0
			err := chunkRecords(raw, off, h.count, func(i int, key, data []byte) bool {
				if i != n {
					t.Fatalf("record index %d, want %d", i, n)
				}
				n++
				for _, fld := range [][]byte{key, data} {
					if !within(raw, fld) {
						t.Fatalf("record %d: field of %d bytes lies outside the %d-byte input", i, len(fld), len(raw))
					}
					if len(fld) > 0 {
						o := offsetIn(raw, fld)
						if o < end {
							t.Fatalf("record %d: field at offset %d overlaps what came before (%d)", i, o, end)
						}
						end = o + len(fld)
					}
				}
				return true
			})
			if err == nil && n != h.count {
				t.Fatalf("chunkRecords returned nil after %d of %d records", n, h.count)
			}
			if err != nil && !errors.Is(err, errBadChunk) {
				t.Fatalf("chunkRecords error %v is not errBadChunk", err)
			}
			// stopping early stops
			calls := 0
			chunkRecords(raw, off, h.count, func(int, []byte, []byte) bool { calls++; return false })
			if calls > 1 {
				t.Fatalf("chunkRecords called fn %d times after it returned false", calls)
			}
		} else if !errors.Is(err, errBadChunk) {
			t.Fatalf("decodeChunkHeader error %v is not errBadChunk", err)
		}

		// 2. round trip: a chunk built from fuzzed pairs decodes to the same
		// records and times
		pairs := splitPairs(raw)
		v := buildChunk(pairs, wallMs, spoolMs)
		h, off, err := decodeChunkHeader(v)
		if err != nil {
			t.Fatalf("decodeChunkHeader of a built chunk (%d records): %v", len(pairs), err)
		}
		if h.count != len(pairs) || h.wallMs != wallMs || h.spoolMs != spoolMs {
			t.Fatalf("header = %+v, want count %d wall %d spool %d", h, len(pairs), wallMs, spoolMs)
		}
		var got [][2][]byte
		if err := chunkRecords(v, off, h.count, func(i int, key, data []byte) bool {
			got = append(got, [2][]byte{key, data})
			return true
		}); err != nil {
			t.Fatalf("chunkRecords of a built chunk: %v", err)
		}
		if len(got) != len(pairs) {
			t.Fatalf("decoded %d records, built %d", len(got), len(pairs))
		}
		for i := range pairs {
			if !bytes.Equal(got[i][0], pairs[i][0]) || !bytes.Equal(got[i][1], pairs[i][1]) {
				t.Fatalf("record %d = (%q, %q), want (%q, %q)", i, got[i][0], got[i][1], pairs[i][0], pairs[i][1])
			}
		}
		// every strict prefix of a chunk is refused: each field carries at
		// least a length byte, so a cut always loses part of one
		for _, cut := range []int{len(v) - 1, len(v) / 2, off} {
			if cut < 0 || cut >= len(v) {
				continue
			}
			p := v[:cut:cut]
			ph, poff, err := decodeChunkHeader(p)
			if err != nil {
				continue
			}
			n := 0
			err = chunkRecords(p, poff, ph.count, func(int, []byte, []byte) bool { n++; return true })
			if err == nil {
				t.Fatalf("a %d-byte prefix of a %d-byte chunk decoded as %d complete records", cut, len(v), n)
			}
		}
	})
}

func FuzzShardStats(f *testing.F) {
	f.Add(shardStats{}.encode())
	f.Add(shardStats{first: 1, last: 3, records: 3, bytes: 120, lastWall: 1795694400000}.encode())
	f.Add(shardStats{first: 4, last: 3, lastWall: -1}.encode())
	f.Add([]byte{})
	f.Add(make([]byte, 39))
	f.Add(make([]byte, 41))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeShardStats(b)
		if len(b) != 40 {
			if err == nil {
				t.Fatalf("decodeShardStats accepted %d bytes", len(b))
			}
			return
		}
		if err != nil {
			t.Fatalf("decodeShardStats refused 40 bytes: %v", err)
		}
		if !bytes.Equal(st.encode(), b) {
			t.Fatalf("decode/encode of %x gives %x", b, st.encode())
		}
	})
}

// FuzzStreamMeta feeds arbitrary stream metadata (the JSON under an 'm' key)
// to what recovery builds from it: a bad catalog entry must be refused with
// an error, never crash Open.
func FuzzStreamMeta(f *testing.F) {
	seed := func(m streamMeta) {
		b, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	r := UniformRanges(HashKey{}, MaxHashKey, 2)
	seed(streamMeta{ID: 1, Name: "s", RetentionMs: 3600000, WhenFull: RejectNew, NextShard: 2, Shards: []shardMeta{
		{Index: 0, Start: r[0].Start.String(), End: r[0].End.String()},
		{Index: 1, Start: r[1].Start.String(), End: r[1].End.String()},
	}})
	seed(streamMeta{ID: 2, Name: "t", NextShard: 3, Shards: []shardMeta{
		{Index: 0, Start: "0", End: MaxHashKey.String(), Closed: true, EndSeq: 2},
		{Index: 1, Start: r[0].Start.String(), End: r[0].End.String(), Parents: []uint32{0}},
		{Index: 2, Start: r[1].Start.String(), End: r[1].End.String(), Parents: []uint32{0, 2, 7}},
	}})
	f.Add([]byte(`{"shards":[{"index":0,"start":"01","end":"5"}]}`))
	f.Add([]byte(`{"shards":[{"index":0,"start":"9","end":"5"},{"index":0,"start":"0","end":"340282366920938463463374607431768211455"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m streamMeta
		if json.Unmarshal(b, &m) != nil {
			return
		}
		st, err := newStreamState(m, nil)
		if err != nil {
			return
		}
		info := st.info()
		if len(info.Shards) != len(m.Shards) {
			t.Fatalf("info lists %d shards, metadata %d", len(info.Shards), len(m.Shards))
		}
		for _, h := range []HashKey{{}, MaxHashKey, HashPartitionKey("a"), HashPartitionKey("foo")} {
			if sh := st.route(h); sh != nil {
				if sh.meta.Closed || !sh.rng.Contains(h) {
					t.Fatalf("route(%s) = shard %d (closed %v, range %v)", h, sh.meta.Index, sh.meta.Closed, sh.rng)
				}
			}
		}
	})
}
