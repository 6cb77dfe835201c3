//! Which stored version each questionnaire is at, and the parsed template of any stored version
//! (a form rendered before a template change is still validated against what the citizen saw).

use crate::catalog::Catalog;
use crate::db::{templates, DbConnection, DbError};
use crate::domain::template::{parse_template, Template};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct TemplateVersions {
    current: HashMap<String, (i32, Arc<Template>)>,
    by_id: RwLock<HashMap<i32, Arc<Template>>>,
}

impl TemplateVersions {
    /// Stores every catalog template's current version (once) and remembers the ids.
    pub fn register(conn: &mut DbConnection, catalog: &Catalog) -> Result<Self, DbError> {
        let mut current = HashMap::new();
        let mut by_id = HashMap::new();
        for template in catalog.all() {
            let id = templates::ensure_version(conn, template)?;
            current.insert(template.id.clone(), (id, template.clone()));
            by_id.insert(id, template.clone());
        }
        Ok(TemplateVersions { current, by_id: RwLock::new(by_id) })
    }

    pub fn current(&self, template_id: &str) -> Option<(i32, Arc<Template>)> {
        self.current.get(template_id).cloned()
    }

    /// The template of a stored version; older versions are parsed from the database once.
    pub fn get(&self, conn: &mut DbConnection, id: i32) -> Result<Arc<Template>, DbError> {
        if let Some(template) = self.by_id.read().ok().and_then(|m| m.get(&id).cloned()) {
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
