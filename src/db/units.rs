//! Units (a tree), their populations per period, and their services (jenis layanan).

use super::schema::{services, unit_populations, units};
use super::{now_utc, DbConnection, DbError};
use crate::domain::names::{Slug, UnitKind};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub contact_emails: String,
    pub template_id: Option<String>,
    pub ticket_mode: bool,
    pub created_at: chrono::NaiveDateTime,
    /// a closed unit's public form takes no responses; its data stays in every report
    pub active: bool,
    /// the unit wants one QR poster per active service besides its own
    pub poster_per_service: bool,
    /// when its poster (or the regency's all-units PDF with it) was last downloaded, UTC
    pub poster_downloaded_at: Option<chrono::NaiveDateTime>,
    /// the IANA zone of its survey dates and periods; `None`: the deployment's (`zone_or`)
    pub time_zone: Option<String>,
    /// the sender of its e-mail (`Name <address>`); `None`: the deployment's (`mail_from_or`)
    pub mail_from: Option<String>,
}

impl Unit {
    /// The zone the unit's days are counted in: its own, else the deployment's. A stored name
    /// that no longer parses (never written by skm) falls back to the deployment's as well.
    pub fn zone_or(&self, default: chrono_tz::Tz) -> chrono_tz::Tz {
        self.time_zone.as_deref().and_then(|name| name.parse().ok()).unwrap_or(default)
    }

    /// The sender its e-mail goes out under: its own (its regency's), else the deployment's.
    pub fn mail_from_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.mail_from.as_deref().unwrap_or(default)
    }
}

pub struct NewUnit<'a> {
    pub slug: &'a Slug,
    pub name: &'a str,
    pub kind: UnitKind,
    pub parent_id: Option<i32>,
    pub contact_emails: &'a [String],
    pub template_id: Option<&'a str>,
}

pub fn create(conn: &mut DbConnection, new: &NewUnit) -> Result<Unit, DbError> {
    // a new unit is where its parent is: it starts in the parent's zone, with its sender
    let (time_zone, mail_from) = match new.parent_id {
        Some(parent) => units::table
            .find(parent)
            .select((units::time_zone, units::mail_from))
            .first::<(Option<String>, Option<String>)>(conn)
            .optional()?
            .unwrap_or_default(),
        None => (None, None),
    };
    let id = diesel::insert_into(units::table)
        .values((
            units::slug.eq(new.slug.as_str()),
            units::name.eq(new.name),
            units::kind.eq(new.kind.as_str()),
            units::parent_id.eq(new.parent_id),
            units::contact_emails.eq(new.contact_emails.join(",")),
            units::template_id.eq(new.template_id),
            units::ticket_mode.eq(false),
            units::created_at.eq(now_utc()),
            units::active.eq(true),
            units::poster_per_service.eq(false),
            units::time_zone.eq(time_zone),
            units::mail_from.eq(mail_from),
        ))
        .returning(units::id)
        .get_result::<i32>(conn)
        .map_err(|e| match DbError::from(e) {
            DbError::Conflict(_) => DbError::Conflict(format!("a unit with slug '{}' already exists", new.slug)),
            other => other,
        })?;
    by_id(conn, id)
}

pub fn by_id(conn: &mut DbConnection, id: i32) -> Result<Unit, DbError> {
    Ok(units::table.find(id).select(Unit::as_select()).first(conn)?)
}

/// No unit has a slug that does not parse; asking the database for one (e.g. `/s/%00`, which
/// PostgreSQL would refuse outright) can only find nothing.
fn findable(slug: &str) -> Result<(), DbError> {
    crate::domain::names::Slug::parse(slug).map(|_| ()).map_err(|_| DbError::NotFound)
}

pub fn by_slug(conn: &mut DbConnection, slug: &str) -> Result<Unit, DbError> {
    findable(slug)?;
    // `get_result`, not `first`: slugs are unique, and a bound LIMIT makes SQLite re-prepare the
    // statement on every execution (it lets the planner see the limit's value).
    Ok(units::table.filter(units::slug.eq(slug)).select(Unit::as_select()).get_result(conn)?)
}

