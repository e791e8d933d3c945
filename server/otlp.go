package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/otlp"
	"github.com/playhead/playhead/privacy"
)

// otlpCaller is what an OTLP token stands for.
type otlpCaller struct {
	token   *playhead.APIToken
	project *playhead.Project
}

// otlpCallerOf returns the token of an OTLP request and its project. Only
// a secret API token of scope otlp may send backend records: the ingest
// key is in every recorded page's source, and with it anyone could put
// records into anyone's session.
func (s *Server) otlpCallerOf(ctx context.Context, secret string) (otlpCaller, error) {
	if strings.HasPrefix(secret, "phk_") {
		return otlpCaller{}, playhead.Errorf(playhead.EUNAUTHORIZED,
			"OTLP takes a secret API token of scope %s, not the public ingest key: create one under the project's API tokens", playhead.ScopeOTLP)
	}
	t, err := s.tokenOf(ctx, secret)
	if err != nil {
		return otlpCaller{}, err
	}
	if !slices.Contains(t.Scopes, playhead.ScopeOTLP) {
		return otlpCaller{}, playhead.Errorf(playhead.EFORBIDDEN, "this API token (scopes %s) may not send OTLP: it needs scope %s",
			strings.Join(t.Scopes, ", "), playhead.ScopeOTLP)
	}
	p, err := s.Accounts.Project(ctx, t.ProjectID)
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return otlpCaller{}, playhead.Errorf(playhead.EUNAUTHORIZED, "the API token's project is deleted")
	}
	if err != nil {
		return otlpCaller{}, err
	}
	return otlpCaller{token: t, project: p}, nil
}

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
		now := s.Now()
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		secret = strings.TrimSpace(secret)
		if !ok || secret == "" {
			fail(playhead.Errorf(playhead.EUNAUTHORIZED, "missing API token: send Authorization: Bearer TOKEN with a project's API token of scope %s", playhead.ScopeOTLP))
			return
		}
		oc, err := s.otlpTokens.lookup(r.Context(), secret, now, s.otlpCallerOf)
		if err != nil {
			if code := playhead.ErrorCode(err); code != playhead.EUNAUTHORIZED && code != playhead.EFORBIDDEN {
				err = s.Ingester.StorageFailed("look up OTLP token", err)
			}
			fail(err)
			return
		}
		project := oc.project
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
