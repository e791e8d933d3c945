package server

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/privacy"
)

func setIngestCORS(w http.ResponseWriter) {
	h := w.Header()
	// The ingest key is write-only and no cookie is read, so any page may send.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, X-Playhead-Key")
	h.Set("Access-Control-Max-Age", "86400")
	h.Set("Access-Control-Expose-Headers", "Retry-After")
}

func (s *Server) handleIngestPreflight(w http.ResponseWriter, r *http.Request) {
	setIngestCORS(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	setIngestCORS(w)
	counted := &countingReader{r: r.Body}
	res, sid, seq, err := s.ingest(r, counted)
	if m := s.Metrics; m != nil {
		result := "accepted"
		switch {
		case err != nil:
			result = "refused"
			m.Refused.WithLabelValues(playhead.ErrorCode(err)).Inc()
		case res.Duplicate:
			result = "duplicate"
		default:
			m.activeSessions.touch(sid, start)
			m.AckSeconds.Observe(time.Since(start).Seconds())
		}
		m.Batches.WithLabelValues(result).Inc()
		m.Bytes.WithLabelValues(result).Add(float64(counted.n))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true, "sid": sid, "seq": seq, "duplicate": res.Duplicate})
}

// ingest authenticates, limits, decodes and stores one batch.
func (s *Server) ingest(r *http.Request, body io.Reader) (res ingest.Result, sid string, seq int, err error) {
	key := r.URL.Query().Get("k")
	if key == "" {
		key = r.Header.Get("X-Playhead-Key")
	}
	if key == "" {
		return res, "", 0, playhead.Errorf(playhead.EUNAUTHORIZED, "missing ingest key: pass it as ?k=KEY or in X-Playhead-Key")
	}
	now := s.Now()
	// The address is limited first, so that guessing keys costs no lookup.
	if ok, wait := s.ipLimits.allow(clientKey(ClientIP(r, s.TrustedProxies)), now); !ok {
		return res, "", 0, rateLimited("this client address", s.RateLimits.PerIP, wait)
	}
	project, err := s.projectByKey(r.Context(), key, now)
	if err != nil {
		if playhead.ErrorCode(err) == playhead.EUNAUTHORIZED {
			return res, "", 0, err
		}
		return res, "", 0, s.Ingester.StorageFailed("look up ingest key", err)
	}
	if ok, wait := s.projectLimits.allow(strconv.FormatInt(project.ID, 10), now); !ok {
		return res, "", 0, rateLimited("this project", s.RateLimits.PerProject, wait)
	}
	var gzipped bool
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		gzipped = true
	default:
		return res, "", 0, playhead.Errorf(playhead.EINVALID, "Content-Encoding %q is not supported: send gzip or plain JSON", enc)
	}
	// The body is read and decompressed into buffers used again by later
	// requests: nothing refers to them once the batch is stored or refused.
	rawBuf, dataBuf := bodyBuffers.Get().(*[]byte), bodyBuffers.Get().(*[]byte)
	var raw, data []byte
	defer func() { putBodyBuffers(rawBuf, dataBuf, raw, data) }()
	raw, err = ingest.AppendRaw(*rawBuf, body, s.Limits)
	if err != nil {
		return res, "", 0, err
	}
	// Decompressing, decoding, scrubbing and encrypting take a worker slot;
	// reading the body from the network and waiting for the commit do not.
	release, err := s.ingestSlot(r.Context())
	if err != nil {
		return res, "", 0, err
	}
	defer func() {
		if release != nil {
			release()
		}
	}()
	data, err = ingest.AppendDecompressed(*dataBuf, raw, gzipped, s.Limits)
	if err != nil {
		return res, "", 0, err
	}
	batch, err := ingest.ParseBatchWith(data, s.Limits, now, ingest.ParseOptions{FindAssets: s.Ingester.CapturesAssets(project)})
	if err != nil {
		return res, "", 0, err
	}
	from := ingest.Origin{UserAgent: r.UserAgent()}
	if s.keepClientIP(project) {
		if ip := ClientIP(r, s.TrustedProxies); ip.IsValid() {
			from.ClientIP = privacy.AnonymizeIP(ip).String()
		}
	}
	prepared, err := s.Ingester.Prepare(r.Context(), project, batch, from)
	if err != nil {
		return res, batch.SessionID, batch.Seq, err
	}
	release()
	release = nil
	res, err = s.Ingester.Commit(r.Context(), prepared)
	return res, batch.SessionID, batch.Seq, err
}

