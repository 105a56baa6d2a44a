package config

import (
	"fmt"
	"net"
	"time"

	"github.com/tributary-edge/tributary/video/camera"
	"github.com/tributary-edge/tributary/video/fragment"
	"github.com/tributary-edge/tributary/video/rtpin"
	"github.com/tributary-edge/tributary/video/store"
)

// Video configures camera ingest (WHIP, RTP), the fragment store and
// playback (WHEP, clips, HLS). docs/config.md#video.
type Video struct {
	// ICEAddr is the one UDP address every WebRTC camera and viewer uses
	// (ICE, DTLS, SRTP): one firewall rule for all of them.
	ICEAddr string `yaml:"ice_addr"`
	// NAT1To1IPs replace the host candidates' addresses in answers when
	// the gateway sits behind a 1:1 NAT.
	NAT1To1IPs []string `yaml:"nat_1to1_ips"`
	// MaxSessions caps publishers plus viewers.
	MaxSessions int `yaml:"max_sessions"`
	// Durability of the fragment store: fsync (each fragment synced before
	// it counts), interval or none.
	Durability string `yaml:"durability"`
	// MinFreeDisk is the free space below which fragments are refused.
	MinFreeDisk ByteSize `yaml:"min_free_disk"`
	// Streams are the cameras.
	Streams []VideoStream `yaml:"streams"`
	// ClipRules cut and upload clips when a record matches.
	ClipRules []ClipRule `yaml:"clip_rules"`
	// Uploads send everything recorded, on a schedule.
	Uploads []VideoUpload `yaml:"uploads"`
}

// VideoStream is one camera.
type VideoStream struct {
	// Name is the stream in /video/{name}/whip.
	Name string `yaml:"name"`
	// Token is the bearer token a publisher presents; empty: none needed.
	Token string `yaml:"token"`
	// ViewToken is the bearer token a WHEP viewer presents; empty: none.
	ViewToken string `yaml:"view_token"`
	// Record: store the stream (default true) — unless Schedule says.
	Record bool `yaml:"record"`
	// Schedule, when set, records only inside its windows ("mon-fri
	// 08:00-18:00", local time); the admin API overrides it until the next
	// boundary.
	Schedule []string `yaml:"schedule"`
	// Retention bounds what the stream keeps.
	Retention VideoRetention `yaml:"retention"`
	// FragmentDuration is the target fragment length (cut at the first
	// keyframe after it).
	FragmentDuration Duration `yaml:"fragment_duration"`
	// RTP, when Listen is set, also takes the stream as plain RTP over UDP
	// (what ffmpeg, GStreamer and IP cameras send).
	RTP VideoRTP `yaml:"rtp"`
}

// VideoRTP is a plain RTP input: a UDP port and the codec, from here or
// from an SDP file (which may add audio on the next port but one).
type VideoRTP struct {
	// Listen is host:port of the (first) RTP port; RTCP is the port above.
	Listen string `yaml:"listen"`
	// Codec is H264, VP8 or opus, with PayloadType (default 96); or
	// SDPFile describes the tracks (and H.264's parameter sets).
	Codec       string `yaml:"codec"`
	PayloadType int    `yaml:"payload_type"`
	SDPFile     string `yaml:"sdp_file"`
}

// VideoRetention is a video stream's limits, with the KVS Edge Agent's
// full policies.
type VideoRetention struct {
	MaxAge   Duration `yaml:"max_age"`
	MaxBytes ByteSize `yaml:"max_bytes"`
	// WhenFull: delete_oldest (evict to make room) or deny_new (refuse new
	// fragments until age frees space).
	WhenFull string `yaml:"when_full"`
}

func defaultVideo() Video {
	return Video{ICEAddr: "127.0.0.1:8189", MaxSessions: 32, Durability: "fsync", MinFreeDisk: 256 * MiB, NAT1To1IPs: []string{}, Streams: []VideoStream{}, ClipRules: []ClipRule{}, Uploads: []VideoUpload{}}
}

// DefaultVideoStream returns a video stream with every default.
func DefaultVideoStream(name string) VideoStream {
	var s VideoStream
	s.setDefaults()
	s.Name = name
	return s
}

