ALTER TABLE responses DROP COLUMN via_unit_id;
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check CHECK (kind IN ('regency', 'opd', 'sub_unit'));
