-- Background work kept in the index, so that it outlives the node that
-- queued it: a job is claimed by pushing its due time past a lease.
CREATE TABLE jobs (
	kind        TEXT COLLATE "C" NOT NULL,
	key         TEXT COLLATE "C" NOT NULL,
	project_id  BIGINT NOT NULL DEFAULT 0,
	session_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
	due_at      BIGINT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, key)
);
CREATE INDEX jobs_due ON jobs (kind, due_at);
CREATE INDEX jobs_by_session ON jobs (project_id, session_id);

-- Named leases: which node does a piece of work that must run once at a
-- time (sealing one session, a retention pass).
CREATE TABLE leases (
	name      TEXT COLLATE "C" PRIMARY KEY,
	holder    TEXT NOT NULL,
	until_at  BIGINT NOT NULL
);
