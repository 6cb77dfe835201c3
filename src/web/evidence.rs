//! `GET /admin/bukti.zip?period=2026`: the PEKPPP evidence pack (SPEC §6a) for admins, streamed.
//! `reports::evidence` writes the ZIP on a blocking thread into a bounded channel of chunks that
//! the response reads, so the pack of a regency of 60 units never sits in memory whole.

use super::access::Admin;
use super::error::WebError;
use super::AppState;
use crate::db::DbError;
use crate::domain::period::{local_date, Period};
use crate::reports::{evidence, official_pdf};
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use serde::Deserialize;
use tokio::sync::mpsc;

/// Chunks of this size go to the response; a few wait in the channel while the client reads.
const CHUNK: usize = 64 * 1024;
const CHUNKS_WAITING: usize = 4;

#[derive(Deserialize)]
pub struct EvidenceQuery {
    period: Option<String>,
}

/// A `Write` that hands its bytes to the response in chunks; a client that went away ends the
/// writing with an error.
struct ChunkWriter {
    sender: mpsc::Sender<Result<Bytes, WebError>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

pub async fn download(
    state: web::Data<AppState>,
    Admin(session): Admin,
    query: web::Query<EvidenceQuery>,
) -> Result<HttpResponse, WebError> {
    let text = query
        .period
        .as_deref()
        .ok_or_else(|| WebError::Invalid { field: "period".into(), reason: "required, e.g. 2026".into() })?;
    let period: Period = text.parse().map_err(|e: crate::domain::period::PeriodError| WebError::Invalid {
        field: "period".into(),
        reason: e.to_string(),
    })?;
    // the connection first: a busy pool is an error page, not a broken download
    let pool = state.pool.clone();
    let mut conn = web::block(move || pool.get().map_err(DbError::from)).await??;
    let (sender, receiver) = mpsc::channel::<Result<Bytes, WebError>>(CHUNKS_WAITING);
    let who = format!("{} ({})", session.user.name, session.user.email);
    let writer_state = state.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let state = writer_state;
        let options = evidence::Options {
            today: local_date(chrono::Utc::now(), state.config.timezone),
            downloaded: &who,
            default_logo: state.config.logo.as_deref().and_then(official_pdf::read_logo),
        };
        let out = ChunkWriter { sender: sender.clone(), buffer: Vec::with_capacity(CHUNK) };
        if let Err(e) = evidence::write(&mut conn, &state.templates, period, &options, out) {
            tracing::error!(%period, error = %e, "evidence pack");
            // the response ends with an error, so the client does not keep half a ZIP as whole
            let _ = sender.blocking_send(Err(WebError::Internal(e.to_string())));
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let name = format!("bukti-skm-{}.zip", period.to_string().replace("..", "_"));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .streaming(stream))
}
