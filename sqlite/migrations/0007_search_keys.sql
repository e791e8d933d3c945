-- A session's search values are unique by a 64-bit key ingest computes
-- from field and value (playhead.SearchText.Key), not by the value itself:
-- the index no longer keeps every value twice (in the table and in its
-- unique index), and storing a value looks up a small key. The table is
-- rebuilt; the rows of older sessions get keys no value hashes to (-id).
DROP TABLE session_search_fts;
CREATE TABLE session_search_keyed (
	id          INTEGER PRIMARY KEY,
	project_id  INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	field       TEXT NOT NULL,
	value       TEXT NOT NULL,
	key         INTEGER NOT NULL,
	UNIQUE (project_id, session_id, key)
);
INSERT INTO session_search_keyed (id, project_id, session_id, field, value, key)
	SELECT id, project_id, session_id, field, value, -id FROM session_search;
DROP TABLE session_search;
ALTER TABLE session_search_keyed RENAME TO session_search;
-- The trigram index keeps no positions (detail=none): a search looks up
-- trigrams, not phrases, and LIKE checks the rows found, so positions
-- would only make the index several times larger and its lookups slower.
CREATE VIRTUAL TABLE session_search_fts USING fts5(value, content='session_search', content_rowid='id', tokenize='trigram', detail='none');
INSERT INTO session_search_fts (session_search_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO session_search_fts (rowid, value) SELECT id, value FROM session_search
	WHERE field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event');
CREATE TRIGGER session_search_added AFTER INSERT ON session_search
	WHEN new.field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event')
BEGIN
	INSERT INTO session_search_fts (rowid, value) VALUES (new.id, new.value);
END;
CREATE TRIGGER session_search_removed AFTER DELETE ON session_search
	WHEN old.field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event')
BEGIN
	INSERT INTO session_search_fts (session_search_fts, rowid, value) VALUES ('delete', old.id, old.value);
END;
-- What ingest carries from a session's batches to its next ones
-- (playhead.SessionCarry): the keys of the search values stored, so
-- repeats are not sent again; frustration signals still undecided at the
-- end of a batch; the last snapshot's actionable elements.
CREATE TABLE session_carry (
	project_id  INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	search      BLOB,
	signals     BLOB,
	nodes       BLOB,
	PRIMARY KEY (project_id, session_id)
);
-- The values of the attribute fields (a console level, a request's method,
-- status, failure), each field in an index of its own that a search for a
-- value reads instead of every row; session_id makes each index answer the
-- search alone.
CREATE INDEX session_search_console_level ON session_search (project_id, value, session_id) WHERE field = 'console.level';
CREATE INDEX session_search_request_method ON session_search (project_id, value, session_id) WHERE field = 'request.method';
CREATE INDEX session_search_request_status ON session_search (project_id, value, session_id) WHERE field = 'request.status';
CREATE INDEX session_search_request_failed ON session_search (project_id, value, session_id) WHERE field = 'request.failed';
-- The sessions list, newest first, with the summary columns a search
-- filters on: a search for a rare browser or count reads this index, not
-- every session's row (which holds its user agent and more).
DROP INDEX sessions_by_start;
CREATE INDEX sessions_by_start ON sessions (project_id, started_at DESC, id DESC,
	ended_at, browser, os, device, clicks, errors, rage_clicks, dead_clicks, error_clicks);
-- An identified user's sessions, newest first: a search for a user reads
-- them in the list's order, not the whole list.
DROP INDEX sessions_by_user;
CREATE INDEX sessions_by_user ON sessions (project_id, user_hash, started_at DESC, id DESC) WHERE user_hash != '';
-- Request statuses are compared as numbers (request.status:>=500).
DROP INDEX session_search_request_status;
CREATE INDEX session_search_request_status ON session_search (project_id, CAST(value AS BIGINT), session_id) WHERE field = 'request.status';
