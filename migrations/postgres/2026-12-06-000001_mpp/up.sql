-- A Mal Pelayanan Publik (kind 'mpp'): a hall whose agencies are its child units, with one form
-- that first asks which agency. Each response taken through the hall's form records the hall.
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check CHECK (kind IN ('regency', 'opd', 'sub_unit', 'mpp'));
ALTER TABLE responses ADD COLUMN via_unit_id INTEGER REFERENCES units(id);
