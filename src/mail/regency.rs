//! The regency admin's monthly summary (issue 15, point 5): every unit of the regency in one
//! table ordered by what needs attention (the biggest NIK drops, then the units short of their
//! sample, then the rest), the pooled NIK beside the mean of units (SPEC §3), the share of
//! follow-up actions done (SPEC §6a) and the results still unpublished. The figures are the
//! aggregator's roll-up; this module orders and words them.

use super::compose::{self, change_words, escape, id, Envelope, LateAction};
use super::MailError;
use crate::aggregator::{self, Selection, UnitIndex};
use crate::catalog::TemplateRegistry;
use crate::db::units::Unit;
use crate::db::{publications, units, DbConnection, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::follow_up::Progress;
use crate::domain::ikm::IndexResult;
use crate::domain::population::RollUpPopulation;
use crate::domain::ranking::Adequacy;
use lettre::Message;
use std::collections::HashMap;

/// One unit of the regency in the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    /// the NIK as published (rounded)
    pub nik: Option<Rounded>,
    /// the published NIK minus the previous month's; `None` without both
    pub change: Option<Rounded>,
    pub responses: u64,
    pub required_sample: Option<u64>,
    /// follow-up actions not done whose due date has passed
    pub late_rtl: usize,
}

impl Row {
    fn short(&self) -> bool {
        matches!(Adequacy::of(self.responses, self.required_sample), Adequacy::Short { .. })
    }

    fn fall(&self) -> Option<Rounded> {
        self.change.filter(|c| c.as_ratio() < num_rational::BigRational::from_integer(0.into()))
    }
}

/// What the order of the table is, for the line above it.
pub const ORDER_NOTE: &str =
    "Urutan: penurunan NIK terbesar dulu, lalu unit yang sampelnya kurang, lalu unit lainnya menurut NIK.";

/// The biggest drops first, then the units short of their sample, then the rest. The sort is
/// stable, so within the last two groups the rows keep the order they came in (the
/// aggregator's ranking by NIK).
pub fn order(rows: &mut [Row]) {
    rows.sort_by_key(|row| match row.fall() {
        Some(fall) => (0, Some(fall)),
        None if row.short() => (1, None),
        None => (2, None),
    });
}

/// A result of the period that has no publication.
#[derive(Debug, Clone)]
pub struct Unpublished {
    pub name: String,
    /// the regency's pooled result rather than one unit's
    pub regency: bool,
}

/// A regency's figures for one month.
pub struct Figures {
    /// the regency with its sub-units
    pub index: UnitIndex,
    /// ordered by `order`
    pub rows: Vec<Row>,
    /// every unit's follow-up actions (SPEC §6a: % done = done ÷ (all − dropped))
    pub rtl: Progress,
    /// the late ones, named, by due date
    pub late: Vec<LateAction>,
    pub unpublished: Vec<Unpublished>,
}

/// The summary one admin's message shows for one regency.
pub struct RegencySummary {
    pub figures: Figures,
    pub chart_png: Vec<u8>,
    pub pdf: Option<Vec<u8>>,
}

