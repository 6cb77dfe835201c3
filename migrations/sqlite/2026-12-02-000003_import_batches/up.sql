-- Every file imported into a unit, by the SHA-256 of its bytes: the same file a second time
-- is imported only when the person confirms it, told when it was imported before.
CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    content_hash TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by INTEGER REFERENCES users(id),
    row_count INTEGER NOT NULL,
    channel TEXT NOT NULL
);
CREATE INDEX import_batches_by_unit_and_hash ON import_batches (unit_id, content_hash);
