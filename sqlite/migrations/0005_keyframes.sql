-- Keyframes the server built from a session's sealed chunks: synthetic
-- full snapshots a player starts from. object_key names the object beside
-- a chunk that holds them, position a keyframe's place in it.
CREATE TABLE keyframes (
	project_id  INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	ts          INTEGER NOT NULL,
	object_key  TEXT NOT NULL,
	position    INTEGER NOT NULL,
	PRIMARY KEY (project_id, session_id, ts)
);
