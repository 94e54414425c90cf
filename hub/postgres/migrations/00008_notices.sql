-- +goose Up
-- Staff notices (issue #7): what a venue's staff must hear of, such as a
-- guest running late or a large party's request, kept until staff mark
-- it done on the dashboard. The id is the notice's idempotency key.
CREATE TABLE staff_notices (
	id         text COLLATE "C" PRIMARY KEY,
	venue_id   text COLLATE "C" NOT NULL REFERENCES venues (id),
	kind       text NOT NULL,
	booking_id text COLLATE "C" NOT NULL DEFAULT '',
	guest_name text NOT NULL DEFAULT '',
	phone      text NOT NULL DEFAULT '',
	comment    text NOT NULL DEFAULT '',
	party      integer NOT NULL DEFAULT 0,
	wanted     timestamptz,
	created_at timestamptz NOT NULL,
	done_at    timestamptz
);
CREATE INDEX staff_notices_open ON staff_notices (venue_id, created_at, id)
	WHERE done_at IS NULL;

-- +goose Down
DROP TABLE staff_notices;
