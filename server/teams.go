package server

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/playhead/playhead"
)

// NewIngestKey returns a new random ingest key.
func NewIngestKey() string {
	b := make([]byte, 15)
	rand.Read(b)
	return "phk_" + base64.RawURLEncoding.EncodeToString(b)
}

// maxNameLen bounds the names of projects and API tokens, in characters.
const maxNameLen = 100

func validName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", playhead.Errorf(playhead.EINVALID, "%s: missing", what)
	}
	if n := utf8.RuneCountInString(name); n > maxNameLen || !utf8.ValidString(name) {
		return "", playhead.Errorf(playhead.EINVALID, "%s: %d characters, more than the limit of %d", what, n, maxNameLen)
	}
	return name, nil
}

// handleProjects lists the projects the user may see, with their role.
func (s *Server) handleProjects(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Accounts.UserProjects(r.Context(), requestUser(r).ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"projects": list})
}

// handleCreateProject creates a project with a new ingest key. Only an
// owner may, and owners are admins of every project.
func (s *Server) handleCreateProject(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	name, err := validName("name", in.Name)
	if err != nil {
		return err
	}
	p := &playhead.Project{Name: name, IngestKey: NewIngestKey(), CreatedAt: s.Now()}
	if err := s.Accounts.CreateProject(r.Context(), p); err != nil {
		return err
	}
	s.audit(r, playhead.AuditProjectCreate, name, p.ID)
	return writeJSON(w, http.StatusCreated, map[string]any{"project": p})
}

// handleProject answers the request's project, its settings and its
// ingest key's state.
func (s *Server) handleProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, projectJSON(p, s.Now()))
}

func projectJSON(p *playhead.Project, now time.Time) map[string]any {
	out := map[string]any{"project": p}
	if p.PreviousIngestKey != "" && now.Before(p.PreviousKeyUntil) {
		out["previousKey"] = map[string]any{"key": p.PreviousIngestKey, "validUntil": p.PreviousKeyUntil}
	}
	return out
}

// Limits of project settings.
const (
	maxRetentionDays = 3650
	maxAssetOrigins  = 50
	maxRageClicks    = 20
	maxRageWindowMs  = 10_000
	maxDeadClickMs   = 60_000
)

// validSettings checks settings and returns them normalised, or an error
// naming what is wrong and the limit.
func validSettings(in playhead.ProjectSettings) (playhead.ProjectSettings, error) {
	switch in.PrivacyPreset {
	case "", "strict", "default", "relaxed":
	default:
		return in, playhead.Errorf(playhead.EINVALID, "privacyPreset: %q is not one of strict, default, relaxed", in.PrivacyPreset)
	}
	if in.PrivacyPreset == "default" {
		in.PrivacyPreset = ""
	}
	switch in.ClientIP {
	case "", "anonymized", "none":
	default:
		return in, playhead.Errorf(playhead.EINVALID, "clientIp: %q is not one of anonymized, none", in.ClientIP)
	}
	if len(in.AssetOrigins) > maxAssetOrigins {
		return in, playhead.Errorf(playhead.EINVALID, "assetOrigins: %d origins, more than the limit of %d", len(in.AssetOrigins), maxAssetOrigins)
	}
	var origins []string
	for _, o := range in.AssetOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return in, playhead.Errorf(playhead.EINVALID, "assetOrigins: %q is not an origin (scheme://host[:port])", o)
		}
		if !slices.Contains(origins, u.Scheme+"://"+u.Host) {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	in.AssetOrigins = origins
	for name, rate := range map[string]*float64{"sampleRate": in.SampleRate, "errorSampleRate": in.ErrorSampleRate} {
		if rate != nil && !(*rate >= 0 && *rate <= 1) {
			return in, playhead.Errorf(playhead.EINVALID, "%s: %v is not a share from 0 to 1", name, *rate)
		}
	}
	for _, c := range []struct {
		name   string
		v, max int
		min    int
	}{{"rageClicks", in.RageClicks, maxRageClicks, 2}, {"rageWindowMs", in.RageWindowMs, maxRageWindowMs, 100}, {"deadClickMs", in.DeadClickMs, maxDeadClickMs, 100}} {
		if c.v != 0 && (c.v < c.min || c.v > c.max) {
			return in, playhead.Errorf(playhead.EINVALID, "%s: %d is outside %d to %d (0 for the default)", c.name, c.v, c.min, c.max)
		}
	}
	return in, nil
}

