//! The HTTP layer: the route table (`routes`) over shared state (`AppState`). Who may call a
//! handler is in its signature (`access`); handlers stay thin: extract, call one service, render.
//! Blocking work (diesel, argon2) runs through `blocking`; handlers that only read (dashboards,
//! report downloads, public pages) run through `blocking_read`, on the read replica when one is
//! configured.

pub mod access;
pub mod account;
pub mod admin;
pub mod admin_desks;
pub mod admin_invite;
pub mod admin_populations;
mod admin_readiness;
pub mod admin_setup;
pub mod api;
pub mod api_devices;
pub mod api_invitations;
pub mod api_key;
pub mod app;
pub mod dashboard;
pub mod devices;
pub mod error;
pub mod error_pages;
pub mod evidence;
pub mod fallback;
pub mod follow_up;
pub mod health;
pub mod i18n;
pub mod invitation_link;
pub mod login;
pub mod media;
pub mod metrics;
pub mod mpp;
pub mod observe;
pub mod openapi;
pub mod operator;
pub mod pages;
pub mod problem;
pub mod proof;
pub mod public;
pub mod reports;
pub mod reset;
pub mod routes;
pub mod session;
pub mod staff;
pub mod survey;
pub mod throttle;

use crate::catalog::{Catalog, TemplateRegistry};
use crate::config::Config;
use crate::db::group_commit::{self, GroupCommit};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::gateway::Gateway;
use crate::rate_limit::RateLimit;
use crate::security::Keys;
use crate::survey::public::Gate;
use actix_web::http::header;
use actix_web::{middleware, web, App, HttpRequest, HttpResponse, HttpServer};
use secrecy::ExposeSecret;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// What every request may use. Keys, template versions and rate-limit counts come from the
/// database, so every instance on one database behaves the same.
#[derive(Clone)]
pub struct AppState {
    /// the primary: every write, and every read that must see the latest write
    pub pool: Pool,
    /// the streaming replica of `read_database_url`, for `blocking_read`; `None`: the primary
    pub read_pool: Option<Pool>,
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    pub keys: Keys,
    pub templates: Arc<TemplateRegistry>,
    pub limiter: Arc<RateLimit>,
    /// the per-key limit of integration API keys (`api_key_rate_per_minute`)
    pub key_limiter: Arc<RateLimit>,
    pub metrics: Arc<metrics::Metrics>,
    /// the units' public forms as read recently (`form_cache_ms`; stale after staff writes),
    /// and each unit's last one, for sending it back during a database outage
    pub forms: Arc<crate::survey::form_cache::FormCache>,
    /// the SMS/WhatsApp gateway that sends invitation links; `None` without `gateway_url`
    pub gateway: Option<Arc<Gateway>>,
    /// where citizens' submissions are written: SQLite's group-commit writer, or each on its
    /// request's connection (`db::group_commit`)
    pub writer: Arc<GroupCommit>,
}

impl AppState {
    /// Reads (or makes) the shared keys and stores the current template versions.
    pub fn new(pool: Pool, config: Config, catalog: Catalog) -> Result<AppState, DbError> {
        let mut conn = pool.get()?;
        let keys = Keys::derive(&db::secrets::master_secret(&mut conn)?);
        let templates = TemplateRegistry::register(&mut conn, &catalog, &config.default_template)?;
        drop(conn);
        let read_pool = match &config.read_database_url {
            None => None,
            // As the primary's pool: an unreachable replica stops start-up, not the first
            // dashboard. Never migrated: a standby takes its schema from the primary.
            Some(url) => {
                let timeout = std::time::Duration::from_millis(config.pool_timeout_ms);
                let pool = db::open_pool(url.expose_secret(), config.pool_size, timeout).map_err(|e| match e {
                    DbError::Connect(why) => DbError::Connect(format!("read_database_url (the read replica): {why}")),
                    other => other,
                })?;
                Some(pool)
            }
        };
        let writer = GroupCommit::start(
            config.database_url.expose_secret(),
            group_commit::Settings {
                max_batch: config.group_commit_max as usize,
                window: std::time::Duration::from_micros(u64::from(config.group_commit_window_us)),
            },
        )?;
        let metrics = metrics::Metrics::default();
        let gateway = match config.gateway.clone().map(|g| Gateway::start(g, metrics.gateway.clone())) {
            None => None,
            Some(Ok(gateway)) => Some(Arc::new(gateway)),
            // no thread for it: the machine is out of resources, and the server will not get far
            Some(Err(e)) => return Err(DbError::Unavailable(format!("the gateway worker did not start: {e}"))),
        };
        Ok(AppState {
            limiter: Arc::new(RateLimit::per_minute(config.rate_limit_per_minute)),
            key_limiter: Arc::new(RateLimit::per_minute(config.api_key_rate_per_minute)),
            metrics: Arc::new(metrics),
            gateway,
            writer: Arc::new(writer),
            forms: Arc::new(crate::survey::form_cache::FormCache::new(std::time::Duration::from_millis(u64::from(
                config.form_cache_ms,
            )))),
            pool,
            read_pool,
            config: Arc::new(config),
            catalog: Arc::new(catalog),
            keys,
            templates: Arc::new(templates),
        })
    }
}

impl AppState {
    fn primary(&self) -> &Pool {
        &self.pool
    }

