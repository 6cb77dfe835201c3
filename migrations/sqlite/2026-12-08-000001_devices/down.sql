PRAGMA foreign_keys = OFF;
BEGIN;
-- Back to the shape before enrolled devices (responses of the `enumerator` channel cannot stay:
-- the old CHECK refuses them, so the rebuild stops rather than lose them silently).
CREATE TABLE responses_new (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    service_id INTEGER REFERENCES services(id),
    template_version_id INTEGER NOT NULL REFERENCES template_versions(id),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'kiosk', 'paper', 'import')),
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
    via_unit_id INTEGER REFERENCES units(id)
);
INSERT INTO responses_new (id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date, gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count, answer_key, flagged, counter_id, officer_id, via_unit_id) SELECT id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date, gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count, answer_key, flagged, counter_id, officer_id, via_unit_id FROM responses;
DROP TABLE responses;
ALTER TABLE responses_new RENAME TO responses;
CREATE INDEX responses_unit_date ON responses (unit_id, survey_date);
CREATE INDEX responses_service_date ON responses (service_id, survey_date);
CREATE INDEX responses_burst ON responses (client_hash, answer_key, submitted_at);
DROP TABLE device_units;
DROP TABLE devices;
COMMIT;
PRAGMA foreign_keys = ON;
