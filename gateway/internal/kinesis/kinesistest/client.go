// Package kinesistest holds what tests and benchmarks need to drive the
// Kinesis API with the AWS SDK for Go v2.
package kinesistest

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/tributary-edge/tributary/uplink"
)

// OwnBody gives net/http a request body of its own (the SDK's race on
// plain HTTP; see uplink.OwnBody).
type OwnBody = uplink.OwnBody

// NewClient returns an SDK client for the API at base (http://host:port)
// over hc, with static credentials and no retries (tests see every error).
func NewClient(base string, hc *http.Client, creds aws.Credentials) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(base),
		HTTPClient:   OwnBody{Client: hc},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		RetryMaxAttempts: 1,
	})
}
