package rtpin

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/tributary-edge/tributary/video/media"
)

// MaxSDPSize caps the SDP description ParseSDP accepts (and the SDP file
// New reads).
const MaxSDPSize = 64 << 10

// supported is the list the codec errors quote.
const supported = "supported: H264, VP8, opus"

// SDPMedia is one m-line of an SDP description that a Listener can
// receive.
type SDPMedia struct {
	TrackInfo
	// Port is the m-line's port: where the sender sends the track's RTP.
	Port int
	// Address is the connection address (c=, RFC 8866 §5.7) that applies
	// to the m-line — its own, else the session's — without TTL or count;
	// "" when there is none.
	Address string
	// Line is the m-line's 1-based line number.
	Line int
}

// ParseSDP reads the m-lines of an SDP description (RFC 8866) such as
// ffmpeg's -sdp_file or a camera's: per m-line the media type, port,
// connection address, the payload type and codec (a=rtpmap), and for H.264
// the fmtp parameters packetization-mode and sprop-parameter-sets (RFC 6184
// §8.1, decoded to SPS and PPS NAL units). It accepts at most one video
// m-line (H264 or VP8) and one audio m-line (opus), over RTP/AVP or
// RTP/AVPF; m-lines with port 0 are disabled (RFC 3264 §6) and skipped.
// Where an m-line lists several payload types, the first one with a
// supported codec is taken.
//
// Every error wraps ErrSDP and names the line ("line 8 \"a=rtpmap:96
// H265/90000\": codec \"H265\": supported: H264, VP8, opus"). ParseSDP
// never retains b.
func ParseSDP(b []byte) ([]SDPMedia, error) {
	if len(b) > MaxSDPSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrSDP, len(b), MaxSDPSize)
	}
	text := string(b)
	d := &sdpDoc{lines: strings.Split(text, "\n")}
	for i, ln := range d.lines {
		d.lines[i] = strings.TrimSuffix(ln, "\r")
	}
	if err := d.checkLines(); err != nil {
		return nil, err
	}
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(text); err != nil {
		return nil, d.pionError(err, text)
	}
	for i, ln := range d.lines {
		if strings.HasPrefix(ln, "m=") {
			d.mLines = append(d.mLines, i)
		}
	}
	if len(d.mLines) != len(desc.MediaDescriptions) {
		return nil, fmt.Errorf("%w: %d m-lines, but %d parsed", ErrSDP, len(d.mLines), len(desc.MediaDescriptions))
	}
	var out []SDPMedia
	videoLine, audioLine := 0, 0
	for i, md := range desc.MediaDescriptions {
		m, ok, err := d.media(i, md, desc.ConnectionInformation)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		first := &audioLine
		if m.Track.Codec.IsVideo() {
			first = &videoLine
		}
		if *first != 0 {
			return nil, d.errorf(m.Line, "a second %s m-line (the first is line %d): at most one video and one audio m-line", md.MediaName.Media, *first)
		}
		*first = m.Line
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no audio or video m-line with a nonzero port", ErrSDP)
	}
	return out, nil
}

// sdpDoc is the raw text of an SDP description, kept to name lines in
// errors.
type sdpDoc struct {
	lines  []string
	mLines []int // 0-based index of each m-line
}

// errorf returns an error wrapping ErrSDP that quotes line n (1-based).
func (d *sdpDoc) errorf(n int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d %q: %s", ErrSDP, n, d.quote(n), fmt.Sprintf(format, args...))
}

// quote returns line n (1-based), shortened for an error message.
func (d *sdpDoc) quote(n int) string {
	ln := d.lines[n-1]
	if len(ln) > 80 {
		ln = ln[:77] + "..."
	}
	return ln
}

// checkLines refuses lines that are not <type>=<value> (RFC 8866 §5), so
// that such errors name their line; blank lines may only end the text.
func (d *sdpDoc) checkLines() error {
	last := len(d.lines)
	for last > 0 && d.lines[last-1] == "" {
		last--
	}
	if last == 0 {
		return fmt.Errorf("%w: empty", ErrSDP)
	}
	for i, ln := range d.lines[:last] {
		if len(ln) < 2 || ln[0] < 'a' || ln[0] > 'z' || ln[1] != '=' {
			return d.errorf(i+1, "want <type>=<value> with a lower-case letter as type (RFC 8866 §5)")
		}
	}
	return nil
}

