ALTER TABLE responses DROP COLUMN officer_id;
ALTER TABLE responses DROP COLUMN counter_id;
DROP TABLE officers;
DROP TABLE counters;
