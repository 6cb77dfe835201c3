ALTER TABLE units DROP COLUMN poster_downloaded_at;
ALTER TABLE units DROP COLUMN poster_per_service;
