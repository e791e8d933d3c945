package playhead

import (
	"context"
	"strings"
	"time"
)

// Invite is a link that lets one person create an account and join a
// project with a role: once, until it expires. Only its token's hash is
// kept.
type Invite struct {
	ID        int64  `json:"id"`
	TokenHash string `json:"-"`
	ProjectID int64  `json:"projectId"`
	Role      Role   `json:"role"`
	// Email is whom the invitation is for ("" when the sender did not say);
	// the new account starts with it.
	Email     string    `json:"email"`
	CreatedBy int64     `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// UsedAt and UsedBy say when and by whom the invitation was accepted
	// (zero while it is open).
	UsedAt time.Time `json:"usedAt,omitzero"`
	UsedBy int64     `json:"usedBy,omitempty"`
}

// UserStore keeps who a person is: accounts beyond their name and login
// (AccountStore), their OpenID identities, and invitations.
type UserStore interface {
	// UserByID returns a user, or ENOTFOUND.
	UserByID(ctx context.Context, id int64) (*User, error)
	// UserByIdentity returns the user who signs in as subject at the
	// OpenID provider issuer, or ENOTFOUND.
	UserByIdentity(ctx context.Context, issuer, subject string) (*User, error)
	// UserByEmail returns the user with the email address (compared
	// without case), or ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// Users returns every user, oldest first.
	Users(ctx context.Context) ([]*User, error)
	// SetPassword stores a new password hash for a user, set at changedAt,
	// and ends every login of the user except keepLogin (a login token's
	// hash; "" ends them all).
	SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time, keepLogin string) error
	// RehashPassword replaces a user's password hash by newHash, a hash
	// of the same password of a stronger kind, if it is still oldHash.
	// Logins stay.
	RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error
	// SetDisabled disables a user (ending all their logins at once) or
	// enables them again.
	SetDisabled(ctx context.Context, userID int64, disabled bool) error

	// CreateInvite stores inv and sets its ID.
	CreateInvite(ctx context.Context, inv *Invite) error
	// Invites returns a project's invitations that are neither accepted
	// nor expired at now, newest first.
	Invites(ctx context.Context, projectID int64, now time.Time) ([]*Invite, error)
	// InviteByToken returns the open invitation whose token hashes to
	// tokenHash: ENOTFOUND when there is none, or it was used or has
	// expired at now.
	InviteByToken(ctx context.Context, tokenHash string, now time.Time) (*Invite, error)
	// AcceptInvite uses up the open invitation whose token hashes to
	// tokenHash and creates u (setting its ID), in one transaction, and
	// returns the invitation. The invitation must be open at now
	// (ENOTFOUND otherwise) and u's username free (EINVALID otherwise).
	AcceptInvite(ctx context.Context, tokenHash string, now time.Time, u *User) (*Invite, error)
	// DeleteInvite withdraws an open invitation of a project, or returns
	// ENOTFOUND.
	DeleteInvite(ctx context.Context, projectID, id int64) error

	// CreateSSOState stores a single sign-on attempt, and deletes those
	// expired at now.
	CreateSSOState(ctx context.Context, st *SSOState, now time.Time) error
	// TakeSSOState returns and deletes the attempt whose state hashes to
	// stateHash, or returns ENOTFOUND when there is none or it has
	// expired at now: each is taken once.
	TakeSSOState(ctx context.Context, stateHash string, now time.Time) (*SSOState, error)
}

// SSOState is a single sign-on attempt in progress: what Playhead must
// check when the browser comes back from the OpenID provider.
type SSOState struct {
	StateHash string
	Nonce     string
	// Verifier is the PKCE code verifier.
	Verifier string
	// Next is the dashboard path to go to once signed in.
	Next      string
	ExpiresAt time.Time
}

// Audit log actions about accounts, beside those of AccessStore's.
const (
	AuditUserCreate     = "user.create"
	AuditUserDisable    = "user.disable"
	AuditUserEnable     = "user.enable"
	AuditPasswordChange = "password.change"
	AuditPasswordReset  = "password.reset"
	AuditInviteCreate   = "invite.create"
	AuditInviteRevoke   = "invite.revoke"
	AuditInviteAccept   = "invite.accept"
	AuditOwnerGrant     = "owner.grant"
	AuditOwnerRemove    = "owner.remove"
)

// CheckUsername returns an EINVALID error naming what is wrong with a new
// account's name: empty, longer than 64 bytes, or holding control
// characters (which would make it print as something else).
func CheckUsername(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(EINVALID, "choose a username")
	case len(name) > 64:
		return Errorf(EINVALID, "the username is %d bytes long; the maximum is 64", len(name))
	case strings.ContainsFunc(name, func(c rune) bool { return c < ' ' || c == 0x7f || c >= 0x80 && c < 0xa0 }):
		return Errorf(EINVALID, "the username holds control characters")
	}
	return nil
}
