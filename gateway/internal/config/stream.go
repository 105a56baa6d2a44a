package config

import "time"

// Stream is a stream to create at start-up. Fields a file leaves out take
// the per-stream defaults: 4 shards, 24h retention, no size cap, reject_new.
type Stream struct {
	// Name is 1..128 characters of [a-zA-Z0-9_.-], unique, and not the
	// dead-letter stream's name.
	Name string `yaml:"name"`
	// Shards is the shard count, 1..1024.
	Shards int `yaml:"shards"`
	// Retention is how long records are kept, 1m..8760h.
	Retention Duration `yaml:"retention"`
	// MaxBytes caps the stream's stored size; 0 means unlimited.
	MaxBytes ByteSize `yaml:"max_bytes"`
	// WhenFull is what an append does when MaxBytes is reached:
	// reject_new (fail the append) or drop_oldest (delete oldest records).
	WhenFull string `yaml:"when_full"`
}

func defaultStream(name string) Stream {
	var s Stream
	s.setDefaults()
	s.Name = name
	return s
}

// setDefaults fills in the per-stream defaults; the decoder calls it for
// each list element before decoding the element over it.
func (s *Stream) setDefaults() {
	*s = Stream{
		Shards:    4,
		Retention: Duration(24 * time.Hour),
		WhenFull:  "reject_new",
	}
}