/// The unit with its active services (by name), in one round trip: every form page and every
/// submission asks for both.
pub fn with_active_services(conn: &mut DbConnection, slug: &str) -> Result<(Unit, Vec<Service>), DbError> {
    findable(slug)?;
    let rows: Vec<(Unit, Option<Service>)> = units::table
        .left_join(services::table.on(services::unit_id.eq(units::id).and(services::active.eq(true))))
        .filter(units::slug.eq(slug))
        .order((services::name.asc(), services::id.asc()))
        .select((Unit::as_select(), Option::<Service>::as_select()))
        .load(conn)?;
    let mut rows = rows.into_iter();
    let (unit, first) = rows.next().ok_or(DbError::NotFound)?;
    let services = first.into_iter().chain(rows.filter_map(|(_, service)| service)).collect();
    Ok((unit, services))
}

#[cfg(test)]
impl Unit {
    /// An open unit in the deployment's zone, for tests that need one without a database.
    pub(crate) fn example(id: i32, slug: &str, name: &str) -> Unit {
        Unit {
            id,
            parent_id: None,
            slug: slug.into(),
            name: name.into(),
            kind: "opd".into(),
            contact_emails: String::new(),
            template_id: None,
            ticket_mode: false,
            created_at: chrono::NaiveDateTime::default(),
            active: true,
            poster_per_service: false,
            poster_downloaded_at: None,
            time_zone: None,
            mail_from: None,
        }
    }
}

/// A unit's name, kind and place in the tree (the caller checks the tree stays a tree).
pub fn update(
    conn: &mut DbConnection,
    id: i32,
    name: &str,
    kind: UnitKind,
    parent_id: Option<i32>,
) -> Result<(), DbError> {
    diesel::update(units::table.find(id))
        .set((units::name.eq(name), units::kind.eq(kind.as_str()), units::parent_id.eq(parent_id)))
        .execute(conn)?;
    Ok(())
}

/// Opens or closes a unit's public form.
pub fn set_active(conn: &mut DbConnection, id: i32, active: bool) -> Result<(), DbError> {
    diesel::update(units::table.find(id)).set(units::active.eq(active)).execute(conn)?;
    Ok(())
}

/// Whether the unit wants one QR poster per service besides its own.
pub fn set_poster_per_service(conn: &mut DbConnection, id: i32, per_service: bool) -> Result<(), DbError> {
    diesel::update(units::table.find(id)).set(units::poster_per_service.eq(per_service)).execute(conn)?;
    Ok(())
}

/// Records that the posters of these units were downloaded now.
pub fn record_poster_download(conn: &mut DbConnection, ids: &[i32]) -> Result<(), DbError> {
    diesel::update(units::table.filter(units::id.eq_any(ids)))
        .set(units::poster_downloaded_at.eq(Some(now_utc())))
        .execute(conn)?;
    Ok(())
}

/// The active units whose QR poster was never downloaded (neither alone from `/operator` nor in
/// the all-units PDF), by name: the regency's readiness checklist lists them.
pub fn without_poster_download(conn: &mut DbConnection) -> Result<Vec<Unit>, DbError> {
    Ok(units::table
        .filter(units::active.eq(true).and(units::poster_downloaded_at.is_null()))
        .order((units::name.asc(), units::id.asc()))
        .select(Unit::as_select())
        .load(conn)?)
}

/// All units, parents before children where names tie; the tree is small (tens to hundreds).
pub fn list(conn: &mut DbConnection) -> Result<Vec<Unit>, DbError> {
    Ok(units::table.order((units::name.asc(), units::id.asc())).select(Unit::as_select()).load(conn)?)
}

/// The units at the top of the tree (a one-regency tree: its regency; a national one: the nation).
pub fn roots(conn: &mut DbConnection) -> Result<Vec<Unit>, DbError> {
    Ok(units::table.filter(units::parent_id.is_null()).order(units::id.asc()).select(Unit::as_select()).load(conn)?)
}

/// Whether the tree reaches above a regency (a province or the nation): a province or national
/// deployment, whose admins can be scoped to a subtree.
pub fn has_tenants_above_regency(conn: &mut DbConnection) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(units::table.filter(units::kind.eq_any(["nation", "province"]))))
        .get_result(conn)?)
}

/// The units with these ids (in 500s: a national list is long), in no particular order.
pub fn by_ids(conn: &mut DbConnection, ids: &[i32]) -> Result<Vec<Unit>, DbError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(units::table.filter(units::id.eq_any(chunk)).select(Unit::as_select()).load(conn)?);
    }
    Ok(found)
}

/// Past this many units in one level of a subtree, the whole tree is read at once instead (one
/// query for 50,000 edges beats many `IN` lists of hundreds).
const LEVEL_LIMIT: usize = 2_000;

