//! What a reader of every chart kind must be able to rely on, with ordinary and extreme inputs:
//! no text over another text, a bar or the line; every text inside the chart; numbers written the
//! Indonesian way; grade letters beside the plot, not on it. Each chart is laid out at the widths
//! it is shown at (a phone, a desktop card, the PDF page, the e-mail), and drawn to
//! `target/chart-samples/` to look at.

use super::*;
use crate::catalog::Catalog;
use crate::domain::decimal::Rounded;
use crate::domain::ikm::{compute, ElementTally, IndexResult, Tally};
use crate::domain::interval::Dispersion;
use crate::domain::period::Period;
use crate::domain::template::Template;
use std::sync::Arc;

/// The phone, the PDF page (160 mm), the e-mail, the desktop card; and the narrowest layout.
const WIDTHS: [f32; 5] = [NARROW, 600.0, 640.0, WIDE, MIN_WIDTH];

fn template(id: &str) -> Arc<Template> {
    Catalog::load(None).and_then(|c| c.get(id)).expect("template")
}

/// A result whose elements have these sums over `n` respondents (`None`: nobody answered).
fn result(template: &Template, n: u64, sums: &[Option<u64>]) -> IndexResult {
    let tally = Tally {
        responses: n,
        elements: sums
            .iter()
            .map(|s| match s {
                Some(sum) => ElementTally { sum: *sum, count: n },
                None => ElementTally { sum: 0, count: 0 },
            })
            .collect(),
        dispersion: Dispersion::default(),
    };
    compute(template, &tally, None)
}

fn vector_a() -> (Arc<Template>, IndexResult) {
    let t = template("permenpanrb-14-2017");
    let sums = [105, 101, 100, 116, 102, 105, 106, 105, 115].map(Some);
    let r = result(&t, 29, &sums);
    (t, r)
}

fn nik(units: i128) -> Rounded {
    Rounded::from_units(units, 2)
}

/// A unit name of exactly `len` characters.
fn long_name(i: usize, len: usize) -> String {
    let base = format!("Unit Pelaksana Teknis Dinas Kependudukan dan Pencatatan Sipil Kecamatan Nomor {i} ");
    base.chars().cycle().take(len).collect::<String>().trim_end().to_string()
}

/// Lays `spec` out at every width, saves a PNG of each, and lists what a reader would find wrong.
fn problems(name: &str, spec: &ChartSpec) -> Vec<String> {
    let mut found = Vec::new();
    for width in WIDTHS {
        let scene = layout(spec, width);
        found.extend(scene.overlaps().into_iter().map(|p| format!("{name} at {width}: {p}")));
        // pictures of the phone, PDF and desktop layouts (encoding a PNG is slow unoptimised)
        if [NARROW, 600.0, WIDE].contains(&width) {
            save(&format!("{name}-{width}"), spec, width);
        }
    }
    found
}

fn save(name: &str, spec: &ChartSpec, width: f32) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/chart-samples");
    let _ = std::fs::create_dir_all(&dir);
    let png = png(spec, width, 1.0).expect("png");
    let _ = std::fs::write(dir.join(format!("{name}.png")), png);
}

fn assert_readable(name: &str, spec: &ChartSpec) {
    let found = problems(name, spec);
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}

