package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/analytics"
	asql "github.com/tributary-edge/tributary/analytics/sql"
	"github.com/tributary-edge/tributary/video/clips"
)

// ClipRule cuts a clip from a camera when a record matching Condition
// arrives on Source, and uploads it. docs/video.md#clips-that-matter.
type ClipRule struct {
	Name string `yaml:"name"`
	// Camera is the video stream the clip is cut from.
	Camera string `yaml:"camera"`
	// Source is the stream whose records trigger clips (a motion event
	// over MQTT, a PIR sensor, an SQL app's alerts).
	Source string `yaml:"source"`
	// Condition is an SQL condition on the source's records ("" : every
	// record), as in a WHERE clause: type = 'motion' AND zone = 'door'.
	Condition string `yaml:"condition"`
	// TimeField, when set, is the trigger record's time (RFC 3339 or epoch
	// seconds or milliseconds); else its arrival.
	TimeField string `yaml:"time_field"`
	// Pre and Post are how much video before and after the trigger.
	Pre  Duration `yaml:"pre"`
	Post Duration `yaml:"post"`
	// MaxDuration bounds a clip that merges triggers close together.
	MaxDuration Duration `yaml:"max_duration"`
	// Format: mp4 or webm; "": by codec (H.264 → mp4, VP8 → webm).
	Format      string          `yaml:"format"`
	Destination ClipDestination `yaml:"destination"`
}

// VideoUpload uploads everything a camera records, in chunks, on a
// schedule (the KVS Edge Agent's scheduled upload).
type VideoUpload struct {
	Name   string `yaml:"name"`
	Camera string `yaml:"camera"`
	// Interval between upload runs; Chunk is the most video per object.
	Interval Duration `yaml:"interval"`
	Chunk    Duration `yaml:"chunk"`
	// Window, when set, limits uploads to a daily window ("22:00-06:00",
	// local time).
	Window string `yaml:"window"`
	// DeleteAfterUpload deletes what the destination took from the store.
	DeleteAfterUpload bool            `yaml:"delete_after_upload"`
	Format            string          `yaml:"format"`
	Destination       ClipDestination `yaml:"destination"`
}

// ClipDestination is an S3 bucket or an HTTP endpoint; exactly one.
type ClipDestination struct {
	S3   ClipS3   `yaml:"s3"`
	HTTP ClipHTTP `yaml:"http"`
}

// ClipS3 is an S3 (or S3-compatible) bucket; empty endpoint, region and
// credentials fall back to uplink.s3's, then the AWS environment.
type ClipS3 struct {
	Bucket      string `yaml:"bucket"`
	Prefix      string `yaml:"prefix"`
	Endpoint    string `yaml:"endpoint"`
	Region      string `yaml:"region"`
	PathStyle   bool   `yaml:"path_style"`
	AccessKeyID string `yaml:"access_key_id"`
	SecretKey   string `yaml:"secret_access_key"`
}

// ClipHTTP is an endpoint that takes each clip as a POST.
type ClipHTTP struct {
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
}

func (r *ClipRule) setDefaults() {
	*r = ClipRule{Pre: Duration(10 * time.Second), Post: Duration(20 * time.Second), MaxDuration: Duration(10 * time.Minute)}
}

func (u *VideoUpload) setDefaults() {
	*u = VideoUpload{Interval: Duration(time.Hour), Chunk: Duration(10 * time.Minute)}
}

// TriggerStream is where a rule's SQL app writes the records that trigger
// it.
func (r *ClipRule) TriggerStream() string { return "clips." + r.Name }

// TriggerApp is the SQL app that selects a rule's triggers.
func (r *ClipRule) TriggerApp() App {
	sql := fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", r.TriggerStream(), r.Source)
	if r.Condition != "" {
		sql += " WHERE " + r.Condition
	}
	return App{Name: "clip-" + r.Name, SQL: sql, From: "latest"}
}

