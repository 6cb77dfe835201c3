//! The respondent-profile table (BAB III A of the report): one table that the unit dashboard's
//! charts, the PDF report and the XLSX workbook all show, so the three cannot disagree.
//!
//! Four sections in a fixed order — Jenis kelamin, Usia, Pendidikan, Pekerjaan — each with rows
//! `(label, count)`:
//! - choice fields list the template's options in the template's order, by their Indonesian
//!   label, each kept even at 0 (a table shows 0, not a gap);
//! - ages are grouped in the bands 15–24, 25–34, 35–44, 45–54, 55–64 and 65+, each kept even
//!   at 0.
//!
//! Odd values follow one rule: nothing is dropped and nothing is relabelled as something else,
//! so every section's rows sum to the respondents counted.
//! - A missing answer (NULL) is one row "Tidak diisi", after the others, when someone left it
//!   blank.
//! - A value the template does not offer — a code from an import or an older questionnaire, an
//!   age outside the template's range or below the first band — is kept as its raw value with a
//!   marker, one row per value, after the template's rows: `x9 (kode tidak dikenal)`,
//!   `7 (di luar rentang)`.

use crate::db::aggregate::ProfileCounts;
use crate::domain::submission::{AGE, EDUCATION, GENDER, OCCUPATION};
use crate::domain::template::{ProfileKind, Template};

/// The row of respondents who left a field blank.
pub const NOT_ANSWERED: &str = "Tidak diisi";

/// Lower bounds and labels of the age bands; the last one is open-ended.
const AGE_BANDS: [(i32, &str); 6] =
    [(15, "15–24"), (25, "25–34"), (35, "35–44"), (45, "45–54"), (55, "55–64"), (65, "65+")];

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSection {
    /// the section's heading in Bahasa Indonesia
    pub title: &'static str,
    pub rows: Vec<(String, i64)>,
}