fn texts(scene: &Scene) -> Vec<&str> {
    scene.labels.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn a_planted_overlap_is_caught() {
    let (t, r) = vector_a();
    let mut scene = layout(&elements(&t, &r), WIDE);
    assert!(scene.overlaps().is_empty(), "{:?}", scene.overlaps());
    let copy = scene.labels[3].clone();
    scene.labels.push(Label { x: copy.x + 2.0, ..copy });
    assert_eq!(scene.overlaps().len(), 1, "{:?}", scene.overlaps());
    scene.labels.pop();
    let mut outside = scene.labels[0].clone();
    outside.x = scene.width - 1.0;
    outside.align = Align::Start;
    scene.labels[0] = outside;
    assert!(scene.overlaps().iter().any(|p| p.contains("outside")), "{:?}", scene.overlaps());
    // a value written on its own bar
    let mut scene = layout(&elements(&t, &r), WIDE);
    let Some(Shape::Rect { area, .. }) = scene.data.first().cloned() else { panic!("a bar") };
    let on_bar = Label { x: (area.left + area.right) / 2.0, baseline: area.bottom - 5.0, ..scene.labels[0].clone() };
    scene.labels.push(on_bar);
    assert!(scene.overlaps().iter().any(|p| p.contains("covers a bar")), "{:?}", scene.overlaps());
}

#[test]
fn no_two_labels_of_the_element_chart_overlap() {
    let (t, r) = vector_a();
    assert_readable("elements", &elements(&t, &r));
}

#[test]
fn no_two_labels_of_the_element_chart_overlap_at_the_extremes() {
    let t = template("permenpanrb-14-2017");
    // every element at 100, every element at 25, a single respondent, an element nobody answered
    assert_readable("elements-all-100", &elements(&t, &result(&t, 1, &[Some(4); 9])));
    assert_readable("elements-all-25", &elements(&t, &result(&t, 1_000_000, &[Some(1_000_000); 9])));
    let mut gaps = [Some(3); 9];
    gaps[0] = None;
    gaps[8] = None;
    assert_readable("elements-unanswered", &elements(&t, &result(&t, 1, &gaps)));
    // fourteen elements (KepMenPAN 25/2004), a 1–6 scale without grades (SPKP)
    let legacy = template("kepmenpan-25-2004");
    let sums: Vec<Option<u64>> = (0..14).map(|i| Some(40 + i * 4)).collect();
    assert_readable("elements-14", &elements(&legacy, &result(&legacy, 20, &sums)));
    let spkp = template("spkp-zi");
    assert_readable(
        "elements-spkp",
        &elements(&spkp, &result(&spkp, 3, &[Some(18), Some(3), None, Some(10), Some(12), Some(17), Some(6), Some(9)])),
    );
    // values outside the axis are drawn at its end, still labelled
    if let ChartSpec::Bars(mut bars) = elements(&t, &result(&t, 29, &[Some(105); 9])) {
        bars.values[0] = Some(nik(0));
        bars.values[1] = Some(nik(12_000));
        assert_readable("elements-outside", &ChartSpec::Bars(bars));
    }
}

fn months(values: &[Option<i128>]) -> Vec<(Period, IndexResult)> {
    let t = template("permenpanrb-14-2017");
    let base = result(&t, 29, &[Some(105); 9]);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut r = base.clone();
            r.index = v.map(nik);
            (Period::Month { year: 2025 + (i as i32 + 5) / 12, month: ((i as u32 + 5) % 12) + 1 }, r)
        })
        .collect()
}

