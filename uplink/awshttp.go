package uplink

import (
	"bytes"
	"io"
	"net/http"
)

// OwnBody gives net/http a request body of its own, for the AWS SDK's
// clients (kinesis, firehose). The Go SDK (smithy-go v1.28) closes the
// body it handed to net/http as soon as the response headers arrive, and
// its closed body answers WriteTo with io.EOF; when a server answers
// before net/http has finished writing the request (a gateway on the same
// host or LAN often does), net/http takes that EOF for a write error and
// closes the connection under the response still being read ("use of
// closed network connection"). For a PutRecords that the server stored,
// that error means a resend and duplicates. docs/kinesis.md tells users
// the same.
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
