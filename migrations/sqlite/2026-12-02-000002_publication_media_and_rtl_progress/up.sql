-- PEKPPP evidence (PermenPANRB 29/2022, SPEC §6a): where each published period was published,
-- with proof, and the follow-up actions' status history with evidence of completion.

-- A follow-up action may be dropped (with a reason, kept in its status history). SQLite cannot
-- change a CHECK constraint in place: the table is rebuilt with the same rows (nothing refers
-- to it yet).
CREATE TABLE rtl_actions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period TEXT NOT NULL,
    element_code TEXT NOT NULL,
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO rtl_actions_new (id, unit_id, period, element_code, action, owner, due_date, status, created_by, created_at, updated_at)
    SELECT id, unit_id, period, element_code, action, owner, due_date, status, created_by, created_at, updated_at
    FROM rtl_actions;
DROP TABLE rtl_actions;
ALTER TABLE rtl_actions_new RENAME TO rtl_actions;
CREATE INDEX rtl_actions_unit ON rtl_actions (unit_id, period);

-- Proof images (a publication's, a follow-up action's evidence): at most 2 MB, PNG, JPEG or
-- WebP by their bytes, checked before they are stored.
CREATE TABLE proof_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    data BLOB NOT NULL,
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);

-- Every status change of a follow-up action: who, when, and what came with it (the evidence of
-- completion, or the reason for dropping it). The first row of an action is its creation
-- (from_status empty).
CREATE TABLE rtl_status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    action_id INTEGER NOT NULL REFERENCES rtl_actions(id),
    from_status TEXT,
    to_status TEXT NOT NULL CHECK (to_status IN ('planned', 'in_progress', 'done', 'dropped')),
    changed_by INTEGER REFERENCES users(id),
    changed_at TIMESTAMP NOT NULL,
    note TEXT,
    url TEXT,
    image_id INTEGER REFERENCES proof_images(id)
);
CREATE INDEX rtl_status_changes_action ON rtl_status_changes (action_id, id);

-- The history of the actions recorded before: their creation, and their current status when it
-- moved on since (by whom is not known).
INSERT INTO rtl_status_changes (action_id, from_status, to_status, changed_by, changed_at)
    SELECT id, NULL, 'planned', created_by, created_at FROM rtl_actions;
INSERT INTO rtl_status_changes (action_id, from_status, to_status, changed_by, changed_at)
    SELECT id, 'planned', status, NULL, updated_at FROM rtl_actions WHERE status <> 'planned';

-- Where a published period was published (PEKPPP counts the media): the medium, the date and a
-- proof (a link, an image, or both).
CREATE TABLE publication_media (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period TEXT NOT NULL,
    medium TEXT NOT NULL CHECK (medium IN ('website', 'social_media', 'sippn', 'counter_board', 'banner', 'newspaper', 'other')),
    published_on TEXT NOT NULL,
    url TEXT,
    image_id INTEGER REFERENCES proof_images(id),
    note TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    CHECK (url IS NOT NULL OR image_id IS NOT NULL)
);
CREATE INDEX publication_media_unit ON publication_media (unit_id, period);
