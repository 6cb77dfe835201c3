ALTER TABLE units DROP COLUMN mail_from;
