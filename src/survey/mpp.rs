//! A Mal Pelayanan Publik (MPP, issue 19 point 6): a hall where many agencies keep a desk. The
//! hall is a unit of kind `mpp` placed like an OPD; each agency's desk in the hall is one of its
//! child units ("Disdukcapil — gerai MPP"), with its own services, counters and index. The
//! hall's one QR or kiosk opens a chooser of its open agencies; the form of the agency chosen is
//! signed for that agency *through the hall* (`Desk::via_unit_id`), so the response is stored
//! for the agency, counted in its index as any other, and the hall can say how many came its way.
//! The hall itself never holds a response (`survey::submit` refuses one).

use super::public::{submit_public, Gate, PublicPost, TOKEN_FIELD};
use super::{form_for_unit, token_message, Form, Outcome};
use crate::catalog::TemplateRegistry;
use crate::db::units::{self, Service, Unit};
use crate::db::{DbConnection, DbError};
use crate::domain::names::UnitKind;
use crate::rate_limit::RateLimit;
use crate::security::form_token::{Desk, FormToken};

/// A hall and its open agencies, each with its active services (by name).
#[derive(Debug, Clone)]
pub struct Hall {
    pub unit: Unit,
    pub agencies: Vec<(Unit, Vec<Service>)>,
}

/// The message refusing a response for the hall itself (its form only asks which agency).
pub const CHOOSE_AGENCY: &str = "mpp.choose_agency";

pub fn is_hall(unit: &Unit) -> bool {
    unit.kind == UnitKind::Mpp.as_str()
}

/// The hall `hall_id` with its open agencies. A closed agency is left out: the chooser offers
/// only forms that take answers.
pub fn hall(conn: &mut DbConnection, hall: Unit) -> Result<Hall, DbError> {
    let children: Vec<Unit> = units::children_of(conn, hall.id)?.into_iter().filter(|u| u.active).collect();
    let ids: Vec<i32> = children.iter().map(|u| u.id).collect();
    let mut services = units::services_of_units(conn, &ids)?;
    let agencies = children
        .into_iter()
        .map(|agency| {
            let offered = services.remove(&agency.id).unwrap_or_default().into_iter().filter(|s| s.active).collect();
            (agency, offered)
        })
        .collect();
    Ok(Hall { unit: hall, agencies })
}

/// What `/s/{hall}/gerai/{agency}` finds.
#[derive(Debug)]
pub enum AgencyForm {
    /// the agency's form, to be signed through the hall
    Open { hall: Unit, form: Box<Form> },
    /// `hall` is no unit, or not a Mal Pelayanan Publik
    NoHall,
    /// the agency is not one of the hall's units (or no unit at all): the chooser again
    NotInHall { hall: Box<Hall> },
    /// the hall or the agency is closed (an admin disabled it)
    Closed { hall: Unit, form: Box<Form> },
}

pub fn agency_form(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    hall_slug: &str,
    agency_slug: &str,
) -> Result<AgencyForm, DbError> {
    let hall_unit = match units::by_slug(conn, hall_slug) {
        Ok(unit) if is_hall(&unit) => unit,
        Ok(_) | Err(DbError::NotFound) => return Ok(AgencyForm::NoHall),
        Err(other) => return Err(other),
    };
    let form = form_for_unit(conn, registry, agency_slug)?.filter(|f| f.unit.parent_id == Some(hall_unit.id));
    let Some(form) = form else {
        return Ok(AgencyForm::NotInHall { hall: Box::new(hall(conn, hall_unit)?) });
    };
    if !hall_unit.active || !form.unit.active {
        return Ok(AgencyForm::Closed { hall: hall_unit, form: Box::new(form) });
    }
    Ok(AgencyForm::Open { hall: hall_unit, form: Box::new(form) })
}

/// The desk of a form opened through the hall: the agency's counter and officer from the link
/// (as on the agency's own form), and the hall.
pub fn desk_through(
    conn: &mut DbConnection,
    hall: &Unit,
    agency: &Unit,
    counter: Option<&str>,
    officer: Option<&str>,
) -> Result<Desk, DbError> {
    Ok(Desk { via_unit_id: Some(hall.id), ..super::resolve_desk(conn, agency.id, counter, officer)? })
}

/// A post of an agency's form opened through the hall: as any public post of the agency's form
/// (`submit_public`), once its token is known to have been signed through this hall. A token
/// of another agency, of the agency's own form or of another hall is refused like a forged one,
/// and the form comes back with a fresh token signed through the hall.
pub fn submit_through(
    conn: &mut DbConnection,
    gate: &Gate,
    hall: &Unit,
    form: &Form,
    post: PublicPost,
) -> Result<Outcome, DbError> {
    let (fields, now, channel) = (post.fields, post.now, post.channel.as_str());
    let field = |name: &str| fields.get(name).map(String::as_str);
    let fresh = |conn: &mut DbConnection| -> Result<String, DbError> {
        let desk = desk_through(conn, hall, &form.unit, field(super::COUNTER_FIELD), field(super::OFFICER_FIELD))?;
        Ok(FormToken::issue(form.unit.id, form.version_id, channel, now).at_desk(desk).sign(gate.keys.form()))
    };
    let token = field(TOKEN_FIELD).unwrap_or_default();
    let checked = FormToken::verify(token, gate.keys.form(), now, gate.token_max_age, form.unit.id, channel);
    if let Ok(token) = &checked {
        if token.desk.via_unit_id != Some(hall.id) {
            // refused like any other post: it counts against the client's limit
            if let Err(wait) = gate.limiter.count(conn, &RateLimit::submit_key(&post.client_hash), now) {
                return Ok(Outcome::RateLimited { wait });
            }
            return Ok(Outcome::Rejected(super::Rejection {
                form: Box::new(form.clone()),
                template: form.template.clone(),
                messages: vec![token_message(crate::security::form_token::TokenProblem::Mismatch)],
                new_token: Some(fresh(conn)?),
            }));
        }
    }
    match submit_public(conn, gate, post)? {
        // the refused token's replacement is signed through the hall too
        Outcome::Rejected(mut rejection) if rejection.new_token.is_some() => {
            rejection.new_token = Some(fresh(conn)?);
            Ok(Outcome::Rejected(rejection))
        }
        other => Ok(other),
    }
}
