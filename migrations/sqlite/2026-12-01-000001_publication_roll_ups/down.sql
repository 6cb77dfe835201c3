ALTER TABLE publications DROP COLUMN with_subunits;
