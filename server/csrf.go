package server

import (
	"net/http"

	"github.com/playhead/playhead"
)

// crossOrigin tells the requests of Playhead's own pages from those a page
// of another site makes through the user's browser: by Sec-Fetch-Site, or,
// in browsers that do not send it, by comparing Origin with Host. Requests with neither header
// (curl, scripts) are not a browser acting for someone else and pass.
var crossOrigin = http.NewCrossOriginProtection()

// sameOrigin refuses a state-changing request (any method but GET, HEAD and
// OPTIONS) that a browser sent from another origin, same-site ones
// included, so that a logged-in user's cookie cannot be used by another
// page; the SameSite cookie alone does not stop a sibling subdomain.
func sameOrigin(h apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := crossOrigin.Check(r); err != nil {
			return playhead.Errorf(playhead.EFORBIDDEN,
				"cross-origin request refused: %s %s changes data and is only accepted from Playhead's own pages (Origin %q, Sec-Fetch-Site %q)",
				r.Method, r.URL.Path, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"))
		}
		return h(w, r)
	}
}
