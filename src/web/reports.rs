//! Report downloads for a unit and period: `laporan.pdf`, `laporan.docx` (the same report for
//! Word), `laporan.xlsx`, and `laporan.csv` (streamed page by page, so a year of a busy unit
//! never sits in memory). They only read: on the read replica when one is configured.

use super::access::UnitReader;
use super::error::WebError;
use super::{blocking_read, AppState};
use crate::aggregator;
use crate::db::responses::{export_page, EXPORT_PAGE};
use crate::domain::period::{local_date, Period};
use crate::reports::{csv_export, data, official_pdf, xlsx};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct ReportQuery {
    period: Option<String>,
    sub: Option<String>,
    /// `1`: the PDF and Word report end with the appendix per counter and officer
    loket: Option<String>,
}

fn period_of(query: &ReportQuery) -> Result<Period, WebError> {
    let text = query
        .period
        .as_deref()
        .ok_or_else(|| WebError::Invalid { field: "period".into(), reason: "required, e.g. 2026-10".into() })?;
    text.parse().map_err(|e: crate::domain::period::PeriodError| WebError::Invalid {
        field: "period".into(),
        reason: e.to_string(),
    })
}

fn attachment(name: &str, content_type: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(body)
}

/// A report file's extension and content type.
const DOCUMENTS: [(&str, &str); 3] = [
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
];

/// `GET /dasbor/unit/{slug}/laporan.{pdf|docx|xlsx|csv}?period=…[&sub=1]`
pub async fn download(
    state: web::Data<AppState>,
    UnitReader { session, unit }: UnitReader,
    path: web::Path<(String, String)>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, format) = path.into_inner();
    let period = period_of(&query)?;
    let with_sub = query.sub.as_deref() == Some("1");
    let base = format!("laporan-skm-{}-{}", unit.slug, period.to_string().replace("..", "_"));
    if format == "csv" {
        return csv_stream(state, unit, period, with_sub, format!("{base}.csv")).await;
    }
    let Some((extension, content_type)) = DOCUMENTS.into_iter().find(|(e, _)| *e == format) else {
        return Err(WebError::NotFound);
    };
    let today = local_date(chrono::Utc::now(), state.config.timezone);
    let who = format!("{} ({})", session.user.name, session.user.email);
    let logo = state.config.logo.clone();
    let with_desks = query.loket.as_deref() == Some("1");
    let bytes = blocking_read(&state, move |state, conn| -> Result<Vec<u8>, WebError> {
        let mut report = data::gather(conn, &state.templates, &unit, period, with_sub)?;
        report.add_response_rate(conn, state.config.timezone)?;
        if with_desks {
            let min = u64::from(state.config.scorecard_min_responses);
            report.desks = Some(crate::desks::scorecard(conn, &state.templates, &unit, &period, min)?);
        }
        let options = official_pdf::Options {
            today,
            downloaded: &who,
            default_logo: logo.as_deref().and_then(official_pdf::read_logo),
        };
        match extension {
            "pdf" => official_pdf::pdf(&report, &options).map_err(WebError::Internal),
            "docx" => official_pdf::docx(&report, &options).map_err(WebError::Internal),
            _ => xlsx::workbook(conn, &report, &who, today).map_err(|e| WebError::Internal(e.to_string())),
        }
    })
    .await?;
    Ok(attachment(&format!("{base}.{extension}"), content_type, bytes))
}

struct Cursor {
    state: web::Data<AppState>,
    template: Arc<crate::domain::template::Template>,
    version_ids: Arc<Vec<i32>>,
    unit_ids: Arc<Vec<i32>>,
    period: Period,
    after: Option<String>,
    header: bool,
    done: bool,
}

async fn csv_stream(
    state: web::Data<AppState>,
    unit: crate::db::units::Unit,
    period: Period,
    with_sub: bool,
    name: String,
) -> Result<HttpResponse, WebError> {
    let (template, version_ids, unit_ids) =
        blocking_read(&state, move |state, conn| -> Result<_, crate::db::DbError> {
            let (template, version_ids) = aggregator::template_of(conn, &state.templates, &unit)?;
            let unit_ids = crate::db::units::scope_ids(conn, unit.id, with_sub)?;
            Ok((template, version_ids, unit_ids))
        })
        .await?;
    let start = Cursor {
        state,
        template,
        version_ids: Arc::new(version_ids),
        unit_ids: Arc::new(unit_ids),
        period,
        after: None,
        header: false,
        done: false,
    };
    let stream = futures_util::stream::unfold(start, |mut cursor| async move {
        if cursor.done {
            return None;
        }
        if !cursor.header {
            cursor.header = true;
            let bytes = csv_export::lines([csv_export::header(&cursor.template)])
                .map_err(|e| WebError::Internal(e.to_string()));
            return Some((bytes.map(Bytes::from), cursor));
        }
        let (state, template, versions, units, period, after) = (
            cursor.state.clone(),
            cursor.template.clone(),
            cursor.version_ids.clone(),
            cursor.unit_ids.clone(),
            cursor.period,
            cursor.after.clone(),
        );
        let page = web::block(move || -> Result<_, WebError> {
            let mut conn = state.read_pool().get().map_err(crate::db::DbError::from)?;
            let rows = export_page(
                &mut conn,
                &units,
                &versions,
                period.first_day(),
                period.end_exclusive(),
                after.as_deref(),
                EXPORT_PAGE,
            )?;
            let bytes = csv_export::lines(rows.iter().map(|r| csv_export::record(&template, r)))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok((rows.last().map(|r| r.id.clone()), rows.len(), bytes))
        })
        .await;
        let result = match page {
            Ok(Ok((last, count, bytes))) => {
                cursor.after = last;
                cursor.done = (count as i64) < EXPORT_PAGE;
                Ok(Bytes::from(bytes))
            }
            Ok(Err(e)) => {
                cursor.done = true;
                Err(e)
            }
            Err(e) => {
                cursor.done = true;
                Err(WebError::from(e))
            }
        };
        Some((result, cursor))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .streaming(stream))
}
