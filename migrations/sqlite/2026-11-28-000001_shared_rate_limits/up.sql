-- Submission and login limits shared by every instance on this database: one fixed-window
-- counter per client key (a keyed hash, never the address itself).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL
);
