//! Publication of results: nothing is public until an admin publishes a unit's period, and it
//! stays public until an admin takes it back. A unit with sub-units is published as its roll-up
//! (`with_subunits`); the rules for what may be published are the units service's. The media log
//! records where each published period was published, with proof (SPEC §6a).

use super::schema::{publication_media, publications};
use super::{now_utc, DbConnection, DbError};
use crate::domain::names::Medium;
use diesel::prelude::*;

/// One published period of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = publications)]
pub struct Publication {
    pub unit_id: i32,
    /// as `Period` writes it ("2026-10", "2026-Q3", "2026")
    pub period: String,
    /// the unit's roll-up (its pooled responses and its sub-units), not its own responses only
    pub with_subunits: bool,
    pub published_at: chrono::NaiveDateTime,
}

/// Publishes (again) a unit's period; publishing again replaces the earlier publication.
pub fn publish(
    conn: &mut DbConnection,
    unit_id: i32,
    period: &str,
    with_subunits: bool,
    user_id: Option<i32>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::delete(publications::table.find((unit_id, period))).execute(conn)?;
        diesel::insert_into(publications::table)
            .values((
                publications::unit_id.eq(unit_id),
                publications::period.eq(period),
                publications::published_at.eq(now_utc()),
                publications::published_by.eq(user_id),
                publications::with_subunits.eq(with_subunits),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Takes a unit's period off the public page; `false` when it was not published.
pub fn unpublish(conn: &mut DbConnection, unit_id: i32, period: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(publications::table.find((unit_id, period))).execute(conn)? > 0)
}

/// Every publication, by unit, the most recently published first.
pub fn all(conn: &mut DbConnection) -> Result<Vec<Publication>, DbError> {
    Ok(publications::table
        .order((publications::unit_id.asc(), publications::published_at.desc()))
        .select(Publication::as_select())
        .load(conn)?)
}

/// Whether a unit's period is published now.
pub fn is_published(conn: &mut DbConnection, unit_id: i32, period: &str) -> Result<bool, DbError> {
    Ok(publications::table.find((unit_id, period)).count().get_result::<i64>(conn)? > 0)
}

/// One entry of the publication-media log: where a published period was published, when, and
/// its proof (a link, a stored image, or both).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = publication_media)]
pub struct MediaEntry {
    pub id: i32,
    pub unit_id: i32,
    pub period: String,
    /// `domain::names::Medium`'s text
    pub medium: String,
    /// `YYYY-MM-DD`
    pub published_on: String,
    pub url: Option<String>,
    pub image_id: Option<i32>,
    pub note: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: chrono::NaiveDateTime,
}

pub struct NewMedium<'a> {
    pub unit_id: i32,
    pub period: &'a str,
    pub medium: Medium,
    pub published_on: chrono::NaiveDate,
    pub url: Option<&'a str>,
    pub image_id: Option<i32>,
    pub note: Option<&'a str>,
    pub created_by: Option<i32>,
}

pub fn add_medium(conn: &mut DbConnection, new: &NewMedium) -> Result<i32, DbError> {
    Ok(diesel::insert_into(publication_media::table)
        .values((
            publication_media::unit_id.eq(new.unit_id),
            publication_media::period.eq(new.period),
            publication_media::medium.eq(new.medium.as_str()),
            publication_media::published_on.eq(new.published_on.to_string()),
            publication_media::url.eq(new.url),
            publication_media::image_id.eq(new.image_id),
            publication_media::note.eq(new.note),
            publication_media::created_by.eq(new.created_by),
            publication_media::created_at.eq(now_utc()),
        ))
        .returning(publication_media::id)
        .get_result(conn)?)
}

/// The media log: every entry, or those of one period; by unit, period, then date.
pub fn media(conn: &mut DbConnection, period: Option<&str>) -> Result<Vec<MediaEntry>, DbError> {
    let mut query = publication_media::table.into_boxed();
    if let Some(period) = period {
        query = query.filter(publication_media::period.eq(period.to_string()));
    }
    Ok(query
        .order((
            publication_media::unit_id.asc(),
            publication_media::period.desc(),
            publication_media::published_on.asc(),
            publication_media::id.asc(),
        ))
        .select(MediaEntry::as_select())
        .load(conn)?)
}

pub fn medium(conn: &mut DbConnection, id: i32) -> Result<MediaEntry, DbError> {
    Ok(publication_media::table.find(id).select(MediaEntry::as_select()).first(conn)?)
}

/// Removes an entry; `false` when there was none.
pub fn delete_medium(conn: &mut DbConnection, id: i32) -> Result<bool, DbError> {
    Ok(diesel::delete(publication_media::table.find(id)).execute(conn)? > 0)
}
