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
	"github.com/playhead/playhead/webhook"
)

// TestWebhooksAndReports: a session's first error and a bug report are
// delivered, signed, to the project's webhook, with a replay link at the
// moment; a receiver that fails is retried; the report is listed with the
// contact the user left, which is stored encrypted, not scrubbed.
func TestWebhooksAndReports(t *testing.T) {
	m := startWith(t, func(c *app.Config) { c.WebhooksAllowPrivate = true }) // the receiver is on loopback
	c := loggedIn(t, m)
	var mu sync.Mutex
	var got []webhook.Payload
	var secret string // set once the webhook is created
	failures := 2
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			http.Error(w, err.Error(), 400)
			return
		}
		var p webhook.Payload
		json.Unmarshal(body, &p)
		got = append(got, p)
	}))
	defer receiver.Close()

	resp, err := c.Post(m.URL()+"/api/v1/webhooks", "application/json", strings.NewReader(`{"url":"`+receiver.URL+`/hook"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Secret  string
		Webhook struct{ ID int64 }
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.HasPrefix(created.Secret, "whsec_") {
		t.Fatalf("create webhook: %d %+v", resp.StatusCode, created)
	}
	mu.Lock()
	secret = created.Secret
	mu.Unlock()
	scenario{method: "POST", path: "/api/v1/webhooks", body: []byte(`{"url":"ftp://x"}`), login: true, wantStatus: 400, want: []string{"not an http(s) URL"}}.run(t, m, c)

	start := time.Now().UnixMilli()
	body := fmt.Sprintf(`{"v":1,"sid":"hooksession00001","seq":0,"events":[
		{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/cart","width":800,"height":600}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"TypeError: price is undefined"}}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"a second error"}}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.report","payload":{"text":"The cart total is wrong, card 4111 1111 1111 1111","email":"ada@example.com"}}}]}`,
		start, start+1500, start+1600, start+4000)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body), wantStatus: 200}.run(t, m, nil)

	m.Deliverer.Backoff = func(int) time.Duration { return 0 }
	for range 4 {
		if err := m.Deliverer.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("delivered %d payloads, want the first error and the report: %+v", len(got), got)
	}
	byEvent := map[string]webhook.Payload{}
	for _, p := range got {
		byEvent[p.Event] = p
	}
	first, report := byEvent["session.first_error"], byEvent["report.created"]
	if first.Message != "TypeError: price is undefined" || !strings.HasSuffix(first.ReplayURL, "/sessions/hooksession00001?project=1&t=1500") || first.Page != "https://shop.example/cart" {
		t.Errorf("first error payload = %+v", first)
	}
	if first.StepsURL != first.ReplayURL+fmt.Sprintf("&steps=%d", first.At.UnixMilli()) {
		t.Errorf("stepsUrl = %q, want the replay's with the steps before %d", first.StepsURL, first.At.UnixMilli())
	}
	if !strings.HasSuffix(report.ReplayURL, "?project=1&t=4000") || strings.Contains(report.Message, "4111") || !strings.Contains(report.Message, "cart total is wrong") {
		t.Errorf("report payload = %+v", report)
	}
	scenario{method: "GET", path: fmt.Sprintf("/api/v1/webhooks/%d/deliveries", created.Webhook.ID), login: true, wantStatus: 200,
		want: []string{`"status":"delivered"`, `"attempts":2`, `"lastStatus":200`}}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/reports", login: true, wantStatus: 200,
		want: []string{`"sessionId":"hooksession00001"`, `"contact":"ada@example.com"`, `"errors":2`, `"page":"https://shop.example/cart"`}, wantNot: []string{"4111 1111"}}.run(t, m, c) // (a bare "4111" can be in a timestamp)
}
