package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/playhead/playhead"
)

// Metrics are the server's Prometheus metrics, served at /metrics.
type Metrics struct {
	Registry       *prometheus.Registry
	Batches        *prometheus.CounterVec // by result: accepted, duplicate, refused
	Bytes          *prometheus.CounterVec // compressed request bytes, by result
	Refused        *prometheus.CounterVec // by reason (error code)
	AckSeconds     prometheus.Histogram
	CommitSeconds  prometheus.Histogram
	CommitGroup    prometheus.Histogram
	StorageErrors  prometheus.Counter
	ChunksSealed   *prometheus.CounterVec // by cut reason
	activeSessions *activeSet
}

// NewMetrics creates the metrics; queueDepth reports the ingest queue.
func NewMetrics(queueDepth func() int) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playhead_ingest_batches_total", Help: "Batches received, by result (accepted, duplicate, refused).",
		}, []string{"result"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playhead_ingest_bytes_total", Help: "Request body bytes received (as sent, compressed), by result.",
		}, []string{"result"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playhead_ingest_refused_total", Help: "Batches refused, by reason.",
		}, []string{"reason"}),
		AckSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "playhead_ingest_ack_seconds", Help: "Time from receiving a batch to acknowledging it.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		CommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "playhead_ingest_commit_seconds", Help: "Time one group commit takes.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		CommitGroup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "playhead_ingest_commit_group_batches", Help: "Batches stored by one group commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		StorageErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "playhead_storage_errors_total", Help: "Failed group commits.",
		}),
		ChunksSealed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playhead_chunks_sealed_total", Help: "Chunks sealed, by cut reason (idle, full, max_age).",
		}, []string{"reason"}),
		activeSessions: &activeSet{seen: map[string]time.Time{}},
	}
	m.Registry.MustRegister(m.Batches, m.Bytes, m.Refused, m.AckSeconds, m.CommitSeconds, m.CommitGroup, m.StorageErrors, m.ChunksSealed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "playhead_ingest_queue_depth", Help: "Batches waiting for the next group commit.",
		}, func() float64 { return float64(queueDepth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "playhead_active_sessions", Help: "Sessions that sent a batch in the last five minutes.",
		}, func() float64 { return float64(m.activeSessions.count(time.Now())) }),
	)
	return m
}

// metricsAuth serves next only to a request that carries the metrics
// token: the metrics tell how busy Playhead is and how many sessions are
// recording, which is not for anyone who can reach the port.
func (s *Server) metricsAuth(next http.Handler) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.MetricsToken == "" {
			return playhead.Errorf(playhead.ENOTFOUND, "metrics are off: set PLAYHEAD_METRICS_TOKEN and scrape with that bearer token")
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.MetricsToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="playhead metrics"`)
			return playhead.Errorf(playhead.EUNAUTHORIZED, "metrics need the metrics token: send Authorization: Bearer TOKEN (PLAYHEAD_METRICS_TOKEN)")
		}
		next.ServeHTTP(w, r)
		return nil
	}
}

// ObserveCommit records one group commit; it fits ingest.Ingester.Observe.
func (m *Metrics) ObserveCommit(group int, took time.Duration, err error) {
	if err != nil {
		m.StorageErrors.Inc()
		return
	}
	m.CommitSeconds.Observe(took.Seconds())
	m.CommitGroup.Observe(float64(group))
}

const activeWindow = 5 * time.Minute

// activeSet remembers when each session last sent a batch.
type activeSet struct {
	mu     sync.Mutex
	seen   map[string]time.Time
	pruned time.Time
}

func (a *activeSet) touch(key string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[key] = now
	if now.Sub(a.pruned) > time.Minute {
		for k, t := range a.seen {
			if now.Sub(t) > activeWindow {
				delete(a.seen, k)
			}
		}
		a.pruned = now
	}
}

func (a *activeSet) count(now time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, t := range a.seen {
		if now.Sub(t) <= activeWindow {
			n++
		}
	}
	return n
}
