//! The API's OpenAPI 3.1 document, `GET /api/v1/openapi.json`: derived from the handlers'
//! `#[utoipa::path]` and the types their bodies serialize (`web::api`, `web::problem`), so it
//! cannot drift from what the API answers. The tests validate the document and every reply
//! they receive against it.

use super::problem::{FieldCode, FieldProblem, Problem, ProblemCode};
use super::session::COOKIE;
use super::AppState;
use super::{api, api_devices, api_invitations};
use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "skm API",
        description = "The JSON API of skm, the Survei Kepuasan Masyarakat service: a kiosk app or an \
            integration fetches a unit's form and submits responses; a signed-in user reads a unit's index.\n\n\
            Every error (4xx, 5xx) is an RFC 9457 problem (`application/problem+json`, the `Problem` schema): \
            `type` (`https://skm.invalid/problems/<code>`, an identifier, not a link), `title`, `status`, \
            `detail`, `code` (a stable machine code), and `fields`, each refused field with its own `code` \
            and a `reason` in English.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        api::form,
        api::submit,
        api::index,
        api_invitations::create,
        api_invitations::create_batch,
        api_devices::enrol,
        api_devices::config,
        api_devices::responses,
        document
    ),
    components(schemas(Problem, FieldProblem, ProblemCode, FieldCode)),
    modifiers(&SessionCookie),
    tags(
        (name = "survey", description = "The citizen's questionnaire: a form with its one-time token, then a response"),
        (name = "results", description = "A unit's results, for signed-in users"),
        (name = "invitations", description = "One-time survey links for a unit's finished transactions, \
            from its own service system"),
        (name = "devices", description = "Enrolled kiosk tablets and enumerators' phones running the offline \
            app (`/app/`): enrolment with an operator's one-time code, then requests signed with the device's \
            ECDSA P-256 key; uploads store each response once by the id the device gave it"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// The session of signing in at `/masuk`: the index is read with the browser's session cookie.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let cookie = ApiKeyValue::with_description(COOKIE, "the session cookie set by signing in at `/masuk`");
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("skm_live_<id>_<secret>")
            .description(Some(
                "an integration's API key, made by an admin on `/admin` or with `skm apikey create`, for one unit \
                 and its sub-units, with scopes: `read` (the index), `responses` (submissions without a form \
                 token), `invitations`; each key has its own rate limit",
            ))
            .build();
        components.add_security_scheme("api_key", SecurityScheme::Http(bearer));
    }
}

/// The document, with this deployment's address as its server.
pub fn document_for(base_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![Server::new(base_url.trim_end_matches('/'))]);
    doc
}

/// `GET /api/v1/openapi.json`
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApi",
    tag = "meta",
    summary = "This OpenAPI 3.1 document",
    security(()),
    responses((status = 200, description = "the document", content_type = "application/json", body = Object))
)]
pub async fn document(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document_for(&state.config.base_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_api_route() {
        let doc = serde_json::to_value(document_for("https://skm.example/")).expect("json");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
        assert_eq!(doc["servers"][0]["url"], "https://skm.example");
        for route in super::super::routes::ROUTES.iter().filter(|r| r.path.starts_with("/api/")) {
            let method = route.method.as_str().to_ascii_lowercase();
            assert!(doc["paths"][route.path][&method].is_object(), "{} {} is not documented", route.method, route.path);
        }
    }
}
