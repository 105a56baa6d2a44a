package kinesis

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
)

var (
	sigNow   = time.Date(2024, 5, 17, 12, 0, 0, 0, time.UTC)
	sigCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	// sigSecrets is what the gateway is configured with.
	sigSecrets = map[string]string{"AKIDEXAMPLE": sigCreds.SecretAccessKey, "OTHERKEY": "other-secret"}
)

const (
	sigBody     = `{"StreamName":"s1","Data":"aGVsbG8=","PartitionKey":"pk"}`
	sigMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func sigSHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sigRequest is a request as a Kinesis client builds it before signing.
func sigRequest(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecord")
	return req
}

// sigSigned signs req with the AWS SDK signer as creds at time at for service,
// and returns it as the server sees it.
func sigSigned(t *testing.T, req *http.Request, body string, creds aws.Credentials, service string, at time.Time) (*http.Request, []byte) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sigSHA256Hex(body), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return sigOnWire(t, req)
}

// sigOnWire writes req in HTTP/1.1 wire format and parses it back as net/http's
// server does, so Host and Content-Length move out of the header map.
func sigOnWire(t *testing.T, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

// sigRaw builds an unsigned server-side request with the given headers.
func sigRaw(target string, header ...string) func(*testing.T) (*http.Request, []byte) {
	return func(*testing.T) (*http.Request, []byte) {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(sigBody))
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Add(header[i], header[i+1])
		}
		return r, []byte(sigBody)
	}
}

