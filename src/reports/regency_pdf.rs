//! The parts of the official report only a roll-up has (a unit with its sub-units selected, the
//! regency report): the indices labelled as SPEC §3 names them, the population by the roll-up
//! rule, the per-unit table and ranking chart, the follow-up actions grouped by unit, and an
//! appendix page per unit with its own element table. `official_pdf` calls these in place.

use super::data::ReportData;
use super::document::{Document, CONTENT_WIDTH};
use super::sections::{chart, element_table, id, or_dash, status};
use crate::aggregator::{Member, RollUp, UnitIndex};
use crate::charts;
use crate::db::rtl::RtlAction;
use crate::domain::decimal::Rounded;
use crate::domain::period::date_id;
use crate::domain::population::RollUpPopulation;
use crate::domain::ranking::Adequacy;
use chrono::NaiveDate;

/// SPEC §3's label of the pooled index.
pub const POOLED: &str = "gabungan (semua responden)";
/// SPEC §3's label of the unweighted mean of the units' indices.
pub fn mean_label(index: &UnitIndex) -> String {
    format!("Rata-rata {} unit (tanpa bobot)", index.template.index_name())
}

/// The cover's lines under the index: what it pools, and the mean of units beside it.
pub fn cover(b: &mut Document, index: &UnitIndex, roll_up: &RollUp) {
    let name = index.template.index_name();
    let answering = roll_up.members.iter().filter(|m| m.result.responses > 0).count();
    b.text(&format!("{name} {POOLED}, {answering} unit"), 11.0, false, true);
    b.text(&format!("{}: {}", mean_label(index), or_dash(roll_up.mean_of_units)), 11.0, false, true);
}

/// BAB II's sentence on the population and sample (SPEC §3): the members' sum when every
/// answering member recorded one, else the coverage and no adequacy verdict.
pub fn sample_sentence(index: &UnitIndex, roll_up: &RollUp) -> String {
    let responses = index.result.responses;
    // the units whose populations make the sum
    let units = roll_up.members.iter().filter(|m| m.population.is_some()).count();
    match (roll_up.population, index.required_sample) {
        (Some(RollUpPopulation::Known(p)), Some(s)) => format!(
            "Populasi penerima layanan pada periode ini, jumlah populasi {units} unit, {p} orang. Menurut tabel Krejcie dan Morgan, sampel minimal gabungan adalah {s} responden; diperoleh {responses} responden ({}). Kecukupan sampel setiap unit ada pada tabel hasil per unit (BAB III C).",
            if responses >= s { "memenuhi sampel minimal".to_string() } else { format!("kurang {} responden", s - responses) }
        ),
        (Some(RollUpPopulation::Coverage { recorded, of }), _) => format!(
            "Populasi tercatat untuk {recorded} dari {of} unit yang punya responden, sehingga populasi gabungan dan sampel minimal gabungan (Krejcie–Morgan) tidak dihitung: jumlahnya akan terlalu kecil. Diperoleh {responses} responden. Kecukupan sampel setiap unit yang populasinya tercatat ada pada tabel hasil per unit (BAB III C)."
        ),
        _ => format!(
            "Populasi periode ini belum dicatat oleh unit mana pun sehingga sampel minimal (Krejcie–Morgan) belum dapat dihitung. Diperoleh {responses} responden."
        ),
    }
}

/// A member's required sample, with the badge when it falls short (SPEC §3: never silently).
fn required(member: &Member) -> String {
    match Adequacy::of(member.result.responses, member.required_sample) {
        Adequacy::Short { required, .. } => format!("{required}\nsampel kurang"),
        Adequacy::Adequate => member.required_sample.map_or_else(|| "–".into(), |s| s.to_string()),
        Adequacy::Unknown => "–".into(),
    }
}