// handleUpdateProject renames a project and changes its settings; its
// retention needs an admin.
func (s *Server) handleUpdateProject(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name          *string                   `json:"name"`
		RetentionDays *int                      `json:"retentionDays"`
		Settings      *playhead.ProjectSettings `json:"settings"`
	}
	if err := decodeJSON(r, 64<<10, &in); err != nil {
		return err
	}
	c := requestCaller(r)
	p := *c.project
	changed := map[string]any{}
	if in.Name != nil {
		name, err := validName("name", *in.Name)
		if err != nil {
			return err
		}
		if name != p.Name {
			changed["name"] = map[string]string{"from": p.Name, "to": name}
			p.Name = name
		}
	}
	if in.Settings != nil {
		settings, err := validSettings(*in.Settings)
		if err != nil {
			return err
		}
		for k, v := range settingsDiff(p.Settings, settings) {
			changed[k] = v
		}
		p.Settings = settings
	}
	if in.RetentionDays != nil && *in.RetentionDays != p.RetentionDays {
		if !c.may(playhead.RoleAdmin) {
			return playhead.Errorf(playhead.EFORBIDDEN, "changing retention needs the admin role")
		}
		if d := *in.RetentionDays; d < 1 || d > maxRetentionDays {
			return playhead.Errorf(playhead.EINVALID, "retentionDays: %d is outside 1 to %d", d, maxRetentionDays)
		}
		changed["retentionDays"] = map[string]int{"from": p.RetentionDays, "to": *in.RetentionDays}
		p.RetentionDays = *in.RetentionDays
	}
	if len(changed) == 0 {
		return writeJSON(w, http.StatusOK, projectJSON(&p, s.Now()))
	}
	if err := s.Accounts.UpdateProject(r.Context(), &p); err != nil {
		return err
	}
	s.keys.forget()
	action := playhead.AuditSettingsChange
	if _, renamed := changed["name"]; renamed && len(changed) == 1 {
		action = playhead.AuditProjectRename
	}
	s.audit(r, action, p.Name, p.ID, changed)
	return writeJSON(w, http.StatusOK, projectJSON(&p, s.Now()))
}

// settingsDiff names the settings that differ, each with its old and new
// value.
func settingsDiff(a, b playhead.ProjectSettings) map[string]any {
	out := map[string]any{}
	add := func(name string, from, to any, same bool) {
		if !same {
			out[name] = map[string]any{"from": from, "to": to}
		}
	}
	rate := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	sameRate := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	add("privacyPreset", a.PrivacyPreset, b.PrivacyPreset, a.PrivacyPreset == b.PrivacyPreset)
	add("clientIp", a.ClientIP, b.ClientIP, a.ClientIP == b.ClientIP)
	add("assetOrigins", a.AssetOrigins, b.AssetOrigins, slices.Equal(a.AssetOrigins, b.AssetOrigins))
	add("sampleRate", rate(a.SampleRate), rate(b.SampleRate), sameRate(a.SampleRate, b.SampleRate))
	add("errorSampleRate", rate(a.ErrorSampleRate), rate(b.ErrorSampleRate), sameRate(a.ErrorSampleRate, b.ErrorSampleRate))
	add("rageClicks", a.RageClicks, b.RageClicks, a.RageClicks == b.RageClicks)
	add("rageWindowMs", a.RageWindowMs, b.RageWindowMs, a.RageWindowMs == b.RageWindowMs)
	add("deadClickMs", a.DeadClickMs, b.DeadClickMs, a.DeadClickMs == b.DeadClickMs)
	return out
}

// may reports whether the caller has at least role in the request's
// project (an API token of scope admin counts as an admin).
func (c *caller) may(role playhead.Role) bool {
	if c.token != nil {
		return slices.Contains(c.token.Scopes, playhead.ScopeAdmin)
	}
	return c.role.AtLeast(role)
}

// handleDeleteProject deletes a project with all its data: it vanishes at
// once, and the retention pass erases its sessions and removes it. The
// body must name the project, so that no slip deletes the wrong one.
func (s *Server) handleDeleteProject(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	if in.Confirm != p.Name {
		return playhead.Errorf(playhead.EINVALID, "confirm: give the project's name, %q, to delete it with all its sessions", p.Name)
	}
	if err := s.Accounts.MarkProjectDeleting(r.Context(), p.ID, s.Now()); err != nil {
		return err
	}
	s.keys.forget()
	s.otlpTokens.forget()
	s.audit(r, playhead.AuditProjectDelete, p.Name, p.ID)
	return writeJSON(w, http.StatusAccepted, map[string]any{"ok": true})
}

// maxKeyGrace bounds how long a replaced ingest key stays valid.
const maxKeyGrace = 30 * 24 * time.Hour

