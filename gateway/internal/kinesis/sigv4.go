package kinesis

// Request authentication (kinesis.md §1.4): the structural checks kinesalite
// 3.3.3 applies to every request (index.js, after "THEN check auth"), and,
// when secrets are configured, AWS Signature Version 4 verification as
// specified in the AWS docs:
//
//	https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
//	https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html
//
// The canonicalisation mirrors github.com/aws/aws-sdk-go-v2/aws/signer/v4, the
// signer our clients use.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	sigTerminator = "aws4_request"
	amzDateFormat = "20060102T150405Z" // ISO 8601 basic format, always UTC
	maxClockSkew  = 15 * time.Minute
)

// authenticator checks request signatures (kinesis.md §1.4).
type authenticator struct {
	secrets map[string]string // access key id → secret access key; empty = signatures not verified
	now     func() time.Time  // nil means time.Now
}

// sigParams is what a request claims about its signature, taken from either
// the Authorization header or the presigned query string.
type sigParams struct {
	presigned     bool
	algorithm     string
	credential    string // AKID/yyyymmdd/region/service/aws4_request
	signedHeaders string // lower-case names separated by ';'
	signature     string // lower-case hex
}

// check runs the structural checks kinesalite (and AWS) apply to every request, and,
// when secrets is non-empty, full SigV4 verification. body is the raw request body.
// It returns nil or the error to answer with, and the access key id (credential) found.
//
// The access key id is returned whenever a Credential is present, even with an
// error, so callers can log who was refused. check does not read r.Body.
func (a *authenticator) check(r *http.Request, body []byte) (akid string, err *apiError) {
	authHeader := r.Header.Get("Authorization")
	query := r.URL.Query()
	_, authQuery := query["X-Amz-Algorithm"]
	if authHeader != "" && authQuery {
		return "", newError(errInvalidSignature, "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	}
	if authHeader == "" && !authQuery {
		return "", newError(errMissingAuthToken, "Missing Authentication Token")
	}

	var p sigParams
	var msg string
	if authHeader != "" {
		p = parseAuthHeader(authHeader)
		for _, f := range []struct{ name, val string }{
			{"Credential", p.credential}, {"Signature", p.signature}, {"SignedHeaders", p.signedHeaders},
		} {
			if f.val == "" {
				msg += "Authorization header requires '" + f.name + "' parameter. "
			}
		}
		if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
			msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
		}
		if msg != "" {
			msg += "Authorization=" + authHeader
		}
	} else {
		p = sigParams{
			presigned:     true,
			algorithm:     query.Get("X-Amz-Algorithm"),
			credential:    query.Get("X-Amz-Credential"),
			signedHeaders: query.Get("X-Amz-SignedHeaders"),
			signature:     query.Get("X-Amz-Signature"),
		}
		for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
			if v := query[name]; len(v) == 0 || len(v) == 1 && v[0] == "" {
				msg += "AWS query-string parameters must include '" + name + "'. "
			}
		}
		if msg != "" {
			msg += "Re-examine the query-string parameters."
		}
	}
	akid, _, _ = strings.Cut(p.credential, "/")
	if msg != "" {
		return akid, newError(errIncompleteSignature, "%s", msg)
	}
	if a == nil || len(a.secrets) == 0 {
		return akid, nil // kinesalite mode: any signature is accepted
	}
	return akid, a.verify(r, body, query, p)
}

// parseAuthHeader splits "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…" exactly as kinesalite does: tokens separated by ',' or ' ',
// the first token is the algorithm, the others key=value.
func parseAuthHeader(h string) sigParams {
	tokens := strings.Split(strings.ReplaceAll(h, ",", " "), " ")
	p := sigParams{algorithm: tokens[0]}
	for _, t := range tokens[1:] {
		if t == "" {
			continue
		}
		// As in JS, key=value[=…] keeps only the text between the first two
		// '=', and a later token overrides an earlier one.
		kv := strings.Split(strings.TrimSpace(t), "=")
		val := ""
		if len(kv) > 1 {
			val = kv[1]
		}
		switch kv[0] {
		case "Credential":
			p.credential = val
		case "SignedHeaders":
			p.signedHeaders = val
		case "Signature":
			p.signature = val
		}
	}
	return p
}

