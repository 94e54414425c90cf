-- +goose Up
-- Trouble with agents that support was alerted to (package alert). At most
-- one unresolved incident per agent and kind. No foreign key to agents:
-- incidents are a log support reads, kept as written.
CREATE TABLE incidents (
	id          text COLLATE "C" PRIMARY KEY,
	agent_id    text COLLATE "C" NOT NULL,
	venue_id    text COLLATE "C" NOT NULL DEFAULT '',
	kind        text NOT NULL,
	since       timestamptz,
	opened_at   timestamptz NOT NULL,
	cleared_at  timestamptz,
	resolved_at timestamptz,
	detail      text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX incidents_open ON incidents (agent_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX incidents_agent ON incidents (agent_id, opened_at DESC, id DESC);

-- +goose Down
DROP TABLE incidents;
