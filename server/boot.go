package server

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/playhead/playhead/ingest"
)

// The dashboard's page carries the answers to the first API calls its route
// makes, so that they cost no round trip after the page's script has run:
// who is logged in, and on a player page the session's manifest for opening,
// its keyframe list and its first batch of events. Each is the answer of the
// API route itself, asked internally with the request's own cookie, so the
// same authorization, auditing and limits apply as to the call the page
// would have made. The page takes each answer once, by the exact URL it
// would have fetched (web/src/boot.ts), and fetches whatever is missing.
//
// The head of the page is sent before the answers are ready: the browser
// fetches the stylesheet and scripts (and, on a player page, preloads the
// player's script) while the server works.

// bootHeaders are the response headers a boot answer keeps; the page reads
// them as it would from a fetch.
var bootHeaders = []string{"X-Playhead-Pending-Assets"}

// bootAnswer is one inlined API answer.
type bootAnswer struct {
	Body    json.RawMessage   `json:"body"`
	Headers map[string]string `json:"headers,omitempty"`
}

// bootURLs returns the API URLs the dashboard asks first on the page r
// shows, spelled as the dashboard spells them (web/src/api.ts, web/src/
// player/prefetch.ts) for the project of the page's ?project=, and whether r
// is a player page. Without ?project= the dashboard may use the project it
// chose last, which only it knows: then the URLs carry no project, and the
// page uses them only when it has none either.
func bootURLs(r *http.Request) (urls []string, player bool) {
	q := r.URL.Query()
	project := q.Get(projectParam)
	if project != "" {
		if _, err := strconv.ParseUint(project, 10, 63); err != nil || project[0] == '0' || len(project) > 18 {
			return nil, false // the dashboard ignores it too: it asks the server to choose
		}
	}
	with := func(path string) string {
		if project == "" {
			return path
		}
		if strings.Contains(path, "?") {
			return path + "&project=" + project
		}
		return path + "?project=" + project
	}
	urls = append(urls, with("/api/v1/me"))
	id, ok := strings.CutPrefix(r.URL.Path, "/sessions/")
	id = strings.TrimSuffix(id, "/")
	if !ok || ingest.ValidSessionID(id) != nil {
		return urls, false
	}
	// a link to an entry of the timeline opens at it: the full manifest, no first batch
	entry := q.Has("error") || q.Has("request") || q.Has("console")
	base := "/api/v1/sessions/" + id // a valid ID needs no escaping
	if entry {
		urls = append(urls, with(base))
	} else {
		urls = append(urls, with(base+"?for=open"))
	}
	urls = append(urls, with(base+"/keyframes"))
	t, err := strconv.ParseFloat(q.Get("t"), 64)
	if !entry && (q.Get("t") == "" || err != nil || !(t > 0)) {
		urls = append(urls, with(base+"/events?from=0&to=0"))
	}
	return urls, true
}

