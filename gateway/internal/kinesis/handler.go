package kinesis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"golang.org/x/sync/semaphore"

	"github.com/tributary-edge/tributary/spool"
)

const (
	contentJSON = "application/x-amz-json-1.1"
	contentCBOR = "application/x-amz-cbor-1.1"
	servicePart = "Kinesis_20131202"
)

// Config configures the API. The zero value (plus a spool) is a local,
// unauthenticated endpoint like kinesalite's.
type Config struct {
	// AccountID is the 12-digit account in ARNs and messages; default
	// 000000000000.
	AccountID string
	// Region is the region in ARNs; default us-east-1. Requests signed for
	// any region are accepted.
	Region string
	// Credentials maps access key ids to secret keys. Empty: signatures are
	// required in form but not verified (as local Kinesis tools do).
	Credentials map[string]string
	// Throughput turns on Kinesis' per-shard limits (kinesis.md §3.8):
	// 1 MiB/s or 1,000 records/s in, 2 MiB/s and 5 GetRecords/s out.
	Throughput bool
	// ShardLimit caps the open shards of all streams together, as the
	// account shard quota; default 500.
	ShardLimit int
	// MaxRecordSize is the spool's limit on data plus partition key;
	// default 1 MiB.
	MaxRecordSize int
	// MaxRequestBytes bounds one request body; larger ones are answered
	// 413 before they are read. Default 16 MiB.
	MaxRequestBytes int64
	// MaxInflightBytes bounds the request bodies held in memory at once
	// across all connections; requests wait for room. Default 32 MiB.
	MaxInflightBytes int64
	// IteratorKey authenticates shard iterators and paging tokens (32
	// bytes). Keep it across restarts so iterators stay valid; nil picks a
	// random one.
	IteratorKey []byte
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives internal errors.
	Logger *slog.Logger
	// Observer, if set, is told about every request and deleted stream
	// (metrics).
	Observer Observer
	// Firehose is the gateway's deliveries for the Firehose API; nil
	// answers every Firehose call with ResourceNotFound.
	Firehose FirehoseControl
}

// Observer receives figures for metrics. Calls must not block.
type Observer interface {
	// Request reports one call: the operation ("unknown" if none was
	// recognised), "ok" or the error type (or the HTTP status of a
	// framing error), and the time to the response (to its end for
	// SubscribeToShard).
	Request(op, result string, d time.Duration)
	// StreamDeleted reports a stream deleted through the API.
	StreamDeleted(name string)
}

// Handler serves the Kinesis Data Streams API (kinesis.md) over a spool.
// It is safe for concurrent use. Close ends open SubscribeToShard streams.
type Handler struct {
	sp   *spool.Spool
	cfg  Config
	auth *authenticator
	log  *slog.Logger

	inflight *semaphore.Weighted
	limits   *limiter
	subs     *subscriptions
	// control serialises the operations that change shard counts, so a
	// quota or ½×–2× check and the change it allows are one step.
	control  sync.Mutex
	scaleLog map[string][]time.Time // UpdateShardCount times per stream (control)

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup // open subscriptions
}

