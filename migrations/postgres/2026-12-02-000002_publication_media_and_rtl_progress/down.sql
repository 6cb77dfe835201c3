DROP TABLE publication_media;
DROP TABLE rtl_status_changes;
DROP TABLE proof_images;
UPDATE rtl_actions SET status = 'planned' WHERE status = 'dropped';
ALTER TABLE rtl_actions DROP CONSTRAINT rtl_actions_status_check;
ALTER TABLE rtl_actions ADD CONSTRAINT rtl_actions_status_check CHECK (status IN ('planned', 'in_progress', 'done'));
