-- Reproduction: the release a session ran (for its source maps), when an
-- imported session was imported (retention counts from then), the
-- releases' source maps, and links that share one replay without an
-- account.
ALTER TABLE sessions ADD COLUMN app_release TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN imported_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_by_release ON sessions (project_id, app_release) WHERE app_release != '';
-- A source map's content is an object (encrypted with its release's data
-- key, kept in session_keys under the name "release:" + release).
CREATE TABLE source_maps (
	project_id   INTEGER NOT NULL,
	app_release  TEXT NOT NULL,
	name         TEXT NOT NULL,
	object_key   TEXT NOT NULL,
	size         INTEGER NOT NULL,
	uploaded_at  INTEGER NOT NULL,
	PRIMARY KEY (project_id, app_release, name)
);
-- Only a hash of a link's token is kept: the token is shown once.
CREATE TABLE share_links (
	id            INTEGER PRIMARY KEY,
	project_id    INTEGER NOT NULL,
	session_id    TEXT NOT NULL,
	token_hash    TEXT NOT NULL UNIQUE,
	start_at      INTEGER NOT NULL DEFAULT 0,
	created_by    TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	revoked_at    INTEGER NOT NULL DEFAULT 0,
	uses          INTEGER NOT NULL DEFAULT 0,
	last_used_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX share_links_by_session ON share_links (project_id, session_id);
