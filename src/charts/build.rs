//! Chart specifications from aggregator results: the labels are Bahasa Indonesia.

use super::draw::{Bars, ChartSpec, GradeBand, Trend};
use crate::domain::ikm::IndexResult;
use crate::domain::period::Period;
use crate::domain::template::Template;
use num_traits::ToPrimitive;

fn range(template: &Template) -> (f64, f64) {
    let c = template.conversion.to_f64().unwrap_or(1.0);
    (c * f64::from(template.scale_min), c * f64::from(template.scale_max))
}

fn bands(template: &Template) -> Vec<GradeBand> {
    let (_, top) = range(template);
    let mut upper = top;
    template
        .grades
        .iter()
        .map(|g| {
            let from = g.min.to_f64().unwrap_or(0.0);
            let band = GradeBand { grade: g.grade.clone(), from, to: upper };
            upper = from;
            band
        })
        .collect()
}

fn index_name(template: &Template) -> &'static str {
    match template.kind {
        crate::domain::template::IndexKind::Nik => "NIK",
        crate::domain::template::IndexKind::Mean => "Nilai rata-rata",
    }
}

/// Each element's index (25 × NRR), grade bands shaded, the lowest elements dark.
pub fn elements(template: &Template, result: &IndexResult) -> ChartSpec {
    ChartSpec::Bars(Bars {
        title: format!("{} per unsur (gelap: unsur terendah)", index_name(template)),
        axis: index_name(template).into(),
        labels: result.elements.iter().map(|e| e.code.clone()).collect(),
        values: result.elements.iter().map(|e| e.index.map(|i| i.to_f64())).collect(),
        highlight: result.elements.iter().map(|e| e.lowest).collect(),
        range: range(template),
        bands: bands(template),
        horizontal: false,
    })
}

pub fn trend(template: &Template, points: &[(Period, IndexResult)]) -> ChartSpec {
    let months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];
    ChartSpec::Trend(Trend {
        title: format!("{} 12 bulan terakhir", index_name(template)),
        axis: index_name(template).into(),
        labels: points
            .iter()
            .map(|(p, _)| match p {
                Period::Month { year, month } => {
                    format!("{} {:02}", months[(*month as usize).saturating_sub(1) % 12], year % 100)
                }
                other => other.to_string(),
            })
            .collect(),
        values: points.iter().map(|(_, r)| r.index.map(|i| i.to_f64())).collect(),
        range: range(template),
        bands: bands(template),
    })
}

/// Counts per category (a profile breakdown).
pub fn counts(title: &str, rows: &[(String, i64)]) -> ChartSpec {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    ChartSpec::Bars(Bars {
        title: title.to_string(),
        axis: "Responden".into(),
        labels: rows.iter().map(|(l, _)| l.clone()).collect(),
        values: rows.iter().map(|(_, n)| Some(*n as f64)).collect(),
        highlight: vec![false; rows.len()],
        range: (0.0, (max * 1.15).ceil()),
        bands: Vec::new(),
        horizontal: true,
    })
}

/// Units ranked by index, best first.
pub fn ranking(template: &Template, rows: &[(String, f64)]) -> ChartSpec {
    ChartSpec::Bars(Bars {
        title: format!("Peringkat unit menurut {}", index_name(template)),
        axis: index_name(template).into(),
        labels: rows.iter().map(|(l, _)| l.clone()).collect(),
        values: rows.iter().map(|(_, v)| Some(*v)).collect(),
        highlight: vec![false; rows.len()],
        range: range(template),
        bands: bands(template),
        horizontal: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::domain::ikm::{compute, ElementTally, Tally};
    use crate::domain::interval::Dispersion;

    fn sample() -> (std::sync::Arc<Template>, IndexResult) {
        let template = Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("template");
        let sums = [105, 101, 100, 116, 102, 105, 106, 105, 115];
        let tally = Tally {
            responses: 29,
            elements: sums.iter().map(|&sum| ElementTally { sum, count: 29 }).collect(),
            dispersion: Dispersion::default(),
        };
        let result = compute(&template, &tally, None);
        (template, result)
    }

    fn check(spec: &ChartSpec, name: &str, texts: &[&str]) {
        let svg = crate::charts::svg(spec).expect("svg");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{name}: a complete SVG");
        for text in texts {
            assert!(svg.contains(text), "{name}: the SVG lacks {text:?}");
        }
        let png = crate::charts::png(spec).expect("png");
        let mut reader = ::png::Decoder::new(std::io::Cursor::new(&png)).read_info().expect("png decodes");
        let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buffer).expect("frame");
        assert_eq!((info.width, info.height), spec.size());
        let dark = buffer.chunks(3).filter(|p| p.iter().all(|c| *c < 100)).count();
        assert!(dark > 200, "{name}: the PNG has drawn text and bars ({dark} dark pixels)");
        if let Ok(dir) = std::env::var("SKM_SAMPLES_DIR") {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(format!("{dir}/chart-{name}.png"), &png);
        }
    }

    #[test]
    fn every_chart_renders_as_svg_and_png_with_its_labels() {
        let (template, result) = sample();
        check(&elements(&template, &result), "elements", &["U1", "U9", "86.21", "NIK per unsur"]);
        let points: Vec<(Period, IndexResult)> =
            (1..=12).map(|m| (Period::Month { year: 2026, month: m }, result.clone())).collect();
        check(&trend(&template, &points), "trend", &["Jan 26", "Des 26", "91.48"]);
        let profile = [("Laki-laki".to_string(), 14), ("Perempuan".to_string(), 15)];
        check(&counts("Jenis kelamin", &profile), "gender", &["Jenis kelamin", "Perempuan", "15"]);
        let rank = [
            ("Dinas Kependudukan dan Pencatatan Sipil".to_string(), 91.48),
            ("Dinas Kesehatan".to_string(), 80.1),
            ("Kecamatan Bengalon".to_string(), 70.0),
        ];
        check(
            &ranking(&template, &rank),
            "ranking",
            &["Dinas Kependudukan dan Pencatatan Sipil", "Kecamatan Bengalon", "Peringkat"],
        );
        // A name too long for the label area wraps at a space: every word is drawn, none cut.
        let long = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kabupaten Kutai Timur";
        let spec = ranking(&template, &[(long.to_string(), 85.0), ("Dinas Sosial".to_string(), 80.0)]);
        let svg = crate::charts::svg(&spec).expect("svg");
        let drawn: String = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1)?.split('<').next())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(drawn.contains("Dinas Penanaman Modal"), "{drawn}");
        assert!(drawn.contains("Kutai Timur"), "the end of the name is drawn: {drawn}");
        assert!(spec.size().1 > 70 + 2 * 26, "rows grow for a wrapped label");
        check(&spec, "ranking-long", &["Dinas Sosial"]);
    }
}
