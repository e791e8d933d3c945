-- The schema as first released. Never edit a released migration: change
-- the schema with a new numbered file.
CREATE TABLE projects (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	ingest_key  TEXT NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL,
	retention_days INTEGER NOT NULL DEFAULT 30
);
CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL
);
CREATE TABLE logins (
	token_hash  TEXT PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires_at  INTEGER NOT NULL
);
CREATE TABLE sessions (
	project_id      INTEGER NOT NULL REFERENCES projects(id),
	id              TEXT NOT NULL,
	started_at      INTEGER NOT NULL,
	ended_at        INTEGER NOT NULL,
	user_agent      TEXT NOT NULL DEFAULT '',
	client_ip       TEXT NOT NULL DEFAULT '',
	user_hash       TEXT NOT NULL DEFAULT '',
	clicks          INTEGER NOT NULL DEFAULT 0,
	errors          INTEGER NOT NULL DEFAULT 0,
	console_errors  INTEGER NOT NULL DEFAULT 0,
	failed_requests INTEGER NOT NULL DEFAULT 0,
	events          INTEGER NOT NULL DEFAULT 0,
	bytes           INTEGER NOT NULL DEFAULT 0,
	batches         INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (project_id, id)
);
CREATE INDEX sessions_by_start ON sessions (project_id, started_at DESC, id DESC);
CREATE INDEX sessions_by_end ON sessions (ended_at);
CREATE INDEX sessions_by_user ON sessions (project_id, user_hash) WHERE user_hash != '';
CREATE TABLE session_keys (
	project_id     INTEGER NOT NULL,
	session_id     TEXT NOT NULL,
	master_key_id  TEXT NOT NULL,
	wrapped        BLOB NOT NULL,
	PRIMARY KEY (project_id, session_id)
);
CREATE TABLE session_pages (
	project_id  INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	url         TEXT NOT NULL,
	first_ts    INTEGER NOT NULL,
	PRIMARY KEY (project_id, session_id, url)
);
CREATE TABLE batches (
	project_id    INTEGER NOT NULL,
	session_id    TEXT NOT NULL,
	seq           INTEGER NOT NULL,
	first_ts      INTEGER NOT NULL,
	last_ts       INTEGER NOT NULL,
	keyframe_ts   INTEGER,
	events        INTEGER NOT NULL,
	bytes         INTEGER NOT NULL,
	received_at   INTEGER NOT NULL,
	-- While a batch is pending, data holds it; once sealed, data is NULL and
	-- object_key/event_offset say where its events are.
	data          BLOB,
	object_key    TEXT NOT NULL DEFAULT '',
	event_offset  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (project_id, session_id, seq)
);
CREATE INDEX batches_pending ON batches (project_id, session_id) WHERE data IS NOT NULL;
CREATE TABLE timeline (
	project_id  INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	ts          INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	level       TEXT NOT NULL DEFAULT '',
	label       TEXT NOT NULL,
	detail      TEXT
);
CREATE INDEX timeline_by_session ON timeline (project_id, session_id, ts);
CREATE TABLE reports (
	id              INTEGER PRIMARY KEY,
	project_id      INTEGER NOT NULL,
	session_id      TEXT NOT NULL,
	ts              INTEGER NOT NULL,
	text            TEXT NOT NULL,
	contact_sealed  BLOB,
	page_url        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reports_by_time ON reports (project_id, ts DESC);
CREATE TABLE webhooks (
	id          INTEGER PRIMARY KEY,
	project_id  INTEGER NOT NULL,
	url         TEXT NOT NULL,
	secret      TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
	id               INTEGER PRIMARY KEY,
	webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event            TEXT NOT NULL,
	session_id       TEXT NOT NULL,
	ts               INTEGER NOT NULL,
	message          TEXT NOT NULL,
	page_url         TEXT NOT NULL,
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	last_status      INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	next_attempt_at  INTEGER NOT NULL,
	created_at       INTEGER NOT NULL,
	delivered_at     INTEGER
);
CREATE INDEX deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook_id, id DESC);
CREATE TABLE backend_records (
	project_id      INTEGER NOT NULL,
	session_id      TEXT NOT NULL,
	kind            TEXT NOT NULL,
	service         TEXT NOT NULL,
	trace_id        TEXT NOT NULL,
	span_id         TEXT NOT NULL,
	parent_span_id  TEXT NOT NULL,
	name            TEXT NOT NULL,
	start_ms        INTEGER NOT NULL,
	end_ms          INTEGER NOT NULL,
	level           TEXT NOT NULL,
	message         TEXT NOT NULL,
	status          TEXT NOT NULL,
	attributes      TEXT
);
CREATE INDEX backend_by_session ON backend_records (project_id, session_id, start_ms);
CREATE TABLE assets (
	project_id       INTEGER NOT NULL,
	url              TEXT NOT NULL,
	status           TEXT NOT NULL,
	hash             TEXT NOT NULL DEFAULT '',
	content_type     TEXT NOT NULL DEFAULT '',
	size             INTEGER NOT NULL DEFAULT 0,
	error            TEXT NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  INTEGER NOT NULL,
	PRIMARY KEY (project_id, url)
);
CREATE INDEX assets_due ON assets (next_attempt_at) WHERE status = 'pending';
CREATE INDEX assets_by_hash ON assets (project_id, hash) WHERE status = 'captured';
CREATE TABLE scrub_counts (
	project_id  INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	count       INTEGER NOT NULL,
	PRIMARY KEY (project_id, kind)
);