/// The unit and every unit below it, level by level (root first). A regency of a national tree
/// reads its own ~90 units through `units_parent`, a few small queries, never the whole tree;
/// a subtree as large as a province's falls back to one read of every edge.
pub fn subtree_ids(conn: &mut DbConnection, root: i32) -> Result<Vec<i32>, DbError> {
    let mut ids = vec![root];
    let mut seen: HashSet<i32> = HashSet::from([root]);
    let mut level = vec![root];
    while !level.is_empty() {
        if level.len() > LEVEL_LIMIT {
            return Ok(Tree::load(conn)?.subtree(root));
        }
        let mut below = Vec::new();
        for chunk in level.chunks(500) {
            let children: Vec<i32> = units::table
                .filter(units::parent_id.eq_any(chunk))
                .order(units::id.asc())
                .select(units::id)
                .load(conn)?;
            // a cycle, which the use cases refuse, ends the walk
            below.extend(children.into_iter().filter(|id| seen.insert(*id)));
        }
        ids.extend(&below);
        level = below;
    }
    Ok(ids)
}

/// The tree's edges, for walking it in memory: a national tree has some 50,000 units, so each
/// walk is one query and a hash lookup per unit, never a scan per unit.
pub struct Tree {
    parent: HashMap<i32, i32>,
    children: HashMap<i32, Vec<i32>>,
}

impl Tree {
    pub fn load(conn: &mut DbConnection) -> Result<Tree, DbError> {
        let edges: Vec<(i32, Option<i32>)> = units::table.select((units::id, units::parent_id)).load(conn)?;
        Ok(Tree::from_edges(&edges))
    }

    pub fn from_edges(edges: &[(i32, Option<i32>)]) -> Tree {
        let mut parent = HashMap::new();
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (id, up) in edges {
            if let Some(up) = up {
                parent.insert(*id, *up);
                children.entry(*up).or_default().push(*id);
            }
        }
        Tree { parent, children }
    }

    /// `root` and every unit below it, breadth first.
    pub fn subtree(&self, root: i32) -> Vec<i32> {
        let mut ids = vec![root];
        let mut next = 0;
        while next < ids.len() {
            if let Some(below) = self.children.get(&ids[next]) {
                ids.extend(below);
            }
            next += 1;
        }
        ids
    }

    /// The units above `id`, nearest first (a cycle, which the use cases refuse, ends the walk).
    pub fn ancestors(&self, id: i32) -> Vec<i32> {
        let mut up = Vec::new();
        let mut at = id;
        while let Some(parent) = self.parent.get(&at) {
            if *parent == id || up.contains(parent) {
                break;
            }
            up.push(*parent);
            at = *parent;
        }
        up
    }
}

/// Sets the zone of `root` and of every unit below it, in one statement per 500 units.
pub fn set_zone(conn: &mut DbConnection, root: i32, zone: Option<&str>) -> Result<usize, DbError> {
    let ids = subtree_ids(conn, root)?;
    for chunk in ids.chunks(500) {
        diesel::update(units::table.filter(units::id.eq_any(chunk))).set(units::time_zone.eq(zone)).execute(conn)?;
    }
    Ok(ids.len())
}

/// The zones units have been given (`skm unit zone`), each once.
pub fn zone_names(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    Ok(units::table
        .filter(units::time_zone.is_not_null())
        .select(units::time_zone.assume_not_null())
        .distinct()
        .load(conn)?)
}

/// Sets the e-mail sender of `root` and of every unit below it (`None`: the deployment's).
pub fn set_mail_from(conn: &mut DbConnection, root: i32, sender: Option<&str>) -> Result<usize, DbError> {
    let ids = subtree_ids(conn, root)?;
    for chunk in ids.chunks(500) {
        diesel::update(units::table.filter(units::id.eq_any(chunk))).set(units::mail_from.eq(sender)).execute(conn)?;
    }
    Ok(ids.len())
}

/// The units an index covers: the unit alone, or with everything below it.
pub fn scope_ids(conn: &mut DbConnection, unit_id: i32, with_subunits: bool) -> Result<Vec<i32>, DbError> {
    if with_subunits {
        subtree_ids(conn, unit_id)
    } else {
        Ok(vec![unit_id])
    }
}

