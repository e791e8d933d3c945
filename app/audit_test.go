package app_test

import (
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
)

// TestSignInsAreAudited: a sign-in and a failed one each leave an entry
// naming who (or which name was tried) and the anonymised address.
func TestSignInsAreAudited(t *testing.T) {
	m := startWith(t, func(c *app.Config) { c.TrustedProxies = "127.0.0.1" })
	login := func(user, pw string, status int) {
		scenario{method: "POST", path: "/api/v1/login", body: []byte(`{"username":"` + user + `","password":"` + pw + `"}`),
			header: map[string]string{"X-Forwarded-For": "198.51.100.77"}, wantStatus: status}.run(t, m, nil)
	}
	login("admin", "wrong", 401)
	login("nobody", "guess", 401)
	login("admin", password, 200)
	c := loggedIn(t, m)
	scenario{method: "POST", path: "/api/v1/logout", body: []byte(`{}`), login: true, wantStatus: 200}.run(t, m, c)

	list, err := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ action, actor, target, ip, reason string }
	var got []entry
	for _, e := range list {
		reason, _ := e.Detail["reason"].(string)
		got = append(got, entry{e.Action, e.ActorName, e.Target, e.IP, reason})
	}
	want := []entry{
		{playhead.AuditSignOut, "admin", "admin", "127.0.0.0", ""},
		{playhead.AuditSignIn, "admin", "admin", "127.0.0.0", ""},
		{playhead.AuditSignIn, "admin", "admin", "198.51.100.0", ""},
		{playhead.AuditSignInFailed, "nobody", "nobody", "198.51.100.0", "unknown user"},
		{playhead.AuditSignInFailed, "admin", "admin", "198.51.100.0", "wrong password"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit log = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
