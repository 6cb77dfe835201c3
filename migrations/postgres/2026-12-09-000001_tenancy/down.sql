DROP TABLE rollup_months;
DROP TABLE rollup_response_totals;
DROP TABLE rollup_element_totals;
ALTER TABLE units DROP COLUMN time_zone;
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check CHECK (kind IN ('regency', 'opd', 'sub_unit', 'mpp'));
