// Package kinesistest holds what tests and benchmarks need to drive the
// Kinesis API with the AWS SDK for Go v2.
package kinesistest

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// OwnBody gives net/http a request body of its own. The Go SDK
// (smithy-go v1.28) closes the body it handed to net/http as soon as the
// response headers arrive, and its closed body answers WriteTo with
// io.EOF; when a server answers before net/http has finished writing the
// request (as on loopback), net/http takes that EOF for a write error and
// closes the connection under the response still being read ("use of
// closed network connection"). docs/kinesis.md tells users the same.
type OwnBody struct{ Client *http.Client }

// Do implements the SDK's HTTPClient.
func (o OwnBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return o.Client.Do(r)
}

// NewClient returns an SDK client for the API at base (http://host:port)
// over hc, with static credentials and no retries (tests see every error).
func NewClient(base string, hc *http.Client, creds aws.Credentials) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(base),
		HTTPClient:   OwnBody{hc},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		RetryMaxAttempts: 1,
	})
}
