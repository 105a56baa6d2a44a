package camera

import (
	"encoding/base64"
	"fmt"
	"net"
	"strings"
)

// rtpPayloadType is the dynamic payload type of RTP mode (RFC 3551 §6).
const rtpPayloadType = 96

// SDP returns the session description (RFC 8866) a receiver needs to
// open camera n's RTP stream: one H.264 video stream (RFC 6184 §8.1,
// packetization-mode 1, the clip's profile-level-id and parameter sets)
// arriving on dest's port. dest must be HOST:PORT.
func SDP(c *Clip, dest string, n int) (string, error) {
	host, port, err := net.SplitHostPort(dest)
	if err != nil {
		return "", err
	}
	family := "IP4"
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		family = "IP6"
	}
	sprop := base64.StdEncoding.EncodeToString(c.SPS) + "," + base64.StdEncoding.EncodeToString(c.PPS)
	lines := []string{
		"v=0",
		fmt.Sprintf("o=- 0 0 IN %s %s", family, host),
		fmt.Sprintf("s=firmware-sim camera %d", n),
		fmt.Sprintf("c=IN %s %s", family, host),
		"t=0 0",
		fmt.Sprintf("m=video %s RTP/AVP %d", port, rtpPayloadType),
		fmt.Sprintf("a=rtpmap:%d H264/90000", rtpPayloadType),
		fmt.Sprintf("a=fmtp:%d packetization-mode=1;profile-level-id=%s;sprop-parameter-sets=%s",
			rtpPayloadType, c.ProfileLevelID(), sprop),
	}
	return strings.Join(lines, "\r\n") + "\r\n", nil
}
