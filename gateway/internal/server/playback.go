package server

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/video/camera"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/mp4"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webm"
)

// Clip limits, KVS GetClip's: a clip is at most this many fragments and
// bytes of payload (the writer holds the fragments while it writes).
const (
	maxClipFragments = 200
	maxClipBytes     = 100 << 20
)

// playbackRoutes mounts clips and HLS. Under /video/ they take the
// stream's view token (Authorization: Bearer, or ?token= for a <video>
// element); under /api/ they are admin endpoints like the rest.
func (g *Gateway) playbackRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/video/streams/{name}/clip", g.getClip)
	mux.HandleFunc("GET /video/{name}/clip", g.viewAuth(g.getClip))
	mux.HandleFunc("GET /video/{name}/hls/index.m3u8", g.viewAuth(g.hlsPlaylist))
	mux.HandleFunc("GET /video/{name}/hls/init/{number}", g.viewAuth(g.hlsInit))
	mux.HandleFunc("GET /video/{name}/hls/seg/{number}", g.viewAuth(g.hlsSegment))
}

// viewAuth checks the stream's view token.
func (g *Gateway) viewAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(t)
		}
		if !g.cameras.AuthorizeView(r.PathValue("name"), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tributary"`)
			writeError(w, http.StatusUnauthorized, api.CodeInvalidArgument, "missing or wrong view token for video stream "+r.PathValue("name"))
			return
		}
		h(w, r)
	}
}

// getClip is KVS's GetClip: an MP4 (H.264) or WebM (VP8) of the
// fragments overlapping [start, end), starting at a keyframe. format=mp4
// (default for H.264) or webm.
func (g *Gateway) getClip(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !g.cameras.Has(name) {
		videoError(w, fmt.Errorf("%w: %q", camera.ErrUnknownStream, name))
		return
	}
	start, end, err := timeRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, err.Error())
		return
	}
	if start.IsZero() || end.IsZero() {
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, "a clip needs start and end")
		return
	}
	frags, err := g.clipFragments(r.Context(), name, start, end)
	if err != nil {
		videoError(w, err)
		return
	}
	if len(frags) == 0 {
		writeError(w, http.StatusNotFound, api.CodeVideoStreamNotFound, fmt.Sprintf("no fragments of %s between %s and %s", name, start.Format(time.RFC3339), end.Format(time.RFC3339)))
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "mp4"
		if hasCodec(frags, media.CodecVP8) {
			format = "webm"
		}
	}
	var buf bytes.Buffer // written whole before the status: an error is still an error answer
	switch format {
	case "mp4":
		err = mp4.WriteClip(&buf, frags, mp4.ClipOptions{})
		w.Header().Set("Content-Type", "video/mp4")
	case "webm":
		err = webm.WriteClip(&buf, frags, webm.Options{})
		w.Header().Set("Content-Type", "video/webm")
	default:
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("format %q: want mp4 (H.264) or webm (VP8)", format))
		return
	}
	if err != nil {
		w.Header().Del("Content-Type")
		writeError(w, http.StatusUnprocessableEntity, api.CodeInvalidArgument, fmt.Sprintf("the %s clip cannot be written: %v", format, err))
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.%s"`, name, frags[0].ServerTime.UTC().Format("20060102T150405Z"), format))
	http.ServeContent(w, r, "", frags[0].ServerTime, bytes.NewReader(buf.Bytes()))
}

// clipFragments reads the fragments overlapping [start, end), within the
// clip limits.
func (g *Gateway) clipFragments(ctx context.Context, name string, start, end time.Time) ([]*media.Fragment, error) {
	var frags []*media.Fragment
	size := 0
	err := g.videoStore.Range(ctx, name, start, end, func(f *media.Fragment) error {
		size += f.Size()
		if len(frags) == maxClipFragments || size > maxClipBytes {
			return fmt.Errorf("%w: the clip would pass %d fragments or %d MiB: ask for a shorter range", store.ErrInvalidArgument, maxClipFragments, maxClipBytes>>20)
		}
		frags = append(frags, f)
		return nil
	})
	return frags, err
}