#[test]
fn no_value_of_the_trend_sits_on_the_line_or_another_label() {
    let t = template("permenpanrb-14-2017");
    let cases: [(&str, Vec<Option<i128>>); 6] = [
        ("trend-flat", vec![Some(9148); 12]),
        ("trend-zigzag", (0..12).map(|i| Some(if i % 2 == 0 { 10_000 } else { 2_500 })).collect()),
        ("trend-gaps", (0..12).map(|i| (i % 3 != 1).then_some(7_000 + i * 150)).collect()),
        ("trend-one-month", vec![Some(10_000)]),
        ("trend-empty", vec![None; 12]),
        ("trend-rising", (0..12).map(|i| Some(6_400 + i * 250)).collect()),
    ];
    let mut found = Vec::new();
    for (name, values) in cases {
        found.extend(problems(name, &trend(&t, &months(&values))));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_latest_value_of_the_trend_is_always_written() {
    let t = template("permenpanrb-14-2017");
    let spec = trend(&t, &months(&[Some(9148); 12]));
    for width in WIDTHS {
        let scene = layout(&spec, width);
        assert!(texts(&scene).contains(&"91,48"), "at {width}: {:?}", texts(&scene));
        assert!(texts(&scene).iter().any(|t| t.ends_with(" 26")), "the latest month is named at {width}");
    }
}

#[test]
fn no_two_labels_of_the_ranking_chart_overlap() {
    let t = template("permenpanrb-14-2017");
    // 60 units with names of 80 characters, from 0 to 100
    let many: Vec<(String, Rounded)> =
        (0..60).map(|i| (long_name(i, 80), nik(10_000 - i as i128 * 10_000 / 59))).collect();
    assert_readable("ranking-60", &ranking(&t, &many));
    let one = [("Dinas Kependudukan dan Pencatatan Sipil".to_string(), nik(10_000))];
    assert_readable("ranking-one", &ranking(&t, &one));
    let unbroken = [("Kecamatan".repeat(9), nik(0)), ("Dinas Sosial".to_string(), nik(7_661))];
    assert_readable("ranking-unbroken", &ranking(&t, &unbroken));
    assert_readable("ranking-none", &ranking(&t, &[]));
}

#[test]
fn a_long_unit_name_is_drawn_in_full() {
    let t = template("permenpanrb-14-2017");
    let name = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kabupaten Kutai Timur";
    let spec = ranking(&t, &[(name.to_string(), nik(8_500)), ("Dinas Sosial".to_string(), nik(8_000))]);
    for width in WIDTHS {
        let scene = layout(&spec, width);
        let drawn = texts(&scene).join(" ");
        assert!(drawn.contains(name), "at {width}: {drawn}");
    }
    let word = "Kecamatan".repeat(9);
    let scene = layout(&ranking(&t, &[(word.clone(), nik(8_000))]), NARROW);
    assert!(texts(&scene).concat().contains(&word), "a word too long for a line is broken, not cut");
}

#[test]
fn no_two_labels_of_a_profile_chart_overlap() {
    let one = [("Laki-laki".to_string(), 1), ("Perempuan".to_string(), 0)];
    assert_readable("counts-one", &counts("Jenis kelamin", &one));
    let million =
        [("Laki-laki".to_string(), 1_000_000), ("Perempuan".to_string(), 999_999), ("Tidak diisi".to_string(), 1)];
    assert_readable("counts-million", &counts("Jenis kelamin", &million));
    let jobs: Vec<(String, i64)> =
        ["PNS", "TNI", "POLRI", "Swasta", "Wirausaha", "Pelajar/Mahasiswa", "Lainnya", "Tidak diisi"]
            .iter()
            .enumerate()
            .map(|(i, l)| (l.to_string(), (i as i64 * 37) % 101))
            .collect();
    assert_readable("counts-jobs", &counts("Pekerjaan", &jobs));
    let long = [(long_name(1, 80), 24_000), ("x9 (kode tidak dikenal)".to_string(), 3)];
    assert_readable("counts-long", &counts(&long_name(2, 80), &long));
    assert_readable("counts-zero", &counts("Usia", &[("15–24".to_string(), 0), ("65+".to_string(), 0)]));
}

#[test]
fn counts_are_ticked_at_whole_numbers_and_grouped_by_thousands() {
    let one = counts("Jenis kelamin", &[("Laki-laki".to_string(), 1), ("Perempuan".to_string(), 0)]);
    let many = counts("Jenis kelamin", &[("Laki-laki".to_string(), 24_000), ("Perempuan".to_string(), 1_000_000)]);
    for width in WIDTHS {
        let scene = layout(&one, width);
        let numbers: Vec<&str> =
            texts(&scene).into_iter().filter(|t| t.starts_with(|c: char| c.is_ascii_digit())).collect();
        assert!(numbers.iter().all(|t| t.chars().all(|c| c.is_ascii_digit())), "at {width}: {numbers:?}");
        assert!(numbers.contains(&"1") && numbers.contains(&"0"), "at {width}: {numbers:?}");
        let scene = layout(&many, width);
        assert!(texts(&scene).contains(&"24.000") && texts(&scene).contains(&"1.000.000"), "{:?}", texts(&scene));
    }
}

#[test]
fn index_values_are_written_with_a_decimal_comma() {
    let (t, r) = vector_a();
    for width in WIDTHS {
        let scene = layout(&elements(&t, &r), width);
        assert!(texts(&scene).contains(&"86,21"), "{:?}", texts(&scene));
        assert!(!texts(&scene).iter().any(|t| t.contains('.')), "no decimal point: {:?}", texts(&scene));
        assert!(texts(&scene).contains(&"100"), "ticks without decimals: {:?}", texts(&scene));
    }
}

#[test]
fn grade_letters_sit_beside_the_plot_never_over_a_bar() {
    let (t, r) = vector_a();
    let points = months(&[Some(9148); 12]);
    let ranked = [("Dinas Sosial".to_string(), nik(9_000))];
    for spec in [elements(&t, &r), trend(&t, &points), ranking(&t, &ranked)] {
        for width in WIDTHS {
            let scene = layout(&spec, width);
            let letters: Vec<&Label> =
                scene.labels.iter().filter(|l| ["A", "B", "C", "D"].contains(&l.text.as_str())).collect();
            assert_eq!(letters.len(), 4, "{} at {width}", spec.title());
            for letter in letters {
                assert!(!letter.area().overlaps(&scene.plot), "{} at {width}: {letter:?} is on the plot", spec.title());
            }
        }
    }
}

#[test]
fn a_page_chart_scales_to_its_container() {
    let (t, r) = vector_a();
    let svg = svg(&elements(&t, &r)).expect("svg");
    let opening: Vec<&str> = svg.split("<svg ").skip(1).map(|s| s.split('>').next().unwrap_or_default()).collect();
    assert_eq!(opening.len(), 2, "a wide and a narrow layout");
    for tag in opening {
        assert!(tag.contains("viewBox=\"0 0 ") && tag.contains("width=\"100%\""), "{tag}");
        assert!(!tag.contains("height="), "no fixed height: {tag}");
    }
    assert!(svg.contains("class=\"chart-wide\"") && svg.contains("class=\"chart-narrow\""));
    assert!(svg.contains("<title>NIK per unsur</title>"));
    assert!(!svg.contains("style="), "no inline style (the pages' CSP)");
}

#[test]
fn a_png_for_mail_is_drawn_at_twice_its_layout_width() {
    let (t, r) = vector_a();
    let png = png(&elements(&t, &r), 640.0, 2.0).expect("png");
    let decoder = ::png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().expect("png decodes");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("frame");
    assert_eq!(info.width, 1280);
    let dark = buffer.chunks(3).filter(|p| p.iter().all(|c| *c < 60)).count();
    assert!(dark > 10_000, "bars and text are drawn ({dark} dark pixels)");
}
