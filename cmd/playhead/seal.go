package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

const sealUsage = `Usage: playhead seal [-data DIR] [-objects URL] [-idle DURATION] [-compact=false]

Seals now the pending batches of every session that has sent nothing for
-idle (default 0: every session), builds the keyframes of the chunks sealed
(the server's players seek from them), then re-encodes every sealed chunk to
the compact form the server gives chunks of quiet sessions in the background.
Recordings read the same before and after. It may run beside the server.
`

func runSeal(args []string) error {
	var idle time.Duration
	compact := true
	m, err := openData("seal", args, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(os.Stderr, sealUsage); fs.PrintDefaults() }
		fs.DurationVar(&idle, "idle", 0, "seal sessions that have sent nothing for this long")
		fs.BoolVar(&compact, "compact", true, "re-encode sealed chunks to the compact form")
	})
	if err != nil {
		return err
	}
	defer m.Close(context.Background())
	ctx := context.Background()
	n, err := m.Recordings.SealIdle(ctx, idle)
	fmt.Printf("sealed %d chunks\n", n)
	if err != nil {
		return err
	}
	k, err := m.Recordings.BuildQueuedKeyframes(ctx)
	fmt.Printf("built %d keyframes\n", k)
	if err != nil || !compact {
		return err
	}
	projects, err := m.DB.Projects(ctx)
	if err != nil {
		return err
	}
	for _, p := range projects {
		st, err := m.Recordings.CompactProject(ctx, p.ID)
		fmt.Printf("project %d: compacted %d chunks, %d bytes to %d\n", p.ID, st.Chunks, st.Before, st.After)
		if err != nil {
			return err
		}
	}
	return nil
}
