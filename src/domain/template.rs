//! Survey templates (SPEC §2, `survey-templates/FORMAT.md`): parsed from TOML text and validated
//! once, so the rest of the code only ever sees a well-formed questionnaire.

use super::decimal::{parse_decimal, Rounded};
use num_rational::BigRational;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum TemplateError {
    #[error("{file}:{line}:{column}: {reason}")]
    Syntax { file: String, line: usize, column: usize, reason: String },
    #[error("{file}: {field}: {reason}")]
    Invalid { file: String, field: String, reason: String },
}

/// A text in Bahasa Indonesia (always) and English.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub id: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Id => &self.id,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// index = conversion × IKM (PermenPANRB: ×25, 25–100)
    Nik,
    /// index = IKM itself, with its percentage of the scale maximum (SPKP, SPAK)
    Mean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Weighting {
    /// 1/k over the k elements that have at least one answer (SPEC §3)
    Exact,
    /// fixed weights per element, to reproduce reports made that way
    Fixed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub min: BigRational,
    pub grade: String,
    pub label: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub score: u32,
    pub label: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub code: String,
    pub name: Text,
    pub question: Text,
    pub weight: Option<BigRational>,
    pub answers: Vec<Answer>,
    /// typical improvements for a weak element (Bahasa Indonesia), offered by the follow-up form
    pub suggested_actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProfileKind {
    Choice(Vec<ProfileOption>),
    Number { min: i64, max: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileOption {
    pub code: String,
    pub label: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileField {
    pub code: String,
    pub label: Text,
    pub kind: ProfileKind,
}

/// An element's suggested follow-up actions: a short list a form can offer, each a short line.
const MAX_SUGGESTIONS: usize = 8;
const MAX_SUGGESTION_CHARS: usize = 200;

/// The questionnaire of PermenPANRB 14/2017 (SPEC §2): what a unit uses unless it is given another.
pub const DEFAULT_TEMPLATE: &str = "permenpanrb-14-2017";

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: String,
    pub version: String,
    pub legal_basis: String,
    pub title: Text,
    pub scale_min: u32,
    pub scale_max: u32,
    pub kind: IndexKind,
    /// NIK = conversion × IKM; 1 for `Mean`
    pub conversion: BigRational,
    pub weighting: Weighting,
    pub grades: Vec<Grade>,
    pub elements: Vec<Element>,
    pub profile: Vec<ProfileField>,
    pub saran_max_chars: usize,
    pub saran_label: Text,
    /// whether a unit may attach this questionnaire to its main one (Zona Integritas: SPKP,
    /// SPAK): asked on the same page after the main questions, stored and computed on its own
    pub attachable: bool,
    /// SHA-256 of the file's bytes, hex: identifies the version in the database.
    pub content_hash: String,
    /// The file's text, stored with the version so history keeps the exact wording.
    pub source: String,
}

impl Template {
    /// What the index is called in tables and headings: `NIK` on the 25–100 scale, else `Indeks`.
    pub fn index_name(&self) -> &'static str {
        match self.kind {
            IndexKind::Nik => "NIK",
            IndexKind::Mean => "Indeks",
        }
    }

    pub fn element(&self, code: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.code == code)
    }

    pub fn score_in_scale(&self, score: u32) -> bool {
        (self.scale_min..=self.scale_max).contains(&score)
    }

    /// The grade of a rounded index value, or `None` when the template has no grade table
    /// (compared without building a rational: a page grades hundreds of values).
    pub fn grade_of(&self, value: &Rounded) -> Option<&Grade> {
        self.grades.iter().find(|g| value.at_least(&g.min))
    }

    pub fn profile_field(&self, code: &str) -> Option<&ProfileField> {
        self.profile.iter().find(|p| p.code == code)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    id: String,
    version: String,
    legal_basis: String,
    title: Text,
    scale: RawScale,
    index: RawIndex,
    #[serde(default)]
    grades: Vec<RawGrade>,
    elements: Vec<RawElement>,
    #[serde(default)]
    profile: Vec<RawProfile>,
    saran: RawSaran,
    #[serde(default)]
    attachable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    min: u32,
    max: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    kind: String,
    conversion: Option<String>,
    weighting: String,
    fixed_weight: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrade {
    min: String,
    grade: String,
    label: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    code: String,
    name: Text,
    question: Text,
    weight: Option<String>,
    answers: Vec<RawAnswer>,
    #[serde(default)]
    suggested_actions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    score: u32,
    id: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    code: String,
    kind: String,
    label: Text,
    #[serde(default)]
    options: Vec<RawOption>,
    min: Option<i64>,
    max: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    code: String,
    id: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSaran {
    max_chars: usize,
    label: Text,
}

/// Parses and validates one template file's text. `file` only names it in errors.
pub fn parse_template(file: &str, text: &str) -> Result<Template, TemplateError> {
    let raw: RawTemplate = toml::from_str(text).map_err(|err| {
        let (line, column) = err.span().map(|span| line_column(text, span.start)).unwrap_or((1, 1));
        TemplateError::Syntax { file: file.to_string(), line, column, reason: err.message().trim().to_string() }
    })?;
    let hash = hex(&Sha256::digest(text.as_bytes()));
    Validator { file }.template(raw, hash, text)
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Validator<'a> {
    file: &'a str,
}

impl Validator<'_> {
    fn fail<T>(&self, field: impl Into<String>, reason: impl Into<String>) -> Result<T, TemplateError> {
        Err(TemplateError::Invalid { file: self.file.to_string(), field: field.into(), reason: reason.into() })
    }

    fn decimal(&self, field: &str, text: &str) -> Result<BigRational, TemplateError> {
        match parse_decimal(text) {
            Some(value) => Ok(value),
            None => self.fail(field, format!("'{text}' is not a decimal number like \"0.111\"")),
        }
    }

    fn code(&self, field: &str, code: &str, allowed: impl Fn(char) -> bool) -> Result<(), TemplateError> {
        if code.is_empty() || !code.chars().all(allowed) {
            return self.fail(field, format!("'{code}' is not a valid code"));
        }
        Ok(())
    }

    fn template(&self, raw: RawTemplate, content_hash: String, source: &str) -> Result<Template, TemplateError> {
        self.code("id", &raw.id, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')?;
        if raw.scale.min >= raw.scale.max || raw.scale.min == 0 {
            return self.fail("scale", "min must be at least 1 and below max");
        }
        let kind = match raw.index.kind.as_str() {
            "nik" => IndexKind::Nik,
            "mean" => IndexKind::Mean,
            other => return self.fail("index.kind", format!("'{other}' is not \"nik\" or \"mean\"")),
        };
        let conversion = match (kind, &raw.index.conversion) {
            (IndexKind::Nik, Some(text)) => self.decimal("index.conversion", text)?,
            (IndexKind::Nik, None) => return self.fail("index.conversion", "required when kind = \"nik\""),
            (IndexKind::Mean, None) => BigRational::from_integer(1.into()),
            (IndexKind::Mean, Some(_)) => return self.fail("index.conversion", "only allowed when kind = \"nik\""),
        };
        if conversion <= BigRational::from_integer(0.into()) {
            return self.fail("index.conversion", "must be positive");
        }
        let weighting = match raw.index.weighting.as_str() {
            "exact" => Weighting::Exact,
            "fixed" => Weighting::Fixed,
            other => return self.fail("index.weighting", format!("'{other}' is not \"exact\" or \"fixed\"")),
        };
        let default_weight = match &raw.index.fixed_weight {
            Some(text) if weighting == Weighting::Fixed => Some(self.decimal("index.fixed_weight", text)?),
            Some(_) => return self.fail("index.fixed_weight", "only allowed when weighting = \"fixed\""),
            None => None,
        };

        if raw.elements.is_empty() {
            return self.fail("elements", "at least one element is required");
        }
        let mut codes = BTreeSet::new();
        let mut elements = Vec::with_capacity(raw.elements.len());
        for (i, element) in raw.elements.into_iter().enumerate() {
            let field = format!("elements[{i}]");
            self.code(&format!("{field}.code"), &element.code, |c| c.is_ascii_alphanumeric() || c == '_')?;
            if !codes.insert(element.code.clone()) {
                return self.fail(format!("{field}.code"), format!("'{}' appears twice", element.code));
            }
            self.text(&format!("{field}.name"), &element.name)?;
            self.text(&format!("{field}.question"), &element.question)?;
            let weight = match (&weighting, &element.weight, &default_weight) {
                (Weighting::Fixed, Some(text), _) => Some(self.decimal(&format!("{field}.weight"), text)?),
                (Weighting::Fixed, None, Some(w)) => Some(w.clone()),
                (Weighting::Fixed, None, None) => {
                    return self
                        .fail(format!("{field}.weight"), "fixed weighting needs a weight here or index.fixed_weight")
                }
                (Weighting::Exact, Some(_), _) => {
                    return self.fail(format!("{field}.weight"), "only allowed when weighting = \"fixed\"")
                }
                (Weighting::Exact, None, _) => None,
            };
            let mut answers: Vec<Answer> = Vec::new();
            for (j, answer) in element.answers.into_iter().enumerate() {
                let at = format!("{field}.answers[{j}]");
                if !(raw.scale.min..=raw.scale.max).contains(&answer.score) {
                    return self.fail(
                        format!("{at}.score"),
                        format!("{} is outside the scale {}–{}", answer.score, raw.scale.min, raw.scale.max),
                    );
                }
                if answers.iter().any(|a| a.score == answer.score) {
                    return self.fail(format!("{at}.score"), format!("score {} appears twice", answer.score));
                }
                let label = Text { id: answer.id, en: answer.en };
                self.text(&at, &label)?;
                answers.push(Answer { score: answer.score, label });
            }
            if answers.len() as u32 != raw.scale.max - raw.scale.min + 1 {
                return self
                    .fail(format!("{field}.answers"), "every score of the scale needs exactly one answer label");
            }
            answers.sort_by_key(|a| a.score);
            let suggested_actions = self.suggestions(&field, element.suggested_actions)?;
            elements.push(Element {
                code: element.code,
                name: element.name,
                question: element.question,
                weight,
                answers,
                suggested_actions,
            });
        }

        if raw.attachable && kind != IndexKind::Mean {
            return self
                .fail("attachable", "an attached instrument is reported as a mean: needs index.kind = \"mean\"");
        }
        let grades = self.grades(raw.grades, kind)?;
        let profile = self.profile(raw.profile)?;
        self.text("title", &raw.title)?;
        self.text("saran.label", &raw.saran.label)?;
        if raw.saran.max_chars == 0 {
            return self.fail("saran.max_chars", "must be positive");
        }
        Ok(Template {
            id: raw.id,
            version: raw.version,
            legal_basis: raw.legal_basis,
            title: raw.title,
            scale_min: raw.scale.min,
            scale_max: raw.scale.max,
            kind,
            conversion,
            weighting,
            grades,
            elements,
            profile,
            saran_max_chars: raw.saran.max_chars,
            saran_label: raw.saran.label,
            attachable: raw.attachable,
            content_hash,
            source: source.to_string(),
        })
    }

    /// An element's `suggested_actions`: a short list of distinct, short texts.
    fn suggestions(&self, field: &str, raw: Vec<String>) -> Result<Vec<String>, TemplateError> {
        let field = format!("{field}.suggested_actions");
        if raw.len() > MAX_SUGGESTIONS {
            return self.fail(field, format!("at most {MAX_SUGGESTIONS} suggestions"));
        }
        let mut suggestions: Vec<String> = Vec::with_capacity(raw.len());
        for (i, text) in raw.into_iter().enumerate() {
            let text = text.trim().to_string();
            if text.is_empty() || text.chars().count() > MAX_SUGGESTION_CHARS {
                return self.fail(format!("{field}[{i}]"), format!("1 to {MAX_SUGGESTION_CHARS} characters"));
            }
            if suggestions.contains(&text) {
                return self.fail(format!("{field}[{i}]"), format!("'{text}' appears twice"));
            }
            suggestions.push(text);
        }
        Ok(suggestions)
    }

    fn text(&self, field: &str, text: &Text) -> Result<(), TemplateError> {
        if text.id.trim().is_empty() || text.en.trim().is_empty() {
            return self.fail(field, "both the `id` and the `en` text must be filled in");
        }
        Ok(())
    }

    fn grades(&self, raw: Vec<RawGrade>, kind: IndexKind) -> Result<Vec<Grade>, TemplateError> {
        if raw.is_empty() && kind == IndexKind::Nik {
            return self.fail("grades", "a \"nik\" template needs a grade table");
        }
        let mut grades: Vec<Grade> = Vec::with_capacity(raw.len());
        for (i, grade) in raw.into_iter().enumerate() {
            let field = format!("grades[{i}]");
            let min = self.decimal(&format!("{field}.min"), &grade.min)?;
            if let Some(previous) = grades.last() {
                if min >= previous.min {
                    return self.fail(format!("{field}.min"), "grades must be listed from the highest min down");
                }
            }
            if grade.grade.trim().is_empty() {
                return self.fail(format!("{field}.grade"), "must not be empty");
            }
            self.text(&format!("{field}.label"), &grade.label)?;
            grades.push(Grade { min, grade: grade.grade, label: grade.label });
        }
        Ok(grades)
    }

    fn profile(&self, raw: Vec<RawProfile>) -> Result<Vec<ProfileField>, TemplateError> {
        let mut fields: Vec<ProfileField> = Vec::with_capacity(raw.len());
        for (i, field_raw) in raw.into_iter().enumerate() {
            let field = format!("profile[{i}]");
            self.code(&format!("{field}.code"), &field_raw.code, |c| c.is_ascii_lowercase() || c == '_')?;
            if fields.iter().any(|f| f.code == field_raw.code) {
                return self.fail(format!("{field}.code"), format!("'{}' appears twice", field_raw.code));
            }
            self.text(&format!("{field}.label"), &field_raw.label)?;
            let kind = match field_raw.kind.as_str() {
                "choice" => {
                    if field_raw.options.is_empty() || field_raw.min.is_some() || field_raw.max.is_some() {
                        return self.fail(field, "a \"choice\" field needs options and no min/max");
                    }
                    let mut options: Vec<ProfileOption> = Vec::new();
                    for (j, option) in field_raw.options.into_iter().enumerate() {
                        let at = format!("{field}.options[{j}]");
                        self.code(&format!("{at}.code"), &option.code, |c| {
                            c.is_ascii_alphanumeric() || "-_/".contains(c)
                        })?;
                        if options.iter().any(|o| o.code == option.code) {
                            return self.fail(format!("{at}.code"), format!("'{}' appears twice", option.code));
                        }
                        let label = Text { id: option.id, en: option.en };
                        self.text(&at, &label)?;
                        options.push(ProfileOption { code: option.code, label });
                    }
                    ProfileKind::Choice(options)
                }
                "number" => match (field_raw.min, field_raw.max) {
                    (Some(min), Some(max)) if min <= max && field_raw.options.is_empty() => {
                        ProfileKind::Number { min, max }
                    }
                    _ => return self.fail(field, "a \"number\" field needs min ≤ max and no options"),
                },
                other => {
                    return self.fail(format!("{field}.kind"), format!("'{other}' is not \"choice\" or \"number\""))
                }
            };
            fields.push(ProfileField { code: field_raw.code, label: field_raw.label, kind });
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../../survey-templates/permenpanrb-14-2017.toml");

    #[test]
    fn the_default_template_loads() {
        let t = parse_template("permenpanrb-14-2017.toml", DEFAULT).expect("valid");
        assert_eq!(t.elements.len(), 9);
        assert_eq!(t.element("U4").map(|e| e.answers[3].label.id.as_str()), Some("Gratis"));
        assert_eq!(t.grades.len(), 4);
        assert_eq!(t.content_hash.len(), 64);
    }

    #[test]
    fn a_syntax_error_names_file_and_line() {
        let broken = DEFAULT.replacen("min = 1\n", "min = = 1\n", 1);
        match parse_template("x.toml", &broken) {
            Err(TemplateError::Syntax { file, line, .. }) => {
                assert_eq!(file, "x.toml");
                assert_eq!(line, 1 + DEFAULT.split("min = 1\n").next().map_or(0, |p| p.matches('\n').count()));
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn content_errors_name_the_field() {
        let cases = [
            (
                DEFAULT.replacen("{ score = 4, id = \"Gratis\"", "{ score = 5, id = \"Gratis\"", 1),
                "elements[3].answers[3].score",
            ),
            (DEFAULT.replacen("code = \"U2\"", "code = \"U1\"", 1), "elements[1].code"),
            (DEFAULT.replacen("weighting = \"exact\"", "weighting = \"fixed\"", 1), "elements[0].weight"),
            (DEFAULT.replacen("min = \"76.61\"", "min = \"90\"", 1), "grades[1].min"),
            (DEFAULT.replacen("min = \"76.61\"", "min = \"7x\"", 1), "grades[1].min"),
            (DEFAULT.replacen("kind = \"nik\"", "kind = \"ratio\"", 1), "index.kind"),
        ];
        for (text, expected) in cases {
            match parse_template("x.toml", &text) {
                Err(TemplateError::Invalid { field, .. }) => assert_eq!(field, expected),
                other => panic!("{expected}: got {other:?}"),
            }
        }
    }

    #[test]
    fn suggested_actions_are_read_and_checked() {
        let t = parse_template("permenpanrb-14-2017.toml", DEFAULT).expect("valid");
        for element in &t.elements {
            let n = element.suggested_actions.len();
            assert!((2..=4).contains(&n), "{}: {n} suggestions", element.code);
        }
        assert!(t.element("U3").is_some_and(|e| e.suggested_actions.iter().any(|s| s.contains("loket"))));
        // optional: the Zona Integritas questionnaires have none
        let spak = parse_template("spak-zi.toml", include_str!("../../survey-templates/spak-zi.toml")).expect("valid");
        assert!(spak.elements.iter().all(|e| e.suggested_actions.is_empty()));
        // a wrong type names the file and the line
        let text = DEFAULT.replacen("suggested_actions = [", "suggested_actions = 3\nx = [", 1);
        let line = 1 + DEFAULT.split("suggested_actions = [").next().map_or(0, |p| p.matches('\n').count());
        match parse_template("x.toml", &text) {
            Err(TemplateError::Syntax { file, line: at, reason, .. }) => {
                assert_eq!((file.as_str(), at), ("x.toml", line), "{reason}");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
        let text = DEFAULT.replacen("suggested_actions = [", "suggested_actions = [\"\", ", 1);
        match parse_template("x.toml", &text) {
            Err(TemplateError::Invalid { field, .. }) => assert_eq!(field, "elements[0].suggested_actions[0]"),
            other => panic!("expected a content error, got {other:?}"),
        }
    }

    #[test]
    fn the_zona_integritas_instruments_are_attachable_and_skm_is_not() {
        let spkp = parse_template("spkp-zi.toml", include_str!("../../survey-templates/spkp-zi.toml")).expect("valid");
        let spak = parse_template("spak-zi.toml", include_str!("../../survey-templates/spak-zi.toml")).expect("valid");
        assert!(spkp.attachable && spak.attachable);
        assert!(!parse_template("p.toml", DEFAULT).expect("valid").attachable);
        // an attached instrument is reported as a mean: a "nik" one is refused by name
        let text = DEFAULT.replacen("legal_basis", "attachable = true\nlegal_basis", 1);
        match parse_template("x.toml", &text) {
            Err(TemplateError::Invalid { file, field, .. }) => {
                assert_eq!((file.as_str(), field.as_str()), ("x.toml", "attachable"))
            }
            other => panic!("expected a content error, got {other:?}"),
        }
        // a wrong type names the file and the line
        let text = DEFAULT.replacen("legal_basis", "attachable = \"ya\"\nlegal_basis", 1);
        let line = 1 + DEFAULT.split("legal_basis").next().map_or(0, |p| p.matches('\n').count());
        match parse_template("x.toml", &text) {
            Err(TemplateError::Syntax { file, line: at, .. }) => assert_eq!((file.as_str(), at), ("x.toml", line)),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = DEFAULT.replacen("legal_basis", "colour = \"red\"\nlegal_basis", 1);
        assert!(matches!(parse_template("x.toml", &text), Err(TemplateError::Syntax { .. })));
    }
}
