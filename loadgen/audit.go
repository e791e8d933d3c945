package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"

	"github.com/playhead/playhead/privacy"
)

// audit checks every session the load touched: each acknowledged batch is
// stored with the events that were sent (so exactly once: the index is keyed
// by (session, seq) and a doubled batch would double its events), and a
// sample of sessions read back byte for byte, in sequence order. With
// several nodes, each session is read through one node and read back
// through the next: any node must serve every session.
func audit(ctx context.Context, cfg Config, w *workload, sessions []*session) (Audit, error) {
	var a Audit
	password := cfg.AdminPassword
	if cfg.Spawner != nil {
		password = cfg.Spawner.AdminPassword
	}
	clients := make([]*http.Client, len(cfg.URLs))
	for i, u := range cfg.URLs {
		c, err := login(ctx, u, password)
		if err != nil {
			return a, fmt.Errorf("audit: %w", err)
		}
		clients[i] = c
	}
	sample := map[int]bool{}
	for _, i := range rand.Perm(len(sessions))[:min(cfg.Sample, len(sessions))] {
		sample[i] = true
	}
	problem := func(format string, args ...any) {
		if len(a.Problems) < 20 {
			a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
		}
	}
	for i, s := range sessions {
		if len(s.acked) == 0 {
			continue
		}
		a.SessionsChecked++
		node := i % len(cfg.URLs)
		c, base := clients[node], cfg.URLs[node]
		var detail struct {
			Batches []struct {
				Seq    int `json:"seq"`
				Events int `json:"events"`
			} `json:"batches"`
		}
		if err := getJSON(ctx, c, base+"/api/v1/sessions/"+s.id, &detail); err != nil {
			a.Missing += len(s.acked)
			problem("session %s: %v", s.id, err)
			continue
		}
		stored := map[int]int{}
		var seqs []int
		for _, b := range detail.Batches {
			if _, ok := stored[b.Seq]; ok {
				a.Duplicated++
				problem("session %s: batch %d is stored twice", s.id, b.Seq)
			}
			stored[b.Seq] = b.Events
			seqs = append(seqs, b.Seq)
		}
		for seq := range s.acked {
			a.BatchesExpected++
			n, ok := stored[seq]
			switch {
			case !ok:
				a.Missing++
				problem("session %s: acknowledged batch %d is missing", s.id, seq)
			case n != w.batchCount(s, seq):
				a.WrongEvents++
				problem("session %s: batch %d holds %d events, %d were sent", s.id, seq, n, w.batchCount(s, seq))
			}
		}
		if !sample[i] {
			continue
		}
		a.SampledReadBacks++
		var events []json.RawMessage
		node = (i + 1) % len(cfg.URLs)
		if err := getJSON(ctx, clients[node], cfg.URLs[node]+"/api/v1/sessions/"+s.id+"/events", &events); err != nil {
			a.Unreplayable++
			problem("session %s: events: %v", s.id, err)
			continue
		}
		slices.Sort(seqs)
		var want bytes.Buffer
		want.WriteByte('[')
		for j, seq := range seqs {
			if j > 0 {
				want.WriteByte(',')
			}
			want.Write(w.batchEvents(s, seq))
		}
		want.WriteByte(']')
		var wantEvents []json.RawMessage
		json.Unmarshal(want.Bytes(), &wantEvents)
		if len(events) != len(wantEvents) {
			a.WrongEvents++
			problem("session %s: read back %d events, %d stored batches hold %d", s.id, len(events), len(seqs), len(wantEvents))
			continue
		}
		for j := range events {
			// The server scrubs personal data the recording holds (an
			// email address in an input and in console output).
			if !bytes.Equal(events[j], privacy.ScrubJSON(wantEvents[j], nil)) {
				a.WrongEvents++
				problem("session %s: event %d differs from what was sent (order or content)", s.id, j)
				break
			}
		}
	}
	return a, nil
}
