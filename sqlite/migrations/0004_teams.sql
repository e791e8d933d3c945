-- Teams: owners, project memberships with roles, per-project settings,
-- ingest key rotation, API tokens, the audit log and installation-wide
-- settings.
--
-- An owner is an admin of every project; the users there were before
-- teams each ran the whole installation, so they become owners.
ALTER TABLE users ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;
UPDATE users SET owner = 1;
CREATE TABLE memberships (
	project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role        TEXT NOT NULL CHECK (role IN ('viewer', 'developer', 'admin')),
	PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);
-- settings is a JSON object (playhead.ProjectSettings). A rotated ingest
-- key stays valid until previous_key_until; deleting_at marks a project
-- whose sessions are being erased before it is removed.
ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE projects ADD COLUMN previous_ingest_key TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN previous_key_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN deleting_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX projects_by_previous_key ON projects (previous_ingest_key) WHERE previous_ingest_key != '';
-- API tokens: only the SHA-256 of the secret is kept; hint is its first
-- characters, to tell tokens apart. scopes are space-separated.
CREATE TABLE api_tokens (
	id            INTEGER PRIMARY KEY,
	project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	scopes        TEXT NOT NULL,
	token_hash    TEXT NOT NULL UNIQUE,
	hint          TEXT NOT NULL,
	created_by    INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_by_project ON api_tokens (project_id);
-- The audit log refers to users and projects by ID and name only, so that
-- it outlives them.
CREATE TABLE audit_log (
	id             INTEGER PRIMARY KEY,
	at             INTEGER NOT NULL,
	actor_user_id  INTEGER NOT NULL DEFAULT 0,
	actor_token    TEXT NOT NULL DEFAULT '',
	actor_name     TEXT NOT NULL DEFAULT '',
	action         TEXT NOT NULL,
	project_id     INTEGER NOT NULL DEFAULT 0,
	target         TEXT NOT NULL DEFAULT '',
	ip             TEXT NOT NULL DEFAULT '',
	detail         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_time ON audit_log (at);
CREATE INDEX audit_by_project ON audit_log (project_id, id);
CREATE TABLE settings (
	name   TEXT PRIMARY KEY,
	value  TEXT NOT NULL
);
