DROP TABLE publication_media;
DROP TABLE rtl_status_changes;
DROP TABLE proof_images;
CREATE TABLE rtl_actions_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period TEXT NOT NULL,
    element_code TEXT NOT NULL,
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- the old schema has no dropped actions: they go back to planned
INSERT INTO rtl_actions_old (id, unit_id, period, element_code, action, owner, due_date, status, created_by, created_at, updated_at)
    SELECT id, unit_id, period, element_code, action, owner, due_date,
        CASE status WHEN 'dropped' THEN 'planned' ELSE status END, created_by, created_at, updated_at
    FROM rtl_actions;
DROP TABLE rtl_actions;
ALTER TABLE rtl_actions_old RENAME TO rtl_actions;
CREATE INDEX rtl_actions_unit ON rtl_actions (unit_id, period);
