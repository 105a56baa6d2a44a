package webrtc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/tributary-edge/tributary/video/media"
)

// maxSections caps an offer's audio/video sections (a camera has one or
// two; media.Frame.Track is a byte).
const maxSections = 16

// offerSummary is what checkOffer learned from an offer.
type offerSummary struct {
	// usable counts audio/video sections that flow the right way and carry
	// a supported codec.
	usable int
	// offered lists the encoding names seen, for error messages.
	offered []string
	// directions maps each audio/video section's mid to its direction.
	directions map[string]string
}

// checkOffer parses an SDP offer (RFC 8866) and checks it can be answered
// before pion sees it, so the client gets a precise 400. publish is true for
// WHIP, where the offerer must send media (sendonly or sendrecv, RFC 3264
// §6.1); for WHEP it must receive (recvonly or sendrecv). Every error wraps
// ErrBadOffer, and ErrNoCodec when the codecs are the problem.
func checkOffer(raw []byte, publish bool) (offerSummary, error) {
	sum := offerSummary{directions: map[string]string{}}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(string(raw)); err != nil {
		return sum, fmt.Errorf("%w: malformed SDP: %v", ErrBadOffer, err)
	}
	sessionDir := direction(d.Attributes, "sendrecv")
	avSections := 0
	for _, m := range d.MediaDescriptions {
		kind := m.MediaName.Media
		if kind != "audio" && kind != "video" {
			continue
		}
		avSections++
		if m.MediaName.Port.Value == 0 { // rejected section (RFC 3264 §6)
			continue
		}
		dir := direction(m.Attributes, sessionDir)
		if mid, ok := m.Attribute("mid"); ok {
			sum.directions[mid] = dir
		}
		flows := dir == "sendrecv" || (publish && dir == "sendonly") || (!publish && dir == "recvonly")
		supported := false
		for _, name := range encodings(m) {
			sum.offered = appendUnique(sum.offered, name)
			c := codecOf(name)
			if c != media.CodecUnknown && (kind == "video") == c.IsVideo() {
				supported = true
			}
		}
		if flows && supported {
			sum.usable++
		}
	}
	if avSections == 0 {
		return sum, fmt.Errorf("%w: no audio or video media section", ErrBadOffer)
	}
	if avSections > maxSections {
		return sum, fmt.Errorf("%w: %d audio/video sections, at most %d", ErrBadOffer, avSections, maxSections)
	}
	if sum.usable == 0 {
		want := "sendonly or sendrecv"
		if !publish {
			want = "recvonly or sendrecv"
		}
		return sum, fmt.Errorf("%w: %w in a %s audio/video section (supported: %s; offered: %s)",
			ErrBadOffer, ErrNoCodec, want, supportedList, strings.Join(sum.offered, ", "))
	}
	return sum, nil
}

// direction returns the direction attribute in attrs, or def.
func direction(attrs []sdp.Attribute, def string) string {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return a.Key
		}
	}
	return def
}

// encodings lists a media section's encoding names: from a=rtpmap, and the
// payload type number for formats without one (static types, RFC 3551).
func encodings(m *sdp.MediaDescription) []string {
	named := map[string]string{}
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, rest, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		named[pt] = name
	}
	var out []string
	for _, f := range m.MediaName.Formats {
		if name, ok := named[f]; ok {
			if !strings.EqualFold(name, "rtx") && !strings.EqualFold(name, "red") &&
				!strings.EqualFold(name, "ulpfec") && !strings.EqualFold(name, "flexfec-03") {
				out = append(out, name)
			}
			continue
		}
		if _, err := strconv.Atoi(f); err == nil {
			out = append(out, "PT "+f)
		}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}
