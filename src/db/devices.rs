//! Enrolled devices (issue 20): kiosk tablets and enumerators' phones, the units each serves,
//! their enrolment codes (only as a SHA-256), public keys and last sync.

use super::schema::{device_units, devices, responses};
use super::{DbConnection, DbError};
use crate::domain::names::Channel;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = devices)]
pub struct Device {
    pub id: i32,
    pub public_id: String,
    pub kind: String,
    pub label: String,
    /// the enumerator's name (an enumerator device)
    pub person: Option<String>,
    pub counter_id: Option<i32>,
    /// the ECDSA P-256 public key, base64url of its uncompressed point; `None` until enrolled
    pub public_key: Option<String>,
    pub key_fingerprint: Option<String>,
    pub enrol_code_hash: Option<String>,
    pub enrol_expires_at: Option<NaiveDateTime>,
    pub enrolled_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_sync_at: Option<NaiveDateTime>,
    pub pending_reported: Option<i32>,
    pub refused_uploads: i32,
    pub last_refused_at: Option<NaiveDateTime>,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = devices)]
pub struct NewDevice<'a> {
    pub public_id: &'a str,
    pub kind: &'a str,
    pub label: &'a str,
    pub person: Option<&'a str>,
    pub counter_id: Option<i32>,
    pub enrol_code_hash: &'a str,
    pub enrol_expires_at: NaiveDateTime,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
}

/// Stores a device waiting for its enrolment, bound to `unit_ids`.
pub fn insert(conn: &mut DbConnection, row: &NewDevice, unit_ids: &[i32]) -> Result<Device, DbError> {
    conn.transaction(|conn| {
        diesel::insert_into(devices::table).values(row).execute(conn)?;
        let device = by_public_id(conn, row.public_id)?.ok_or(DbError::NotFound)?;
        for unit_id in unit_ids {
            diesel::insert_into(device_units::table)
                .values((device_units::device_id.eq(device.id), device_units::unit_id.eq(unit_id)))
                .execute(conn)?;
        }
        Ok(device)
    })
}

pub fn by_public_id(conn: &mut DbConnection, public_id: &str) -> Result<Option<Device>, DbError> {
    Ok(devices::table.filter(devices::public_id.eq(public_id)).select(Device::as_select()).first(conn).optional()?)
}

pub fn by_code_hash(conn: &mut DbConnection, hash: &str) -> Result<Option<Device>, DbError> {
    Ok(devices::table.filter(devices::enrol_code_hash.eq(hash)).select(Device::as_select()).first(conn).optional()?)
}

