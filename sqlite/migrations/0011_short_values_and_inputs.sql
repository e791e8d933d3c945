-- Search texts shorter than a trigram ("js", "ok"): the trigram index
-- holds no value shorter than three characters, so those rows get an index
-- of their own, and the index's vocabulary is readable as a table to find
-- the trigrams that hold a short text (docs/SEARCH.md).
CREATE INDEX session_search_short ON session_search (project_id, field, value, session_id) WHERE length(value) < 3;
CREATE VIRTUAL TABLE session_search_vocab USING fts5vocab(session_search_fts, instance);
-- input: the labels of the fields typed into, text the trigram index holds.
DROP TRIGGER session_search_added;
DROP TRIGGER session_search_removed;
CREATE TRIGGER session_search_added AFTER INSERT ON session_search
	WHEN new.field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event', 'referrer', 'meta', 'event.prop', 'input')
BEGIN
	INSERT INTO session_search_fts (rowid, value) VALUES (new.id, new.value);
END;
CREATE TRIGGER session_search_removed AFTER DELETE ON session_search
	WHEN old.field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event', 'referrer', 'meta', 'event.prop', 'input')
BEGIN
	INSERT INTO session_search_fts (session_search_fts, rowid, value) VALUES ('delete', old.id, old.value);
END;
-- active: filters on the summary's active time, which the index of the
-- sessions list's order now holds with the other columns a search filters
-- on (without it, a search for active time read every session's row).
DROP INDEX sessions_by_start;
CREATE INDEX sessions_by_start ON sessions (project_id, started_at DESC, id DESC,
	ended_at, browser, os, device, clicks, errors, rage_clicks, dead_clicks, error_clicks, active_ms);
