//! `skm serve`: migrate, record the template versions, then serve HTTP until stopped.

use super::{CliError, Context};
use crate::db::{self, DbError};
use crate::web::{AppState, Application};
use std::net::TcpListener;
use std::sync::Arc;

pub fn run(context: Context) -> Result<(), CliError> {
    let pool = context.database()?;
    {
        let mut conn = pool.get().map_err(DbError::from)?;
        for template in context.catalog.all() {
            db::templates::ensure_version(&mut conn, template)?;
        }
    }
    let listener = TcpListener::bind(context.config.listen)
        .map_err(|e| CliError::Input(format!("cannot listen on {}: {e}", context.config.listen)))?;
    let state = AppState {
        pool,
        config: Arc::new(context.config),
        catalog: Arc::new(context.catalog),
    };
    let app = Application::build(state, listener)?;
    tracing::info!(addr = %app.addr(), "skm listening");
    actix_web::rt::System::new().block_on(app.run())?;
    Ok(())
}
