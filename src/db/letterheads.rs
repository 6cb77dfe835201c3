//! Each unit's kop surat (letterhead) and report signer, one row per unit that has set one. The
//! logo is stored as base64 text (see the migration) and handed out as bytes.

use super::schema::{unit_letterheads, units};
use super::{now_utc, DbConnection, DbError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::prelude::*;

/// What a unit has set; empty text is not set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letterhead {
    pub agency: String,
    pub address: String,
    pub phone: String,
    pub website: String,
    /// a PNG or JPEG file, checked before it is stored
    pub logo: Option<Vec<u8>>,
    pub place: String,
    pub position: String,
    pub head_name: String,
    /// 18 digits or empty
    pub nip: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = unit_letterheads)]
struct Row {
    unit_id: i32,
    agency: String,
    address: String,
    phone: String,
    website: String,
    logo: Option<String>,
    place: String,
    position: String,
    head_name: String,
    nip: String,
}

impl Row {
    fn into_letterhead(self) -> (i32, Letterhead) {
        // only this module writes the column; text that is not base64 would be a damaged row
        let logo = self.logo.and_then(|text| STANDARD.decode(text).ok());
        let Row { unit_id, agency, address, phone, website, place, position, head_name, nip, .. } = self;
        (unit_id, Letterhead { agency, address, phone, website, logo, place, position, head_name, nip })
    }
}

pub fn of_unit(conn: &mut DbConnection, unit_id: i32) -> Result<Option<Letterhead>, DbError> {
    let row = unit_letterheads::table.find(unit_id).select(Row::as_select()).first(conn).optional()?;
    Ok(row.map(|r| r.into_letterhead().1))
}

/// Every unit's letterhead, by unit id (for the admin page; tens of units).
pub fn all(conn: &mut DbConnection) -> Result<Vec<(i32, Letterhead)>, DbError> {
    let rows: Vec<Row> =
        unit_letterheads::table.order(unit_letterheads::unit_id).select(Row::as_select()).load(conn)?;
    Ok(rows.into_iter().map(Row::into_letterhead).collect())
}

/// The unit and each unit above it, nearest first, each with its letterhead if it has one.
pub fn chain(conn: &mut DbConnection, unit_id: i32) -> Result<Vec<(i32, Option<Letterhead>)>, DbError> {
    // up the tree one parent at a time: a few levels, where the whole tree is 50,000 units
    let mut ids = vec![unit_id];
    while let Some(parent) =
        units::table.find(ids[ids.len() - 1]).select(units::parent_id).first::<Option<i32>>(conn).optional()?.flatten()
    {
        // a cycle cannot be made through skm, but never loop on a damaged tree
        if ids.contains(&parent) {
            break;
        }
        ids.push(parent);
    }
    let rows: Vec<Row> =
        unit_letterheads::table.filter(unit_letterheads::unit_id.eq_any(&ids)).select(Row::as_select()).load(conn)?;
    let mut found: Vec<(i32, Letterhead)> = rows.into_iter().map(Row::into_letterhead).collect();
    Ok(ids
        .into_iter()
        .map(|id| {
            let letterhead = found.iter().position(|(u, _)| *u == id).map(|at| found.swap_remove(at).1);
            (id, letterhead)
        })
        .collect())
}

/// Stores a unit's letterhead, replacing what it had.
pub fn save(conn: &mut DbConnection, unit_id: i32, letterhead: &Letterhead) -> Result<(), DbError> {
    let Letterhead { agency, address, phone, website, logo, place, position, head_name, nip } = letterhead;
    let values = (
        unit_letterheads::agency.eq(agency),
        unit_letterheads::address.eq(address),
        unit_letterheads::phone.eq(phone),
        unit_letterheads::website.eq(website),
        unit_letterheads::logo.eq(logo.as_ref().map(|bytes| STANDARD.encode(bytes))),
        unit_letterheads::place.eq(place),
        unit_letterheads::position.eq(position),
        unit_letterheads::head_name.eq(head_name),
        unit_letterheads::nip.eq(nip),
        unit_letterheads::updated_at.eq(now_utc()),
    );
    conn.transaction(|conn| {
        let updated = diesel::update(unit_letterheads::table.find(unit_id)).set(values.clone()).execute(conn)?;
        if updated == 0 {
            diesel::insert_into(unit_letterheads::table)
                .values((unit_letterheads::unit_id.eq(unit_id), values))
                .execute(conn)?;
        }
        Ok(())
    })
}
