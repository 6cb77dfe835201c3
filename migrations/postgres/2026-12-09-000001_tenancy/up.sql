-- Tenancy (issue 21): see the SQLite migration of the same name for the design.
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check
    CHECK (kind IN ('regency', 'opd', 'sub_unit', 'mpp', 'nation', 'province', 'city'));
ALTER TABLE units ADD COLUMN time_zone TEXT;

CREATE TABLE rollup_element_totals (
    node_id INTEGER NOT NULL REFERENCES units(id),
    month TEXT NOT NULL,
    template_version_id INTEGER NOT NULL,
    element_code TEXT NOT NULL,
    score_sum BIGINT NOT NULL,
    answer_count BIGINT NOT NULL,
    PRIMARY KEY (node_id, month, template_version_id, element_code)
);

CREATE TABLE rollup_response_totals (
    node_id INTEGER NOT NULL REFERENCES units(id),
    month TEXT NOT NULL,
    template_version_id INTEGER NOT NULL,
    responses BIGINT NOT NULL,
    mean_sum DOUBLE PRECISION NOT NULL,
    mean_square_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (node_id, month, template_version_id)
);

CREATE TABLE rollup_months (
    month TEXT PRIMARY KEY NOT NULL,
    refreshed_at TIMESTAMP NOT NULL
);
