-- Raw responses partitioned by survey month (issue 21, point 4). A national year is ~50 M rows
-- (and ~450 M answers); one table per month keeps each month's indexes small, lets the planner
-- skip the months a query does not ask for, and lets `skm archive` drop a month's partition
-- instead of deleting its rows one by one.
--
-- A partitioned table's unique keys must include the partition key, so the primary key becomes
-- (id, survey_date). The ids stay unique in practice: they are server UUIDs or a device's own
-- UUIDv7, and a device's resend is found by its id (db::devices) before it is written. The
-- foreign keys *to* responses need a unique id alone, so they go; the rows that name a response
-- (answers, instrument_answers, ticket codes, invitations) are written in the response's own
-- transaction and removed by `skm archive` before their responses.
--
-- Months get their partition from `skm_response_partition(month)`: here for every month with
-- rows, and by the running service for the last, this and the next two months (db::partitions).
-- A row of a month without one (a paper form from years ago) lands in `responses_default`; the
-- same function moves such rows into their own month when it creates it.

ALTER TABLE answers DROP CONSTRAINT answers_response_id_fkey;
ALTER TABLE instrument_answers DROP CONSTRAINT instrument_answers_response_id_fkey;
ALTER TABLE ticket_codes DROP CONSTRAINT ticket_codes_response_id_fkey;
ALTER TABLE invitations DROP CONSTRAINT invitations_response_id_fkey;

ALTER TABLE responses RENAME TO responses_unpartitioned;

CREATE TABLE responses (
    id TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    service_id INTEGER REFERENCES services(id),
    template_version_id INTEGER NOT NULL REFERENCES template_versions(id),
    channel TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    survey_date TEXT NOT NULL,
    gender TEXT,
    age INTEGER,
    education TEXT,
    occupation TEXT,
    profile_extra TEXT,
    saran TEXT,
    client_hash TEXT,
    score_sum INTEGER NOT NULL,
    score_count INTEGER NOT NULL,
    answer_key TEXT NOT NULL,
    flagged BOOLEAN NOT NULL DEFAULT FALSE,
    counter_id INTEGER REFERENCES counters(id),
    officer_id INTEGER REFERENCES officers(id),
    via_unit_id INTEGER REFERENCES units(id),
    device_id INTEGER REFERENCES devices(id),
    received_at TIMESTAMP,
    CONSTRAINT responses_channel_check CHECK (channel IN ('web', 'kiosk', 'paper', 'import', 'enumerator'))
) PARTITION BY RANGE (survey_date);

CREATE TABLE responses_default PARTITION OF responses DEFAULT;

-- Creates `responses_YYYY_MM` for `month` ('2026-12') unless it exists, moving that month's
-- rows out of the default partition first; true when it created one. Instances starting
-- together take turns on an advisory lock; the default partition is locked before its rows
-- move, so no row of the month can slip in between the move and the attach.
CREATE FUNCTION skm_response_partition(month TEXT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
    first_day TEXT;
    next_first TEXT;
    name TEXT;
BEGIN
    IF month !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'not a month (YYYY-MM): %', month;
    END IF;
    first_day := month || '-01';
    next_first := to_char(to_date(first_day, 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM-DD');
    name := 'responses_' || replace(month, '-', '_');
    PERFORM pg_advisory_xact_lock(hashtext('skm_response_partition'));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    LOCK TABLE responses_default IN ACCESS EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I (LIKE responses INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format(
        'WITH moved AS (DELETE FROM responses_default WHERE survey_date >= %L AND survey_date < %L RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved',
        first_day, next_first, name);
    EXECUTE format('ALTER TABLE responses ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        name, first_day, next_first);
    RETURN TRUE;
END
$$;

SELECT skm_response_partition(month) FROM (
    SELECT DISTINCT substr(survey_date, 1, 7) AS month FROM responses_unpartitioned
     WHERE survey_date ~ '^[0-9]{4}-(0[1-9]|1[0-2])-'
    UNION
    SELECT to_char(current_date + k * interval '1 month', 'YYYY-MM') FROM generate_series(-1, 2) AS k
) AS months ORDER BY month;

INSERT INTO responses (id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date,
        gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count,
        answer_key, flagged, counter_id, officer_id, via_unit_id, device_id, received_at)
    SELECT id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date,
        gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count,
        answer_key, flagged, counter_id, officer_id, via_unit_id, device_id, received_at
    FROM responses_unpartitioned;

DROP TABLE responses_unpartitioned;

-- Indexes after the rows: built once per partition instead of grown row by row.
ALTER TABLE responses ADD PRIMARY KEY (id, survey_date);
CREATE INDEX responses_unit_date ON responses (unit_id, survey_date);
CREATE INDEX responses_service_date ON responses (service_id, survey_date);
CREATE INDEX responses_burst ON responses (client_hash, answer_key, submitted_at);
CREATE INDEX responses_device_submitted ON responses (device_id, submitted_at);
