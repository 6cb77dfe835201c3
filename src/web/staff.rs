//! What every route behind a sign-in gets by construction: `routes::mount` wraps each route whose
//! access needs a session (`Access::needs_session`) in `guard`, so a new route cannot forget it.
//!
//! - A state-changing request sent from another site is refused before anything reads its body:
//!   the CSRF token already stops a forged form, and this stops it even where a token leaked.
//! - Every answer, pages and downloads alike (reports, posters, evidence ZIPs, images, the API
//!   index), is `Cache-Control: private, no-store`: a shared computer's browser or a proxy must
//!   not keep one user's data for the next person.

use super::error::WebError;
use super::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};

/// Whether a browser sent this request from another site. Either signal is enough:
/// `Sec-Fetch-Site` saying anything but this origin (or the user's own navigation), or an
/// `Origin` that is neither `base_url`'s nor the host the request was sent to (as the proxy
/// forwards it). A request with neither is no browser's cross-site request: browsers send at
/// least one of them on every POST, and the form's own token is still checked.
pub fn cross_site(req: &HttpRequest, base_url: &str) -> bool {
    // a value that is not plain ASCII is no origin of ours
    let header = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap_or("?"));
    let foreign_fetch = header("sec-fetch-site").is_some_and(|site| !matches!(site, "same-origin" | "none"));
    let foreign_origin = header("origin").is_some_and(|origin| {
        let ours = origin_of(base_url).is_some_and(|base| base.eq_ignore_ascii_case(origin));
        // scheme aside: TLS often ends at the proxy, so the app itself sees plain HTTP
        let same_host =
            origin.split_once("://").is_some_and(|(_, host)| host.eq_ignore_ascii_case(req.connection_info().host()));
        !(ours || same_host)
    });
    foreign_fetch || foreign_origin
}

/// `scheme://host[:port]` of a URL, as a browser's `Origin` header spells it (no default port).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = match scheme {
        "https" => authority.strip_suffix(":443").unwrap_or(authority),
        "http" => authority.strip_suffix(":80").unwrap_or(authority),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// The middleware around every signed-in route (see the module's comment).
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let base_url = state.as_ref().map(|s| s.config.base_url.clone()).unwrap_or_default();
    let mut res = if !safe && cross_site(req.request(), &base_url) {
        // what the browser said, so an operator can tell an attack from a proxy that rewrites the
        // address (an Origin that is neither base_url nor the Host the proxy passes on)
        let said = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        let (origin, fetch_site, host) = (said("origin"), said("sec-fetch-site"), said("host"));
        tracing::warn!(path = %req.path(), %origin, %fetch_site, %host, %base_url, "cross-site form refused");
        req.error_response(WebError::CrossSite).map_into_boxed_body()
    } else {
        let res = next.call(req).await?.map_into_boxed_body();
        // a staff write may have changed a unit's public form (closed it, renamed a service…)
        if let Some(state) = state.filter(|_| !safe) {
            state.forms.forget_all();
        }
        res
    };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> HttpRequest {
        let mut req = TestRequest::post().insert_header(("host", "127.0.0.1:8080"));
        for header in headers {
            req = req.insert_header(*header);
        }
        req.to_http_request()
    }

    #[test]
    fn only_this_sites_pages_may_post() {
        let base = "https://skm.kutaitimurkab.go.id/";
        for ours in [
            vec![],
            vec![("origin", "https://skm.kutaitimurkab.go.id")],
            vec![("origin", "http://127.0.0.1:8080")],
            vec![("sec-fetch-site", "same-origin")],
            vec![("sec-fetch-site", "same-origin"), ("origin", "https://skm.kutaitimurkab.go.id")],
        ] {
            assert!(!cross_site(&request(&ours), base), "{ours:?}");
        }
        for foreign in [
            vec![("origin", "https://evil.example")],
            vec![("origin", "null")],
            vec![("origin", "https://skm.kutaitimurkab.go.id.evil.example")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![("sec-fetch-site", "same-origin"), ("origin", "https://evil.example")],
            vec![("sec-fetch-site", "cross-site"), ("origin", "https://skm.kutaitimurkab.go.id")],
        ] {
            assert!(cross_site(&request(&foreign), base), "{foreign:?}");
        }
    }

    #[test]
    fn origins_are_spelled_as_browsers_spell_them() {
        assert_eq!(origin_of("https://a.go.id:443/x").as_deref(), Some("https://a.go.id"));
        assert_eq!(origin_of("http://a.go.id:8080").as_deref(), Some("http://a.go.id:8080"));
        assert_eq!(origin_of("http://a.go.id"), Some("http://a.go.id".into()));
        assert_eq!(origin_of("a.go.id"), None);
    }
}