// bootWriter keeps an internal answer.
type bootWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bootWriter) Header() http.Header { return w.header }
func (w *bootWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *bootWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// bootAnswers asks h for each URL as r's user, at once, and keeps the
// successful JSON answers by URL; loggedOut when one answered 401 (the
// login cookie is no longer valid).
func bootAnswers(h http.Handler, r *http.Request, urls []string) (answers map[string]bootAnswer, loggedOut bool) {
	got := make([]*bootWriter, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		target, err := url.ParseRequestURI(u)
		if err != nil {
			continue
		}
		req := r.Clone(r.Context())
		req.Method = http.MethodGet
		req.URL = target
		req.RequestURI = u
		req.Body = http.NoBody
		req.ContentLength = 0
		req.Header = r.Header.Clone()
		for _, k := range []string{"Accept-Encoding", "If-None-Match", "If-Modified-Since", "Range"} {
			req.Header.Del(k)
		}
		req.Header.Set("Accept", "application/json")
		w := &bootWriter{header: http.Header{}}
		got[i] = w
		wg.Go(func() { h.ServeHTTP(w, req) })
	}
	wg.Wait()
	out := make(map[string]bootAnswer, len(urls))
	for i, w := range got {
		if w != nil && w.status == http.StatusUnauthorized {
			loggedOut = true
		}
		if w == nil || w.status != http.StatusOK || !strings.HasPrefix(w.header.Get("Content-Type"), "application/json") || !json.Valid(w.body.Bytes()) {
			continue
		}
		a := bootAnswer{Body: w.body.Bytes()}
		for _, k := range bootHeaders {
			if v := w.header.Get(k); v != "" {
				if a.Headers == nil {
					a.Headers = map[string]string{}
				}
				a.Headers[k] = v
			}
		}
		out[urls[i]] = a
	}
	return out, loggedOut
}

// handleApp serves the dashboard's single page for every dashboard route,
// with the answers its route asks first when the request is logged in.
func (s *Server) handleApp(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, err := fs.ReadFile(s.Web, "index.html")
		if err != nil {
			http.Error(w, "dashboard is not built", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		cookie, _ := r.Cookie(loginCookie)
		cut := bytes.LastIndex(page, []byte("</body>"))
		if cut < 0 || r.Method == http.MethodHead || r.URL.Path == "/invite" {
			w.Write(page)
			return
		}
		if cookie == nil || cookie.Value == "" {
			if !strictCookieSent(r) {
				// a navigation from another site: the login cookie
				// (SameSite=Strict) is not sent with it, but the
				// dashboard's own request for who is logged in carries it
				w.Write(page)
				return
			}
			// no login: the page says so, and the dashboard shows its login
			// form without asking who is logged in (a 401 in its console).
			// Kept by no cache: a page after signing in has the same URL.
			w.Header().Set("Cache-Control", "private, no-store")
			w.Write(page[:cut])
			w.Write(bootElement(nil, true))
			w.Write(page[cut:])
			return
		}
		urls, player := bootURLs(r)
		head, tail := page[:cut], page[cut:]
		if player {
			if at := bytes.Index(head, []byte("</head>")); at >= 0 {
				head = append(append(append([]byte{}, head[:at]...), `<link rel="preload" href="/assets/player.js" as="script">`+"\n"...), head[at:]...)
			}
		}
		// the answers hold the user's data: no cache may keep the page
		w.Header().Set("Cache-Control", "private, no-store")
		type booted struct {
			answers   map[string]bootAnswer
			loggedOut bool
		}
		done := make(chan booted, 1)
		go func() {
			answers, loggedOut := bootAnswers(h, r, urls)
			done <- booted{answers, loggedOut}
		}()
		w.Write(head)
		_ = http.NewResponseController(w).Flush() // a writer that cannot flush sends it all at the end
		b := <-done
		if len(b.answers) > 0 || b.loggedOut {
			w.Write(bootElement(b.answers, b.loggedOut))
		}
		w.Write(tail)
	}
}

// strictCookieSent reports whether the browser would have sent a
// SameSite=Strict cookie with r, by its Sec-Fetch-Site: not with a
// navigation from another site (a link in a chat or a ticket, the redirect
// back from a single sign-on provider), nor when the browser does not say.
func strictCookieSent(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "same-site", "none":
		return true
	}
	return false
}

// bootElement is the page's element of boot answers (web/src/boot.ts).
func bootElement(answers map[string]bootAnswer, loggedOut bool) []byte {
	var buf bytes.Buffer
	buf.WriteString(`<script type="application/json" id="playhead-boot">`)
	buf.Write(bootJSON(answers, loggedOut))
	buf.WriteString("</script>\n")
	return buf.Bytes()
}

// bootJSON writes the answers as {"answers": {url: answer}} (and
// "login": false when the request has no valid login), with <, > and
// & (in the answers too) as \u escapes: nothing recorded can end the page's
// element early. The answers are valid JSON already (bootAnswers checks):
// they are escaped as they are, not parsed and written anew as json.Marshal
// would (a player page carries the session's first batch of events).
func bootJSON(answers map[string]bootAnswer, loggedOut bool) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"answers":{`)
	first := true
	for u, a := range answers {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		key, _ := json.Marshal(u) // a string: cannot fail; json.Marshal escapes it so
		buf.Write(key)
		buf.WriteString(`:{"body":`)
		json.HTMLEscape(&buf, bytes.TrimSpace(a.Body))
		if len(a.Headers) > 0 {
			headers, _ := json.Marshal(a.Headers) // strings: cannot fail
			buf.WriteString(`,"headers":`)
			buf.Write(headers)
		}
		buf.WriteString("}")
	}
	buf.WriteString("}")
	if loggedOut {
		buf.WriteString(`,"login":false`)
	}
	buf.WriteString("}")
	return buf.Bytes()
}
