DROP INDEX responses_burst;
CREATE INDEX responses_client_time ON responses (client_hash, submitted_at);
