//! Group commit of citizens' submissions on SQLite (issue 21, point 5).
//!
//! SQLite has one writer at a time. With every request committing its own submission on its own
//! pooled connection, the connections queue for the write lock in SQLite's busy handler, which
//! sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries: under load a submission waits for the lock
//! far longer than it holds it (the open-loop tails), and each commit writes the pages that every
//! submission touches (the unit's daily totals, the rate-limit counters, the index pages) to the
//! WAL again.
//!
//! Here one thread owns one write connection. A request hands its submission over a channel and
//! waits for the answer: a blocking caller on its thread (`insert_submission`), the citizen's
//! common post on its actix worker without holding a thread or a pooled connection (`send`,
//! from `survey::public::submit_queued`). The thread takes the first waiting submission and
//! whatever else is already queued (at most `group_commit_max`; optionally waiting `group_commit_window_us` for
//! more), and writes them all in ONE transaction (`BEGIN IMMEDIATE`, so it never waits to
//! upgrade a read lock), each in its own savepoint (`db::responses::insert_submission` opens a
//! nested transaction, which diesel makes a savepoint): a refused submission (token spent, rate
//! limit, ticket used…) rolls back only itself. The daily and monthly totals of the stored ones
//! are summed in memory and written once at the end of the batch, one upsert per table and unit
//! day instead of one per submission (`db::totals::Pending`). Only after the COMMIT has succeeded is each
//! submission answered with its own outcome; when the COMMIT fails (or a submission panics)
//! every submission of the batch is answered "unavailable, send again": nothing of it is
//! stored. A batch of one is exactly the old single transaction.
//!
//! The window defaults to 0: the batch is what queued while the previous batch was being
//! written, which adapts by itself (a quiet server commits each submission at once, a busy one
//! many at a time). With `synchronous = NORMAL` in WAL mode a commit does not fsync, so there is
//! no flush whose cost waiting would share; waiting would only add its length to every
//! submission's latency. On a disk with `synchronous = FULL` (not ours) a window would pay.
//!
//! The writer's connection runs no automatic WAL checkpoint: SQLite would run one (with an fsync
//! of the database file) inside the commit that crosses 1,000 WAL pages, and every submission
//! queued behind it would wait (the benchmark's open-loop tail). A thread of its own runs a
//! PASSIVE checkpoint after the writer's commits instead, beside the writer, at most every
//! `CHECKPOINT_EVERY` (25 ms). Often, because the checkpoint's fsync of the database file makes
//! the writer's own WAL writes wait on ext4 (its journal commits the flushed pages first): a
//! checkpoint every 500 ms flushed a few hundred pages at a time, took 100–200 ms and stalled
//! commits by up to 30 ms; every 25 ms each is small (benches/submit.rs, open loop at ½ of
//! saturation: POST p99 23–31 → 9–12 ms). An idle writer kicks nothing, so nothing runs.
//!
//! PostgreSQL keeps one transaction per submission on the request's own connection: its writers
//! run side by side (row locks, not a database lock), so there is no lock queue to remove.
//! `group_commit_max = 0` does the same on SQLite.

use super::instruments::InstrumentAnswers;
use super::responses::{self, DeviceGuard, Guards, NewResponse, RateGuard, StoreError};
use super::totals::Pending;
use super::{Backend, DbConnection, DbError, Manager};
use crate::domain::submission::BurstRule;
use crate::security::form_token::Desk;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How submissions are grouped (`group_commit_max`, `group_commit_window_us`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// the most submissions in one commit; 0: no group commit (each on the request's connection)
    pub max_batch: usize,
    /// how long the writer waits for more after the first (0: only what is already queued)
    pub window: Duration,
}

/// Counts kept by the writer, for tests and the benchmark.
#[derive(Debug, Default)]
pub struct Counts {
    /// submissions handed to the writer
    pub submitted: AtomicU64,
    /// transactions committed (each holding one or more submissions)
    pub commits: AtomicU64,
    /// submissions in committed transactions
    pub written: AtomicU64,
}

