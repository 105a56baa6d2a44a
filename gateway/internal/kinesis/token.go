package kinesis

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// Shard iterators and paging tokens are opaque to clients and
// authenticated with the handler's key, so a forged or altered one is
// refused rather than read.
//
// Iterator layout (before base64): 00×7 01 (so it starts "AAAAAAAAAAE",
// like AWS's), version 1, stream id u32, shard u32, next counter u64,
// issue time ms i64, name length u8, name, then 16 bytes of
// HMAC-SHA256 over everything before. At most 306 base64 characters for
// a 128-character stream name: within Kinesis' 512.

// iteratorTTL is how long an iterator stays valid (kinesis.md §3.5).
const iteratorTTL = 300 * time.Second

const macLen = 16

var iteratorMagic = []byte{0, 0, 0, 0, 0, 0, 0, 1, 1}

type iterator struct {
	cur    spool.Cursor
	issued time.Time
}

func (h *Handler) mac(b []byte) []byte {
	m := hmac.New(sha256.New, h.cfg.IteratorKey)
	m.Write(b)
	return m.Sum(nil)[:macLen]
}

func (h *Handler) sealIterator(cur spool.Cursor) string {
	b := append([]byte{}, iteratorMagic...)
	b = binary.BigEndian.AppendUint32(b, cur.StreamID)
	b = binary.BigEndian.AppendUint32(b, cur.Shard)
	b = binary.BigEndian.AppendUint64(b, cur.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(h.cfg.Now().UnixMilli()))
	b = append(b, byte(len(cur.Stream)))
	b = append(b, cur.Stream...)
	b = append(b, h.mac(b)...)
	return base64.StdEncoding.EncodeToString(b)
}

// openIterator checks an iterator's integrity and age.
func (h *Handler) openIterator(s string) (iterator, *apiError) {
	invalid := newError(errInvalidArgument, "Invalid ShardIterator.")
	b, err := base64.StdEncoding.DecodeString(s)
	const fixed = 9 + 4 + 4 + 8 + 8 + 1
	// Only the exact spelling sealIterator produced (base64 decoding
	// would also take line breaks and other padding bits).
	if err != nil || len(b) < fixed+macLen || string(b[:9]) != string(iteratorMagic) || base64.StdEncoding.EncodeToString(b) != s {
		return iterator{}, invalid
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, h.mac(body)) || int(body[fixed-1]) != len(body)-fixed {
		return iterator{}, invalid
	}
	it := iterator{cur: spool.Cursor{
		StreamID: binary.BigEndian.Uint32(body[9:]),
		Shard:    binary.BigEndian.Uint32(body[13:]),
		Seq:      binary.BigEndian.Uint64(body[17:]),
		Stream:   string(body[fixed:]),
	}, issued: time.UnixMilli(int64(binary.BigEndian.Uint64(body[25:])))}
	if now := h.cfg.Now(); now.Sub(it.issued) > iteratorTTL {
		const amz = "Mon Jan 02 15:04:05 UTC 2006"
		return iterator{}, newError(errExpiredIterator, "Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			it.issued.UTC().Format(amz), now.UTC().Format(amz), iteratorTTL.Milliseconds())
	}
	return it, nil
}

// pageToken is the state behind a NextToken.
type pageToken struct {
	Kind   string         `json:"k"`
	Stream string         `json:"s,omitempty"`
	After  string         `json:"a,omitempty"`
	Filter map[string]any `json:"f,omitempty"`
	Issued int64          `json:"t"`
}

// tokenTTL is how long a NextToken stays valid (kinesis.md §2 ListShards).
const tokenTTL = 300 * time.Second

func (h *Handler) sealToken(t pageToken) string {
	t.Issued = h.cfg.Now().UnixMilli()
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(append(b, h.mac(b)...))
}

func (h *Handler) openToken(s, kind string) (pageToken, *apiError) {
	invalid := newError(errInvalidArgument, "Invalid NextToken.")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) <= macLen {
		return pageToken{}, invalid
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	var t pageToken
	if !hmac.Equal(sum, h.mac(body)) || json.Unmarshal(body, &t) != nil || t.Kind != kind {
		return pageToken{}, invalid
	}
	if h.cfg.Now().Sub(time.UnixMilli(t.Issued)) > tokenTTL {
		return pageToken{}, newError(errExpiredNextToken, "The timestamp on the NextToken has expired; tokens are valid for %d seconds.", int(tokenTTL.Seconds()))
	}
	return t, nil
}
