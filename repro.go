package playhead

import (
	"context"
	"time"
)

// ReleaseKeyID is the name under which a release's data key is kept among
// the sessions' (SessionKeyStore): its source maps are encrypted with it,
// master key rotation re-wraps it like any session's, and no session ID
// can take the name (a colon is not allowed in one).
func ReleaseKeyID(release string) string { return "release:" + release }

// SourceMap is a source map uploaded for one release of a project's app.
// Name is the path of the minified file it maps (app.min.js,
// /static/app.min.js or a full URL), as a stack frame names that file;
// the map itself is an object (ObjectKey), encrypted.
type SourceMap struct {
	ProjectID  int64     `json:"-"`
	Release    string    `json:"release"`
	Name       string    `json:"name"`
	ObjectKey  string    `json:"-"`
	Size       int64     `json:"size"`
	UploadedAt time.Time `json:"uploadedAt"`
}

// SourceMapStore keeps the source maps of releases.
type SourceMapStore interface {
	// StoreKey stores k unless a data key is stored under its name already,
	// and returns the one stored (wrapped): a caller that lost a race
	// encrypts with the winner's key.
	StoreKey(ctx context.Context, k *DataKey) (*DataKey, error)
	// PutSourceMap adds a source map, or replaces the release's map of the
	// same name.
	PutSourceMap(ctx context.Context, m *SourceMap) error
	// SourceMaps lists a release's source maps by name.
	SourceMaps(ctx context.Context, projectID int64, release string) ([]*SourceMap, error)
	// DeleteRelease removes a release's source maps and data key and, in
	// the same transaction, queues a JobDeleteObject for each map's object;
	// it returns their keys, for the caller to delete at once.
	DeleteRelease(ctx context.Context, projectID int64, release string) ([]string, error)
	// ExpiredReleases returns releases whose source maps were all uploaded
	// before their project's retention period, counted back from now, and
	// that no stored session names.
	ExpiredReleases(ctx context.Context, now time.Time, limit int) ([]ReleaseRef, error)
}

// ReleaseRef names one release of a project.
type ReleaseRef struct {
	ProjectID int64
	Release   string
}

// ShareLink lets someone without an account watch one session's replay,
// read-only, until ExpiresAt or until it is revoked. Only a hash of its
// token is stored.
type ShareLink struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"-"`
	SessionID string `json:"sessionId"`
	TokenHash string `json:"-"`
	// StartAt is the moment (Unix ms) the replay starts at; zero for the
	// session's start.
	StartAt    int64      `json:"startAt,omitempty"`
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	Uses       int        `json:"uses"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// Active reports whether the link may be used at now.
func (l *ShareLink) Active(now time.Time) bool {
	return l.RevokedAt == nil && now.Before(l.ExpiresAt)
}

// ShareStore keeps share links. A session's links are deleted with it.
type ShareStore interface {
	CreateShareLink(ctx context.Context, l *ShareLink) error
	// ShareLinkByToken returns the link whose token hashes to tokenHash,
	// active or not, or ENOTFOUND.
	ShareLinkByToken(ctx context.Context, tokenHash string) (*ShareLink, error)
	// ShareLinks lists a session's links, newest first.
	ShareLinks(ctx context.Context, projectID int64, sessionID string) ([]*ShareLink, error)
	// RevokeShareLink ends a link of the project at now; ENOTFOUND when the
	// project has no such link.
	RevokeShareLink(ctx context.Context, projectID, id int64, now time.Time) error
	// UseShareLink counts one use of a link at now.
	UseShareLink(ctx context.Context, id int64, now time.Time) error
}