/// The way submissions are written: through the SQLite writer thread, or directly on the
/// caller's connection (PostgreSQL, group commit off, paper entry).
pub struct GroupCommit {
    writer: Option<Writer>,
}

struct Writer {
    /// `None` once dropped: the thread then finishes what is queued and ends
    jobs: Option<Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    counts: Arc<Counts>,
    /// ends once the writer has (the writer holds what wakes it)
    checkpointer: Option<std::thread::JoinHandle<()>>,
}

/// How often, at most, the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);

/// The writer's connection: no automatic checkpoint inside its commits (SQLite runs one in the
/// commit that crosses 1,000 WAL pages, with an fsync, and every submission queued behind it
/// would wait); the checkpointer thread does them beside it.
fn writer_connection(manager: &Manager) -> Result<DbConnection, DbError> {
    use diesel::connection::SimpleConnection;
    let mut conn = manager.connect_now()?;
    conn.batch_execute("PRAGMA wal_autocheckpoint = 0;")?;
    Ok(conn)
}

/// After the writer's commits (`committed`: one waiting signal at most), no more often than
/// `CHECKPOINT_EVERY`, until the writer has ended: a PASSIVE checkpoint, which never waits for
/// (nor blocks) the writer or readers; what it cannot copy yet waits for the next one.
fn checkpoint(mut conn: DbConnection, committed: Receiver<()>) {
    use diesel::connection::SimpleConnection;
    while committed.recv().is_ok() {
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        std::thread::sleep(CHECKPOINT_EVERY);
    }
}

/// One submission, owned, for the writer thread.
struct Job {
    response: NewResponse,
    instruments: Vec<InstrumentAnswers>,
    guards: OwnedGuards,
    desk: Desk,
    reply: Reply,
}

/// Where a submission's outcome goes: a blocking caller's channel, or an async request's.
enum Reply {
    Blocking(SyncSender<Result<bool, StoreError>>),
    Async(tokio::sync::oneshot::Sender<Result<bool, StoreError>>),
}

impl Reply {
    /// A request that gave up waiting is gone; its submission is stored all the same.
    fn send(self, outcome: Result<bool, StoreError>) {
        match self {
            Reply::Blocking(reply) => {
                let _ = reply.send(outcome);
            }
            Reply::Async(reply) => {
                let _ = reply.send(outcome);
            }
        }
    }
}

/// What a submission is told when the writer thread is gone (the server is stopping).
fn stopped() -> StoreError {
    StoreError::Db(DbError::Unavailable("the submission writer has stopped".into()))
}

/// `Guards` without borrows.
struct OwnedGuards {
    token_nonce: Option<String>,
    ticket_code: Option<String>,
    burst: BurstRule,
    rate_limit: Option<(String, i64, u32)>,
    invitation_id: Option<i32>,
    device: Option<DeviceGuard>,
}

impl OwnedGuards {
    fn of(guards: &Guards) -> OwnedGuards {
        OwnedGuards {
            token_nonce: guards.token_nonce.map(str::to_string),
            ticket_code: guards.ticket_code.map(str::to_string),
            burst: guards.burst,
            rate_limit: guards.rate_limit.map(|r| (r.key.to_string(), r.window_start, r.limit)),
            invitation_id: guards.invitation_id,
            device: guards.device,
        }
    }

    fn borrowed(&self) -> Guards<'_> {
        Guards {
            token_nonce: self.token_nonce.as_deref(),
            ticket_code: self.ticket_code.as_deref(),
            burst: self.burst,
            rate_limit: self.rate_limit.as_ref().map(|(key, window_start, limit)| RateGuard {
                key,
                window_start: *window_start,
                limit: *limit,
            }),
            invitation_id: self.invitation_id,
            device: self.device,
        }
    }
}

/// What a batch's submissions are told when it could not be committed: nothing of theirs is
/// stored, and the same submission can be sent again.
fn batch_failed(why: &str) -> StoreError {
    StoreError::Db(DbError::Unavailable(format!("the submissions written together were not stored: {why}")))
}

