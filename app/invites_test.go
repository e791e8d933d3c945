package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
)

// post sends a JSON body as the dashboard does and decodes the answer.
func post(t *testing.T, c *http.Client, url, body string) (int, map[string]any) {
	t.Helper()
	if c == nil {
		jar, _ := cookiejar.New(nil)
		c = &http.Client{Jar: jar}
	}
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &out)
	if out == nil {
		out = map[string]any{"raw": string(data)}
	}
	return resp.StatusCode, out
}

func errText(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// auditActions returns the actions of the audit log, oldest first, with
// their targets.
func auditActions(t *testing.T, m *app.Main) []string {
	t.Helper()
	list, err := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].Action+" "+list[i].ActorName+" "+list[i].Target)
	}
	return out
}

func wantAudit(t *testing.T, m *app.Main, want ...string) {
	t.Helper()
	got := strings.Join(auditActions(t, m), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the audit log lacks %q:\n%s", w, got)
		}
	}
}

func TestInviteByLink(t *testing.T) {
	m := start(t)
	owner := loggedIn(t, m)
	project := strconv.FormatInt(m.Project.ID, 10)
	status, out := post(t, owner, m.URL()+"/api/v1/invites?project="+project, `{"role":"viewer","email":"vera@example.com"}`)
	if status != 201 {
		t.Fatalf("create invite: %d %v", status, out)
	}
	link, _ := out["url"].(string)
	prefix := m.URL() + "/invite#phi_"
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("invite link %q; want %s…", link, prefix)
	}
	token := strings.TrimPrefix(link, m.URL()+"/invite#")

	// Only the token's hash is kept.
	data, _ := os.ReadFile(filepath.Join(m.Config.DataDir, "index.db"))
	wal, _ := os.ReadFile(filepath.Join(m.Config.DataDir, "index.db-wal"))
	if bytes.Contains(append(data, wal...), []byte(token)) {
		t.Fatal("the invitation's token is stored in the index as it is")
	}

	status, out = post(t, nil, m.URL()+"/api/v1/invites/lookup", `{"token":"`+token+`"}`)
	if status != 200 || out["project"] != m.Project.Name || out["role"] != "viewer" || out["email"] != "vera@example.com" {
		t.Fatalf("lookup: %d %v", status, out)
	}
	accept := func(c *http.Client, username, pw string) (int, map[string]any) {
		return post(t, c, m.URL()+"/api/v1/invites/accept", `{"token":"`+token+`","username":"`+username+`","password":"`+pw+`"}`)
	}
	if status, out := accept(nil, "vera", "password1"); status != 400 || !strings.Contains(errText(out), "10,000 most common") {
		t.Fatalf("accept with a common password: %d %v", status, out)
	}
	if status, out := accept(nil, `vera\u0000`, "vera's long passphrase"); status != 400 || !strings.Contains(errText(out), "control characters") {
		t.Fatalf("accept with a control character in the name: %d %v", status, out)
	}
	if status, out := accept(nil, "ADMIN", "vera's long passphrase"); status != 400 || !strings.Contains(errText(out), "taken") {
		t.Fatalf("accept with a taken name: %d %v", status, out)
	}
	jar, _ := cookiejar.New(nil)
	vera := &http.Client{Jar: jar}
	if status, out := accept(vera, "vera", "vera's long passphrase"); status != 201 {
		t.Fatalf("accept: %d %v", status, out)
	}
	// Signed in at once, a viewer of the project.
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 200,
		want: []string{`"username":"vera"`, `"email":"vera@example.com"`, `"role":"viewer"`}}.run(t, m, vera)
	scenario{method: "GET", path: "/api/v1/members", login: true, wantStatus: 403}.run(t, m, vera)
	// Once only.
	if status, out := accept(nil, "vera2", "vera's long passphrase"); status != 404 || !strings.Contains(errText(out), "was used already") {
		t.Fatalf("a second acceptance: %d %v", status, out)
	}
	if status, _ := post(t, nil, m.URL()+"/api/v1/invites/lookup", `{"token":"`+token+`"}`); status != 404 {
		t.Fatalf("lookup of a used invitation: %d", status)
	}
	if _, status, _ := signIn(t, m, "vera", "vera's long passphrase"); status != 200 {
		t.Fatalf("vera signs in: %d", status)
	}
	wantAudit(t, m, "invite.create admin invite #1 (vera@example.com)", "invite.accept vera invite #1", "sign_in vera vera")

	// A withdrawn invitation and an expired one are refused.
	status, out = post(t, owner, m.URL()+"/api/v1/invites?project="+project, `{"role":"developer","expiresInDays":1}`)
	if status != 201 {
		t.Fatalf("create invite: %d %v", status, out)
	}
	second := strings.TrimPrefix(out["url"].(string), m.URL()+"/invite#")
	id := strconv.Itoa(int(out["invite"].(map[string]any)["id"].(float64)))
	scenario{method: "GET", path: "/api/v1/invites?project=" + project, login: true, wantStatus: 200, want: []string{`"role":"developer"`}, wantNot: []string{"vera@example.com"}}.run(t, m, owner)
	scenario{method: "DELETE", path: "/api/v1/invites/" + id + "?project=" + project, login: true, wantStatus: 200}.run(t, m, owner)
	if status, _ := post(t, nil, m.URL()+"/api/v1/invites/lookup", `{"token":"`+second+`"}`); status != 404 {
		t.Fatalf("lookup of a withdrawn invitation: %d", status)
	}
	if status, out := post(t, owner, m.URL()+"/api/v1/invites?project="+project, `{"role":"viewer","expiresInDays":31}`); status != 400 || !strings.Contains(errText(out), "1 to 30 days") {
		t.Fatalf("an invitation for 31 days: %d %v", status, out)
	}
	if status, out := post(t, owner, m.URL()+"/api/v1/invites?project="+project, `{"role":"boss"}`); status != 400 || !strings.Contains(errText(out), "not one of viewer") {
		t.Fatalf("an invitation with an unknown role: %d %v", status, out)
	}
	wantAudit(t, m, "invite.revoke admin invite #"+id)
}

