//! Writing responses: the response row and its answers in one transaction.

use super::schema::{answers, responses, ticket_codes, used_form_tokens};
use super::statement::{Statement, Value};
use super::{DbConnection, DbError};
use crate::domain::names::Channel;
use crate::domain::submission::BurstRule;
use crate::security::form_token::Desk;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use thiserror::Error;
use uuid::Uuid;

/// A validated response, ready to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub id: Uuid,
    pub unit_id: i32,
    pub service_id: Option<i32>,
    pub template_version_id: i32,
    pub channel: Channel,
    pub submitted_at: NaiveDateTime,
    /// the local date of the survey (SPEC §5); paper entry may set an earlier one
    pub survey_date: NaiveDate,
    pub gender: Option<String>,
    pub age: Option<i32>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    /// other template-defined profile fields, as a JSON object
    pub profile_extra: Option<String>,
    pub saran: Option<String>,
    pub client_hash: Option<String>,
    /// (element code, score); unanswered elements are absent
    pub answers: Vec<(String, i32)>,
}

/// What a public submission must prove besides its answers.
#[derive(Debug, Clone, Default)]
pub struct Guards<'a> {
    /// the one-time form token's nonce: spent in the same transaction as the response
    pub token_nonce: Option<&'a str>,
    /// the ticket code, for units in ticket mode
    pub ticket_code: Option<&'a str>,
    /// when identical answer sets from one client flag the response
    pub burst: BurstRule,
    /// the client's shared rate-limit counter, counted in the same transaction (one commit per
    /// submission instead of two)
    pub rate_limit: Option<RateGuard<'a>>,
    /// the survey invitation the form was opened through: spent in the same transaction, so
    /// that of concurrent submissions through one invitation exactly one is stored
    pub invitation_id: Option<i32>,
    /// an enrolled device's upload: its per-minute limit, and the device and arrival time stamped
    /// on the row, in the same transaction
    pub device: Option<DeviceGuard>,
}

/// An enrolled device's upload (issue 20). Its limit counts the device's responses answered in
/// the same minute as this one (`submitted_at` is the answered time), so that a day's offline
/// answers uploaded at once are judged by when they were given.
#[derive(Debug, Clone, Copy)]
pub struct DeviceGuard {
    pub device_id: i32,
    pub received_at: NaiveDateTime,
    pub per_minute: u32,
}

/// One hit on a client's fixed-window counter (`db::rate_limits`).
#[derive(Debug, Clone, Copy)]
pub struct RateGuard<'a> {
    pub key: &'a str,
    pub window_start: i64,
    pub limit: u32,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("this form has already been submitted")]
    TokenUsed,
    #[error("unknown ticket code")]
    TicketUnknown,
    #[error("the ticket code has already been used")]
    TicketUsed,
    /// the survey invitation has already been answered (or no longer exists)
    #[error("the invitation has already been used")]
    InvitationUsed,
    /// the client sent more than its limit in this window; nothing is stored (nor counted)
    #[error("too many submissions from this client")]
    RateLimited,
    /// the uploading device was revoked (checked in the transaction, so a revocation that commits
    /// during an upload stops the rest of it)
    #[error("the device was revoked")]
    DeviceRevoked,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for StoreError {
    fn from(err: diesel::result::Error) -> Self {
        StoreError::Db(err.into())
    }
}

/// The answer set as text, equal for identical submissions.
pub fn answer_key(answers: &[(String, i32)]) -> String {
    let mut parts: Vec<String> = answers.iter().map(|(code, score)| format!("{code}={score}")).collect();
    parts.sort();
    parts.join(";")
}

/// Stores a response and its answers atomically; returns whether it was flagged as part of a
/// burst. The first statement writes, so on SQLite the transaction takes the write lock at once;
/// the daily totals come last, so their rows (shared by every response of the unit's day) stay
/// locked only until the commit.
pub fn insert_guarded(conn: &mut DbConnection, response: &NewResponse, guards: &Guards) -> Result<bool, StoreError> {
    insert_at_desk(conn, response, guards, Desk::default())
}

/// As `insert_guarded`, recording the counter and officer the response was given at.
pub fn insert_at_desk(
    conn: &mut DbConnection,
    response: &NewResponse,
    guards: &Guards,
    desk: Desk,
) -> Result<bool, StoreError> {
    insert_submission(conn, response, &[], guards, desk)
}

