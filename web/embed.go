// Package web embeds the built dashboard and player. Sources are in src/;
// `npm run build` writes dist/, which is committed so that building Playhead
// needs only Go.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built dashboard: index.html and assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; it cannot be missing
	}
	return sub
}
