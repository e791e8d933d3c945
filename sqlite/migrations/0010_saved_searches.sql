-- Saved searches: a project's searches kept under a name, to run again
-- and to share by link (docs/SEARCH.md).
CREATE TABLE saved_searches (
	id          INTEGER PRIMARY KEY,
	project_id  INTEGER NOT NULL REFERENCES projects(id),
	name        TEXT NOT NULL,
	query       TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (project_id, name)
);
