DROP TABLE setup_uploads;
