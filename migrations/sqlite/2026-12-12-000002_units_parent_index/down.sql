DROP INDEX units_parent;