/// As `insert_at_desk`, with the answers to the unit's attached instruments (Zona Integritas):
/// all of it in the one transaction, so a spent token or a refused ticket stores none of them.
pub fn insert_submission(
    conn: &mut DbConnection,
    response: &NewResponse,
    instruments: &[super::instruments::InstrumentAnswers],
    guards: &Guards,
    desk: Desk,
) -> Result<bool, StoreError> {
    conn.transaction(|conn| {
        let flagged = write_guarded(conn, response, instruments, guards, desk)?;
        add_totals(conn, response)?;
        Ok(flagged)
    })
}

/// As `insert_submission` inside the caller's open transaction (`db::group_commit`), in a
/// savepoint of its own, its totals counted in `pending` instead of written: the caller writes
/// them in the same transaction. The inner result is the submission's outcome (refused, it is
/// rolled back to its savepoint); an outer error means the savepoint itself failed and the
/// caller's transaction can no longer be trusted.
pub fn insert_submission_pending(
    conn: &mut DbConnection,
    response: &NewResponse,
    instruments: &[super::instruments::InstrumentAnswers],
    guards: &Guards,
    desk: Desk,
    pending: &mut super::totals::Pending,
) -> Result<Result<bool, StoreError>, DbError> {
    // By hand rather than diesel's nested `transaction`, whose savepoint statements are compiled
    // again each time (`batch_execute`); these are prepared once per connection.
    Statement::new().sql("SAVEPOINT submission").execute(conn)?;
    match write_guarded(conn, response, instruments, guards, desk) {
        Ok(flagged) => {
            Statement::new().sql("RELEASE submission").execute(conn)?;
            let survey_date = response.survey_date.to_string();
            pending.add(&day_of(response, &survey_date), &response.answers);
            Ok(Ok(flagged))
        }
        Err(refused) => {
            Statement::new().sql("ROLLBACK TO submission").execute(conn)?;
            Statement::new().sql("RELEASE submission").execute(conn)?;
            Ok(Err(refused))
        }
    }
}

/// Everything of a guarded submission but its totals; whether it was flagged as part of a burst.
fn write_guarded(
    conn: &mut DbConnection,
    response: &NewResponse,
    instruments: &[super::instruments::InstrumentAnswers],
    guards: &Guards,
    desk: Desk,
) -> Result<bool, StoreError> {
    let id = response.id.to_string();
    if let Some(rate) = guards.rate_limit {
        let hits = super::rate_limits::hit(conn, rate.key, rate.window_start)?;
        if i64::from(hits) > i64::from(rate.limit) {
            return Err(StoreError::RateLimited);
        }
    }
    if let Some(nonce) = guards.token_nonce {
        let spent = diesel::insert_into(used_form_tokens::table)
            .values((used_form_tokens::nonce.eq(nonce), used_form_tokens::used_at.eq(response.submitted_at)))
            .execute(conn);
        match spent.map_err(DbError::from) {
            Ok(_) => {}
            Err(DbError::Conflict(_)) => return Err(StoreError::TokenUsed),
            Err(other) => return Err(other.into()),
        }
    }
    write_response(conn, &id, response)?;
    super::instruments::write_answers(conn, &id, instruments)?;
    if !desk.is_empty() {
        diesel::update(responses::table.find(&id))
            .set((
                responses::counter_id.eq(desk.counter_id),
                responses::officer_id.eq(desk.officer_id),
                responses::via_unit_id.eq(desk.via_unit_id),
            ))
            .execute(conn)?;
    }
    if let Some(code) = guards.ticket_code {
        let claimed = diesel::update(
            ticket_codes::table
                .filter(ticket_codes::unit_id.eq(response.unit_id))
                .filter(ticket_codes::code.eq(code))
                .filter(ticket_codes::used_at.is_null()),
        )
        .set((ticket_codes::used_at.eq(response.submitted_at), ticket_codes::response_id.eq(&id)))
        .execute(conn)?;
        if claimed == 0 {
            let exists = ticket_codes::table.find((response.unit_id, code)).count().get_result::<i64>(conn)? > 0;
            return Err(if exists { StoreError::TicketUsed } else { StoreError::TicketUnknown });
        }
    }
    if let Some(invitation) = guards.invitation_id {
        if !super::invitations::spend(conn, invitation, &id, response.submitted_at)? {
            return Err(StoreError::InvitationUsed);
        }
    }
    if let Some(device) = guards.device {
        // the device's row, locked until the commit: a revoked device stores nothing, and
        // two uploads of one device count its rate limit one after the other
        if !super::devices::touch_unrevoked(conn, device.device_id, device.received_at)? {
            return Err(StoreError::DeviceRevoked);
        }
        super::devices::stamp_response(conn, &id, device.device_id, device.received_at)?;
        // after the write, not before: on SQLite the transaction must write first to take the
        // write lock at once (a read first would fail to upgrade when another writer committed
        // meanwhile); the count then includes this response, and going over rolls it back
        let minute = crate::domain::device::minute_of(response.submitted_at.and_utc()).naive_utc();
        let answered =
            super::devices::answered_between(conn, device.device_id, minute, minute + chrono::Duration::minutes(1))?;
        if answered > i64::from(device.per_minute) {
            return Err(StoreError::RateLimited);
        }
    }
    Ok(flag_burst(conn, response, guards)?)
}