func hasCodec(frags []*media.Fragment, c media.Codec) bool {
	for _, f := range frags {
		for _, t := range f.Tracks {
			if t.Codec == c {
				return true
			}
		}
	}
	return false
}

// hlsPlaylist is a VOD playlist (RFC 8216, fMP4 segments, version 7) of
// the fragments overlapping [start, end) — by default the last hour. A
// gap, a new session or other tracks start a discontinuity with its own
// initialisation segment.
func (g *Gateway) hlsPlaylist(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	start, end, err := timeRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, err.Error())
		return
	}
	if start.IsZero() {
		start = time.Now().Add(-time.Hour)
		if !end.IsZero() {
			start = end.Add(-time.Hour)
		}
	}
	infos, err := g.videoStore.List(name, start, end, 0)
	if err != nil {
		videoError(w, err)
		return
	}
	if len(infos) == 0 {
		writeError(w, http.StatusNotFound, api.CodeVideoStreamNotFound, "no fragments of "+name+" in that range")
		return
	}
	if hasTrackCodec(infos, media.CodecVP8) {
		writeError(w, http.StatusUnprocessableEntity, api.CodeInvalidArgument, "HLS carries H.264 here; "+name+" is VP8: use its WebM clips")
		return
	}
	target := 1
	for _, in := range infos {
		target = max(target, int(math.Ceil(in.Duration.Seconds())))
	}
	suffix := ""
	if t := r.URL.Query().Get("token"); t != "" {
		suffix = "?token=" + t
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n", target, infos[0].Number)
	for i, in := range infos {
		if i == 0 || breaks(infos[i-1], in) {
			if i > 0 {
				b.WriteString("#EXT-X-DISCONTINUITY\n")
			}
			fmt.Fprintf(&b, "#EXT-X-MAP:URI=\"init/%d%s\"\n", in.Number, suffix)
		}
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n#EXTINF:%.3f,\nseg/%d%s\n", in.ServerTime.UTC().Format("2006-01-02T15:04:05.000Z"), in.Duration.Seconds(), in.Number, suffix)
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	w.Write([]byte(b.String()))
}

// breaks reports a discontinuity between consecutive fragments: a gap of
// more than a quarter second (a new session), or other tracks.
func breaks(prev, next store.Info) bool {
	if next.ServerTime.Sub(prev.End()) > 250*time.Millisecond || len(prev.Tracks) != len(next.Tracks) {
		return true
	}
	for i := range prev.Tracks {
		if prev.Tracks[i] != next.Tracks[i] {
			return true
		}
	}
	return false
}

func hasTrackCodec(infos []store.Info, c media.Codec) bool {
	for _, in := range infos {
		for _, t := range in.Tracks {
			if t.Codec == c {
				return true
			}
		}
	}
	return false
}

func (g *Gateway) fragmentParam(w http.ResponseWriter, r *http.Request) (*media.Fragment, bool) {
	n, err := strconv.ParseUint(r.PathValue("number"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("fragment number %q", r.PathValue("number")))
		return nil, false
	}
	f, err := g.videoStore.Get(r.PathValue("name"), n)
	if err != nil {
		videoError(w, err)
		return nil, false
	}
	return f, true
}

// hlsInit is the initialisation segment of the run that starts at a
// fragment.
func (g *Gateway) hlsInit(w http.ResponseWriter, r *http.Request) {
	f, ok := g.fragmentParam(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := mp4.WriteInit(&buf, f); err != nil {
		writeError(w, http.StatusUnprocessableEntity, api.CodeInvalidArgument, err.Error())
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Cache-Control", "max-age=86400, immutable")
	w.Write(buf.Bytes())
}

// hlsSegment is one fragment as an fMP4 media segment.
func (g *Gateway) hlsSegment(w http.ResponseWriter, r *http.Request) {
	f, ok := g.fragmentParam(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := mp4.WriteSegment(&buf, uint32(f.Number), f, mp4.SegmentOptions{}); err != nil {
		writeError(w, http.StatusUnprocessableEntity, api.CodeInvalidArgument, err.Error())
		return
	}
	w.Header().Set("Content-Type", "video/iso.segment")
	w.Header().Set("Cache-Control", "max-age=86400, immutable")
	w.Write(buf.Bytes())
}
