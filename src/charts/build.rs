//! Chart specifications from aggregator results: the labels are Bahasa Indonesia.

use super::spec::{Bars, ChartSpec, GradeBand, Scale, Trend};
use crate::domain::decimal::Rounded;
use crate::domain::ikm::IndexResult;
use crate::domain::period::Period;
use crate::domain::template::Template;
use num_traits::ToPrimitive;

/// The template's index axis (NIK 25–100, a mean 1–6) with its grade bands.
fn scale(template: &Template) -> Scale {
    let c = template.conversion.to_f64().unwrap_or(1.0);
    let (min, max) = (c * f64::from(template.scale_min), c * f64::from(template.scale_max));
    let mut upper = max;
    let bands = template
        .grades
        .iter()
        .map(|g| {
            let from = g.min.to_f64().unwrap_or(0.0);
            let band = GradeBand { grade: g.grade.clone(), from, to: upper };
            upper = from;
            band
        })
        .collect();
    Scale::Index { min, max, bands }
}

/// Each element's index (conversion × NRR), grade bands shaded, the lowest elements dark.
pub fn elements(template: &Template, result: &IndexResult) -> ChartSpec {
    ChartSpec::Bars(Bars {
        title: format!("{} per unsur", template.index_name()),
        axis: template.index_name().into(),
        labels: result.elements.iter().map(|e| e.code.clone()).collect(),
        values: result.elements.iter().map(|e| e.index).collect(),
        highlight: result.elements.iter().map(|e| e.lowest).collect(),
        legend: Some("unsur terendah (calon rencana tindak lanjut)".into()),
        scale: scale(template),
        columns: true,
    })
}

/// `Jan 26`, or the period as written for other kinds.
fn month_label(period: &Period) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];
    match period {
        Period::Month { year, month } => {
            format!("{} {:02}", MONTHS[(*month as usize).saturating_sub(1) % 12], year % 100)
        }
        other => other.to_string(),
    }
}

pub fn trend(template: &Template, points: &[(Period, IndexResult)]) -> ChartSpec {
    ChartSpec::Trend(Trend {
        title: format!("{} 12 bulan terakhir", template.index_name()),
        axis: template.index_name().into(),
        labels: points.iter().map(|(p, _)| month_label(p)).collect(),
        values: points.iter().map(|(_, r)| r.index).collect(),
        scale: scale(template),
    })
}

/// Respondents per category (a profile breakdown).
pub fn counts(title: &str, rows: &[(String, i64)]) -> ChartSpec {
    ChartSpec::Bars(Bars {
        title: title.to_string(),
        axis: "Responden".into(),
        labels: rows.iter().map(|(l, _)| l.clone()).collect(),
        values: rows.iter().map(|(_, n)| Some(Rounded::whole(*n))).collect(),
        highlight: vec![false; rows.len()],
        legend: None,
        scale: Scale::Count,
        columns: false,
    })
}

/// Units ranked by index, best first.
pub fn ranking(template: &Template, rows: &[(String, Rounded)]) -> ChartSpec {
    ranking_titled(template, format!("Peringkat unit menurut {}", template.index_name()), rows)
}

/// Ranked by index, best first, under the caller's title (a region's provinces or regencies).
pub fn ranking_titled(template: &Template, title: String, rows: &[(String, Rounded)]) -> ChartSpec {
    ChartSpec::Bars(Bars {
        title,
        axis: template.index_name().into(),
        labels: rows.iter().map(|(l, _)| l.clone()).collect(),
        values: rows.iter().map(|(_, v)| Some(*v)).collect(),
        highlight: vec![false; rows.len()],
        legend: None,
        scale: scale(template),
        columns: false,
    })
}
