package app_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestServerScrubsUnmaskedClient sends what a client that masks nothing
// would: the server stores none of the personal data, counts what it masked
// by kind, and keeps only an anonymised client address.
func TestServerScrubsUnmaskedClient(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	pii := map[string]string{
		"email": "grace.hopper@navy.example", "card": "4111 1111 1111 1111", "iban": "DE89 3704 0044 0532 0130 00",
		"ssn": "219-09-9999", "phone": "+44 20 7946 0958", "token": "s3cr3t-reset-token-value",
	}
	body := fmt.Sprintf(`{"v":1,"sid":"unmaskedclient01","seq":0,"events":[
		{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/account?reset_token=%s&ref=mail","width":800,"height":600}},
		{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":3,"id":2,"textContent":"Card %s, IBAN %s"},
			{"type":2,"id":3,"tagName":"input","attributes":{"value":"%s","placeholder":"SSN %s"},"childNodes":[]}]},"initialOffset":{"left":0,"top":0}}},
		{"type":3,"timestamp":%d,"data":{"source":5,"text":"%s","isChecked":false,"id":3}},
		{"type":6,"timestamp":%d,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","payload":["\"call %s\""],"trace":[]}}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"No account for %s"}}}]}`,
		now, pii["token"], now, pii["card"], pii["iban"], pii["email"], pii["ssn"], now, pii["email"], now, pii["phone"], now, pii["email"])
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body),
		header: map[string]string{"X-Forwarded-For": "198.51.100.1"}, wantStatus: 200}.run(t, m, nil)

	var stored strings.Builder
	for _, path := range []string{"/api/v1/sessions/unmaskedclient01/events", "/api/v1/sessions/unmaskedclient01", "/api/v1/sessions"} {
		resp, err := c.Get(m.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&stored, resp.Body)
		resp.Body.Close()
	}
	for kind, v := range pii {
		if strings.Contains(stored.String(), v) {
			t.Errorf("the %s %q was stored", kind, v)
		}
	}
	for _, kept := range []string{"https://shop.example/account?reset_token=[redacted]&ref=mail", `"clientIp":"127.0.0.0"`} {
		if !strings.Contains(stored.String(), kept) {
			t.Errorf("stored data lacks %q", kept)
		}
	}
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 200,
		want: []string{`"scrubbed":{`, `"email":3`, `"card":1`, `"iban":1`, `"ssn":1`, `"phone":1`, `"secret":1`}}.run(t, m, c)
}
