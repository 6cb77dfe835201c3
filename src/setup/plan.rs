//! What applying a workbook would change: the [`Book`] compared with the database's current
//! setup ([`Current`], read in one go) gives a [`Plan`], a list of changes in the order they
//! are applied (parents before children, units before their services and users). Units and
//! services absent from the workbook are disabled (never deleted: their responses stay); users
//! absent from it are left as they are, so an incomplete sheet locks nobody out. Pure apart
//! from [`current`].

use super::book::*;
use super::issue::{Problem, SetupIssue};
use crate::db::letterheads::{self, Letterhead};
use crate::db::units::{self as stored};
use crate::db::{users, DbConnection, DbError};
use crate::domain::names::{Role, UnitKind};
use crate::i18n::Tr;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

/// The setup as stored, by slug and address.
#[derive(Debug, Clone, Default)]
pub struct Current {
    pub units: Vec<CurrentUnit>,
    pub services: Vec<CurrentService>,
    pub users: Vec<CurrentUser>,
    /// (unit slug, period) → count
    pub populations: Vec<(String, String, i64)>,
}

#[derive(Debug, Clone)]
pub struct CurrentUnit {
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub template: Option<String>,
    pub active: bool,
    pub kop: Option<Kop>,
}

#[derive(Debug, Clone)]
pub struct CurrentService {
    pub unit: String,
    pub slug: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: String,
    pub units: Vec<String>,
    pub active: bool,
}

/// A unit's kop surat and signer without its logo (the logo is not in the workbook).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Kop {
    pub agency: String,
    pub address: String,
    pub phone: String,
    pub website: String,
    pub place: String,
    pub position: String,
    pub head_name: String,
    pub nip: String,
}

impl Kop {
    fn of(letterhead: &Letterhead) -> Kop {
        Kop {
            agency: letterhead.agency.clone(),
            address: letterhead.address.clone(),
            phone: letterhead.phone.clone(),
            website: letterhead.website.clone(),
            place: letterhead.place.clone(),
            position: letterhead.position.clone(),
            head_name: letterhead.head_name.clone(),
            nip: letterhead.nip.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        *self == Kop::default()
    }

    /// What the workbook's fields make of the stored one (a column left out keeps its value).
    fn with(&self, fields: &LetterheadFields) -> Kop {
        let pick = |typed: &Option<String>, stored: &String| typed.clone().unwrap_or_else(|| stored.clone());
        Kop {
            agency: pick(&fields.agency, &self.agency),
            address: pick(&fields.address, &self.address),
            phone: pick(&fields.phone, &self.phone),
            website: pick(&fields.website, &self.website),
            place: pick(&fields.place, &self.place),
            position: pick(&fields.position, &self.position),
            head_name: pick(&fields.head_name, &self.head_name),
            nip: pick(&fields.nip, &self.nip),
        }
    }
}

/// Reads the current setup: every unit with its kop surat, service, user and population.
pub fn current(conn: &mut DbConnection) -> Result<Current, DbError> {
    let units = stored::list(conn)?;
    let slug_of: HashMap<i32, String> = units.iter().map(|u| (u.id, u.slug.clone())).collect();
    let ids: Vec<i32> = units.iter().map(|u| u.id).collect();
    let kops: HashMap<i32, Kop> = letterheads::all(conn)?.into_iter().map(|(id, l)| (id, Kop::of(&l))).collect();
    let mut services = Vec::new();
    for (unit_id, of_unit) in stored::services_of_units(conn, &ids)? {
        for service in of_unit {
            services.push(CurrentService {
                unit: slug_of[&unit_id].clone(),
                slug: service.slug,
                name: service.name,
                active: service.active,
            });
        }
    }
    services.sort_by(|a, b| (&a.unit, &a.slug).cmp(&(&b.unit, &b.slug)));
    let mut populations = Vec::new();
    for (unit_id, counts) in stored::populations_of(conn, &ids)? {
        for (period, count) in counts {
            populations.push((slug_of[&unit_id].clone(), period, count));
        }
    }
    populations.sort();
    let users = users::list_with_units(conn)?
        .into_iter()
        .map(|(user, mut units)| {
            units.sort();
            CurrentUser {
                id: user.id,
                email: user.email,
                name: user.name,
                role: user.role,
                units,
                active: !user.disabled,
            }
        })
        .collect();
    let units = units
        .into_iter()
        .map(|unit| CurrentUnit {
            kop: kops.get(&unit.id).cloned(),
            parent: unit.parent_id.and_then(|id| slug_of.get(&id).cloned()),
            slug: unit.slug,
            name: unit.name,
            kind: unit.kind,
            template: unit.template_id,
            active: unit.active,
        })
        .collect();
    Ok(Current { units, services, users, populations })
}

/// One change, with what applying it needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    UnitNew {
        slug: String,
        name: String,
        kind: UnitKind,
        parent: Option<String>,
        template: Option<String>,
        active: bool,
    },
    /// a correction of name, kind or parent: the values after it, and which of them change
    UnitEdit {
        slug: String,
        name: String,
        kind: UnitKind,
        parent: Option<String>,
        renamed: Option<String>,
        kind_was: Option<String>,
        moved: Option<Option<String>>,
    },
    UnitTemplate {
        slug: String,
        from: Option<String>,
        to: Option<String>,
    },
    UnitKop {
        slug: String,
        kop: Kop,
    },
    /// `absent`: disabled because the workbook leaves the unit out
    UnitActive {
        slug: String,
        active: bool,
        absent: bool,
    },
    ServiceNew {
        unit: String,
        slug: String,
        name: String,
        active: bool,
    },
    ServiceRenamed {
        unit: String,
        slug: String,
        from: String,
        to: String,
    },
    ServiceActive {
        unit: String,
        slug: String,
        active: bool,
        absent: bool,
    },
    UserNew {
        email: String,
        name: String,
        role: Role,
        units: Vec<String>,
        active: bool,
    },
    /// name, role and units after it; `what` names what changes (`nama`, `peran`, `unit`)
    UserEdit {
        email: String,
        name: String,
        role: Role,
        units: Vec<String>,
        what: Vec<&'static str>,
    },
    UserActive {
        email: String,
        active: bool,
    },
    Population {
        unit: String,
        period: String,
        from: Option<i64>,
        to: u32,
    },
}

