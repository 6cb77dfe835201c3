//! API keys for a unit's own systems (population registry, licensing, queue software): created
//! per unit, where a key for a unit with sub-units covers them too (as a unit head's scope does);
//! scoped to `invitations`, `responses` and/or `read`; shown once and stored only as a keyed
//! digest; revocable at once on every instance (each request reads the key's row). One function
//! per use case, called by both `skm apikey …` and the `/admin` forms, each leaving an audit
//! record. Blocking (the database): call from `web::block` in a handler.

use crate::db::api_keys::{self as stored, ApiKeyRow, NewApiKeyRow};
use crate::db::{audit, units, DbConnection, DbError};
use crate::security::Keys;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use diesel::Connection;
use thiserror::Error;

/// Every key starts so: a secret scanner (or a person) recognises one in a log or a repository.
pub const PREFIX: &str = "skm_live_";
/// The public part after `PREFIX`: the key's id, which the admin page and `skm apikey list` show.
const ID_LEN: usize = 10;
pub const MAX_NAME: usize = 100;
/// `last_used_at` is written at most this often per key, not on every request.
pub const LAST_USED_EVERY_SECS: i64 = 60;

/// What a key lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// create invitations for the unit's citizens (`POST /api/v1/units/{slug}/invitations`)
    Invitations,
    /// read the unit's index
    Read,
    /// submit responses without a form token
    Responses,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Invitations, Scope::Read, Scope::Responses];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Invitations => "invitations",
            Scope::Responses => "responses",
            Scope::Read => "read",
        }
    }

    fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// `read,responses` (commas or spaces) into its scopes, each once, in name order; at least one.
pub fn parse_scopes(text: &str) -> Result<Vec<Scope>, ApiKeyError> {
    let mut scopes = Vec::new();
    for word in text.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        let scope = Scope::parse(word).ok_or_else(|| ApiKeyError::ScopeUnknown(word.to_string()))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.sort();
    if scopes.is_empty() {
        return Err(ApiKeyError::NoScope);
    }
    Ok(scopes)
}

