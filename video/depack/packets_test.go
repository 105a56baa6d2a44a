package depack

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/rtp"
)

// Test NAL units. Slice NALs whose name ends in "2" are later slices of a
// picture (first_mb_in_slice != 0: the first bit of the slice header is 0).
var testNALs = map[string][]byte{
	"sps":  {0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8},
	"sps2": {0x67, 0x42, 0xc0, 0x1f, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8},
	"pps":  {0x68, 0xce, 0x3c, 0x80},
	"idr":  {0x65, 0x88, 0x84, 0x00, 0x33, 0xff, 0x12, 0x34, 0x56},
	"idr2": {0x65, 0x40, 0x84, 0x00, 0x33, 0xff, 0x12, 0x34, 0x56},
	"p":    {0x41, 0x9a, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66},
	"p2":   {0x41, 0x40, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66},
	"sei":  {0x06, 0x05, 0x01, 0xff, 0x80},
	"aud":  {0x09, 0xf0},
}

// payloadOf builds one RTP payload from its description, a concatenation
// of space-separated tokens:
//
//	NAME                  a single NAL unit packet of a test NAL
//	stap(NAME,...)        STAP-A
//	fu(NAME,S|M|E[,N])    FU-A piece of NAME: S=bytes 1-2, M=3-4, E=rest;
//	                      with N: N filler bytes instead
//	nal(HDR,N)            single NAL: header byte HDR (hex), N bytes 0x80..
//	vp8key, vp8delta      VP8 frame start (S=1, PID=0) of a key/delta frame
//	vp8cont               VP8 continuation (S=0) with 4 bytes
//	vp8x                  VP8 start with X, I (15-bit picture ID), L, T, K
//	opus                  a 3-byte Opus packet
//	hex:HEX               raw bytes
func payloadOf(desc string) ([]byte, error) {
	var out []byte
	for tok := range strings.FieldsSeq(desc) {
		b, err := tokenBytes(tok)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func tokenBytes(tok string) ([]byte, error) {
	if n, ok := testNALs[tok]; ok {
		return n, nil
	}
	name, args, _ := strings.Cut(strings.TrimSuffix(tok, ")"), "(")
	list := strings.Split(args, ",")
	switch name {
	case "stap":
		out := []byte{0x78}
		for _, a := range list {
			n, ok := testNALs[a]
			if !ok {
				return nil, fmt.Errorf("unknown NAL %q", a)
			}
			out = binary.BigEndian.AppendUint16(out, uint16(len(n)))
			out = append(out, n...)
		}
		return out, nil
	case "fu":
		n, ok := testNALs[list[0]]
		if !ok || len(list) < 2 {
			return nil, fmt.Errorf("bad fu %q", tok)
		}
		out := []byte{n[0]&0xe0 | nalFUA, n[0] & nalTypeMask}
		body := n[1:]
		switch list[1] {
		case "S":
			out[1] |= 0x80
			body = body[:2]
		case "M":
			body = body[2:4]
		case "E":
			out[1] |= 0x40
			body = body[4:]
		default:
			return nil, fmt.Errorf("bad fu position %q", list[1])
		}
		if len(list) == 3 {
			k, err := strconv.Atoi(list[2])
			if err != nil {
				return nil, err
			}
			body = bytes.Repeat([]byte{0x80}, k)
		}
		return append(out, body...), nil
	case "nal":
		h, err := strconv.ParseUint(list[0], 16, 8)
		if err != nil || len(list) != 2 {
			return nil, fmt.Errorf("bad nal %q", tok)
		}
		k, err := strconv.Atoi(list[1])
		if err != nil {
			return nil, err
		}
		return append([]byte{byte(h)}, bytes.Repeat([]byte{0x80}, k)...), nil
	case "vp8key":
		return []byte{0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x11}, nil
	case "vp8delta":
		return []byte{0x10, 0x31, 0x02, 0x00, 0xaa, 0xbb}, nil
	case "vp8cont":
		return []byte{0x00, 0x01, 0x02, 0x03, 0x04}, nil
	case "vp8x":
		return []byte{0x90, 0xf0, 0x81, 0x23, 0x05, 0x40, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, nil
	case "opus":
		return []byte{0xfc, 0xff, 0xfe}, nil
	}
	if h, ok := strings.CutPrefix(tok, "hex:"); ok {
		return hex.DecodeString(h)
	}
	return nil, fmt.Errorf("unknown payload token %q", tok)
}

// testPacket returns an RTP packet.
func testPacket(seq uint16, ts uint32, marker bool, payload []byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
		Timestamp: ts, Marker: marker, SSRC: 0x1234}, Payload: payload}
}

// nalTypes lists the NAL unit types of an Annex-B access unit, or an error
// when it is not made of 4-byte start codes each followed by a NAL unit.
func nalTypes(au []byte) ([]int, error) {
	var types []int
	if !bytes.HasPrefix(au, startCode) {
		return nil, fmt.Errorf("access unit does not begin with a start code")
	}
	for _, n := range bytes.Split(au[4:], startCode) {
		if len(n) == 0 {
			return nil, fmt.Errorf("empty NAL unit")
		}
		types = append(types, int(n[0]&nalTypeMask))
	}
	return types, nil
}