func TestExpiredInviteRefused(t *testing.T) {
	m := start(t)
	expired := &playhead.Invite{TokenHash: hashOf("phi_expired"), ProjectID: m.Project.ID, Role: playhead.RoleViewer,
		CreatedAt: time.Now().Add(-48 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}
	if err := m.DB.CreateInvite(context.Background(), expired); err != nil {
		t.Fatal(err)
	}
	if status, out := post(t, nil, m.URL()+"/api/v1/invites/accept", `{"token":"phi_expired","username":"late","password":"a late passphrase"}`); status != 404 || !strings.Contains(errText(out), "expired") {
		t.Fatalf("accepting an expired invitation: %d %v", status, out)
	}
}

func TestOwnerManagesAccounts(t *testing.T) {
	m := start(t)
	ctx := context.Background()
	owner := loggedIn(t, m)
	if err := m.DB.CreateUser(ctx, &playhead.User{Username: "bob", PasswordHash: hashPassword(t, "bob's old passphrase")}); err != nil {
		t.Fatal(err)
	}
	bob, status, _ := signIn(t, m, "bob", "bob's old passphrase")
	if status != 200 {
		t.Fatalf("bob signs in: %d", status)
	}
	u, _ := m.DB.UserByName(ctx, "bob")
	id := strconv.FormatInt(u.ID, 10)
	admin, _ := m.DB.UserByName(ctx, "admin")

	scenario{method: "GET", path: "/api/v1/users", login: true, wantStatus: 200, want: []string{`"username":"bob"`, `"owner":true`}, wantNot: []string{"password_hash", "$argon2id$"}}.run(t, m, owner)
	scenario{method: "GET", path: "/api/v1/users", login: true, wantStatus: 403, want: []string{"only an owner"}}.run(t, m, bob)

	// A reset: generated, shown once; bob's login ends.
	status, out := post(t, owner, m.URL()+"/api/v1/users/"+id+"/password", `{}`)
	pw, _ := out["password"].(string)
	if status != 200 || len(pw) < 16 {
		t.Fatalf("reset: %d %v", status, out)
	}
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 401}.run(t, m, bob)
	if _, status, _ := signIn(t, m, "bob", "bob's old passphrase"); status != 401 {
		t.Fatalf("the old password after a reset: %d", status)
	}
	bob, status, _ = signIn(t, m, "bob", pw)
	if status != 200 {
		t.Fatalf("the new password: %d", status)
	}
	// A reset to a password the owner chose is checked like any.
	if status, out := post(t, owner, m.URL()+"/api/v1/users/"+id+"/password", `{"password":"qwertyuiop"}`); status != 400 || !strings.Contains(errText(out), "most common") {
		t.Fatalf("reset to a common password: %d %v", status, out)
	}

	// Disabling ends bob's login at once and keeps him out.
	if status, out := post(t, owner, m.URL()+"/api/v1/users/"+id+"/disable", `{}`); status != 200 {
		t.Fatalf("disable: %d %v", status, out)
	}
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 401}.run(t, m, bob)
	if _, status, body := signIn(t, m, "bob", pw); status != 403 || !strings.Contains(body, "disabled") {
		t.Fatalf("a disabled account signs in: %d %s", status, body)
	}
	if status, out := post(t, owner, m.URL()+"/api/v1/users/"+strconv.FormatInt(admin.ID, 10)+"/disable", `{}`); status != 400 || !strings.Contains(errText(out), "cannot disable their own") {
		t.Fatalf("an owner disabling themselves: %d %v", status, out)
	}
	if status, _ := post(t, owner, m.URL()+"/api/v1/users/"+id+"/enable", `{}`); status != 200 {
		t.Fatalf("enable: %d", status)
	}
	if _, status, _ := signIn(t, m, "bob", pw); status != 200 {
		t.Fatalf("bob after enabling: %d", status)
	}
	if status, _ := post(t, owner, m.URL()+"/api/v1/users/99999/disable", `{}`); status != 404 {
		t.Fatalf("disabling an unknown user: %d", status)
	}
	// Owners make and unmake owners; not themselves.
	put := func(c *http.Client, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("PUT", m.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	bob, _, _ = signIn(t, m, "bob", pw)
	if status, _ := put(bob, "/api/v1/users/"+id+"/owner", `{"owner":true}`); status != 403 {
		t.Fatalf("bob makes himself an owner: %d", status)
	}
	if status, out := put(owner, "/api/v1/users/"+id+"/owner", `{"owner":true}`); status != 200 {
		t.Fatalf("make bob an owner: %d %v", status, out)
	}
	scenario{method: "GET", path: "/api/v1/users", login: true, wantStatus: 200}.run(t, m, bob)
	if status, out := put(owner, "/api/v1/users/"+strconv.FormatInt(admin.ID, 10)+"/owner", `{"owner":false}`); status != 400 || !strings.Contains(errText(out), "cannot stop being one themselves") {
		t.Fatalf("an owner stepping down: %d %v", status, out)
	}
	if status, _ := put(bob, "/api/v1/users/"+strconv.FormatInt(admin.ID, 10)+"/owner", `{"owner":false}`); status != 200 {
		t.Fatalf("bob, now an owner, unmakes admin: %d", status)
	}
	scenario{method: "GET", path: "/api/v1/users", login: true, wantStatus: 403}.run(t, m, owner)
	if status, out := put(bob, "/api/v1/users/"+id+"/owner", `{}`); status != 400 || !strings.Contains(errText(out), `{"owner":true}`) {
		t.Fatalf("no owner field: %d %v", status, out)
	}
	wantAudit(t, m, "password.reset admin bob", "user.disable admin bob", "user.enable admin bob", "sign_in.failed bob bob", "sign_in bob bob",
		"owner.grant admin bob", "owner.remove bob admin")
}
