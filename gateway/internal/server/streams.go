package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/spool"
)

const maxAdminBody = 1 << 20

func streamJSON(info spool.StreamInfo, withShards bool) api.Stream {
	s := api.Stream{
		Name:       info.Name,
		OpenShards: info.OpenShards(),
		Retention:  info.Retention.String(),
		MaxBytes:   info.MaxBytes,
		WhenFull:   string(info.WhenFull),
		Records:    info.Records,
		Bytes:      info.Bytes,
		System:     info.System,
		Created:    info.Created.Format(time.RFC3339),
	}
	if withShards {
		for _, sh := range info.Shards {
			s.Shards = append(s.Shards, api.Shard{
				ID:               sh.ID,
				StartingHashKey:  sh.HashRange.Start.String(),
				EndingHashKey:    sh.HashRange.End.String(),
				Parents:          sh.ParentShardIDs,
				Children:         sh.ChildShardIDs,
				StartingSequence: sh.StartingSequence,
				EndingSequence:   sh.EndingSequence,
				LastSequence:     sh.LastSequence,
				Records:          sh.Records,
				Bytes:            sh.Bytes,
			})
		}
	}
	return s
}

func (g *Gateway) listStreams(w http.ResponseWriter, r *http.Request) {
	out := api.StreamList{Streams: []api.Stream{}}
	for _, name := range g.spool.ListStreams() {
		info, err := g.spool.DescribeStream(name)
		if err != nil {
			continue // deleted meanwhile
		}
		out.Streams = append(out.Streams, streamJSON(info, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeBody reads a JSON body strictly: unknown fields are errors that
// name the field.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		status := http.StatusBadRequest
		if _, ok := err.(*http.MaxBytesError); ok {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, api.CodeInvalidArgument, "request body: "+err.Error())
		return false
	}
	return true
}

func parseRetention(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: retention %q is not a duration like 24h or 90m", spool.ErrInvalidArgument, s)
	}
	return d, nil
}

func (g *Gateway) createStream(w http.ResponseWriter, r *http.Request) {
	var req api.CreateStream
	if !decodeBody(w, r, maxAdminBody, &req) {
		return
	}
	ret, err := parseRetention(req.Retention)
	if err != nil {
		writeSpoolError(w, err)
		return
	}
	if req.Shards == 0 {
		req.Shards = 4
	}
	cfg := spool.StreamConfig{Name: req.Name, Shards: req.Shards, Retention: ret, MaxBytes: req.MaxBytes, WhenFull: spool.FullPolicy(req.WhenFull)}
	if err := g.spool.CreateStream(cfg); err != nil {
		writeSpoolError(w, err)
		return
	}
	info, err := g.spool.DescribeStream(req.Name)
	if err != nil {
		writeSpoolError(w, err)
		return
	}
	g.log.Info("created stream", "stream", req.Name, "shards", req.Shards, "by", "api")
	writeJSON(w, http.StatusCreated, streamJSON(info, true))
}

func (g *Gateway) describeStream(w http.ResponseWriter, r *http.Request) {
	info, err := g.spool.DescribeStream(r.PathValue("name"))
	if err != nil {
		writeSpoolError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, streamJSON(info, true))
}

func (g *Gateway) updateStream(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req api.UpdateStream
	if !decodeBody(w, r, maxAdminBody, &req) {
		return
	}
	var u spool.StreamUpdate
	if req.Retention != nil {
		d, err := parseRetention(*req.Retention)
		if err != nil {
			writeSpoolError(w, err)
			return
		}
		u.Retention = &d
	}
	u.MaxBytes = req.MaxBytes
	if req.WhenFull != nil {
		p := spool.FullPolicy(*req.WhenFull)
		u.WhenFull = &p
	}
	if u.Retention != nil || u.MaxBytes != nil || u.WhenFull != nil {
		if err := g.spool.UpdateStream(name, u); err != nil {
			writeSpoolError(w, err)
			return
		}
	}
	if req.Shards != nil {
		if err := g.spool.UpdateShardCount(name, *req.Shards); err != nil {
			writeSpoolError(w, err)
			return
		}
	}
	g.describeStream(w, r)
}

func (g *Gateway) deleteStream(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := g.spool.DeleteStream(name); err != nil {
		writeSpoolError(w, err)
		return
	}
	g.metrics.forget(name)
	g.log.Info("deleted stream", "stream", name)
	w.WriteHeader(http.StatusNoContent)
}
