//! The audit log: who changed what, for officials who must account for their data.

use super::schema::audit_log;
use super::{now_utc, DbConnection, DbError};
use diesel::prelude::*;

pub fn record(conn: &mut DbConnection, actor_user_id: Option<i32>, action: &str, detail: &str) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now_utc()),
            audit_log::actor_user_id.eq(actor_user_id),
            audit_log::action.eq(action),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// When `action` was last recorded (the last test e-mail sent, for the readiness checklist).
pub fn last_at(conn: &mut DbConnection, action: &str) -> Result<Option<chrono::NaiveDateTime>, DbError> {
    Ok(audit_log::table.filter(audit_log::action.eq(action)).select(diesel::dsl::max(audit_log::at)).first(conn)?)
}
