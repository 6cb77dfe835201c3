-- Enrolled devices (issue 20): kiosk tablets and field enumerators' phones that run the offline
-- app (/app/) and upload what they collected in signed batches. A device is made by an operator
-- with a one-time enrolment code (only its SHA-256 is kept, valid 15 minutes); completing the
-- enrolment stores the device's ECDSA P-256 public key (never a secret: it only verifies) and
-- its fingerprint, and clears the code. A kiosk is bound to one unit (and optionally a counter),
-- an enumerator device to a person and the units they survey (device_units). Revoking keeps the
-- row, so that its later uploads are refused by name and counted.
CREATE TABLE devices (
    id SERIAL PRIMARY KEY,
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
ALTER TABLE responses DROP CONSTRAINT responses_channel_check;
ALTER TABLE responses ADD CONSTRAINT responses_channel_check
    CHECK (channel IN ('web', 'kiosk', 'paper', 'import', 'enumerator'));
ALTER TABLE responses ADD COLUMN device_id INTEGER REFERENCES devices(id);
ALTER TABLE responses ADD COLUMN received_at TIMESTAMP;
CREATE INDEX responses_device_submitted ON responses (device_id, submitted_at);