// pionError names the line of a pion/sdp parse error: from the byte
// position of a syntax error, else from the value the error quotes in
// backquotes.
func (d *sdpDoc) pionError(err error, text string) error {
	msg := err.Error()
	line := 0
	if i := strings.Index(msg, "at pos "); i >= 0 {
		rest := msg[i+len("at pos "):]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if pos, perr := strconv.Atoi(rest[:j]); perr == nil && pos >= 0 && pos <= len(text) {
			line = 1 + strings.Count(text[:pos], "\n")
		}
	} else if i := strings.IndexByte(msg, '`'); i >= 0 {
		if j := strings.IndexByte(msg[i+1:], '`'); j > 0 {
			tok := msg[i+1 : i+1+j]
			for n, ln := range d.lines {
				if strings.Contains(ln, tok) {
					line = n + 1
					break
				}
			}
		}
	}
	if line < 1 || line > len(d.lines) {
		return fmt.Errorf("%w: %w", ErrSDP, err)
	}
	return fmt.Errorf("%w: line %d %q: %w", ErrSDP, line, d.quote(line), err)
}

// attrLine returns the 1-based line of "a=key:value" in m-line i's section,
// or the m-line's own line.
func (d *sdpDoc) attrLine(i int, key, value string) int {
	end := len(d.lines)
	if i+1 < len(d.mLines) {
		end = d.mLines[i+1]
	}
	want := "a=" + key + ":" + value
	for n := d.mLines[i]; n < end; n++ {
		if strings.TrimRight(d.lines[n], " \t") == strings.TrimRight(want, " \t") {
			return n + 1
		}
	}
	return d.mLines[i] + 1
}

// ptAttr returns the value after "<pt> " of the first a=key attribute for
// payload type pt, and its line.
func (d *sdpDoc) ptAttr(i int, md *sdp.MediaDescription, key, pt string) (string, int, bool) {
	for _, a := range md.Attributes {
		if a.Key != key {
			continue
		}
		v, rest, ok := strings.Cut(a.Value, " ")
		if ok && v == pt {
			return strings.TrimSpace(rest), d.attrLine(i, a.Key, a.Value), true
		}
	}
	return "", 0, false
}

// media reads m-line i; ok is false for an m-line to skip.
func (d *sdpDoc) media(i int, md *sdp.MediaDescription, sessionConn *sdp.ConnectionInformation) (m SDPMedia, ok bool, err error) {
	mline := d.mLines[i] + 1
	name := md.MediaName
	if name.Port.Value == 0 {
		return m, false, nil // disabled stream, RFC 3264 §6
	}
	kind := name.Media
	if kind != "video" && kind != "audio" {
		return m, false, d.errorf(mline, "media %q: only audio and video can be received", kind)
	}
	if proto := strings.Join(name.Protos, "/"); proto != "RTP/AVP" && proto != "RTP/AVPF" {
		return m, false, d.errorf(mline, "proto %q: only plain RTP over UDP (RTP/AVP) can be received", proto)
	}
	if len(name.Formats) == 0 {
		return m, false, d.errorf(mline, "no payload type")
	}
	m.Port, m.Line = name.Port.Value, mline
	conn := md.ConnectionInformation
	if conn == nil {
		conn = sessionConn
	}
	if conn != nil && conn.Address != nil {
		// pion keeps a multicast TTL or count ("239.1.1.1/16") in Address.
		m.Address, _, _ = strings.Cut(conn.Address.Address, "/")
	}
	unsupportedName, unsupportedLine := "", mline
	for _, f := range name.Formats {
		pt, perr := strconv.ParseUint(f, 10, 8)
		if perr != nil || pt > 127 {
			return m, false, d.errorf(mline, "payload type %q: want 0-127", f)
		}
		rtpmap, rl, found := d.ptAttr(i, md, "rtpmap", f)
		if !found {
			if pt >= 96 {
				return m, false, d.errorf(mline, "payload type %d has no a=rtpmap (a dynamic payload type needs one, RFC 8866 §6.6)", pt)
			}
			if unsupportedName == "" {
				unsupportedName = staticName(uint8(pt))
			}
			continue
		}
		enc, rest, _ := strings.Cut(rtpmap, "/")
		codec := codecOf(enc)
		if codec == media.CodecUnknown {
			if unsupportedName == "" {
				unsupportedName, unsupportedLine = strconv.Quote(enc), rl
			}
			continue
		}
		if codec.IsVideo() != (kind == "video") {
			return m, false, d.errorf(rl, "codec %s in an m=%s line", codec, kind)
		}
		rate, params, _ := strings.Cut(rest, "/")
		if r, rerr := strconv.ParseUint(rate, 10, 32); rerr != nil || uint32(r) != codec.ClockRate() {
			return m, false, d.errorf(rl, "clock rate %q: %s needs %d", rate, codec, codec.ClockRate())
		}
		m.TrackInfo = TrackInfo{Track: media.Track{Codec: codec}, PayloadType: uint8(pt), ClockRate: codec.ClockRate()}
		fmtp, fl, _ := d.ptAttr(i, md, "fmtp", f)
		switch codec {
		case media.CodecH264:
			err = d.h264Fmtp(&m.TrackInfo, fmtp, fl)
		case media.CodecOpus:
			// RFC 7587 §7: the rtpmap always says 2 channels; sprop-stereo
			// says whether the sender sends stereo (default mono).
			if params != "" && params != "2" && params != "1" {
				return m, false, d.errorf(rl, "channels %q: opus needs 2 (RFC 7587 §7)", params)
			}
			m.Track.Channels = 1
			if v, ok := fmtpParam(fmtp, "sprop-stereo"); ok && v == "1" {
				m.Track.Channels = 2
			}
		}
		return m, err == nil, err
	}
	return m, false, d.errorf(unsupportedLine, "codec %s: %s", unsupportedName, supported)
}

