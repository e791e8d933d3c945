-- Background work kept in the index, so that it outlives the node that
-- queued it: a job is claimed by pushing its due time past a lease.
CREATE TABLE jobs (
	kind        TEXT NOT NULL,
	key         TEXT NOT NULL,
	project_id  INTEGER NOT NULL DEFAULT 0,
	session_id  TEXT NOT NULL DEFAULT '',
	due_at      INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, key)
);
CREATE INDEX jobs_due ON jobs (kind, due_at);
-- Named leases: which node does a piece of work that must run once at a
-- time (sealing one session, a retention pass).
CREATE TABLE leases (
	name      TEXT PRIMARY KEY,
	holder    TEXT NOT NULL,
	until_at  INTEGER NOT NULL
);
