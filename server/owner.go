package server

import (
	"net/http"
	"strconv"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/password"
)

// pathUser returns the user the path's {id} names.
func (s *Server) pathUser(r *http.Request) (*playhead.User, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "%q is not a user ID", r.PathValue("id"))
	}
	return s.Users.UserByID(r.Context(), id)
}

// handleUsers lists every account, for owners.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Users.Users(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"users": list})
}

// handleResetPassword sets another person's password, given by the owner
// or generated (and shown once), and ends every login of theirs.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	if u.OIDCSubject != "" {
		return playhead.Errorf(playhead.EINVALID, "%s signs in through single sign-on and has no password here", u.Username)
	}
	generated := in.Password == ""
	if generated {
		in.Password = randomToken("", 15)
	} else if err := password.Check(in.Password, u.Username, u.Email); err != nil {
		return err
	}
	h, err := password.Hash(in.Password)
	if err != nil {
		return err
	}
	if err := s.Users.SetPassword(r.Context(), u.ID, h, s.Now(), ""); err != nil {
		return err
	}
	s.audit(r, playhead.AuditPasswordReset, u.Username, 0)
	out := map[string]any{"ok": true}
	if generated {
		out["password"] = in.Password
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleSetDisabled disables an account (ending its logins at once) or
// enables it again.
func (s *Server) handleSetDisabled(disabled bool) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := s.pathUser(r)
		if err != nil {
			return err
		}
		if disabled && u.ID == requestUser(r).ID {
			return playhead.Errorf(playhead.EINVALID, "an owner cannot disable their own account")
		}
		if err := s.Users.SetDisabled(r.Context(), u.ID, disabled); err != nil {
			return err
		}
		action := playhead.AuditUserEnable
		if disabled {
			action = playhead.AuditUserDisable
		}
		s.audit(r, action, u.Username, 0)
		return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

// handleSetOwner makes an account an owner of this Playhead (an admin of
// every project, who manages accounts) or no longer one. An owner cannot
// step down themselves, so one always remains who can.
func (s *Server) handleSetOwner(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Owner *bool `json:"owner"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	if in.Owner == nil {
		return playhead.Errorf(playhead.EINVALID, `say {"owner":true} or {"owner":false}`)
	}
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	if !*in.Owner && u.ID == requestUser(r).ID {
		return playhead.Errorf(playhead.EINVALID, "an owner cannot stop being one themselves; another owner can")
	}
	if err := s.Accounts.SetOwner(r.Context(), u.ID, *in.Owner); err != nil {
		return err
	}
	action := playhead.AuditOwnerRemove
	if *in.Owner {
		action = playhead.AuditOwnerGrant
	}
	s.audit(r, action, u.Username, 0)
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
