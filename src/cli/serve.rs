//! `skm serve`: migrate, record the template versions, then serve HTTP until stopped.

use super::{CliError, Context};
use crate::web::{AppState, Application};
use std::net::TcpListener;

pub fn run(context: Context) -> Result<(), CliError> {
    let pool = context.database()?;
    let listen = context.config.listen;
    let state = AppState::new(pool, context.config, context.catalog)?;
    let listener = TcpListener::bind(listen).map_err(|e| CliError::Input(format!("cannot listen on {listen}: {e}")))?;
    let app = Application::build(state, listener)?;
    tracing::info!(addr = %app.addr(), "skm listening");
    actix_web::rt::System::new().block_on(app.run())?;
    Ok(())
}
