//! Every route of the application in one table: method, path, who may use it, and the handler.
//! The router mounts exactly this table, and the security test walks it, so a route cannot exist
//! without saying who may call it. The access column must agree with the handler's extractor
//! (`web::access`); the security test checks that it does, role by role.

use super::access::Access;
use super::{
    account, admin, admin_populations, admin_setup, api, api_devices, api_invitations, app, dashboard, devices,
    evidence, fallback, follow_up, health, invitation_link, login, media, metrics, mpp, openapi, operator, public,
    reports, reset, staff, survey,
};
use actix_web::http::Method;
use actix_web::{guard, middleware, web};

pub struct Route {
    pub method: Method,
    /// as actix-web matches it: `{slug}` a unit, `{action}` an admin form, `{format}` a report
    /// format, `{ext}` a poster format, `{id}` a follow-up action of the unit, `{medium}` an entry of
    /// the unit's publication-media log, `{device}` an enrolled device's id
    pub path: &'static str,
    pub access: Access,
    handler: fn() -> actix_web::Route,
}

macro_rules! route {
    ($method:ident $path:literal, $access:ident, $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            access: Access::$access,
            handler: || web::method(Method::$method).to($handler),
        }
    };
}

pub static ROUTES: &[Route] = &[
    route!(GET "/healthz", Public, health::healthz),
    route!(GET "/readyz", Public, health::readyz),
    route!(GET "/metrics", Token, metrics::scrape),
    route!(GET "/", Public, super::home),
    route!(GET "/static/skm.css", Public, super::stylesheet),
    route!(GET "/favicon.ico", Public, super::favicon),
    // the device app for a unit's kiosk tablets and enumerators' phones (works offline)
    route!(GET "/app", Public, app::redirect),
    route!(GET "/app/", Public, app::index),
    route!(GET "/app/app.js", Public, app::script),
    route!(GET "/app/sw.js", Public, app::service_worker),
    route!(GET "/app/app.css", Public, app::stylesheet),
    route!(GET "/app/manifest.webmanifest", Public, app::manifest),
    route!(GET "/app/icon-192.png", Public, app::icon_192),
    route!(GET "/app/icon-512.png", Public, app::icon_512),
    // the citizen's form; the kiosk is the same pages under /kiosk (the path decides the channel)
    route!(GET "/s/{slug}", Public, survey::show),
    route!(POST "/s/{slug}", Public, survey::submit),
    route!(GET "/s/{slug}/terima-kasih", Public, survey::thanks),
    route!(GET "/s/{slug}/kiosk", Public, survey::show),
    route!(POST "/s/{slug}/kiosk", Public, survey::submit),
    route!(GET "/s/{slug}/kiosk/terima-kasih", Public, survey::thanks),
    // a survey invitation's one-time short link (its code is the credential) and its QR
    route!(GET "/u/{code}", Public, invitation_link::show),
    route!(POST "/u/{code}", Public, invitation_link::submit),
    route!(GET "/u/{code}/qr.svg", Public, invitation_link::qr),
    route!(GET "/u/{code}/qr.png", Public, invitation_link::qr),
    // a Mal Pelayanan Publik: /s/{slug} asks which agency, then the agency's form through the hall
    route!(GET "/s/{slug}/gerai/{agency}", Public, mpp::show),
    route!(POST "/s/{slug}/gerai/{agency}", Public, mpp::submit),
    route!(GET "/s/{slug}/kiosk/gerai/{agency}", Public, mpp::show),
    route!(POST "/s/{slug}/kiosk/gerai/{agency}", Public, mpp::submit),
    route!(GET "/publik", Public, public::page),
    // the same results in large type for a TV in a service hall, one unit after another
    route!(GET "/publik/layar", Public, public::screen),
    route!(GET "/masuk", Public, login::show),
    route!(POST "/masuk", Public, login::submit),
    route!(POST "/keluar", SignedIn, login::logout),
    route!(GET "/akun/sandi", SignedIn, account::show),
    route!(POST "/akun/sandi", SignedIn, account::change),
    route!(POST "/akun/email", SignedIn, account::email),
    // a password reset link an admin made: its one-time secret is the credential
    route!(GET "/sandi/atur", Public, reset::show),
    route!(POST "/sandi/atur", Public, reset::submit),
    route!(GET "/admin", Console, admin::show),
    // the setup workbook: template and export to download, upload → preview → apply
    route!(GET "/admin/buku-kerja/contoh.xlsx", Admin, admin_setup::template),
    route!(GET "/admin/buku-kerja/ekspor.xlsx", Admin, admin_setup::export),
    route!(POST "/admin/buku-kerja/pratinjau", Admin, admin_setup::preview),
    route!(POST "/admin/buku-kerja/terapkan", Admin, admin_setup::apply),
    route!(POST "/admin/{action}", Console, admin::act),
    // the PEKPPP evidence pack of a period, a streamed ZIP
    route!(GET "/admin/bukti.zip", Admin, evidence::download),
    // the publication-media log's entries carry an image: a multipart form of its own
    route!(POST "/admin/publikasi/media", Admin, media::add),
    // the monthly CSV of populations (multipart, all rows or none) and its example file
    route!(POST "/admin/populasi/impor", Admin, admin_populations::import),
    route!(GET "/admin/populasi/contoh.csv", Admin, admin_populations::example),
    // every active unit's QR poster in one PDF; records the download
    route!(GET "/admin/poster-semua.pdf", Admin, admin_populations::all_posters),
    route!(GET "/dasbor", SignedIn, dashboard::regency::page),
    route!(GET "/dasbor/unit/{slug}", UnitReader, dashboard::unit::page),
    // a province's regencies or the nation's provinces, ranked from the monthly roll-ups
    route!(GET "/dasbor/wilayah/{slug}", UnitReader, dashboard::region::page),
    route!(GET "/dasbor/unit/{slug}/laporan.{format}", UnitReader, reports::download),
    route!(POST "/dasbor/unit/{slug}/rtl", UnitReader, follow_up::add),
    route!(POST "/dasbor/unit/{slug}/rtl/{id}", UnitReader, follow_up::set_status),
    route!(GET "/dasbor/unit/{slug}/rtl/{id}/bukti", UnitReader, follow_up::evidence),
    route!(GET "/dasbor/unit/{slug}/publikasi/{medium}", UnitReader, media::proof_image),
    route!(GET "/operator", SignedIn, operator::home),
    route!(GET "/operator/{slug}/kertas", UnitDataEntry, operator::paper_form),
    route!(POST "/operator/{slug}/kertas", UnitDataEntry, operator::paper_submit),
    route!(GET "/operator/{slug}/impor", UnitDataEntry, operator::import_form),
    route!(POST "/operator/{slug}/impor", UnitDataEntry, operator::import_submit),
    route!(GET "/operator/{slug}/impor/contoh.csv", UnitDataEntry, operator::import_sample),
    route!(GET "/operator/{slug}/poster.{ext}", UnitDataEntry, operator::poster),
    // the unit's enrolled kiosk and enumerator devices: enrol (a one-time code), new code, revoke
    route!(GET "/operator/{slug}/perangkat", UnitDataEntry, devices::list),
    route!(POST "/operator/{slug}/perangkat", UnitDataEntry, devices::enrol),
    route!(POST "/operator/{slug}/perangkat/{device}/kode", UnitDataEntry, devices::new_code),
    route!(POST "/operator/{slug}/perangkat/{device}/cabut", UnitDataEntry, devices::revoke),
    // the JSON API: the form and its submission take a one-time form token, the index a session
    route!(GET "/api/v1/units/{slug}/form", Public, api::form),
    route!(POST "/api/v1/units/{slug}/responses", Public, api::submit),
    route!(GET "/api/v1/units/{slug}/index", UnitReader, api::index),
    // survey invitations: an API key with the `invitations` scope (checked by the handler, as for
    // responses), or an admin's or unit head's session with its CSRF secret in a header
    route!(POST "/api/v1/units/{slug}/invitations", Public, api_invitations::create),
    route!(POST "/api/v1/units/{slug}/invitations:batch", Public, api_invitations::create_batch),
    // enrolled kiosk and enumerator devices (issue 20): enrolment takes the operator's one-time
    // code; the others are signed with the device's key (checked by the handler, as API keys are)
    route!(POST "/api/v1/devices/enrol", Public, api_devices::enrol),
    route!(POST "/api/v1/devices/config", Public, api_devices::config),
    route!(POST "/api/v1/devices/responses", Public, api_devices::responses),
    // the API's OpenAPI 3.1 document, derived from the handlers' types
    route!(GET "/api/v1/openapi.json", Public, openapi::document),
];

/// The methods the table takes at `path` (matched as the router matches it), for `Allow`.
pub fn methods_for(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = ROUTES
        .iter()
        .filter(|route| actix_web::dev::ResourceDef::new(route.path).is_match(path))
        .map(|route| route.method.as_str())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// Mounts the table, and the fallback for everything else. A route behind a sign-in is wrapped
/// in `staff::guard` (cross-site forms refused, nothing cached) by its access alone.
pub fn mount(cfg: &mut web::ServiceConfig) {
    for route in ROUTES {
        // the method guard on the resource, as `cfg.route` puts it: another method falls through
        let resource = web::resource(route.path).guard(guard::Method(route.method.clone())).route((route.handler)());
        if route.access.needs_session() {
            cfg.service(resource.wrap(middleware::from_fn(staff::guard)));
        } else {
            cfg.service(resource);
        }
    }
    cfg.default_service(web::to(fallback::not_found));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_route_is_declared_twice() {
        let mut seen = HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method.clone(), route.path)), "{} {} twice", route.method, route.path);
        }
    }
}
