-- A unit with sub-units is published as its roll-up (SPEC §3: its pooled responses and its
-- units), a unit without as itself; the publication keeps which one it is. Publications made
-- before this stored neither and showed a roll-up's own, empty responses: those of units that
-- have sub-units become roll-ups.
ALTER TABLE publications ADD COLUMN with_subunits BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE publications SET with_subunits = TRUE
    WHERE unit_id IN (SELECT parent_id FROM units WHERE parent_id IS NOT NULL);
