//! Template versions: each questionnaire text is stored once, keyed by its content hash.

use super::schema::template_versions;
use super::{now_utc, DbConnection, DbError};
use crate::domain::template::Template;
use diesel::prelude::*;

/// The id of this exact template version, storing it on first use. Safe under concurrency: a
/// second instance inserting the same version hits the unique key and reads the first one's row.
pub fn ensure_version(conn: &mut DbConnection, template: &Template) -> Result<i32, DbError> {
    let find = |conn: &mut DbConnection| {
        template_versions::table
            .filter(template_versions::template_id.eq(&template.id))
            .filter(template_versions::content_hash.eq(&template.content_hash))
            .select(template_versions::id)
            .first::<i32>(conn)
            .optional()
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let inserted = diesel::insert_into(template_versions::table)
        .values((
            template_versions::template_id.eq(&template.id),
            template_versions::version.eq(&template.version),
            template_versions::content_hash.eq(&template.content_hash),
            template_versions::content.eq(&template.source),
            template_versions::created_at.eq(now_utc()),
        ))
        .returning(template_versions::id)
        .get_result::<i32>(conn);
    match inserted.map_err(DbError::from) {
        Ok(id) => Ok(id),
        Err(DbError::Conflict(_)) => find(conn)?.ok_or(DbError::NotFound),
        Err(other) => Err(other),
    }
}

/// Every stored version of one questionnaire: responses to any of them aggregate together.
pub fn version_ids(conn: &mut DbConnection, template_id: &str) -> Result<Vec<i32>, DbError> {
    Ok(template_versions::table
        .filter(template_versions::template_id.eq(template_id))
        .select(template_versions::id)
        .load(conn)?)
}

/// The stored text of a version, for responses rendered with a template that has changed since.
pub fn content_of(conn: &mut DbConnection, id: i32) -> Result<(String, String), DbError> {
    Ok(template_versions::table
        .find(id)
        .select((template_versions::template_id, template_versions::content))
        .first(conn)?)
}
