package playhead_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

func TestGaps(t *testing.T) {
	ref := func(seq int, first, last int64) playhead.BatchRef {
		return playhead.BatchRef{Seq: seq, FirstTs: first, LastTs: last}
	}
	tests := []struct {
		refs []playhead.BatchRef
		want string
	}{
		{nil, "[]"},
		{[]playhead.BatchRef{ref(0, 0, 5), ref(1, 5, 10)}, "[]"},
		{[]playhead.BatchRef{ref(0, 0, 5), ref(3, 20, 25), ref(4, 25, 30), ref(6, 40, 45)}, "[{1 2 5 20} {5 5 30 40}]"},
		{[]playhead.BatchRef{ref(2, 10, 15)}, "[{0 1 10 10}]"},
	}
	for _, tt := range tests {
		got := fmt.Sprint(playhead.Gaps(tt.refs))
		if tt.want == "[]" && got == "[]" {
			continue
		}
		if got != tt.want {
			t.Errorf("Gaps(%v) = %s, want %s", tt.refs, got, tt.want)
		}
	}
}

func TestRoleOrder(t *testing.T) {
	for _, c := range []struct {
		role, min playhead.Role
		want      bool
	}{
		{playhead.RoleViewer, playhead.RoleViewer, true},
		{playhead.RoleViewer, playhead.RoleDeveloper, false},
		{playhead.RoleDeveloper, playhead.RoleViewer, true},
		{playhead.RoleDeveloper, playhead.RoleAdmin, false},
		{playhead.RoleAdmin, playhead.RoleDeveloper, true},
		{"", playhead.RoleViewer, false},
		{"root", playhead.RoleViewer, false},
	} {
		if got := c.role.AtLeast(c.min); got != c.want {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", c.role, c.min, got, c.want)
		}
	}
	if r, err := playhead.ParseRole("developer"); err != nil || r != playhead.RoleDeveloper {
		t.Errorf("ParseRole(developer) = %q, %v", r, err)
	}
	if _, err := playhead.ParseRole("owner"); playhead.ErrorCode(err) != playhead.EINVALID || !strings.Contains(err.Error(), "viewer, developer, admin") {
		t.Errorf("ParseRole(owner) = %v, want an invalid error naming the roles", err)
	}
}

func TestProjectAcceptsKey(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &playhead.Project{IngestKey: "new", PreviousIngestKey: "old", PreviousKeyUntil: now.Add(time.Minute)}
	for key, want := range map[string]bool{"new": true, "old": true, "": false, "other": false} {
		if got := p.AcceptsKey(key, now); got != want {
			t.Errorf("AcceptsKey(%q) = %v, want %v", key, got, want)
		}
	}
	if p.AcceptsKey("old", now.Add(time.Minute)) {
		t.Errorf("the previous key is accepted at the end of its grace period")
	}
}

func TestCheckUsername(t *testing.T) {
	for name, want := range map[string]string{
		"ada":                   "",
		"ada@example.com":       "",
		"Zoë":                   "",
		"":                      "choose a username",
		"   ":                   "choose a username",
		strings.Repeat("a", 65): "maximum is 64",
		"ada\nadmin":            "control characters",
		"ada\u0085":             "control characters",
	} {
		err := playhead.CheckUsername(name)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckUsername(%q) = %v; want %q", name, err, want)
		}
	}
}
