-- A unit can be closed (its public form takes no responses) and opened again; its responses,
-- services and users stay.
ALTER TABLE units ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

-- One-time links an admin makes for a user to set a new password. Only the token's SHA-256 is
-- stored; a link is used once, expires, and is revoked by a newer link or by disabling the user.
CREATE TABLE password_resets (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id);
