package ingest

import (
	"sync"

	"github.com/medama-io/go-useragent"
)

// uaParser is built on first use: it loads its table of user-agent tokens
// into a trie once.
var uaParser = sync.OnceValue(useragent.NewParser)

// parseUserAgent returns the browser, operating system and device class a
// User-Agent header names, each "" when the parser does not know it.
//
// go-useragent (MIT, maintained for the Medama analytics project) looks
// tokens up in a trie built from its own table, in well under a
// microsecond and without allocating, rather than running hundreds of
// regular expressions as the ua-parser ports do; the browsers, systems
// and device classes it names are the ones a search needs.
func parseUserAgent(ua string) (browser, os, device string) {
	if ua == "" {
		return "", "", ""
	}
	a := uaParser().Parse(ua)
	return string(a.Browser()), string(a.OS()), string(a.Device())
}
