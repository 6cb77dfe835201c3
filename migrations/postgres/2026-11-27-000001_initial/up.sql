-- Units form a tree: regency → OPD → sub-unit.
CREATE TABLE units (
    id SERIAL PRIMARY KEY,
    parent_id INTEGER REFERENCES units(id),
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('regency', 'opd', 'sub_unit')),
    contact_emails TEXT NOT NULL DEFAULT '',
    template_id TEXT,
    -- the form asks for the code printed on the citizen's ticket; each code counts once
    ticket_mode BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

-- Service users per period (for the Krejcie–Morgan sample size); period as "2026" or "2026-10".
CREATE TABLE unit_populations (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period TEXT NOT NULL,
    population BIGINT NOT NULL CHECK (population >= 0),
    PRIMARY KEY (unit_id, period)
);

-- Jenis layanan of a unit.
CREATE TABLE services (
    id SERIAL PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (unit_id, slug)
);

-- Every template version ever used, by content hash, with its full text.
CREATE TABLE template_versions (
    id SERIAL PRIMARY KEY,
    template_id TEXT NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (template_id, content_hash)
);

CREATE TABLE responses (
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
    flagged BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX responses_unit_date ON responses (unit_id, survey_date);
CREATE INDEX responses_service_date ON responses (service_id, survey_date);
CREATE INDEX responses_client_time ON responses (client_hash, submitted_at);

CREATE TABLE answers (
    response_id TEXT NOT NULL REFERENCES responses(id),
    element_code TEXT NOT NULL,
    score INTEGER NOT NULL,
    PRIMARY KEY (response_id, element_code)
);

-- Per unit, day, template version, service and element: the sums and counts the aggregator
-- needs, maintained in the same transaction as each response (service_id 0 = no service), so
-- a year of a regency is read from thousands of rows instead of millions.
CREATE TABLE daily_element_totals (
    unit_id INTEGER NOT NULL,
    survey_date TEXT NOT NULL,
    template_version_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    element_code TEXT NOT NULL,
    score_sum INTEGER NOT NULL,
    answer_count INTEGER NOT NULL,
    PRIMARY KEY (unit_id, survey_date, template_version_id, service_id, element_code)
);

-- Per unit, day, template version and service: responses and the sums of their mean scores
-- (and squares) for the interval.
CREATE TABLE daily_response_totals (
    unit_id INTEGER NOT NULL,
    survey_date TEXT NOT NULL,
    template_version_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    responses INTEGER NOT NULL,
    mean_sum DOUBLE PRECISION NOT NULL,
    mean_square_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (unit_id, survey_date, template_version_id, service_id)
);

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'unit_head', 'operator')),
    email_opt_out BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    -- bumped on password change and "log out everywhere": older session cookies stop working
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- The units a unit_head or operator may act on (each with its sub-units).
CREATE TABLE user_units (
    user_id INTEGER NOT NULL REFERENCES users(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (user_id, unit_id)
);

-- Rencana tindak lanjut for the weakest elements.
CREATE TABLE rtl_actions (
    id SERIAL PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period TEXT NOT NULL,
    element_code TEXT NOT NULL,
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rtl_actions_unit ON rtl_actions (unit_id, period);

-- One row per (recipient, period, kind): written before sending, updated after.
CREATE TABLE email_log (
    id SERIAL PRIMARY KEY,
    recipient TEXT NOT NULL,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    UNIQUE (recipient, period, kind)
);

CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- One-time form tokens already spent (a replayed submission hits the primary key).
CREATE TABLE used_form_tokens (
    nonce TEXT PRIMARY KEY NOT NULL,
    used_at TIMESTAMP NOT NULL
);

-- Codes printed on queue tickets for units in ticket mode.
CREATE TABLE ticket_codes (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    response_id TEXT REFERENCES responses(id),
    PRIMARY KEY (unit_id, code)
);

-- Keys shared by every instance (form tokens, session cookies, client hashes), made on first start.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- What the public transparency page shows: a unit's results for a period, once an admin
-- publishes them.
CREATE TABLE publications (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by INTEGER REFERENCES users(id),
    PRIMARY KEY (unit_id, period)
);

-- A lease per background job: with several instances on one database only the holder runs it.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