/// BAB III C: every member's own figures, ranked, and the ranking chart.
pub fn per_unit(b: &mut Document, index: &UnitIndex, roll_up: &RollUp) -> Result<(), String> {
    let name = index.template.index_name();
    b.section("C. Hasil per unit");
    b.paragraph(&format!(
        "Setiap unit dengan {name}-nya sendiri, diurutkan dari yang tertinggi. Sampel minimal menurut populasi unit; \"sampel kurang\" bila respondennya belum mencukupi. Rincian per unsur setiap unit ada pada lampiran."
    ));
    let rows: Vec<Vec<String>> = roll_up
        .members
        .iter()
        .map(|m| {
            vec![
                m.rank.map_or_else(|| "–".into(), |n| n.to_string()),
                m.unit.name.clone(),
                m.result.responses.to_string(),
                required(m),
                or_dash(m.result.index),
                m.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
                if m.result.lowest.is_empty() { "–".into() } else { m.result.lowest.join(", ") },
                if m.rtl.is_empty() { "–".into() } else { format!("{} / {}", m.rtl_done(), m.rtl_counted()) },
            ]
        })
        .collect();
    b.table(
        &["No", "Unit", "Responden", "Sampel minimal", name, "Mutu", "Unsur terendah", "RTL selesai"],
        &[8.0, 50.0, 21.0, 26.0, 14.0, 11.0, 22.0, 18.0],
        &rows,
    );
    let summary = vec![
        vec![format!("{name} {POOLED}"), or_dash(index.result.index)],
        vec![mean_label(index), or_dash(roll_up.mean_of_units)],
    ];
    b.table(&["Indeks gabungan", "Nilai"], &[110.0, 60.0], &summary);
    let ranked: Vec<(String, Rounded)> =
        roll_up.members.iter().filter_map(|m| m.result.index.map(|v| (m.unit.name.clone(), v))).collect();
    if !ranked.is_empty() {
        chart(b, &charts::ranking(&index.template, &ranked), CONTENT_WIDTH)?;
    }
    Ok(())
}

fn action_rows(actions: &[&RtlAction]) -> Vec<Vec<String>> {
    actions
        .iter()
        .map(|a| {
            let due =
                NaiveDate::parse_from_str(&a.due_date, "%Y-%m-%d").map(date_id).unwrap_or_else(|_| a.due_date.clone());
            vec![a.element_code.clone(), a.action.clone(), a.owner.clone(), due, status(&a.status).into()]
        })
        .collect()
}

/// BAB V: the members' follow-up actions (SPEC §3), one table per unit under its name.
pub fn follow_up(b: &mut Document, data: &ReportData) {
    let groups = data.rtl_by_unit();
    if groups.is_empty() {
        b.paragraph("Belum ada rencana tindak lanjut yang dicatat oleh unit mana pun.");
        return;
    }
    for (unit, actions) in groups {
        let done = actions.iter().filter(|a| a.status == "done").count();
        // keep the unit's name with at least the table's header and first row
        b.ensure(28.0);
        b.text(&format!("{} ({done} dari {} selesai)", unit.name, actions.len()), 10.0, true, false);
        b.space(1.0);
        b.table(
            &["Unsur", "Tindakan", "Penanggung jawab", "Batas waktu", "Status"],
            &[16.0, 70.0, 34.0, 28.0, 22.0],
            &action_rows(&actions),
        );
    }
}

/// The appendix: a page per unit with its own element table and index.
pub fn appendix(b: &mut Document, index: &UnitIndex, roll_up: &RollUp) {
    let name = index.template.index_name();
    for (i, m) in roll_up.members.iter().enumerate() {
        if i == 0 {
            b.chapter("LAMPIRAN A: NILAI PER UNSUR SETIAP UNIT");
        } else {
            b.page_break();
        }
        b.heading(&format!("A.{} {}", i + 1, m.unit.name));
        if m.result.responses == 0 {
            b.paragraph("Belum ada responden pada periode ini.");
            continue;
        }
        let sample = match (m.population, m.required_sample) {
            (Some(p), Some(s)) if m.result.responses >= s => {
                format!("populasi {p}, sampel minimal {s}: memenuhi")
            }
            (Some(p), Some(s)) => format!("populasi {p}, sampel minimal {s}: sampel kurang {}", s - m.result.responses),
            _ => "populasi belum dicatat".into(),
        };
        let rank = m.rank.map_or_else(|| "–".into(), |n| n.to_string());
        b.paragraph(&format!("Peringkat {rank} · {} responden ({sample}).", m.result.responses));
        element_table(b, &index.template, &m.result);
        let mut summary = vec![
            vec!["IKM (jumlah NRR tertimbang)".to_string(), or_dash(m.result.ikm_rounded())],
            vec![name.to_string(), or_dash(m.result.index)],
        ];
        if let Some(g) = &m.result.grade {
            summary.push(vec!["Mutu pelayanan".into(), format!("{} ({})", g.grade, g.label.id)]);
        }
        if let Some(iv) = &m.result.interval {
            let warning = if iv.crosses_grade_line { " (melewati batas mutu)" } else { "" };
            summary
                .push(vec!["Selang kepercayaan 95 %".into(), format!("{} – {}{warning}", id(iv.lower), id(iv.upper))]);
        }
        b.table(&["Hasil", "Nilai"], &[110.0, 60.0], &summary);
    }
}
