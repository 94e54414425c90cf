-- The hub's first schema. The package documentation explains the design.
-- Ids are RMS or hub ids compared byte for byte: COLLATE "C" makes every
-- ORDER BY id agree with Go's string order, whatever the database's locale.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE venues (
	id         text COLLATE "C" PRIMARY KEY,
	-- A short key for the block indexes: GiST handles an integer much
	-- faster than text (btree_gist), and ingest writes those indexes.
	num        int GENERATED ALWAYS AS IDENTITY UNIQUE,
	name       text NOT NULL,
	time_zone  text NOT NULL,
	mode       text NOT NULL,
	policy     jsonb NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE agents (
	id             text COLLATE "C" PRIMARY KEY,
	venue_id       text COLLATE "C" NOT NULL REFERENCES venues,
	secret_hash    bytea,
	created_at     timestamptz NOT NULL,
	revoked_at     timestamptz,
	applied_seq    bigint NOT NULL DEFAULT 0 CHECK (applied_seq >= 0),
	applied_events bigint NOT NULL DEFAULT 0,
	-- What the agent reports about itself (hub.AgentStatus). json, not
	-- jsonb: it is only stored and read back, and json keeps any text.
	status         json NOT NULL DEFAULT '{}'
);
CREATE INDEX agents_venue ON agents (venue_id);

-- The mirror: each RMS entity as its agent sent it (json keeps it as sent).
-- No foreign key to venues: rows come only through ApplyBatch, whose agent
-- row names the venue, venues are never deleted, and a key check per row
-- costs a fifth of ingest.
CREATE TABLE mirror_halls (
	venue_id text COLLATE "C" NOT NULL,
	id       text COLLATE "C" NOT NULL,
	data     json NOT NULL,
	PRIMARY KEY (venue_id, id)
);
CREATE TABLE mirror_tables (
	venue_id text COLLATE "C" NOT NULL,
	id       text COLLATE "C" NOT NULL,
	data     json NOT NULL,
	PRIMARY KEY (venue_id, id)
);

-- Orders and reservations also carry the block they put on their tables,
-- kept by ApplyBatch from the data: table_ids and the time range during,
-- NULL when there is none (a cancelled reservation). An order occupies its
-- tables from opened_at for the venue policy's turn time for its guests
-- (UpdateVenue recomputes it); a reservation from its start for its
-- duration. booking_id names the hub booking a reservation was made for
-- (empty for orders).
-- fillfactor leaves room on each page so that an update which keeps the
-- range is a HOT update, touching no index.
CREATE TABLE mirror_orders (
	venue_id   text COLLATE "C" NOT NULL,
	venue_num  int NOT NULL, -- venues.num
	id         text COLLATE "C" NOT NULL,
	data       json NOT NULL,
	table_ids  text[] COLLATE "C" NOT NULL,
	during     tstzrange,
	booking_id text COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (venue_id, id)
) WITH (fillfactor = 70);
CREATE INDEX mirror_orders_during ON mirror_orders USING gist (venue_num, during)
	WHERE during IS NOT NULL;
CREATE TABLE mirror_reservations (
	venue_id   text COLLATE "C" NOT NULL,
	venue_num  int NOT NULL, -- venues.num
	id         text COLLATE "C" NOT NULL,
	data       json NOT NULL,
	table_ids  text[] COLLATE "C" NOT NULL,
	during     tstzrange,
	booking_id text COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (venue_id, id)
) WITH (fillfactor = 70);
CREATE INDEX mirror_reservations_during ON mirror_reservations USING gist (venue_num, during)
	WHERE during IS NOT NULL;

-- What the RMS keeps busy, one row per table: reservations that are not
-- cancelled and open orders.
CREATE VIEW rms_blocks AS
	SELECT venue_id, venue_num, 'reservation' AS kind, id AS ref, t.table_id, during,
		booking_id
	FROM mirror_reservations, unnest(table_ids) AS t(table_id)
	WHERE during IS NOT NULL
	UNION ALL
	SELECT venue_id, venue_num, 'occupancy', id, t.table_id, during, booking_id
	FROM mirror_orders, unnest(table_ids) AS t(table_id)
	WHERE during IS NOT NULL;

CREATE TABLE table_settings (
	venue_id  text COLLATE "C" NOT NULL REFERENCES venues,
	table_id  text COLLATE "C" NOT NULL,
	min_party int NOT NULL,
	max_party int NOT NULL,
	online    boolean NOT NULL,
	PRIMARY KEY (venue_id, table_id)
);

CREATE TABLE table_groups (
	venue_id  text COLLATE "C" NOT NULL REFERENCES venues,
	id        text COLLATE "C" NOT NULL,
	table_ids text[] NOT NULL,
	min_party int NOT NULL,
	max_party int NOT NULL,
	PRIMARY KEY (venue_id, id)
);

CREATE TABLE guests (
	id          text COLLATE "C" PRIMARY KEY,
	telegram_id bigint UNIQUE, -- NULL when the guest has none
	name        text NOT NULL,
	phone       text NOT NULL,
	lang        text NOT NULL,
	created_at  timestamptz NOT NULL
);

CREATE TABLE bookings (
	id              text COLLATE "C" PRIMARY KEY,
	venue_id        text COLLATE "C" NOT NULL REFERENCES venues,
	table_ids       text[] NOT NULL,
	start_at        timestamptz NOT NULL,
	end_at          timestamptz NOT NULL CHECK (end_at > start_at),
	during          tstzrange NOT NULL GENERATED ALWAYS AS (tstzrange(start_at, end_at)) STORED,
	party           int NOT NULL,
	state           text NOT NULL,
	guest_id        text COLLATE "C" NOT NULL,
	name            text NOT NULL,
	phone           text NOT NULL,
	comment         text NOT NULL,
	channel         text NOT NULL,
	hold_until      timestamptz,
	reservation_id  text COLLATE "C" NOT NULL,
	idempotency_key text NOT NULL,
	reason          text NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX bookings_idempotency ON bookings (venue_id, idempotency_key)
	WHERE idempotency_key <> '';
CREATE INDEX bookings_venue_during ON bookings USING gist (venue_id, during);
CREATE INDEX bookings_guest ON bookings (guest_id, start_at) WHERE guest_id <> '';

-- One row per table of a booking. The exclusion constraint is the rule "no
-- double booking": two active rows for one table of one venue never
-- overlap in time, whatever the application does.
CREATE TABLE booking_tables (
	booking_id text COLLATE "C" NOT NULL REFERENCES bookings,
	venue_id   text COLLATE "C" NOT NULL,
	table_id   text COLLATE "C" NOT NULL,
	during     tstzrange NOT NULL,
	active     boolean NOT NULL,
	PRIMARY KEY (booking_id, table_id),
	CONSTRAINT booking_tables_no_overlap EXCLUDE USING gist
		(venue_id WITH =, table_id WITH =, during WITH &&) WHERE (active)
);

-- booking_overlaps fails the statement that calls it as the exclusion
-- constraint would. Bookings insert their tables with ON CONFLICT DO
-- NOTHING: speculative insertion waits for a racing booking without the
-- deadlock two plain inserts can run into, and a row it skips means a
-- conflict that must undo the whole booking.
-- +goose StatementBegin
CREATE FUNCTION booking_overlaps(booking text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'booking % overlaps an active booking', booking
		USING ERRCODE = 'exclusion_violation';
END
$$;
-- +goose StatementEnd

-- The audit log of bookings: rows are added, never changed.
CREATE TABLE booking_events (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	booking_id text COLLATE "C" NOT NULL REFERENCES bookings,
	at         timestamptz NOT NULL,
	actor      text NOT NULL,
	from_state text NOT NULL,
	to_state   text NOT NULL,
	reason     text NOT NULL
);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);

-- +goose StatementBegin
CREATE FUNCTION booking_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'booking_events is append-only: % refused', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER booking_events_no_change BEFORE UPDATE OR DELETE ON booking_events
	FOR EACH ROW EXECUTE FUNCTION booking_events_append_only();
CREATE TRIGGER booking_events_no_truncate BEFORE TRUNCATE ON booking_events
	FOR EACH STATEMENT EXECUTE FUNCTION booking_events_append_only();

CREATE TABLE commands (
	id         text COLLATE "C" PRIMARY KEY,
	agent_id   text COLLATE "C" NOT NULL REFERENCES agents,
	kind       text NOT NULL,
	body       json,
	created_at timestamptz NOT NULL,
	expires    timestamptz, -- NULL: never
	state      text NOT NULL,
	result     json
);
CREATE INDEX commands_pending ON commands (agent_id, created_at, id) WHERE state = 'pending';
CREATE INDEX commands_expiry ON commands (expires) WHERE state = 'pending';

-- Scheduled work. A claim sets lease_until; until then no one else gets it.
CREATE TABLE jobs (
	id          text COLLATE "C" PRIMARY KEY,
	kind        text NOT NULL,
	run_at      timestamptz NOT NULL,
	payload     bytea,
	attempts    int NOT NULL DEFAULT 0,
	lease_until timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at, id);

CREATE TABLE enrollments (
	code_hash  bytea PRIMARY KEY,
	venue_id   text COLLATE "C" NOT NULL REFERENCES venues,
	expires    timestamptz NOT NULL,
	created_at timestamptz NOT NULL,
	used_at    timestamptz,
	agent_id   text COLLATE "C"
);

-- +goose Down
DROP VIEW rms_blocks;
DROP TABLE enrollments, jobs, commands, booking_events, booking_tables, bookings, guests,
	table_groups, table_settings, mirror_reservations, mirror_orders,
	mirror_tables, mirror_halls, agents, venues;
DROP FUNCTION booking_events_append_only(), booking_overlaps(text);
