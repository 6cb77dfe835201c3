//! Zona Integritas instruments on the citizen's form (FORMAT.md, "Attached instruments"): the
//! questionnaires a unit attaches after its main one (SPKP, SPAK), their namespaced form fields
//! (`spkp-zi.P1`, since codes may repeat across instruments) and their validation. Their answers
//! are stored beside the main response, in its transaction (`db::responses::insert_submission`).

use crate::catalog::TemplateRegistry;
use crate::db::instruments::{self, InstrumentAnswers};
use crate::db::{DbConnection, DbError};
use crate::domain::submission::{self, FieldError};
use crate::domain::template::Template;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An instrument attached to a unit's form, at its current version.
#[derive(Debug, Clone)]
pub struct Instrument {
    pub version_id: i32,
    pub template: Arc<Template>,
}

impl Instrument {
    /// The form field of one of the instrument's elements.
    pub fn field(&self, code: &str) -> String {
        field_name(&self.template.id, code)
    }
}

/// `<template id>.<element code>`: template ids are `[a-z0-9-]`, element codes have no `.`.
pub fn field_name(template_id: &str, code: &str) -> String {
    format!("{template_id}.{code}")
}

/// The unit's attached instruments, in form order. One the catalog no longer has (or that no
/// longer says `attachable = true`) is left off the form, with a warning in the log.
pub fn attached(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    unit_id: i32,
) -> Result<Vec<Instrument>, DbError> {
    let mut found = Vec::new();
    for template_id in instruments::for_unit(conn, unit_id)? {
        match registry.current(&template_id) {
            Some((version_id, template)) if template.attachable => found.push(Instrument { version_id, template }),
            _ => tracing::warn!(unit_id, template_id, "an attached instrument is not in the catalog as attachable"),
        }
    }
    Ok(found)
}

/// Whether `field` names an element of one of the instruments (the API declares its codes).
pub fn is_instrument_field(instruments: &[Instrument], field: &str) -> bool {
    instruments.iter().any(|i| i.template.elements.iter().any(|e| i.field(&e.code) == field))
}

/// Every element of every instrument must be answered with a score of its scale, as the main
/// questionnaire's are; errors name the namespaced field. Each instrument's profile and saran are
/// not asked (the main questionnaire's are asked once), so they are never read.
pub fn validate(
    instruments: &[Instrument],
    fields: &BTreeMap<String, String>,
) -> Result<Vec<InstrumentAnswers>, Vec<FieldError>> {
    let mut valid = Vec::with_capacity(instruments.len());
    let mut errors = Vec::new();
    for instrument in instruments {
        let own: BTreeMap<String, String> = instrument
            .template
            .elements
            .iter()
            .filter_map(|e| fields.get(&instrument.field(&e.code)).map(|v| (e.code.clone(), v.clone())))
            .collect();
        match submission::validate(&instrument.template, &own) {
            Ok(answers) => {
                valid.push(InstrumentAnswers { template_version_id: instrument.version_id, answers: answers.answers })
            }
            Err(problems) => errors.extend(
                problems.into_iter().map(|e| FieldError { field: instrument.field(&e.field), problem: e.problem }),
            ),
        }
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(errors)
    }
}
