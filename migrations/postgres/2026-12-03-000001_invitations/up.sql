-- Invitations: a new user sets their own password with a one-time link (72 hours) instead of
-- receiving one. An invitation has every rule of an admin-made reset link (only the digest is
-- stored, used once, expires, revoked by a newer link or by disabling the account), so it is a
-- row of the same table, told apart by its purpose: one rule set, one page (`/sandi/atur`).
ALTER TABLE password_resets ADD COLUMN purpose TEXT NOT NULL DEFAULT 'reset';

-- A user who has not accepted their invitation yet has no password: `users.password_hash` is
-- empty (''), which no password verifies against. (A marker instead of a nullable column: the
-- column stays NOT NULL on both backends, without rebuilding the SQLite table its foreign keys
-- point at.)
