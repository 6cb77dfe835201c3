//! `/admin`'s counters (loket) and officers (petugas): each unit's list with the links a counter's
//! QR poster and a kiosk at it open, and the forms that add one (`POST /admin/desk`) and take it
//! out of use or back (`POST /admin/desk-disable`, `/admin/desk-enable`). The rules and the audit
//! record are `crate::desks`', shared with `skm unit counter|officer …`.

use super::i18n::Tr;
use crate::db::counters::{self, Roster};
use crate::db::{units, DbConnection, DbError};
use crate::desks::{self, DeskError};
use crate::domain::template::Lang;
use std::collections::BTreeMap;

/// The admin form actions of this part.
pub(super) const ACTIONS: [&str; 3] = ["desk", "desk-disable", "desk-enable"];

/// A counter or officer as the admin page lists it.
pub(super) struct DeskRow {
    pub unit_slug: String,
    pub unit_name: String,
    /// `loket` or `petugas` (the form's `kind`, and the link's parameter)
    pub kind: &'static str,
    pub code: String,
    pub name: String,
    pub enabled: bool,
}

fn roster_of(kind: &str) -> Option<Roster> {
    match kind {
        "loket" => Some(Roster::Counters),
        "petugas" => Some(Roster::Officers),
        _ => None,
    }
}

/// Every unit's counters, then its officers, units in name order.
pub(super) fn rows(conn: &mut DbConnection) -> Result<Vec<DeskRow>, DbError> {
    let names: BTreeMap<i32, (String, String)> =
        units::list(conn)?.into_iter().map(|u| (u.id, (u.slug, u.name))).collect();
    let mut rows = Vec::new();
    for (roster, kind) in [(Roster::Counters, "loket"), (Roster::Officers, "petugas")] {
        for member in counters::all(conn, roster)? {
            let Some((slug, name)) = names.get(&member.unit_id) else { continue };
            rows.push(DeskRow {
                unit_slug: slug.clone(),
                unit_name: name.clone(),
                kind,
                code: member.code,
                name: member.name,
                enabled: member.enabled,
            });
        }
    }
    rows.sort_by(|a, b| a.unit_name.cmp(&b.unit_name).then(a.kind.cmp(b.kind)).then(a.code.cmp(&b.code)));
    Ok(rows)
}

/// Applies one of `ACTIONS`; `Err(Ok(text))` is a problem with the input, in the page's words.
pub(super) fn change(
    conn: &mut DbConnection,
    by: Option<i32>,
    action: &str,
    f: &BTreeMap<String, String>,
) -> Result<(), Result<String, DbError>> {
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let t = Tr::new(Lang::Id);
    let roster = roster_of(get("kind")).ok_or_else(|| Ok(t.t("admin.desk.error.kind").to_string()))?;
    let done = match action {
        "desk" => desks::add(conn, by, roster, get("unit"), get("code"), get("name")).map(drop),
        _ => desks::set_enabled(conn, by, roster, get("unit"), get("code"), action == "desk-enable"),
    };
    done.map_err(|err| {
        let args = |code: String| [("code", code)];
        Ok(match err {
            DeskError::Db(e) => return Err(e),
            DeskError::UnitUnknown(_) => t.t("admin.desk.error.unit").to_string(),
            DeskError::CodeInvalid(code) => t.fill("admin.desk.error.code", &args(code)),
            DeskError::NameEmpty => t.t("admin.desk.error.name").to_string(),
            DeskError::CodeTaken(code) => t.fill("admin.desk.error.taken", &args(code)),
            DeskError::CodeUnknown(code) => t.fill("admin.desk.error.unknown", &args(code)),
        })
    })
}
