// Package playhead holds Playhead's domain: sessions, batches, timeline
// entries, the error codes every layer speaks, and the two storage interfaces
// (ObjectStore for event chunks, SessionIndex for metadata) that the embedded
// (SQLite, local directory) and scale-out (PostgreSQL, S3) backends implement.
package playhead

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/playhead/playhead/search"
)

// ErrObjectNotFound is returned by ObjectStore.Get for a key that holds nothing.
var ErrObjectNotFound = errors.New("object not found")

// ObjectStore keeps immutable blobs (event chunks) by key. Put must be durable
// when it returns: a crash after Put loses nothing.
type ObjectStore interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// RangeReader is an ObjectStore that can read part of an object, so a reader
// fetches one block of a chunk (found through its footer index) instead of
// the whole chunk. GetRange returns at most n bytes starting at offset off:
// fewer when the object ends first, an error when off is at or past its end,
// and an error wrapping ErrObjectNotFound for a missing key.
type RangeReader interface {
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
}

// ObjectLister is an ObjectStore that can list its keys, for moving
// recordings from one store to another and checking that a copy is whole.
// List calls fn with every key that starts with prefix, in no particular
// order, and stops at the first error fn returns, returning it.
type ObjectLister interface {
	List(ctx context.Context, prefix string, fn func(key string) error) error
}

// TableCopier is an Index whose rows can be copied table by table into
// another index, for moving an install between backends (playhead
// migrate-storage). Every backend keeps the same tables and columns, a few
// of its own aside, and a copied row keeps its values, ids included.
type TableCopier interface {
	// SchemaVersion returns the number of the newest schema migration the
	// index has applied.
	SchemaVersion(ctx context.Context) (int, error)
	// Tables returns the index's tables.
	Tables(ctx context.Context) ([]Table, error)
	// CountRows returns how many rows a table holds.
	CountRows(ctx context.Context, table string) (int64, error)
	// ReadTable calls fn with the values of cols of every row of table, in
	// the order the rows were stored, and stops at the first error fn
	// returns, returning it. fn may keep row.
	ReadTable(ctx context.Context, table string, cols []string, fn func(row []any) error) error
	// WriteRows adds rows (values of cols, as any TableCopier's ReadTable
	// gives them) to table, keeping their ids: later rows get ids past
	// the highest one written.
	WriteRows(ctx context.Context, table string, cols []string, rows [][]any) error
}

// Table is one table of an index, as a TableCopier copies it.
type Table struct {
	Name    string
	Columns []string
	// References are the tables its rows refer to (by foreign key), which
	// a copy must fill first.
	References []string
}

// Project is a recorded application; its IngestKey lets SDKs write (only).
type Project struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	IngestKey string    `json:"ingestKey"`
	CreatedAt time.Time `json:"-"`
	// RetentionDays is how long the project's sessions are kept after they
	// end; older ones are deleted completely.
	RetentionDays int             `json:"retentionDays"`
	Settings      ProjectSettings `json:"settings"`
	// PreviousIngestKey is the key the current one replaced, still
	// accepted until PreviousKeyUntil (a rotation's grace period).
	PreviousIngestKey string    `json:"-"`
	PreviousKeyUntil  time.Time `json:"-"`
}

// AcceptsKey reports whether key, with which the project was looked up, is
// still valid at now: the current key, or the previous one in its grace
// period.
func (p *Project) AcceptsKey(key string, now time.Time) bool {
	if key == "" {
		return false
	}
	return key == p.IngestKey || (key == p.PreviousIngestKey && now.Before(p.PreviousKeyUntil))
}

// User is an account that may log in to the dashboard.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	// PasswordHash is "" for a user who signs in through OpenID Connect
	// only: no password matches it.
	PasswordHash string `json:"-"`
	// Owner says the user owns the installation: an admin of every
	// project, who also manages users and projects.
	Owner bool `json:"owner"`
	// Email is the user's address, from their invitation or their OpenID
	// provider ("" when none is known).
	Email string `json:"email"`
	// Disabled users cannot sign in, and their logins have ended.
	Disabled bool `json:"disabled"`
	// OIDCIssuer and OIDCSubject name the user at the OpenID provider they
	// sign in with ("" for users with a password).
	OIDCIssuer  string `json:"sso,omitempty"`
	OIDCSubject string `json:"-"`
	// PasswordChangedAt is when the password was last set (zero when it
	// has not changed since it was first set, or before this was kept).
	PasswordChangedAt time.Time `json:"passwordChangedAt,omitzero"`
	// CreatedAt is when the account was made (zero for accounts older
	// than the record of it).
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