// handleRotateIngestKey gives the project a new ingest key; the old one
// stays valid for graceHours (0 revokes it at once).
func (s *Server) handleRotateIngestKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		GraceHours *float64 `json:"graceHours"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	if in.GraceHours == nil {
		return playhead.Errorf(playhead.EINVALID, "graceHours: missing (0 revokes the current key at once)")
	}
	grace := time.Duration(*in.GraceHours * float64(time.Hour))
	if !(*in.GraceHours >= 0) || grace > maxKeyGrace {
		return playhead.Errorf(playhead.EINVALID, "graceHours: %v is outside 0 to %d", *in.GraceHours, int(maxKeyGrace.Hours()))
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	now := s.Now()
	key := NewIngestKey()
	if err := s.Accounts.SetIngestKey(r.Context(), p.ID, key, now.Add(grace)); err != nil {
		return err
	}
	s.keys.forget()
	action, detail := playhead.AuditKeyRevoke, map[string]any{"replaced": hint(p.IngestKey), "new": hint(key)}
	if grace > 0 {
		action, detail["graceHours"] = playhead.AuditKeyRotate, *in.GraceHours
	}
	s.audit(r, action, p.Name, p.ID, detail)
	p, err = s.Accounts.Project(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, projectJSON(p, now))
}

// hint is the start of a key, enough to tell keys apart in the audit log.
func hint(key string) string {
	if len(key) > 10 {
		return key[:10] + "…"
	}
	return key
}

// handleMembers lists the project's members and the owners.
func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Accounts.Members(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"members": list})
}

// memberParam returns the user named by the route's {user}.
func (s *Server) memberParam(r *http.Request) (*playhead.User, error) {
	name := r.PathValue("user")
	u, err := s.Accounts.UserByName(r.Context(), name)
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no user %q: invite them first", name)
	}
	return u, err
}

// handleSetMember gives a user a role in the project.
func (s *Server) handleSetMember(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	role, err := playhead.ParseRole(in.Role)
	if err != nil {
		return err
	}
	u, err := s.memberParam(r)
	if err != nil {
		return err
	}
	if u.Owner {
		return playhead.Errorf(playhead.EINVALID, "%s owns this Playhead and is an admin of every project; their role cannot change here", u.Username)
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	before, _ := s.Accounts.MemberRole(r.Context(), p.ID, u.ID)
	if err := s.Accounts.SetMember(r.Context(), p.ID, u.ID, role); err != nil {
		return err
	}
	s.audit(r, playhead.AuditMemberSet, u.Username, p.ID, map[string]any{"from": string(before), "to": string(role)})
	return writeJSON(w, http.StatusOK, map[string]any{"member": playhead.Member{UserID: u.ID, Username: u.Username, Role: role}})
}

// handleRemoveMember ends a user's membership of the project.
func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request) error {
	u, err := s.memberParam(r)
	if err != nil {
		return err
	}
	if u.Owner {
		return playhead.Errorf(playhead.EINVALID, "%s owns this Playhead and is an admin of every project; they cannot be removed from one", u.Username)
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	before, _ := s.Accounts.MemberRole(r.Context(), p.ID, u.ID)
	if err := s.Accounts.RemoveMember(r.Context(), p.ID, u.ID); err != nil {
		return err
	}
	s.audit(r, playhead.AuditMemberRemove, u.Username, p.ID, map[string]any{"role": string(before)})
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// handleTokens lists the project's API tokens (never their secrets).
func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Accounts.APITokens(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

// adminScopes are the token scopes only an admin may grant: they erase
// data or do what an admin does.
var adminScopes = []string{playhead.ScopeAdmin, playhead.ScopeErase}

// handleCreateToken issues an API token of the project and answers its
// secret, this once.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string   `json:"name"`
		Scopes []string `json:"scopes"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	name, err := validName("name", in.Name)
	if err != nil {
		return err
	}
	if len(in.Scopes) == 0 {
		return playhead.Errorf(playhead.EINVALID, "scopes: missing; give one or more of %s", strings.Join(playhead.Scopes, ", "))
	}
	var scopes []string
	for _, sc := range in.Scopes {
		if !slices.Contains(playhead.Scopes, sc) {
			return playhead.Errorf(playhead.EINVALID, "scopes: %q is not one of %s", sc, strings.Join(playhead.Scopes, ", "))
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	c := requestCaller(r)
	for _, sc := range scopes {
		if slices.Contains(adminScopes, sc) && !c.may(playhead.RoleAdmin) {
			return playhead.Errorf(playhead.EFORBIDDEN, "a token of scope %s needs the admin role to create", sc)
		}
	}
	t, secret := NewAPIToken(c.project.ID, name, scopes)
	t.CreatedAt = s.Now()
	if u := requestUser(r); u != nil {
		t.CreatedBy = u.ID
	}
	if err := s.Accounts.CreateAPIToken(r.Context(), t); err != nil {
		return err
	}
	s.audit(r, playhead.AuditTokenCreate, name, c.project.ID, map[string]any{"id": t.ID, "scopes": scopes, "hint": t.Hint})
	return writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
}

// handleDeleteToken revokes one of the project's API tokens.
func (s *Server) handleDeleteToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return playhead.Errorf(playhead.ENOTFOUND, "API token %q not found", r.PathValue("id"))
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Accounts.APITokens(r.Context(), p.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(t *playhead.APIToken) bool { return t.ID == id })
	if i < 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "API token %d not found", id)
	}
	if err := s.Accounts.DeleteAPIToken(r.Context(), p.ID, id); err != nil {
		return err
	}
	s.otlpTokens.forget()
	s.audit(r, playhead.AuditTokenRevoke, list[i].Name, p.ID, map[string]any{"id": id, "scopes": list[i].Scopes, "hint": list[i].Hint})
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
