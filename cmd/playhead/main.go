// Command playhead runs Playhead: `playhead serve` starts the server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/playhead/playhead/app"
)

func main() {
	// Ingest allocates a little for every event and keeps little: collecting
	// garbage half as often costs some memory (tens of MiB at thousands of
	// sessions) and saves CPU for batches. GOGC, when set, decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "playhead:", err)
		}
		os.Exit(2)
	}
}

const usage = `Playhead: self-hosted session replay for developers.

Usage:
  playhead serve [flags]    run the server (playhead serve -h lists its flags)
  playhead loadgen [flags]  load a server with simulated browsers, then audit it
  playhead keys rotate      make a new master key current and re-wrap data keys
  playhead erase [flags]    delete a session, or a user's sessions, completely
  playhead seal [flags]     seal idle sessions now and compact their chunks
  playhead migrate-storage  move an install to PostgreSQL and S3, and verify the copy
  playhead reindex          rebuild the search index from the stored sessions, with progress
  playhead users            list, create, reset, disable and enable dashboard accounts
  playhead sourcemaps upload -release R DIR
                            upload a release's source maps, for readable stack traces
`

func run(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "loadgen":
		return runLoadgen(args[1:])
	case "keys":
		return runKeys(args[1:])
	case "erase":
		return runErase(args[1:])
	case "seal":
		return runSeal(args[1:])
	case "migrate-storage":
		return runMigrateStorage(args[1:])
	case "reindex":
		return runReindex(args[1:])
	case "users":
		return runUsers(args[1:], os.Stdout, os.Getenv)
	case "sourcemaps":
		return runSourcemaps(args[1:])
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func serve(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.ApplyEnv(fs, os.Getenv); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &app.Main{Config: c, Stderr: os.Stderr}
	if err := m.Run(ctx); err != nil {
		m.Close(context.Background())
		return err
	}
	<-ctx.Done()
	m.Logger.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.Close(shutdownCtx)
}
