//! The template registry: which stored version each questionnaire is at, which one a unit uses
//! (its own, or the deployment's default), and the parsed template of any stored version (a form
//! rendered before a template change is still validated against what the citizen saw).

use super::Catalog;
use crate::db::units::Unit;
use crate::db::{templates, DbConnection, DbError};
use crate::domain::template::{parse_template, Template};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct TemplateRegistry {
    current: HashMap<String, (i32, Arc<Template>)>,
    by_id: RwLock<HashMap<i32, Arc<Template>>>,
    default_id: String,
    default: (i32, Arc<Template>),
}

impl TemplateRegistry {
    /// Stores every catalog template's current version (once) and remembers the ids; units
    /// without a questionnaire of their own use `default_id`, which must be in the catalog.
    pub fn register(conn: &mut DbConnection, catalog: &Catalog, default_id: &str) -> Result<Self, DbError> {
        let mut current = HashMap::new();
        let mut by_id = HashMap::new();
        for template in catalog.all() {
            let id = templates::ensure_version(conn, template)?;
            current.insert(template.id.clone(), (id, template.clone()));
            by_id.insert(id, template.clone());
        }
        let default = current.get(default_id).cloned().ok_or_else(|| {
            DbError::Conflict(format!("the default questionnaire '{default_id}' is not in the catalog"))
        })?;
        Ok(TemplateRegistry { current, by_id: RwLock::new(by_id), default_id: default_id.to_string(), default })
    }

    /// The questionnaire of units that have none of their own.
    pub fn default_id(&self) -> &str {
        &self.default_id
    }

    /// The default questionnaire's current version and template.
    pub fn default_template(&self) -> (i32, Arc<Template>) {
        self.default.clone()
    }

    /// The id of the questionnaire `unit` uses.
    pub fn id_for<'a>(&'a self, unit: &'a Unit) -> &'a str {
        unit.template_id.as_deref().unwrap_or(&self.default_id)
    }

    pub fn current(&self, template_id: &str) -> Option<(i32, Arc<Template>)> {
        self.current.get(template_id).cloned()
    }

    /// The current version and template of the questionnaire `unit` uses.
    pub fn current_for(&self, unit: &Unit) -> Result<(i32, Arc<Template>), DbError> {
        let id = self.id_for(unit);
        self.current(id).ok_or_else(|| DbError::Conflict(format!("unit {} uses unknown template {id}", unit.slug)))
    }

    /// The template of a stored version if it has been read already (no database needed).
    pub fn cached(&self, id: i32) -> Option<Arc<Template>> {
        self.by_id.read().ok().and_then(|m| m.get(&id).cloned())
    }

    /// The template of a stored version; older versions are parsed from the database once.
    pub fn get(&self, conn: &mut DbConnection, id: i32) -> Result<Arc<Template>, DbError> {
        if let Some(template) = self.cached(id) {
            return Ok(template);
        }
        let (template_id, content) = templates::content_of(conn, id)?;
        let template = parse_template(&format!("{template_id} (stored version {id})"), &content)
            .map(Arc::new)
            .map_err(|e| DbError::Conflict(e.to_string()))?;
        if let Ok(mut map) = self.by_id.write() {
            map.insert(id, template.clone());
        }
        Ok(template)
    }
}
