//! A public submission (the citizen's form and the JSON API alike): the unit's form (open, not
//! closed by an admin), the one-time token's check, the client's rate limit, validation and the write, in that order.
//!
//! A post counts against the client's limit in the response's own transaction when it is
//! stored, and in a statement of its own when it is not (invalid, replayed, unknown unit); one
//! refused for the limit is rolled back with its count, which stays at the limit, so the next is
//! refused too. On this path the count is part of the write: a database that cannot count cannot
//! store either.

use super::form_cache::FormCache;
use super::{
    form_for_unit, guards, prepare, settle, submit, token_message, Declared, Form, Outcome, Ready, Rejection,
    Submission,
};
use crate::catalog::TemplateRegistry;
use crate::db::group_commit::GroupCommit;
use crate::db::responses::RateGuard;
use crate::db::{DbConnection, DbError};
use crate::domain::names::Channel;
use crate::domain::period::local_date;
use crate::domain::submission::BurstRule;
use crate::domain::template::Template;
use crate::rate_limit::RateLimit;
use crate::security::form_token::{Desk, FormToken, TokenProblem};
use crate::security::Keys;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The form field that carries the signed one-time token.
pub const TOKEN_FIELD: &str = "token";

/// What every public submission is checked against: the deployment's keys, limits and rules.
pub struct Gate<'a> {
    pub templates: &'a TemplateRegistry,
    pub keys: &'a Keys,
    pub limiter: &'a RateLimit,
    pub burst: BurstRule,
    /// how long a rendered form can be submitted
    pub token_max_age: chrono::Duration,
    /// survey dates are the regency's local dates
    pub timezone: chrono_tz::Tz,
    /// where the submission is written (SQLite's group commit, or the request's connection)
    pub writer: &'a GroupCommit,
    /// the units' forms as read recently
    pub forms: &'a FormCache,
}

/// One post of the public form or the API.
pub struct PublicPost<'a> {
    pub slug: &'a str,
    pub channel: Channel,
    pub fields: &'a BTreeMap<String, String>,
    /// the client's keyed hash (never its address)
    pub client_hash: String,
    pub now: DateTime<Utc>,
}

/// Blocking: checks and stores one public post.
pub fn submit_public(conn: &mut DbConnection, gate: &Gate, post: PublicPost) -> Result<Outcome, DbError> {
    submit_declared(conn, gate, post, None)
}

/// As `submit_public`, for a client that names its element answers and profile fields apart
/// (the API): a code the template does not have is refused by name.
pub fn submit_declared(
    conn: &mut DbConnection,
    gate: &Gate,
    post: PublicPost,
    declared: Option<&Declared>,
) -> Result<Outcome, DbError> {
    counted(conn, gate, &post, |conn, rate| store(conn, gate, &post, rate, declared, None))
}

/// Blocking: a post of the form a survey invitation's link (`/u/{code}`) opened. The post's
/// `slug` is not used: the invitation names the unit. Its token must be the one issued for this
/// invitation (a plain form's token, or another invitation's, is refused with a fresh token for
/// this one, answers kept), and the invitation is spent with the response: a second post, of the
/// same form or of another tab's, is `Replayed`. An unknown code is `UnknownUnit`. An invitation
/// that expired after its form was opened still takes that form's answer (within the token's
/// own time limit): the citizen was in time when they started.
pub fn submit_invitation(
    conn: &mut DbConnection,
    gate: &Gate,
    code: &str,
    post: PublicPost,
) -> Result<Outcome, DbError> {
    let invitation = match crate::domain::invitation::Code::parse(code) {
        Ok(code) => crate::db::invitations::by_code(conn, code.as_str())?,
        Err(_) => None,
    };
    let Some(invitation) = invitation else {
        return counted(conn, gate, &post, |_, _| Ok(Outcome::UnknownUnit));
    };
    let slug = crate::db::units::by_id(conn, invitation.unit_id)?.slug;
    let post = PublicPost { slug: &slug, ..post };
    counted(conn, gate, &post, |conn, rate| {
        if invitation.spent_at.is_some() {
            return Ok(match form_for_unit(conn, gate.templates, &slug)? {
                Some(form) => Outcome::Replayed { form: Box::new(form) },
                None => Outcome::UnknownUnit,
            });
        }
        store(conn, gate, &post, rate, None, Some(&invitation))
    })
}

