//! The one error body: RFC 9457 problem details (`application/problem+json`) for every 4xx and
//! 5xx of `/api/`, and for every other error answered as JSON. `code` is the stable machine code
//! of the problem; `fields` name each refused field with a machine code of its own and a reason
//! written for the integrator. The OpenAPI document describes this type (`web::openapi`).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// Problem types are identifiers, not links: the `.invalid` domain never resolves (RFC 6761), so
/// the URI is the same on every deployment and names no host.
pub const TYPE_BASE: &str = "https://skm.invalid/problems/";

/// What went wrong, as a whole; each code has one problem type, `https://skm.invalid/problems/<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// 400: the body is not JSON
    InvalidJson,
    /// 400: a query parameter or a form field of the request is wrong (`fields` says which)
    InvalidRequest,
    /// 422: the submission was read, and some fields are refused (`fields` says which and why)
    Invalid,
    /// 401: the request needs a credential it did not carry (`/metrics` without its bearer token)
    Unauthorized,
    /// 403: refused (e.g. a form's stale security token)
    Forbidden,
    /// 404: no such unit, resource or path (a unit outside the user's scope answers the same)
    NotFound,
    /// 403: the enrolled device was revoked by an operator: its uploads are refused (and counted)
    DeviceRevoked,
    /// 409: the form token was already used for a stored response
    Replayed,
    /// 409: the unit's survey is closed
    Closed,
    /// 413: the body is larger than the server reads
    PayloadTooLarge,
    /// 405: the path exists, but not with this method; `Allow` lists the methods it takes
    MethodNotAllowed,
    /// 429: too many submissions from this client; `Retry-After` says when to try again
    RateLimited,
    /// 503: the database is not reachable for the moment; try again shortly
    Unavailable,
    /// 500: a fault on the server's side (the details are in its log)
    Internal,
}

impl ProblemCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::InvalidJson => "invalid_json",
            ProblemCode::InvalidRequest => "invalid_request",
            ProblemCode::Invalid => "invalid",
            ProblemCode::Unauthorized => "unauthorized",
            ProblemCode::Forbidden => "forbidden",
            ProblemCode::NotFound => "not_found",
            ProblemCode::DeviceRevoked => "device_revoked",
            ProblemCode::Replayed => "replayed",
            ProblemCode::Closed => "closed",
            ProblemCode::PayloadTooLarge => "payload_too_large",
            ProblemCode::MethodNotAllowed => "method_not_allowed",
            ProblemCode::RateLimited => "rate_limited",
            ProblemCode::Unavailable => "unavailable",
            ProblemCode::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemCode::InvalidJson | ProblemCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ProblemCode::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemCode::Forbidden | ProblemCode::DeviceRevoked => StatusCode::FORBIDDEN,
            ProblemCode::NotFound => StatusCode::NOT_FOUND,
            ProblemCode::Replayed | ProblemCode::Closed => StatusCode::CONFLICT,
            ProblemCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// RFC 9457's `title`: the same for every occurrence of the type.
    pub fn title(self) -> &'static str {
        match self {
            ProblemCode::InvalidJson => "The body is not valid JSON",
            ProblemCode::InvalidRequest => "The request is not valid",
            ProblemCode::Invalid => "The submission has refused fields",
            ProblemCode::Unauthorized => "A credential is required",
            ProblemCode::Forbidden => "Not allowed",
            ProblemCode::NotFound => "Not found",
            ProblemCode::DeviceRevoked => "The device was revoked",
            ProblemCode::Replayed => "The form token was already used",
            ProblemCode::Closed => "The unit's survey is closed",
            ProblemCode::PayloadTooLarge => "The body is too large",
            ProblemCode::MethodNotAllowed => "Method not allowed",
            ProblemCode::RateLimited => "Too many requests",
            ProblemCode::Unavailable => "Temporarily unavailable",
            ProblemCode::Internal => "Internal error",
        }
    }

    /// The code for an error status the app did not describe itself (the framework's own
    /// refusals, e.g. a body over the size limit).
    pub fn for_status(status: StatusCode) -> ProblemCode {
        match status {
            StatusCode::UNAUTHORIZED => ProblemCode::Unauthorized,
            StatusCode::FORBIDDEN => ProblemCode::Forbidden,
            StatusCode::NOT_FOUND => ProblemCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ProblemCode::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ProblemCode::PayloadTooLarge,
            StatusCode::UNPROCESSABLE_ENTITY => ProblemCode::Invalid,
            StatusCode::TOO_MANY_REQUESTS => ProblemCode::RateLimited,
            StatusCode::SERVICE_UNAVAILABLE => ProblemCode::Unavailable,
            status if status.is_client_error() => ProblemCode::InvalidRequest,
            _ => ProblemCode::Internal,
        }
    }
}

