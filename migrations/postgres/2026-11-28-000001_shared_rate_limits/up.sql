-- Submission and login limits shared by every instance on this database: one fixed-window
-- counter per client key (a keyed hash, never the address itself).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL
);
-- for dropping counters of windows that have passed
CREATE INDEX rate_limits_window ON rate_limits (window_start);
