package uplink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Sink writes each batch as one object to any S3-compatible store, named
// as Firehose names them (kinesis.md §4):
//
//	<evaluated Prefix><delivery>-1-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><ext>
//
// where the time is the arrival of the batch's oldest record (UTC) and the
// uuid comes from the batch identity, so a resent batch overwrites its
// object instead of adding a duplicate. Objects up to PartSize are one
// PutObject; larger ones a multipart upload of PartSize parts, so memory
// holds one part, never the batch (and, for parquet, one row group).
// Records the format refuses are written as Firehose error records under
// ErrorPrefix (error type format-conversion-failed); a parquet batch
// without a schema and without a JSON object to infer one from writes
// only those.
type S3Sink struct {
	Client        *s3.Client
	Bucket        string
	Prefix        string // default "!{timestamp:yyyy/MM/dd/HH/}"
	ErrorPrefix   string // default Prefix + "!{firehose:error-output-type}/"
	Format        Format
	FormatOptions FormatOptions // csv and parquet: columns, header, row groups
	Compression   Compression
	PartSize      int64 // default (and minimum) 5 MiB

	parts sync.Pool // part buffers of PartSize, reused across batches
}

const minPartSize = 5 << 20

// ObjectKey is the object a batch is written to.
func (s *S3Sink) ObjectKey(b *Batch) (string, error) {
	prefix, err := evalPrefix(s.prefix(), b, "")
	if err != nil {
		return "", err
	}
	t := b.Oldest.UTC()
	return fmt.Sprintf("%s%s-1-%s-%s%s", prefix, b.Delivery, t.Format("2006-01-02-15-04-05"), batchUUID(b, "object"), Extension(s.Format, s.Compression)), nil
}

func (s *S3Sink) prefix() string {
	p := s.Prefix
	if p == "" {
		return "!{timestamp:yyyy/MM/dd/HH/}"
	}
	if !strings.Contains(p, "!{timestamp:") {
		p += "!{timestamp:yyyy/MM/dd/HH/}" // Firehose appends one
	}
	return p
}

func batchUUID(b *Batch, salt string) string {
	h := sha256.Sum256([]byte(salt + "\x00" + b.ID()))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// Send implements Sink.
func (s *S3Sink) Send(ctx context.Context, b *Batch) error {
	key, err := s.ObjectKey(b)
	if err != nil {
		return err
	}
	part := max(s.PartSize, minPartSize)
	up := &s3Upload{ctx: ctx, sink: s, key: key, part: part, buf: s.partBuffer(part)}
	defer s.parts.Put(up.buf)
	enc, err := newEncoder(up, s.Format, s.Compression, s.FormatOptions)
	if err != nil {
		return err
	}
	if err := b.Each(ctx, enc.write); err != nil {
		up.abort()
		return err
	}
	if err := enc.close(); err != nil {
		up.abort()
		return err
	}
	if !enc.hasObject() {
		up.abort()
	} else if err := up.finish(); err != nil {
		return err
	}
	if len(enc.rejected) > 0 {
		return s.writeErrors(ctx, b, enc)
	}
	return nil
}

// partBuffer returns an empty buffer of a part's size: allocated once at
// that size and reused, not grown by doubling for every batch (which left
// ~2 parts of garbage per sending shard behind each batch).
func (s *S3Sink) partBuffer(part int64) *bytes.Buffer {
	if b, ok := s.parts.Get().(*bytes.Buffer); ok && int64(b.Cap()) >= part {
		b.Reset()
		return b
	}
	return bytes.NewBuffer(make([]byte, 0, part))
}

// s3Upload is an io.Writer that uploads what it is given: one PutObject
// if it all fits in a part, else a multipart upload.
type s3Upload struct {
	ctx      context.Context
	sink     *S3Sink
	key      string
	part     int64
	buf      *bytes.Buffer // one part, allocated once at its full size
	uploadID *string
	parts    []types.CompletedPart
}

func (u *s3Upload) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := int(u.part) - u.buf.Len()
		take := min(room, len(p))
		u.buf.Write(p[:take])
		p = p[take:]
		if int64(u.buf.Len()) == u.part {
			if err := u.flushPart(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (u *s3Upload) flushPart() error {
	c := u.sink.Client
	if u.uploadID == nil {
		out, err := c.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{Bucket: &u.sink.Bucket, Key: &u.key})
		if err != nil {
			return fmt.Errorf("s3: create multipart upload of %s: %w", u.key, err)
		}
		u.uploadID = out.UploadId
	}
	num := int32(len(u.parts) + 1)
	out, err := c.UploadPart(u.ctx, &s3.UploadPartInput{Bucket: &u.sink.Bucket, Key: &u.key, UploadId: u.uploadID,
		PartNumber: &num, Body: bytes.NewReader(u.buf.Bytes()), ContentLength: aws.Int64(int64(u.buf.Len()))})
	if err != nil {
		return fmt.Errorf("s3: upload part %d of %s: %w", num, u.key, err)
	}
	u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: &num})
	u.buf.Reset()
	return nil
}

