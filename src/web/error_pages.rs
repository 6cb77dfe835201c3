//! Errors as pages: a browser that asked for a page and got an error sees an HTML page in the
//! page's language with a way back, never a JSON body; `/api/` keeps its JSON. The one place that
//! looks at the request to choose (STYLE: errors speak the client's language), so handlers and
//! extractors keep returning `WebError` whoever called them. Every error of `/api/` is a problem
//! body (`web::problem`), the framework's own refusals included.

use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::problem::{self, Problem, ProblemCode};
use crate::domain::template::Lang;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template as Askama;

#[derive(Askama)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    kiosk: bool,
    status: u16,
    title: String,
    text: String,
    detail: Option<String>,
    back_href: String,
}

/// Staff pages are in Bahasa Indonesia; the citizen's and the public pages follow the citizen's
/// choice (`?lang=`) and browser (`i18n::negotiate`).
fn page_lang(req: &HttpRequest) -> Lang {
    let staff = ["/dasbor", "/admin", "/operator", "/akun", "/sandi"].iter().any(|p| req.path().starts_with(p));
    if staff {
        return Lang::Id;
    }
    let explicit = req.query_string().split('&').find_map(|pair| pair.strip_prefix("lang="));
    negotiate(explicit, req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// A browser navigating or posting a form: not the API, and HTML among what it accepts.
pub fn wants_page(req: &HttpRequest) -> bool {
    if req.path().starts_with("/api/") || req.path() == "/metrics" {
        return false;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html") || accept.contains("application/xhtml"))
}

/// Where "back" leads: the page the browser came from when it is one of ours, else the start.
fn back_href(req: &HttpRequest) -> String {
    let host = req.connection_info().host().to_string();
    req.headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| {
            let rest = referer.split_once("://")?.1;
            let (referer_host, path) = rest.split_once('/').unwrap_or((rest, ""));
            (referer_host == host).then(|| format!("/{path}"))
        })
        .filter(|path| path != req.uri().path())
        .unwrap_or_else(|| "/".to_string())
}

/// The title, the explanation and, for a refused field, which field and why, in `tr`'s language.
fn describe(tr: Tr, status: StatusCode, error: Option<&WebError>) -> (String, String, Option<String>) {
    let key = match (error, status) {
        (Some(WebError::Invalid { .. }), _) => "invalid",
        (Some(WebError::Forbidden(_)), _) => "stale",
        (Some(WebError::CrossSite), _) => "crosssite",
        (_, StatusCode::NOT_FOUND) => "notfound",
        (_, StatusCode::METHOD_NOT_ALLOWED) => "method",
        (_, StatusCode::PAYLOAD_TOO_LARGE) => "toolarge",
        (_, StatusCode::TOO_MANY_REQUESTS) => "busy",
        (_, StatusCode::SERVICE_UNAVAILABLE) => "unavailable",
        (_, status) if status.is_client_error() => "invalid",
        _ => "internal",
    };
    let title = tr.t(&format!("errorpage.{key}.title")).to_string();
    let text = tr.t(&format!("errorpage.{key}.text")).to_string();
    let detail = match error {
        Some(WebError::Invalid { field, reason }) => {
            let label_key = format!("field.{field}");
            let label = match tr.t(&label_key) {
                same if same == label_key => field.clone(),
                label => label.to_string(),
            };
            // Reasons from the services are English sentences for the API: an Indonesian page
            // names the field and keeps the English detail out of it.
            Some(match tr.lang {
                Lang::En => format!("{label}: {reason}"),
                Lang::Id => tr.fill("errorpage.invalid.field", &[("field", label)]),
            })
        }
        _ => None,
    };
    (title, text, detail)
}

/// Renders the error page for `req`; a page that cannot render falls back to plain text (still
/// in the page's language), never to the JSON body.
pub fn page_for(req: &HttpRequest, status: StatusCode, error: Option<&WebError>) -> HttpResponse {
    let tr = Tr::new(page_lang(req));
    let (title, text, detail) = describe(tr, status, error);
    let page = ErrorPage { tr, kiosk: false, status: status.as_u16(), title, text, detail, back_href: back_href(req) };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    match page.render() {
        Ok(body) => response.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8")).body(body),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page");
            response.insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8")).body(page.title)
        }
    }
}

/// An API error the app did not describe itself (the framework's own refusals, e.g. a body over
/// the size limit) still gets the API's one error body.
fn problem_for_api(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let described = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(problem::CONTENT_TYPE));
    if described {
        return res;
    }
    let status = res.status();
    // the framework's words for a client's mistake help; a server fault's stay in the log
    let detail = match res.response().error() {
        Some(error) if status.is_client_error() => error.to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let response = Problem::new(ProblemCode::for_status(status), detail).with_status(status).response();
    res.into_response(response)
}

/// The middleware: an error answer to a browser becomes its page. Only bodies the app built as
/// machine-readable errors are replaced; an HTML page a handler rendered itself (a form shown
/// again with its messages, a 404 page naming the unit) passes through untouched.
pub async fn html_for_browsers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let page = wants_page(req.request());
    let api = req.path().starts_with("/api/");
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    if api {
        return Ok(problem_for_api(res));
    }
    if !page {
        return Ok(res);
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if is_html {
        return Ok(res);
    }
    let mut response = {
        let error = res.response().error().and_then(|e| e.as_error::<WebError>());
        page_for(res.request(), status, error)
    };
    // The page replaces the body, not what the answer tells the browser to do next.
    if let Some(wait) = res.headers().get(header::RETRY_AFTER) {
        response.headers_mut().insert(header::RETRY_AFTER, wait.clone());
    }
    Ok(res.into_response(response))
}
