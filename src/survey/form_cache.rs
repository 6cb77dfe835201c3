//! The units' public forms as read recently (`form_cache_ms`), so that the citizen's GET of the
//! form needs no database round trip and no hop to the blocking pool, and the POST no second
//! read of the unit, its services and its instruments.
//!
//! A form is served for at most `form_cache_ms` after it was read. Every staff write of this
//! instance (`web::staff::guard`: any signed-in request that is not a GET) makes them all stale,
//! so an admin who closes a unit or renames a service sees it on the public form at once; a
//! change made elsewhere (another instance, the command line) shows within `form_cache_ms`. `0`
//! serves none. Unknown units are not kept: a unit created elsewhere has its form at once.
//!
//! Stale forms stay, whatever their age: the last form of each unit is what a citizen who sends
//! theirs while the database is away gets back with their answers (`last`).

use super::{form_for_unit, Form};
use crate::catalog::TemplateRegistry;
use crate::db::{DbConnection, DbError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FormCache {
    ttl: Duration,
    /// each unit's last form read, and when (`None`: stale since a staff write)
    forms: Mutex<HashMap<String, (Option<Instant>, Form)>>,
}

impl FormCache {
    pub fn new(ttl: Duration) -> FormCache {
        FormCache { ttl, forms: Mutex::new(HashMap::new()) }
    }

    /// The unit's form if one was read less than `form_cache_ms` ago and no staff write came since.
    pub fn fresh(&self, slug: &str) -> Option<Form> {
        self.fresh_at(slug, Instant::now())
    }

    fn fresh_at(&self, slug: &str, now: Instant) -> Option<Form> {
        let forms = self.forms.lock().ok()?;
        let (read_at, form) = forms.get(slug)?;
        read_at.filter(|read_at| now.saturating_duration_since(*read_at) < self.ttl).map(|_| form.clone())
    }

    /// The unit's last form read, however old (for the page that asks to send it again when the
    /// database cannot be read).
    pub fn last(&self, slug: &str) -> Option<Form> {
        self.forms.lock().ok()?.get(slug).map(|(_, form)| form.clone())
    }

    fn keep_at(&self, slug: &str, form: &Form, read_at: Instant) {
        if let Ok(mut forms) = self.forms.lock() {
            forms.insert(slug.to_string(), (Some(read_at), form.clone()));
        }
    }

    /// Blocking: the unit's form, fresh or read now (and kept); `None` for an unknown slug.
    pub fn load(
        &self,
        conn: &mut DbConnection,
        registry: &TemplateRegistry,
        slug: &str,
    ) -> Result<Option<Form>, DbError> {
        if let Some(form) = self.fresh(slug) {
            return Ok(Some(form));
        }
        // timed from before the read: a write that lands during it is older than the kept form's clock
        let read_at = Instant::now();
        let form = form_for_unit(conn, registry, slug)?;
        if let Some(form) = &form {
            self.keep_at(slug, form, read_at);
        }
        Ok(form)
    }

    /// Makes every kept form stale (after a staff write: any of them may have changed).
    pub fn forget_all(&self) {
        if let Ok(mut forms) = self.forms.lock() {
            forms.values_mut().for_each(|(read_at, _)| *read_at = None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::units::Unit;

    fn form(name: &str) -> Form {
        let catalog = crate::catalog::Catalog::load(None).expect("templates");
        let template = catalog.get(crate::domain::template::DEFAULT_TEMPLATE).expect("default template");
        Form {
            unit: Unit::example(1, "alpha", name),
            services: Vec::new(),
            template,
            version_id: 1,
            instruments: Vec::new(),
        }
    }

    #[test]
    fn a_form_is_kept_for_the_time_to_live_and_not_a_moment_longer() {
        let cache = FormCache::new(Duration::from_millis(1000));
        let start = Instant::now();
        cache.keep_at("alpha", &form("Unit alpha"), start);
        let at = |ms| cache.fresh_at("alpha", start + Duration::from_millis(ms)).map(|f| f.unit.name);
        assert_eq!(at(0).as_deref(), Some("Unit alpha"));
        assert_eq!(at(999).as_deref(), Some("Unit alpha"));
        assert_eq!(at(1000), None, "expired at the time to live");
        assert!(cache.fresh_at("beta", start).is_none(), "never read");
    }

    #[test]
    fn forgetting_makes_every_form_stale_and_zero_serves_none_but_the_last_stays() {
        let cache = FormCache::new(Duration::from_secs(60));
        let now = Instant::now();
        cache.keep_at("alpha", &form("Unit alpha"), now);
        cache.keep_at("beta", &form("Unit beta"), now);
        cache.forget_all();
        assert!(cache.fresh_at("alpha", now).is_none() && cache.fresh_at("beta", now).is_none());
        assert_eq!(cache.last("beta").map(|f| f.unit.name).as_deref(), Some("Unit beta"), "kept for outages");

        let off = FormCache::new(Duration::ZERO);
        off.keep_at("alpha", &form("Unit alpha"), now);
        assert!(off.fresh_at("alpha", now).is_none());
        assert_eq!(off.last("alpha").map(|f| f.unit.name).as_deref(), Some("Unit alpha"));
        assert!(off.last("beta").is_none(), "never read");
    }
}
