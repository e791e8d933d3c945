package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
)

// apiCall makes a JSON request with a signed-in client and decodes the answer.
func apiCall(t *testing.T, m *app.Main, c *http.Client, method, path, body string, wantStatus int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, data)
	}
	out := map[string]any{}
	json.Unmarshal(data, &out)
	return out
}

func ingestWith(t *testing.T, m *app.Main, key, sid string, seq int, body []byte) int {
	t.Helper()
	resp, err := http.Post(m.URL()+"/api/v1/ingest?k="+key, "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestIngestKeyRotation: a rotated key keeps working for its grace period
// beside the new one; revoking leaves only the newest; both are audited.
func TestIngestKeyRotation(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	first := m.Project.IngestKey
	out := apiCall(t, m, c, "POST", "/api/v1/project/ingest-key", `{"graceHours":24}`, 200)
	second := out["project"].(map[string]any)["ingestKey"].(string)
	if prev, _ := out["previousKey"].(map[string]any); second == first || prev["key"] != first {
		t.Fatalf("rotation answered %v, want a new key and the old one as previous", out)
	}
	for _, key := range []string{first, second} {
		if code := ingestWith(t, m, key, "rotation00000001", 0, batch("rotation00000001", 0, now)); code != 200 {
			t.Errorf("ingest with %s during the grace period: %d", key[:8], code)
		}
	}
	out = apiCall(t, m, c, "POST", "/api/v1/project/ingest-key", `{"graceHours":0}`, 200)
	third := out["project"].(map[string]any)["ingestKey"].(string)
	if _, ok := out["previousKey"]; ok {
		t.Errorf("a revoked key is still listed as valid: %v", out)
	}
	for key, want := range map[string]int{first: 401, second: 401, third: 200} {
		if code := ingestWith(t, m, key, "rotation00000002", 0, batch("rotation00000002", 0, now)); code != want {
			t.Errorf("ingest with %s after revocation: %d, want %d", key[:8], code, want)
		}
	}
	apiCall(t, m, c, "POST", "/api/v1/project/ingest-key", `{"graceHours":1000}`, 400)
	list, err := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{Action: "ingest_key."})
	if err != nil || len(list) != 2 || list[0].Action != playhead.AuditKeyRevoke || list[1].Action != playhead.AuditKeyRotate || list[1].ActorName != "admin" {
		t.Errorf("audit of key changes = %+v, %v", list, err)
	}
}

// TestProjectSettingsTakeEffect: a project's client-address setting and
// asset origins apply to what it ingests next, and each change is audited
// with the old and new values.
func TestProjectSettingsTakeEffect(t *testing.T) {
	m := start(t) // the installation keeps anonymised addresses
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	page := func(sid string) []byte {
		return fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":0,"events":[`+
			`{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/","width":800,"height":600}},`+
			`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"img","attributes":{"src":"https://cdn.example.com/logo.png"},"childNodes":[]}]},"initialOffset":{"left":0,"top":0}}}]}`,
			sid, now, now+1)
	}
	if code := ingestWith(t, m, m.Project.IngestKey, "settings00000001", 0, page("settings00000001")); code != 200 {
		t.Fatal(code)
	}
	apiCall(t, m, c, "PATCH", "/api/v1/project", `{"settings":{"clientIp":"none","assetOrigins":["https://cdn.example.com/"]}}`, 200)
	if code := ingestWith(t, m, m.Project.IngestKey, "settings00000002", 0, page("settings00000002")); code != 200 {
		t.Fatal(code)
	}
	before := apiCall(t, m, c, "GET", "/api/v1/sessions/settings00000001", "", 200)["session"].(map[string]any)
	after := apiCall(t, m, c, "GET", "/api/v1/sessions/settings00000002", "", 200)["session"].(map[string]any)
	if before["clientIp"] == nil || after["clientIp"] != nil {
		t.Errorf("client address before / after clientIp none: %v / %v", before["clientIp"], after["clientIp"])
	}
	assets := apiCall(t, m, c, "GET", "/api/v1/assets", "", 200)
	if !strings.Contains(fmt.Sprint(assets), "https://cdn.example.com/logo.png") {
		t.Errorf("the project's asset origin was not queued for capture: %v", assets)
	}
	apiCall(t, m, c, "PATCH", "/api/v1/project", `{"settings":{"rageClicks":1}}`, 400)
	apiCall(t, m, c, "PATCH", "/api/v1/project", `{"settings":{"assetOrigins":["javascript:alert(1)"]}}`, 400)
	apiCall(t, m, c, "PATCH", "/api/v1/project", `{"settings":{"sampleRate":1.5}}`, 400)

	list, err := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{Action: playhead.AuditSettingsChange})
	if err != nil || len(list) != 1 {
		t.Fatalf("audit of setting changes = %+v, %v", list, err)
	}
	change, _ := list[0].Detail["clientIp"].(map[string]any)
	if change["from"] != "" || change["to"] != "none" || list[0].Detail["assetOrigins"] == nil {
		t.Errorf("the audited change is %v", list[0].Detail)
	}
}