/// Records the number of service users of a unit in a period ("2026" or "2026-10").
pub fn set_population(conn: &mut DbConnection, unit_id: i32, period: &str, population: i64) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let updated = diesel::update(unit_populations::table.find((unit_id, period)))
            .set(unit_populations::population.eq(population))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(unit_populations::table)
                .values((
                    unit_populations::unit_id.eq(unit_id),
                    unit_populations::period.eq(period),
                    unit_populations::population.eq(population),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn population(conn: &mut DbConnection, unit_id: i32, period: &str) -> Result<Option<i64>, DbError> {
    Ok(unit_populations::table.find((unit_id, period)).select(unit_populations::population).first(conn).optional()?)
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = services)]
pub struct Service {
    pub id: i32,
    pub unit_id: i32,
    pub slug: String,
    pub name: String,
    pub active: bool,
}

pub fn add_service(conn: &mut DbConnection, unit_id: i32, slug: &Slug, name: &str) -> Result<Service, DbError> {
    let id = diesel::insert_into(services::table)
        .values((
            services::unit_id.eq(unit_id),
            services::slug.eq(slug.as_str()),
            services::name.eq(name),
            services::active.eq(true),
        ))
        .returning(services::id)
        .get_result::<i32>(conn)
        .map_err(|e| match DbError::from(e) {
            DbError::Conflict(_) => DbError::Conflict(format!("the unit already has a service '{slug}'")),
            other => other,
        })?;
    Ok(services::table.find(id).select(Service::as_select()).first(conn)?)
}

/// A unit's service by its slug, active or not.
pub fn service_by_slug(conn: &mut DbConnection, unit_id: i32, slug: &str) -> Result<Service, DbError> {
    findable(slug)?;
    Ok(services::table
        .filter(services::unit_id.eq(unit_id).and(services::slug.eq(slug)))
        .select(Service::as_select())
        .get_result(conn)?)
}

/// A service's name and whether citizens can choose it; its slug (in QR links) stays.
pub fn update_service(conn: &mut DbConnection, id: i32, name: &str, active: bool) -> Result<(), DbError> {
    diesel::update(services::table.find(id))
        .set((services::name.eq(name), services::active.eq(active)))
        .execute(conn)?;
    Ok(())
}

pub fn services_of(conn: &mut DbConnection, unit_id: i32) -> Result<Vec<Service>, DbError> {
    Ok(services::table
        .filter(services::unit_id.eq(unit_id))
        .order((services::name.asc(), services::id.asc()))
        .select(Service::as_select())
        .load(conn)?)
}

/// The services of every unit in `unit_ids`, per unit, by name.
pub fn services_of_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<HashMap<i32, Vec<Service>>, DbError> {
    let rows: Vec<Service> = services::table
        .filter(services::unit_id.eq_any(unit_ids))
        .order((services::name.asc(), services::id.asc()))
        .select(Service::as_select())
        .load(conn)?;
    let mut by_unit: HashMap<i32, Vec<Service>> = Default::default();
    for service in rows {
        by_unit.entry(service.unit_id).or_default().push(service);
    }
    Ok(by_unit)
}

pub fn set_template(conn: &mut DbConnection, unit_id: i32, template_id: Option<&str>) -> Result<(), DbError> {
    diesel::update(units::table.find(unit_id)).set(units::template_id.eq(template_id)).execute(conn)?;
    Ok(())
}

/// Every recorded population of the units, per unit (period key → count), in one query.
pub fn populations_of(
    conn: &mut DbConnection,
    unit_ids: &[i32],
) -> Result<HashMap<i32, HashMap<String, i64>>, DbError> {
    let rows: Vec<(i32, String, i64)> = unit_populations::table
        .filter(unit_populations::unit_id.eq_any(unit_ids))
        .select((unit_populations::unit_id, unit_populations::period, unit_populations::population))
        .load(conn)?;
    let mut by_unit: HashMap<i32, HashMap<String, i64>> = Default::default();
    for (unit_id, period, count) in rows {
        by_unit.entry(unit_id).or_default().insert(period, count);
    }
    Ok(by_unit)
}

/// The units right below `parent_id` (a Mal Pelayanan Publik's agencies), by name.
pub fn children_of(conn: &mut DbConnection, parent_id: i32) -> Result<Vec<Unit>, DbError> {
    Ok(units::table
        .filter(units::parent_id.eq(parent_id))
        .order((units::name.asc(), units::id.asc()))
        .select(Unit::as_select())
        .load(conn)?)
}
