//! The sent-email log that makes the monthly summary exactly-once: a row per (recipient,
//! period, kind) is claimed before sending and marked after. A claim is an INSERT on the unique
//! key (or taking over a failed row), so two instances can never both own one message.

use super::schema::{email_log, job_leases};
use super::{now_utc, DbConnection, DbError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// ours to send (attempt number)
    Mine(i32),
    /// already delivered
    Sent,
    /// another run owns it, or a run died between sending and recording: never resend blindly
    Busy,
}

pub fn claim(conn: &mut DbConnection, recipient: &str, period: &str, kind: &str) -> Result<Claim, DbError> {
    let now = now_utc();
    let inserted = diesel::insert_into(email_log::table)
        .values((
            email_log::recipient.eq(recipient),
            email_log::period.eq(period),
            email_log::kind.eq(kind),
            email_log::status.eq("pending"),
            email_log::attempts.eq(1),
            email_log::created_at.eq(now),
        ))
        .execute(conn);
    match inserted.map_err(DbError::from) {
        Ok(_) => return Ok(Claim::Mine(1)),
        Err(DbError::Conflict(_)) => {}
        Err(other) => return Err(other),
    }
    let row = email_log::table
        .filter(email_log::recipient.eq(recipient))
        .filter(email_log::period.eq(period))
        .filter(email_log::kind.eq(kind));
    let (status, attempts): (String, i32) = row.select((email_log::status, email_log::attempts)).first(conn)?;
    match status.as_str() {
        "sent" => Ok(Claim::Sent),
        "failed" => {
            // take it over only if it is still failed: a concurrent run may have just done so
            let taken = diesel::update(row.filter(email_log::status.eq("failed")))
                .set((email_log::status.eq("pending"), email_log::attempts.eq(attempts + 1)))
                .execute(conn)?;
            Ok(if taken == 1 { Claim::Mine(attempts + 1) } else { Claim::Busy })
        }
        _ => Ok(Claim::Busy),
    }
}

pub fn finish(
    conn: &mut DbConnection,
    recipient: &str,
    period: &str,
    kind: &str,
    error: Option<&str>,
) -> Result<(), DbError> {
    let row = email_log::table
        .filter(email_log::recipient.eq(recipient))
        .filter(email_log::period.eq(period))
        .filter(email_log::kind.eq(kind));
    match error {
        None => diesel::update(row)
            .set((
                email_log::status.eq("sent"),
                email_log::sent_at.eq(Some(now_utc())),
                email_log::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Some(e) => diesel::update(row)
            .set((email_log::status.eq("failed"), email_log::last_error.eq(Some(e))))
            .execute(conn)?,
    };
    Ok(())
}

/// Messages that need a person: failed ones, and pending ones older than an hour (a run died
/// while sending them; whether they arrived is unknown).
/// (recipient, period, status, attempts, last error)
pub type Problem = (String, String, String, i32, Option<String>);

pub fn problems(conn: &mut DbConnection) -> Result<Vec<Problem>, DbError> {
    let hour_ago = now_utc() - chrono::Duration::hours(1);
    Ok(email_log::table
        .filter(
            email_log::status.eq("failed").or(email_log::status.eq("pending").and(email_log::created_at.lt(hour_ago))),
        )
        .order(email_log::id.desc())
        .limit(200)
        .select((
            email_log::recipient,
            email_log::period,
            email_log::status,
            email_log::attempts,
            email_log::last_error,
        ))
        .load(conn)?)
}

/// Takes (or renews) the named lease for `seconds`; false while another holder's lease runs.
pub fn take_lease(conn: &mut DbConnection, name: &str, holder: &str, seconds: i64) -> Result<bool, DbError> {
    let now = now_utc();
    let until = now + chrono::Duration::seconds(seconds);
    let renewed = diesel::update(
        job_leases::table.find(name).filter(job_leases::holder.eq(holder).or(job_leases::expires_at.lt(now))),
    )
    .set((job_leases::holder.eq(holder), job_leases::expires_at.eq(until)))
    .execute(conn)?;
    if renewed == 1 {
        return Ok(true);
    }
    let inserted = diesel::insert_into(job_leases::table)
        .values((job_leases::name.eq(name), job_leases::holder.eq(holder), job_leases::expires_at.eq(until)))
        .execute(conn);
    match inserted.map_err(DbError::from) {
        Ok(_) => Ok(true),
        Err(DbError::Conflict(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

pub fn release_lease(conn: &mut DbConnection, name: &str, holder: &str) -> Result<(), DbError> {
    diesel::delete(job_leases::table.find(name).filter(job_leases::holder.eq(holder))).execute(conn)?;
    Ok(())
}

/// How many messages the log holds in each status (pending, sent, failed), for metrics.
pub fn status_counts(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, DbError> {
    Ok(email_log::table
        .group_by(email_log::status)
        .select((email_log::status, diesel::dsl::count_star()))
        .load(conn)?)
}
