-- Who a person is: an email address, a switch that disables the account,
-- the OpenID Connect identity (issuer and subject) they sign in with, and
-- when their password last changed.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_by_identity ON users (oidc_issuer, oidc_subject) WHERE oidc_subject <> '';
-- Invitations: a link that lets one person create an account and join a
-- project with a role, once, until it expires. Only the hash of the link's
-- token is kept.
CREATE TABLE invites (
	id          INTEGER PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,
	project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	role        TEXT NOT NULL,
	email       TEXT NOT NULL DEFAULT '',
	created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER NOT NULL DEFAULT 0,
	used_by     INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX invites_by_project ON invites (project_id, created_at);
-- Single sign-on attempts in progress: the state a browser carries to the
-- OpenID provider and back (only its hash is kept), with the nonce and
-- PKCE verifier of that attempt. Each is taken once, within minutes.
CREATE TABLE sso_states (
	state_hash  TEXT PRIMARY KEY,
	nonce       TEXT NOT NULL,
	verifier    TEXT NOT NULL,
	next        TEXT NOT NULL DEFAULT '',
	expires_at  INTEGER NOT NULL
);
