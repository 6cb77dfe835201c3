PRAGMA foreign_keys = OFF;
BEGIN;
-- Enrolled devices (issue 20): kiosk tablets and field enumerators' phones that run the offline
-- app (/app/) and upload what they collected in signed batches. A device is made by an operator
-- with a one-time enrolment code (only its SHA-256 is kept, valid 15 minutes); completing the
-- enrolment stores the device's ECDSA P-256 public key (never a secret: it only verifies) and
-- its fingerprint, and clears the code. A kiosk is bound to one unit (and optionally a counter),
-- an enumerator device to a person and the units they survey (device_units). Revoking keeps the
-- row, so that its later uploads are refused by name and counted.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    person TEXT,
    counter_id INTEGER REFERENCES counters(id),
    public_key TEXT,
    key_fingerprint TEXT UNIQUE,
    enrol_code_hash TEXT UNIQUE,
    enrol_expires_at TIMESTAMP,
    enrolled_at TIMESTAMP,
    revoked_at TIMESTAMP,
    last_sync_at TIMESTAMP,
    pending_reported INTEGER,
    refused_uploads INTEGER NOT NULL DEFAULT 0,
    last_refused_at TIMESTAMP,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE device_units (
    device_id INTEGER NOT NULL REFERENCES devices(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (device_id, unit_id)
);
CREATE INDEX device_units_unit ON device_units (unit_id);
-- A response uploaded by a device: which one, and when it arrived (submitted_at is the time it
-- was answered on the device). The id is the device's own UUIDv7, so a resend finds its row.
-- The channel `enumerator` joins the others (a surveyor's interview on an enrolled phone).
-- SQLite cannot change a CHECK constraint in place, so `responses` is rebuilt as SQLite's
-- ALTER TABLE documentation prescribes: foreign keys off (hence metadata.toml: this migration
-- runs its own transaction, since the pragma is ignored inside one), a new table, the rows
-- copied with their ids, the old one dropped, the new one renamed; the tables referring to
-- `responses` (answers, ticket_codes, invitations, instrument_answers) then refer to it.
CREATE TABLE responses_new (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    service_id INTEGER REFERENCES services(id),
    template_version_id INTEGER NOT NULL REFERENCES template_versions(id),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'kiosk', 'paper', 'import', 'enumerator')),
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
    -- the answer set as text ("U1=4;U2=3;…"), to spot bursts of identical submissions
    answer_key TEXT NOT NULL,
    -- part of a suspicious burst: shown on the dashboard, never silently dropped
    flagged BOOLEAN NOT NULL DEFAULT 0,
    counter_id INTEGER REFERENCES counters(id),
    officer_id INTEGER REFERENCES officers(id),
    via_unit_id INTEGER REFERENCES units(id),
    device_id INTEGER REFERENCES devices(id),
    received_at TIMESTAMP
);
INSERT INTO responses_new (id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date, gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count, answer_key, flagged, counter_id, officer_id, via_unit_id) SELECT id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date, gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count, answer_key, flagged, counter_id, officer_id, via_unit_id FROM responses;
DROP TABLE responses;
ALTER TABLE responses_new RENAME TO responses;
CREATE INDEX responses_unit_date ON responses (unit_id, survey_date);
CREATE INDEX responses_service_date ON responses (service_id, survey_date);
CREATE INDEX responses_burst ON responses (client_hash, answer_key, submitted_at);
CREATE INDEX responses_device_submitted ON responses (device_id, submitted_at);
COMMIT;
PRAGMA foreign_keys = ON;