func (c *Config) validateClips(v *validator) {
	cams := map[string]bool{}
	for _, s := range c.Video.Streams {
		cams[s.Name] = true
	}
	names := map[string]int{}
	for i, r := range c.Video.ClipRules {
		p := fmt.Sprintf("video.clip_rules[%d]", i)
		v.uniqueName(p+".name", "clip rule", "video.clip_rules", r.Name, i, names)
		if len(r.Name) > 64 {
			v.check(p+".name", "must be at most 64 characters")
		}
		if !cams[r.Camera] {
			v.check(p+".camera", fmt.Sprintf("%q is not a video stream (video.streams)", truncate(r.Camera)))
		}
		v.check(p+".source", checkStreamName(r.Source))
		if r.Source != "" && checkStreamName(r.Source) == "" {
			app := r.TriggerApp()
			if _, err := analytics.Compile(app.SQL, nil); err != nil {
				v.check(p+".condition", conditionError(err, app.SQL, r.Condition))
			}
		}
		rule := clips.Rule{Name: r.Name, Camera: r.Camera, Triggers: r.TriggerStream(), TimeField: r.TimeField, Pre: time.Duration(r.Pre),
			Post: time.Duration(r.Post), MaxDuration: time.Duration(r.MaxDuration), Format: r.Format, Dest: placeholderDest{}}
		if err := rule.Validate(); err != nil {
			v.check(p, err.Error())
		}
		r.Destination.validate(v, p+".destination")
	}
	names = map[string]int{}
	for i, u := range c.Video.Uploads {
		p := fmt.Sprintf("video.uploads[%d]", i)
		v.uniqueName(p+".name", "upload", "video.uploads", u.Name, i, names)
		if !cams[u.Camera] {
			v.check(p+".camera", fmt.Sprintf("%q is not a video stream (video.streams)", truncate(u.Camera)))
		}
		if u.Window != "" {
			if _, err := clips.ParseWindow(u.Window); err != nil {
				v.check(p+".window", err.Error())
			}
		}
		sc := clips.Schedule{Name: u.Name, Camera: u.Camera, Interval: time.Duration(u.Interval), Chunk: time.Duration(u.Chunk), Format: u.Format, Dest: placeholderDest{}}
		if err := sc.Validate(); err != nil {
			v.check(p, err.Error())
		}
		v.check(p+".interval", checkDurationRange(u.Interval, Duration(time.Minute), Duration(7*24*time.Hour)))
		u.Destination.validate(v, p+".destination")
	}
}

// conditionError places a compile error of a rule's SQL in its condition,
// with a caret under the problem.
func conditionError(err error, sql, cond string) string {
	var se *asql.Error
	var pe *analytics.Error
	pos, msg := -1, err.Error()
	switch {
	case errors.As(err, &se):
		pos, msg = se.Pos.Offset, se.Msg
	case errors.As(err, &pe):
		pos, msg = pe.Pos.Offset, pe.Msg
	}
	at := pos - (len(sql) - len(cond))
	if cond == "" || at < 0 || at > len(cond) {
		return fmt.Sprintf("%s (in %s)", msg, sql)
	}
	return fmt.Sprintf("%s\n%s\n%s^", msg, cond, strings.Repeat(" ", len([]rune(cond[:at]))))
}

func (d ClipDestination) validate(v *validator, p string) {
	switch {
	case (d.S3.Bucket == "") == (d.HTTP.URL == ""):
		v.check(p, "set exactly one of s3.bucket and http.url")
	case d.HTTP.URL != "":
		v.check(p+".http.url", checkHTTPURL(d.HTTP.URL))
	case d.S3.Endpoint != "":
		v.check(p+".s3.endpoint", checkHTTPURL(d.S3.Endpoint))
	}
	if (d.S3.AccessKeyID == "") != (d.S3.SecretKey == "") {
		v.check(p+".s3", "access_key_id and secret_access_key must be set together")
	}
}

// placeholderDest lets config validation use the clips package's checks
// before any client exists.
type placeholderDest struct{ clips.Destination }
