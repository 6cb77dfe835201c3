//! Pieces the official report draws in several places (the unit's report and a roll-up's
//! parts): Indonesian numbers, the element table, a chart, follow-up statuses.

use super::document::Document;
use crate::charts;
use crate::domain::decimal::Rounded;
use crate::domain::ikm::IndexResult;
use crate::domain::template::Template;

pub fn id(value: Rounded) -> String {
    value.format_with(',')
}

pub fn or_dash(value: Option<Rounded>) -> String {
    value.map(id).unwrap_or_else(|| "–".into())
}

/// Each element's sum, count, NRR, weighted NRR, index and grade (SPEC §3).
pub fn element_table(b: &mut Document, template: &Template, result: &IndexResult) {
    let rows: Vec<Vec<String>> = template
        .elements
        .iter()
        .zip(&result.elements)
        .map(|(e, r)| {
            vec![
                format!("{} {}", e.code, e.name.id),
                r.sum.to_string(),
                r.count.to_string(),
                r.nrr.as_ref().map(|n| id(Rounded::half_up(n, 2))).unwrap_or_else(|| "–".into()),
                r.weighted_nrr.as_ref().map(|n| id(Rounded::half_up(n, 4))).unwrap_or_else(|| "–".into()),
                or_dash(r.index),
                r.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
            ]
        })
        .collect();
    b.table(
        &["Unsur", "Jumlah nilai", "n", "NRR", "NRR tertimbang", template.index_name(), "Mutu"],
        &[58.0, 20.0, 14.0, 16.0, 24.0, 20.0, 18.0],
        &rows,
    );
}

pub fn status(s: &str) -> &str {
    match s {
        "planned" => "Direncanakan",
        "in_progress" => "Berjalan",
        "done" => "Selesai",
        "dropped" => "Dibatalkan",
        other => other,
    }
}

/// A chart `width_mm` wide: vector graphics in the PDF, a sharp PNG in the DOCX.
pub fn chart(doc: &mut Document, spec: &charts::ChartSpec, width_mm: f32) -> Result<(), String> {
    doc.chart(spec.clone(), width_mm);
    Ok(())
}
