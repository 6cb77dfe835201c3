-- Months whose raw responses (`responses` and what hangs off them) were moved to a compressed
-- file by `skm archive` (issue 21, point 4). The daily totals and roll-ups of those months stay,
-- so their index and counts still show; the pages read this table to say "archived" where a
-- part needs the raw rows (profile, saran, channels) instead of showing an empty one.
-- `archive` is the file's name as written; `skm archive restore` removes its months again.
CREATE TABLE archived_months (
    month TEXT NOT NULL,
    archive TEXT NOT NULL,
    responses BIGINT NOT NULL,
    archived_at TIMESTAMP NOT NULL,
    PRIMARY KEY (month, archive)
);

-- Deleting a response checks the rows that may name it; without these, each deleted response
-- would read every invitation and ticket code (an archive of a year: a scan per response).
CREATE INDEX invitations_response ON invitations (response_id);
CREATE INDEX ticket_codes_response ON ticket_codes (response_id);
