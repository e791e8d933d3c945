// Package webhook delivers a project's events (a session's first error, a
// bug report) to the URLs its team configured, so a ticket in any tracker
// gets a link that opens the replay at the right moment. Deliveries are
// queued in the index in the same commit as the batch that caused them,
// signed with HMAC-SHA256, and retried with backoff.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/publicnet"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" where the
// MAC is over "<t>.<body>" with the webhook's secret.
const SignatureHeader = "Playhead-Signature"

// Sign returns the signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header against body, accepting timestamps
// within tolerance of now (to refuse replays). Receivers can copy it.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("malformed %s header", SignatureHeader)
	}
	if d := now.Sub(time.Unix(n, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp is %s away from now", d.Round(time.Second))
	}
	want := Sign(secret, time.Unix(n, 0), body)
	if !hmac.Equal([]byte(want[strings.Index(want, "v1=")+3:]), []byte(sig)) {
		return fmt.Errorf("signature does not match")
	}
	return nil
}

// Payload is the JSON body of a delivery.
type Payload struct {
	Event     string `json:"event"`
	SessionID string `json:"sessionId"`
	// ReplayURL opens the player at the moment of the event; StepsURL
	// opens it with the steps that led to the event (the Steps panel, on
	// the window before it), for a ticket's "steps to reproduce".
	ReplayURL string    `json:"replayUrl"`
	StepsURL  string    `json:"stepsUrl"`
	At        time.Time `json:"at"`
	Message   string    `json:"message"`
	Page      string    `json:"page,omitempty"`
	Delivery  int64     `json:"delivery"`
}

// NewClient returns the HTTP client deliveries are made with: it connects
// to public addresses only (unless allowPrivate), checked as each
// connection is made, through no proxy, and follows no redirect, so a
// webhook's URL cannot be used to reach the server's own network. A
// redirect is a failed attempt, its status in the delivery log.
func NewClient(allowPrivate bool) *http.Client {
	const timeout = 15 * time.Second
	dialer := &publicnet.Dialer{AllowPrivate: allowPrivate, Timeout: timeout}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would connect for us, unchecked
			DialContext:            dialer.DialContext,
			TLSHandshakeTimeout:    timeout,
			MaxIdleConns:           16,
			IdleConnTimeout:        30 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Deliverer sends due deliveries.
type Deliverer struct {
	Store  playhead.WebhookStore
	Index  playhead.SessionIndex
	Client *http.Client
	Logger *slog.Logger
	Now    func() time.Time
	// PublicURL is Playhead's base URL as the team reaches it.
	PublicURL string
	// MaxAttempts before a delivery is marked failed; Backoff gives the wait
	// after a failed attempt (attempt counts from 1).
	MaxAttempts int
	Backoff     func(attempt int) time.Duration
}

// DefaultBackoff waits 10 s, 30 s, 90 s, … up to an hour between attempts.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 3
	}
	return min(d, time.Hour)
}

// Run delivers due deliveries every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := d.RunOnce(ctx); err != nil {
			d.Logger.Error("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce makes one attempt at every due delivery.
func (d *Deliverer) RunOnce(ctx context.Context) error {
	due, err := d.Store.DueDeliveries(ctx, d.Now(), 100)
	if err != nil {
		return err
	}
	for _, del := range due {
		d.attempt(ctx, del)
		if err := d.Store.UpdateDelivery(ctx, del); err != nil {
			return err
		}
	}
	return nil
}

func (d *Deliverer) attempt(ctx context.Context, del *playhead.Delivery) {
	now := d.Now()
	del.Attempts++
	body, err := json.Marshal(d.payload(ctx, del))
	if err == nil {
		err = d.post(ctx, del, body, now)
	}
	if err == nil {
		del.Status, del.LastError = "delivered", ""
		del.DeliveredAt = &now
		return
	}
	del.LastError = err.Error()
	max := d.MaxAttempts
	if max <= 0 {
		max = 8
	}
	if del.Attempts >= max {
		del.Status = "failed"
		d.Logger.Warn("webhook delivery failed for good", "webhook", del.WebhookID, "event", del.Event, "attempts", del.Attempts, "err", err)
		return
	}
	backoff := d.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	del.NextAttempt = now.Add(backoff(del.Attempts))
}

func (d *Deliverer) post(ctx context.Context, del *playhead.Delivery, body []byte, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", del.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Playhead-Webhook/1")
	req.Header.Set(SignatureHeader, Sign(del.Webhook.Secret, now, body))
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	del.LastStatus = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return nil
}

func (d *Deliverer) payload(ctx context.Context, del *playhead.Delivery) Payload {
	// The link names the project: a viewer of several opens the right one.
	u := strings.TrimRight(d.PublicURL, "/") + "/sessions/" + del.SessionID + "?project=" + strconv.FormatInt(del.Webhook.ProjectID, 10)
	if s, err := d.Index.Session(ctx, del.Webhook.ProjectID, del.SessionID); err == nil {
		u += "&t=" + strconv.FormatInt(max(0, del.Ts-s.StartedAt), 10)
	}
	return Payload{Event: del.Event, SessionID: del.SessionID, ReplayURL: u, StepsURL: u + "&steps=" + strconv.FormatInt(del.Ts, 10), At: time.UnixMilli(del.Ts).UTC(),
		Message: del.Message, Page: del.PageURL, Delivery: del.ID}
}
