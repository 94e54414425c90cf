-- +goose Up
-- How long each closed order was open: the venue's learned turn time.
CREATE TABLE order_turns (
	venue_id  text COLLATE "C" NOT NULL,
	closed_at timestamptz NOT NULL,
	turn_ms   bigint NOT NULL
);
CREATE INDEX order_turns_recent ON order_turns (venue_id, closed_at DESC);

-- +goose Down
DROP TABLE order_turns;