/// The regency's figures for `period`; `today` decides which actions are late.
pub fn figures(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    regency: &Unit,
    // the month's roll-up of `regency`
    index: UnitIndex,
    today: chrono::NaiveDate,
) -> Result<Figures, DbError> {
    let period = index.selection.period;
    let selection = |period| Selection { period, with_subunits: true, service_id: None };
    // The previous month's roll-up gives every member's previous index in one pass, instead of
    // one index per member.
    let before = aggregator::unit_index(conn, registry, regency, &selection(period.previous()))?;
    let previous: HashMap<i32, Rounded> = match &before.roll_up {
        Some(roll_up) => roll_up.members.iter().filter_map(|m| Some((m.unit.id, m.result.index?))).collect(),
        None => before.result.index.map(|nik| (regency.id, nik)).into_iter().collect(),
    };
    // A unit's actions, even the regency's own when it has no responses (and so is no member).
    let (rtl, late_actions) = super::follow_ups(conn, &index, today)?;
    let late = |unit_id: i32| late_actions.iter().filter(|a| a.unit_id == unit_id).count();
    // Without sub-units the regency is its own only row.
    let members: Vec<(&Unit, &IndexResult, Option<u64>)> = match &index.roll_up {
        Some(roll_up) => roll_up.members.iter().map(|m| (&m.unit, &m.result, m.required_sample)).collect(),
        None => vec![(&index.unit, &index.result, index.required_sample)],
    };
    let mut rows: Vec<Row> = members
        .iter()
        .map(|(unit, result, required_sample)| Row {
            name: unit.name.clone(),
            nik: result.index,
            change: result
                .index
                .zip(previous.get(&unit.id))
                .map(|(now, before)| Rounded::half_up(&(now.as_ratio() - before.as_ratio()), 2)),
            responses: result.responses,
            required_sample: *required_sample,
            late_rtl: late(unit.id),
        })
        .collect();
    order(&mut rows);

    // A unit's month is public when it was published itself, or within a roll-up above it (the
    // regency's, or its OPD's).
    let key = period.to_string();
    let mut public = std::collections::HashSet::new();
    for publication in publications::all(conn)?.into_iter().filter(|p| p.period == key) {
        if publication.with_subunits {
            public.extend(units::subtree_ids(conn, publication.unit_id)?);
        }
        public.insert(publication.unit_id);
    }
    let is_published = |unit_id: i32| public.contains(&unit_id);
    let mut unpublished = Vec::new();
    if index.result.responses > 0 && !is_published(regency.id) {
        unpublished.push(Unpublished { name: regency.name.clone(), regency: true });
    }
    for (unit, result, _) in &members {
        if unit.id != regency.id && result.responses > 0 && !is_published(unit.id) {
            unpublished.push(Unpublished { name: unit.name.clone(), regency: false });
        }
    }
    Ok(Figures { rtl, late: late_actions, rows, unpublished, index })
}

/// "+1,25", "-0,50", "0,00"; "–" without a comparison.
fn signed(change: Option<Rounded>) -> String {
    change.map_or_else(|| "–".into(), |c| c.format_signed_with(','))
}

/// "415 / 378", "120 / 306 (sampel kurang)", "96 (populasi belum dicatat)".
fn sample(row: &Row) -> String {
    match row.required_sample {
        Some(required) if row.short() => format!("{} / {required} (sampel kurang)", row.responses),
        Some(required) => format!("{} / {required}", row.responses),
        None => format!("{} (populasi belum dicatat)", row.responses),
    }
}

/// "RTL selesai: 5 dari 12 (42 %)", the percentage rounded half up, of the actions not dropped
/// (SPEC §6a); the dropped ones are named as left out.
fn rtl_line(p: &Progress) -> String {
    let dropped = match p.dropped {
        0 => String::new(),
        n => format!(" {n} RTL dibatalkan tidak dihitung."),
    };
    match p.percent() {
        None if p.all == 0 => "RTL selesai: belum ada RTL.".into(),
        None => format!("RTL selesai: tidak ada RTL yang dihitung.{dropped}"),
        Some(percent) => format!("RTL selesai: {} dari {} ({percent} %).{dropped}", p.done, p.counted()),
    }
}

/// The lines above the table: pooled NIK, mean of units, respondents, RTL done.
fn facts(f: &Figures) -> Vec<String> {
    let r = &f.index.result;
    let nik = r.index.map(id).unwrap_or_else(|| "–".into());
    let grade = r.grade.as_ref().map(|g| format!(", mutu {} ({})", g.grade, g.label.id)).unwrap_or_default();
    let mean = f.index.roll_up.as_ref().and_then(|u| u.mean_of_units).map(id).unwrap_or_else(|| "–".into());
    let responses = match (f.index.required_sample, f.index.roll_up.as_ref().and_then(|u| u.population)) {
        (Some(required), _) => format!(
            "{} responden dari sampel minimal {required}{}",
            r.responses,
            if r.responses < required { " (kurang)" } else { "" }
        ),
        (None, Some(RollUpPopulation::Coverage { recorded, of })) => {
            format!("{} responden (populasi {recorded} dari {of} unit tercatat)", r.responses)
        }
        (None, _) => format!("{} responden (populasi belum dicatat)", r.responses),
    };
    vec![
        format!("NIK gabungan (semua responden): {nik}{grade}; {}.", change_words(f.index.change)),
        format!("Rata-rata NIK unit (tanpa bobot): {mean}."),
        format!("Jumlah responden: {responses}."),
        rtl_line(&f.rtl),
    ]
}