// Session is the indexed summary of one recorded browser session.
type Session struct {
	ProjectID  int64  `json:"-"`
	ID         string `json:"id"`
	StartedAt  int64  `json:"startedAt"`
	EndedAt    int64  `json:"endedAt"`
	DurationMs int64  `json:"durationMs"`
	UserAgent  string `json:"userAgent"`
	ClientIP   string `json:"clientIp,omitempty"`
	// UserHash is the keyed hash of the identified user ("" when none).
	UserHash       string   `json:"-"`
	FirstURL       string   `json:"firstUrl"`
	Pages          []string `json:"pages"`
	Clicks         int      `json:"clicks"`
	Errors         int      `json:"errors"`
	ConsoleErrors  int      `json:"consoleErrors"`
	FailedRequests int      `json:"failedRequests"`
	Events         int      `json:"events"`
	Bytes          int64    `json:"bytes"`
	Batches        int      `json:"batches"`
	// Browser, OS and Device are parsed from UserAgent when the session
	// is first stored ("" when the parser does not know it).
	Browser string `json:"browser"`
	OS      string `json:"os"`
	Device  string `json:"device"`
	// RageClicks, DeadClicks and ErrorClicks count the session's
	// frustration signals (KindRageClick, KindDeadClick, KindErrorClick).
	RageClicks  int `json:"rageClicks"`
	DeadClicks  int `json:"deadClicks"`
	ErrorClicks int `json:"errorClicks"`
	// ActiveMs is how long the user was active: each interaction (a
	// click, scroll, input, touch or mouse move) counts until the next one,
	// for at most 5 s.
	ActiveMs int64 `json:"activeMs"`
	// Release is the version of the app the session ran, as the SDK's
	// release option named it ("" when none): its source maps are that
	// release's.
	Release string `json:"release,omitempty"`
	// ImportedAt is when an imported session was imported (zero for a
	// recorded one); retention counts from then when it is later than
	// the session's end.
	ImportedAt int64 `json:"importedAt,omitempty"`
}

// BatchRef is one stored batch as the player's manifest lists it.
// KeyframeTs is the timestamp of the first keyframe (Meta + FullSnapshot) in
// the batch, if it holds one: playback can start there.
type BatchRef struct {
	Seq        int    `json:"seq"`
	FirstTs    int64  `json:"firstTs"`
	LastTs     int64  `json:"lastTs"`
	KeyframeTs *int64 `json:"keyframeTs"`
	Events     int    `json:"events"`
	Bytes      int    `json:"bytes"`
	// ObjectKey names the sealed chunk that holds the batch's events, from
	// EventOffset on; it is empty while the batch is pending, its data still
	// in the index.
	ObjectKey   string `json:"-"`
	EventOffset int    `json:"-"`
}

// KeyframeRef is one keyframe the server built from a session's sealed
// chunks: the page at moment Ts, after every event with a timestamp up to
// Ts, from which a player replays the events after Ts.
type KeyframeRef struct {
	Ts int64 `json:"ts"`
	// ObjectKey names the object, beside a chunk, that holds the keyframe
	// at Position among the keyframes built from that chunk.
	ObjectKey string `json:"-"`
	Position  int    `json:"-"`
}

// Gap is a run of sequence numbers a session is missing: batches the SDK
// numbered but that never arrived (or not yet).
type Gap struct {
	FromSeq int   `json:"fromSeq"`
	ToSeq   int   `json:"toSeq"`
	FromTs  int64 `json:"fromTs"` // last timestamp before the gap
	ToTs    int64 `json:"toTs"`   // first timestamp after it
}

// Timeline entry kinds.
const (
	KindNavigation = "navigation"
	KindClick      = "click"
	KindError      = "error"
	KindConsole    = "console"
	KindRequest    = "request"
	KindCustom     = "custom"
	// KindInput is the first input of a batch into a field: its label
	// ("Input: Email"), never what was typed.
	KindInput = "input"
	// KindFont is a web font the page added through the FontFace API (an
	// rrweb Font event, which is recorded once and not again at a keyframe);
	// its Detail is the whole event, for the player.
	KindFont = "font"
	// KindRageClick marks three or more clicks within a second close
	// together; KindDeadClick a click on a link, button or other control
	// that nothing answered; KindErrorClick a click a JS error followed.
	KindRageClick  = "rage_click"
	KindDeadClick  = "dead_click"
	KindErrorClick = "error_click"
)

