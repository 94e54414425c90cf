-- +goose Up
-- Failed dashboard sign-ins per key (a hash of an email or an address),
-- in fixed windows, so that every replica limits them alike.
CREATE TABLE login_failures (
	key          text COLLATE "C" PRIMARY KEY,
	window_start timestamptz NOT NULL,
	failures     integer NOT NULL
);
CREATE INDEX login_failures_start ON login_failures (window_start);
-- PruneCommands drops commands with a result past their retention; the
-- agent's history already has commands_agent_recent.
CREATE INDEX commands_finished ON commands (created_at) WHERE state <> 'pending';

-- +goose Down
DROP INDEX commands_finished;
DROP TABLE login_failures;
