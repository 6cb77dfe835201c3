//! `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: the database
//! answers and its migrations are current).

use super::error::WebError;
use super::AppState;
use crate::db::{self, Backend};
use actix_web::{web, HttpResponse};
use secrecy::ExposeSecret;
use serde::Serialize;

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
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let current = super::blocking(&state, |_, conn| db::migrations_current(conn)).await?;
    let ready = Ready {
        status: if current { "ok" } else { "migrations_pending" },
        version: env!("CARGO_PKG_VERSION"),
        database: match Backend::of(state.config.database_url.expose_secret()) {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        migrations_current: current,
    };
    Ok(if current { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() }.json(ready))
}