/// The changes a workbook makes, in the order they are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
}

/// The kinds of change counted in a preview, in the order the summary names them.
pub const COUNTED: [&str; 18] = [
    "unit_new",
    "unit_renamed",
    "unit_moved",
    "unit_kind",
    "unit_template",
    "unit_kop",
    "unit_disabled",
    "unit_enabled",
    "service_new",
    "service_renamed",
    "service_disabled",
    "service_enabled",
    "user_new",
    "user_changed",
    "user_disabled",
    "user_enabled",
    "population_new",
    "population_changed",
];

impl Change {
    /// What it counts as (a unit's correction may be a rename and a move at once).
    pub fn counted(&self) -> Vec<&'static str> {
        match self {
            Change::UnitNew { .. } => vec!["unit_new"],
            Change::UnitEdit { renamed, kind_was, moved, .. } => {
                let mut kinds = Vec::new();
                if renamed.is_some() {
                    kinds.push("unit_renamed");
                }
                if moved.is_some() {
                    kinds.push("unit_moved");
                }
                if kind_was.is_some() {
                    kinds.push("unit_kind");
                }
                kinds
            }
            Change::UnitTemplate { .. } => vec!["unit_template"],
            Change::UnitKop { .. } => vec!["unit_kop"],
            Change::UnitActive { active: false, .. } => vec!["unit_disabled"],
            Change::UnitActive { active: true, .. } => vec!["unit_enabled"],
            Change::ServiceNew { .. } => vec!["service_new"],
            Change::ServiceRenamed { .. } => vec!["service_renamed"],
            Change::ServiceActive { active: false, .. } => vec!["service_disabled"],
            Change::ServiceActive { active: true, .. } => vec!["service_enabled"],
            Change::UserNew { .. } => vec!["user_new"],
            Change::UserEdit { .. } => vec!["user_changed"],
            Change::UserActive { active: false, .. } => vec!["user_disabled"],
            Change::UserActive { active: true, .. } => vec!["user_enabled"],
            Change::Population { from: None, .. } => vec!["population_new"],
            Change::Population { from: Some(_), .. } => vec!["population_changed"],
        }
    }

    /// The change in words ("Unit baru disdukcapil — Dinas Kependudukan …").
    pub fn text(&self, tr: Tr) -> String {
        let none = || tr.t("setup.none").to_string();
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(none);
        let active_key = |active: bool, absent: bool, what: &str| match (active, absent) {
            (true, _) => format!("setup.change.{what}_enabled"),
            (false, true) => format!("setup.change.{what}_disabled_absent"),
            (false, false) => format!("setup.change.{what}_disabled"),
        };
        match self {
            Change::UnitNew { slug, name, kind, parent, .. } => tr.fill(
                "setup.change.unit_new",
                &[
                    ("slug", slug.clone()),
                    ("name", name.clone()),
                    ("kind", kind.to_string()),
                    ("parent", or_none(parent)),
                ],
            ),
            Change::UnitEdit { slug, name, kind, parent, renamed, kind_was, moved } => {
                let mut parts = Vec::new();
                if let Some(from) = renamed {
                    parts.push(tr.fill("setup.change.renamed", &[("from", from.clone()), ("to", name.clone())]));
                }
                if let Some(from) = kind_was {
                    parts.push(tr.fill("setup.change.kind", &[("from", from.clone()), ("to", kind.to_string())]));
                }
                if let Some(from) = moved {
                    parts.push(tr.fill("setup.change.moved", &[("from", or_none(from)), ("to", or_none(parent))]));
                }
                tr.fill("setup.change.unit", &[("slug", slug.clone()), ("what", parts.join("; "))])
            }
            Change::UnitTemplate { slug, from, to } => {
                let default = || tr.t("setup.default_template").to_string();
                let what = tr.fill(
                    "setup.change.template",
                    &[("from", from.clone().unwrap_or_else(default)), ("to", to.clone().unwrap_or_else(default))],
                );
                tr.fill("setup.change.unit", &[("slug", slug.clone()), ("what", what)])
            }
            Change::UnitKop { slug, .. } => tr.fill("setup.change.unit_kop", &[("slug", slug.clone())]),
            Change::UnitActive { slug, active, absent } => {
                tr.fill(&active_key(*active, *absent, "unit"), &[("slug", slug.clone())])
            }
            Change::ServiceNew { unit, slug, name, .. } => tr.fill(
                "setup.change.service_new",
                &[("unit", unit.clone()), ("slug", slug.clone()), ("name", name.clone())],
            ),
            Change::ServiceRenamed { unit, slug, from, to } => {
                let what = tr.fill("setup.change.renamed", &[("from", from.clone()), ("to", to.clone())]);
                tr.fill("setup.change.service", &[("unit", unit.clone()), ("slug", slug.clone()), ("what", what)])
            }
            Change::ServiceActive { unit, slug, active, absent } => {
                tr.fill(&active_key(*active, *absent, "service"), &[("unit", unit.clone()), ("slug", slug.clone())])
            }
            Change::UserNew { email, name, role, .. } => tr.fill(
                "setup.change.user_new",
                &[("email", email.clone()), ("name", name.clone()), ("role", role.to_string())],
            ),
            Change::UserEdit { email, name, role, units, what } => {
                let parts: Vec<String> = what
                    .iter()
                    .map(|w| match *w {
                        "nama" => tr.fill("setup.change.user_name", &[("to", name.clone())]),
                        "peran" => tr.fill("setup.change.user_role", &[("to", role.to_string())]),
                        // an admin's units taken away: "unit → (tidak ada)", not an arrow to nothing
                        _ if units.is_empty() => {
                            tr.fill("setup.change.user_units", &[("to", tr.t("setup.none").to_string())])
                        }
                        _ => tr.fill("setup.change.user_units", &[("to", units.join(", "))]),
                    })
                    .collect();
                tr.fill("setup.change.user", &[("email", email.clone()), ("what", parts.join("; "))])
            }
            Change::UserActive { email, active } => {
                let key = if *active { "setup.change.user_enabled" } else { "setup.change.user_disabled" };
                tr.fill(key, &[("email", email.clone())])
            }
            Change::Population { unit, period, from, to } => {
                let args = [("unit", unit.clone()), ("period", period.clone()), ("to", to.to_string())];
                match from {
                    None => tr.fill("setup.change.population_new", &args),
                    Some(from) => {
                        let mut args = args.to_vec();
                        args.push(("from", from.to_string()));
                        tr.fill("setup.change.population_changed", &args)
                    }
                }
            }
        }
    }
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes of each kind, in `COUNTED`'s order, zeros left out.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts: HashMap<&'static str, usize> = HashMap::new();
        for kind in self.changes.iter().flat_map(Change::counted) {
            *counts.entry(kind).or_default() += 1;
        }
        COUNTED.iter().filter_map(|k| counts.get(k).map(|n| (*k, *n))).collect()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.counts().iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
    }

    /// "12 unit baru, 3 nama unit berubah, 1 layanan dinonaktifkan", or that nothing changes.
    pub fn summary(&self, tr: Tr) -> String {
        summary(&self.counts(), tr)
    }

    /// Each change in words, in the order applied.
    pub fn lines(&self, tr: Tr) -> Vec<String> {
        self.changes.iter().map(|c| c.text(tr)).collect()
    }

    /// A digest of the changes: the confirmation of a preview carries it, and a plan that came
    /// out differently (the database changed meanwhile) is not applied.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(format!("{:?}", self.changes).as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Counts in words: "12 unit baru, 3 nama unit berubah", or that nothing changes.
