DROP TABLE rollup_months;
DROP TABLE rollup_response_totals;
DROP TABLE rollup_element_totals;
ALTER TABLE units DROP COLUMN time_zone;
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, 'CHECK (kind IN (''regency'', ''opd'', ''sub_unit'', ''mpp'', ''nation'', ''province'', ''city''))',
                       'CHECK (kind IN (''regency'', ''opd'', ''sub_unit'', ''mpp''))')
WHERE type = 'table' AND name = 'units';
PRAGMA writable_schema = OFF;
-- a rename makes every connection read the narrowed text (as the up migration does)
CREATE TABLE tenancy_down (id INTEGER);
ALTER TABLE tenancy_down RENAME TO tenancy_down_done;
DROP TABLE tenancy_down_done;
