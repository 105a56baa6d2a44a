package clips

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/uplink"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
)

// Spool is what clips uses of the spool (*spool.Spool implements it): the
// trigger stream, checkpoints, and state kept beside them.
type Spool interface {
	DescribeStream(name string) (spool.StreamInfo, error)
	Seek(stream, shardID string, pos spool.StartPosition) (spool.Cursor, error)
	Read(cur spool.Cursor, lim spool.ReadLimits) (spool.ReadResult, error)
	Wait(ctx context.Context, cur spool.Cursor) error
	GetCheckpoint(consumer, stream, shardID string) (seq string, ok bool, err error)
	GetState(owner, key string) (val []byte, ok bool, err error)
	CommitState(ctx context.Context, stream string, recs []spool.Record, cps []spool.Checkpoint, state []spool.State) ([]spool.PutResult, error)
}

// Store is what clips uses of the fragment store (*store.Store implements
// it).
type Store interface {
	List(stream string, from, to time.Time, limit int) ([]store.Info, error)
	Range(ctx context.Context, stream string, from, to time.Time, fn func(*media.Fragment) error) error
	Get(stream string, number uint64) (*media.Fragment, error)
	Last(stream string) (store.Info, error)
	DeleteRange(stream string, from, to time.Time) (int, error)
}

var (
	_ Spool       = (*spool.Spool)(nil)
	_ Store       = (*store.Store)(nil)
	_ Destination = (*S3Dest)(nil)
	_ Destination = (*HTTPDest)(nil)
)

// Defaults of Options.
const (
	DefaultMaxClipBytes = 100 << 20 // KVS GetClip's cap
	DefaultPoll         = time.Second
	DefaultQuiet        = 15 * time.Second
)

// DefaultBackoff is the retry schedule of uploads: 1 s doubling to 2 min,
// ±15 %.
var DefaultBackoff = uplink.Backoff{Min: time.Second, Max: 2 * time.Minute, Jitter: 0.15}

// Options are what workers and schedulers share: where video and triggers
// come from, the link uploads go through, and tuning. Zero values mean the
// defaults.
type Options struct {
	Spool Spool // required: triggers, checkpoints and their state
	Store Store // required: the cameras' fragments

	// Link caps upload bandwidth (nil: no cap). Priority orders this
	// uploader's bytes on it (higher first; a delivery of priority p
	// sends at 2p and 2p+1): give event clips a higher priority than
	// scheduled recording.
	Link     *uplink.Link
	Priority int

	// TempDir holds clips while they upload (one file per uploader, at
	// most MaxClipBytes plus container overhead, named clip-<rule>-* or
	// recording-<schedule>-*; Start removes its own left over by a
	// crash); default os.TempDir(). On a Pi, point it at the data disk
	// rather than a RAM-backed /tmp.
	TempDir string
	// MaxClipBytes caps the fragment payload of one clip (default 100
	// MiB). The fragments of a clip are held in memory while its file is
	// written, so this is also the memory one uploader may use.
	MaxClipBytes int64

	Backoff uplink.Backoff // upload retries; default DefaultBackoff

	// Poll is how often a worker waiting for a clip's video looks at the
	// store and the trigger stream (default 1 s). Quiet is how long past
	// a clip's end a worker waits for video that has not come (the camera
	// is off or stalled) before cutting what there is (default 15 s; keep
	// it above the cameras' keyframe interval plus ingest delay, since a
	// fragment is stored when the next keyframe closes it).
	// MaxWait bounds the wait from the moment a clip's end was last set
	// (a trigger time far in the future); default Post + Quiet + 1 min.
	Poll    time.Duration
	Quiet   time.Duration
	MaxWait time.Duration

	Clock  Clock        // default SystemClock()
	Logger *slog.Logger // default slog.Default()
}

func (o *Options) setDefaults() {
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.MaxClipBytes <= 0 {
		o.MaxClipBytes = DefaultMaxClipBytes
	}
	if o.Backoff.Min <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Quiet <= 0 {
		o.Quiet = DefaultQuiet
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func (o *Options) validate() error {
	if o.Store == nil || o.Spool == nil {
		return fmt.Errorf("%w: Options.Store and Options.Spool are required", ErrInvalid)
	}
	return nil
}

// namePattern is what rule and schedule names may be: they appear in
// object keys, consumer names and headers unescaped.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidateName reports whether s can name a rule or a schedule: 1–64
// characters of A–Z, a–z, 0–9, '.', '_' and '-'.
func ValidateName(s string) error {
	if !namePattern.MatchString(s) {
		return fmt.Errorf("%w: name %q (want 1–64 of A-Z a-z 0-9 . _ -)", ErrInvalid, s)
	}
	return nil
}

// sleep waits d on the clock, or until ctx ends (then it returns ctx.Err()).
func sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.After(d):
		return nil
	}
}
