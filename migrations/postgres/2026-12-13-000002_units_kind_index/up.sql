-- The region pages read the tenants (nation, provinces, regencies and cities: ~600 of a national
-- tree's 50,000 units) by kind (db::rollup::Tenants::load_tenants): without this, a scan of
-- every unit per page (25 ms in benches/national.rs).
CREATE INDEX units_kind ON units (kind);
