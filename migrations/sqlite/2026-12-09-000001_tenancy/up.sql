-- Tenancy (issue 21): one deployment for a province or the nation. The tree gains its upper
-- levels (nation, province, city beside regency); each unit carries its time zone (NULL: the
-- deployment's), set on a regency and its subtree together. The higher levels read monthly
-- totals per subtree ("roll-ups"), which a job refreshes from the daily totals; a submission
-- never writes them, so no row is shared by every submission.
--
ALTER TABLE units ADD COLUMN time_zone TEXT;

-- Widening the CHECK constraint as the mpp migration did (sqlite.org/lang_altertable.html#otheralter),
-- after the ALTER above: an ALTER TABLE of `units` in between would place its column by the old
-- text's offsets. The RENAME at the end changes the schema cookie and makes every connection,
-- this one included, read the new text.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, 'CHECK (kind IN (''regency'', ''opd'', ''sub_unit'', ''mpp''))',
                       'CHECK (kind IN (''regency'', ''opd'', ''sub_unit'', ''mpp'', ''nation'', ''province'', ''city''))')
WHERE type = 'table' AND name = 'units';
PRAGMA writable_schema = OFF;


-- The sums of every unit in a tenant's subtree (a nation, province, regency or city), per month
-- (YYYY-MM, in each unit's own zone, as its survey dates are) and questionnaire version.
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

-- When each month's roll-ups last read the daily totals: what the pages call "data per".
CREATE TABLE rollup_months_new (
    month TEXT PRIMARY KEY NOT NULL,
    refreshed_at TIMESTAMP NOT NULL
);

ALTER TABLE rollup_months_new RENAME TO rollup_months;
