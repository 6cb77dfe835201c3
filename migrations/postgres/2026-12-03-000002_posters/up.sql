-- A unit may ask for one QR poster per service (each opening the form with that service
-- chosen) besides its own; and the last time its poster was downloaded, so the regency can see
-- which units never printed one.
ALTER TABLE units ADD COLUMN poster_per_service BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE units ADD COLUMN poster_downloaded_at TIMESTAMP;
