-- PostgreSQL partitions its raw responses by survey month in this version (issue 21, point 4).
-- SQLite has no partitions: one file is one regency's few million rows at most, and `skm
-- archive` deletes old months there. Both backends carry the same migration versions.
SELECT 1;
