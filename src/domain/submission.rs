//! Validating one respondent's answers against the template version the form was rendered with.
//! Every problem is collected with its field, so the form can show each next to its field.

use super::template::{ProfileKind, Template};
use std::collections::BTreeMap;

/// When identical answer sets from one client are flagged as a burst (a form filled in again and
/// again): `threshold` of them within `window_minutes`. Flagged responses still count; the
/// dashboard says how many there are so a unit head can look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BurstRule {
    pub threshold: u32,
    pub window_minutes: u32,
}

impl BurstRule {
    /// No burst check: paper questionnaires come from one desk, so identical sets are expected.
    pub const OFF: BurstRule = BurstRule { threshold: 0, window_minutes: 0 };

    /// A rule below two identical sets could flag every single response, so it means off.
    pub fn is_on(self) -> bool {
        self.threshold >= 2
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// an element left unanswered
    Required,
    /// an element's answer that is not a score of the scale (a paper entry of 5 on a 1–4 scale)
    NotAScore {
        min: u32,
        max: u32,
    },
    NotAnOption,
    NotANumber,
    OutOfRange {
        min: i64,
        max: i64,
    },
    TooLong {
        max: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

/// A submission that satisfies its template: scores in template order, profile values by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSubmission {
    pub answers: Vec<(String, i32)>,
    pub profile: BTreeMap<String, String>,
    pub saran: Option<String>,
}

/// Profile codes with their own response columns; any other template field goes to
/// `profile_extra`.
pub const GENDER: &str = "jenis_kelamin";
pub const AGE: &str = "usia";
pub const EDUCATION: &str = "pendidikan";
pub const OCCUPATION: &str = "pekerjaan";

/// `fields` maps form names to submitted values: element codes to scores, profile codes to
/// values, and `saran`. Every element must be answered; profile fields and saran are optional.
pub fn validate(template: &Template, fields: &BTreeMap<String, String>) -> Result<ValidSubmission, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, problem| errors.push(FieldError { field: field.to_string(), problem });
    let value = |name: &str| fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

    let mut answers = Vec::with_capacity(template.elements.len());
    for element in &template.elements {
        match value(&element.code) {
            None => fail(&element.code, Problem::Required),
            Some(text) => match text.parse::<u32>() {
                Ok(score) if element.answers.iter().any(|a| a.score == score) => {
                    answers.push((element.code.clone(), score as i32));
                }
                _ => fail(&element.code, Problem::NotAScore { min: template.scale_min, max: template.scale_max }),
            },
        }
    }

    let mut profile = BTreeMap::new();
    for field in &template.profile {
        let Some(text) = value(&field.code) else { continue };
        match &field.kind {
            ProfileKind::Choice(options) => match options.iter().find(|o| o.code == text) {
                Some(option) => {
                    profile.insert(field.code.clone(), option.code.clone());
                }
                None => fail(&field.code, Problem::NotAnOption),
            },
            ProfileKind::Number { min, max } => match text.parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => {
                    profile.insert(field.code.clone(), n.to_string());
                }
                Ok(_) => fail(&field.code, Problem::OutOfRange { min: *min, max: *max }),
                Err(_) => fail(&field.code, Problem::NotANumber),
            },
        }
    }

    // A NUL is never text anyone typed (and PostgreSQL cannot store one): dropped, not refused.
    let saran = value("saran").map(|s| s.replace('\0', "").trim().to_string()).filter(|s| !s.is_empty());
    if saran.as_ref().is_some_and(|s| s.chars().count() > template.saran_max_chars) {
        fail("saran", Problem::TooLong { max: template.saran_max_chars });
    }

    if errors.is_empty() {
        Ok(ValidSubmission { answers, profile, saran })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::parse_template;

    fn template() -> Template {
        parse_template("p.toml", include_str!("../../survey-templates/permenpanrb-14-2017.toml")).expect("shipped")
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn all_answered() -> Vec<(String, String)> {
        (1..=9).map(|i| (format!("U{i}"), "4".to_string())).collect()
    }

    #[test]
    fn a_complete_submission_is_valid() {
        let mut f: BTreeMap<String, String> = all_answered().into_iter().collect();
        f.extend(fields(&[("usia", "34"), ("jenis_kelamin", "P"), ("saran", "  Antrean lebih cepat  ")]));
        let valid = validate(&template(), &f).expect("valid");
        assert_eq!(valid.answers.len(), 9);
        assert_eq!(valid.profile.get("usia").map(String::as_str), Some("34"));
        assert_eq!(valid.saran.as_deref(), Some("Antrean lebih cepat"));
    }

    #[test]
    fn a_nul_in_the_saran_is_dropped() {
        let mut f: BTreeMap<String, String> = all_answered().into_iter().collect();
        f.insert("saran".into(), "Antrean\0 cepat".into());
        assert_eq!(validate(&template(), &f).expect("valid").saran.as_deref(), Some("Antrean cepat"));
        f.insert("saran".into(), " \0 ".into());
        assert_eq!(validate(&template(), &f).expect("valid").saran, None);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut f: BTreeMap<String, String> = all_answered().into_iter().collect();
        f.remove("U3");
        f.insert("U5".into(), "5".into());
        f.insert("usia".into(), "9".into());
        f.insert("pendidikan".into(), "PhD".into());
        f.insert("saran".into(), "x".repeat(2001));
        let errors = validate(&template(), &f).expect_err("invalid");
        let got: Vec<(&str, &Problem)> = errors.iter().map(|e| (e.field.as_str(), &e.problem)).collect();
        assert_eq!(
            got,
            [
                ("U3", &Problem::Required),
                ("U5", &Problem::NotAScore { min: 1, max: 4 }),
                ("usia", &Problem::OutOfRange { min: 15, max: 100 }),
                ("pendidikan", &Problem::NotAnOption),
                ("saran", &Problem::TooLong { max: 2000 }),
            ]
        );
        f.insert("usia".into(), "tiga puluh".into());
        assert!(validate(&template(), &f).expect_err("invalid").iter().any(|e| e.problem == Problem::NotANumber));
    }
}
