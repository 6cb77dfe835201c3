-- A unit's counters (loket) and its officers' codes, and on each response the counter and the
-- officer it came from (a counter's own QR, a kiosk at a counter, later an invitation), for the
-- unit head's scorecard. Officers' names are staff data: they never reach the citizen's form.
CREATE TABLE counters (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (unit_id, code)
);
CREATE TABLE officers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (unit_id, code)
);
ALTER TABLE responses ADD COLUMN counter_id INTEGER REFERENCES counters(id);
ALTER TABLE responses ADD COLUMN officer_id INTEGER REFERENCES officers(id);
