//! The evidence pack's own files (`evidence` writes them): the publication log as a PDF, naming
//! each proof image's file in the pack, and the follow-up (RTL) tracker as a PDF and an XLSX with
//! % done per unit and in total (SPEC §6a: done ÷ (all − dropped)).

use super::pdf::PdfBuilder;
use super::sections::status;
use crate::domain::follow_up::Progress;
use crate::domain::period::{date_id, Period};
use crate::follow_up::{TrackedAction, Tracker};
use crate::publications::LoggedMedium;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Formula, Workbook, XlsxError};
use std::collections::HashMap;

/// `text` with its words longer than `max` characters cut into lines of at most `max`, after a
/// `/`, `-`, `.` or `_` where one is near: the PDF's tables wrap at spaces only, and a link or a
/// file name has none.
pub fn breakable(text: &str, max: usize) -> String {
    let mut out = Vec::new();
    for word in text.split(' ') {
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        while chars.len() - start > max {
            let window = &chars[start..start + max];
            let cut = window.iter().rposition(|c| matches!(c, '/' | '-' | '.' | '_')).filter(|&i| i >= max / 2);
            let end = start + cut.map_or(max, |i| i + 1);
            out.push(chars[start..end].iter().collect::<String>() + "\n");
            start = end;
        }
        out.push(chars[start..].iter().collect::<String>() + " ");
    }
    out.concat().trim_end().replace(" \n", "\n")
}

/// "9 dari 12 selesai (75 %)", the dropped ones named apart (SPEC §6a: done ÷ (all − dropped)).
pub fn progress_sentence(progress: &Progress) -> String {
    let dropped =
        if progress.dropped > 0 { format!("; {} dibatalkan, tidak dihitung", progress.dropped) } else { String::new() };
    match progress.percent() {
        Some(percent) => format!("{} dari {} selesai ({percent} %){dropped}", progress.done, progress.counted()),
        None => format!("belum ada tindak lanjut yang dihitung{dropped}"),
    }
}

fn unit_name(names: &HashMap<i32, String>, id: i32) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("unit {id}"))
}

/// `image/png` → `png`: a stored image's extension.
pub fn extension_of(content_type: &str) -> &str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    }
}

/// The pack's file name of each entry's proof image (`None` for a link only).
pub fn proof_names(media: &[LoggedMedium]) -> Vec<Option<String>> {
    media
        .iter()
        .map(|m| {
            m.image.as_ref().map(|image| {
                format!(
                    "2-publikasi/bukti-{}-{}-{}.{}",
                    m.entry.id,
                    m.medium.as_str().replace('_', "-"),
                    m.entry.published_on,
                    extension_of(&image.content_type)
                )
            })
        })
        .collect()
}

/// The log: per published result, each medium with its date, link, note and proof file.
pub fn media_log_pdf(
    media: &[LoggedMedium],
    proofs: &[Option<String>],
    names: &HashMap<i32, String>,
    period: &Period,
    media_count: usize,
) -> Result<Vec<u8>, String> {
    let title = format!("Log publikasi hasil SKM {}", period.label_id());
    let mut b = PdfBuilder::new(&title, &title);
    b.text(&title, 15.0, true, true);
    b.space(3.0);
    if media.is_empty() {
        b.paragraph("Belum ada media publikasi yang tercatat untuk periode ini.");
        return b.finish();
    }
    b.paragraph(&format!(
        "Hasil SKM dipublikasikan di {media_count} media (dihitung per jenis media: dua unggahan di media sosial adalah satu media), {} entri. Gambar bukti ada di folder 2-publikasi dengan nama berkas pada kolom terakhir.",
        media.len()
    ));
    let mut results: Vec<(i32, &str)> = media.iter().map(|m| (m.entry.unit_id, m.entry.period.as_str())).collect();
    results.dedup();
    for (unit_id, published) in results {
        let entries: Vec<(&LoggedMedium, &Option<String>)> = media
            .iter()
            .zip(proofs)
            .filter(|(m, _)| m.entry.unit_id == unit_id && m.entry.period == published)
            .collect();
        let label = published.parse::<Period>().map(|p| p.label_id()).unwrap_or_else(|_| published.to_string());
        b.heading(&format!("{} — {label}", unit_name(names, unit_id)));
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|(m, proof)| {
                let date = NaiveDate::parse_from_str(&m.entry.published_on, "%Y-%m-%d")
                    .map(date_id)
                    .unwrap_or_else(|_| m.entry.published_on.clone());
                vec![
                    m.medium.label_id().to_string(),
                    date,
                    m.entry.url.as_deref().map_or_else(|| "–".into(), |u| breakable(u, 28)),
                    m.entry.note.clone().unwrap_or_else(|| "–".into()),
                    proof.as_deref().map_or_else(|| "–".into(), |p| breakable(p, 24)),
                ]
            })
            .collect();
        b.table(&["Media", "Tanggal", "Tautan", "Keterangan", "Berkas bukti"], &[28.0, 24.0, 48.0, 30.0, 40.0], &rows);
    }
    b.finish()
}

