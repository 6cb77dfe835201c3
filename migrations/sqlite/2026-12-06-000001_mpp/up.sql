-- A Mal Pelayanan Publik (kind 'mpp'): a hall whose agencies are its child units, with one form
-- that first asks which agency. Each response taken through the hall's form records the hall.
--
-- SQLite cannot alter a CHECK constraint; widening one (no stored row can break it) is the
-- documented "simpler procedure" of https://www.sqlite.org/lang_altertable.html#otheralter:
-- rewrite the table's text in sqlite_schema. The ALTER TABLE below changes the schema cookie
-- and makes every connection, this one included, read the schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, 'CHECK (kind IN (''regency'', ''opd'', ''sub_unit''))',
                       'CHECK (kind IN (''regency'', ''opd'', ''sub_unit'', ''mpp''))')
WHERE type = 'table' AND name = 'units';
PRAGMA writable_schema = OFF;

ALTER TABLE responses ADD COLUMN via_unit_id INTEGER REFERENCES units(id);
