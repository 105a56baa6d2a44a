package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/spool"
)

func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", g.health)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/v1/streams", g.listStreams)
	mux.HandleFunc("POST /api/v1/streams", g.createStream)
	mux.HandleFunc("GET /api/v1/streams/{name}", g.describeStream)
	mux.HandleFunc("PATCH /api/v1/streams/{name}", g.updateStream)
	mux.HandleFunc("DELETE /api/v1/streams/{name}", g.deleteStream)
	mux.HandleFunc("POST /api/v1/streams/{name}/records", g.putRecords)
	mux.HandleFunc("GET /api/v1/streams/{name}/records", g.getRecords)
	mux.HandleFunc("GET /api/v1/deliveries", g.listDeliveries)
	mux.HandleFunc("GET /api/v1/deliveries/{name}", g.describeDelivery)
	mux.HandleFunc("POST /api/v1/deliveries/{name}/pause", g.pauseDelivery)
	mux.HandleFunc("POST /api/v1/deliveries/{name}/resume", g.resumeDelivery)
	mux.HandleFunc("GET /api/v1/sensors", g.listSensors)
	mux.HandleFunc("GET /api/v1/apps", g.listApps)
	mux.HandleFunc("POST /api/v1/apps", g.createApp)
	mux.HandleFunc("GET /api/v1/apps/{name}", g.describeApp)
	mux.HandleFunc("POST /api/v1/apps/{name}/stop", g.stopApp)
	mux.HandleFunc("POST /api/v1/apps/{name}/start", g.startAppHandler)
	mux.HandleFunc("DELETE /api/v1/apps/{name}", g.deleteApp)
	mux.HandleFunc("POST /api/v1/sql", g.adhocQuery)
	g.videoRoutes(mux)
	if g.kinesis != nil {
		mux.Handle("/", g.kinesis) // the Kinesis API: POST to any other path (kinesis.md §1.1)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, api.CodeInvalidArgument, "no admin API endpoint "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func (g *Gateway) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, api.Health{
		Status:     "ok",
		Version:    Version,
		Durability: g.spool.Durability().String(),
		Streams:    len(g.spool.ListStreams()),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.Error{Err: api.ErrorBody{Code: code, Message: msg}})
}

// errorCode maps a spool error to its API code and HTTP status.
func errorCode(err error) (string, int) {
	switch {
	case errors.Is(err, spool.ErrStreamNotFound):
		return api.CodeStreamNotFound, http.StatusNotFound
	case errors.Is(err, spool.ErrShardNotFound):
		return api.CodeShardNotFound, http.StatusNotFound
	case errors.Is(err, spool.ErrStreamExists):
		return api.CodeStreamExists, http.StatusConflict
	case errors.Is(err, spool.ErrRecordTooLarge), errors.Is(err, spool.ErrTooLarge):
		return api.CodeRecordTooLarge, http.StatusRequestEntityTooLarge
	case errors.Is(err, spool.ErrInvalidArgument), errors.Is(err, spool.ErrShardClosed):
		return api.CodeInvalidArgument, http.StatusBadRequest
	case errors.Is(err, spool.ErrStreamFull):
		return api.CodeStreamFull, http.StatusTooManyRequests
	case errors.Is(err, spool.ErrDiskFull):
		return api.CodeDiskFull, http.StatusInsufficientStorage
	case errors.Is(err, spool.ErrClosed):
		return api.CodeUnavailable, http.StatusServiceUnavailable
	}
	return api.CodeInternal, http.StatusInternalServerError
}

func writeSpoolError(w http.ResponseWriter, err error) {
	code, status := errorCode(err)
	writeError(w, status, code, err.Error())
}
