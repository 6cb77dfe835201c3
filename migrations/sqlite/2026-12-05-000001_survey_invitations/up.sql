-- Survey invitations (issue 19, point 2): the unit's service system asks for a one-time short
-- link (`/u/{code}`) for a finished transaction, printed on the receipt as a QR. The
-- transaction reference is kept only as a keyed hash (`ref_hash`, HMAC-SHA256 under a key
-- derived from the master secret), unique per unit so that the same reference gives the same
-- invitation; pre-printed slips have none (NULL) and no service (the citizen chooses). The
-- invitation is spent (`spent_at`, `response_id`) in the response's own transaction.
-- (Not the staff-account invitations of 2026-12-03, which are rows of `password_resets`.)
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    code TEXT NOT NULL UNIQUE,
    ref_hash TEXT,
    service_id INTEGER REFERENCES services(id),
    counter_id INTEGER REFERENCES counters(id),
    officer_id INTEGER REFERENCES officers(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    spent_at TIMESTAMP,
    response_id TEXT REFERENCES responses(id),
    UNIQUE (unit_id, ref_hash)
);
CREATE INDEX invitations_unit_created ON invitations (unit_id, created_at);
