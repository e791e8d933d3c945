package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
)

const reindexUsage = `Usage: playhead reindex [-data DIR] [-index DSN] [-objects URL] [-project ID]

Rebuilds the search index from the stored sessions: every session's search
values (pages, titles, clicked elements, fields typed into, errors, console
messages, requests, custom events, …) are derived anew from its stored,
scrubbed events, as this version indexes them, and replace the ones its
search rows hold; values earlier versions indexed and this one does not go.
It shows its progress and may run beside the server: values a batch adds
while its session is being read are kept.
`

func runReindex(args []string) error {
	var project int64
	m, err := openData("reindex", args, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(os.Stderr, reindexUsage); fs.PrintDefaults() }
		fs.Int64Var(&project, "project", 0, "reindex only this project's sessions (0: every project)")
	})
	if err != nil {
		return err
	}
	defer m.Close(context.Background())
	ctx := context.Background()
	projects, err := m.DB.Projects(ctx)
	if err != nil {
		return err
	}
	var total int64 = -1
	if c, ok := m.DB.(playhead.TableCopier); ok && project == 0 {
		if total, err = c.CountRows(ctx, "sessions"); err != nil {
			return err
		}
	}
	p := &reindexProgress{out: os.Stderr, total: total, start: time.Now()}
	for _, pr := range projects {
		if project != 0 && pr.ID != project {
			continue
		}
		for before := ""; ; {
			list, next, err := m.DB.Sessions(ctx, playhead.SessionFilter{ProjectID: pr.ID, Before: before, Limit: 200})
			if err != nil {
				return err
			}
			for _, s := range list {
				n, err := ingest.Reindex(ctx, m.DB, m.Recordings.ReadEvents, pr.ID, s.ID)
				if err != nil {
					return fmt.Errorf("project %d, session %s: %w", pr.ID, s.ID, err)
				}
				p.done(n)
			}
			if next == "" || len(list) == 0 {
				break
			}
			before = next
		}
	}
	p.report(true)
	fmt.Printf("reindexed %d sessions: %d search values\n", p.sessions, p.values)
	return nil
}

// reindexProgress prints how far a reindex is, once a second.
type reindexProgress struct {
	out              io.Writer
	total            int64 // -1 when unknown
	start, last      time.Time
	sessions, values int64
}

func (p *reindexProgress) done(values int) {
	p.sessions++
	p.values += int64(values)
	p.report(false)
}

func (p *reindexProgress) report(final bool) {
	now := time.Now()
	if !final && now.Sub(p.last) < time.Second {
		return
	}
	p.last = now
	rate := float64(p.sessions) / max(now.Sub(p.start).Seconds(), 1e-3)
	if p.total <= 0 {
		fmt.Fprintf(p.out, "reindex: %d sessions (%.0f a second)\n", p.sessions, rate)
		return
	}
	left := time.Duration(float64(p.total-p.sessions)/max(rate, 1e-3)) * time.Second
	fmt.Fprintf(p.out, "reindex: %d of %d sessions (%.0f%%, %.0f a second, about %s left)\n",
		p.sessions, p.total, 100*float64(p.sessions)/float64(p.total), rate, max(left, 0).Round(time.Second))
}
