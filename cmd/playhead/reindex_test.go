package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/search"
)

// TestReindexCommand: playhead reindex derives a session's search values
// anew from its stored events: values the rows lost come back, values an
// earlier version indexed that this one does not (an identify() user ID
// in clear) go, and fields typed into are found by their label.
func TestReindexCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	m := &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: "false", AdminPassword: "correct horse battery staple", LogLevel: "error"},
		Stderr: io.Discard}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	const sid = "reindexsession01"
	ts := time.Now().Add(-time.Minute).UnixMilli()
	ev := func(ms int64, format string, args ...any) string {
		return fmt.Sprintf(`{"timestamp":%d,`, ts+ms) + fmt.Sprintf(format, args...)[1:]
	}
	snapshot := `{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
		{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[
			{"type":2,"id":4,"tagName":"label","attributes":{"for":"email"},"childNodes":[{"type":3,"id":5,"textContent":"Email"}]},
			{"type":2,"id":6,"tagName":"input","attributes":{"id":"email","type":"email"},"childNodes":[]},
			{"type":2,"id":7,"tagName":"button","attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"Place order"}]}]}]}]}`
	bodies := []string{
		fmt.Sprintf(`{"v":1,"sid":%q,"seq":0,"events":[%s,%s]}`, sid,
			ev(0, `{"type":4,"data":{"href":"https://shop.example/checkout","width":1280,"height":800}}`),
			ev(1, `{"type":2,"data":{"node":%s,"initialOffset":{"left":0,"top":0}}}`, snapshot)),
		fmt.Sprintf(`{"v":1,"sid":%q,"seq":1,"events":[%s,%s,%s]}`, sid,
			ev(1000, `{"type":3,"data":{"source":5,"text":"*****","isChecked":false,"id":6}}`),
			ev(2000, `{"type":3,"data":{"source":2,"type":2,"id":8,"x":10,"y":10}}`),
			ev(2100, `{"type":5,"data":{"tag":"playhead.identify","payload":{"userId":"u-clear-1"}}}`)),
	}
	for _, body := range bodies {
		resp, err := http.Post(m.URL()+"/api/v1/ingest?k="+m.Project.IngestKey, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("ingest: %d %s", resp.StatusCode, msg)
		}
	}
	pid := m.Project.ID
	find := func(db playhead.Index, query string) []string {
		t.Helper()
		q, err := search.Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: pid, Query: q, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	if got := find(m.DB, "input:email"); !slices.Equal(got, []string{sid}) {
		t.Fatalf("input:email after ingest = %v, want %s", got, sid)
	}
	// As an earlier version left the index: a value of the identify
	// event's, and none of the others.
	old := []playhead.SearchText{{Field: search.FieldEventProp, Value: "userId=u-clear-1"}}
	if err := m.DB.ReplaceSearch(ctx, pid, sid, old, []byte{}, 1<<62); err != nil {
		t.Fatal(err)
	}
	if got := find(m.DB, "event.prop.userId:u-clear"); !slices.Equal(got, []string{sid}) {
		t.Fatalf("the older index: event.prop.userId:u-clear finds %v, want %s", got, sid)
	}
	if got := find(m.DB, "input:email"); got != nil {
		t.Fatalf("the older index: input:email finds %v, want none", got)
	}
	m.Close(ctx)

	if err := run([]string{"reindex", "-data", dir}); err != nil {
		t.Fatal(err)
	}

	m = &app.Main{Config: app.Config{DataDir: dir, LogLevel: "error"}, Stderr: io.Discard}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	for query, want := range map[string][]string{
		`click:"place order"`: {sid},
		"input:email":         {sid},
		"url:/checkout":       {sid},
		"u-clear":             nil,
		"event.prop.userId:u": nil,
		"-input:email":        nil,
	} {
		if got := find(m.DB, query); !slices.Equal(got, want) {
			t.Errorf("after reindex, %s finds %v, want %v", query, got, want)
		}
	}
}