// TimelineEntry is an indexed moment of a session: a navigation, a click, an
// error, a console message, a request, a custom event or a web font.
type TimelineEntry struct {
	Ts     int64           `json:"ts"`
	Kind   string          `json:"kind"`
	Level  string          `json:"level,omitempty"`
	Label  string          `json:"label"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// IndexedBatch is what ingest hands to the index for one batch: its manifest
// entry, its encoded data (kept in the index until a chunk seals it), its
// timeline entries and the session-level facts it contributes.
type IndexedBatch struct {
	ProjectID int64
	SessionID string
	Ref       BatchRef
	Data      []byte
	UserAgent string
	// Pages are the URLs the batch shows the user on, in order.
	Pages          []string
	Timeline       []TimelineEntry
	Clicks         int
	Errors         int
	ConsoleErrors  int
	FailedRequests int
	// Scrubbed counts the values the server masked, by kind (email, card,
	// …): each one is a masking rule the SDK missed.
	Scrubbed map[string]int
	// ClientIP is the anonymised client address ("" when not kept).
	ClientIP string
	// UserHash is the keyed hash of the user ID the page identified the
	// visitor with ("" when none), so a user's sessions can be erased.
	UserHash string
	// Key is the session's data key, which Data is encrypted with; the
	// index stores it (wrapped) with the session's first batch.
	Key *DataKey
	// Reports are the bug reports the user sent in this batch.
	Reports []Report
	// AssetURLs are the stylesheets, fonts and images the batch references,
	// for the asset capturer.
	AssetURLs []string
	// RageClicks, DeadClicks and ErrorClicks count the frustration signals
	// found in the batch.
	RageClicks  int
	DeadClicks  int
	ErrorClicks int
	// ActiveMs is how long the user was active in the batch (see
	// Session.ActiveMs).
	ActiveMs int64
	// Search is the batch's searchable text, from its events as stored
	// (scrubbed), each distinct value once.
	Search []SearchText
	// Release is the app's release the batch says the page ran ("" when
	// none).
	Release string
	// ImportedAt is set on the batches of an imported session: when it
	// was imported.
	ImportedAt int64
	// Signals is what the batch says of its clicks, for the frustration
	// signals ingest finds when it stores the batch with the state the
	// session's earlier batches left (SessionCarry); nil when the batch was
	// not read for them. The index does not store it.
	Signals *BatchSignals
}

// BatchSignals is what a batch says of its clicks and of what followed
// them: enough to find rage, dead and error clicks whose clicks and
// aftermath lie in different batches.
type BatchSignals struct {
	// Clicks are the batch's clicks, by time.
	Clicks []SignalClick
	// Answers are the times at which the page answered (a DOM mutation, a
	// scroll, an input, a page load or navigation, a request's start) up to
	// a dead click's window after the batch's first event, by time: what a
	// click of an earlier batch may have been answered by.
	Answers []int64
	// Errors are the batch's JS errors, by time.
	Errors []SignalError
	// Inputs are the fields the batch typed into that it did not know,
	// by time: their labels are looked up among an earlier batch's
	// snapshot nodes.
	Inputs []SignalInput
	// Nodes, when the batch holds a full snapshot, are its actionable
	// elements and form fields (encoded by ingest): which nodes lie in
	// which, their text and the fields' labels, for clicks and inputs in
	// later batches.
	Nodes []byte
	// RageClicks, RageWindowMs and DeadWindowMs are the thresholds of the
	// batch's project (ProjectSettings); zero means the default.
	RageClicks, RageWindowMs, DeadWindowMs int
}

// SignalClick is one click of a batch.
type SignalClick struct {
	Ts   int64
	ID   int64
	X, Y float64
	// Actionable says the batch itself knows the clicked element is a
	// link, button or other actionable element, or is inside one; Text is
	// the element's text, when known.
	Actionable bool
	Text       string
	// Lookup is the node to look for among an earlier batch's snapshot
	// nodes when the batch did not know the clicked element (0 when it
	// did): the clicked node or the first ancestor it lacks.
	Lookup int64
	// Answered says the page answered the click within the batch.
	Answered bool
}

// SignalInput is the first input of a batch into a field it did not know.
type SignalInput struct {
	Ts int64
	ID int64
}

// SignalError is one JS error of a batch.
type SignalError struct {
	Ts      int64
	Message string
}

// SessionCarry is what ingest carries from a session's stored batches to
// its next ones and no summary column holds: which search values the index
// holds of the session, the frustration signals its last batches left
// undecided, and its last snapshot's actionable elements. Ingest encodes
// every part; the index stores them as they are.
type SessionCarry struct {
	ProjectID int64
	SessionID string
	// Search, Signals and Nodes are the parts; in a GroupWrite, a nil part
	// keeps the stored one.
	Search, Signals, Nodes []byte
}

// SearchText is one value a session can be found by: a URL it visited, the
// text of an element it clicked, a console message and so on. Field is one
// of the search package's Field constants.
type SearchText struct {
	Field string
	Value string
}

// Key is the value's key among its session's search values: a 63-bit
// FNV-1a hash of field and value. An index keeps one row of a session per
// key, and ingest remembers the keys a session has, to send only new ones.
func (t SearchText) Key() int64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(t.Field); i++ {
		h = (h ^ uint64(t.Field[i])) * prime
	}
	h *= prime // a zero byte between field and value
	for i := 0; i < len(t.Value); i++ {
		h = (h ^ uint64(t.Value[i])) * prime
	}
	return int64(h >> 1)
}

// AssetRecord is what Playhead knows of one asset URL a project's
// recordings reference: whether it was captured, and under which hash.
type AssetRecord struct {
	ProjectID   int64     `json:"-"`
	URL         string    `json:"url"`
	Status      string    `json:"status"` // pending, captured, refused, failed
	Hash        string    `json:"hash,omitempty"`
	ContentType string    `json:"contentType,omitempty"`
	Size        int       `json:"size"`
	Error       string    `json:"error,omitempty"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"-"`
}

// AssetStore keeps asset URLs and what became of them.
type AssetStore interface {
	// AddAssetURLs queues URLs not seen before for capture.
	AddAssetURLs(ctx context.Context, projectID int64, urls []string, now time.Time) error
	// DueAssets returns pending assets whose next attempt is due.
	DueAssets(ctx context.Context, now time.Time, limit int) ([]*AssetRecord, error)
	UpdateAsset(ctx context.Context, a *AssetRecord) error
	// CapturedAssets maps those of urls that were captured to their hash.
	CapturedAssets(ctx context.Context, projectID int64, urls []string) (map[string]string, error)
	// PendingAssets returns those of urls that are still to be captured
	// (neither captured, refused nor failed for good).
	PendingAssets(ctx context.Context, projectID int64, urls []string) (map[string]bool, error)
	// AssetByHash returns a captured asset, or ENOTFOUND.
	AssetByHash(ctx context.Context, projectID int64, hash string) (*AssetRecord, error)
	// Assets lists a project's asset URLs and what became of them.
	Assets(ctx context.Context, projectID int64, limit int) ([]*AssetRecord, error)
}

// Report is a bug report a user sent from the page (the SDK's report
// widget or the app's own button): the replay holds the context.
type Report struct {
	ID        int64  `json:"id"`
	SessionID string `json:"sessionId"`
	Ts        int64  `json:"ts"`
	Text      string `json:"text"`
	// Contact is the address the user left for a reply, if any. It is
	// stored encrypted with the session's data key (ContactSealed).
	Contact       string `json:"contact,omitempty"`
	ContactSealed []byte `json:"-"`
	PageURL       string `json:"page"`
	// Errors is how many errors the session had recorded when listed.
	Errors int `json:"errors"`
}

// BackendRecord is a span or a log record from one of the app's backends
// (received over OTLP) that carries a session's ID.
type BackendRecord struct {
	SessionID    string         `json:"-"`
	Kind         string         `json:"kind"` // span or log
	Service      string         `json:"service,omitempty"`
	TraceID      string         `json:"traceId,omitempty"`
	SpanID       string         `json:"spanId,omitempty"`
	ParentSpanID string         `json:"parentSpanId,omitempty"`
	Name         string         `json:"name,omitempty"`
	StartMs      int64          `json:"start"`
	EndMs        int64          `json:"end"`
	Level        string         `json:"level,omitempty"`
	Message      string         `json:"message,omitempty"`
	Status       string         `json:"status,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
}

