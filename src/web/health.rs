//! `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: the database
//! answers and its migrations are current; with `read_database_url`, how the replica is).

use super::error::WebError;
use super::AppState;
use crate::db::{self, Backend, DbError};
use actix_web::{web, HttpResponse};
use secrecy::ExposeSecret;
use serde::Serialize;
use std::time::Duration;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Ready {
    status: &'static str,
    version: &'static str,
    database: &'static str,
    migrations_current: bool,
    /// only with `read_database_url`
    #[serde(skip_serializing_if = "Option::is_none")]
    read_replica: Option<Replica>,
}

/// What the dashboards, reports and public pages read from. It does not make the instance
/// unready: submissions and sign-ins need only the primary, and every instance shares the replica.
#[derive(Serialize)]
struct Replica {
    /// `ok`; `migrations_pending` (it has not replayed the primary's latest migration yet); or
    /// `unavailable` (the pages that read it answer 503 until it is back)
    status: &'static str,
    /// seconds its data is behind the primary (0: all replayed); absent when unknown
    #[serde(skip_serializing_if = "Option::is_none")]
    lag_seconds: Option<f64>,
}

/// A probe answers within seconds: a replica that gives no connection by then is unavailable.
const REPLICA_PROBE: Duration = Duration::from_secs(2);

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let current = super::blocking(&state, |_, conn| db::migrations_current(conn)).await?;
    let read_replica = match state.read_pool.clone() {
        None => None,
        Some(pool) => Some(web::block(move || replica(&pool)).await?),
    };
    let ready = Ready {
        status: if current { "ok" } else { "migrations_pending" },
        version: env!("CARGO_PKG_VERSION"),
        database: match Backend::of(state.config.database_url.expose_secret()) {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        migrations_current: current,
        read_replica,
    };
    Ok(if current { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() }.json(ready))
}

fn replica(pool: &db::Pool) -> Replica {
    let probe = || -> Result<(bool, Option<f64>), DbError> {
        let timeout = REPLICA_PROBE.min(pool.connection_timeout());
        let mut conn = pool.get_timeout(timeout)?;
        Ok((db::replica::migrations_current(&mut conn)?, db::replica::lag_seconds(&mut conn)?))
    };
    match probe() {
        Ok((current, lag_seconds)) => {
            Replica { status: if current { "ok" } else { "migrations_pending" }, lag_seconds }
        }
        Err(e) => {
            tracing::warn!(error = %e, "the read replica does not answer");
            Replica { status: "unavailable", lag_seconds: None }
        }
    }
}
