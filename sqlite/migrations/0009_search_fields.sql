-- Search keys of their own: referrer:, meta.KEY: and event.prop.KEY: are
-- text the trigram index must hold, and has:report looks a session's
-- reports up.
DROP TRIGGER session_search_added;
DROP TRIGGER session_search_removed;
CREATE TRIGGER session_search_added AFTER INSERT ON session_search
	WHEN new.field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event', 'referrer', 'meta', 'event.prop')
BEGIN
	INSERT INTO session_search_fts (rowid, value) VALUES (new.id, new.value);
END;
CREATE TRIGGER session_search_removed AFTER DELETE ON session_search
	WHEN old.field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event', 'referrer', 'meta', 'event.prop')
BEGIN
	INSERT INTO session_search_fts (session_search_fts, rowid, value) VALUES ('delete', old.id, old.value);
END;
CREATE INDEX reports_by_session ON reports (project_id, session_id);
-- active: counts how long the user was active (playhead.Session.ActiveMs).
ALTER TABLE sessions ADD COLUMN active_ms BIGINT NOT NULL DEFAULT 0;
