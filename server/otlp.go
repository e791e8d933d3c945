package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/otlp"
	"github.com/playhead/playhead/privacy"
)

// maxOTLPDecoded bounds an OTLP request body after gunzip, as the
// OTLP/HTTP specification recommends (20 MiB).
const maxOTLPDecoded = 20 << 20

// handleOTLP receives OTLP/HTTP exports of traces or logs: records that
// carry a session.id are scrubbed and attached to that session; the others
// are not Playhead's and are dropped. Errors are google.rpc.Status bodies
// with the statuses the specification gives (429/503 retryable with
// Retry-After, 400/401/413 not).
func (s *Server) handleOTLP(signal string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		fail := func(err error) {
			code := playhead.ErrorCode(err)
			status := statusOf[code]
			var re *retryError
			switch {
			case errors.As(err, &re):
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(re.retryAfter.Seconds()))))
			case status == http.StatusServiceUnavailable:
				w.Header().Set("Retry-After", "5")
			}
			if code == playhead.EINTERNAL {
				s.Logger.Error("otlp", "signal", signal, "err", err)
			}
			body, rct := otlp.ErrorResponse(ct, playhead.ErrorMessage(err))
			w.Header().Set("Content-Type", rct)
			w.WriteHeader(status)
			w.Write(body)
		}
		key := r.Header.Get("X-Playhead-Key")
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && key == "" {
			key = strings.TrimSpace(v)
		}
		if key == "" {
			fail(playhead.Errorf(playhead.EUNAUTHORIZED, "missing project key: send X-Playhead-Key or Authorization: Bearer KEY"))
			return
		}
		now := s.Now()
		project, err := s.keys.lookup(r.Context(), key, now, s.Accounts.ProjectByKey)
		if err != nil {
			fail(err)
			return
		}
		if ok, wait := s.projectLimits.allow(strconv.FormatInt(project.ID, 10), now); !ok {
			fail(rateLimited("this project", s.RateLimits.PerProject, wait))
			return
		}
		var gzipped bool
		switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
		case "", "identity":
		case "gzip":
			gzipped = true
		default:
			fail(playhead.Errorf(playhead.EINVALID, "Content-Encoding %q is not supported: send gzip or none", enc))
			return
		}
		lim := s.Limits
		lim.MaxDecodedBytes = maxOTLPDecoded
		raw, err := ingest.ReadRaw(r.Body, lim)
		if err != nil {
			fail(err)
			return
		}
		decode, respond := otlp.DecodeTraces, otlp.TracesResponse
		if signal == "logs" {
			decode, respond = otlp.DecodeLogs, otlp.LogsResponse
		}
		records, err := s.decodeOTLP(r.Context(), raw, gzipped, lim, ct, decode)
		if err != nil {
			fail(err)
			return
		}
		if err := s.Backend.AddBackendRecords(r.Context(), project.ID, records); err != nil {
			s.Logger.Error("store backend records", "err", err)
			fail(playhead.Errorf(playhead.EUNAVAILABLE, "storage is unavailable; retry later"))
			return
		}
		out, rct := respond(ct)
		w.Header().Set("Content-Type", rct)
		w.Write(out)
	}
}

// decodeOTLP decompresses, decodes and scrubs an export in one of the
// ingest worker slots, as a batch is: what a body costs in memory is its
// decompressed size, so the number decoded at once is bounded.
func (s *Server) decodeOTLP(ctx context.Context, raw []byte, gzipped bool, lim ingest.Limits, ct string,
	decode func([]byte, string, otlp.Limits) ([]otlp.Record, int, error)) ([]playhead.BackendRecord, error) {
	release, err := s.ingestSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	body, err := ingest.Decompress(raw, gzipped, lim)
	if err != nil {
		return nil, err
	}
	recs, _, err := decode(body, ct, otlp.Limits{})
	if err != nil {
		return nil, err
	}
	records := make([]playhead.BackendRecord, len(recs))
	for i, rec := range recs {
		records[i] = scrubBackendRecord(rec)
	}
	return records, nil
}

// scrubBackendRecord masks personal data in what a backend sent, as ingest
// does for the browser's events.
func scrubBackendRecord(r otlp.Record) playhead.BackendRecord {
	attrs := make(map[string]any, len(r.Attributes))
	for k, v := range r.Attributes {
		attrs[k] = scrubValue(v)
	}
	return playhead.BackendRecord{
		SessionID: r.SessionID, Kind: r.Kind, Service: r.Service, TraceID: r.TraceID, SpanID: r.SpanID,
		ParentSpanID: r.ParentSpanID, Name: privacy.ScrubString(r.Name, nil), StartMs: r.StartMs, EndMs: r.EndMs,
		Level: r.Level, Message: privacy.ScrubString(r.Message, nil), Status: r.Status, Attributes: attrs,
	}
}

func scrubValue(v any) any {
	switch v := v.(type) {
	case string:
		return privacy.ScrubString(v, nil)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = scrubValue(v[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = scrubValue(x)
		}
		return out
	default:
		return v
	}
}
