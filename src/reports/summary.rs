//! The SPEC §3 result as JSON (API, `skm compute --format json`) and as a text table.

use crate::domain::decimal::Rounded;
use crate::domain::ikm::IndexResult;
use crate::domain::template::{Grade, Template, Weighting};
use serde::Serialize;
use std::fmt::Write;

/// The SPEC §3 result of a unit and period (the API's `index`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub template: String,
    pub template_version: String,
    /// `exact` (weights from the answers) or `fixed` (the template's weights)
    #[schema(example = "exact")]
    pub weighting: &'static str,
    pub responses: u64,
    pub elements: Vec<ElementSummary>,
    /// IKM on the template's scale, 4 decimals
    pub ikm: Option<f64>,
    /// NIK (or the mean score, for `mean` templates), 2 decimals half up
    pub nik: Option<f64>,
    pub mutu: Option<String>,
    pub kinerja: Option<String>,
    pub percent_of_max: Option<f64>,
    pub interval: Option<IntervalSummary>,
    /// the codes of the elements with the lowest NRR
    pub lowest: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ElementSummary {
    pub code: String,
    pub name: String,
    pub sum: u64,
    pub count: u64,
    pub nrr: Option<f64>,
    pub weight: Option<f64>,
    pub weighted_nrr: Option<f64>,
    pub nik: Option<f64>,
    pub mutu: Option<String>,
    pub lowest: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntervalSummary {
    pub lower: f64,
    pub upper: f64,
    pub crosses_grade_line: bool,
}

fn show(value: Option<&num_rational::BigRational>, decimals: u32) -> Option<Rounded> {
    value.map(|v| Rounded::half_up(v, decimals))
}

pub fn summarize(template: &Template, result: &IndexResult) -> Summary {
    let grade_text = |g: &Option<Grade>| g.as_ref().map(|g| g.grade.clone());
    Summary {
        template: template.id.clone(),
        template_version: template.version.clone(),
        weighting: match template.weighting {
            Weighting::Exact => "exact",
            Weighting::Fixed => "fixed",
        },
        responses: result.responses,
        elements: template
            .elements
            .iter()
            .zip(&result.elements)
            .map(|(element, r)| ElementSummary {
                code: r.code.clone(),
                name: element.name.id.clone(),
                sum: r.sum,
                count: r.count,
                nrr: show(r.nrr.as_ref(), 4).map(|v| v.to_f64()),
                weight: show(r.weight.as_ref(), 4).map(|v| v.to_f64()),
                weighted_nrr: show(r.weighted_nrr.as_ref(), 4).map(|v| v.to_f64()),
                nik: r.index.map(|v| v.to_f64()),
                mutu: grade_text(&r.grade),
                lowest: r.lowest,
            })
            .collect(),
        ikm: result.ikm_rounded().map(|v| v.to_f64()),
        nik: result.index.map(|v| v.to_f64()),
        mutu: grade_text(&result.grade),
        kinerja: result.grade.as_ref().map(|g| g.label.id.clone()),
        percent_of_max: result.percent_of_max.map(|v| v.to_f64()),
        interval: result.interval.as_ref().map(|i| IntervalSummary {
            lower: i.lower.to_f64(),
            upper: i.upper.to_f64(),
            crosses_grade_line: i.crosses_grade_line,
        }),
        lowest: result.lowest.clone(),
    }
}

/// A plain table for the terminal.
pub fn table(template: &Template, result: &IndexResult) -> String {
    let dash = || "-".to_string();
    let fmt = |v: Option<Rounded>| v.map_or_else(dash, |v| v.to_string());
    let index_name = template.index_name();
    let mut out = String::new();
    let weighting = match template.weighting {
        Weighting::Exact => "exact (1/k)",
        Weighting::Fixed => "fixed",
    };
    let _ = writeln!(out, "Template   {} ({}), weighting {weighting}", template.id, template.version);
    let _ = writeln!(out, "Responden  {}\n", result.responses);
    let _ = writeln!(
        out,
        "{:<6} {:>8} {:>7} {:>7} {:>7} {:>8} {:>7}  Mutu",
        "Unsur", "Jumlah", "n", "NRR", "Bobot", "NRR×w", index_name
    );
    for r in &result.elements {
        let _ = writeln!(
            out,
            "{:<6} {:>8} {:>7} {:>7} {:>7} {:>8} {:>7}  {}{}",
            r.code,
            r.sum,
            r.count,
            fmt(show(r.nrr.as_ref(), 2)),
            fmt(show(r.weight.as_ref(), 4)),
            fmt(show(r.weighted_nrr.as_ref(), 4)),
            fmt(r.index),
            r.grade.as_ref().map_or_else(dash, |g| g.grade.clone()),
            if r.lowest { "  (terendah)" } else { "" }
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "IKM        {}", fmt(result.ikm_rounded()));
    let _ = writeln!(out, "{index_name:<10} {}", fmt(result.index));
    if let Some(percent) = result.percent_of_max {
        let _ = writeln!(out, "% maksimum {percent}");
    }
    match &result.grade {
        Some(g) => {
            let _ = writeln!(out, "Mutu       {} ({})", g.grade, g.label.id);
        }
        None if template.grades.is_empty() => {
            let _ = writeln!(out, "Mutu       - (the template defines no grades)");
        }
        None => {
            let _ = writeln!(out, "Mutu       -");
        }
    }
    if let Some(i) = &result.interval {
        let warning = if i.crosses_grade_line { "  (crosses a grade line: the grade is uncertain)" } else { "" };
        let _ = writeln!(out, "Interval   95 %: {} – {}{warning}", i.lower, i.upper);
    }
    let _ =
        writeln!(out, "Terendah   {}", if result.lowest.is_empty() { "-".into() } else { result.lowest.join(", ") });
    out
}
