-- +goose Up
-- The Telegram send queue: each message once per key, claimed with a lease.
CREATE TABLE outgoing (
	key         text COLLATE "C" PRIMARY KEY,
	seq         bigserial NOT NULL UNIQUE,
	chat_id     bigint NOT NULL,
	text        text NOT NULL,
	markup      jsonb,
	edit_key    text COLLATE "C" NOT NULL DEFAULT '',
	parse_mode  text NOT NULL DEFAULT '',
	state       text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'doubt')),
	created_at  timestamptz NOT NULL,
	not_before  timestamptz,
	lease_until timestamptz,
	attempts    integer NOT NULL DEFAULT 0,
	msg_id      bigint NOT NULL DEFAULT 0,
	finished_at timestamptz,
	error       text NOT NULL DEFAULT ''
);
-- The sender's walk over due messages, and the sweep of run-out claims.
CREATE INDEX outgoing_pending ON outgoing (seq) WHERE state = 'pending';
CREATE INDEX outgoing_sending ON outgoing (lease_until) WHERE state = 'sending';
CREATE INDEX outgoing_finished ON outgoing (finished_at)
	WHERE state IN ('sent', 'failed', 'doubt');

-- Named leases: one holder at a time (the queue's single sender).
CREATE TABLE leases (
	name   text COLLATE "C" PRIMARY KEY,
	holder text NOT NULL,
	until  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE outgoing;