impl GroupCommit {
    /// Each submission in its own transaction on the caller's connection.
    pub const fn direct() -> GroupCommit {
        GroupCommit { writer: None }
    }

    /// The writer thread for a SQLite `url` (its own connection, opened now so that a database
    /// that cannot be opened stops start-up); `direct` for PostgreSQL or `max_batch` 0.
    pub fn start(url: &str, settings: Settings) -> Result<GroupCommit, DbError> {
        if Backend::of(url) != Backend::Sqlite || settings.max_batch == 0 {
            return Ok(GroupCommit::direct());
        }
        let manager = Manager::new(url);
        let conn = writer_connection(&manager)?;
        let checkpoint_conn = manager.connect_now()?;
        let (kick, committed) = mpsc::sync_channel(1);
        let checkpointer = std::thread::Builder::new()
            .name("skm-checkpoint".into())
            .spawn(move || checkpoint(checkpoint_conn, committed))
            .map_err(|e| DbError::Unavailable(format!("the WAL checkpointer did not start: {e}")))?;
        let (jobs, queue) = mpsc::channel();
        let counts = Arc::new(Counts::default());
        let thread_counts = counts.clone();
        let thread = std::thread::Builder::new()
            .name("skm-group-commit".into())
            .spawn(move || run(manager, conn, queue, settings, &thread_counts, &kick))
            .map_err(|e| DbError::Unavailable(format!("the submission writer did not start: {e}")))?;
        Ok(GroupCommit {
            writer: Some(Writer { jobs: Some(jobs), thread: Some(thread), counts, checkpointer: Some(checkpointer) }),
        })
    }

    /// Whether submissions go through the writer thread.
    pub fn is_on(&self) -> bool {
        self.writer.is_some()
    }

    /// The writer's counts; `None` when direct.
    pub fn counts(&self) -> Option<&Counts> {
        self.writer.as_ref().map(|w| w.counts.as_ref())
    }

    /// `db::responses::insert_submission`, through the writer when there is one (then `conn` is
    /// not used): answered once the submission's transaction has committed, with its own outcome.
    pub fn insert_submission(
        &self,
        conn: &mut DbConnection,
        response: &NewResponse,
        instruments: &[InstrumentAnswers],
        guards: &Guards,
        desk: Desk,
    ) -> Result<bool, StoreError> {
        let Some(writer) = &self.writer else {
            return responses::insert_submission(conn, response, instruments, guards, desk);
        };
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            response: response.clone(),
            instruments: instruments.to_vec(),
            guards: OwnedGuards::of(guards),
            desk,
            reply: Reply::Blocking(reply),
        };
        if !writer.queue(job) {
            return Err(stopped());
        }
        answer.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// As `insert_submission` for an async caller, which waits for the commit without holding a
    /// thread: `None` when there is no writer (the write then needs a connection).
    pub fn send(
        &self,
        response: NewResponse,
        instruments: Vec<InstrumentAnswers>,
        guards: &Guards,
        desk: Desk,
    ) -> Option<impl std::future::Future<Output = Result<bool, StoreError>>> {
        let writer = self.writer.as_ref()?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job { response, instruments, guards: OwnedGuards::of(guards), desk, reply: Reply::Async(reply) };
        let queued = writer.queue(job);
        Some(async move {
            if !queued {
                return Err(stopped());
            }
            answer.await.unwrap_or_else(|_| Err(stopped()))
        })
    }
}

impl Writer {
    /// Hands `job` to the writer thread; false when it has stopped.
    fn queue(&self, job: Job) -> bool {
        let sent = self.jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok());
        if sent {
            self.counts.submitted.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }
}

