package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/playhead/playhead/app"
)

const migrateUsage = `Usage: playhead migrate-storage [-data DIR] [-index URL] [-objects URL] [-keyring FILE]
                                [-to-index postgres://…] [-to-objects s3://…] [-verify-only]

Moves an install to other storage: its index (-data's SQLite, or -index) to
-to-index, its recordings (-data's objects directory, or -objects) to
-to-objects, or both; a part without a target stays where it is. Rows keep
their ids and objects their bytes. Then it verifies the copy: the rows of
every table, the SHA-256 of every object, and every session's first and
last batch read back through the target, byte for byte the source's. It
exits non-zero on any difference, naming the first.

Stop every Playhead serving the install first, and back up -data: a
server running meanwhile would write rows and objects the copy misses, and
nothing here can tell. The targets must be empty (a new database, an empty
bucket or prefix); after a failed attempt, empty them and run it again.

The master keys are not copied and never leave the keyring file: start the
nodes on the new storage with the same keyring (-keyring, or the same
PLAYHEAD_MASTER_KEY).

Flags:
`

func runMigrateStorage(args []string) error {
	var c app.Config
	var to app.StorageMove
	fs := flag.NewFlagSet("migrate-storage", flag.ContinueOnError)
	c.RegisterFlags(fs)
	fs.StringVar(&to.Index, "to-index", "", "the index to move to: postgres://user@host/db (a password is best given as PGPASSWORD)")
	fs.StringVar(&to.Objects, "to-objects", "", "the object store to move recordings to: s3://bucket/prefix?… or file:///path")
	fs.BoolVar(&to.VerifyOnly, "verify-only", false, "copy nothing: compare an install moved before with its source")
	fs.IntVar(&to.Workers, "workers", 4, "objects copied and sessions read back at once")
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, migrateUsage)
		for _, name := range []string{"data", "index", "objects", "keyring", "to-index", "to-objects", "verify-only", "workers"} {
			f := fs.Lookup(name)
			fmt.Fprintf(os.Stderr, "  -%s\n    \t%s\n", f.Name, f.Usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("migrate-storage: unexpected argument %q", fs.Arg(0))
	}
	if err := c.ApplyEnv(fs, os.Getenv); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.MigrateStorage(ctx, c, to, os.Stdout, os.Stderr)
}
