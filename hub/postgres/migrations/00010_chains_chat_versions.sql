-- +goose Up
-- A venue may belong to a restaurant chain (hub.Venue.Chain), whose
-- venues the Telegram bot offers together.
ALTER TABLE venues ADD COLUMN chain text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX venues_chain ON venues (chain) WHERE chain <> '';
-- A chat's saves are numbered, so that a save made from an older read is
-- refused (hub.ErrStaleChat) instead of undoing a newer one.
ALTER TABLE telegram_chats ADD COLUMN version bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE telegram_chats DROP COLUMN version;
DROP INDEX venues_chain;
ALTER TABLE venues DROP COLUMN chain;
