package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/playhead/playhead/objects"
	"github.com/playhead/playhead/relocate"
)

// StorageMove says where MigrateStorage moves an install.
type StorageMove struct {
	// Index and Objects name the target index and object store as -index
	// and -objects take them; an empty one leaves that part where it is.
	Index, Objects string
	// VerifyOnly compares an install moved before with its source,
	// copying nothing.
	VerifyOnly bool
	// Workers is how many objects are copied at once (see relocate.Move).
	Workers int
}

// MigrateStorage copies the install c names (its -data, -index, -objects
// and -keyring) to the index and object store to names, then verifies the
// copy (see relocate.Move.Verify). Progress goes to progress, the summary
// to out. The install must not be served meanwhile.
func MigrateStorage(ctx context.Context, c Config, to StorageMove, out, progress io.Writer) error {
	if to.Index == "" && to.Objects == "" {
		return errors.New("name a target: -to-index, -to-objects, or both")
	}
	from := c
	if from.Index == "" {
		from.Index = "sqlite"
	}
	if from.Objects == "" {
		from.Objects = "file"
	}
	if to.Index == from.Index {
		return fmt.Errorf("-to-index names the index being moved (%s)", redactURL(to.Index))
	}
	if to.Objects == from.Objects {
		return fmt.Errorf("-to-objects names the object store being moved (%s)", shownObjects(to.Objects))
	}
	// Opening would create what is missing: a wrong -data must not look
	// like an empty install.
	if from.Index == "sqlite" {
		if _, err := os.Stat(filepath.Join(from.DataDir, "index.db")); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no Playhead install in %s: it has no index.db", from.DataDir)
		}
	}
	if _, err := os.Stat(from.keyringPath()); err != nil {
		return fmt.Errorf("the install's keyring: %w", err)
	}
	ring, _, err := from.openKeyring()
	if err != nil {
		return err
	}

	mv := relocate.Move{Keyring: ring, Workers: to.Workers, Progress: progress}
	if mv.From.Objects, err = objects.Open(ctx, from.Objects, from.DataDir); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	mv.To.Objects = mv.From.Objects
	if to.Objects != "" {
		if mv.To.Objects, err = objects.Open(ctx, to.Objects, from.DataDir); err != nil {
			return fmt.Errorf("target: %w", err)
		}
	}
	if mv.From.Index, err = from.openIndex(ctx); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer mv.From.Index.Close()
	mv.To.Index = mv.From.Index
	if to.Index != "" {
		target := Config{Index: to.Index, DataDir: from.DataDir}
		if mv.To.Index, err = target.openIndex(ctx); err != nil {
			return fmt.Errorf("target: %w", err)
		}
		defer mv.To.Index.Close()
	}

	if to.Index != "" {
		fmt.Fprintf(out, "index: %s → %s\n", indexName(from), redactURL(to.Index))
	}
	if to.Objects != "" {
		fmt.Fprintf(out, "recordings: %s → %s\n", objectsName(from), shownObjects(to.Objects))
	}
	if !to.VerifyOnly {
		if err := mv.Copy(ctx); err != nil {
			return fmt.Errorf("%w\nThe target now holds a partial copy: empty it (a new database, an empty bucket or prefix) before trying again", err)
		}
	}
	report, err := mv.Verify(ctx)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Fprintln(out, "verified:")
	report.Print(out)
	if err := report.Err(); err != nil {
		return err
	}
	// The master keys never move: the copied rows hold data keys wrapped
	// by them, and the copied objects are encrypted with those.
	start := "playhead serve -keyring " + from.keyringPath()
	if to.Index != "" {
		dsn, password := withoutPassword(to.Index)
		start += " -index '" + dsn + "'"
		if password {
			start = "PGPASSWORD=… " + start
		}
	}
	if to.Objects != "" {
		start += " -objects '" + to.Objects + "'"
	}
	fmt.Fprintf(out, "\nThe recordings are still encrypted with the master keys in %s, which were not copied.\n"+
		"Start every node with that keyring file%s, e.g.\n  %s\n", from.keyringPath(), envKeyNote(from), start)
	return nil
}

// envKeyNote reminds of PLAYHEAD_MASTER_KEY when the install uses it.
func envKeyNote(c Config) string {
	if c.MasterKey == "" {
		return ""
	}
	return " and the same PLAYHEAD_MASTER_KEY"
}

// indexName names the index c opens, for messages.
func indexName(c Config) string {
	if c.Index == "sqlite" {
		return "sqlite (" + filepath.Join(c.DataDir, "index.db") + ")"
	}
	return redactURL(c.Index)
}

// objectsName names the object store c opens, for messages.
func objectsName(c Config) string {
	if c.Objects == "file" {
		return "file (" + filepath.Join(c.DataDir, "objects") + ")"
	}
	return shownObjects(c.Objects)
}

// withoutPassword returns a PostgreSQL URL without its password, and
// whether it had one.
func withoutPassword(dsn string) (string, bool) {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return redactURL(dsn), false
	}
	_, had := u.User.Password()
	u.User = url.User(u.User.Username())
	return u.String(), had
}

// shownObjects shows an object store URL without its parameters, where a
// secret could have been put by mistake.
func shownObjects(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