/// Completes an enrolment: one conditional UPDATE that spends the code, so of two devices
/// racing with one code exactly one gets it. `false`: the code was spent meanwhile.
pub fn complete_enrolment(
    conn: &mut DbConnection,
    id: i32,
    code_hash: &str,
    public_key: &str,
    fingerprint: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        devices::table.find(id).filter(devices::enrol_code_hash.eq(code_hash)).filter(devices::enrolled_at.is_null()),
    )
    .set((
        devices::public_key.eq(public_key),
        devices::key_fingerprint.eq(fingerprint),
        devices::enrol_code_hash.eq(None::<String>),
        devices::enrol_expires_at.eq(None::<NaiveDateTime>),
        devices::enrolled_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// A new enrolment code for a device that has not completed its enrolment.
pub fn renew_code(
    conn: &mut DbConnection,
    id: i32,
    code_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(devices::table.find(id).filter(devices::enrolled_at.is_null()))
        .set((devices::enrol_code_hash.eq(code_hash), devices::enrol_expires_at.eq(expires_at)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The units a device serves.
pub fn unit_ids(conn: &mut DbConnection, device_id: i32) -> Result<Vec<i32>, DbError> {
    Ok(device_units::table
        .filter(device_units::device_id.eq(device_id))
        .order(device_units::unit_id)
        .select(device_units::unit_id)
        .load(conn)?)
}

/// Every device that serves one of `unit_ids`, newest first.
pub fn for_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<Vec<Device>, DbError> {
    let ids = device_units::table.filter(device_units::unit_id.eq_any(unit_ids)).select(device_units::device_id);
    Ok(devices::table
        .filter(devices::id.eq_any(ids))
        .order(devices::id.desc())
        .select(Device::as_select())
        .load(conn)?)
}

/// Revokes a device (once: the first revocation's time stays). `false`: already revoked.
pub fn revoke(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(devices::table.find(id).filter(devices::revoked_at.is_null()))
        .set((devices::revoked_at.eq(now), devices::enrol_code_hash.eq(None::<String>)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// A request from the device was answered: when, and how many responses it said were waiting.
pub fn record_sync(conn: &mut DbConnection, id: i32, now: NaiveDateTime, pending: Option<i32>) -> Result<(), DbError> {
    diesel::update(devices::table.find(id))
        .set((devices::last_sync_at.eq(now), devices::pending_reported.eq(pending)))
        .execute(conn)?;
    Ok(())
}

/// Within an upload's transaction: marks the device as syncing now, unless it was revoked
/// (`false`). The UPDATE locks the device's row until the commit.
pub fn touch_unrevoked(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(devices::table.find(id).filter(devices::revoked_at.is_null()))
        .set(devices::last_sync_at.eq(now))
        .execute(conn)?;
    Ok(changed == 1)
}

/// An upload from the revoked device was refused.
pub fn record_refusal(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(devices::table.find(id))
        .set((devices::refused_uploads.eq(devices::refused_uploads + 1), devices::last_refused_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Which device stored the response `id`: `None` when there is no such response,
/// `Some(None)` when it came another way (the form, paper, an import).
pub fn response_origin(conn: &mut DbConnection, id: &str) -> Result<Option<Option<i32>>, DbError> {
    Ok(responses::table.find(id).select(responses::device_id).first(conn).optional()?)
}

/// How many responses of the device were answered in `[from, to)`: its rate limit.
pub fn answered_between(
    conn: &mut DbConnection,
    device_id: i32,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(responses::table
        .filter(responses::device_id.eq(device_id))
        .filter(responses::submitted_at.ge(from))
        .filter(responses::submitted_at.lt(to))
        .count()
        .get_result(conn)?)
}

/// Marks a stored response as uploaded by `device_id` at `received_at` (in the response's own
/// transaction).
pub fn stamp_response(
    conn: &mut DbConnection,
    response_id: &str,
    device_id: i32,
    received_at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(responses::table.find(response_id))
        .set((responses::device_id.eq(device_id), responses::received_at.eq(received_at)))
        .execute(conn)?;
    Ok(())
}

/// Interviews per enumerator (the device's person, else its label), most first, from the
/// counts per device (`aggregate::ProfileCounts::enumerator_devices`).
pub fn enumerator_counts(
    conn: &mut DbConnection,
    per_device: &[(Option<i32>, i64)],
) -> Result<Vec<(String, i64)>, DbError> {
    if per_device.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = per_device.iter().filter_map(|(id, _)| *id).collect();
    let names: BTreeMap<i32, String> = devices::table
        .filter(devices::id.eq_any(&ids))
        .select((devices::id, devices::label, devices::person))
        .load::<(i32, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, label, person)| (id, person.unwrap_or(label)))
        .collect();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for (id, n) in per_device {
        let name = id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| "-".to_string());
        *counts.entry(name).or_default() += *n;
    }
    let mut counts: Vec<(String, i64)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(counts)
}

/// The demo only: the unit's paper responses since `since` become the enumerator device's
/// interviews (received when they were answered).
pub fn attribute_paper_for_demo(
    conn: &mut DbConnection,
    device_id: i32,
    unit_id: i32,
    since: chrono::NaiveDate,
) -> Result<(), DbError> {
    diesel::update(
        responses::table
            .filter(responses::unit_id.eq(unit_id))
            .filter(responses::channel.eq(Channel::Paper.as_str()))
            .filter(responses::survey_date.ge(since.to_string())),
    )
    .set((
        responses::channel.eq(Channel::Enumerator.as_str()),
        responses::device_id.eq(device_id),
        responses::received_at.eq(responses::submitted_at.nullable()),
    ))
    .execute(conn)?;
    Ok(())
}
