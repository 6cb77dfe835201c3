//! Storage: one diesel code base over SQLite (default, bundled) and PostgreSQL, chosen by the
//! URL's scheme. Every SQL statement of the application lives under this folder.

pub mod aggregate;
pub mod api_keys;
pub mod archive;
pub mod audit;
pub mod counters;
pub mod devices;
pub mod group_commit;
pub mod images;
pub mod import_batches;
pub mod instruments;
pub mod invitations;
pub mod letterheads;
pub mod mail_log;
pub mod partitions;
pub mod password_resets;
pub mod progress;
pub mod publications;
pub mod rate_limits;
pub mod replica;
pub mod responses;
pub mod rollup;
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
    /// The database is away (restarting, failing over, unreachable) or, for SQLite, still locked
    /// after the busy timeout: nothing was done, and the same request can be sent again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    /// the person running a long job stopped it (Ctrl-C); its transaction rolled back
    #[error("interrupted")]
    Interrupted,
}

impl From<progress::Interrupted> for DbError {
    fn from(_: progress::Interrupted) -> Self {
        DbError::Interrupted
    }
}

/// What the servers and client libraries say when the database, not the statement, is the
/// problem: PostgreSQL shutting down or starting up, libpq losing its connection, SQLite busy.
/// Matched on the message because diesel reports most of them as `Unknown` (it does not expose
/// the SQLSTATE), and a restart's "terminating connection" arrives before libpq sees the loss.
const UNAVAILABLE_MESSAGES: &[&str] = &[
    // PostgreSQL 57P01-57P03, 08xxx
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "the database system is not accepting connections",
    "sorry, too many clients already",
    "remaining connection slots are reserved",
    // libpq
    "server closed the connection unexpectedly",
    "no connection to the server",
    "could not connect to server",
    "connection to server at",
    "could not send data to server",
    "could not receive data from server",
    "connection refused",
    "connection timed out",
    "ssl syscall error",
    "ssl connection has been closed unexpectedly",
    "lost synchronization with server",
    // SQLite after busy_timeout
    "database is locked",
    "database table is locked",
];

/// Whether `message` (a database or client library error) means the database is unavailable.
pub fn unavailable_message(message: &str) -> bool {
    let message = message.to_lowercase();
    UNAVAILABLE_MESSAGES.iter().any(|known| message.contains(known))
}

/// Whether a diesel error means the database is unavailable rather than the query wrong.
fn is_unavailable(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        // diesel sets this when libpq reports the connection bad after the error
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        // `UnableToSendCommand` is also a protocol violation (too many binds): the message decides
        Error::DatabaseError(_, info) => unavailable_message(info.message()),
        // a transaction whose connection died under it
        Error::BrokenTransactionManager => true,
        Error::RollbackErrorOnCommit { rollback_error, commit_error } => {
            is_unavailable(rollback_error) || is_unavailable(commit_error)
        }
        _ => false,
    }
}

impl From<diesel::result::Error> for DbError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => DbError::NotFound,
            other if is_unavailable(&other) => DbError::Unavailable(other.to_string()),
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
            if let DbConnection::Postgres(pg) = &mut conn {
                // PostgreSQL's JIT compiles any plan its estimate calls expensive: a regency's
                // year of daily totals (40,000 rows, 30 ms to sum) took 85 ms with 13 ms of
                // compiling and more of its overhead. Nothing skm asks for runs long enough to
                // repay it (benches/national.rs).
                pg.batch_execute("SET jit = off").map_err(|e| DbError::Connect(e.to_string()))?;
            }
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

    /// PostgreSQL's connections are tried with `SELECT 1` (a restarted server leaves them dead).
    /// A SQLite connection is a file handle of this process, which nothing outside can close:
    /// trying it cost a statement compiled on every checkout (`sqlite3_exec`), 2 % of the
    /// CPU of a submission in perf (benches/submit.rs).
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        match conn {
            DbConnection::Postgres(_) => conn.batch_execute("SELECT 1").map_err(DbError::from),
            DbConnection::Sqlite(_) => Ok(()),
        }
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
    // Each PostgreSQL connection is tried (`SELECT 1`) as it is handed out: after a restart the
    // pool's dead connections are dropped there, not given to a request, and new ones are made
    // in the background (retrying at most `timeout / 2` apart) as soon as the database is back.
    // At most `MIN_IDLE` kept open when idle: SQLite's pool has room for a whole group commit
    // (`Config::pool_connections`, 70 by default), which a quiet server or a one-shot command
    // need not open; the rest open on demand and close after r2d2's idle timeout.
    Ok(r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(size.min(MIN_IDLE)))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build(manager)?)
}

/// Connections a pool keeps open while idle (all of them when it is smaller).
const MIN_IDLE: u32 = 8;

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
    applied.map_err(|e| migration_error(e.to_string()))
}

/// diesel_migrations boxes the diesel error: only its message tells a lost database apart.
fn migration_error(message: String) -> DbError {
    if unavailable_message(&message) {
        DbError::Unavailable(message)
    } else {
        DbError::Migration(message)
    }
}

/// True when every embedded migration has been applied (for readiness checks).
pub fn migrations_current(conn: &mut DbConnection) -> Result<bool, DbError> {
    let pending = match conn {
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    pending.map(|n| n == 0).map_err(|e| migration_error(e.to_string()))
}

pub fn now_utc() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::DbError;
    use diesel::result::{DatabaseErrorKind, Error};

    fn from(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::from(Error::DatabaseError(kind, Box::new(message.to_string())))
    }

    #[test]
    fn a_lost_or_locked_database_is_unavailable_and_a_wrong_statement_is_not() {
        use DatabaseErrorKind::*;
        for (kind, message) in [
            (Unknown, "terminating connection due to administrator command"),
            (ClosedConnection, "server closed the connection unexpectedly\n\tThis probably means…"),
            (UnableToSendCommand, "no connection to the server\n"),
            (Unknown, "FATAL:  the database system is shutting down"),
            (Unknown, "the database system is starting up"),
            (Unknown, "database is locked"),
        ] {
            assert!(matches!(from(kind, message), DbError::Unavailable(_)), "{message}");
        }
        for (kind, message) in [
            (Unknown, "syntax error at or near \"SELEC\""),
            (UnableToSendCommand, "number of parameters must be between 0 and 65535"),
        ] {
            assert!(matches!(from(kind, message), DbError::Query(_)), "{message}");
        }
        assert!(matches!(from(UniqueViolation, "duplicate key value"), DbError::Conflict(_)));
        assert!(matches!(DbError::from(Error::BrokenTransactionManager), DbError::Unavailable(_)));
    }
}
