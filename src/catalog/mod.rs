//! The questionnaires this deployment offers: the shipped files compiled into the binary, plus
//! any from `SKM_TEMPLATES_DIR` (which override a shipped one with the same `id`); `registry`
//! records their versions in the database and knows which one a unit uses.

use crate::domain::template::{parse_template, Template, TemplateError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

pub mod registry;
pub use registry::TemplateRegistry;

const SHIPPED: [(&str, &str); 4] = [
    ("permenpanrb-14-2017.toml", include_str!("../../survey-templates/permenpanrb-14-2017.toml")),
    ("kepmenpan-25-2004.toml", include_str!("../../survey-templates/kepmenpan-25-2004.toml")),
    ("spkp-zi.toml", include_str!("../../survey-templates/spkp-zi.toml")),
    ("spak-zi.toml", include_str!("../../survey-templates/spak-zi.toml")),
];

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path}: the file declares id '{id}', but its name says '{stem}'")]
    NameMismatch { path: PathBuf, id: String, stem: String },
    #[error("unknown survey template '{0}'")]
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct Catalog {
    templates: BTreeMap<String, Arc<Template>>,
}

impl Catalog {
    /// The shipped templates, then those in `dir` (if any).
    pub fn load(dir: Option<&Path>) -> Result<Self, CatalogError> {
        let mut templates = BTreeMap::new();
        for (file, text) in SHIPPED {
            let template = parse_template(&format!("survey-templates/{file}"), text)?;
            templates.insert(template.id.clone(), Arc::new(template));
        }
        if let Some(dir) = dir {
            for template in load_dir(dir)? {
                templates.insert(template.id.clone(), Arc::new(template));
            }
        }
        Ok(Catalog { templates })
    }

    pub fn get(&self, id: &str) -> Result<Arc<Template>, CatalogError> {
        self.templates.get(id).cloned().ok_or_else(|| CatalogError::Unknown(id.to_string()))
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Template>> {
        self.templates.values()
    }
}

fn load_dir(dir: &Path) -> Result<Vec<Template>, CatalogError> {
    let io = |path: &Path, err: std::io::Error| CatalogError::Io { path: path.to_path_buf(), reason: err.to_string() };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let template = parse_template(&path.display().to_string(), &text)?;
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if stem != template.id {
                return Err(CatalogError::NameMismatch { path, id: template.id, stem });
            }
            Ok(template)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::IndexKind;

    #[test]
    fn shipped_templates_load() {
        let catalog = Catalog::load(None).expect("shipped templates are valid");
        let count = |id: &str| catalog.get(id).map(|t| t.elements.len()).ok();
        assert_eq!(count("permenpanrb-14-2017"), Some(9));
        assert_eq!(count("kepmenpan-25-2004"), Some(14));
        assert_eq!(count("spkp-zi"), Some(8));
        assert_eq!(count("spak-zi"), Some(5));
        let spak = catalog.get("spak-zi").expect("shipped");
        assert_eq!((spak.kind, spak.scale_max, spak.grades.len()), (IndexKind::Mean, 6, 0));
    }

    #[test]
    fn a_broken_file_in_the_folder_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "id = \"mine\"\nversion = 1\n").expect("write");
        let err = Catalog::load(Some(dir.path())).expect_err("broken");
        let message = err.to_string();
        assert!(message.contains("mine.toml:2:"), "{message}");
    }
}
