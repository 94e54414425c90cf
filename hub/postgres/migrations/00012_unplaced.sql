-- +goose Up
-- RMS reservations that name no table (Poster's till reservations when
-- the agent cannot tell their table): the desk holds a table for each, so
-- it looks them up on every availability query.
CREATE INDEX mirror_reservations_unplaced ON mirror_reservations (venue_id)
	WHERE cardinality(table_ids) = 0;

-- +goose Down
DROP INDEX mirror_reservations_unplaced;
