package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/password"
)

// Invitations last inviteDefault unless their sender says otherwise, and
// at most inviteLongest.
const (
	inviteDefault = 7 * 24 * time.Hour
	inviteLongest = 30 * 24 * time.Hour
)

// inviteURL is the link an invitation is accepted at. The token is in the
// fragment, which browsers never send to a server.
func (s *Server) inviteURL(token string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/invite#" + token
}

// handleCreateInvite makes an invitation to the project with a role, and
// returns its link: shown this once, since only the token's hash is kept.
func (s *Server) handleCreateInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role          string `json:"role"`
		Email         string `json:"email"`
		ExpiresInDays int    `json:"expiresInDays"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	p := requestCaller(r).project
	var createdBy int64
	if u := requestUser(r); u != nil {
		createdBy = u.ID
	}
	role, err := playhead.ParseRole(in.Role)
	if err != nil {
		return err
	}
	in.Email = strings.TrimSpace(in.Email)
	if in.Email != "" && (len(in.Email) > 254 || !strings.Contains(in.Email, "@")) {
		return playhead.Errorf(playhead.EINVALID, "%q is not an email address", in.Email)
	}
	life := inviteDefault
	if in.ExpiresInDays != 0 {
		life = time.Duration(in.ExpiresInDays) * 24 * time.Hour
		if in.ExpiresInDays < 1 || life > inviteLongest {
			return playhead.Errorf(playhead.EINVALID, "an invitation lasts 1 to %d days, not %d", int(inviteLongest.Hours()/24), in.ExpiresInDays)
		}
	}
	now := s.Now()
	token := randomToken("phi_", 32)
	inv := &playhead.Invite{TokenHash: hashToken(token), ProjectID: p.ID, Role: role, Email: in.Email, CreatedBy: createdBy, CreatedAt: now, ExpiresAt: now.Add(life)}
	if err := s.Users.CreateInvite(r.Context(), inv); err != nil {
		return err
	}
	s.audit(r, playhead.AuditInviteCreate, inviteTarget(inv), p.ID, map[string]any{"role": string(role), "expiresAt": inv.ExpiresAt.UTC().Format(time.RFC3339)})
	return writeJSON(w, http.StatusCreated, map[string]any{"invite": inv, "url": s.inviteURL(token)})
}

// inviteTarget names an invitation in the audit log.
func inviteTarget(inv *playhead.Invite) string {
	if inv.Email != "" {
		return "invite #" + strconv.FormatInt(inv.ID, 10) + " (" + inv.Email + ")"
	}
	return "invite #" + strconv.FormatInt(inv.ID, 10)
}

// handleInvites lists the project's open invitations.
func (s *Server) handleInvites(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Users.Invites(r.Context(), requestCaller(r).project.ID, s.Now())
	if err != nil {
		return err
	}
	if list == nil {
		list = []*playhead.Invite{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"invites": list})
}

// handleDeleteInvite withdraws one of the project's open invitations.
func (s *Server) handleDeleteInvite(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return playhead.Errorf(playhead.EINVALID, "%q is not an invitation ID", r.PathValue("id"))
	}
	projectID := requestCaller(r).project.ID
	if err := s.Users.DeleteInvite(r.Context(), projectID, id); err != nil {
		return err
	}
	s.audit(r, playhead.AuditInviteRevoke, "invite #"+strconv.FormatInt(id, 10), projectID)
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// openInvite reads an invitation token from a request body and returns
// its open invitation and project. Lookups are limited per address like
// sign-ins, though a token cannot be guessed.
func (s *Server) openInvite(r *http.Request, token string) (*playhead.Invite, *playhead.Project, error) {
	now := s.Now()
	if ok, wait := s.loginIPLimits.allow(clientKey(ClientIP(r, s.TrustedProxies)), now); !ok {
		return nil, nil, tooManyLogins("from this client address", now, wait)
	}
	if !strings.HasPrefix(token, "phi_") || len(token) > 100 {
		return nil, nil, playhead.Errorf(playhead.ENOTFOUND, "this is not an invitation link; ask for a new one")
	}
	inv, err := s.Users.InviteByToken(r.Context(), hashToken(token), now)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Accounts.Project(r.Context(), inv.ProjectID)
	if err != nil {
		return nil, nil, err
	}
	return inv, p, nil
}

// handleInviteLookup tells the invitation page what an invitation is for.
func (s *Server) handleInviteLookup(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	inv, p, err := s.openInvite(r, in.Token)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"project": p.Name, "role": inv.Role, "email": inv.Email, "expiresAt": inv.ExpiresAt})
}

// handleAcceptInvite creates the invited person's account with the name
// and password they chose, gives them the invitation's role, uses the
// invitation up and signs them in.
func (s *Server) handleAcceptInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	inv, _, err := s.openInvite(r, in.Token)
	if err != nil {
		return err
	}
	in.Username = strings.TrimSpace(in.Username)
	if err := playhead.CheckUsername(in.Username); err != nil {
		return err
	}
	if err := password.Check(in.Password, in.Username, inv.Email); err != nil {
		return err
	}
	h, err := password.Hash(in.Password)
	if err != nil {
		return err
	}
	now := s.Now()
	u := &playhead.User{Username: in.Username, Email: inv.Email, PasswordHash: h, CreatedAt: now}
	inv, err = s.Users.AcceptInvite(r.Context(), hashToken(in.Token), now, u)
	if err != nil {
		return err
	}
	if err := s.Accounts.SetMember(r.Context(), inv.ProjectID, u.ID, inv.Role); err != nil {
		return err
	}
	s.audit(withUser(r, u), playhead.AuditInviteAccept, inviteTarget(inv), inv.ProjectID, map[string]any{"role": string(inv.Role), "invitedBy": inv.CreatedBy})
	if err := s.startLogin(w, r, u, "invite"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"user": u})
}
