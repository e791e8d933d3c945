package playhead

import (
	"context"
	"time"
)

// Role is what a member may do in a project. Roles are ordered: each may do
// everything the one below it may.
type Role string

// Roles, from least to most.
const (
	// RoleViewer lists sessions and watches replays.
	RoleViewer Role = "viewer"
	// RoleDeveloper also changes settings, webhooks, ingest keys and
	// API tokens.
	RoleDeveloper Role = "developer"
	// RoleAdmin also manages members, erases data and sets retention.
	RoleAdmin Role = "admin"
)

// Roles are every role, from least to most.
var Roles = []Role{RoleViewer, RoleDeveloper, RoleAdmin}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleDeveloper:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r may do what min may. An invalid role may do
// nothing, and nothing needs less than RoleViewer.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// ParseRole returns the role named s, or an EINVALID error naming the roles.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q is not one of viewer, developer, admin", s)
}

// Member is a user's membership of a project. An owner of the installation
// is an admin of every project, member or not.
type Member struct {
	ProjectID int64  `json:"-"`
	UserID    int64  `json:"userId"`
	Username  string `json:"username"`
	Role      Role   `json:"role"`
	// Owner says the role comes from the user owning the installation.
	Owner bool `json:"owner"`
}

// ProjectRole is a project a user may see and the role they have in it.
type ProjectRole struct {
	Project *Project `json:"project"`
	Role    Role     `json:"role"`
}

// ProjectSettings are a project's own settings, changed in the dashboard;
// a zero value means the installation's default.
type ProjectSettings struct {
	// PrivacyPreset is the SDK's masking preset: strict, default or
	// relaxed ("" is default).
	PrivacyPreset string `json:"privacyPreset,omitempty"`
	// ClientIP says what is kept of a visitor's address: "anonymized"
	// (IPv4 /24, IPv6 /48), "none", or "" for the installation's flag.
	ClientIP string `json:"clientIp,omitempty"`
	// AssetOrigins are the origins (scheme://host[:port]) whose
	// stylesheets, fonts and images are captured for replay, beside the
	// installation's.
	AssetOrigins []string `json:"assetOrigins,omitempty"`
	// SampleRate is the share of visits recorded in full, and
	// ErrorSampleRate the share of the others recorded from shortly before
	// an error (nil: the SDK's own options).
	SampleRate      *float64 `json:"sampleRate,omitempty"`
	ErrorSampleRate *float64 `json:"errorSampleRate,omitempty"`
	// RageClicks, RageWindowMs and DeadClickMs tune frustration signals:
	// how many clicks within how long make a rage click, and how long a
	// click may go unanswered before it is dead (0: the defaults).
	RageClicks   int `json:"rageClicks,omitempty"`
	RageWindowMs int `json:"rageWindowMs,omitempty"`
	DeadClickMs  int `json:"deadClickMs,omitempty"`
}

// API token scopes. A token may do what its scopes allow in its project,
// and nothing else: it never signs in to the dashboard.
const (
	// ScopeRead lists sessions and reads replays, reports and assets.
	ScopeRead = "sessions:read"
	// ScopeErase erases sessions and users' data.
	ScopeErase = "erase"
	// ScopeAdmin may do everything a project admin may.
	ScopeAdmin = "admin"
	// ScopeOTLP sends backend traces and logs (OTLP) into sessions.
	ScopeOTLP = "otlp"
	// ScopeSourceMaps uploads and lists releases' source maps (a CI
	// pipeline's token).
	ScopeSourceMaps = "sourcemaps"
)

// Scopes are every API token scope.
var Scopes = []string{ScopeRead, ScopeErase, ScopeAdmin, ScopeOTLP, ScopeSourceMaps}

// APIToken is a secret a program presents as "Authorization: Bearer" to
// act in one project. Only its hash is stored; the secret is shown once.
type APIToken struct {
	ID        int64    `json:"id"`
	ProjectID int64    `json:"projectId"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	// Hash is the SHA-256 of the secret, hex; Hint is the secret's first
	// characters, to tell tokens apart.
	Hash       string    `json:"-"`
	Hint       string    `json:"hint"`
	CreatedBy  int64     `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
	LastUsedAt time.Time `json:"lastUsedAt"`
}

// Audit log actions.
const (
	AuditSignIn         = "sign_in"
	AuditSignInFailed   = "sign_in.failed"
	AuditSignOut        = "sign_out"
	AuditReplayView     = "replay.view"
	AuditSessionsExport = "sessions.export"
	AuditShareLink      = "share_link.create"
	AuditShareRevoke    = "share_link.revoke"
	AuditShareView      = "share_link.view"
	AuditSessionImport  = "session.import"
	AuditSessionSummary = "session.summary" // its steps were sent to the configured language model
	AuditSourceMaps     = "sourcemaps.upload"
	AuditSourceMapsDrop = "sourcemaps.delete"
	AuditSessionErase   = "session.erase"
	AuditUserErase      = "user_data.erase"
	AuditProjectCreate  = "project.create"
	AuditProjectRename  = "project.rename"
	AuditProjectDelete  = "project.delete"
	AuditSettingsChange = "settings.change"
	AuditKeyRotate      = "ingest_key.rotate"
	AuditKeyRevoke      = "ingest_key.revoke"
	AuditTokenCreate    = "token.create"
	AuditTokenRevoke    = "token.revoke"
	AuditMemberSet      = "member.set"
	AuditMemberRemove   = "member.remove"
	AuditWebhookCreate  = "webhook.create"
	AuditWebhookDelete  = "webhook.delete"
	AuditExport         = "audit.export"
)