func TestAuthenticatorCheck(t *testing.T) {
	const url = "http://kinesis.local:4567/"
	// std signs a standard PutRecord request at sigNow+skew with creds.
	std := func(creds aws.Credentials, skew time.Duration) func(*testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			return sigSigned(t, sigRequest(t, url, sigBody), sigBody, creds, "kinesis", sigNow.Add(skew))
		}
	}
	validAuth := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)

	tests := []struct {
		name     string
		req      func(*testing.T) (*http.Request, []byte)
		noAuth   bool // verify signatures (false) or run kinesalite-style (true)
		wantAKID string
		wantType string // "" = accepted
		wantMsg  string
	}{
		{name: "valid", req: std(sigCreds, 0), wantAKID: "AKIDEXAMPLE"},
		{name: "valid other key", req: std(aws.Credentials{AccessKeyID: "OTHERKEY", SecretAccessKey: "other-secret"}, 0), wantAKID: "OTHERKEY"},
		{name: "valid firehose scope", req: func(t *testing.T) (*http.Request, []byte) {
			return sigSigned(t, sigRequest(t, url, sigBody), sigBody, sigCreds, "firehose", sigNow)
		}, wantAKID: "AKIDEXAMPLE"},
		{name: "tampered body", req: func(t *testing.T) (*http.Request, []byte) {
			r, _ := std(sigCreds, 0)(t)
			return r, []byte(strings.Replace(sigBody, "s1", "s2", 1))
		}, wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},
		{name: "tampered signed header", req: func(t *testing.T) (*http.Request, []byte) {
			r, b := std(sigCreds, 0)(t)
			r.Header.Set("X-Amz-Target", "Kinesis_20131202.DeleteStream")
			return r, b
		}, wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},
		{name: "tampered host", req: func(t *testing.T) (*http.Request, []byte) {
			r, b := std(sigCreds, 0)(t)
			r.Host = "elsewhere:4567"
			return r, b
		}, wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},
		{name: "wrong secret", req: std(aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "not-the-secret"}, 0),
			wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},
		{name: "unknown key", req: std(aws.Credentials{AccessKeyID: "NOSUCHKEY", SecretAccessKey: "x"}, 0),
			wantAKID: "NOSUCHKEY", wantType: errUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "skew 14 min early", req: std(sigCreds, -14*time.Minute), wantAKID: "AKIDEXAMPLE"},
		{name: "skew 15 min late", req: std(sigCreds, 15*time.Minute), wantAKID: "AKIDEXAMPLE"},
		{name: "skew 16 min expired", req: std(sigCreds, -16*time.Minute), wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature,
			wantMsg: "Signature expired: 20240517T114400Z is now earlier than 20240517T114500Z (20240517T120000Z - 15 min.)"},
		{name: "skew 16 min ahead", req: std(sigCreds, 16*time.Minute), wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature,
			wantMsg: "Signature not yet current: 20240517T121600Z is still later than 20240517T121500Z (20240517T120000Z + 15 min.)"},
		{name: "headers with extra spaces and repeats", req: func(t *testing.T) (*http.Request, []byte) {
			req := sigRequest(t, url, sigBody)
			req.Header.Set("X-Custom", "  a   b    c  ")
			req.Header.Add("X-Multi", "one   1")
			req.Header.Add("X-Multi", " two ")
			r, b := sigSigned(t, req, sigBody, sigCreds, "kinesis", sigNow)
			if got := r.Header.Get("X-Custom"); got != "a   b    c" {
				t.Fatalf("X-Custom on the wire = %q", got)
			}
			return r, b
		}, wantAKID: "AKIDEXAMPLE"},
		{name: "escaped path and unsorted query", req: func(t *testing.T) (*http.Request, []byte) {
			req := sigRequest(t, "http://kinesis.local/some%20path/a+b/?b=2&a-=x&a=1&a=0&sp=a%20b&plus=%2B", sigBody)
			return sigSigned(t, req, sigBody, sigCreds, "kinesis", sigNow)
		}, wantAKID: "AKIDEXAMPLE"},
		{name: "x-amz-content-sha256 that matches the body", req: func(t *testing.T) (*http.Request, []byte) {
			req := sigRequest(t, url, sigBody)
			req.Header.Set("X-Amz-Content-Sha256", sigSHA256Hex(sigBody))
			return sigSigned(t, req, sigBody, sigCreds, "kinesis", sigNow)
		}, wantAKID: "AKIDEXAMPLE"},
		// A captured request replayed with another body and the original
		// body's hash in X-Amz-Content-Sha256: the hash is not trusted.
		{name: "x-amz-content-sha256 cannot stand in for another body", req: func(t *testing.T) (*http.Request, []byte) {
			req := sigRequest(t, url, sigBody)
			r, _ := sigSigned(t, req, sigBody, sigCreds, "kinesis", sigNow)
			r.Header.Set("X-Amz-Content-Sha256", sigSHA256Hex(sigBody))
			forged := strings.Replace(sigBody, "pk", "xx", 1)
			return r, []byte(forged)
		}, wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{name: "content-length from r.ContentLength", req: func(t *testing.T) (*http.Request, []byte) {
			r, b := std(sigCreds, 0)(t)
			r.Header.Del("Content-Length") // as with httptest.NewRequest
			return r, b
		}, wantAKID: "AKIDEXAMPLE"},
		{name: "date header used when x-amz-date absent", req: func(t *testing.T) (*http.Request, []byte) {
			r, b := std(sigCreds, 0)(t)
			// Date passes the skew check, but x-amz-date was signed and is gone.
			r.Header.Del("X-Amz-Date")
			r.Header.Set("Date", sigNow.Format(http.TimeFormat))
			return r, b
		}, wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},
		{name: "date header expired", req: sigRaw("/", "Authorization", validAuth, "Date", "Fri, 17 May 2024 11:00:00 GMT"),
			wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature,
			wantMsg: "Signature expired: 20240517T110000Z is now earlier than 20240517T114500Z (20240517T120000Z - 15 min.)"},
		{name: "scope date differs from request date", req: sigRaw("/", "Authorization", strings.Replace(validAuth, "20240517", "20240516", 1), "X-Amz-Date", "20240517T120000Z"),
			wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature,
			wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240516' != '20240517', from '20240517T120000Z'."},
		{name: "malformed x-amz-date", req: sigRaw("/", "Authorization", validAuth, "X-Amz-Date", "2024-05-17T12:00:00Z"),
			wantAKID: "AKIDEXAMPLE", wantType: errIncompleteSignature,
			wantMsg: "Date must be in ISO-8601 'basic format'. Got '2024-05-17T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "wrong service scope", req: func(t *testing.T) (*http.Request, []byte) {
			return sigSigned(t, sigRequest(t, url, sigBody), sigBody, sigCreds, "dynamodb", sigNow)
		}, wantAKID: "AKIDEXAMPLE", wantType: errIncompleteSignature,
			wantMsg: "Credential should be scoped to correct service: 'kinesis', not 'dynamodb'. Credential=AKIDEXAMPLE/20240517/us-east-1/dynamodb/aws4_request"},
		{name: "credential with 4 elements", req: sigRaw("/", "Authorization", strings.Replace(validAuth, "/aws4_request", "", 1), "X-Amz-Date", "20240517T120000Z"),
			wantAKID: "AKIDEXAMPLE", wantType: errIncompleteSignature,
			wantMsg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20240517/us-east-1/kinesis'"},
		{name: "bad terminator", req: sigRaw("/", "Authorization", strings.Replace(validAuth, "aws4_request", "aws4_reqest", 1), "X-Amz-Date", "20240517T120000Z"),
			wantAKID: "AKIDEXAMPLE", wantType: errIncompleteSignature,
			wantMsg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'. Credential=AKIDEXAMPLE/20240517/us-east-1/kinesis/aws4_reqest"},
		{name: "unsupported algorithm", req: sigRaw("/", "Authorization", strings.Replace(validAuth, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), "X-Amz-Date", "20240517T120000Z"),
			wantAKID: "AKIDEXAMPLE", wantType: errIncompleteSignature,
			wantMsg: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'; only 'AWS4-HMAC-SHA256' is supported."},
		{name: "garbage signature", req: sigRaw("/", "Authorization", validAuth, "X-Amz-Date", "20240517T120000Z"),
			wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},

		// Presigned (query-string) form.
		{name: "presigned", req: sigPresigned(url, sigCreds, nil), wantAKID: "AKIDEXAMPLE"},
		{name: "presigned tampered query", req: sigPresigned(url, sigCreds, func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Target=Kinesis_20131202.PutRecord", "X-Amz-Target=Kinesis_20131202.DeleteStream", 1)
		}), wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},
		{name: "presigned wrong secret", req: sigPresigned(url, aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "nope"}, nil),
			wantAKID: "AKIDEXAMPLE", wantType: errInvalidSignature, wantMsg: sigMismatch},

		// Structural checks (kinesalite index.js); they apply with and without secrets.
		{name: "both header and query", req: sigRaw("/?X-Amz-Algorithm=AWS4-HMAC-SHA256", "Authorization", validAuth),
			wantType: errInvalidSignature, wantMsg: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		{name: "both header and query, no auth", noAuth: true, req: sigRaw("/?X-Amz-Algorithm=", "Authorization", "x"),
			wantType: errInvalidSignature, wantMsg: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		{name: "neither", req: sigRaw("/"), wantType: errMissingAuthToken, wantMsg: "Missing Authentication Token"},
		{name: "neither, no auth", noAuth: true, req: sigRaw("/?X-Amz-Credential=a"), wantType: errMissingAuthToken, wantMsg: "Missing Authentication Token"},
		{name: "header missing everything", noAuth: true, req: sigRaw("/", "Authorization", "AWS4-HMAC-SHA256"),
			wantType: errIncompleteSignature, wantMsg: "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{name: "header missing signature parts", req: sigRaw("/", "Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240517/us-east-1/kinesis/aws4_request,Signature=", "Date", "Fri, 17 May 2024 12:00:00 GMT"),
			wantAKID: "AKID", wantType: errIncompleteSignature, wantMsg: "Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20240517/us-east-1/kinesis/aws4_request,Signature="},
		{name: "header missing date", noAuth: true, req: sigRaw("/", "Authorization", validAuth),
			wantAKID: "AKIDEXAMPLE", wantType: errIncompleteSignature,
			wantMsg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + validAuth},
		{name: "header params parsed like kinesalite", noAuth: true, req: sigRaw("/", "Authorization", "AWS4-HMAC-SHA256 Credential=a Credential, Signature=x=y SignedHeaders=h", "X-Amz-Date", "x"),
			wantType: errIncompleteSignature, // the bare "Credential" token overrides the earlier value
			wantMsg:  "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 Credential=a Credential, Signature=x=y SignedHeaders=h"},
		{name: "header first token skipped even if empty", noAuth: true, req: sigRaw("/", "Authorization", ",Credential=a,Signature=s,SignedHeaders=h", "X-Amz-Date", "x"),
			wantAKID: "a"},
		{name: "query missing everything", noAuth: true, req: sigRaw("/?X-Amz-Algorithm="),
			wantType: errIncompleteSignature, wantMsg: "AWS query-string parameters must include 'X-Amz-Algorithm'. " +
				"AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. " +
				"Re-examine the query-string parameters."},
		{name: "query missing date", req: sigRaw("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K%2F20240517%2Fus-east-1%2Fkinesis%2Faws4_request&X-Amz-Signature=00&X-Amz-SignedHeaders=host"),
			wantAKID: "K", wantType: errIncompleteSignature,
			wantMsg: "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},

		// Without secrets nothing is verified.
		{name: "no auth accepts garbage signature", noAuth: true, req: sigRaw("/", "Authorization", "AWS4-HMAC-SHA256 Credential=whoever, SignedHeaders=x, Signature=garbage", "Date", "yesterday"),
			wantAKID: "whoever"},
		{name: "no auth accepts any presigned query", noAuth: true, req: sigRaw("/?X-Amz-Algorithm=x&X-Amz-Credential=k&X-Amz-Signature=s&X-Amz-SignedHeaders=h&X-Amz-Date=d"),
			wantAKID: "k"},
		{name: "no auth accepts wrong secret", noAuth: true, req: std(aws.Credentials{AccessKeyID: "NOSUCHKEY", SecretAccessKey: "x"}, -time.Hour),
			wantAKID: "NOSUCHKEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &authenticator{secrets: sigSecrets, now: func() time.Time { return sigNow }}
			if tt.noAuth {
				a.secrets = nil
			}
			r, body := tt.req(t)
			akid, err := a.check(r, body)
			if akid != tt.wantAKID {
				t.Errorf("akid = %q, want %q", akid, tt.wantAKID)
			}
			switch {
			case tt.wantType == "" && err != nil:
				t.Fatalf("check() = %v, want accepted", err)
			case tt.wantType == "":
			case err == nil:
				t.Fatalf("check() accepted, want %s: %s", tt.wantType, tt.wantMsg)
			case err.Type != tt.wantType || err.Message != tt.wantMsg:
				t.Fatalf("check() = %s: %q\nwant       %s: %q", err.Type, err.Message, tt.wantType, tt.wantMsg)
			case err.status() != http.StatusBadRequest:
				t.Fatalf("status = %d, want 400", err.status())
			}
		})
	}
}

// sigPresigned returns a request built from a URL presigned by the SDK (the X-Amz-
// headers hoisted into the query), optionally mutated before it is sent.
func sigPresigned(url string, creds aws.Credentials, mutate func(*http.Request)) func(*testing.T) (*http.Request, []byte) {
	return func(t *testing.T) (*http.Request, []byte) {
		req := sigRequest(t, url, sigBody)
		signedURL, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, sigSHA256Hex(sigBody), "kinesis", "us-east-1", sigNow)
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest(http.MethodPost, signedURL, strings.NewReader(sigBody))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			if k != "Host" && k != "Content-Length" {
				out.Header[k] = v
			}
		}
		if mutate != nil {
			mutate(out)
		}
		return sigOnWire(t, out)
	}
}

