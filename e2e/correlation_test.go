package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead"
)

// TestFrontendRequestBackendSpanAndLogShareTheSession: a click in the demo
// that makes its backend fail puts, on the same session, the frontend
// request, the backend's spans and its error log, in order; the link from
// Playhead.getReplayURL() opens the player at that moment.
func TestFrontendRequestBackendSpanAndLogShareTheSession(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()
	do(t, ctx, "open the shop",
		navigate(base+"/demo/checkout"),
		chromedp.WaitVisible(chromedp.CSS(`#place-order`)),
		// Browse a while first, so the moment of the link is well into the
		// session.
		chromedp.Sleep(4*time.Second),
	)
	before := eval[int64](t, ctx, `Date.now()`)
	do(t, ctx, "place the order", chromedp.Click(chromedp.CSS(`#place-order`)), chromedp.WaitVisible(chromedp.CSS(`#checkout-error`)))
	after := eval[int64](t, ctx, `Date.now()`)
	replayURL := eval[string](t, ctx, `Playhead.getReplayURL()`)
	sid := eval[string](t, ctx, `Playhead.getSessionId()`)
	do(t, ctx, "leave", navigate("about:blank"))
	if !strings.HasPrefix(replayURL, base+"/sessions/"+sid) {
		t.Fatalf("getReplayURL() = %q, want the player's URL of session %s", replayURL, sid)
	}

	api := login(t, m)
	var detail struct {
		Session  playhead.Session
		Timeline []playhead.TimelineEntry
		Backend  []playhead.BackendRecord
	}
	var request *playhead.TimelineEntry
	var span, payment, log *playhead.BackendRecord
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		getJSON(t, api, base+"/api/v1/sessions/"+sid, &detail)
		request, span, payment, log = nil, nil, nil, nil
		for i, e := range detail.Timeline {
			if e.Kind == playhead.KindRequest && strings.Contains(e.Label, "/demo/api/checkout") {
				request = &detail.Timeline[i]
			}
		}
		for i, r := range detail.Backend {
			switch {
			case r.Kind == "span" && r.Name == "POST /demo/api/checkout":
				span = &detail.Backend[i]
			case r.Kind == "span" && r.Name == "payments.authorize":
				payment = &detail.Backend[i]
			case r.Kind == "log" && r.Level == "error":
				log = &detail.Backend[i]
			}
		}
		if request != nil && span != nil && payment != nil && log != nil {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if request == nil || span == nil || payment == nil || log == nil {
		t.Fatalf("session lacks the request (%v), the backend span (%v), the payment span (%v) or the error log (%v): %+v",
			request != nil, span != nil, payment != nil, log != nil, detail.Backend)
	}
	if payment.TraceID != span.TraceID || payment.ParentSpanID != span.SpanID {
		t.Errorf("the payment span is not a child of the request span: %+v, %+v", payment, span)
	}
	if !strings.Contains(log.Message, "payment provider unavailable") || log.TraceID != span.TraceID {
		t.Errorf("error log = %+v", log)
	}
	// In order: the browser sends, the backend handles (its span, the
	// payment call, the log), the browser gets the answer.
	if !(before <= request.Ts && request.Ts <= span.StartMs+50 && span.StartMs <= payment.StartMs &&
		payment.StartMs <= log.StartMs && log.StartMs <= span.EndMs+50 && span.EndMs <= after+50) {
		t.Errorf("out of order: click %d, request %d, span %d-%d, payment %d, log %d, answer by %d",
			before, request.Ts, span.StartMs, span.EndMs, payment.StartMs, log.StartMs, after)
	}

	cookie := loginCookie(t, api, base)
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie.Name, Value: cookie.Value, URL: base}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "open the replay link",
		navigate(replayURL),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Sleep(500*time.Millisecond),
	)
	at := eval[float64](t, ctx, `window.__playhead.currentTime()`)
	want := float64(after - detail.Session.StartedAt)
	if at < want-1500 || at > want+1500 {
		t.Errorf("the replay link opened at %.0f ms, want about %.0f ms (the moment getReplayURL was called)", at, want)
	}
}