func (s *VideoStream) setDefaults() {
	*s = VideoStream{Record: true, FragmentDuration: Duration(2 * time.Second), Retention: VideoRetention{MaxAge: Duration(7 * 24 * time.Hour), MaxBytes: 4 * GiB, WhenFull: "delete_oldest"}}
}

var whenFullVideo = []string{"delete_oldest", "deny_new"}

func (c *Config) validateVideo(v *validator) {
	vc := &c.Video
	v.check("video.ice_addr", checkAddr(vc.ICEAddr))
	if host, _, err := net.SplitHostPort(vc.ICEAddr); err == nil && host != "" && net.ParseIP(host) == nil {
		v.check("video.ice_addr", fmt.Sprintf("host must be an IP address (got %q)", truncate(host)))
	}
	for i, ip := range vc.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			v.check(fmt.Sprintf("video.nat_1to1_ips[%d]", i), fmt.Sprintf("must be an IP address (got %q)", truncate(ip)))
		}
	}
	v.check("video.max_sessions", checkIntRange(vc.MaxSessions, 1, 1024))
	v.check("video.durability", checkOneOf(vc.Durability, durabilities))
	v.check("video.min_free_disk", checkByteRange(vc.MinFreeDisk, 0, -1))
	names := map[string]int{}
	for i, s := range vc.Streams {
		p := fmt.Sprintf("video.streams[%d]", i)
		v.uniqueName(p+".name", "video stream", "video.streams", s.Name, i, names)
		for j, w := range s.Schedule {
			if _, err := camera.ParseWindow(w); err != nil {
				v.check(fmt.Sprintf("%s.schedule[%d]", p, j), err.Error())
			}
		}
		v.check(p+".retention.when_full", checkOneOf(s.Retention.WhenFull, whenFullVideo))
		v.check(p+".retention.max_age", checkDurationRange(s.Retention.MaxAge, 0, Duration(720*time.Hour)))
		v.check(p+".retention.max_bytes", checkByteRange(s.Retention.MaxBytes, 0, -1))
		v.check(p+".fragment_duration", checkDurationRange(s.FragmentDuration, Duration(500*time.Millisecond), Duration(10*time.Second)))
		if r := s.RTP; r.Listen != "" || r.Codec != "" || r.SDPFile != "" {
			v.check(p+".rtp.listen", checkAddr(r.Listen))
			if (r.Codec == "") == (r.SDPFile == "") {
				v.check(p+".rtp", "set codec (H264, VP8 or opus) or sdp_file, not both")
			}
			v.check(p+".rtp.payload_type", checkIntRange(r.PayloadType, 0, 127))
			if err := s.RTPConfig().Validate(); err != nil && r.Codec != "" {
				v.check(p+".rtp.codec", err.Error())
			}
		}
	}
}

// RTPConfig returns the stream's RTP input in the rtpin package's form.
func (s *VideoStream) RTPConfig() rtpin.Config {
	return rtpin.Config{Stream: s.Name, Addr: s.RTP.Listen, Codec: s.RTP.Codec, PayloadType: uint8(s.RTP.PayloadType), SDPFile: s.RTP.SDPFile}
}

// CameraConfigs returns the video streams in the camera package's form
// (the config must be valid).
func (c *Config) CameraConfigs() []camera.Config {
	out := make([]camera.Config, 0, len(c.Video.Streams))
	for _, s := range c.Video.Streams {
		cc := camera.Config{Name: s.Name, Token: s.Token, ViewToken: s.ViewToken, Record: s.Record,
			Retention: store.Limits{MaxAge: time.Duration(s.Retention.MaxAge), MaxBytes: int64(s.Retention.MaxBytes)},
			Fragment:  fragment.Options{TargetDuration: time.Duration(s.FragmentDuration)}}
		cc.Retention.Policy, _ = store.ParsePolicy(s.Retention.WhenFull)
		for _, w := range s.Schedule {
			win, _ := camera.ParseWindow(w)
			cc.Schedule = append(cc.Schedule, win)
		}
		out = append(out, cc)
	}
	return out
}
