package webrtc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// sdpType is the only request and response body type (RFC 9725 §4.2).
const sdpType = "application/sdp"

// httpError is an error response: status and a message for the client.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func errorf(code int, format string, args ...any) *httpError {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

// writeError sends e as a text/plain response.
func writeError(w http.ResponseWriter, e *httpError) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.code)
	_, _ = io.WriteString(w, e.msg+"\n")
}

// validStream reports whether name can be a stream name: 1 to 64 of
// [A-Za-z0-9._-], not starting with a dot.
func validStream(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// bearerToken returns the token of an "Authorization: Bearer" header (RFC
// 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// authorize checks the bearer token with check ("" when the request has
// none: a stream without a token may allow that); nil check allows
// everyone. The 401 carries the challenge of RFC 6750 §3.
func authorize(w http.ResponseWriter, r *http.Request, stream string, check func(stream, token string) bool) *httpError {
	if check == nil {
		return nil
	}
	token, ok := bearerToken(r)
	if check(stream, token) {
		return nil
	}
	challenge := `Bearer realm="tributary"`
	msg := "missing bearer token"
	if ok {
		challenge += `, error="invalid_token"`
		msg = "invalid bearer token for stream " + stream
	}
	w.Header().Set("WWW-Authenticate", challenge)
	return errorf(http.StatusUnauthorized, "%s", msg)
}

// readOffer checks the Content-Type (415) and reads at most max bytes of
// body (413 beyond).
func readOffer(w http.ResponseWriter, r *http.Request, max int64) ([]byte, *httpError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != sdpType {
		w.Header().Set("Accept-Post", sdpType)
		return nil, errorf(http.StatusUnsupportedMediaType, "Content-Type must be %s", sdpType)
	}
	if r.ContentLength > max {
		return nil, errorf(http.StatusRequestEntityTooLarge, "offer larger than %d bytes", max)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, errorf(http.StatusRequestEntityTooLarge, "offer larger than %d bytes", max)
		}
		return nil, errorf(http.StatusBadRequest, "reading offer: %v", err)
	}
	return body, nil
}

// newSessionID returns 128 random bits in hex: unguessable, so a resource
// URL is also a capability.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// cors adds the CORS headers browsers need for a cross-origin WHEP/WHIP
// player, when Config.AllowOrigin is set.
func (s *Server) cors(w http.ResponseWriter) {
	if s.cfg.AllowOrigin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", s.cfg.AllowOrigin)
	h.Set("Access-Control-Allow-Methods", "OPTIONS, POST, DELETE")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Expose-Headers", "Location, WWW-Authenticate, Accept-Post")
}