impl ProfileSection {
    /// The respondents counted in this section (the sum of its rows).
    pub fn total(&self) -> i64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileTable {
    pub gender: ProfileSection,
    pub age: ProfileSection,
    pub education: ProfileSection,
    pub occupation: ProfileSection,
}

impl ProfileTable {
    /// The sections in the order every output shows them.
    pub fn sections(&self) -> [&ProfileSection; 4] {
        [&self.gender, &self.age, &self.education, &self.occupation]
    }
}

/// The profile table of `counts`, labelled and ordered by `template` (see the module's rule).
pub fn profile_table(template: &Template, counts: &ProfileCounts) -> ProfileTable {
    ProfileTable {
        gender: choice_section("Jenis kelamin", template, GENDER, &counts.gender),
        age: age_section(template, &counts.age),
        education: choice_section("Pendidikan", template, EDUCATION, &counts.education),
        occupation: choice_section("Pekerjaan", template, OCCUPATION, &counts.occupation),
    }
}

/// Adds `n` to the row labelled `label`, appending the row if it is new (so odd values keep the
/// order they were first met in).
fn add(rows: &mut Vec<(String, i64)>, label: String, n: i64) {
    match rows.iter_mut().find(|(l, _)| *l == label) {
        Some(row) => row.1 += n,
        None => rows.push((label, n)),
    }
}

fn choice_section(
    title: &'static str,
    template: &Template,
    field: &str,
    counts: &[(Option<String>, i64)],
) -> ProfileSection {
    // A template without the field (or with it as a number) offers no codes: every stored code
    // is then unknown to it, and shown as such rather than hidden.
    let options = match template.profile_field(field).map(|p| &p.kind) {
        Some(ProfileKind::Choice(options)) => options.as_slice(),
        _ => &[],
    };
    let mut rows: Vec<(String, i64)> = options.iter().map(|o| (o.label.id.clone(), 0)).collect();
    let mut odd = Vec::new();
    let mut blank = 0;
    // Sorted so that unknown codes come out in the same order whatever order SQL grouped them in.
    let mut sorted: Vec<&(Option<String>, i64)> = counts.iter().collect();
    sorted.sort();
    for (value, n) in sorted {
        match value {
            None => blank += n,
            Some(code) => match options.iter().position(|o| &o.code == code) {
                Some(i) => rows[i].1 += n,
                None => add(&mut odd, format!("{code} (kode tidak dikenal)"), *n),
            },
        }
    }
    finish(title, rows, odd, blank)
}

fn age_section(template: &Template, counts: &[(Option<i32>, i64)]) -> ProfileSection {
    let allowed = match template.profile_field(AGE).map(|p| &p.kind) {
        Some(ProfileKind::Number { min, max }) => Some((*min, *max)),
        _ => None,
    };
    let mut rows: Vec<(String, i64)> = AGE_BANDS.iter().map(|(_, label)| (label.to_string(), 0)).collect();
    let mut odd = Vec::new();
    let mut blank = 0;
    let mut sorted: Vec<&(Option<i32>, i64)> = counts.iter().collect();
    sorted.sort();
    for (age, n) in sorted {
        let Some(age) = age else {
            blank += n;
            continue;
        };
        let in_range = allowed.is_none_or(|(min, max)| (min..=max).contains(&i64::from(*age)));
        match AGE_BANDS.iter().rposition(|(lower, _)| age >= lower) {
            Some(band) if in_range => rows[band].1 += n,
            _ => add(&mut odd, format!("{age} (di luar rentang)"), *n),
        }
    }
    finish("Usia", rows, odd, blank)
}

/// The template's rows, then the odd values, then the blanks.
fn finish(title: &'static str, mut rows: Vec<(String, i64)>, odd: Vec<(String, i64)>, blank: i64) -> ProfileSection {
    rows.extend(odd);
    if blank > 0 {
        rows.push((NOT_ANSWERED.to_string(), blank));
    }
    ProfileSection { title, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::parse_template;

    fn template() -> Template {
        parse_template("permenpanrb-14-2017.toml", include_str!("../../survey-templates/permenpanrb-14-2017.toml"))
            .expect("the default template parses")
    }

    fn code(c: &str) -> Option<String> {
        Some(c.to_string())
    }

    fn counts() -> ProfileCounts {
        ProfileCounts {
            gender: vec![(code("P"), 5), (None, 2), (code("L"), 3), (code("x9"), 1)],
            education: vec![(code("SMA"), 4), (code("S3"), 1)],
            occupation: vec![(code("x9"), 2), (code("PNS"), 7), (code("ABRI"), 1), (None, 1)],
            age: vec![(Some(24), 1), (Some(25), 2), (Some(70), 3), (None, 4), (Some(7), 1), (Some(101), 1)],
            flagged: 0,
            ..ProfileCounts::default()
        }
    }

    fn labels(section: &ProfileSection) -> Vec<&str> {
        section.rows.iter().map(|(l, _)| l.as_str()).collect()
    }

    fn count(section: &ProfileSection, label: &str) -> Option<i64> {
        section.rows.iter().find(|(l, _)| l == label).map(|(_, n)| *n)
    }

    #[test]
    fn sections_come_in_a_fixed_order() {
        let table = profile_table(&template(), &counts());
        let titles: Vec<&str> = table.sections().iter().map(|s| s.title).collect();
        assert_eq!(titles, ["Jenis kelamin", "Usia", "Pendidikan", "Pekerjaan"]);
    }

    #[test]
    fn options_follow_the_template_order_by_label_and_keep_zero_counts() {
        let table = profile_table(&template(), &counts());
        assert_eq!(labels(&table.education), ["SD", "SMP", "SMA", "D1–D3", "D4/S1", "S2", "S3"]);
        assert_eq!(count(&table.education, "SD"), Some(0));
        assert_eq!(count(&table.education, "SMA"), Some(4));
        assert_eq!(count(&table.gender, "Laki-laki"), Some(3));
        assert_eq!(count(&table.gender, "Perempuan"), Some(5));
    }

    #[test]
    fn an_unknown_code_is_kept_under_its_raw_code_with_a_marker() {
        let table = profile_table(&template(), &counts());
        assert_eq!(
            labels(&table.occupation),
            [
                "PNS",
                "TNI",
                "POLRI",
                "Swasta",
                "Wirausaha",
                "Pelajar/Mahasiswa",
                "Lainnya",
                "ABRI (kode tidak dikenal)",
                "x9 (kode tidak dikenal)",
                "Tidak diisi",
            ]
        );
        assert_eq!(count(&table.occupation, "x9 (kode tidak dikenal)"), Some(2));
        assert_eq!(count(&table.gender, "x9 (kode tidak dikenal)"), Some(1));
    }

    #[test]
    fn a_missing_answer_is_tidak_diisi_and_appears_only_when_someone_left_it_blank() {
        let table = profile_table(&template(), &counts());
        assert_eq!(count(&table.gender, NOT_ANSWERED), Some(2));
        assert_eq!(count(&table.age, NOT_ANSWERED), Some(4));
        assert_eq!(count(&table.education, NOT_ANSWERED), None);
        assert_eq!(table.gender.rows.last().map(|(l, _)| l.as_str()), Some(NOT_ANSWERED));
    }

    #[test]
    fn ages_fall_in_bands_and_odd_ages_are_kept_raw() {
        let table = profile_table(&template(), &counts());
        assert_eq!(
            table.age.rows,
            [
                ("15–24".to_string(), 1),
                ("25–34".to_string(), 2),
                ("35–44".to_string(), 0),
                ("45–54".to_string(), 0),
                ("55–64".to_string(), 0),
                ("65+".to_string(), 3),
                ("7 (di luar rentang)".to_string(), 1),
                ("101 (di luar rentang)".to_string(), 1),
                ("Tidak diisi".to_string(), 4),
            ]
        );
    }

    #[test]
    fn every_section_sums_to_the_respondents_counted() {
        let counts = counts();
        let table = profile_table(&template(), &counts);
        let sum = |rows: &[(Option<String>, i64)]| rows.iter().map(|(_, n)| n).sum::<i64>();
        assert_eq!(table.gender.total(), sum(&counts.gender));
        assert_eq!(table.education.total(), sum(&counts.education));
        assert_eq!(table.occupation.total(), sum(&counts.occupation));
        assert_eq!(table.age.total(), counts.age.iter().map(|(_, n)| n).sum::<i64>());
    }

    #[test]
    fn a_field_the_template_lacks_shows_every_stored_code_as_unknown() {
        let mut template = template();
        template.profile.retain(|p| p.code != EDUCATION);
        let table = profile_table(&template, &counts());
        assert_eq!(
            table.education.rows,
            [("S3 (kode tidak dikenal)".to_string(), 1), ("SMA (kode tidak dikenal)".to_string(), 4)]
        );
    }
}