// bodyBuffers hold request bodies, compressed and decompressed, between
// requests: a batch's body is a few tens of kilobytes decompressed, and at
// thousands of batches a second allocating it anew was a quarter of what
// ingest allocated, all of it for the collector to sweep up.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody: a larger body (a big page's full snapshot) is left to the
// collector rather than kept.
const maxPooledBody = 1 << 20

// putBodyBuffers gives a request's buffers back to bodyBuffers, each
// holding what it was read or decompressed into when that grew it and is
// not too large to keep. A body that was not compressed is raw's array
// (empty too): that one goes back once.
func putBodyBuffers(rawBuf, dataBuf *[]byte, raw, data []byte) {
	if sameArray(raw, data) {
		data = nil
	}
	for _, b := range []struct {
		buf  *[]byte
		used []byte
	}{{rawBuf, raw}, {dataBuf, data}} {
		if cap(b.used) > cap(*b.buf) && cap(b.used) <= maxPooledBody {
			*b.buf = b.used[:0]
		}
		bodyBuffers.Put(b.buf)
	}
}

// sameArray reports whether a and b start at the same array element,
// whatever their lengths.
func sameArray(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][0] == &b[:cap(b)][0]
}

// DefaultIngestWait is how long a batch may wait for an ingest worker.
const DefaultIngestWait = 10 * time.Second

// ingestSlot waits for one of the IngestWorkers slots and returns its
// release.
func (s *Server) ingestSlot(ctx context.Context) (func(), error) {
	release := func() { <-s.ingestSlots }
	select {
	case s.ingestSlots <- struct{}{}:
		return release, nil
	default:
	}
	wait := s.IngestWait
	if wait <= 0 {
		wait = DefaultIngestWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.ingestSlots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, playhead.Errorf(playhead.EUNAVAILABLE, "the server is overloaded: %d batches are being stored and more waited longer than %s; retry later", cap(s.ingestSlots), wait)
	case <-ctx.Done():
		return nil, playhead.Errorf(playhead.EUNAVAILABLE, "request ended before the batch was stored")
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// keepClientIP says whether a project's sessions keep their client's
// address (anonymised): as its settings say, or else as the installation's.
func (s *Server) keepClientIP(p *playhead.Project) bool {
	switch p.Settings.ClientIP {
	case "anonymized":
		return true
	case "none":
		return false
	}
	return s.KeepClientIP
}

// cache remembers what a secret (an ingest key, an OTLP token) stands for
// for a minute, so the hot path does not read the index for every batch.
// Unknown secrets are not cached: a new project's key works at once. A
// change (a key rotated, a token revoked) clears this node's cache at once
// (forget); other nodes see it within the minute.
type cache[V any] struct {
	mu      sync.Mutex
	entries map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

const keyCacheTTL = time.Minute

func (c *cache[V]) lookup(ctx context.Context, key string, now time.Time, load func(context.Context, string) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load(ctx, key)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10_000 {
		c.entries = map[string]cacheEntry[V]{}
	}
	c.entries[key] = cacheEntry[V]{v: v, expires: now.Add(keyCacheTTL)}
	return v, nil
}

// forget empties the cache.
func (c *cache[V]) forget() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

// projectByKey returns the project an ingest key belongs to, if the key is
// still valid at now.
func (s *Server) projectByKey(ctx context.Context, key string, now time.Time) (*playhead.Project, error) {
	p, err := s.keys.lookup(ctx, key, now, s.Accounts.ProjectByKey)
	if err != nil {
		return nil, err
	}
	if !p.AcceptsKey(key, now) {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "this ingest key was replaced and its grace period ended at %s: use the project's current key",
			p.PreviousKeyUntil.UTC().Format(time.RFC3339))
	}
	return p, nil
}

// handleIngestConfig answers what the SDK should record with for a
// project (its privacy preset and sample rates, set in the dashboard), to
// any page that has the project's ingest key: the SDK keeps it and applies
// it from the next page load on. A page may be stricter than its project,
// never less strict.
func (s *Server) handleIngestConfig(w http.ResponseWriter, r *http.Request) error {
	setIngestCORS(w)
	now := s.Now()
	if ok, wait := s.ipLimits.allow(clientKey(ClientIP(r, s.TrustedProxies)), now); !ok {
		return rateLimited("this client address", s.RateLimits.PerIP, wait)
	}
	key := r.URL.Query().Get("k")
	if key == "" {
		return playhead.Errorf(playhead.EUNAUTHORIZED, "missing ingest key: pass it as ?k=KEY")
	}
	p, err := s.projectByKey(r.Context(), key, now)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	st := p.Settings
	return writeJSON(w, http.StatusOK, map[string]any{"privacy": st.PrivacyPreset, "sampleRate": st.SampleRate, "errorSampleRate": st.ErrorSampleRate})
}
