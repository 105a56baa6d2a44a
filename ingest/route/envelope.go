package route

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendEnvelope appends m's JSON envelope to dst. The fields, in this
// order:
//
//	{"topic":"…","client_id":"…","qos":1,"retain":false,
//	 "received":"2024-05-01T12:00:00.123456789Z",
//	 "payload":<the payload itself>}            when payloadIsJSON
//	 "payload_base64":"<standard base64>"}      otherwise
//
// received is m.Received in UTC, RFC 3339 with nanoseconds (trailing zeros
// dropped). A JSON payload is embedded without the whitespace around it;
// payloadIsJSON must be validJSON(m.Payload). Strings are escaped as
// encoding/json does (without HTML escaping); bytes of the topic or client
// ID that are not UTF-8 become U+FFFD. The output is always valid JSON in
// valid UTF-8.
func appendEnvelope(dst []byte, m *Message, payloadIsJSON bool) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendJSONString(dst, m.Topic)
	dst = append(dst, `,"client_id":`...)
	dst = appendJSONString(dst, m.ClientID)
	dst = append(dst, `,"qos":`...)
	dst = strconv.AppendUint(dst, uint64(m.QoS), 10)
	dst = append(dst, `,"retain":`...)
	dst = strconv.AppendBool(dst, m.Retain)
	dst = append(dst, `,"received":"`...)
	dst = m.Received.UTC().AppendFormat(dst, time.RFC3339Nano)
	if payloadIsJSON {
		dst = append(dst, `","payload":`...)
		dst = append(dst, trimJSONSpace(m.Payload)...)
	} else {
		dst = append(dst, `","payload_base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, m.Payload)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// envelopeSize is an upper bound on the length of m's envelope, so it is
// built in one allocation.
func envelopeSize(m *Message, payloadIsJSON bool) int {
	n := 128 + 6*(len(m.Topic)+len(m.ClientID)) // worst case: every byte \u00XX
	if payloadIsJSON {
		return n + len(m.Payload)
	}
	return n + base64.StdEncoding.EncodedLen(len(m.Payload))
}

// trimJSONSpace removes the JSON whitespace (RFC 8259 §2) around p.
func trimJSONSpace(p []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(p) > 0 && isSpace(p[0]) {
		p = p[1:]
	}
	for len(p) > 0 && isSpace(p[len(p)-1]) {
		p = p[:len(p)-1]
	}
	return p
}

// appendJSONString appends s as a JSON string (RFC 8259 §7): '"' and '\\'
// escaped, control characters as \n, \r, \t or \u00XX, U+2028 and U+2029
// as \u2028 and \u2029 (as encoding/json does, for JavaScript), and each
// byte that is not part of valid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		var esc string
		n := 1
		switch {
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '\n':
			esc = `\n`
		case c == '\r':
			esc = `\r`
		case c == '\t':
			esc = `\t`
		case c < 0x20:
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			i++
			start = i
			continue
		default:
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			default:
				i += n
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, esc...)
		i += n
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
