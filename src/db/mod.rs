//! Storage: one diesel code base over SQLite (default, bundled) and PostgreSQL, chosen by the
//! URL's scheme. Every SQL statement of the application lives under this folder.

pub mod aggregate;
pub mod audit;
pub mod images;
pub mod import_batches;
pub mod letterheads;
pub mod mail_log;
pub mod password_resets;
pub mod publications;
pub mod rate_limits;
pub mod responses;
pub mod rtl;
pub mod schema;
pub mod secrets;
pub mod setup_uploads;
pub mod statement;
pub mod templates;
pub mod tickets;
pub mod totals;
pub mod transfer;
pub mod units;
pub mod users;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;
use thiserror::Error;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Error)]
pub enum DbError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// input the database cannot store as text (PostgreSQL refuses the NUL character)
    #[error("{0}")]
    NotText(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for DbError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => DbError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(info.message().to_string())
            }
            // "invalid byte sequence for encoding "UTF8": 0x00": only a client's input can hold a
            // NUL (a path, a search, a form field), so it is their mistake, not a fault of ours.
            Error::DatabaseError(_, info) if info.message().contains("0x00") => {
                DbError::NotText("contains a NUL character, which is not text".into())
            }
            other => DbError::Query(other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is a SQLite path.
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections of the backend the URL names. diesel's own `establish` on a
/// MultiConnection tries each backend in turn, and SQLite accepts any string as a file name.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(url: &str) -> Self {
        let backend = Backend::of(url);
        let url = match backend {
            Backend::Sqlite => url.trim_start_matches("sqlite://").trim_start_matches("sqlite:").to_string(),
            Backend::Postgres => url.to_string(),
        };
        Manager { url, backend }
    }

    pub fn connect_now(&self) -> Result<DbConnection, DbError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConnection::Postgres),
            Backend::Sqlite => SqliteConnection::establish(&self.url).map(DbConnection::Sqlite),
        }
        .map_err(|e| DbError::Connect(e.to_string()))
        .and_then(|mut conn| {
            if let DbConnection::Sqlite(sqlite) = &mut conn {
                // One statement each: WAL lets readers run beside the writer, and the busy
                // timeout makes a second writer wait instead of failing with "database is locked".
                for pragma in [
                    "PRAGMA busy_timeout = 10000;",
                    "PRAGMA journal_mode = WAL;",
                    "PRAGMA synchronous = NORMAL;",
                    "PRAGMA foreign_keys = ON;",
                ] {
                    sqlite.batch_execute(pragma).map_err(|e| DbError::Connect(e.to_string()))?;
                }
            }
            Ok(conn)
        })
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.connect_now()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Opens the pool, failing at once (not at the first request) when the database is unreachable.
pub fn open_pool(url: &str, size: u32, timeout: Duration) -> Result<Pool, DbError> {
    let manager = Manager::new(url);
    // Fail fast with the real reason before r2d2 starts retrying in the background.
    drop(manager.connect_now()?);
    Ok(r2d2::Pool::builder().max_size(size).connection_timeout(timeout).build(manager)?)
}

/// Runs the pending migrations of the connection's backend; returns the versions applied.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect())
        }
        DbConnection::Postgres(c) => {
            c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect())
        }
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// True when every embedded migration has been applied (for readiness checks).
pub fn migrations_current(conn: &mut DbConnection) -> Result<bool, DbError> {
    let pending = match conn {
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    pending.map(|n| n == 0).map_err(|e| DbError::Migration(e.to_string()))
}

pub fn now_utc() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
