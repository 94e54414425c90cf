-- +goose Up
-- Keys for the HTTP API: a program acting for one venue, or several (a
-- chain). Only the key's hash is kept.
CREATE TABLE api_keys (
	id         text COLLATE "C" PRIMARY KEY,
	name       text NOT NULL,
	key_hash   bytea NOT NULL UNIQUE,
	created_at timestamptz NOT NULL,
	revoked_at timestamptz
);
CREATE TABLE api_key_venues (
	key_id   text COLLATE "C" NOT NULL REFERENCES api_keys ON DELETE CASCADE,
	venue_id text COLLATE "C" NOT NULL REFERENCES venues,
	PRIMARY KEY (key_id, venue_id)
);

-- +goose Down
DROP TABLE api_key_venues, api_keys;
