package clips

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// base is the tests' time zero: fragment i of a camera starts at
// base + 2i s, and the fake clock starts later.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a Clock (and a spool.Clock) that moves only when told to,
// or, in auto mode, by as much as anyone waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	start  time.Time
	auto   bool
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now, start: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Wall and Elapsed make it a spool.Clock, so arrival times are fake too.
func (c *fakeClock) Wall() time.Time { return c.Now() }

func (c *fakeClock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Sub(c.start)
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.auto && d > 0 {
		c.now = c.now.Add(d)
	}
	if d <= 0 || c.auto {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// Set moves the clock to t (forwards).
func (c *fakeClock) Set(t time.Time) { c.Advance(t.Sub(c.Now())) }

func (c *fakeClock) waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// awaitTimer waits until someone waits on the clock.
func awaitTimer(t testing.TB, c *fakeClock) {
	t.Helper()
	mqtttest.Eventually(t, 30*time.Second, "a timer on the fake clock", func() bool { return c.waiters() > 0 })
}

// Fragments.

const (
	fragDur    = 2 * time.Second
	fragFrames = 50 // 2 s at 25 fps: two GOPs of the test clip
)

var (
	clipOnce sync.Once
	clipAUs  [][]byte
	clipKey  []bool
)

// h264Fragment is fragment i of a camera: 50 access units of the
// whiptest clip (75 units, IDR every 25, looped), starting at an IDR, PTS
// continuing from fragment i-1, server time base + 2i s.
func h264Fragment(i int) *media.Fragment {
	clipOnce.Do(func() {
		clipAUs = whiptest.Clip()
		for _, au := range clipAUs {
			clipKey = append(clipKey, whiptest.IsH264Keyframe(au))
		}
	})
	at := fragAt(i)
	f := &media.Fragment{ServerTime: at, ProducerTime: at, Duration: fragDur, Tracks: []media.Track{{Codec: media.CodecH264}}}
	for j := range fragFrames {
		k := i*fragFrames + j
		au := k % len(clipAUs)
		f.Frames = append(f.Frames, media.Frame{PTS: int64(k) * 3600, Keyframe: clipKey[au], Data: clipAUs[au]})
	}
	return f
}

func fragAt(i int) time.Time { return base.Add(time.Duration(i) * fragDur) }

// vp8Fragment is fragment i of a VP8 camera: the 50 frames of
// testdata/clip.ivf (key frames every 25).
func vp8Fragment(t testing.TB, i int) *media.Fragment {
	b, err := os.ReadFile(filepath.Join("testdata", "clip.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	b = b[binary.LittleEndian.Uint16(b[6:]):]
	at := fragAt(i)
	f := &media.Fragment{ServerTime: at, ProducerTime: at, Duration: fragDur, Tracks: []media.Track{{Codec: media.CodecVP8}}}
	for k := 0; len(b) >= 12; k++ {
		n := int(binary.LittleEndian.Uint32(b))
		frame := b[12 : 12+n]
		b = b[12+n:]
		f.Frames = append(f.Frames, media.Frame{PTS: int64(i*fragFrames+k) * 3600, Keyframe: frame[0]&1 == 0, Data: frame})
	}
	return f
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.DurabilityNone, MinFreeDisk: -1,
		GCInterval: -1, TrimMappedInterval: -1, ValueLogFileSize: 32 << 20, MaxFragmentSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// putFrags stores fragments [from, to) of camera (H.264).
func putFrags(t testing.TB, s *store.Store, camera string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Put(camera, h264Fragment(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func openSpool(t testing.TB, c spool.Clock) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), MinFreeDisk: -1, GCInterval: -1, Durability: spool.DurabilityNone,
		TrimMappedInterval: -1, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

// appendTrigger appends a trigger record and returns its sequence number.
func appendTrigger(t testing.TB, sp *spool.Spool, stream string, data string) string {
	t.Helper()
	res, err := sp.Append(context.Background(), stream, []spool.Record{{PartitionKey: "k", Data: []byte(data)}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	return res[0].SequenceNumber()
}

// tsTrigger is a trigger record whose "ts" is at.
func tsTrigger(at time.Time) string {
	return fmt.Sprintf(`{"kind":"motion","ts":%q}`, at.Format(time.RFC3339Nano))
}

// S3.

// fakeS3 is an in-process S3 server on loopback with one bucket "clips".
type fakeS3 struct {
	client *s3.Client
	puts   sync.Map // key → *atomic.Int64: PUTs received
}

func startS3(t testing.TB) *fakeS3 {
	t.Helper()
	f := &fakeS3{}
	fake := gofakes3.New(s3mem.New()).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			n, _ := f.puts.LoadOrStore(r.URL.Path, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.client = s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("clips")}); err != nil {
		t.Fatal(err)
	}
	return f
}

// putCount is how many PUTs key received.
func (f *fakeS3) putCount(key string) int64 {
	n, ok := f.puts.Load("/clips/" + key)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// keys lists the bucket, sorted.
func (f *fakeS3) keys(t testing.TB) []string {
	t.Helper()
	out, err := f.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("clips")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	sort.Strings(keys)
	return keys
}

// get returns an object's body and its GetObject output.
func (f *fakeS3) get(t testing.TB, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := f.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("clips"), Key: &key})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return b, out
}

// HTTP.

// request is one POST an httpSink received.
type request struct {
	header http.Header
	body   []byte
}

// httpSink is an HTTP endpoint on loopback that stores what it is sent.
// It answers fail (if set) to the first failN requests, or to all with
// failN < 0, else 200.
type httpSink struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []request
	fail  int
	failN int
}

func startHTTP(t testing.TB, fail, failN int) *httpSink {
	t.Helper()
	h := &httpSink{fail: fail, failN: failN}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.reqs = append(h.reqs, request{r.Header.Clone(), body})
		n := len(h.reqs)
		fail := h.fail != 0 && (h.failN < 0 || n <= h.failN)
		h.mu.Unlock()
		if fail {
			http.Error(w, "refused by test", h.fail)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *httpSink) requests() []request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]request(nil), h.reqs...)
}

func (h *httpSink) setFail(code, n int) {
	h.mu.Lock()
	h.fail, h.failN = code, n
	h.mu.Unlock()
}

// ffprobe.

// needTool returns the path of an external tool. It skips the test when
// the tool is missing, unless CI is set: there a missing tool fails it.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// probe runs ffprobe on a clip and returns its video codec and the number
// of frames ffprobe decoded.
func probe(t testing.TB, clip []byte) (codec string, frames int) {
	t.Helper()
	return ffprobe(t, clip, "-count_frames", "nb_read_frames")
}

// probePackets is probe counting packets, without decoding (for long
// clips).
func probePackets(t testing.TB, clip []byte) (codec string, packets int) {
	t.Helper()
	return ffprobe(t, clip, "-count_packets", "nb_read_packets")
}

func ffprobe(t testing.TB, clip []byte, count, field string) (codec string, n int) {
	t.Helper()
	tool := needTool(t, "ffprobe")
	path := filepath.Join(t.TempDir(), "clip")
	if err := os.WriteFile(path, clip, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-v", "error", count, "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,"+field, "-of", "json", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	var v struct {
		Streams []map[string]any `json:"streams"`
	}
	if err := json.Unmarshal(out, &v); err != nil || len(v.Streams) != 1 {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	codec, _ = v.Streams[0]["codec_name"].(string)
	fmt.Sscan(fmt.Sprint(v.Streams[0][field]), &n)
	return codec, n
}

// env is a store, a spool with a one-shard trigger stream "motion", and
// a fake clock an hour after base.
type env struct {
	clock *fakeClock
	video *store.Store
	log   *spool.Spool
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{clock: newFakeClock(base.Add(time.Hour)), video: openStore(t)}
	e.log = openSpool(t, e.clock)
	if err := e.log.CreateStream(spool.StreamConfig{Name: "motion", Shards: 1}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) options(t testing.TB) Options {
	return Options{Spool: e.log, Store: e.video, Clock: e.clock, TempDir: t.TempDir(),
		Backoff: DefaultBackoff, Logger: testLogger(t)}
}

func (e *env) checkpoint(t testing.TB, rule string) string {
	t.Helper()
	seq, _, err := e.log.GetCheckpoint(ConsumerName(rule), "motion", "shardId-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// startWorker starts a worker and closes it at the end of the test.
func startWorker(t testing.TB, r Rule, opts Options) *Worker {
	t.Helper()
	w, err := NewWorker(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
