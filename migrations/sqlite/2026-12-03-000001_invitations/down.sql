ALTER TABLE password_resets DROP COLUMN purpose;
