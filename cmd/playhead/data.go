package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/keyring"
)

// openData parses the serve flags (so -data, -objects and -keyring mean the
// same as for serve) plus extra, and opens the data directory without
// serving.
func openData(name string, args []string, extra func(*flag.FlagSet)) (*app.Main, error) {
	var c app.Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.RegisterFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := c.ApplyEnv(fs, os.Getenv); err != nil {
		return nil, err
	}
	c.LogLevel = "warn"
	m := &app.Main{Config: c, Stderr: os.Stderr}
	if err := m.Open(context.Background()); err != nil {
		m.Close(context.Background())
		return nil, err
	}
	return m, nil
}

const keysUsage = `Usage: playhead keys rotate [-data DIR] [-keyring FILE]

Makes a new master key current (PLAYHEAD_NEW_MASTER_KEY, or a generated
one), re-wraps every session's data key under it, then removes the old keys
from the keyring file. Recordings are not rewritten. With PLAYHEAD_MASTER_KEY
set, set it to the new key before the server's next start.
`

func runKeys(args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprint(os.Stderr, keysUsage)
		return errors.New("keys: say rotate")
	}
	m, err := openData("keys rotate", args[1:], nil)
	if err != nil {
		return err
	}
	defer m.Close(context.Background())
	var key []byte
	if v := os.Getenv("PLAYHEAD_NEW_MASTER_KEY"); v != "" {
		if key, err = keyring.ParseKey(v); err != nil {
			return fmt.Errorf("PLAYHEAD_NEW_MASTER_KEY: %w", err)
		}
	}
	return m.RotateMasterKey(context.Background(), key, os.Stdout)
}

const eraseUsage = `Usage: playhead erase [-data DIR] [-objects URL] (-session ID | -user USER_ID)

Deletes a session, or every session identified with a user, completely: the
data key first (so no copy of the recording, a backup included, can be
decrypted), then its index rows and chunks.
`

func runErase(args []string) error {
	var session, user string
	m, err := openData("erase", args, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(os.Stderr, eraseUsage); fs.PrintDefaults() }
		fs.StringVar(&session, "session", "", "the session ID to erase")
		fs.StringVar(&user, "user", "", "erase every session identified with this user ID")
	})
	if err != nil {
		return err
	}
	defer m.Close(context.Background())
	ctx := context.Background()
	switch {
	case session != "" && user == "":
		if _, err := m.DB.Session(ctx, m.Project.ID, session); err != nil {
			return err
		}
		if err := m.Recordings.Erase(ctx, m.Project.ID, session); err != nil {
			return err
		}
		fmt.Printf("erased session %s\n", session)
	case user != "" && session == "":
		n, err := m.Recordings.EraseUser(ctx, m.Project.ID, user)
		if err != nil {
			return err
		}
		fmt.Printf("erased %d sessions of that user\n", n)
	default:
		fmt.Fprint(os.Stderr, eraseUsage)
		return errors.New("erase: give -session or -user")
	}
	return nil
}
