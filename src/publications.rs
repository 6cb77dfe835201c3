//! The publication-media log (SPEC §6a, PEKPPP): for each published period, where the results
//! were published (a website, social media, SIPPN news, the board at the counter, a banner, a
//! local newspaper), when, and the proof (a link, an image, or both). Admins record and delete
//! entries (audited); the admin page counts the media; the evidence pack reads `media_log`.
//! Blocking (call from `web::block`).

use crate::db::images::{self, StoredImage};
use crate::db::publications::{self as stored, MediaEntry};
use crate::db::units::{self, Unit};
use crate::db::{audit, DbConnection, DbError};
use crate::domain::follow_up::belongs_to;
use crate::domain::names::Medium;
use crate::domain::period::Period;
use crate::domain::proof::{self, ProofError, ProofImage, ProofUrl};
use diesel::Connection;
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MediaError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// a link, an image or a note that is not one (`field` says which)
    #[error("{field}: {problem}")]
    Proof { field: &'static str, problem: ProofError },
    /// neither a link nor an image
    #[error("a proof is needed: a link, an image, or both")]
    NoProof,
    #[error("unit '{0}' does not exist")]
    UnitUnknown(String),
    /// media are recorded for a published period only
    #[error("{unit} {period} is not published")]
    NotPublished { unit: String, period: Period },
    #[error("no such entry")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for MediaError {
    fn from(err: diesel::result::Error) -> Self {
        MediaError::Db(err.into())
    }
}

/// An entry as the admin form sends it: text (and an image's bytes), to be checked here.
pub struct NewMedium<'a> {
    /// the unit's slug
    pub unit: &'a str,
    pub period: &'a str,
    /// `domain::names::Medium`'s text
    pub medium: &'a str,
    /// `YYYY-MM-DD`
    pub date: &'a str,
    pub url: &'a str,
    pub note: &'a str,
    /// an uploaded image; empty for none
    pub image: Vec<u8>,
}

fn proof_field(field: &'static str) -> impl Fn(ProofError) -> MediaError {
    move |problem| MediaError::Proof { field, problem }
}

/// Records where a published period was published; returns the entry's id.
pub fn add_medium(conn: &mut DbConnection, actor: Option<i32>, new: NewMedium) -> Result<i32, MediaError> {
    let invalid = |field, reason: &str| MediaError::Invalid { field, reason: reason.to_string() };
    let medium: Medium = new.medium.parse().map_err(|_| invalid("medium", "not a kind of medium"))?;
    let period: Period = new.period.trim().parse().map_err(|_| invalid("period", "not a period"))?;
    let date = chrono::NaiveDate::parse_from_str(new.date.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("date", "not a date like 2026-11-05"))?;
    let url = ProofUrl::parse(new.url).map_err(proof_field("url"))?;
    let image = ProofImage::parse(new.image).map_err(proof_field("image"))?;
    let note = proof::note(new.note).map_err(proof_field("note"))?;
    if url.is_none() && image.is_none() {
        return Err(MediaError::NoProof);
    }
    let unit = units::by_slug(conn, new.unit.trim()).map_err(|e| match e {
        DbError::NotFound => MediaError::UnitUnknown(new.unit.trim().to_string()),
        other => other.into(),
    })?;
    conn.transaction(|conn| {
        if !stored::is_published(conn, unit.id, &period.to_string())? {
            return Err(MediaError::NotPublished { unit: unit.name.clone(), period });
        }
        let image_id = image.as_ref().map(|i| images::insert(conn, i, actor)).transpose()?;
        let id = stored::add_medium(
            conn,
            &stored::NewMedium {
                unit_id: unit.id,
                period: &period.to_string(),
                medium,
                published_on: date,
                url: url.as_ref().map(ProofUrl::as_str),
                image_id,
                note: note.as_deref(),
                created_by: actor,
            },
        )?;
        let detail = format!("{} {period}: {medium} {date} (entry {id})", unit.slug);
        audit::record(conn, actor, "publication.medium.add", &detail)?;
        Ok(id)
    })
}

/// Deletes an entry of the log and its image.
pub fn remove_medium(conn: &mut DbConnection, actor: Option<i32>, id: i32) -> Result<(), MediaError> {
    conn.transaction(|conn| {
        let entry = stored::medium(conn, id).map_err(|e| match e {
            DbError::NotFound => MediaError::NotFound,
            other => other.into(),
        })?;
        stored::delete_medium(conn, id)?;
        if let Some(image_id) = entry.image_id {
            images::delete(conn, image_id)?;
        }
        let unit = units::by_id(conn, entry.unit_id)?;
        let detail = format!("{} {}: {} {} (entry {id})", unit.slug, entry.period, entry.medium, entry.published_on);
        audit::record(conn, actor, "publication.medium.delete", &detail)?;
        Ok(())
    })
}

/// The proof image of an entry, for a reader of the unit (the entry is the unit's or a unit's
/// below it).
pub fn proof_image(conn: &mut DbConnection, unit: &Unit, id: i32) -> Result<StoredImage, MediaError> {
    let entry = stored::medium(conn, id).map_err(|e| match e {
        DbError::NotFound => MediaError::NotFound,
        other => other.into(),
    })?;
    let subtree = units::subtree_ids(conn, unit.id)?;
    match entry.image_id {
        Some(image_id) if subtree.contains(&entry.unit_id) => Ok(images::get(conn, image_id)?),
        _ => Err(MediaError::NotFound),
    }
}

/// One entry of the log with its proof's bytes.
#[derive(Debug, Clone)]
pub struct LoggedMedium {
    pub entry: MediaEntry,
    pub medium: Medium,
    pub image: Option<StoredImage>,
}

/// The log of the published results within a period (those whose period overlaps it, as
/// `domain::follow_up::belongs_to` says: a year's pack shows its quarters' and months'; every
/// unit's, or those of `unit_ids`), with the proofs' bytes: what the PEKPPP evidence pack
/// attaches. By unit, then date.
pub fn media_log(
    conn: &mut DbConnection,
    period: &Period,
    unit_ids: Option<&[i32]>,
) -> Result<Vec<LoggedMedium>, DbError> {
    let mut log = Vec::new();
    for entry in stored::media(conn, None)? {
        let within = entry.period.parse::<Period>().is_ok_and(|own| belongs_to(&own, period));
        if !within || unit_ids.is_some_and(|ids| !ids.contains(&entry.unit_id)) {
            continue;
        }
        let image = entry.image_id.map(|id| images::get(conn, id)).transpose()?;
        let medium = entry.medium.parse().unwrap_or(Medium::Other);
        log.push(LoggedMedium { entry, medium, image });
    }
    Ok(log)
}

/// Per (unit, period): the number of media (kinds, `Medium::count`) and of entries.
pub fn counts(entries: &[MediaEntry]) -> BTreeMap<(i32, String), (usize, usize)> {
    let mut grouped: BTreeMap<(i32, String), Vec<Medium>> = BTreeMap::new();
    for entry in entries {
        grouped
            .entry((entry.unit_id, entry.period.clone()))
            .or_default()
            .push(entry.medium.parse().unwrap_or(Medium::Other));
    }
    grouped.into_iter().map(|(key, media)| (key, (Medium::count(media.iter().copied()), media.len()))).collect()
}
