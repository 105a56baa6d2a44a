package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeFragment: any input is decoded or refused with ErrCorrupt,
// never a panic; what decodes re-encodes to an encoding that decodes to
// the same fragment (bytes may differ: varints need not be minimal). Each
// input is also tried with its checksum fixed, so the fuzzer reaches the
// parser.
func FuzzDecodeFragment(f *testing.F) {
	for _, fr := range codecSeeds() {
		b, err := AppendFragment(nil, fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, fixCRC(append([]byte(nil), b...))} {
			fr, err := DecodeFragment(in)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error without ErrCorrupt: %v", err)
				}
				continue
			}
			out, err := AppendFragment(nil, fr)
			if err != nil {
				t.Fatalf("decoded fragment does not encode: %v", err)
			}
			again, err := DecodeFragment(out)
			if err != nil {
				t.Fatalf("re-encoding does not decode: %v", err)
			}
			if !reflect.DeepEqual(again, fr) {
				t.Fatalf("round trip differs:\n in  %x\n out %x", in, out)
			}
		}
	})
}

// FuzzDecodeInfo: index entries, likewise.
func FuzzDecodeInfo(f *testing.F) {
	for _, fr := range codecSeeds() {
		f.Add(appendInfo(nil, infoOf(fr, 1234)))
	}
	key := indexKey(1, base.UnixNano(), 9)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, fixCRC(append([]byte(nil), b...))} {
			info, err := decodeInfo(key, in)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error without ErrCorrupt: %v", err)
				}
				continue
			}
			out := appendInfo(nil, info)
			if again, err := decodeInfo(key, out); err != nil || !reflect.DeepEqual(again, info) {
				t.Fatalf("round trip differs (%v):\n in  %x\n out %x", err, in, out)
			}
			if info.Number != 9 || !info.ServerTime.Equal(base) || info.Duration < time.Duration(0) {
				t.Fatalf("decoded %+v", info)
			}
		}
	})
}
