//! The HTTP layer: actix-web routes over shared state. Handlers stay thin; blocking work
//! (diesel, argon2) runs in `web::block`.

pub mod error;
pub mod health;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::db::Pool;
use actix_web::{middleware, web, App, HttpServer};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// What every request may use; nothing here is state a second instance would miss.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
}

pub struct Application {
    server: actix_web::dev::Server,
    addr: SocketAddr,
}

impl Application {
    /// Binds nothing itself: tests pass a listener on port 0, `skm serve` the configured one.
    pub fn build(state: AppState, listener: TcpListener) -> std::io::Result<Application> {
        let addr = listener.local_addr()?;
        let workers = state.config.workers;
        let data = web::Data::new(state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(middleware::Logger::new("%r %s %Dms").log_target("skm::http"))
                .configure(routes)
        })
        .workers(workers)
        .listen(listener)?
        .run();
        Ok(Application { server, addr })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .default_service(web::to(error::not_found));
}
