-- A session's search values are unique by a 64-bit key ingest computes
-- from field and value (playhead.SearchText.Key), not by an md5 of the
-- value computed at every insert; the rows of older sessions get keys no
-- value hashes to (-id).
ALTER TABLE session_search ADD COLUMN key BIGINT;
UPDATE session_search SET key = -id;
ALTER TABLE session_search ALTER COLUMN key SET NOT NULL;
DROP INDEX session_search_unique;
CREATE UNIQUE INDEX session_search_unique ON session_search (project_id, session_id, key);
-- What ingest carries from a session's batches to its next ones
-- (playhead.SessionCarry): the keys of the search values stored, so
-- repeats are not sent again; frustration signals still undecided at the
-- end of a batch; the last snapshot's actionable elements.
CREATE TABLE session_carry (
	project_id  BIGINT NOT NULL,
	session_id  TEXT COLLATE "C" NOT NULL,
	search      BYTEA,
	signals     BYTEA,
	nodes       BYTEA,
	PRIMARY KEY (project_id, session_id)
);
-- The values of the attribute fields (a console level, a request's method,
-- status, failure), which a search matches whole: a B-tree answers it
-- without reading every row.
CREATE INDEX session_search_attributes ON session_search (project_id, field, value, session_id)
	WHERE field IN ('console.level', 'request.method', 'request.status', 'request.failed');