/// What shows an action done, or why it was dropped.
fn evidence_text(a: &TrackedAction) -> String {
    if let Some(e) = &a.evidence {
        let parts: Vec<&str> =
            [e.note.as_deref(), e.url.as_deref(), e.image.then_some("foto di 3-tindak-lanjut/bukti")]
                .into_iter()
                .flatten()
                .collect();
        return parts.join("\n");
    }
    a.reason.clone().map(|r| format!("Alasan: {r}")).unwrap_or_default()
}

fn due_text(a: &TrackedAction) -> String {
    date_id(a.action.due())
}

/// The tracker as a PDF: the rule, % done per unit and in total, then every action.
pub fn tracker_pdf(
    tracker: &Tracker,
    names: &HashMap<i32, String>,
    period: &Period,
    today: NaiveDate,
) -> Result<Vec<u8>, String> {
    let title = format!("Tindak lanjut hasil SKM {}", period.label_id());
    let mut b = PdfBuilder::new(&title, &title);
    b.text(&title, 15.0, true, true);
    b.text(&format!("Keadaan pada {}", date_id(today)), 9.0, false, true);
    b.space(3.0);
    b.paragraph(&format!(
        "Tindak lanjut SKM: {}. Persentase selesai = selesai ÷ (semua − dibatalkan), dibulatkan setengah ke atas: tindakan yang dibatalkan (dengan alasannya) tidak lagi direncanakan, sehingga tidak dihitung selesai dan tidak menurunkan persentase. Terlambat = lewat tenggat dan belum selesai atau dibatalkan.",
        progress_sentence(&tracker.progress)
    ));
    b.heading("Persentase selesai per unit");
    let by_unit = tracker.by_unit(today);
    let mut rows: Vec<Vec<String>> = by_unit.iter().map(|(unit, p)| progress_row(unit_name(names, *unit), p)).collect();
    rows.sort();
    rows.push(progress_row("Jumlah".to_string(), &tracker.progress));
    b.table(
        &["Unit", "Semua", "Selesai", "Dibatalkan", "Terlambat", "% selesai"],
        &[70.0, 20.0, 20.0, 20.0, 20.0, 20.0],
        &rows,
    );
    b.heading("Daftar tindak lanjut");
    let rows: Vec<Vec<String>> = tracker
        .actions
        .iter()
        .map(|a| {
            vec![
                unit_name(names, a.action.unit_id),
                a.action.element_code.clone(),
                a.action.action.clone(),
                a.action.owner.clone(),
                due_text(a),
                match a.days_late {
                    Some(days) => format!("{}\nterlambat {days} hari", status(a.status.as_str())),
                    None => status(a.status.as_str()).to_string(),
                },
                breakable(&evidence_text(a), 24),
            ]
        })
        .collect();
    b.table(
        &["Unit", "Unsur", "Tindakan", "Penanggung jawab", "Tenggat", "Status", "Bukti / alasan"],
        &[27.0, 11.0, 36.0, 21.0, 19.0, 20.0, 36.0],
        &rows,
    );
    b.finish()
}

fn percent_text(p: &Progress) -> String {
    p.percent().map_or_else(|| "–".into(), |v| format!("{v} %"))
}

fn progress_row(name: String, p: &Progress) -> Vec<String> {
    vec![name, p.all.to_string(), p.done.to_string(), p.dropped.to_string(), p.late.to_string(), percent_text(p)]
}

