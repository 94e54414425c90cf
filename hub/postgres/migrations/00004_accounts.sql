-- +goose Up
-- The dashboard: accounts (support, or a venue's staff), their sessions
-- (only a hash of each session id), support API keys, and a per-minute
-- history of each agent kept for a day.
CREATE TABLE users (
	id            text COLLATE "C" PRIMARY KEY,
	email         text COLLATE "C" NOT NULL UNIQUE,
	password_hash bytea NOT NULL,
	role          text NOT NULL CHECK (role IN ('support', 'staff')),
	created_at    timestamptz NOT NULL
);
CREATE TABLE user_venues (
	user_id  text COLLATE "C" NOT NULL REFERENCES users ON DELETE CASCADE,
	venue_id text COLLATE "C" NOT NULL REFERENCES venues,
	PRIMARY KEY (user_id, venue_id)
);
CREATE TABLE sessions (
	id_hash    bytea PRIMARY KEY,
	user_id    text COLLATE "C" NOT NULL REFERENCES users ON DELETE CASCADE,
	csrf       text NOT NULL,
	created_at timestamptz NOT NULL,
	expires    timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);
ALTER TABLE api_keys ADD COLUMN role text NOT NULL DEFAULT '';
CREATE TABLE agent_samples (
	agent_id        text COLLATE "C" NOT NULL REFERENCES agents ON DELETE CASCADE,
	minute          timestamptz NOT NULL,
	applied_events  bigint NOT NULL,
	backlog         bigint NOT NULL,
	connected       boolean NOT NULL,
	connected_since timestamptz,
	PRIMARY KEY (agent_id, minute)
);
CREATE INDEX agent_samples_minute ON agent_samples (minute);
CREATE INDEX commands_agent_recent ON commands (agent_id, created_at DESC, id DESC);

-- +goose Down
DROP INDEX commands_agent_recent;
DROP TABLE agent_samples;
ALTER TABLE api_keys DROP COLUMN role;
DROP TABLE sessions, user_venues, users;
