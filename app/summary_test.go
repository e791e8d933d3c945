package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/app"
)

// chatEndpoint is an OpenAI-compatible chat completions API on loopback
// that answers with a fixed text, or the status fail names, and keeps
// each request it was sent. No language model runs here; what matters to
// Playhead is what crosses this protocol, which the test reads.
type chatEndpoint struct {
	*httptest.Server
	mu       sync.Mutex
	requests []chatRequest
	fail     int
}

type chatRequest struct {
	Auth string
	Body struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
}

func newChatEndpoint(t *testing.T) *chatEndpoint {
	e := &chatEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req chatRequest
		req.Auth = r.Header.Get("Authorization")
		data, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(data, &req.Body) != nil {
			http.Error(w, `{"error":{"message":"not found"}}`, 404)
			return
		}
		e.mu.Lock()
		e.requests = append(e.requests, req)
		fail := e.fail
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail != 0 {
			w.WriteHeader(fail)
			fmt.Fprint(w, `{"error":{"message":"the model is overloaded","type":"server_error"}}`)
			return
		}
		fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","created":%d,"model":%q,"choices":[{"index":0,"finish_reason":"stop",`+
			`"message":{"role":"assistant","content":"The user tried to buy an item; the purchase request failed with 503."}}]}`,
			time.Now().Unix(), req.Body.Model)
	}))
	t.Cleanup(e.Close)
	return e
}

// TestNarrativeSummary: with an endpoint configured, a session's summary
// is asked of it with the steps (masked already) and nothing else, the
// asking is audited, and the endpoint's failure is named; with none, the
// route says how to turn summaries on.
func TestNarrativeSummary(t *testing.T) {
	chat := newChatEndpoint(t)
	m := startWith(t, func(c *app.Config) {
		c.SummaryEndpoint, c.SummaryModel, c.SummaryAPIKey = chat.URL+"/v1", "test-model", "sk-test-key"
	})
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	sid := "summarysession01"
	batch := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":0,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/cart","width":1024,"height":700}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[`+
		`{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":4,"tagName":"button","attributes":{},"childNodes":[{"type":3,"id":5,"textContent":"Buy now"}]}]}]}]},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":4,"x":5,"y":5}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.network","payload":{"type":"fetch","method":"POST","url":"http://shop.example/api/buy?email=alice@example.com","status":503,"start":%d}}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"Uncaught Error: no card for alice@example.com","source":"http://shop.example/shop.js","line":7}}}]}`,
		sid, now, now+1, now+500, now+540, now+510, now+560)
	summary := "/api/v1/sessions/" + sid + "/summary"
	for _, sc := range []scenario{
		{name: "batch", method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: batch, wantStatus: 200},
		{name: "me names the model", method: "GET", path: "/api/v1/me", login: true, wantStatus: 200,
			want: []string{`"summaries":{"endpoint":"` + strings.TrimPrefix(chat.URL, "http://") + `","model":"test-model"}`}},
		{name: "summary needs a login", method: "POST", path: summary, body: []byte(`{}`), wantStatus: 401},
		{name: "summary", method: "POST", path: summary, body: []byte(`{}`), login: true, wantStatus: 200,
			want:    []string{`"summary":"The user tried to buy an item; the purchase request failed with 503."`, `"model":"test-model"`, `Click the button 'Buy now'`},
			wantNot: []string{"alice@example.com"}},
		{name: "summary of no session", method: "POST", path: "/api/v1/sessions/nosuchsession1/summary", body: []byte(`{}`), login: true, wantStatus: 404},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, m, c) })
	}
	chat.mu.Lock()
	if len(chat.requests) != 1 {
		t.Fatalf("the endpoint was asked %d times, want once", len(chat.requests))
	}
	req := chat.requests[0]
	chat.mu.Unlock()
	if req.Auth != "Bearer sk-test-key" || req.Body.Model != "test-model" || len(req.Body.Messages) != 2 {
		t.Fatalf("request: auth %q, model %q, %d messages", req.Auth, req.Body.Model, len(req.Body.Messages))
	}
	sent := req.Body.Messages[1].Content
	for _, want := range []string{"1. Open /cart", "Click the button 'Buy now'", "answered 503"} {
		if !strings.Contains(sent, want) {
			t.Errorf("the steps sent lack %q:\n%s", want, sent)
		}
	}
	for _, not := range []string{"alice@example.com", sid, m.URL(), m.Project.IngestKey} {
		if strings.Contains(sent, not) {
			t.Errorf("the text sent holds %q:\n%s", not, sent)
		}
	}
	(scenario{name: "audited", method: "GET", path: "/api/v1/audit", login: true, wantStatus: 200,
		want: []string{`"action":"session.summary"`, `"target":"` + sid + `"`}}).run(t, m, c)

	chat.mu.Lock()
	chat.fail = 500
	chat.mu.Unlock()
	(scenario{name: "endpoint fails", method: "POST", path: summary, body: []byte(`{}`), login: true, wantStatus: 503,
		want: []string{"the summary endpoint " + strings.TrimPrefix(chat.URL, "http://") + " answered 500: the model is overloaded"}}).run(t, m, c)

	off := start(t)
	(scenario{name: "off", method: "POST", path: summary, body: []byte(`{}`), login: true, wantStatus: 404,
		want: []string{"summaries are off", "-summary-endpoint"}}).run(t, off, loggedIn(t, off))
}

// TestSummaryConfiguration: summary flags that cannot work are refused at
// start with a message naming the flag.
func TestSummaryConfiguration(t *testing.T) {
	for _, tt := range []struct {
		endpoint, model, want string
	}{
		{"", "a-model", "-summary-model needs -summary-endpoint"},
		{"ftp://models.example/v1", "a-model", "is not an http(s) URL"},
		{"https://user:pw@models.example/v1", "a-model", "PLAYHEAD_SUMMARY_API_KEY"},
		{"https://models.example/v1", "", "needs a model (-summary-model)"},
	} {
		m := &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: password, LogLevel: "error",
			SummaryEndpoint: tt.endpoint, SummaryModel: tt.model}, Stderr: io.Discard}
		err := m.Run(t.Context())
		m.Close(t.Context())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("endpoint %q model %q: error %v, want %q", tt.endpoint, tt.model, err, tt.want)
		}
	}
}
