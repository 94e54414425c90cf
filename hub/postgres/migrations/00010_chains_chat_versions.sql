-- +goose Up
-- A venue may belong to a restaurant chain (hub.Venue.Chain), whose
-- venues the Telegram bot offers together.
ALTER TABLE venues ADD COLUMN chain text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX venues_chain ON venues (chain) WHERE chain <> '';

-- +goose Down
DROP INDEX venues_chain;
ALTER TABLE venues DROP COLUMN chain;