// TestAuthenticatorSDKClient drives the real Kinesis SDK client over HTTP/2
// (TLS), where r.Host comes from :authority, against a server that answers
// with check's verdict.
func TestAuthenticatorSDKClient(t *testing.T) {
	a := &authenticator{secrets: sigSecrets}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.ProtoMajor != 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if _, err := a.check(r, body); err != nil {
			w.WriteHeader(err.status())
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": err.Type, "message": err.Message})
			return
		}
		_, _ = io.WriteString(w, `{"StreamNames":["s1"],"HasMoreStreams":false}`)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	for _, tc := range []struct {
		name     string
		secret   string
		wantCode string
	}{
		{"valid", sigCreds.SecretAccessKey, ""},
		{"wrong secret", "wrong", errInvalidSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := awskinesis.New(awskinesis.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(srv.URL),
				HTTPClient:       srv.Client(),
				Credentials:      aws.NewCredentialsCache(sigCredsFunc(sigCreds.AccessKeyID, tc.secret)),
				RetryMaxAttempts: 1,
			})
			out, err := client.ListStreams(context.Background(), &awskinesis.ListStreamsInput{})
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("ListStreams: %v", err)
				}
				if len(out.StreamNames) != 1 {
					t.Fatalf("StreamNames = %v", out.StreamNames)
				}
				return
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode {
				t.Fatalf("ListStreams error = %v, want %s", err, tc.wantCode)
			}
		})
	}
}

func sigCredsFunc(akid, secret string) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, nil
	}
}
