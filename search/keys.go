package search

// KeyDoc describes a key for the search box's suggestions.
type KeyDoc struct {
	// Key is the key as typed, without its colon.
	Key string `json:"key"`
	// Description says in a few words what the key matches.
	Description string `json:"description"`
	// Values is what the key takes: "text" (values the project's
	// sessions hold), "exact" (one of the values they hold), "number",
	// "duration", "date", "bool" or "user".
	Values string `json:"values"`
	// Examples are values to start from (">0", "true"), for keys whose
	// values are not looked up among the sessions'.
	Examples []string `json:"examples,omitempty"`
}

// Keys describes every key (meta and event.prop stand for meta.KEY and
// event.prop.KEY).
var Keys = []KeyDoc{
	{"url", "a page the session visited", "text", nil},
	{"page", "a page the session visited (same as url:)", "text", nil},
	{"title", "a page title", "text", nil},
	{"click", "the text of a clicked link, button or control", "text", nil},
	{"input", "the label of a field typed into (never what was typed)", "text", nil},
	{"error", "a JS error's message", "text", nil},
	{"console", "a console message", "text", nil},
	{"console.level", "a console message's level", "exact", []string{"error", "warn", "info", "log", "debug"}},
	{"request", "a request's method and URL", "text", nil},
	{"request.method", "a request's method", "exact", []string{"GET", "POST", "PUT", "PATCH", "DELETE"}},
	{"request.status", "a request's HTTP status (0: no answer)", "number", []string{">=500", ">=400", "404", "0"}},
	{"request.failed", "a request got no answer or a status of 400 or more", "bool", []string{"true", "false"}},
	{"event", "a custom event's name", "text", nil},
	{"user", "the ID the page gave identify() (exact)", "user", nil},
	{"browser", "the browser, from the user agent", "exact", nil},
	{"os", "the operating system, from the user agent", "exact", nil},
	{"device", "the device class: desktop, mobile, tablet, …", "exact", nil},
	{"duration", "the session's length", "duration", []string{">30s", ">2m", ">10m", "<10s"}},
	{"pages", "pages visited", "number", []string{">=3", ">1", "1"}},
	{"clicks", "clicks", "number", []string{">0", ">=10", "0"}},
	{"errors", "uncaught JS errors", "number", []string{">0", "0"}},
	{"rage", "rage clicks: 3 or more clicks within 1 s in one place", "number", []string{">0"}},
	{"dead", "dead clicks: a link or button nothing answered", "number", []string{">0"}},
	{"errorclick", "error clicks: a click a JS error followed within 1 s", "number", []string{">0"}},
	{"started", "when the session started (UTC day, instant, or how long ago)", "date", []string{"<24h", "<7d", ">30d"}},
	{"active", "how long the user was active", "duration", []string{">30s", ">2m", "<10s"}},
	{"referrer", "the site that sent the visitor", "text", nil},
	{"meta", "a property setMetadata() gave the session: meta.KEY:value", "prop", nil},
	{"event.prop", "a custom event's property: event.prop.KEY:value", "prop", nil},
	{"has", "the session has a bug report", "exact", []string{"report"}},
	{"backend.error", "a backend error span or log carries the session", "bool", []string{"true"}},
}

// KeyField returns the search rows' field of a text or exact-value key
// ("page" gives "url"), or the summary column of browser, os and device,
// and whether the key has one: their values can be suggested from the
// project's sessions.
func KeyField(key string) (string, bool) {
	info, ok := keys[key]
	if !ok || key == "" {
		return "", false
	}
	switch info.kind {
	case kindText, kindAttribute, kindSummary:
		return info.field, true
	}
	return "", false
}
