DROP TABLE password_resets;
ALTER TABLE units DROP COLUMN active;
