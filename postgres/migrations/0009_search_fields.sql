-- Search keys of their own (referrer:, meta.KEY:, event.prop.KEY:,
-- has:report). The trigram index holds every field already and reports
-- have had their index by session since the first migration, so this one
-- only keeps the numbers of both indexes' migrations in step.
CREATE INDEX IF NOT EXISTS reports_by_session ON reports (project_id, session_id);