fn unpublished_item(period_label: &str, u: &Unpublished) -> String {
    match u.regency {
        true => format!("{period_label} (kabupaten) — {}", u.name),
        false => format!("{period_label} — {}", u.name),
    }
}

const HEADINGS: [&str; 5] = ["Unit", "NIK", "Perubahan", "Responden / sampel", "RTL terlambat"];

fn cells(row: &Row) -> [String; 5] {
    [
        row.name.clone(),
        row.nik.map(id).unwrap_or_else(|| "–".into()),
        signed(row.change),
        sample(row),
        row.late_rtl.to_string(),
    ]
}

/// The table in plain text, columns padded (names left, figures right).
fn text_table(rows: &[Row]) -> String {
    let all: Vec<[String; 5]> = std::iter::once(HEADINGS.map(str::to_string)).chain(rows.iter().map(cells)).collect();
    let widths: Vec<usize> = (0..5).map(|c| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &all {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, width))| match c {
                0 | 3 => format!("{cell:<width$}"),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

const TD: &str = "padding:4px 8px;border-bottom:1px solid #ddd";

fn html_table(rows: &[Row]) -> String {
    let mut html = String::from(
        "<table style=\"border-collapse:collapse;font-size:14px;margin:8px 0 16px\"><thead><tr style=\"background:#eef2f7\">",
    );
    for (c, heading) in HEADINGS.iter().enumerate() {
        let align = if matches!(c, 0 | 3) { "left" } else { "right" };
        html.push_str(&format!("<th style=\"{TD};text-align:{align}\">{heading}</th>"));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        let [name, nik, change, sampled, late] = cells(row);
        // red for what went wrong (a drop, late actions), amber for a sample still short
        let (red, amber) = (";color:#b00020;font-weight:bold", ";color:#8a5300");
        let mark = |on: bool, color: &'static str| if on { color } else { "" };
        html.push_str(&format!(
            "<tr><td style=\"{TD}\">{}</td><td style=\"{TD};text-align:right\">{nik}</td><td style=\"{TD};text-align:right{}\">{change}</td><td style=\"{TD}{}\">{}</td><td style=\"{TD};text-align:right{}\">{late}</td></tr>",
            escape(&name),
            mark(row.fall().is_some(), red),
            mark(row.short(), amber),
            escape(&sampled),
            mark(row.late_rtl > 0, red),
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// The message for one admin: each regency's summary, the charts inline, the reports attached.
pub fn message(envelope: &Envelope, regencies: &[&RegencySummary]) -> Result<Message, MailError> {
    let subject = match regencies {
        [one] => format!(
            "Ringkasan SKM {}: {} — NIK gabungan {}",
            envelope.period_label,
            one.figures.index.unit.name,
            one.figures.index.result.index.map(id).unwrap_or_else(|| "–".into())
        ),
        _ => format!("Ringkasan SKM {} untuk {} kabupaten", envelope.period_label, regencies.len()),
    };
    let (mut text, mut html) = compose::opening(envelope);
    for (i, summary) in regencies.iter().enumerate() {
        let f = &summary.figures;
        let title = &f.index.unit.name;
        text.push_str(&format!("\n== {title} ==\n"));
        html.push_str(&format!("<h2 style=\"font-size:18px\">{}</h2>", escape(title)));
        for fact in facts(f) {
            text.push_str(&format!("{fact}\n"));
            html.push_str(&format!("<p style=\"margin:4px 0\">{}</p>", escape(&fact)));
        }
        text.push_str(&format!("\nUnit ({}):\n{ORDER_NOTE}\n", f.rows.len()));
        html.push_str(&format!("<h3 style=\"font-size:16px;margin-bottom:4px\">Unit ({})</h3>", f.rows.len()));
        html.push_str(&format!("<p style=\"margin:0;color:#444;font-size:13px\">{ORDER_NOTE}</p>"));
        text.push_str(&text_table(&f.rows));
        html.push_str(&html_table(&f.rows));
        text.push('\n');
        compose::late_list(&f.late, f.index.unit.id, &mut text, &mut html);
        if f.unpublished.is_empty() {
            let line = format!("Semua hasil {} sudah dipublikasikan.", envelope.period_label);
            text.push_str(&format!("\n{line}\n"));
            html.push_str(&format!("<p>{}</p>", escape(&line)));
        } else {
            text.push_str("\nBelum dipublikasikan:\n");
            html.push_str("<p style=\"margin-bottom:4px\">Belum dipublikasikan:</p><ul style=\"margin-top:0\">");
            for u in &f.unpublished {
                let item = unpublished_item(envelope.period_label, u);
                text.push_str(&format!("  - {item}\n"));
                html.push_str(&format!("<li>{}</li>", escape(&item)));
            }
            html.push_str("</ul>");
        }
        html.push_str(&compose::chart_img(&envelope.ids, i, title));
    }
    compose::closing(envelope, &mut text, &mut html);
    let charts: Vec<&[u8]> = regencies.iter().map(|r| r.chart_png.as_slice()).collect();
    let pdfs: Vec<(String, &[u8])> = regencies
        .iter()
        .filter_map(|r| r.pdf.as_deref().map(|pdf| (compose::pdf_name(&r.figures.index), pdf)))
        .collect();
    compose::assemble(envelope, subject, text, html, &charts, &pdfs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decimal::parse_decimal;

    fn row(name: &str, change: Option<&str>, responses: u64, required_sample: Option<u64>) -> Row {
        Row {
            name: name.into(),
            nik: None,
            change: change.and_then(parse_decimal).map(|c| Rounded::half_up(&c, 2)),
            responses,
            required_sample,
            late_rtl: 0,
        }
    }

    #[test]
    fn the_biggest_drops_come_first_then_short_samples_then_the_rest_in_their_order() {
        let mut rows = vec![
            row("naik", Some("1.25"), 400, Some(378)),
            row("kurang", Some("0.50"), 100, Some(378)),
            row("turun sedikit", Some("-0.50"), 400, Some(378)),
            row("tanpa populasi", None, 40, None),
            row("turun banyak", Some("-3.10"), 20, Some(378)),
            row("sama", Some("0"), 400, Some(378)),
            row("kurang juga", None, 5, Some(10)),
        ];
        order(&mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["turun banyak", "turun sedikit", "kurang", "kurang juga", "naik", "tanpa populasi", "sama"]);
    }

    #[test]
    fn figures_are_written_the_indonesian_way() {
        let r = |c: &str| parse_decimal(c).map(|c| Rounded::half_up(&c, 2));
        assert_eq!(
            (signed(r("1.25")), signed(r("-0.5")), signed(r("0")), signed(None)),
            ("+1,25".into(), "-0,50".into(), "0,00".into(), "–".into())
        );
        assert_eq!(sample(&row("a", None, 415, Some(378))), "415 / 378");
        assert_eq!(sample(&row("a", None, 120, Some(306))), "120 / 306 (sampel kurang)");
        assert_eq!(sample(&row("a", None, 96, None)), "96 (populasi belum dicatat)");
        let p = |all, done, dropped| Progress { all, done, dropped, late: 0 };
        assert_eq!(rtl_line(&p(12, 5, 0)), "RTL selesai: 5 dari 12 (42 %).");
        assert_eq!(rtl_line(&p(8, 1, 0)), "RTL selesai: 1 dari 8 (13 %).", "12,5 rounds half up");
        assert_eq!(rtl_line(&p(0, 0, 0)), "RTL selesai: belum ada RTL.");
        assert_eq!(rtl_line(&p(5, 2, 1)), "RTL selesai: 2 dari 4 (50 %). 1 RTL dibatalkan tidak dihitung.");
        assert_eq!(rtl_line(&p(1, 0, 1)), "RTL selesai: tidak ada RTL yang dihitung. 1 RTL dibatalkan tidak dihitung.");
    }
}