/// Stores a response without guards (paper entry, imports, seed data).
pub fn insert(conn: &mut DbConnection, response: &NewResponse) -> Result<(), DbError> {
    insert_combined(conn, response, &[])
}

/// As `insert`, with the answers to attached instruments (Zona Integritas), in one transaction.
pub fn insert_combined(
    conn: &mut DbConnection,
    response: &NewResponse,
    instruments: &[super::instruments::InstrumentAnswers],
) -> Result<(), DbError> {
    let id = response.id.to_string();
    conn.transaction(|conn| {
        write_response(conn, &id, response)?;
        super::instruments::write_answers(conn, &id, instruments)?;
        add_totals(conn, response)
    })
}

fn flag_burst(conn: &mut DbConnection, response: &NewResponse, guards: &Guards) -> Result<bool, DbError> {
    let Some(client) = &response.client_hash else {
        return Ok(false);
    };
    if !guards.burst.is_on() {
        return Ok(false);
    }
    let since = response.submitted_at - chrono::Duration::minutes(i64::from(guards.burst.window_minutes));
    let key = answer_key(&response.answers);
    // a day before the window's start in UTC is before it in every zone: on PostgreSQL this
    // lets the planner read only the running month's partition (or the last two). No upper
    // bound: with both bounds SQLite's planner takes the (unit, date) index and counts the
    // unit's whole day for every submission instead of the client's few rows (`responses_burst`).
    let earliest = (since.date() - chrono::Duration::days(1)).to_string();
    let same = responses::table
        .filter(responses::survey_date.ge(&earliest))
        .filter(responses::unit_id.eq(response.unit_id))
        .filter(responses::client_hash.eq(client))
        .filter(responses::answer_key.eq(&key))
        .filter(responses::submitted_at.ge(since));
    let count: i64 = same.count().get_result(conn)?;
    if count < i64::from(guards.burst.threshold) {
        return Ok(false);
    }
    diesel::update(same).set(responses::flagged.eq(true)).execute(conn)?;
    Ok(true)
}

fn write_response(conn: &mut DbConnection, id: &str, response: &NewResponse) -> Result<(), DbError> {
    let score_sum: i32 = response.answers.iter().map(|(_, s)| s).sum();
    let score_count = i32::try_from(response.answers.len()).unwrap_or(i32::MAX);
    {
        diesel::insert_into(responses::table)
            .values((
                responses::id.eq(id),
                responses::unit_id.eq(response.unit_id),
                responses::service_id.eq(response.service_id),
                responses::template_version_id.eq(response.template_version_id),
                responses::channel.eq(response.channel.as_str()),
                responses::submitted_at.eq(response.submitted_at),
                responses::survey_date.eq(response.survey_date.to_string()),
                responses::gender.eq(&response.gender),
                responses::age.eq(response.age),
                responses::education.eq(&response.education),
                responses::occupation.eq(&response.occupation),
                responses::profile_extra.eq(&response.profile_extra),
                responses::saran.eq(&response.saran),
                responses::client_hash.eq(&response.client_hash),
                responses::score_sum.eq(score_sum),
                responses::score_count.eq(score_count),
                responses::answer_key.eq(answer_key(&response.answers)),
                responses::flagged.eq(false),
            ))
            .execute(conn)?;
        if !response.answers.is_empty() {
            // One statement, prepared once per number of answers.
            Statement::new()
                .sql("INSERT INTO answers (response_id, element_code, score) VALUES ")
                .rows(
                    response
                        .answers
                        .iter()
                        .map(|(code, score)| [Value::Text(id), Value::Text(code), Value::Int(*score)]),
                )
                .execute(conn)?;
        }
        Ok(())
    }
}

