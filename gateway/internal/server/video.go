package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/video/camera"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/rtpin"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc"
)

// VideoDir is where the fragment store lives under the data directory.
func VideoDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "video") }

// startVideo opens the fragment store and starts the cameras and the
// WHIP/WHEP server, when video streams are configured.
func (g *Gateway) startVideo() error {
	vc := g.cfg.Video
	if len(vc.Streams) == 0 {
		return nil
	}
	dur, err := store.ParseDurability(vc.Durability)
	if err != nil {
		return fmt.Errorf("video.durability: %w", err)
	}
	minFree := int64(vc.MinFreeDisk)
	if minFree == 0 {
		minFree = -1
	}
	st, err := store.Open(store.Options{Dir: VideoDir(g.cfg), Durability: dur, MinFreeDisk: minFree, Logger: g.log.With("component", "video-store")})
	if err != nil {
		return fmt.Errorf("video store: %w", err)
	}
	cams, err := camera.New(st, g.cfg.CameraConfigs(), camera.Options{Logger: g.log.With("component", "video")})
	if err != nil {
		st.Close()
		return err
	}
	wc := webrtc.Config{
		ICEAddr:       vc.ICEAddr,
		NAT1To1IPs:    vc.NAT1To1IPs,
		MaxSessions:   vc.MaxSessions,
		Authorize:     cams.Authorize,
		AuthorizeView: cams.AuthorizeView,
		Logger:        g.log.With("component", "webrtc"),
	}
	if host, _, _ := net.SplitHostPort(vc.ICEAddr); net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback() {
		wc.IPFilter = func(ip net.IP) bool { return ip.IsLoopback() }
	}
	if g.videoTune != nil {
		g.videoTune(&wc)
	}
	srv, err := webrtc.New(wc, cams, cams)
	if err != nil {
		cams.Close()
		st.Close()
		return fmt.Errorf("video.ice_addr: %w", err)
	}
	g.videoStore, g.cameras, g.videoSrv = st, cams, srv
	for i, s := range vc.Streams {
		if s.RTP.Listen == "" {
			continue
		}
		rc := s.RTPConfig()
		rc.Logger = g.log.With("component", "rtp", "stream", s.Name)
		pub := &rtpPublisher{m: cams}
		l, err := rtpin.New(rc, pub)
		if err == nil {
			pub.tracks = l.Tracks()
			err = l.Start(context.Background())
		}
		if err != nil {
			g.stopVideo()
			return fmt.Errorf("video.streams[%d].rtp (%s): %w", i, s.Name, err)
		}
		g.rtpIns = append(g.rtpIns, l)
		g.log.Info("rtp input", "stream", s.Name, "endpoints", l.Endpoints())
	}
	g.log.Info("video ready", "streams", len(vc.Streams), "ice", srv.ICEAddrs())
	return nil
}

// rtpPublisher publishes a plain RTP input through the cameras, giving
// each H.264 track the parameter sets its SDP declared.
type rtpPublisher struct {
	m      *camera.Manager
	tracks []rtpin.TrackInfo
}

func (p *rtpPublisher) Publish(stream string, tracks []media.Track, kf webrtc.KeyframeRequester) (webrtc.Sink, error) {
	sink, err := p.m.Publish(stream, tracks, kf)
	if err != nil {
		return nil, err
	}
	if ps, ok := sink.(camera.ParameterSetter); ok {
		for i, t := range p.tracks {
			if len(t.ParameterSets) > 0 {
				ps.SetParameterSets(i, t.ParameterSets)
			}
		}
	}
	return sink, nil
}

// stopVideo ends every session (publishers first), stores what they
// hold, and closes the store.
func (g *Gateway) stopVideo() {
	for _, l := range g.rtpIns {
		l.Close()
	}
	if g.videoSrv != nil {
		g.videoSrv.Close()
	}
	if g.cameras != nil {
		g.cameras.Close()
	}
	if g.videoStore != nil {
		if err := g.videoStore.Close(); err != nil {
			g.log.Error("video store close", "err", err)
		}
	}
}

// videoRoutes mounts WHIP/WHEP and the video admin API.
func (g *Gateway) videoRoutes(mux *http.ServeMux) {
	if g.videoSrv == nil {
		off := func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, api.CodeVideoOff, "no video streams are configured (video.streams in the config file)")
		}
		mux.HandleFunc("/video/", off)
		mux.HandleFunc("/api/v1/video/", off)
		return
	}
	for _, p := range g.videoSrv.Patterns() {
		mux.Handle(p, g.videoSrv)
	}
	mux.HandleFunc("GET /api/v1/video/streams", g.listVideoStreams)
	mux.HandleFunc("GET /api/v1/video/streams/{name}", g.describeVideoStream)
	mux.HandleFunc("POST /api/v1/video/streams/{name}/recording/start", g.recording(true))
	mux.HandleFunc("POST /api/v1/video/streams/{name}/recording/stop", g.recording(false))
	mux.HandleFunc("GET /api/v1/video/streams/{name}/fragments", g.listFragments)
	mux.HandleFunc("GET /api/v1/video/clips", g.listClips)
	g.playbackRoutes(mux)
}

func videoStatus(s camera.Status) api.VideoStream {
	out := api.VideoStream{Name: s.Name, Live: s.Live, Recording: s.Recording, Viewers: s.Viewers, Sessions: s.Sessions, Frames: s.Frames,
		Fragments: s.Fragments, Dropped: s.Dropped, Denied: s.Denied, WriteErrs: s.WriteErrs, LostFrames: s.LostFrames,
		Stored: int64(s.Usage.Fragments), Bytes: s.Usage.Bytes, Oldest: s.Usage.Oldest, Newest: s.Usage.Newest,
		MaxAge: s.Limits.MaxAge.String(), MaxBytes: s.Limits.MaxBytes, WhenFull: s.Limits.Policy.String(), LastError: s.LastError}
	for _, t := range s.Tracks {
		out.Tracks = append(out.Tracks, t.Codec.String())
	}
	return out
}

