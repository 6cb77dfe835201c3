//! A streaming replica (`read_database_url`): how far behind its primary it is.

use super::{DbConnection, DbError};
use diesel::prelude::*;
use diesel::sql_types::{Double, Nullable, Text};

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = Nullable<Double>)]
    seconds: Option<f64>,
}

/// Seconds since the last transaction the replica replayed, or 0 when it has replayed all the
/// primary sent (an idle primary sends nothing, and its replica is then not behind). `None` on a
/// server that is not a standby, and on SQLite.
pub fn lag_seconds(conn: &mut DbConnection) -> Result<Option<f64>, DbError> {
    let DbConnection::Postgres(pg) = conn else { return Ok(None) };
    let lag: Lag = diesel::sql_query(
        "SELECT CASE \
           WHEN NOT pg_is_in_recovery() THEN NULL \
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0 \
           ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 \
         END AS seconds",
    )
    .get_result(pg)?;
    Ok(lag.seconds)
}

#[derive(QueryableByName)]
struct Applied {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Whether the replica has replayed every migration this binary knows. diesel's own check
/// (`super::migrations_current`) first creates its bookkeeping table if missing, which a hot
/// standby refuses as a write, so this one only reads the table. `true` on SQLite (no replicas).
pub fn migrations_current(conn: &mut DbConnection) -> Result<bool, DbError> {
    use diesel::migration::MigrationSource;
    let DbConnection::Postgres(pg) = conn else { return Ok(true) };
    let applied: Vec<Applied> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(pg)?;
    let known = MigrationSource::<diesel::pg::Pg>::migrations(&super::POSTGRES_MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(known.iter().all(|m| {
        let version = m.name().version().to_string();
        applied.iter().any(|a| a.version == version)
    }))
}