// AuditEntry is one line of the audit log: who did what, to what, when and
// from where. Entries are only ever added, and deleted by age.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// ActorUserID is the signed-in user (0 for none); ActorToken names the
	// API token used ("" for none); ActorName is who it was in words (a
	// username, or the name tried in a failed sign-in).
	ActorUserID int64  `json:"actorUserId,omitempty"`
	ActorToken  string `json:"actorToken,omitempty"`
	ActorName   string `json:"actor"`
	Action      string `json:"action"`
	// ProjectID is the project acted in (0: the installation).
	ProjectID int64  `json:"projectId,omitempty"`
	Target    string `json:"target,omitempty"`
	// IP is the client's address, anonymised as sessions' are.
	IP     string         `json:"ip,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	// Projects, when not nil, are the projects whose entries are wanted;
	// the installation's own (ProjectID 0) only when it lists 0.
	Projects []int64
	Actor    string // a username, exactly
	Action   string // an action, or a prefix ending in "." ("token.")
	Target   string
	Since    time.Time
	Until    time.Time
	// BeforeID is a cursor: only entries older than that ID.
	BeforeID int64
	Limit    int
}

// AccessStore keeps who may do what: memberships and roles, API tokens,
// project settings and ingest keys, and the audit log.
type AccessStore interface {
	// Project returns a project by ID, or ENOTFOUND (also for one being
	// deleted).
	Project(ctx context.Context, id int64) (*Project, error)
	// UpdateProject stores p's name, retention and settings.
	UpdateProject(ctx context.Context, p *Project) error
	// SetIngestKey makes key the project's ingest key; the key it replaces
	// stays valid until previousUntil (no longer when that is not after
	// now).
	SetIngestKey(ctx context.Context, projectID int64, key string, previousUntil time.Time) error
	// MarkProjectDeleting hides a project from every list and lookup and
	// queues it for DeletingProjects.
	MarkProjectDeleting(ctx context.Context, projectID int64, now time.Time) error
	// DeletingProjects returns the projects marked for deletion.
	DeletingProjects(ctx context.Context) ([]*Project, error)
	// DeleteProject removes a project with everything the index holds of
	// it; it refuses (EINVALID) while sessions of it remain, which must be
	// erased first (their objects with them). In the same transaction it
	// queues a JobDeleteObject, due now, for the object of each captured
	// asset (named by assetKey from its hash), and returns their keys for
	// the caller to delete at once.
	DeleteProject(ctx context.Context, projectID int64, assetKey func(hash string) string) ([]string, error)

	// SetOwner makes a user an owner of the installation (an admin of
	// every project, who manages users and projects) or not.
	SetOwner(ctx context.Context, userID int64, owner bool) error
	// SetMember gives a user a role in a project, replacing any other.
	SetMember(ctx context.Context, projectID, userID int64, role Role) error
	// RemoveMember ends a user's membership of a project.
	RemoveMember(ctx context.Context, projectID, userID int64) error
	// Members lists a project's members and the owners, by username.
	Members(ctx context.Context, projectID int64) ([]Member, error)
	// UserProjects lists the projects a user may see with their role
	// there: every project, as admin, for an owner.
	UserProjects(ctx context.Context, userID int64) ([]ProjectRole, error)
	// MemberRole returns a user's role in a project, or ENOTFOUND when
	// the user may not see it.
	MemberRole(ctx context.Context, projectID, userID int64) (Role, error)

	// CreateAPIToken stores t (its hash, never its secret) and sets its ID.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokens lists a project's tokens, newest first.
	APITokens(ctx context.Context, projectID int64) ([]*APIToken, error)
	// APITokenByHash returns the token whose secret hashes to hash, or
	// EUNAUTHORIZED.
	APITokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// TouchAPIToken records that a token was used at at.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	// DeleteAPIToken revokes a project's token, or says ENOTFOUND.
	DeleteAPIToken(ctx context.Context, projectID, id int64) error

	// AddAudit appends an entry to the audit log.
	AddAudit(ctx context.Context, e AuditEntry) error
	// AuditEntries returns the entries f selects, newest first.
	AuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
	// PurgeAudit deletes the entries older than before and says how many.
	PurgeAudit(ctx context.Context, before time.Time) (int, error)

	// Setting returns an installation-wide setting ("" when unset).
	Setting(ctx context.Context, name string) (string, error)
	// SetSetting stores an installation-wide setting.
	SetSetting(ctx context.Context, name, value string) error
}