// TestDeleteProject: a deleted project disappears at once (its key is
// refused, its routes not found) and the retention pass erases its
// sessions and removes it; another project is untouched.
func TestDeleteProject(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	created := apiCall(t, m, c, "POST", "/api/v1/projects", `{"name":"Staging"}`, 201)["project"].(map[string]any)
	id := fmt.Sprint(created["id"])
	key := created["ingestKey"].(string)
	if code := ingestWith(t, m, key, "staging000000001", 0, batch("staging000000001", 0, now)); code != 200 {
		t.Fatal(code)
	}
	if code := ingestWith(t, m, m.Project.IngestKey, "default000000001", 0, batch("default000000001", 0, now)); code != 200 {
		t.Fatal(code)
	}
	apiCall(t, m, c, "GET", "/api/v1/sessions/staging000000001?project="+id, "", 200)
	apiCall(t, m, c, "DELETE", "/api/v1/project?project="+id, `{"confirm":"staging"}`, 400)
	apiCall(t, m, c, "DELETE", "/api/v1/project?project="+id, `{"confirm":"Staging"}`, 202)
	apiCall(t, m, c, "GET", "/api/v1/sessions?project="+id, "", 404)
	if code := ingestWith(t, m, key, "staging000000001", 1, batch("staging000000001", 1, now+10)); code != 401 {
		t.Errorf("ingest into the deleted project: %d, want 401", code)
	}
	if projects := apiCall(t, m, c, "GET", "/api/v1/projects", "", 200); strings.Contains(fmt.Sprint(projects), "Staging") {
		t.Errorf("the deleted project is listed: %v", projects)
	}

	n, err := m.Recordings.DeleteProjects(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("DeleteProjects = %d, %v; want 1", n, err)
	}
	pid := int64(created["id"].(float64))
	if _, err := m.DB.Session(t.Context(), pid, "staging000000001"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Errorf("the deleted project's session: %v, want not found", err)
	}
	if left, _ := m.DB.DeletingProjects(t.Context()); len(left) != 0 {
		t.Errorf("projects still being deleted: %v", left)
	}
	apiCall(t, m, c, "GET", "/api/v1/sessions/default000000001", "", 200)
	if list, _ := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{Action: "project."}); len(list) != 2 {
		t.Errorf("audit of project changes = %+v, want the creation and the deletion", list)
	}
}

// TestAuditRetention: the retention pass deletes audit entries older than
// the audit retention an owner set, and no API route edits or deletes one.
func TestAuditRetention(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	old := playhead.AuditEntry{At: time.Now().Add(-100 * 24 * time.Hour), ActorName: "someone", Action: playhead.AuditReplayView, ProjectID: m.Project.ID, Target: "old00000000000001"}
	if err := m.DB.AddAudit(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	if err := m.PurgeAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if list, _ := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{Target: old.Target}); len(list) != 1 {
		t.Fatalf("a 100-day-old entry is gone under the default retention of a year")
	}
	apiCall(t, m, c, "PATCH", "/api/v1/installation", `{"auditRetentionDays":90}`, 200)
	if err := m.PurgeAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if list, _ := m.DB.AuditEntries(t.Context(), playhead.AuditFilter{Target: old.Target}); len(list) != 0 {
		t.Errorf("a 100-day-old entry is kept under a retention of 90 days")
	}
	for _, r := range m.Server.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/audit") && r.Method != "GET" {
			t.Errorf("%s %s changes the audit log", r.Method, r.Path)
		}
	}
}

// TestAPITokens: a token acts in its project with its scopes, as
// "Authorization: Bearer"; revoking it takes effect at the next request;
// its secret is stored hashed and shown once; a developer cannot mint a
// token that erases or acts as an admin.
func TestAPITokens(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	secret, id := createToken(t, m, c, "ci", playhead.ScopeRead)
	bearer := func(method, path string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, m.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s %s with the token: %d, want %d", method, path, resp.StatusCode, want)
		}
	}
	bearer("GET", "/api/v1/sessions", 200)
	bearer("GET", "/api/v1/me", 403)
	bearer("DELETE", "/api/v1/sessions/abcdefgh12345678", 403)
	listed := apiCall(t, m, c, "GET", "/api/v1/tokens", "", 200)
	if s := fmt.Sprint(listed); strings.Contains(s, secret) || !strings.Contains(s, secret[:10]) {
		t.Errorf("the token list shows the secret, or not its hint: %s", s)
	}
	tokens, _ := m.DB.APITokens(t.Context(), m.Project.ID)
	i := slices.IndexFunc(tokens, func(tok *playhead.APIToken) bool { return tok.Name == "ci" })
	if i < 0 || tokens[i].Hash == secret || strings.Contains(tokens[i].Hash, secret[4:20]) || tokens[i].LastUsedAt.IsZero() {
		t.Errorf("stored tokens = %+v, want ci's hashed, with its last use", tokens)
	}
	apiCall(t, m, c, "DELETE", "/api/v1/tokens/"+id, "", 200)
	bearer("GET", "/api/v1/sessions", 401)

	// A developer may mint read and OTLP tokens, not erase or admin ones.
	dev := &playhead.User{Username: "dev", PasswordHash: mustHash(t)}
	if err := m.DB.CreateUser(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.SetMember(t.Context(), m.Project.ID, dev.ID, playhead.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	d := signedIn(t, m, "dev")
	apiCall(t, m, d, "POST", "/api/v1/tokens", `{"name":"otel","scopes":["otlp"]}`, 201)
	apiCall(t, m, d, "POST", "/api/v1/tokens", `{"name":"cleanup","scopes":["erase"]}`, 403)
	apiCall(t, m, d, "POST", "/api/v1/tokens", `{"name":"root","scopes":["sessions:read","admin"]}`, 403)
	apiCall(t, m, d, "POST", "/api/v1/tokens", `{"name":"odd","scopes":["root"]}`, 400)
}

// mustHash returns the password hash of password.
func mustHash(t *testing.T) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(hash)
}

// signedIn returns a client signed in as username (whose password is the
// tests' password).
func signedIn(t *testing.T, m *app.Main, username string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(m.URL()+"/api/v1/login", "application/json", strings.NewReader(`{"username":"`+username+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign in as %s: %d", username, resp.StatusCode)
	}
	return c
}