// verify checks a structurally complete signature against a.secrets: the
// credential scope, the access key, the clock skew (±15 minutes, as AWS
// allows) and finally the signature itself, compared in constant time.
func (a *authenticator) verify(r *http.Request, body []byte, query url.Values, p sigParams) *apiError {
	if p.algorithm != sigAlgorithm {
		return newError(errIncompleteSignature, "Unsupported AWS 'algorithm': '%s'; only '%s' is supported.", p.algorithm, sigAlgorithm)
	}
	scope := strings.Split(p.credential, "/")
	if len(scope) != 5 {
		return newError(errIncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", p.credential)
	}
	akid, scopeDate, region, service, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	switch {
	case region == "":
		return newError(errIncompleteSignature, "Credential should be scoped to a valid region, not ''. Credential=%s", p.credential)
	case service != "kinesis" && service != "firehose":
		return newError(errIncompleteSignature, "Credential should be scoped to correct service: 'kinesis', not '%s'. Credential=%s", service, p.credential)
	case term != sigTerminator:
		return newError(errIncompleteSignature, "Credential should be scoped with a valid terminator: '%s', not '%s'. Credential=%s", sigTerminator, term, p.credential)
	}
	secret, ok := a.secrets[akid]
	if !ok {
		return newError(errUnrecognizedClient, "The security token included in the request is invalid.")
	}

	// The request time: X-Amz-Date (query when presigned, else header), or
	// else the HTTP Date header.
	date, parse := r.Header.Get("X-Amz-Date"), func(s string) (time.Time, error) { return time.Parse(amzDateFormat, s) }
	if p.presigned {
		date = query.Get("X-Amz-Date")
	} else if date == "" {
		date, parse = r.Header.Get("Date"), http.ParseTime
	}
	reqTime, perr := parse(date)
	if perr != nil {
		return newError(errIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", date)
	}
	amzDate := reqTime.UTC().Format(amzDateFormat)
	now := time.Now
	if a.now != nil {
		now = a.now
	}
	t := now().UTC()
	if reqTime.Before(t.Add(-maxClockSkew)) {
		return newError(errInvalidSignature, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, t.Add(-maxClockSkew).Format(amzDateFormat), t.Format(amzDateFormat))
	}
	if reqTime.After(t.Add(maxClockSkew)) {
		return newError(errInvalidSignature, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			amzDate, t.Add(maxClockSkew).Format(amzDateFormat), t.Format(amzDateFormat))
	}
	if scopeDate != amzDate[:8] {
		return newError(errInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scopeDate, amzDate[:8], amzDate)
	}

	// The signature covers the body through its hash, so the hash is
	// always computed here; a client-sent X-Amz-Content-Sha256 must agree
	// (else a captured request could be replayed with another body).
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && !strings.EqualFold(h, payloadHash) {
		return newError(errInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	if p.presigned {
		query = maps.Clone(query)
		query.Del("X-Amz-Signature")
	}
	signedHeaders := strings.ToLower(p.signedHeaders)
	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL),
		canonicalQuery(query),
		canonicalHeaders(r, signedHeaders),
		signedHeaders,
		payloadHash,
	}, "\n")
	crHash := sha256.Sum256([]byte(canonical))
	stringToSign := sigAlgorithm + "\n" + amzDate + "\n" +
		strings.Join(scope[1:], "/") + "\n" + hex.EncodeToString(crHash[:])

	key := hmacSHA256([]byte("AWS4"+secret), scopeDate)
	for _, s := range []string{region, service, sigTerminator} {
		key = hmacSHA256(key, s)
	}
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(p.signature))) {
		return newError(errInvalidSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

// canonicalURI is the request path as sent, URI-encoded once more: the
// double encoding SigV4 prescribes for every service but S3, as the AWS SDK
// signer does (httpbinding.EscapePath with '/' kept).
func canonicalURI(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		return "/"
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' || isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// isUnreserved reports whether c is in the RFC 3986 unreserved set, the only
// bytes SigV4 leaves unescaped.
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalQuery encodes each name and value (RFC 3986, space as %20) and
// sorts the pairs after encoding, by name then value.
func canonicalQuery(q url.Values) string {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var pairs [][2]string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, [2]string{enc(k), enc(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	var b strings.Builder
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + kv[1])
	}
	return b.String()
}

// canonicalHeaders renders "name:value\n" for each signed header, in the
// order listed. Values are trimmed with inner runs of spaces collapsed;
// repeated headers are joined with ','. Host comes from r.Host (net/http
// moves it out of r.Header; HTTP/2 sets it from :authority), and a missing
// Content-Length header (as with httptest.NewRequest) from r.ContentLength.
func canonicalHeaders(r *http.Request, signedHeaders string) string {
	var b strings.Builder
	for _, name := range strings.Split(signedHeaders, ";") {
		vals := r.Header.Values(name)
		switch {
		case name == "host":
			vals = []string{r.Host}
		case name == "content-length" && len(vals) == 0 && r.ContentLength >= 0:
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(strings.Join(strings.FieldsFunc(v, func(c rune) bool { return c == ' ' }), " ")))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