/// Runs `store` with the client's rate-limit hit, counting a post that was not stored on its own.
fn counted(
    conn: &mut DbConnection,
    gate: &Gate,
    post: &PublicPost,
    store: impl FnOnce(&mut DbConnection, RateGuard) -> Result<Outcome, DbError>,
) -> Result<Outcome, DbError> {
    let key = RateLimit::submit_key(&post.client_hash);
    let window = RateLimit::window_of(post.now);
    let rate = RateGuard { key: &key, window_start: window, limit: gate.limiter.limit() };
    let outcome = store(conn, rate)?;
    if let Outcome::Stored { .. } = outcome {
        gate.limiter.forget_now_and_then(conn, window);
    }
    Ok(count_unstored(conn, gate, post, outcome))
}

/// Whether `outcome` is a post that was neither stored (counted in its transaction) nor refused
/// for the limit (its count stays at the limit): it is counted on its own (`count_unstored`).
pub fn counts_apart(outcome: &Outcome) -> bool {
    !matches!(outcome, Outcome::Stored { .. } | Outcome::RateLimited { .. })
}

/// Blocking: counts a post that was not stored against the client's limit; over it, the post
/// is answered as rate limited.
pub fn count_unstored(conn: &mut DbConnection, gate: &Gate, post: &PublicPost, outcome: Outcome) -> Outcome {
    if !counts_apart(&outcome) {
        return outcome;
    }
    match gate.limiter.count(conn, &RateLimit::submit_key(&post.client_hash), post.now) {
        Ok(()) => outcome,
        Err(wait) => Outcome::RateLimited { wait },
    }
}

/// The common post without a blocking thread: with SQLite's writer thread on, the unit's form
/// fresh in the cache, its questionnaire version known and a plain form's valid token, the post
/// is checked here and only its write goes to the writer, whose answer is awaited. `None` (and
/// nothing done) for any other post: it takes `submit_public` on a connection. A post that comes
/// back neither stored nor rate limited still has to be counted (`counts_apart`,
/// `count_unstored`); a stored one's old rate-limit windows are the caller's to drop now and then.
pub async fn submit_queued(gate: &Gate<'_>, post: &PublicPost<'_>) -> Option<Result<Outcome, DbError>> {
    if !gate.writer.is_on() {
        return None;
    }
    let form = gate.forms.fresh(post.slug).filter(|form| form.unit.active)?;
    let token_text = post.fields.get(TOKEN_FIELD).map(String::as_str).unwrap_or_default();
    let channel = post.channel.as_str();
    let token = FormToken::verify(token_text, gate.keys.form(), post.now, gate.token_max_age, form.unit.id, channel)
        .ok()
        .filter(|token| token.invitation_id.is_none())?;
    let template = gate.templates.cached(token.template_version_id)?;
    let key = RateLimit::submit_key(&post.client_hash);
    let rate = RateGuard { key: &key, window_start: RateLimit::window_of(post.now), limit: gate.limiter.limit() };
    let sub = with_token(gate, post, &form, template, &token, rate, None);
    // an invalid post goes the blocking way, which finds the same messages and counts it
    let Ready { response, attached, ticket, desk } = prepare(&sub).ok()?;
    let id = response.id;
    let guards = guards(&sub, ticket.as_deref(), gate.burst);
    let written = gate.writer.send(response, attached, &guards, desk)?;
    Some(settle(&sub, id, written.await))
}

