//! The device app (issue 20): a small offline web app for a unit's own kiosk tablets and
//! enumerators' phones, served as static files under `/app/`. It is the one place with scripts,
//! so its responses carry their own Content-Security-Policy (the site-wide one forbids scripts;
//! the default headers do not replace one a handler set). `no-cache`: the service worker keeps
//! the offline copy and asks again each time it is online.

use actix_web::http::header;
use actix_web::HttpResponse;

/// Scripts, styles and connections only from this origin; still nothing inline.
const POLICY: &str = "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; \
     manifest-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Every file of the app: path, content type, contents (also walked by the size test).
pub const FILES: [(&str, &str, &[u8]); 7] = [
    ("/app/", "text/html; charset=utf-8", include_bytes!("../../assets/app/index.html")),
    ("/app/app.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/app/app.js")),
    ("/app/sw.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/app/sw.js")),
    ("/app/app.css", "text/css; charset=utf-8", include_bytes!("../../assets/app/app.css")),
    ("/app/manifest.webmanifest", "application/manifest+json", include_bytes!("../../assets/app/manifest.webmanifest")),
    ("/app/icon-192.png", "image/png", include_bytes!("../../assets/app/icon-192.png")),
    ("/app/icon-512.png", "image/png", include_bytes!("../../assets/app/icon-512.png")),
];

fn served(index: usize) -> HttpResponse {
    let (_, content_type, body) = FILES[index];
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(body)
}

/// `GET /app`: the app lives under `/app/` (the service worker's scope).
pub async fn redirect() -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header((header::LOCATION, "/app/")).finish()
}

/// `GET /app/`
pub async fn index() -> HttpResponse {
    served(0)
}

/// `GET /app/app.js`
pub async fn script() -> HttpResponse {
    served(1)
}

/// `GET /app/sw.js`: the service worker, allowed to control all of `/app/`.
pub async fn service_worker() -> HttpResponse {
    let mut response = served(2);
    response
        .headers_mut()
        .insert(header::HeaderName::from_static("service-worker-allowed"), header::HeaderValue::from_static("/app/"));
    response
}

/// `GET /app/app.css`
pub async fn stylesheet() -> HttpResponse {
    served(3)
}

/// `GET /app/manifest.webmanifest`
pub async fn manifest() -> HttpResponse {
    served(4)
}

/// `GET /app/icon-192.png`
pub async fn icon_192() -> HttpResponse {
    served(5)
}

/// `GET /app/icon-512.png`
pub async fn icon_512() -> HttpResponse {
    served(6)
}
