package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/video/clips"
)

// Clip uploads share the uplink's bandwidth: event clips above the
// deliveries (which take 2p and 2p+1), recordings below them.
const (
	clipPriority      = 4
	recordingPriority = -1
)

// clipRunner is a clip rule's worker or an upload's scheduler.
type clipRunner interface {
	Start(ctx context.Context) error
	Close() error
	Status() clips.Status
}

// startClips starts the clip rules (each with the SQL app that selects
// its triggers) and the scheduled uploads.
func (g *Gateway) startClips() error {
	vc := g.cfg.Video
	if g.videoStore == nil || len(vc.ClipRules)+len(vc.Uploads) == 0 {
		return nil
	}
	tmp := filepath.Join(g.cfg.DataDir, "video-tmp") // clips are written here before they go up: the data disk, not a RAM /tmp
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return fmt.Errorf("video clips: %w", err)
	}
	base := clips.Options{Spool: g.spool, Store: g.videoStore, Link: g.link, TempDir: tmp, Logger: g.log.With("component", "clips")}
	for i, r := range vc.ClipRules {
		dest, err := g.clipDest(r.Destination)
		if err != nil {
			return fmt.Errorf("video.clip_rules[%d].destination: %w", i, err)
		}
		if _, err := g.spool.EnsureStream(spool.StreamConfig{Name: r.TriggerStream(), Shards: 1}); err != nil {
			return fmt.Errorf("video.clip_rules[%d]: the trigger stream: %w", i, err)
		}
		if !g.streamExists(r.Source) {
			if _, err := g.spool.EnsureStream(spool.StreamConfig{Name: r.Source, Shards: 1}); err != nil {
				return fmt.Errorf("video.clip_rules[%d].source: %w", i, err)
			}
		}
		if err := g.startApp(r.TriggerApp(), "clip-rule"); err != nil {
			return fmt.Errorf("video.clip_rules[%d]: the trigger app: %w", i, err)
		}
		opts := base
		opts.Priority = clipPriority
		w, err := clips.NewWorker(clips.Rule{Name: r.Name, Camera: r.Camera, Triggers: r.TriggerStream(), TimeField: r.TimeField,
			Pre: time.Duration(r.Pre), Post: time.Duration(r.Post), MaxDuration: time.Duration(r.MaxDuration), Format: r.Format, Dest: dest}, opts)
		if err == nil {
			err = w.Start(context.Background())
		}
		if err != nil {
			return fmt.Errorf("video.clip_rules[%d]: %w", i, err)
		}
		g.clipRunners = append(g.clipRunners, w)
	}
	for i, u := range vc.Uploads {
		dest, err := g.clipDest(u.Destination)
		if err != nil {
			return fmt.Errorf("video.uploads[%d].destination: %w", i, err)
		}
		sc := clips.Schedule{Name: u.Name, Camera: u.Camera, Interval: time.Duration(u.Interval), Chunk: time.Duration(u.Chunk),
			DeleteAfterUpload: u.DeleteAfterUpload, Format: u.Format, Dest: dest}
		if u.Window != "" {
			sc.Window, _ = clips.ParseWindow(u.Window)
		}
		opts := base
		opts.Priority = recordingPriority
		s, err := clips.NewScheduler(sc, opts)
		if err == nil {
			err = s.Start(context.Background())
		}
		if err != nil {
			return fmt.Errorf("video.uploads[%d]: %w", i, err)
		}
		g.clipRunners = append(g.clipRunners, s)
	}
	return nil
}

func (g *Gateway) stopClips() {
	for _, r := range g.clipRunners {
		r.Close()
	}
}

// clipDest builds a rule's destination.
func (g *Gateway) clipDest(d config.ClipDestination) (clips.Destination, error) {
	if d.HTTP.URL != "" {
		return &clips.HTTPDest{URL: d.HTTP.URL, Headers: d.HTTP.Headers, Client: &http.Client{Timeout: 10 * time.Minute}}, nil
	}
	c, fall := d.S3, g.cfg.Uplink.S3
	region, endpoint := c.Region, c.Endpoint
	if region == "" {
		region = fall.Region
	}
	if region == "" {
		region = "us-east-1"
	}
	if endpoint == "" {
		endpoint = fall.Endpoint
	}
	id, secret := c.AccessKeyID, c.SecretKey
	if id == "" {
		id, secret = fall.AccessKeyID, fall.SecretKey
	}
	opts := s3.Options{Region: region, UsePathStyle: c.PathStyle || (c.Endpoint == "" && fall.PathStyle)}
	if endpoint != "" {
		opts.BaseEndpoint = aws.String(endpoint)
	}
	opts.Credentials = awsCredentials(id, secret)
	return &clips.S3Dest{Client: s3.New(opts), Bucket: c.Bucket, Prefix: c.Prefix}, nil
}

// listClips is GET /api/v1/video/clips: each rule's and upload's state.
func (g *Gateway) listClips(w http.ResponseWriter, _ *http.Request) {
	out := api.ClipList{Runners: []api.ClipRunner{}}
	for _, r := range g.clipRunners {
		s := r.Status()
		kind := "rule"
		if _, ok := r.(*clips.Scheduler); ok {
			kind = "upload"
		}
		out.Runners = append(out.Runners, api.ClipRunner{Kind: kind, Name: s.Name, Camera: s.Camera, Triggers: s.Triggers, Merged: s.Merged,
			Covered: s.Covered, Clips: s.Clips, Bytes: s.Bytes, Empty: s.Empty, Failed: s.Failed, Deleted: s.Deleted, Retries: s.Retries,
			Retrying: s.Retrying, Waiting: s.Waiting, LastError: s.LastError, LastErrorAt: s.LastErrorAt, LastKey: s.LastKey, LastUpload: s.LastUpload})
	}
	writeJSON(w, http.StatusOK, out)
}
