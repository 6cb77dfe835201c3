//! `/publik`: every unit's latest published period, for everyone. No login, cacheable.

use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::{blocking, AppState};
use crate::aggregator::{self, Selection};
use crate::charts;
use crate::db::{publications, units, DbError};
use crate::domain::period::Period;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

struct PublicUnit {
    slug: String,
    name: String,
    period: String,
    index: String,
    grade: String,
    label: String,
    responses: u64,
    chart: String,
}

#[derive(Template)]
#[template(path = "publik.html")]
struct PublicPage {
    tr: Tr,
    kiosk: bool,
    units: Vec<PublicUnit>,
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let tr = Tr::new(negotiate(None, req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())));
    let results = blocking(&state, |state, conn| -> Result<Vec<aggregator::UnitIndex>, DbError> {
        let mut out = Vec::new();
        for (unit_id, period) in publications::latest(conn)? {
            let Ok(period) = period.parse::<Period>() else { continue };
            let unit = units::by_id(conn, unit_id)?;
            let selection = Selection { period, with_subunits: false, service_id: None };
            out.push(aggregator::unit_index(conn, &state.templates, &unit, &selection)?);
        }
        Ok(out)
    })
    .await?;
    let mut units = Vec::with_capacity(results.len());
    for r in results {
        units.push(PublicUnit {
            slug: r.unit.slug.clone(),
            name: r.unit.name.clone(),
            period: r.selection.period.label_id(),
            index: r.result.index.map(|v| v.format_with(',')).unwrap_or_else(|| "–".into()),
            grade: r.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
            label: r.result.grade.as_ref().map(|g| g.label.get(tr.lang).to_string()).unwrap_or_default(),
            responses: r.result.responses,
            chart: charts::svg(&charts::elements(&r.template, &r.result))
                .map_err(|e| WebError::Internal(e.to_string()))?,
        });
    }
    let body = PublicPage { tr, kiosk: false, units }.render().map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // published figures change rarely; let proxies and browsers keep them a few minutes
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::VARY, "Accept-Language"))
        .body(body))
}