func (u *s3Upload) finish() error {
	c := u.sink.Client
	if u.uploadID == nil {
		_, err := c.PutObject(u.ctx, &s3.PutObjectInput{Bucket: &u.sink.Bucket, Key: &u.key,
			Body: bytes.NewReader(u.buf.Bytes()), ContentLength: aws.Int64(int64(u.buf.Len()))})
		if err != nil {
			return fmt.Errorf("s3: put %s: %w", u.key, err)
		}
		return nil
	}
	if u.buf.Len() > 0 {
		if err := u.flushPart(); err != nil {
			u.abort()
			return err
		}
	}
	_, err := c.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{Bucket: &u.sink.Bucket, Key: &u.key,
		UploadId: u.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}})
	if err != nil {
		u.abort()
		return fmt.Errorf("s3: complete upload of %s: %w", u.key, err)
	}
	return nil
}

// abort gives up a multipart upload (best effort: the batch is retried).
func (u *s3Upload) abort() {
	if u.uploadID != nil {
		u.sink.Client.AbortMultipartUpload(context.WithoutCancel(u.ctx), &s3.AbortMultipartUploadInput{Bucket: &u.sink.Bucket, Key: &u.key, UploadId: u.uploadID})
		u.uploadID = nil
	}
}

// writeErrors writes the records the format refused as Firehose error
// records (one JSON object per line) under the error prefix.
func (s *S3Sink) writeErrors(ctx context.Context, b *Batch, enc *encoder) error {
	ep := s.ErrorPrefix
	if ep == "" {
		ep = s.prefix() + "!{firehose:error-output-type}/"
	}
	prefix, err := evalPrefix(ep, b, "format-conversion-failed")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, r := range enc.rejected {
		json.NewEncoder(&buf).Encode(map[string]any{
			"attemptsMade": 1, "arrivalTimestamp": r.Record.Arrival.UnixMilli(),
			"errorCode": "DataFormatConversion.MalformedData", "errorMessage": r.Reason,
			"rawData": r.Record.Data, "sequenceNumber": r.Record.SequenceNumber(), "partitionKey": r.Record.PartitionKey,
		})
	}
	if enc.dropped > 0 {
		json.NewEncoder(&buf).Encode(map[string]any{"errorCode": "DataFormatConversion.MalformedData",
			"errorMessage": fmt.Sprintf("%d more records of batch %s were refused; not listed", enc.dropped, b.ID())})
	}
	t := b.Oldest.UTC()
	key := fmt.Sprintf("%s%s-1-%s-%s", prefix, b.Delivery, t.Format("2006-01-02-15-04-05"), batchUUID(b, "errors"))
	_, err = s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key,
		Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(int64(buf.Len()))})
	if err != nil {
		return fmt.Errorf("s3: put error records %s: %w", key, err)
	}
	return nil
}