func (g *Gateway) listVideoStreams(w http.ResponseWriter, _ *http.Request) {
	list := api.VideoStreamList{Streams: []api.VideoStream{}}
	for _, s := range g.cameras.Status() {
		list.Streams = append(list.Streams, videoStatus(s))
	}
	writeJSON(w, http.StatusOK, list)
}

func (g *Gateway) describeVideoStream(w http.ResponseWriter, r *http.Request) {
	s, err := g.cameras.StreamStatus(r.PathValue("name"))
	if err != nil {
		videoError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, videoStatus(s))
}

func (g *Gateway) recording(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if err := g.cameras.SetRecording(name, on); err != nil {
			videoError(w, err)
			return
		}
		g.describeVideoStream(w, r)
	}
}

// listFragments is KVS's ListFragments: the fragments overlapping
// [start, end), by server time, without their payload.
func (g *Gateway) listFragments(w http.ResponseWriter, r *http.Request) {
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
	limit := 0
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > store.MaxList {
			writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("limit %q: want 1 to %d", s, store.MaxList))
			return
		}
	}
	infos, err := g.videoStore.List(name, start, end, limit)
	if err != nil {
		videoError(w, err)
		return
	}
	out := api.FragmentList{Stream: name, Fragments: make([]api.Fragment, len(infos))}
	for i, in := range infos {
		f := api.Fragment{Number: in.Number, ServerTime: in.ServerTime, ProducerTime: in.ProducerTime, DurationMs: in.Duration.Milliseconds(),
			Size: in.Size, Frames: in.Frames, Keyframes: in.Keyframes, Tracks: []string{}}
		for _, t := range in.Tracks {
			f.Tracks = append(f.Tracks, t.Codec.String())
		}
		out.Fragments[i] = f
	}
	writeJSON(w, http.StatusOK, out)
}

// timeRange reads start and end (RFC 3339, or Unix seconds or
// milliseconds) from the query; missing is open.
func timeRange(r *http.Request) (start, end time.Time, err error) {
	q := r.URL.Query()
	if start, err = parseTimeParam("start", q.Get("start")); err != nil {
		return
	}
	if end, err = parseTimeParam("end", q.Get("end")); err != nil {
		return
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		err = fmt.Errorf("end %s is not after start %s", end.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
	}
	return
}

func parseTimeParam(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 1e11 { // milliseconds
			return time.UnixMilli(n), nil
		}
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time or Unix seconds or milliseconds", name, s)
}

func videoError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, camera.ErrUnknownStream), errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, api.CodeVideoStreamNotFound, err.Error())
	case errors.Is(err, store.ErrInvalidArgument):
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, api.CodeInternal, err.Error())
	}
}

// videoCollector exports each video stream's state at scrape time.
type videoCollector struct{ g *Gateway }

var (
	descVideoLive      = prometheus.NewDesc("tributary_video_live", "1 while a camera publishes the stream.", []string{"stream"}, nil)
	descVideoRecording = prometheus.NewDesc("tributary_video_recording", "1 while the stream records.", []string{"stream"}, nil)
	descVideoViewers   = prometheus.NewDesc("tributary_video_viewers", "WHEP viewers of the stream.", []string{"stream"}, nil)
	descVideoFrames    = prometheus.NewDesc("tributary_video_frames_total", "Frames received.", []string{"stream"}, nil)
	descVideoFrags     = prometheus.NewDesc("tributary_video_fragments_total", "Fragments stored, dropped (the store was behind), denied (full, deny_new) or failed.", []string{"stream", "result"}, nil)
	descVideoBytes     = prometheus.NewDesc("tributary_video_stored_bytes", "Bytes the stream holds in the fragment store.", []string{"stream"}, nil)
	descVideoStored    = prometheus.NewDesc("tributary_video_stored_fragments", "Fragments the stream holds.", []string{"stream"}, nil)
)

func (c videoCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descVideoLive, descVideoRecording, descVideoViewers, descVideoFrames, descVideoFrags, descVideoBytes, descVideoStored} {
		ch <- d
	}
}

func (c videoCollector) Collect(ch chan<- prometheus.Metric) {
	if c.g.cameras == nil {
		return
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, s := range c.g.cameras.Status() {
		ch <- prometheus.MustNewConstMetric(descVideoLive, prometheus.GaugeValue, b(s.Live), s.Name)
		ch <- prometheus.MustNewConstMetric(descVideoRecording, prometheus.GaugeValue, b(s.Recording), s.Name)
		ch <- prometheus.MustNewConstMetric(descVideoViewers, prometheus.GaugeValue, float64(s.Viewers), s.Name)
		ch <- prometheus.MustNewConstMetric(descVideoFrames, prometheus.CounterValue, float64(s.Frames), s.Name)
		for result, n := range map[string]int64{"stored": s.Fragments, "dropped": s.Dropped, "denied": s.Denied, "failed": s.WriteErrs} {
			ch <- prometheus.MustNewConstMetric(descVideoFrags, prometheus.CounterValue, float64(n), s.Name, result)
		}
		ch <- prometheus.MustNewConstMetric(descVideoBytes, prometheus.GaugeValue, float64(s.Usage.Bytes), s.Name)
		ch <- prometheus.MustNewConstMetric(descVideoStored, prometheus.GaugeValue, float64(s.Usage.Fragments), s.Name)
	}
}
