package clips

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// S3Dest uploads to an S3 bucket (any S3-compatible store): the clip as
// Prefix+Key with its content type, a SHA-256 checksum and user metadata
// (x-amz-meta-*): kind; rule, camera, trigger-stream (percent-encoded
// where not printable ASCII, cut to 256 bytes), trigger-seq, trigger-time,
// triggers and last-trigger-seq (when more than one was merged),
// clip-start, clip-end (RFC 3339, UTC, ms); trigger, the record cut to
// MaxS3Trigger and to what S3's 2 KB metadata limit leaves (with
// trigger-truncated: true when cut, and trigger-encoding: base64 when it
// is not printable ASCII); first-fragment and last-fragment for
// recordings. Then a JSON sidecar, Prefix+Key+".json", with all metadata
// and the whole trigger record. The clip goes first, so a sidecar means
// its clip is complete.
//
// Each is one PutObject with a known length, its body read once per
// attempt (the checksum and the signature's payload hash are computed
// while the clip is written, not by the SDK reading it again), so a link
// cap paces the bytes on the wire. Errors S3 calls invalid requests
// (InvalidArgument, EntityTooLarge, KeyTooLongError, MetadataTooLarge,
// InvalidBucketName) are permanent; everything else — access, a missing
// bucket, throttling, 5xx, the network — is retried, so that fixing the
// configuration loses no clip.
type S3Dest struct {
	Client *s3.Client
	Bucket string
	Prefix string // prepended to every key, e.g. "cameras/"
}

// s3Permanent are the S3 error codes retrying cannot fix.
var s3Permanent = map[string]bool{
	"InvalidArgument": true, "EntityTooLarge": true, "KeyTooLongError": true,
	"MetadataTooLarge": true, "InvalidBucketName": true,
}

// Upload implements Destination.
func (d *S3Dest) Upload(ctx context.Context, o *Object) error {
	key := d.Prefix + o.Key
	meta := map[string]string{}
	for _, p := range o.Meta.pairs(MaxS3Trigger, MaxS3Metadata) {
		meta[p.name] = p.value
	}
	sum := base64.StdEncoding.EncodeToString(o.SHA256[:])
	_, err := d.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &d.Bucket, Key: &key, Body: o.body(ctx), ContentLength: aws.Int64(o.Size),
		ContentType: aws.String(o.ContentType), Metadata: meta, ChecksumSHA256: &sum,
	}, payloadHash(hex.EncodeToString(o.SHA256[:])))
	if err != nil {
		return s3Error("put "+key, err)
	}
	side, err := o.sidecar(key)
	if err != nil {
		return fmt.Errorf("%w: sidecar of %s: %v", ErrPermanent, key, err)
	}
	if err := o.Link.Wait(ctx, o.Priority, len(side)); err != nil {
		return err
	}
	sideKey := key + ".json"
	_, err = d.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &d.Bucket, Key: &sideKey, Body: bytes.NewReader(side), ContentLength: aws.Int64(int64(len(side))),
		ContentType: aws.String("application/json"),
	})
	if err != nil {
		return s3Error("put "+sideKey, err)
	}
	return nil
}

func s3Error(what string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && s3Permanent[api.ErrorCode()] {
		return fmt.Errorf("%w: s3 %s: %w", ErrPermanent, what, err)
	}
	return fmt.Errorf("s3 %s: %w", what, err)
}

// payloadHash gives SigV4 the payload's SHA-256, so that the SDK does not
// read the body to compute it (on plain HTTP it would, and the link would
// be charged twice and the wire not paced).
func payloadHash(h string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("clipsPayloadHash",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(v4.SetPayloadHash(ctx, h), in)
				}), middleware.Before)
		})
	}
}
