-- A unit's subtree is walked level by level from its children (db::units::subtree_ids): a
-- regency of a national tree reads its ~90 units through this index, not all 50,000.
CREATE INDEX units_parent ON units (parent_id);
