package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Error codes of the video API.
const (
	CodeVideoStreamNotFound = "VideoStreamNotFound"
	CodeVideoOff            = "VideoOff"
)

// VideoStreamList is the answer to GET /api/v1/video/streams.
type VideoStreamList struct {
	Streams []VideoStream `json:"streams"`
}

// VideoStream is one camera stream: live or not, recording or not, what
// it stores.
type VideoStream struct {
	Name      string   `json:"name"`
	Live      bool     `json:"live"`
	Recording bool     `json:"recording"`
	Tracks    []string `json:"tracks,omitempty"`
	Viewers   int      `json:"viewers"`
	Sessions  int64    `json:"sessions"`
	Frames    int64    `json:"frames"`
	// Fragments stored so far by this run; Dropped: not stored because
	// the store was behind; Denied: refused by a full stream (deny_new).
	Fragments  int64     `json:"fragments"`
	Dropped    int64     `json:"dropped_fragments"`
	Denied     int64     `json:"denied_fragments"`
	WriteErrs  int64     `json:"write_errors"`
	LostFrames int64     `json:"lost_frames"`
	Stored     int64     `json:"stored_fragments"`
	Bytes      int64     `json:"stored_bytes"`
	Oldest     time.Time `json:"oldest,omitzero"`
	Newest     time.Time `json:"newest,omitzero"`
	MaxAge     string    `json:"max_age"`
	MaxBytes   int64     `json:"max_bytes"`
	WhenFull   string    `json:"when_full"`
	LastError  string    `json:"last_error,omitempty"`
}

// FragmentList is the answer to GET /api/v1/video/streams/{name}/fragments
// (KVS's ListFragments, in JSON).
type FragmentList struct {
	Stream    string     `json:"stream"`
	Fragments []Fragment `json:"fragments"`
}

// Fragment describes one stored fragment.
type Fragment struct {
	Number       uint64    `json:"fragment_number"`
	ServerTime   time.Time `json:"server_timestamp"`
	ProducerTime time.Time `json:"producer_timestamp"`
	DurationMs   int64     `json:"duration_ms"`
	Size         int64     `json:"size_bytes"`
	Frames       int       `json:"frames"`
	Keyframes    int       `json:"keyframes"`
	Tracks       []string  `json:"tracks"`
}

func videoPath(name string) string { return "/api/v1/video/streams/" + url.PathEscape(name) }

// ListVideoStreams returns every video stream.
func (c *Client) ListVideoStreams(ctx context.Context) ([]VideoStream, error) {
	var l VideoStreamList
	err := c.do(ctx, http.MethodGet, "/api/v1/video/streams", nil, &l)
	return l.Streams, err
}

// DescribeVideoStream returns one video stream.
func (c *Client) DescribeVideoStream(ctx context.Context, name string) (VideoStream, error) {
	var out VideoStream
	err := c.do(ctx, http.MethodGet, videoPath(name), nil, &out)
	return out, err
}

// SetRecording starts or stops recording a stream.
func (c *Client) SetRecording(ctx context.Context, name string, on bool) (VideoStream, error) {
	var out VideoStream
	verb := "stop"
	if on {
		verb = "start"
	}
	err := c.do(ctx, http.MethodPost, videoPath(name)+"/recording/"+verb, nil, &out)
	return out, err
}

// ListFragments lists the fragments that overlap [start, end) (zero: open).
func (c *Client) ListFragments(ctx context.Context, name string, start, end time.Time, limit int) ([]Fragment, error) {
	q := url.Values{}
	if !start.IsZero() {
		q.Set("start", start.Format(time.RFC3339Nano))
	}
	if !end.IsZero() {
		q.Set("end", end.Format(time.RFC3339Nano))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out FragmentList
	err := c.do(ctx, http.MethodGet, videoPath(name)+"/fragments?"+q.Encode(), nil, &out)
	return out.Fragments, err
}

// GetClip writes the clip of [start, end) (format mp4 or webm; "" picks
// by codec) to w and returns its content type.
func (c *Client) GetClip(ctx context.Context, name string, start, end time.Time, format string, w io.Writer) (string, error) {
	q := url.Values{"start": {start.Format(time.RFC3339Nano)}, "end": {end.Format(time.RFC3339Nano)}}
	if format != "" {
		q.Set("format", format)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(videoPath(name)+"/clip", q), nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot reach the gateway at %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return "", decodeError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return resp.Header.Get("Content-Type"), err
}

// ClipList is the answer to GET /api/v1/video/clips.
type ClipList struct {
	Runners []ClipRunner `json:"clips"`
}

// ClipRunner is a clip rule's or a scheduled upload's state.
type ClipRunner struct {
	Kind        string    `json:"kind"` // rule | upload
	Name        string    `json:"name"`
	Camera      string    `json:"camera"`
	Triggers    int64     `json:"triggers"`
	Merged      int64     `json:"merged"`
	Covered     int64     `json:"covered"`
	Clips       int64     `json:"clips"`
	Bytes       int64     `json:"bytes"`
	Empty       int64     `json:"empty"`
	Failed      int64     `json:"failed"`
	Deleted     int64     `json:"deleted_fragments"`
	Retries     int64     `json:"retries"`
	Retrying    bool      `json:"retrying"`
	Waiting     bool      `json:"waiting"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastKey     string    `json:"last_key,omitempty"`
	LastUpload  time.Time `json:"last_upload,omitzero"`
}

// ListClips returns the clip rules' and uploads' state.
func (c *Client) ListClips(ctx context.Context) ([]ClipRunner, error) {
	var l ClipList
	err := c.do(ctx, http.MethodGet, "/api/v1/video/clips", nil, &l)
	return l.Runners, err
}