    /// Where `blocking_read` reads: the replica when configured, else the primary.
    pub fn read_pool(&self) -> &Pool {
        self.read_pool.as_ref().unwrap_or(&self.pool)
    }

    /// What a public submission is checked against (`survey::public`).
    pub fn gate(&self) -> Gate<'_> {
        Gate {
            templates: &self.templates,
            keys: &self.keys,
            limiter: &self.limiter,
            burst: self.config.burst_rule(),
            token_max_age: chrono::Duration::minutes(i64::from(self.config.form_token_minutes)),
            timezone: self.config.timezone,
            writer: &self.writer,
            forms: &self.forms,
        }
    }
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
        let shutdown = state.config.shutdown_timeout_secs;
        let hsts = state.config.base_url.starts_with("https://");
        let data = web::Data::new(state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(fallback::bad_form))
                .app_data(web::QueryConfig::default().error_handler(fallback::bad_query))
                .wrap(middleware::from_fn(error_pages::html_for_browsers))
                .wrap(middleware::from_fn(throttle::ensure_retry_after))
                .wrap(security_headers(hsts))
                .wrap(middleware::from_fn(observe::observe))
                // gzip and brotli for pages and the stylesheet, as the client accepts them
                .wrap(middleware::Compress::default())
                .configure(routes::mount)
        })
        .workers(workers)
        // SIGTERM/SIGINT: stop accepting, let requests in flight finish for up to this long.
        .shutdown_timeout(shutdown)
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

/// Runs `work` with a pooled connection on the blocking thread pool (diesel and argon2 must not
/// stall the async workers); any error it returns becomes the web layer's.
pub async fn blocking<T, E>(
    state: &web::Data<AppState>,
    work: impl FnOnce(&AppState, &mut DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, error::WebError>
where
    T: Send + 'static,
    E: Into<error::WebError> + Send + 'static,
{
    on_pool(state, AppState::primary, work).await
}

/// `blocking` for a handler that writes nothing: on the read replica (`read_database_url`) when
/// one is configured, else on the primary. A replica refuses every write and may be a few seconds
/// behind the primary, so it suits pages that show what has been collected, never a step that
/// records something or must read its own write (a session, a token, a rate limit).
pub async fn blocking_read<T, E>(
    state: &web::Data<AppState>,
    work: impl FnOnce(&AppState, &mut DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, error::WebError>
where
    T: Send + 'static,
    E: Into<error::WebError> + Send + 'static,
{
    on_pool(state, AppState::read_pool, work).await
}

async fn on_pool<T, E>(
    state: &web::Data<AppState>,
    pool: fn(&AppState) -> &Pool,
    work: impl FnOnce(&AppState, &mut DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, error::WebError>
where
    T: Send + 'static,
    E: Into<error::WebError> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        let mut conn = pool(&state).get().map_err(DbError::from)?;
        work(&state, &mut conn).map_err(Into::into)
    })
    .await?
}

/// Percent-encodes `text` for a query value in a link: everything but RFC 3986's unreserved
/// characters and `/` (which a query may hold, and which keeps `next=/dasbor` readable).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `303 See Other` to `location`: where a form post sends the browser next.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.into())).finish()
}

/// No inline scripts anywhere (there are none), no framing, no sniffing; HSTS when the public
/// address is https (the proxy terminates TLS, so the request itself looks like plain HTTP).
fn security_headers(hsts: bool) -> middleware::DefaultHeaders {
    let headers = if hsts {
        middleware::DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        middleware::DefaultHeaders::new()
    };
    headers
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
}

const STYLESHEET: &str = include_str!("../../assets/skm.css");
const FAVICON: &[u8] = include_bytes!("../../assets/favicon.png");

/// A PNG under the name browsers ask for unprompted; they read the type from the header.
async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/png"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=604800"))
        .body(FAVICON)
}

/// `/`: a signed-in user's dashboard, everyone else's the published results.
async fn home(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, error::WebError> {
    let signed_in = session::current(&state, &req).await?.is_some();
    Ok(see_other(if signed_in { "/dasbor" } else { "/publik" }))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(STYLESHEET)
}

/// The client's address for rate limits and the keyed client hash. X-Forwarded-For counts only
/// when the connection comes from a configured proxy (otherwise anyone could forge it); then the
/// rightmost address that is not one of our proxies is the client.
pub fn client_ip(req: &HttpRequest, config: &Config) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return "unknown".into() };
    if !config.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let chain: Vec<std::net::IpAddr> = forwarded.filter_map(|a| a.trim().parse().ok()).collect();
    chain.into_iter().rev().find(|ip| !config.trusted_proxies.contains(ip)).unwrap_or(peer).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn config(proxies: &[&str]) -> Config {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, format!("trusted_proxies = \"{}\"\n", proxies.join(","))).expect("write");
        Config::load(Some(&path), Vec::new()).expect("config")
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let forged = TestRequest::default()
            .peer_addr("203.0.113.9:5000".parse().expect("addr"))
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&forged, &config(&[])), "203.0.113.9", "a forged header from a client is ignored");
        let proxied = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().expect("addr"))
            .insert_header(("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.3"))
            .to_http_request();
        assert_eq!(client_ip(&proxied, &config(&["10.0.0.2", "10.0.0.3"])), "198.51.100.7", "rightmost untrusted hop");
        assert_eq!(client_ip(&proxied, &config(&["10.0.0.9"])), "10.0.0.2");
    }
}
