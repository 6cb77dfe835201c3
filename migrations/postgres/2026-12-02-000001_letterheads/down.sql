DROP TABLE unit_letterheads;