// New returns a handler over sp.
func New(sp *spool.Spool, cfg Config) (*Handler, error) {
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if len(cfg.AccountID) != 12 || strings.Trim(cfg.AccountID, "0123456789") != "" {
		return nil, fmt.Errorf("kinesis: account id %q is not 12 digits", cfg.AccountID)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.ShardLimit <= 0 {
		cfg.ShardLimit = 500
	}
	if cfg.MaxRecordSize <= 0 {
		cfg.MaxRecordSize = 1 << 20
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 16 << 20
	}
	if cfg.MaxInflightBytes < cfg.MaxRequestBytes {
		cfg.MaxInflightBytes = max(32<<20, cfg.MaxRequestBytes)
	}
	if cfg.IteratorKey == nil {
		cfg.IteratorKey = make([]byte, 32)
		rand.Read(cfg.IteratorKey)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{
		sp: sp, cfg: cfg, log: cfg.Logger,
		auth:     &authenticator{secrets: cfg.Credentials, now: cfg.Now},
		inflight: semaphore.NewWeighted(cfg.MaxInflightBytes),
		limits:   newLimiter(cfg.Now),
		subs:     newSubscriptions(),
		scaleLog: map[string][]time.Time{},
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h, nil
}

// Close ends every SubscribeToShard stream and waits for them. Requests
// in progress otherwise finish normally.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// track registers a long-running stream with Close; false once closed.
func (h *Handler) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// request is one decoded API call.
type request struct {
	op   string
	in   map[string]any
	cbor bool
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	// release gives the body's in-flight budget back early (long-running
	// operations call it once the body is decoded).
	release func()
}

type opFunc func(h *Handler, q *request) (any, *apiError)

var operations = map[string]opFunc{
	"AddTagsToStream":               (*Handler).addTags,
	"CreateStream":                  (*Handler).createStream,
	"DecreaseStreamRetentionPeriod": (*Handler).decreaseRetention,
	"DeleteStream":                  (*Handler).deleteStream,
	"DeregisterStreamConsumer":      (*Handler).deregisterConsumer,
	"DescribeLimits":                (*Handler).describeLimits,
	"DescribeStream":                (*Handler).describeStream,
	"DescribeStreamConsumer":        (*Handler).describeConsumer,
	"DescribeStreamSummary":         (*Handler).describeStreamSummary,
	"DisableEnhancedMonitoring":     (*Handler).disableMonitoring,
	"EnableEnhancedMonitoring":      (*Handler).enableMonitoring,
	"GetRecords":                    (*Handler).getRecords,
	"GetShardIterator":              (*Handler).getShardIterator,
	"IncreaseStreamRetentionPeriod": (*Handler).increaseRetention,
	"ListShards":                    (*Handler).listShards,
	"ListStreamConsumers":           (*Handler).listConsumers,
	"ListStreams":                   (*Handler).listStreams,
	"ListTagsForStream":             (*Handler).listTags,
	"MergeShards":                   (*Handler).mergeShards,
	"PutRecord":                     (*Handler).putRecord,
	"PutRecords":                    (*Handler).putRecords,
	"RegisterStreamConsumer":        (*Handler).registerConsumer,
	"RemoveTagsFromStream":          (*Handler).removeTags,
	"SplitShard":                    (*Handler).splitShard,
	"SubscribeToShard":              (*Handler).subscribeToShard,
	"UpdateShardCount":              (*Handler).updateShardCount,
	"UpdateStreamMode":              (*Handler).updateStreamMode,
}

// ServeHTTP answers one API call. The checks run in the order AWS applies
// them (kinesis.md §1.3): method, body, content type, parse, operation,
// signature, member types, constraints, then the operation itself.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Observer == nil {
		h.serve(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h.serve(sw, r)
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if _, ok := opsFor(service)[op]; !ok {
		op = "unknown"
	} else if service == firehoseService {
		op = "Firehose." + op
	}
	result := w.Header().Get("x-amzn-ErrorType")
	switch {
	case result != "":
	case sw.status == 0 || sw.status == http.StatusOK:
		result = "ok"
	default:
		result = strconv.Itoa(sw.status)
	}
	h.cfg.Observer.Request(op, result, time.Since(start))
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush (SubscribeToShard).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("x-amzn-RequestId", newRequestID())
	id2 := make([]byte, 72)
	rand.Read(id2)
	hdr.Set("x-amz-id-2", base64.StdEncoding.EncodeToString(id2))
	if origin := r.Header.Get("Origin"); origin != "" {
		hdr.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			if v := r.Header.Get("Access-Control-Request-Headers"); v != "" {
				hdr.Set("Access-Control-Allow-Headers", v)
			}
			if v := r.Header.Get("Access-Control-Request-Method"); v != "" {
				hdr.Set("Access-Control-Allow-Methods", v)
			}
			hdr.Set("Access-Control-Max-Age", "172800")
			writeRaw(w, http.StatusOK, "", nil)
			return
		}
		hdr.Set("Access-Control-Expose-Headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date")
	}
	if r.ContentLength > h.cfg.MaxRequestBytes {
		// Close rather than drain a body we will not read.
		w.Header().Set("Connection", "close")
		writeRaw(w, http.StatusRequestEntityTooLarge, "", nil)
		return
	}
	body, release, ok := h.readBody(w, r)
	defer release()
	if !ok {
		return
	}

	if r.Method != http.MethodPost {
		writeXMLError(w, http.StatusForbidden, errAccessDenied, "Unable to determine service/operation name to be authorized")
		return
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	contentValid := ctype == contentJSON || ctype == contentCBOR || ctype == "application/json"
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if i := strings.IndexByte(op, '.'); i >= 0 {
		op = op[:i]
	}
	ops, opSchemas := opsFor(service), schemas
	if service == firehoseService {
		opSchemas = firehoseSchemas
	}
	_, opValid := ops[op]
	targetValid := opValid
	isCBOR := ctype != contentJSON
	if len(body) == 0 {
		typ := errUnknownOperation
		if targetValid {
			typ = errSerialization
		}
		h.writeError(w, isCBOR, &apiError{Type: typ})
		return
	}
	if !contentValid {
		if service == "" || op == "" {
			writeXMLError(w, http.StatusForbidden, errAccessDenied, "Unable to determine service/operation name to be authorized")
			return
		}
		writeRaw(w, http.StatusNotFound, "", []byte("<UnknownOperationException/>\n"))
		return
	}
	// A well-formed JSON PutRecords is decoded straight into records
	// (fastpath.go); everything else takes the generic tree.
	var fastIn map[string]any
	var fastRecs []spool.Record
	fast := false
	if ctype == contentJSON && targetValid && op == "PutRecords" {
		fastIn, fastRecs, fast = decodeFastPutRecords(body)
	}
	var in map[string]any
	var aerr *apiError
	if !fast {
		in, aerr = decodeBody(body, ctype == contentCBOR)
	}
	if ctype == "application/json" {
		// Coral's plain-JSON front end never gets as far as an operation.
		typ, status := "UnknownOperationException", http.StatusNotFound
		if aerr != nil {
			typ, status = "SerializationException", http.StatusBadRequest
		}
		b, _ := json.Marshal(map[string]any{"Output": map[string]string{"__type": "com.amazon.coral.service#" + typ}, "Version": "1.0"})
		writeRaw(w, status, "application/json", b)
		return
	}
	if aerr != nil {
		h.writeError(w, isCBOR, aerr)
		return
	}
	if !targetValid {
		h.writeError(w, isCBOR, &apiError{Type: errUnknownOperation})
		return
	}
	if _, err := h.auth.check(r, body); err != nil {
		h.writeError(w, isCBOR, err)
		return
	}
	if fast {
		q := &request{op: op, in: fastIn, w: w, r: r, ctx: r.Context()}
		out, aerr := h.putFast(q, fastRecs)
		if aerr != nil {
			h.writeError(w, false, aerr)
			return
		}
		h.writeResult(w, false, out)
		return
	}
	schema := opSchemas[op]
	if in, aerr = normalize(in, schema); aerr != nil {
		h.writeError(w, isCBOR, aerr)
		return
	}
	if aerr = validate(in, schema); aerr != nil {
		h.writeError(w, isCBOR, aerr)
		return
	}
	q := &request{op: op, in: in, cbor: isCBOR, w: w, r: r, ctx: r.Context(), release: release}
	out, aerr := ops[op](h, q)
	switch {
	case aerr != nil:
		h.writeError(w, isCBOR, aerr)
	case out == streamed:
	default:
		h.writeResult(w, isCBOR, out)
	}
}

// opsFor returns the operations of a target's service (none if unknown).
func opsFor(service string) map[string]opFunc {
	switch service {
	case servicePart:
		return operations
	case firehoseService:
		return firehoseOps
	}
	return nil
}

// streamed is returned by operations that wrote their own response.
var streamed = &struct{ streamed bool }{}

// Request bodies are read in chunks, each taken from the in-flight budget
// before it is read, so a client holds only what it has actually sent
// (a stalled body cannot reserve its whole Content-Length), and the budget
// is kept until the answer is written. A body must arrive within
// bodyReadTimeout.
const (
	bodyChunk       = 64 << 10
	bodyReadTimeout = time.Minute
)

// readBody reads the request body. release gives its budget back (call it
// once the request no longer needs the body; it may be called again).
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), ok bool) {
	var held int64
	release = func() {
		if held > 0 {
			h.inflight.Release(held)
			held = 0
		}
	}
	if r.ContentLength == 0 {
		return nil, release, true
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	defer rc.SetReadDeadline(time.Time{})
	src := http.MaxBytesReader(w, r.Body, h.cfg.MaxRequestBytes)
	for {
		if err := h.inflight.Acquire(r.Context(), bodyChunk); err != nil {
			release()
			return nil, release, false
		}
		held += bodyChunk
		body = slices.Grow(body, bodyChunk)
		n, err := io.ReadFull(src, body[len(body):len(body)+bodyChunk])
		body = body[:len(body)+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return body, release, true
		}
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			release()
			writeRaw(w, http.StatusRequestEntityTooLarge, "", nil)
			return nil, release, false
		case err != nil:
			release()
			return nil, release, false // the client went away or stalled
		}
	}
}

func (h *Handler) writeResult(w http.ResponseWriter, isCBOR bool, out any) {
	ctype := contentJSON
	if isCBOR {
		ctype = contentCBOR
	}
	if out == nil { // void operation
		writeRaw(w, http.StatusOK, ctype, nil)
		return
	}
	b, err := encode(out, isCBOR)
	if err != nil {
		h.log.Error("kinesis: encoding a response", "err", err)
		h.writeError(w, isCBOR, internalError("Internal Service Failure"))
		return
	}
	writeRaw(w, http.StatusOK, ctype, b)
}

func (h *Handler) writeError(w http.ResponseWriter, isCBOR bool, e *apiError) {
	ctype := contentJSON
	if isCBOR {
		ctype = contentCBOR
	}
	body := map[string]string{"__type": e.Type}
	if e.Message != "" {
		if e.capitalMessage {
			body["Message"] = e.Message
		} else {
			body["message"] = e.Message
		}
	}
	b, _ := encode(body, isCBOR)
	w.Header().Set("x-amzn-ErrorType", e.Type)
	writeRaw(w, e.status(), ctype, b)
}

func encode(v any, isCBOR bool) ([]byte, error) {
	if isCBOR {
		return cborEnc.Marshal(v)
	}
	if a, ok := v.(jsonAppender); ok {
		return a.appendJSON(make([]byte, 0, 4096)), nil
	}
	return json.Marshal(v)
}

var cborEnc = func() cbor.EncMode {
	em, err := cbor.EncOptions{Time: cbor.TimeUnixMicro, TimeTag: cbor.EncTagRequired}.EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

func writeRaw(w http.ResponseWriter, status int, ctype string, body []byte) {
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	} else {
		w.Header()["Content-Type"] = nil // no sniffed type: AWS sends none here
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeXMLError(w http.ResponseWriter, status int, typ, msg string) {
	writeRaw(w, status, "", []byte("<"+typ+">\n  <Message>"+msg+"</Message>\n</"+typ+">\n"))
}

// newRequestID returns a random UUID (version 4).
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// timestamp is an instant on the wire: epoch seconds with a millisecond
// fraction in JSON (never exponent form, kinesis.md §1.1), CBOR tag 1
// with integer milliseconds (§1.2).
type timestamp time.Time

func ts(t time.Time) *timestamp { v := timestamp(t); return &v }

// MarshalJSON writes epoch seconds with three decimals.
func (t timestamp) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	return fmt.Appendf(nil, "%s%d.%03d", sign, ms/1000, ms%1000), nil
}

// MarshalCBOR writes tag 1 with integer epoch milliseconds, as the Java
// SDK reads it.
func (t timestamp) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: time.Time(t).UnixMilli()})
}
