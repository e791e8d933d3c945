-- Search: what a session's summary says of its browser and its users'
-- frustration, and its searchable text (docs/SEARCH.md).
ALTER TABLE sessions ADD COLUMN browser TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN os TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN rage_clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN dead_clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN error_clicks INTEGER NOT NULL DEFAULT 0;
-- One row per distinct value a session can be found by (a URL, a clicked
-- element's text, a console message, …), taken from its scrubbed events.
CREATE TABLE session_search (
	id          INTEGER PRIMARY KEY,
	project_id  INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	field       TEXT NOT NULL,
	value       TEXT NOT NULL,
	UNIQUE (project_id, session_id, field, value)
);
-- The values of the text fields, in a trigram index: a search for part of
-- a value (case aside) finds its rows without reading them all. The index
-- holds no copy of the text (external content), and secure-delete makes
-- deleting a row remove its trigrams from the index, so an erased session
-- leaves nothing searchable behind.
CREATE VIRTUAL TABLE session_search_fts USING fts5(value, content='session_search', content_rowid='id', tokenize='trigram');
INSERT INTO session_search_fts (session_search_fts, rank) VALUES ('secure-delete', 1);
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
-- Sessions stored before search came are found by the pages they visited.
INSERT INTO session_search (project_id, session_id, field, value)
	SELECT project_id, session_id, 'url', url FROM session_pages;
