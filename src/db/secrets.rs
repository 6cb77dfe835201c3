//! The deployment's master secret, made once and shared by every instance through the database.

use super::schema::app_secrets;
use super::{DbConnection, DbError};
use diesel::prelude::*;

const MASTER: &str = "master";

/// Reads the master secret, creating it on the very first start. Two instances starting at once
/// both try to insert; the loser's insert conflicts and it reads the winner's value.
pub fn master_secret(conn: &mut DbConnection) -> Result<String, DbError> {
    let read = |conn: &mut DbConnection| {
        app_secrets::table.find(MASTER).select(app_secrets::value).first::<String>(conn).optional()
    };
    if let Some(value) = read(conn)? {
        return Ok(value);
    }
    let fresh: String = (0..4).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect();
    let inserted = diesel::insert_into(app_secrets::table)
        .values((app_secrets::name.eq(MASTER), app_secrets::value.eq(&fresh)))
        .execute(conn);
    match inserted.map_err(DbError::from) {
        Ok(_) => Ok(fresh),
        Err(DbError::Conflict(_)) => read(conn)?.ok_or(DbError::NotFound),
        Err(other) => Err(other),
    }
}
