package app_test

import (
	"flag"
	"io"

	"github.com/playhead/playhead/app"
)

func newFlagSet(c *app.Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.RegisterFlags(fs)
	return fs
}