/// Why one field is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    /// the field is missing or empty
    Required,
    /// the JSON value has the wrong type (e.g. a score given as text)
    WrongType,
    /// not a field of the request body
    UnknownField,
    /// `answers` names an element the unit's template does not have
    UnknownElement,
    /// `profile` names a field the unit's template does not have
    UnknownProfileField,
    /// the score is not one of the element's answers
    OutOfScale,
    /// not one of the options the form lists (a service, a profile choice)
    NotAChoice,
    /// not a whole number
    NotANumber,
    /// a number outside the field's range
    OutOfRange,
    /// longer than the template allows
    TooLong,
    /// not a period (`2026-10`, `2026-Q4`, `2026-S2`, `2026`)
    NotAPeriod,
    /// not a ticket code issued for the unit
    TicketUnknown,
    /// the ticket code was already used for a stored response
    TicketUsed,
    /// not a form token this server issued for this unit and channel
    TokenInvalid,
    /// the form token is older than the server's time limit
    TokenExpired,
    /// the form token was already used for a stored response
    TokenReplayed,
    /// an enrolment code no device waits for (never issued, already used, or revoked)
    EnrolmentCodeUnknown,
    /// the enrolment code is older than its 15 minutes: the operator makes a new one
    EnrolmentCodeExpired,
    /// not an uncompressed P-256 public key in base64url (WebCrypto `exportKey("raw")`)
    NotAKey,
    /// the same response id twice in one upload
    DuplicateInBatch,
    /// a response id that is not a UUID of version 7
    NotAUuidV7,
    /// not an RFC 3339 time with an offset
    NotATime,
    /// more items than the request takes
    TooMany,
    /// a unit the device does not serve
    NotAUnitOfTheDevice,
    /// not a version of the unit's questionnaire
    UnknownTemplateVersion,
    /// answered later than the server's clock allows (beyond the clock skew)
    AnsweredInFuture,
    /// answered longer ago than the deployment accepts (`device_answer_window_days`)
    AnsweredTooLongAgo,
    /// a response with this id exists and came from elsewhere
    IdTaken,
    /// more responses answered in one minute than the device may give
    RateLimited,
    /// the unit's survey is closed for now (a device's response is deferred, not refused)
    Closed,
    /// refused for a reason `reason` gives (parameters of non-API forms)
    Invalid,
}

/// One refused field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// where the field is: `token`, `layanan`, `answers.U3`, `profile.usia`, `period`, `body`, …
    #[schema(example = "answers.U3")]
    pub field: String,
    pub code: FieldCode,
    /// an English sentence for the integrator
    #[schema(example = "must be one of the element's scores, 1 to 4")]
    pub reason: String,
}

impl FieldProblem {
    pub fn new(field: &str, code: FieldCode, reason: impl Into<String>) -> FieldProblem {
        FieldProblem { field: field.to_string(), code, reason: reason.into() }
    }
}

/// An RFC 9457 problem: the body of every API error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `https://skm.invalid/problems/<code>`: an identifier, not a link
    #[serde(rename = "type")]
    #[schema(example = "https://skm.invalid/problems/invalid")]
    pub type_uri: String,
    #[schema(example = "The submission has refused fields")]
    pub title: &'static str,
    /// the HTTP status, repeated
    #[schema(example = 422, minimum = 400, maximum = 599)]
    pub status: u16,
    /// this occurrence, for a person reading the log
    #[schema(example = "1 field refused: answers.U3")]
    pub detail: String,
    pub code: ProblemCode,
    /// the refused fields; empty when the problem is not about a field
    pub fields: Vec<FieldProblem>,
}

impl Problem {
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("{TYPE_BASE}{}", code.as_str()),
            title: code.title(),
            status: code.status().as_u16(),
            detail: detail.into(),
            code,
            fields: Vec::new(),
        }
    }

    /// Refused fields; the detail names them.
    pub fn fields(code: ProblemCode, fields: Vec<FieldProblem>) -> Problem {
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        let detail = match names.len() {
            1 => format!("1 field refused: {}", names.join(", ")),
            n => format!("{n} fields refused: {}", names.join(", ")),
        };
        Problem::new(code, detail).with_fields(fields)
    }

    pub fn with_fields(mut self, fields: Vec<FieldProblem>) -> Problem {
        self.fields = fields;
        self
    }

    /// The same problem answered with another status (the framework's own refusals keep theirs).
    pub fn with_status(mut self, status: StatusCode) -> Problem {
        self.status = status.as_u16();
        self
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status).content_type(CONTENT_TYPE).json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_serializes_as_its_name() {
        for code in [
            ProblemCode::InvalidJson,
            ProblemCode::InvalidRequest,
            ProblemCode::Invalid,
            ProblemCode::Unauthorized,
            ProblemCode::Forbidden,
            ProblemCode::NotFound,
            ProblemCode::DeviceRevoked,
            ProblemCode::Replayed,
            ProblemCode::Closed,
            ProblemCode::PayloadTooLarge,
            ProblemCode::MethodNotAllowed,
            ProblemCode::RateLimited,
            ProblemCode::Unavailable,
            ProblemCode::Internal,
        ] {
            assert_eq!(serde_json::to_value(code).expect("json"), code.as_str());
        }
    }
}