fn day_of<'a>(response: &NewResponse, survey_date: &'a str) -> super::totals::Day<'a> {
    super::totals::Day {
        unit_id: response.unit_id,
        survey_date,
        template_version_id: response.template_version_id,
        service_id: response.service_id.unwrap_or(0),
    }
}

fn add_totals(conn: &mut DbConnection, response: &NewResponse) -> Result<(), DbError> {
    let survey_date = response.survey_date.to_string();
    super::totals::add(conn, &day_of(response, &survey_date), &response.answers)
}

pub fn count_for_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<i64, DbError> {
    Ok(responses::table.filter(responses::unit_id.eq_any(unit_ids)).count().get_result(conn)?)
}

/// One exported response: its row and its answers.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: String,
    pub unit_slug: String,
    pub service_slug: Option<String>,
    pub channel: String,
    pub submitted_at: NaiveDateTime,
    pub survey_date: String,
    pub gender: Option<String>,
    pub age: Option<i32>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub saran: Option<String>,
    pub answers: Vec<(String, i32)>,
}

/// A page of responses of `unit_ids` in `[from, to)` (survey dates) after the id `after`, in id
/// (time) order: exports read page by page, never the whole table at once.
pub fn export_page(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    template_version_ids: &[i32],
    from: NaiveDate,
    to: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ExportRow>, DbError> {
    use super::schema::{services, units};
    let mut query = responses::table
        .inner_join(units::table)
        .left_join(services::table)
        .filter(responses::unit_id.eq_any(unit_ids))
        .filter(responses::template_version_id.eq_any(template_version_ids))
        .filter(responses::survey_date.ge(from.to_string()))
        .filter(responses::survey_date.lt(to.to_string()))
        .into_boxed::<super::MultiBackend>();
    if let Some(after) = after {
        query = query.filter(responses::id.gt(after.to_string()));
    }
    type Row = (
        String,
        String,
        Option<String>,
        String,
        NaiveDateTime,
        String,
        Option<String>,
        Option<i32>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = query
        .order(responses::id.asc())
        .limit(limit)
        .select((
            responses::id,
            units::slug,
            services::slug.nullable(),
            responses::channel,
            responses::submitted_at,
            responses::survey_date,
            responses::gender,
            responses::age,
            responses::education,
            responses::occupation,
            responses::saran,
        ))
        .load(conn)?;
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    let scores: Vec<(String, String, i32)> = answers::table
        .filter(answers::response_id.eq_any(ids))
        .select((answers::response_id, answers::element_code, answers::score))
        .load(conn)?;
    let mut by_response: std::collections::HashMap<String, Vec<(String, i32)>> = std::collections::HashMap::new();
    for (id, code, score) in scores {
        by_response.entry(id).or_default().push((code, score));
    }
    Ok(rows
        .into_iter()
        .map(|r| ExportRow {
            answers: by_response.remove(&r.0).unwrap_or_default(),
            id: r.0,
            unit_slug: r.1,
            service_slug: r.2,
            channel: r.3,
            submitted_at: r.4,
            survey_date: r.5,
            gender: r.6,
            age: r.7,
            education: r.8,
            occupation: r.9,
            saran: r.10,
        })
        .collect())
}

/// Responses per page in exports.
pub const EXPORT_PAGE: i64 = 1000;

/// Hands every response of the units in `[from, to)` to `each`, a page at a time (id order).
pub fn for_each_export_page<E: From<DbError>>(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    template_version_ids: &[i32],
    from: NaiveDate,
    to: NaiveDate,
    mut each: impl FnMut(&[ExportRow]) -> Result<(), E>,
) -> Result<(), E> {
    let mut after = None::<String>;
    loop {
        let page = export_page(conn, unit_ids, template_version_ids, from, to, after.as_deref(), EXPORT_PAGE)?;
        each(&page)?;
        match page.last() {
            Some(last) if page.len() as i64 == EXPORT_PAGE => after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}