/// The tracker as a workbook: every action on one sheet, % done per unit and in total (formulas
/// with skm's results cached) on another.
pub fn tracker_xlsx(
    tracker: &Tracker,
    names: &HashMap<i32, String>,
    period: &Period,
    today: NaiveDate,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("Persen selesai")?;
    sheet.write_string_with_format(0, 0, format!("Tindak lanjut hasil SKM {}", period.label_id()), &bold)?;
    sheet.write_string(1, 0, "% selesai = selesai ÷ (semua − dibatalkan), dibulatkan setengah ke atas")?;
    sheet.write_string(2, 0, format!("Keadaan pada {}", date_id(today)))?;
    let header = ["Unit", "Semua", "Selesai", "Dibatalkan", "Terlambat", "% selesai"];
    for (col, text) in header.iter().enumerate() {
        sheet.write_string_with_format(4, col as u16, *text, &bold)?;
    }
    let by_unit = tracker.by_unit(today);
    let mut units: Vec<(String, Progress)> = by_unit.iter().map(|(id, p)| (unit_name(names, *id), *p)).collect();
    units.sort_by(|a, b| a.0.cmp(&b.0));
    let first = 5u32;
    let mut row = first;
    let percent = |sheet: &mut rust_xlsxwriter::Worksheet, row: u32, p: &Progress| -> Result<(), XlsxError> {
        let r = row + 1;
        let formula = Formula::new(format!("=IF(B{r}-D{r}>0,ROUND(C{r}/(B{r}-D{r})*100,0),\"–\")"))
            .set_result(p.percent().map_or_else(|| "–".to_string(), |v| v.to_string()));
        sheet.write_formula(row, 5, formula)?;
        Ok(())
    };
    for (name, p) in &units {
        sheet.write_string(row, 0, name)?;
        for (col, value) in [p.all, p.done, p.dropped, p.late].into_iter().enumerate() {
            sheet.write_number(row, col as u16 + 1, value as f64)?;
        }
        percent(sheet, row, p)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "Jumlah", &bold)?;
    let p = &tracker.progress;
    for (col, value) in [p.all, p.done, p.dropped, p.late].into_iter().enumerate() {
        let letter = ["B", "C", "D", "E"][col];
        let formula = if row > first {
            Formula::new(format!("=SUM({letter}{}:{letter}{row})", first + 1))
        } else {
            Formula::new("=0")
        };
        sheet.write_formula(row, col as u16 + 1, formula.set_result(value.to_string()))?;
    }
    percent(sheet, row, p)?;
    sheet.set_column_width(0, 45)?;

    let sheet = book.add_worksheet().set_name("Daftar tindak lanjut")?;
    let header = [
        "Unit",
        "Periode",
        "Unsur",
        "Tindakan",
        "Penanggung jawab",
        "Tenggat",
        "Status",
        "Terlambat (hari)",
        "Bukti / alasan",
    ];
    for (col, text) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *text, &bold)?;
    }
    for (i, a) in tracker.actions.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, unit_name(names, a.action.unit_id))?;
        sheet.write_string(row, 1, &a.action.period)?;
        sheet.write_string(row, 2, &a.action.element_code)?;
        sheet.write_string(row, 3, &a.action.action)?;
        sheet.write_string(row, 4, &a.action.owner)?;
        sheet.write_string(row, 5, &a.action.due_date)?;
        sheet.write_string(row, 6, status(a.status.as_str()))?;
        if let Some(days) = a.days_late {
            sheet.write_number(row, 7, days as f64)?;
        }
        sheet.write_string(row, 8, evidence_text(a))?;
    }
    for (col, width) in [(0, 35), (3, 50), (4, 22), (8, 50)] {
        sheet.set_column_width(col, width)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::breakable;

    #[test]
    fn long_links_break_after_a_slash_and_short_words_stay_whole() {
        assert_eq!(breakable("Papan terpasang (foto).", 10), "Papan terpasang (foto).");
        assert_eq!(
            breakable("lihat https://dinkes.kutaitimurkab.go.id/izin", 16),
            "lihat https://dinkes.\nkutaitimurkab.\ngo.id/izin"
        );
        assert_eq!(breakable("abcdefghij", 4), "abcd\nefgh\nij");
    }
}