pub fn summary(counts: &[(&'static str, usize)], tr: Tr) -> String {
    if counts.is_empty() {
        return tr.t("setup.nothing").to_string();
    }
    let parts: Vec<String> =
        counts.iter().map(|(k, n)| tr.fill(&format!("setup.count.{k}"), &[("n", n.to_string())])).collect();
    parts.join(", ")
}

/// Compares the workbook with the stored setup. `actor` is the admin applying it (`None` for
/// the command line): their own row may not disable them or take their admin role.
pub fn plan(book: &Book, current: &Current, actor: Option<i32>) -> Result<Plan, Vec<SetupIssue>> {
    let mut issues = Vec::new();
    let mut changes = Vec::new();
    let stored_units: HashMap<&str, &CurrentUnit> = current.units.iter().map(|u| (u.slug.as_str(), u)).collect();
    for unit in tree_order(&book.units) {
        unit_changes(unit, stored_units.get(unit.slug.as_str()).copied(), &mut changes);
    }
    let in_book: BTreeSet<&str> = book.units.iter().map(|u| u.slug.as_str()).collect();
    // A new regency while the stored one is left out is the template's example regency (or a
    // slug typed anew): applied, it would close the regency `skm init` made and start another.
    let left_out = current.units.iter().find(|u| {
        u.active && u.kind == UnitKind::Regency.as_str() && u.parent.is_none() && !in_book.contains(u.slug.as_str())
    });
    if let Some(stored) = left_out {
        for unit in
            book.units.iter().filter(|u| u.kind == UnitKind::Regency && !stored_units.contains_key(u.slug.as_str()))
        {
            let problem = Problem::RegencyReplaced { value: unit.slug.to_string(), stored: stored.slug.clone() };
            issues.push(SetupIssue::cell(UNIT_SHEET, unit.row, "slug", problem));
        }
    }
    for unit in current.units.iter().filter(|u| u.active && !in_book.contains(u.slug.as_str())) {
        changes.push(Change::UnitActive { slug: unit.slug.clone(), active: false, absent: true });
    }

    let stored_services: HashMap<(&str, &str), &CurrentService> =
        current.services.iter().map(|s| ((s.unit.as_str(), s.slug.as_str()), s)).collect();
    for service in &book.services {
        let (unit, slug) = (service.unit.clone(), service.slug.to_string());
        match stored_services.get(&(service.unit.as_str(), service.slug.as_str())) {
            None => changes.push(Change::ServiceNew {
                unit,
                slug,
                name: service.name.clone(),
                active: service.active.unwrap_or(true),
            }),
            Some(stored) => {
                if stored.name != service.name {
                    let (from, to) = (stored.name.clone(), service.name.clone());
                    changes.push(Change::ServiceRenamed { unit: unit.clone(), slug: slug.clone(), from, to });
                }
                if let Some(active) = service.active.filter(|a| *a != stored.active) {
                    changes.push(Change::ServiceActive { unit, slug, active, absent: false });
                }
            }
        }
    }
    let services_in_book: BTreeSet<(&str, &str)> =
        book.services.iter().map(|s| (s.unit.as_str(), s.slug.as_str())).collect();
    for service in &current.services {
        // a unit left out of the workbook is closed as a whole; its services stay as they are
        let absent = !services_in_book.contains(&(service.unit.as_str(), service.slug.as_str()));
        if service.active && absent && in_book.contains(service.unit.as_str()) {
            changes.push(Change::ServiceActive {
                unit: service.unit.clone(),
                slug: service.slug.clone(),
                active: false,
                absent: true,
            });
        }
    }

    let stored_users: HashMap<&str, &CurrentUser> = current.users.iter().map(|u| (u.email.as_str(), u)).collect();
    for user in &book.users {
        let email = user.email.to_string();
        let mut units = user.units.clone();
        units.sort();
        let Some(stored) = stored_users.get(email.as_str()) else {
            changes.push(Change::UserNew {
                email,
                name: user.name.clone(),
                role: user.role,
                units: user.units.clone(),
                active: user.active.unwrap_or(true),
            });
            continue;
        };
        let own = actor == Some(stored.id);
        if own && user.role != Role::Admin {
            issues.push(SetupIssue::cell(USER_SHEET, user.row, "peran", Problem::OwnAdminRole));
        }
        if own && user.active == Some(false) {
            issues.push(SetupIssue::cell(USER_SHEET, user.row, "aktif", Problem::OwnAccount));
        }
        let mut what = Vec::new();
        if stored.name != user.name {
            what.push("nama");
        }
        if stored.role != user.role.as_str() {
            what.push("peran");
        }
        if stored.units != units {
            what.push("unit");
        }
        if !what.is_empty() {
            let (name, role, units) = (user.name.clone(), user.role, user.units.clone());
            changes.push(Change::UserEdit { email: email.clone(), name, role, units, what });
        }
        if let Some(active) = user.active.filter(|a| *a != stored.active) {
            changes.push(Change::UserActive { email, active });
        }
    }

    let stored_counts: HashMap<(&str, &str), i64> =
        current.populations.iter().map(|(u, p, n)| ((u.as_str(), p.as_str()), *n)).collect();
    for population in &book.populations {
        let period = population.period.to_string();
        let from = stored_counts.get(&(population.unit.as_str(), period.as_str())).copied();
        if from != Some(i64::from(population.count)) {
            changes.push(Change::Population { unit: population.unit.clone(), period, from, to: population.count });
        }
    }
    if issues.is_empty() {
        Ok(Plan { changes })
    } else {
        Err(issues)
    }
}

fn unit_changes(unit: &UnitRow, stored: Option<&CurrentUnit>, changes: &mut Vec<Change>) {
    let slug = unit.slug.to_string();
    let Some(stored) = stored else {
        changes.push(Change::UnitNew {
            slug: slug.clone(),
            name: unit.name.clone(),
            kind: unit.kind,
            parent: unit.parent.clone(),
            template: unit.template.clone(),
            active: unit.active.unwrap_or(true),
        });
        let kop = Kop::default().with(&unit.letterhead);
        if !kop.is_empty() {
            changes.push(Change::UnitKop { slug, kop });
        }
        return;
    };
    let renamed = (stored.name != unit.name).then(|| stored.name.clone());
    let kind_was = (stored.kind != unit.kind.as_str()).then(|| stored.kind.clone());
    let moved = (stored.parent != unit.parent).then(|| stored.parent.clone());
    if renamed.is_some() || kind_was.is_some() || moved.is_some() {
        changes.push(Change::UnitEdit {
            slug: slug.clone(),
            name: unit.name.clone(),
            kind: unit.kind,
            parent: unit.parent.clone(),
            renamed,
            kind_was,
            moved,
        });
    }
    if stored.template != unit.template {
        changes.push(Change::UnitTemplate {
            slug: slug.clone(),
            from: stored.template.clone(),
            to: unit.template.clone(),
        });
    }
    let before = stored.kop.clone().unwrap_or_default();
    let kop = before.with(&unit.letterhead);
    if kop != before {
        changes.push(Change::UnitKop { slug: slug.clone(), kop });
    }
    if let Some(active) = unit.active.filter(|a| *a != stored.active) {
        changes.push(Change::UnitActive { slug, active, absent: false });
    }
}

/// The units parents first (each after the unit above it), otherwise in the sheet's order: a
/// new unit's parent exists when it is added, and a unit moved under another is moved after
/// that one has its place (so no step makes a loop).
fn tree_order(units: &[UnitRow]) -> Vec<&UnitRow> {
    let slugs: BTreeSet<&str> = units.iter().map(|u| u.slug.as_str()).collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::with_capacity(units.len());
    loop {
        let before = out.len();
        for unit in units {
            let ready = match unit.parent.as_deref() {
                None => true,
                Some(parent) => placed.contains(parent) || !slugs.contains(parent),
            };
            if ready && !placed.contains(unit.slug.as_str()) {
                placed.insert(unit.slug.as_str());
                out.push(unit);
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::email::Email;
    use crate::domain::names::Slug;

    fn unit(row: u32, slug: &str, parent: Option<&str>) -> UnitRow {
        UnitRow {
            row,
            slug: Slug::parse(slug).expect("slug"),
            name: format!("Unit {slug}"),
            kind: if parent.is_some() { UnitKind::Opd } else { UnitKind::Regency },
            parent: parent.map(String::from),
            template: None,
            active: None,
            letterhead: LetterheadFields::default(),
        }
    }

    fn stored(slug: &str, parent: Option<&str>) -> CurrentUnit {
        CurrentUnit {
            slug: slug.into(),
            name: format!("Unit {slug}"),
            kind: if parent.is_some() { "opd" } else { "regency" }.into(),
            parent: parent.map(String::from),
            template: None,
            active: true,
            kop: None,
        }
    }

    fn current() -> Current {
        Current {
            units: vec![stored("kutim", None), stored("dinas", Some("kutim")), stored("lama", Some("kutim"))],
            services: ["ktp-el", "akta"]
                .iter()
                .map(|s| CurrentService {
                    unit: "dinas".into(),
                    slug: s.to_string(),
                    name: s.to_string(),
                    active: true,
                })
                .chain([CurrentService { unit: "lama".into(), slug: "x".into(), name: "x".into(), active: true }])
                .collect(),
            users: vec![CurrentUser {
                id: 7,
                email: "admin@kutim.go.id".into(),
                name: "Admin".into(),
                role: "admin".into(),
                units: Vec::new(),
                active: true,
            }],
            populations: vec![("dinas".into(), "2026".into(), 100)],
        }
    }

    #[test]
    fn what_the_workbook_leaves_out_is_disabled_users_excepted_and_the_same_book_changes_nothing() {
        let book = Book {
            units: vec![unit(2, "kutim", None), unit(3, "dinas", Some("kutim"))],
            services: vec![ServiceRow {
                row: 2,
                unit: "dinas".into(),
                slug: Slug::parse("ktp-el").expect("slug"),
                name: "ktp-el".into(),
                active: None,
            }],
            users: Vec::new(),
            populations: Vec::new(),
        };
        let plan = plan(&book, &current(), Some(7)).expect("a plan");
        assert_eq!(
            plan.changes,
            [
                Change::UnitActive { slug: "lama".into(), active: false, absent: true },
                Change::ServiceActive { unit: "dinas".into(), slug: "akta".into(), active: false, absent: true },
            ],
            "lama's own service closes with it; the admin left out of the sheet is left alone"
        );
        assert_eq!(
            plan.summary(Tr::new(crate::domain::template::Lang::Id)),
            "1 unit dinonaktifkan, 1 layanan dinonaktifkan"
        );
    }

    #[test]
    fn a_new_subtree_is_added_parents_first_whatever_the_sheets_order() {
        let book = Book {
            units: vec![
                unit(2, "puskesmas", Some("dinkes")),
                unit(3, "dinkes", Some("kutim")),
                unit(4, "kutim", None),
                unit(5, "dinas", Some("kutim")),
                unit(6, "lama", Some("kutim")),
            ],
            ..Book::default()
        };
        let mut current = current();
        current.services.clear();
        let plan = plan(&book, &current, None).expect("a plan");
        let added: Vec<&str> = plan
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::UnitNew { slug, .. } => Some(slug.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(added, ["dinkes", "puskesmas"]);
        assert_ne!(plan.fingerprint(), Plan::default().fingerprint());
    }

    #[test]
    fn a_user_row_is_compared_by_its_units_as_a_set() {
        let mut current = current();
        current.users.push(CurrentUser {
            id: 8,
            email: "op@kutim.go.id".into(),
            name: "Op".into(),
            role: "operator".into(),
            units: vec!["dinas".into(), "kutim".into()],
            active: true,
        });
        let row = |units: &[&str], active| UserRow {
            row: 2,
            email: Email::parse("OP@kutim.go.id").expect("email"),
            name: "Op".into(),
            role: Role::Operator,
            units: units.iter().map(|s| s.to_string()).collect(),
            active,
        };
        let book = |user| Book {
            units: vec![unit(2, "kutim", None), unit(3, "dinas", Some("kutim")), unit(4, "lama", Some("kutim"))],
            services: ["ktp-el", "akta"]
                .iter()
                .map(|s| ServiceRow {
                    row: 2,
                    unit: "dinas".into(),
                    slug: Slug::parse(s).expect("slug"),
                    name: s.to_string(),
                    active: None,
                })
                .chain([ServiceRow {
                    row: 4,
                    unit: "lama".into(),
                    slug: Slug::parse("x").expect("slug"),
                    name: "x".into(),
                    active: None,
                }])
                .collect(),
            users: vec![user],
            populations: vec![PopulationRow {
                row: 2,
                unit: "dinas".into(),
                period: "2026".parse().expect("period"),
                count: 100,
            }],
        };
        assert!(plan(&book(row(&["kutim", "dinas"], Some(true))), &current, None).expect("plan").is_empty());
        let disabled = plan(&book(row(&["dinas"], Some(false))), &current, None).expect("plan");
        assert_eq!(disabled.counts(), [("user_changed", 1), ("user_disabled", 1)]);
    }

    #[test]
    fn a_user_left_without_units_is_said_to_have_none() {
        let change = Change::UserEdit {
            email: "admin@kutim.go.id".into(),
            name: "Bagian Organisasi".into(),
            role: Role::Admin,
            units: Vec::new(),
            what: vec!["nama", "unit"],
        };
        assert_eq!(
            change.text(Tr::new(crate::domain::template::Lang::Id)),
            "Pengguna admin@kutim.go.id: nama → \"Bagian Organisasi\"; unit → (tidak ada)"
        );
    }

    #[test]
    fn a_new_regency_in_place_of_the_stored_one_is_refused_naming_the_stored_slug() {
        let book = Book {
            units: vec![unit(2, "kutai-timur", None), unit(3, "dinas", Some("kutai-timur"))],
            ..Book::default()
        };
        let issues = plan(&book, &current(), None).expect_err("the stored regency kutim would be closed");
        let texts: Vec<String> = issues.iter().map(|i| i.text(Tr::new(crate::domain::template::Lang::Id))).collect();
        assert_eq!(
            texts,
            ["lembar Unit, baris 2, kolom slug: kabupaten 'kutim' sudah tersimpan; tulis slug 'kutim' di baris ini, \
              bukan 'kutai-timur' (slug tidak dapat diubah)"]
        );
        // a second regency next to the stored one is a deployment of several regencies
        let both = Book { units: vec![unit(2, "kutim", None), unit(3, "berau", None)], ..Book::default() };
        assert!(plan(&both, &current(), None).is_ok());
    }
}