// CheckPrefix reports whether a prefix (or, with errorPrefix, an error
// output prefix) has only expressions the S3 destination evaluates, and
// stays within Firehose's 512 characters once evaluated.
func CheckPrefix(p string, errorPrefix bool) error {
	b := &Batch{Delivery: "d", Stream: "s", ShardID: "shardId-000000000000", Oldest: time.Now()}
	errType := ""
	if errorPrefix {
		if !strings.Contains(p, "!{firehose:error-output-type}") {
			return fmt.Errorf("must contain !{firehose:error-output-type}")
		}
		errType = "format-conversion-failed"
	}
	out, err := evalPrefix(p, b, errType)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), ErrPermanent.Error()+": "))
	}
	if len(out) > 512 {
		return fmt.Errorf("is %d characters once evaluated; at most 512", len(out))
	}
	return nil
}

// evalPrefix evaluates Firehose prefix expressions: !{timestamp:<Java
// DateTimeFormatter pattern>} over the batch's oldest arrival (UTC),
// !{firehose:error-output-type}, and !{firehose:random-string} (11
// characters, derived from the batch identity so a resend writes the same
// key).
func evalPrefix(p string, b *Batch, errorType string) (string, error) {
	var out strings.Builder
	n := 0
	for {
		i := strings.Index(p, "!{")
		if i < 0 {
			out.WriteString(p)
			break
		}
		out.WriteString(p[:i])
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%w: prefix %q: unclosed !{", ErrPermanent, p)
		}
		expr := p[i+2 : i+j]
		p = p[i+j+1:]
		switch {
		case strings.HasPrefix(expr, "timestamp:"):
			out.WriteString(javaTime(strings.TrimPrefix(expr, "timestamp:"), b.Oldest.UTC()))
		case expr == "firehose:error-output-type" && errorType != "":
			out.WriteString(errorType)
		case expr == "firehose:random-string":
			n++
			out.WriteString(strings.ReplaceAll(batchUUID(b, fmt.Sprint("random", n)), "-", "")[:11])
		default:
			return "", fmt.Errorf("%w: expression !{%s} is not supported here (!{timestamp:…}, !{firehose:random-string}, and !{firehose:error-output-type} in an error prefix)", ErrPermanent, expr)
		}
	}
	return out.String(), nil
}

// javaTime formats t with a java.time DateTimeFormatter pattern's common
// letters (yyyy yy YYYY MM dd HH mm ss SSS) and 'quoted' literals.
func javaTime(pattern string, t time.Time) string {
	var out strings.Builder
	for len(pattern) > 0 {
		c := pattern[0]
		if c == '\'' {
			end := strings.IndexByte(pattern[1:], '\'')
			if end < 0 {
				out.WriteString(pattern[1:])
				break
			}
			out.WriteString(pattern[1 : 1+end])
			pattern = pattern[end+2:]
			continue
		}
		run := 1
		for run < len(pattern) && pattern[run] == c {
			run++
		}
		switch {
		case (c == 'y' || c == 'Y' || c == 'u') && run == 2:
			fmt.Fprintf(&out, "%02d", t.Year()%100)
		case c == 'y' || c == 'Y' || c == 'u':
			fmt.Fprintf(&out, "%04d", t.Year())
		case c == 'M':
			fmt.Fprintf(&out, "%02d", int(t.Month()))
		case c == 'd':
			fmt.Fprintf(&out, "%02d", t.Day())
		case c == 'H':
			fmt.Fprintf(&out, "%02d", t.Hour())
		case c == 'm':
			fmt.Fprintf(&out, "%02d", t.Minute())
		case c == 's':
			fmt.Fprintf(&out, "%02d", t.Second())
		case c == 'S':
			fmt.Fprintf(&out, "%03d", t.Nanosecond()/1e6)
		default:
			out.WriteString(pattern[:run])
		}
		pattern = pattern[run:]
	}
	return out.String()
}

var _ io.Writer = (*s3Upload)(nil)
