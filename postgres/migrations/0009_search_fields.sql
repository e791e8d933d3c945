-- Search keys of their own (referrer:, meta.KEY:, event.prop.KEY:,
-- has:report, active:). The trigram index holds every field already and
-- reports have had their index by session since the first migration;
-- what is new here is the column active: reads.
CREATE INDEX IF NOT EXISTS reports_by_session ON reports (project_id, session_id);
-- How long the user was active (playhead.Session.ActiveMs).
ALTER TABLE sessions ADD COLUMN active_ms BIGINT NOT NULL DEFAULT 0;