fn joined(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

#[derive(Debug, Error)]
pub enum ApiKeyError {
    #[error("no unit with slug '{0}'")]
    UnitUnknown(String),
    #[error("choose at least one scope: invitations, responses, read")]
    NoScope,
    #[error("'{0}' is not a scope: invitations, responses or read")]
    ScopeUnknown(String),
    #[error("at most {MAX_NAME} characters")]
    NameTooLong,
    #[error("no key with id '{0}'")]
    KeyUnknown(String),
    #[error("key '{0}' was revoked already")]
    Revoked(String),
    #[error("{0}")]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ApiKeyError {
    fn from(err: diesel::result::Error) -> Self {
        ApiKeyError::Db(err.into())
    }
}

/// A key to create.
pub struct NewKey {
    /// the unit's slug
    pub unit: String,
    pub name: String,
    /// e.g. `read,responses`
    pub scopes: String,
}

/// A key as the admin page and `skm apikey list` show it (never its secret).
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKey {
    fn of(row: ApiKeyRow, unit: String) -> ApiKey {
        ApiKey {
            scopes: parse_scopes(&row.scopes).unwrap_or_default(),
            id: row.id,
            unit,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }

    pub fn scope_list(&self) -> String {
        joined(&self.scopes)
    }
}

/// A new key: `secret` is the whole key, shown this once.
pub struct Created {
    pub key: ApiKey,
    pub secret: String,
}

/// Creates a key for the unit (and its sub-units). The key is `skm_live_<id>_<secret>`: the id
/// is public (it finds the row), the secret is 244 random bits, and only the keyed digest of the
/// whole key is stored.
pub fn create(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: Option<i32>,
    new: NewKey,
    now: NaiveDateTime,
) -> Result<Created, ApiKeyError> {
    let scopes = parse_scopes(&new.scopes)?;
    let name = new.name.trim().to_string();
    if name.chars().count() > MAX_NAME {
        return Err(ApiKeyError::NameTooLong);
    }
    let unit = units::by_slug(conn, new.unit.trim()).map_err(|e| match e {
        DbError::NotFound => ApiKeyError::UnitUnknown(new.unit.trim().to_string()),
        other => other.into(),
    })?;
    let id: String = uuid::Uuid::new_v4().simple().to_string()[..ID_LEN].to_string();
    let mut random = uuid::Uuid::new_v4().as_bytes().to_vec();
    random.extend(uuid::Uuid::new_v4().as_bytes());
    let secret = format!("{PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(&random));
    let digest = keys.api_key_digest(&secret);
    let scope_text = joined(&scopes);
    conn.transaction(|conn| -> Result<(), DbError> {
        stored::insert(
            conn,
            &NewApiKeyRow {
                id: &id,
                unit_id: unit.id,
                name: &name,
                scopes: &scope_text,
                digest: &digest,
                created_by: actor,
                created_at: now,
            },
        )?;
        audit::record(conn, actor, "api_key.create", &format!("{id} for {} ({scope_text}) {name}", unit.slug))
    })?;
    let key = ApiKey { id, unit: unit.slug, name, scopes, created_at: now, last_used_at: None, revoked_at: None };
    Ok(Created { key, secret })
}

/// Every key, newest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<ApiKey>, DbError> {
    Ok(stored::all(conn)?.into_iter().map(|(row, unit)| ApiKey::of(row, unit)).collect())
}

/// Revokes the key with this id; from the next request on, on every instance, it opens nothing.
pub fn revoke(conn: &mut DbConnection, actor: Option<i32>, id: &str, now: NaiveDateTime) -> Result<(), ApiKeyError> {
    let id = id.trim();
    conn.transaction(|conn| {
        let row = stored::find(conn, id)?.ok_or_else(|| ApiKeyError::KeyUnknown(id.to_string()))?;
        if !stored::revoke(conn, id, now)? {
            return Err(ApiKeyError::Revoked(row.id));
        }
        let unit = units::by_id(conn, row.unit_id)?;
        audit::record(conn, actor, "api_key.revoke", &format!("{id} for {} {}", unit.slug, row.name))?;
        Ok(())
    })
}

/// A request's key, once checked: what it may do and where.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub id: String,
    pub scopes: Vec<Scope>,
    /// the key's unit and every unit below it
    pub units: Vec<i32>,
}

impl Authorized {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn covers(&self, unit_id: i32) -> bool {
        self.units.contains(&unit_id)
    }
}

/// The key's public id, when `presented` has the shape of a key (no database needed): the rate
/// limit's bucket.
pub fn id_of(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix(PREFIX)?;
    let id = rest.get(..ID_LEN)?;
    (rest.get(ID_LEN..ID_LEN + 1) == Some("_") && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// The presented key's rights, `None` when it is not a key of this deployment or was revoked.
/// Notes the use (at most once a minute per key).
pub fn authenticate(
    conn: &mut DbConnection,
    keys: &Keys,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Option<Authorized>, DbError> {
    let Some(id) = id_of(presented) else { return Ok(None) };
    let Some(row) = stored::find(conn, id)? else { return Ok(None) };
    if row.revoked_at.is_some() || !keys.api_key_matches(presented, &row.digest) {
        return Ok(None);
    }
    let stale = now - chrono::Duration::seconds(LAST_USED_EVERY_SECS);
    if row.last_used_at.is_none_or(|at| at < stale) {
        stored::touch(conn, &row.id, now, stale)?;
    }
    Ok(Some(Authorized {
        scopes: parse_scopes(&row.scopes).unwrap_or_default(),
        units: units::subtree_ids(conn, row.unit_id)?,
        id: row.id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_once_each_and_refuse_strangers() {
        assert_eq!(parse_scopes("responses, read,read").expect("ok"), vec![Scope::Read, Scope::Responses]);
        assert!(matches!(parse_scopes(" , "), Err(ApiKeyError::NoScope)));
        assert!(matches!(parse_scopes("read,write"), Err(ApiKeyError::ScopeUnknown(w)) if w == "write"));
    }

    #[test]
    fn the_id_is_read_from_the_key_shape_alone() {
        assert_eq!(id_of("skm_live_0123456789_abc"), Some("0123456789"));
        assert_eq!(id_of("skm_live_0123456789abc"), None);
        assert_eq!(id_of("skm_test_0123456789_abc"), None);
        assert_eq!(id_of("skm_live_01234"), None);
    }
}
