//! `GET /healthz`: the version, and whether the database answers with current migrations.

use super::error::WebError;
use super::AppState;
use crate::db::{self, Backend};
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    database: &'static str,
    migrations_current: bool,
}

#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let pool = state.pool.clone();
    let current = web::block(move || -> Result<bool, db::DbError> {
        let mut conn = pool.get()?;
        db::migrations_current(&mut conn)
    })
    .await??;
    let health = Health {
        status: if current { "ok" } else { "migrations_pending" },
        version: env!("CARGO_PKG_VERSION"),
        database: match Backend::of(&state.config.database_url) {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        migrations_current: current,
    };
    Ok(if current { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() }.json(health))
}
