-- +goose Up
-- The Telegram bot: each private chat's language and booking flow, the
-- chat and last told state of each booking made in Telegram, and the
-- venues' staff chats with their one-time link codes.
CREATE TABLE telegram_chats (
	chat_id    bigint PRIMARY KEY,
	lang       text NOT NULL DEFAULT '',
	flow       jsonb,
	updated_at timestamptz NOT NULL
);

CREATE TABLE telegram_bookings (
	booking_id  text COLLATE "C" PRIMARY KEY,
	venue_id    text COLLATE "C" NOT NULL,
	chat_id     bigint NOT NULL,
	lang        text NOT NULL DEFAULT '',
	message_key text NOT NULL DEFAULT '',
	told        text NOT NULL DEFAULT '',
	told_start  timestamptz,
	done        boolean NOT NULL DEFAULT false,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX telegram_bookings_open ON telegram_bookings (booking_id) WHERE NOT done;

CREATE TABLE telegram_staff_links (
	code_hash  bytea PRIMARY KEY,
	venue_id   text COLLATE "C" NOT NULL REFERENCES venues (id),
	expires    timestamptz NOT NULL,
	created_at timestamptz NOT NULL,
	used_at    timestamptz,
	chat_id    bigint
);

CREATE TABLE telegram_staff_chats (
	venue_id text COLLATE "C" PRIMARY KEY REFERENCES venues (id),
	chat_id  bigint NOT NULL
);

-- +goose Down
DROP TABLE telegram_staff_chats;
DROP TABLE telegram_staff_links;
DROP TABLE telegram_bookings;
DROP TABLE telegram_chats;
