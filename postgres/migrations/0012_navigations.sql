-- The page a session was on at a moment: a player reading a stretch of a
-- session resolves its relative asset references against the last page
-- load before it. Navigations are a small part of a timeline: indexed on
-- their own, the last ones before a moment are found without reading the
-- clicks, requests and console lines around them.
CREATE INDEX timeline_navigations ON timeline (project_id, session_id, ts, id) WHERE kind = 'navigation';