impl Drop for GroupCommit {
    /// Closes the queue and waits until the writer has written (and answered) what was queued.
    fn drop(&mut self) {
        if let Some(writer) = &mut self.writer {
            writer.jobs.take();
            if let Some(thread) = writer.thread.take() {
                if thread.join().is_err() {
                    tracing::error!("the submission writer thread died of a panic");
                }
            }
            if let Some(thread) = writer.checkpointer.take() {
                if thread.join().is_err() {
                    tracing::error!("the WAL checkpointer thread died of a panic");
                }
            }
        }
    }
}

/// The writer thread: until every sender is gone, a batch at a time.
fn run(
    manager: Manager,
    conn: DbConnection,
    queue: Receiver<Job>,
    settings: Settings,
    counts: &Counts,
    kick: &SyncSender<()>,
) {
    let mut conn = Some(conn);
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        let deadline = Instant::now() + settings.window;
        while batch.len() < settings.max_batch {
            let next = if settings.window.is_zero() {
                queue.try_recv().ok()
            } else {
                // timed out, or every sender gone: the batch is complete
                queue.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()
            };
            match next {
                Some(job) => batch.push(job),
                None => break,
            }
        }
        // a connection lost with a failed batch is opened again for the next one
        if conn.is_none() {
            match writer_connection(&manager) {
                Ok(fresh) => conn = Some(fresh),
                Err(e) => {
                    let why = e.to_string();
                    for job in batch {
                        job.reply.send(Err(batch_failed(&why)));
                    }
                    continue;
                }
            }
        }
        let Some(open) = conn.as_mut() else { continue };
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(open, &batch)));
        let outcomes = match written {
            Ok(Ok(outcomes)) => {
                counts.commits.fetch_add(1, Ordering::Relaxed);
                // a signal already waiting covers this commit too
                let _ = kick.try_send(());
                counts.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                outcomes
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, submissions = batch.len(), "a group commit failed: each is asked to send again");
                // a connection still in (or unsure of) a transaction is not used again
                let status = AnsiTransactionManager::transaction_manager_status_mut(sqlite(open));
                if !matches!(status.transaction_depth(), Ok(None)) {
                    conn = None;
                }
                let why = e.to_string();
                batch.iter().map(|_| Err(batch_failed(&why))).collect()
            }
            Err(_) => {
                // the transaction's state is unknown after a panic: the connection goes (an
                // uncommitted transaction dies with it)
                tracing::error!(
                    submissions = batch.len(),
                    "a submission panicked in the writer: its batch is not stored"
                );
                conn = None;
                batch.iter().map(|_| Err(batch_failed("an internal fault"))).collect()
            }
        };
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            job.reply.send(outcome);
        }
    }
}

fn sqlite(conn: &mut DbConnection) -> &mut diesel::sqlite::SqliteConnection {
    match conn {
        DbConnection::Sqlite(sqlite) => sqlite,
        DbConnection::Postgres(_) => unreachable!("the writer is only started for SQLite"),
    }
}

/// One batch in one transaction, each submission in its savepoint, the totals of those stored
/// summed and written once at the end; the outcomes once committed.
fn write(conn: &mut DbConnection, batch: &[Job]) -> Result<Vec<Result<bool, StoreError>>, DbError> {
    // IMMEDIATE: the write lock now, not at the first write (no upgrade that could fail)
    AnsiTransactionManager::begin_transaction_sql(sqlite(conn), "BEGIN IMMEDIATE")?;
    let mut totals = Pending::default();
    let outcomes: Result<Vec<_>, DbError> = batch
        .iter()
        .map(|job| {
            let guards = job.guards.borrowed();
            responses::insert_submission_pending(conn, &job.response, &job.instruments, &guards, job.desk, &mut totals)
        })
        .collect();
    let written = outcomes.and_then(|outcomes| {
        totals.write(conn)?;
        AnsiTransactionManager::commit_transaction(sqlite(conn))?;
        Ok(outcomes)
    });
    if let Err(e) = written {
        // diesel rolls back a failed COMMIT itself; a second try covers a rollback that failed
        let _ = AnsiTransactionManager::rollback_transaction(sqlite(conn));
        return Err(e);
    }
    written
}