// BackendStore keeps backend spans and logs by session.
type BackendStore interface {
	AddBackendRecords(ctx context.Context, projectID int64, records []BackendRecord) error
	BackendRecords(ctx context.Context, projectID int64, sessionID string, limit int) ([]BackendRecord, error)
}

// Webhook events.
const (
	EventFirstError = "session.first_error"
	EventReport     = "report.created"
)

// Webhook is a URL told about a project's events, signed with Secret.
type Webhook struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"-"`
	URL       string    `json:"url"`
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// Delivery is one event on its way to one webhook, with its history.
type Delivery struct {
	ID          int64      `json:"id"`
	WebhookID   int64      `json:"webhookId"`
	Event       string     `json:"event"`
	SessionID   string     `json:"sessionId"`
	Ts          int64      `json:"ts"`
	Message     string     `json:"message"`
	PageURL     string     `json:"page"`
	Status      string     `json:"status"` // pending, delivered, failed
	Attempts    int        `json:"attempts"`
	LastStatus  int        `json:"lastStatus,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
	NextAttempt time.Time  `json:"nextAttempt"`
	CreatedAt   time.Time  `json:"createdAt"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	// Webhook is filled in by DueDeliveries.
	Webhook *Webhook `json:"-"`
}

// WebhookStore keeps webhooks, reports and deliveries. Deliveries are
// queued by WriteGroup, in the same commit as the batches they tell of.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w *Webhook) error
	Webhooks(ctx context.Context, projectID int64) ([]*Webhook, error)
	DeleteWebhook(ctx context.Context, projectID, id int64) error
	Deliveries(ctx context.Context, projectID, webhookID int64, limit int) ([]*Delivery, error)
	// DueDeliveries returns pending deliveries whose next attempt is due.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	UpdateDelivery(ctx context.Context, d *Delivery) error
	Reports(ctx context.Context, projectID int64, limit int) ([]*Report, error)
}

// DataKey is a session's encryption key. Only Wrapped (the key encrypted by
// the master key MasterKeyID) is ever stored; Key is the plain key, in
// memory only.
type DataKey struct {
	ProjectID   int64
	SessionID   string
	MasterKeyID string
	Wrapped     []byte
	Key         []byte `json:"-"`
	// Previous is the wrapped form being replaced, during a rotation.
	Previous []byte
}

// SessionKeyCursor is where a listing of data keys goes on from.
type SessionKeyCursor struct {
	ProjectID int64
	SessionID string
}

// ErrKeyConflict is wrapped by an AddResult.Err when the session's stored
// data key is not the one the batch was encrypted with (another node stored
// its own first): the batch is refused as unavailable and the SDK retries.
var ErrKeyConflict = errors.New("the session's data key changed")

// SessionKeyStore keeps sessions' wrapped data keys.
type SessionKeyStore interface {
	// SessionKey returns a session's data key (wrapped), or ENOTFOUND.
	SessionKey(ctx context.Context, projectID int64, sessionID string) (*DataKey, error)
	// SessionKeys lists data keys in (project, session) order after the
	// cursor; next is nil on the last page.
	SessionKeys(ctx context.Context, after SessionKeyCursor, limit int) (keys []*DataKey, next *SessionKeyCursor, err error)
	// RewrapSessionKeys stores re-wrapped keys, each only if its stored form
	// is still Previous.
	RewrapSessionKeys(ctx context.Context, keys []*DataKey) error
}

// SessionRef names one session.
type SessionRef struct {
	ProjectID int64
	SessionID string
}

// SessionLimits bound one session. A batch that would take a session past
// them is refused, and nothing of it is stored.
type SessionLimits struct {
	MaxDuration time.Duration
	MaxBytes    int64
}

// BatchID names one batch: a session's batch by sequence number.
type BatchID struct {
	ProjectID int64
	SessionID string
	Seq       int
}

// Session returns the session the batch belongs to.
func (id BatchID) Session() SessionRef { return SessionRef{id.ProjectID, id.SessionID} }

// GroupState is what the index holds of a group of batches and their
// sessions, read in the transaction that writes the group: everything the
// rules of ingestion (deduplication, data keys, session limits, webhook
// events) decide on. Nothing else changes those sessions meanwhile.
type GroupState struct {
	// Stored holds the batches of the group that are stored already.
	Stored map[BatchID]bool
	// Sessions are the stored summaries of the group's sessions; a session
	// not in the map was never stored. Pages is not filled in.
	Sessions map[SessionRef]*Session
	// Keys are the stored (wrapped) data keys of the group's sessions.
	Keys map[SessionRef]*DataKey
	// Carry is what ingest carried from the group's sessions' stored
	// batches; a session without one has none.
	Carry map[SessionRef]*SessionCarry
}

// GroupWrite is what ingest decided to store for a group of batches.
type GroupWrite struct {
	// Keys are data keys for sessions that have none stored.
	Keys []*DataKey
	// Batches are the accepted batches. Each is stored with its timeline
	// entries and reports; its pages join its session's (a page keeps the
	// earliest time it was seen), its scrubbed counts are added to its
	// project's, and its asset URLs are queued for capture unless the
	// project knows them already.
	Batches []*IndexedBatch
	// Sessions are the new summaries of the sessions the group changed,
	// stored whole in place of the old ones (Pages aside).
	Sessions []*Session
	// Events are queued for delivery to every webhook of their project.
	Events []WebhookEvent
	// Carry are the sessions' new carried state, at most one per session;
	// a nil part keeps the stored one.
	Carry []*SessionCarry
	// Now is when the group is stored.
	Now time.Time
}

// WebhookEvent is something a project's webhooks are told about.
type WebhookEvent struct {
	ProjectID int64
	Event     string // EventFirstError, EventReport
	SessionID string
	Ts        int64
	Message   string
	PageURL   string
}

// AddResult says what became of one batch of a group that was stored.
type AddResult struct {
	// Duplicate is true when (session, seq) was stored before.
	Duplicate bool
	// Err, when set, refused this batch alone (a session limit).
	Err error
}

// PendingRun is a session whose pending batches a sealer should cut into a
// chunk, and why.
type PendingRun struct {
	ProjectID int64
	SessionID string
	Reason    string
}

// Reasons a chunk is cut.
const (
	CutIdle   = "idle"    // the session sent nothing for a while
	CutFull   = "full"    // its pending data reached the chunk size
	CutMaxAge = "max_age" // its oldest pending batch is old enough
)

// CutReason is why a due session is cut, from whether its pending data
// reached the chunk size and whether it went quiet: full first, then idle,
// else its oldest batch's age.
func CutReason(full, idle bool) string {
	switch {
	case full:
		return CutFull
	case idle:
		return CutIdle
	default:
		return CutMaxAge
	}
}

// SealPolicy says when a session's pending batches are sealed into a chunk.
type SealPolicy struct {
	Idle     time.Duration
	MaxAge   time.Duration
	MaxBytes int64
}

// SessionFilter selects sessions for a list, newest first.
type SessionFilter struct {
	ProjectID int64
	// Before, when set, is a cursor returned by a previous page.
	Before string
	Limit  int
	// Query, when set, is a parsed search the sessions must match; its
	// user: terms hold keyed hashes (search.MapUsers), as the index does.
	Query search.Expr
	// Now is the instant the query's relative dates count back from; the
	// zero time means the current time.
	Now time.Time
}

// SessionIndex keeps the metadata of sessions (summaries, batch manifests,
// timelines) and the data of batches not yet sealed into chunks.
type SessionIndex interface {
	// WriteGroup stores a group of batches in one durable transaction. It
	// reads the state of the batches ids names and of their sessions,
	// keeping every other writer of those sessions waiting until it
	// commits (on any node), hands that state to decide, and writes what
	// decide returns. When decide returns an error, or nil, nothing is
	// written; decide's error is returned as it is.
	WriteGroup(ctx context.Context, ids []BatchID, decide func(*GroupState) (*GroupWrite, error)) error
	// LastSearchRow returns a mark of the session's search rows as they
	// are (the id of the newest, 0 for none), for ReplaceSearch.
	LastSearchRow(ctx context.Context, projectID int64, sessionID string) (int64, error)
	// ReplaceSearch replaces the search rows of a session with values
	// (derived anew from its stored events), and the search keys its
	// carried state remembers with keys (as ingest encodes them). Rows
	// written after the mark upTo (LastSearchRow, taken before the values
	// were derived) are kept: a batch stored meanwhile loses nothing. A
	// session the index does not hold is left alone.
	ReplaceSearch(ctx context.Context, projectID int64, sessionID string, values []SearchText, keys []byte, upTo int64) error
	// Session returns one session or an ENOTFOUND error.
	Session(ctx context.Context, projectID int64, id string) (*Session, error)
	// Sessions returns a page of sessions and the cursor of the next page.
	Sessions(ctx context.Context, f SessionFilter) (list []*Session, next string, err error)
	// Batches returns the manifest of a session's batches by sequence number.
	Batches(ctx context.Context, projectID int64, sessionID string) ([]BatchRef, error)
	// BatchRange returns the manifest of those of a session's batches
	// whose sequence numbers are from..to (inclusive), by sequence number:
	// a player reading a stretch of a long session needs those only.
	BatchRange(ctx context.Context, projectID int64, sessionID string, from, to int) ([]BatchRef, error)
	// Timeline returns a session's timeline entries by time.
	Timeline(ctx context.Context, projectID int64, sessionID string) ([]TimelineEntry, error)
	// TimelineKinds returns a session's first limit timeline entries of
	// the given kinds, by time.
	TimelineKinds(ctx context.Context, projectID int64, sessionID string, kinds []string, limit int) ([]TimelineEntry, error)
	// NavigationsBefore returns a session's last limit navigation
	// entries at or before ts, the latest first.
	NavigationsBefore(ctx context.Context, projectID int64, sessionID string, ts int64, limit int) ([]TimelineEntry, error)
	// PendingData returns the data of a session's pending batches by seq.
	PendingData(ctx context.Context, projectID int64, sessionID string, seqs []int) (map[int][]byte, error)
	// PendingRuns returns sessions whose pending batches are due for sealing.
	PendingRuns(ctx context.Context, p SealPolicy, now time.Time, limit int) ([]PendingRun, error)
	// ScrubCounts returns how many values the server masked in a project's
	// events, by kind.
	ScrubCounts(ctx context.Context, projectID int64) (map[string]int, error)
	// DeleteSession removes everything the index holds of a session (its
	// data key first of all) and, in the same transaction, queues a
	// JobDeleteObject, due now, for each object in objectKeys, each of
	// the session's chunks and each object its keyframes are in. It returns the jobs' object keys, for the
	// caller to delete at once.
	DeleteSession(ctx context.Context, projectID int64, sessionID string, objectKeys []string) ([]string, error)
	// ExpiredSessions returns sessions that ended before their project's
	// retention period, counted back from now.
	ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]SessionRef, error)
	// SessionsOfUser returns the sessions identified with a user, by the
	// user's keyed hash.
	SessionsOfUser(ctx context.Context, projectID int64, userHash string) ([]string, error)
	// MarkSealed records that batches now live in the chunk objectKey, at the
	// given event offsets (seq to offset), and drops their pending data.
	MarkSealed(ctx context.Context, projectID int64, sessionID, objectKey string, offsets map[int]int) error
	// MoveChunk points a session's batches that live in the chunk from at
	// the chunk to instead (the same events, re-encoded under a new key),
	// and says how many batches it moved: none when the session is gone or
	// another mover was first.
	MoveChunk(ctx context.Context, projectID int64, sessionID, from, to string) (int, error)
	// AddKeyframes records keyframes built from a session's chunks; a
	// keyframe recorded already (same Ts) is left as it is. ENOTFOUND
	// when the session is gone (erased meanwhile): nothing is recorded.
	AddKeyframes(ctx context.Context, projectID int64, sessionID string, refs []KeyframeRef) error
	// Keyframes returns a session's recorded keyframes by Ts.
	Keyframes(ctx context.Context, projectID int64, sessionID string) ([]KeyframeRef, error)
}

// Job is a piece of background work kept in the index, so that it outlives
// the node that queued it and runs once across nodes.
type Job struct {
	Kind string
	// Key names the job within its kind (an object key, a session).
	Key       string
	ProjectID int64
	SessionID string
	// Attempts counts the failed attempts so far; LastError is the last.
	Attempts  int
	LastError string
}

// Job kinds.
const (
	// JobCompact re-encodes a sealed chunk (Key) in the compact form.
	JobCompact = "compact"
	// JobDeleteObject deletes an object (Key) of an erased session.
	JobDeleteObject = "delete_object"
	// JobKeyframes builds the keyframes of a sealed chunk (Key) and of the
	// session's chunks before it that have none.
	JobKeyframes = "keyframes"
)

// JobStore keeps background work and leases. Work is claimed with a lease:
// a claimed job is not handed out again until the lease runs out, so a
// job whose node died is taken up by another.
type JobStore interface {
	// AddJobs queues jobs, due at due; a job queued already (same kind
	// and key) is left as it is.
	AddJobs(ctx context.Context, jobs []Job, due time.Time) error
	// ClaimJobs returns up to limit jobs of kind that are due at now, and
	// makes them due again only at now+lease: no other claimer, on any
	// node, gets them before then.
	ClaimJobs(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// FinishJob removes a job, done or given up.
	FinishJob(ctx context.Context, kind, key string) error
	// RetryJob records a failed attempt of j (j.Attempts and j.LastError
	// as they are now) and makes it due again at next.
	RetryJob(ctx context.Context, j Job, next time.Time) error
	// AcquireLease takes the lease called name for holder until until,
	// when it is free, has run out at now, or is holder's already (then
	// it is renewed). It says whether holder has it.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease gives up the lease called name if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// SearchValue is a value of a search field seen in a project's sessions,
// with how many of the sessions looked at hold it.
type SearchValue struct {
	Value    string `json:"value"`
	Sessions int    `json:"sessions"`
}

// How much of a project's recent history SearchValues looks at: the
// index's latest search rows, or the project's latest sessions.
const (
	SearchValuesRows     = 20000
	SearchValuesSessions = 5000
)

// Summary fields SearchValues reads from sessions' summaries rather than
// their search rows.
const (
	SummaryBrowser = "browser"
	SummaryOS      = "os"
	SummaryDevice  = "device"
)

// SavedSearch is a search of a project's sessions kept under a name, for
// everyone on the project to run again and share by link.
type SavedSearch struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"-"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	CreatedAt time.Time `json:"createdAt"`
}

// SearchStore keeps saved searches and suggests values for the search box.
type SearchStore interface {
	// SearchValues returns up to limit distinct values of field (one of
	// the search package's Field constants, or a Summary field) that
	// hold part (case aside; "" holds everything), most sessions first.
	// Its work is bounded: it looks at the project's recent sessions only
	// (their latest search rows, or their latest summaries), so it stays
	// fast however many sessions the index holds.
	SearchValues(ctx context.Context, projectID int64, field, part string, limit int) ([]SearchValue, error)
	// CreateSavedSearch stores s and sets its ID and CreatedAt; a name
	// the project uses already is refused as EINVALID.
	CreateSavedSearch(ctx context.Context, s *SavedSearch) error
	// SavedSearches lists a project's saved searches by name.
	SavedSearches(ctx context.Context, projectID int64) ([]*SavedSearch, error)
	// SavedSearch returns one saved search, or ENOTFOUND.
	SavedSearch(ctx context.Context, projectID, id int64) (*SavedSearch, error)
	// RenameSavedSearch renames a saved search: ENOTFOUND when it does
	// not exist, EINVALID when the project has a search of that name.
	RenameSavedSearch(ctx context.Context, projectID, id int64, name string) error
	// DeleteSavedSearch removes a saved search, or returns ENOTFOUND.
	DeleteSavedSearch(ctx context.Context, projectID, id int64) error
}

// Index is everything a metadata backend (SQLite, PostgreSQL) keeps.
type Index interface {
	SessionIndex
	SearchStore
	AccountStore
	UserStore
	SessionKeyStore
	WebhookStore
	AssetStore
	BackendStore
	JobStore
	SourceMapStore
	ShareStore
	// SetRetention sets how many days a project's sessions are kept.
	SetRetention(ctx context.Context, projectID int64, days int) error
	// Ping checks that the index answers and takes writes.
	Ping(ctx context.Context) error
	Close() error
}

// AccountStore keeps projects, dashboard users and their logins, and who
// may do what (AccessStore).
type AccountStore interface {
	AccessStore

	CreateProject(ctx context.Context, p *Project) error
	Projects(ctx context.Context) ([]*Project, error)
	// ProjectByKey returns the project whose current or previous ingest
	// key is ingestKey (check Project.AcceptsKey), or EUNAUTHORIZED.
	ProjectByKey(ctx context.Context, ingestKey string) (*Project, error)

	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, username string) (*User, error)
	CountUsers(ctx context.Context) (int, error)

	// CreateLogin stores a login token's hash for a user until expires.
	CreateLogin(ctx context.Context, tokenHash string, userID int64, expires time.Time) error
	// LoginUser returns the user of an unexpired login, or ENOTFOUND.
	LoginUser(ctx context.Context, tokenHash string, now time.Time) (*User, error)
	DeleteLogin(ctx context.Context, tokenHash string) error
	// ExtendLogin moves a login's expiry later, to expires (never earlier):
	// a login ends after a while without use.
	ExtendLogin(ctx context.Context, tokenHash string, expires time.Time) error
	// PurgeLogins deletes the logins expired at now and returns how many.
	PurgeLogins(ctx context.Context, now time.Time) (int, error)
}

// Gaps returns the runs of sequence numbers missing from refs, which must be
// sorted by seq. A session whose first batches are missing has a gap from 0.
func Gaps(refs []BatchRef) []Gap {
	var gaps []Gap
	next, lastTs := 0, int64(0)
	for i, r := range refs {
		if r.Seq > next {
			from := lastTs
			if i == 0 {
				from = r.FirstTs
			}
			gaps = append(gaps, Gap{FromSeq: next, ToSeq: r.Seq - 1, FromTs: from, ToTs: r.FirstTs})
		}
		next, lastTs = r.Seq+1, max(lastTs, r.LastTs)
	}
	return gaps
}