fn store(
    conn: &mut DbConnection,
    gate: &Gate,
    post: &PublicPost,
    rate: RateGuard,
    declared: Option<&Declared>,
    invitation: Option<&crate::db::invitations::Invitation>,
) -> Result<Outcome, DbError> {
    let Some(form) = gate.forms.load(conn, gate.templates, post.slug)? else {
        return Ok(Outcome::UnknownUnit);
    };
    if !form.unit.active {
        return Ok(Outcome::Closed { form: Box::new(form) });
    }
    let token_text = post.fields.get(TOKEN_FIELD).map(String::as_str).unwrap_or_default();
    let channel = post.channel.as_str();
    let verified = FormToken::verify(token_text, gate.keys.form(), post.now, gate.token_max_age, form.unit.id, channel)
        .and_then(|token| match invitation {
            // an invitation's form carries its token: another form's cannot spend it, nor skip it
            Some(invitation) if token.invitation_id != Some(invitation.id) => Err(TokenProblem::Mismatch),
            _ => Ok(token),
        });
    let token = match verified {
        Ok(token) => token,
        Err(problem) => {
            let new_token = match invitation {
                Some(invitation) => {
                    let desk = Desk {
                        counter_id: invitation.counter_id,
                        officer_id: invitation.officer_id,
                        via_unit_id: None,
                    };
                    FormToken::issue(form.unit.id, form.version_id, channel, post.now)
                        .at_desk(desk)
                        .for_invitation(invitation.id)
                }
                None => {
                    // the page's counter comes back from its hidden fields, as from the link that opened it
                    let field = |name: &str| post.fields.get(name).map(String::as_str);
                    let desk = super::resolve_desk(
                        conn,
                        form.unit.id,
                        field(super::COUNTER_FIELD),
                        field(super::OFFICER_FIELD),
                    )?;
                    FormToken::issue(form.unit.id, form.version_id, channel, post.now).at_desk(desk)
                }
            }
            .sign(gate.keys.form());
            let template = form.template.clone();
            return Ok(Outcome::Rejected(Rejection {
                form: Box::new(form),
                template,
                messages: vec![token_message(problem)],
                new_token: Some(new_token),
            }));
        }
    };
    let template = gate.templates.get(conn, token.template_version_id)?;
    submit(conn, &with_token(gate, post, &form, template, &token, rate, declared), gate.burst, gate.writer)
}

/// The submission of a public post whose one-time `token` checked out for `form`.
fn with_token<'a>(
    gate: &Gate,
    post: &'a PublicPost,
    form: &'a Form,
    template: Arc<Template>,
    token: &'a FormToken,
    rate: RateGuard<'a>,
    declared: Option<&'a Declared>,
) -> Submission<'a> {
    Submission {
        form,
        template,
        version_id: token.template_version_id,
        channel: post.channel,
        fields: post.fields,
        survey_date: local_date(post.now, form.unit.zone_or(gate.timezone)),
        client_hash: Some(post.client_hash.clone()),
        now: post.now,
        token: Some(token),
        rate_limit: Some(rate),
        declared,
        device: None,
    }
}

/// Blocking: a post from a unit's own system that carries an API key with the `responses` scope
/// (checked by the caller, with the key's own rate limit). The key stands in for the one-time
/// token: no token is checked or spent, the client's limit and burst flag do not apply (one
/// server sends for many citizens), and no ticket code is asked for, as for paper entry. The
/// channel stays `web`: reports count the API as the online channel it already is.
pub fn submit_with_key(
    conn: &mut DbConnection,
    gate: &Gate,
    slug: &str,
    fields: &BTreeMap<String, String>,
    declared: &Declared,
    now: DateTime<Utc>,
) -> Result<Outcome, DbError> {
    let Some(form) = gate.forms.load(conn, gate.templates, slug)? else {
        return Ok(Outcome::UnknownUnit);
    };
    if !form.unit.active {
        return Ok(Outcome::Closed { form: Box::new(form) });
    }
    submit(
        conn,
        &Submission {
            form: &form,
            template: form.template.clone(),
            version_id: form.version_id,
            channel: Channel::Web,
            fields,
            survey_date: local_date(now, form.unit.zone_or(gate.timezone)),
            client_hash: None,
            now,
            token: None,
            rate_limit: None,
            declared: Some(declared),
            device: None,
        },
        gate.burst,
        gate.writer,
    )
}
