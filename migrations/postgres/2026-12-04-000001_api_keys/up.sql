-- Keys for a unit's own systems (its registry, licensing or queue software) to call the JSON
-- API. `id` is the key's public prefix, printed in the key itself so a request finds its row;
-- the secret is kept only as a keyed digest (HMAC with a key derived from the master secret).
-- `scopes` is a comma-separated subset of invitations, responses, read.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