// h264Fmtp reads packetization-mode and sprop-parameter-sets (RFC 6184
// §8.1) into t; line is the fmtp line, for errors.
func (d *sdpDoc) h264Fmtp(t *TrackInfo, fmtp string, line int) error {
	if v, ok := fmtpParam(fmtp, "packetization-mode"); ok {
		switch v {
		case "0", "1":
			t.PacketizationMode = v[0] - '0'
		case "2":
			return d.errorf(line, "packetization-mode 2 (interleaved) is not supported: want 0 or 1")
		default:
			return d.errorf(line, "packetization-mode %q: want 0 or 1", v)
		}
	}
	v, ok := fmtpParam(fmtp, "sprop-parameter-sets")
	if !ok {
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		nal, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			// Some cameras leave out the padding.
			nal, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
		if err != nil {
			return d.errorf(line, "sprop-parameter-sets %q: %v", s, err)
		}
		if len(nal) == 0 || nal[0]&0x80 != 0 {
			return d.errorf(line, "sprop-parameter-sets %q: not an H.264 NAL unit", s)
		}
		// Only SPS (7) and PPS (8) are parameter sets the depacketizer
		// inserts; anything else is ignored.
		if typ := nal[0] & 0x1f; typ == 7 || typ == 8 {
			t.ParameterSets = append(t.ParameterSets, nal)
		}
	}
	return nil
}

// fmtpParam returns the value of parameter key in an fmtp parameter list
// ("a=b; c=d", RFC 8866 §6.15); names are case-insensitive (RFC 4855 §3).
func fmtpParam(fmtp, key string) (string, bool) {
	for _, p := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// codecOf maps an rtpmap encoding name or a Config.Codec to a codec;
// names are case-insensitive (RFC 4855 §3).
func codecOf(name string) media.Codec {
	switch {
	case strings.EqualFold(name, "H264"):
		return media.CodecH264
	case strings.EqualFold(name, "VP8"):
		return media.CodecVP8
	case strings.EqualFold(name, "opus"):
		return media.CodecOpus
	}
	return media.CodecUnknown
}

// staticName names a static payload type of RFC 3551 §6 for errors.
func staticName(pt uint8) string {
	names := map[uint8]string{0: "PCMU", 3: "GSM", 8: "PCMA", 9: "G722", 10: "L16", 11: "L16",
		14: "MPA", 18: "G729", 26: "JPEG", 31: "H261", 32: "MPV", 33: "MP2T", 34: "H263"}
	if n, ok := names[pt]; ok {
		return fmt.Sprintf("%q (static payload type %d)", n, pt)
	}
	return fmt.Sprintf("of static payload type %d", pt)
}
