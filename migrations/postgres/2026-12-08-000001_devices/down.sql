ALTER TABLE responses DROP CONSTRAINT responses_channel_check;
ALTER TABLE responses ADD CONSTRAINT responses_channel_check
    CHECK (channel IN ('web', 'kiosk', 'paper', 'import'));
DROP INDEX responses_device_submitted;
ALTER TABLE responses DROP COLUMN received_at;
ALTER TABLE responses DROP COLUMN device_id;
DROP TABLE device_units;
DROP TABLE devices;
