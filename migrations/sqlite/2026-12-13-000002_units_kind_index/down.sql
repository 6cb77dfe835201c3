DROP INDEX units_kind;
