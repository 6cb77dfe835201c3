-- The burst check looks for identical answer sets from one client: index exactly that, so it
-- reads the few identical rows, not every response the client (a kiosk, an office behind one
-- address) sent in the last minutes.
DROP INDEX responses_client_time;
CREATE INDEX responses_burst ON responses (client_hash, answer_key, submitted_at);
