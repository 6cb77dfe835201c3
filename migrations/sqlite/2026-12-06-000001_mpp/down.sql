ALTER TABLE responses DROP COLUMN via_unit_id;
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, 'CHECK (kind IN (''regency'', ''opd'', ''sub_unit'', ''mpp''))',
                       'CHECK (kind IN (''regency'', ''opd'', ''sub_unit''))')
WHERE type = 'table' AND name = 'units';
PRAGMA writable_schema = OFF;
