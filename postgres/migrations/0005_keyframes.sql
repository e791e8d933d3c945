-- Keyframes the server built from a session's sealed chunks: synthetic
-- full snapshots a player starts from. object_key names the object beside
-- a chunk that holds them, position a keyframe's place in it.
CREATE TABLE keyframes (
	project_id  BIGINT NOT NULL,
	session_id  TEXT COLLATE "C" NOT NULL,
	ts          BIGINT NOT NULL,
	object_key  TEXT COLLATE "C" NOT NULL,
	position    INTEGER NOT NULL,
	PRIMARY KEY (project_id, session_id, ts)
);
