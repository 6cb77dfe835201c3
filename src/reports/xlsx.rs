//! The official report as an XLSX workbook, for officials to audit in Excel or LibreOffice: the
//! regulation's "tabel pengolahan data" (`xlsx_sheet`) with its formulas, the respondent profile
//! and the saran. For a roll-up (the regency report), one data sheet per unit with responses and
//! a summary sheet first whose figures are formulas over the unit sheets: each element's Σ and n
//! are the units' summed, the rest computed from them as on a unit sheet, and the mean of units
//! beside the pooled index (SPEC §3). Every formula's result is cached as skm computed it.

use super::data::ReportData;
use super::profile::profile_table;
use super::xlsx_sheet::{
    cell, cell_of, computation, data_sheet, grade_formula, grade_text, number, DataSheet, Rows, FIRST_ELEMENT_COL,
};
use crate::aggregator::{Member, RollUp};
use crate::db::units::Unit;
use crate::db::DbConnection;
use crate::domain::decimal::Rounded;
use crate::domain::ikm::ElementResult;
use crate::domain::period::date_id;
use crate::domain::template::Template;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Formula, Workbook, Worksheet, XlsxError};

pub use super::xlsx_sheet::XlsxReportError;

/// A unit's data sheet (a report without sub-units).
pub const DATA_SHEET: &str = "Pengolahan data";
/// A roll-up's summary sheet.
pub const SUMMARY_SHEET: &str = "Rekap gabungan";
const PROFILE_SHEET: &str = "Profil responden";
const SARAN_SHEET: &str = "Saran";
const RATE_SHEET: &str = "Tingkat respons";

pub fn workbook(
    conn: &mut DbConnection,
    data: &ReportData,
    downloaded_by: &str,
    today: NaiveDate,
) -> Result<Vec<u8>, XlsxReportError> {
    let index = &data.index;
    let period = data.period();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let downloaded = format!("Diunduh oleh {downloaded_by} pada {}", date_id(today));
    match &index.roll_up {
        None => {
            let sheet = book.add_worksheet().set_name(DATA_SHEET)?;
            let unit = DataSheet {
                template: &index.template,
                result: &index.result,
                unit_ids: &index.unit_ids,
                version_ids: &index.version_ids,
                period,
                heading: [format!("{} — {}", data.unit().name, period.label_id()), downloaded],
            };
            data_sheet(conn, sheet, &unit, &bold)?;
        }
        Some(roll_up) => roll_up_sheets(conn, &mut book, data, roll_up, &downloaded, &bold)?,
    }
    super::instruments::xlsx_sheets(&mut book, data, &bold)?;
    profile_sheet(book.add_worksheet(), data, &bold)?;
    if !data.response_rate.is_empty() {
        response_rate_sheet(book.add_worksheet(), data, &bold)?;
    }
    saran_sheet(conn, book.add_worksheet(), data, &bold)?;
    Ok(book.save_to_buffer()?)
}

/// "Tingkat respons": the invitations issued and answered in the period, all together, per
/// service and per counter (a roll-up: per unit); the rate as a formula.
fn response_rate_sheet(sheet: &mut Worksheet, data: &ReportData, bold: &Format) -> Result<(), XlsxError> {
    use crate::response_rate::Line;
    sheet.set_name(RATE_SHEET)?;
    let rate = &data.response_rate;
    sheet.write_string_with_format(0, 0, "Tingkat respons undangan survei", bold)?;
    sheet.write_string(
        1,
        0,
        "Undangan dihitung pada periode terbitnya; yang kedaluwarsa tanpa jawaban dihitung tidak dijawab. \
         Tingkat respons = dijawab ÷ diterbitkan × 100.",
    )?;
    sheet.set_column_width(0, 40)?;
    let mut row = 3;
    let mut table = |sheet: &mut Worksheet, title: &str, lines: &[Line], unnamed: &str| -> Result<(), XlsxError> {
        for (col, text) in [title, "Diterbitkan", "Dijawab", "Tingkat respons (%)"].iter().enumerate() {
            sheet.write_string_with_format(row, col as u16, *text, bold)?;
        }
        row += 1;
        for l in lines {
            sheet.write_string(row, 0, l.name.as_deref().unwrap_or(unnamed))?;
            sheet.write_number(row, 1, l.rate.issued as f64)?;
            sheet.write_number(row, 2, l.rate.answered as f64)?;
            let excel = row + 1;
            let shown = l.rate.percent().map_or(0.0, |p| p.to_f64());
            sheet.write_formula(
                row,
                3,
                Formula::new(format!("=ROUND(C{excel}/B{excel}*100,1)")).set_result(shown.to_string()),
            )?;
            row += 1;
        }
        row += 1;
        Ok(())
    };
    let all = [Line { name: Some("Semua undangan".into()), rate: rate.total }];
    table(sheet, "Jumlah", &all, "")?;
    if rate.per_unit.len() > 1 {
        table(sheet, "Unit", &rate.per_unit, "")?;
    } else {
        table(sheet, "Layanan", &rate.per_service, "Dipilih responden")?;
        table(sheet, "Loket", &rate.per_counter, "Tanpa loket")?;
    }
    Ok(())
}

/// One unit's sheet as the summary refers to it.
struct UnitSheet<'a> {
    member: &'a Member,
    name: String,
    rows: Rows,
}

/// The summary sheet, then a data sheet per unit with responses (in ranking order).
fn roll_up_sheets(
    conn: &mut DbConnection,
    book: &mut Workbook,
    data: &ReportData,
    roll_up: &RollUp,
    downloaded: &str,
    bold: &Format,
) -> Result<(), XlsxReportError> {
    let index = &data.index;
    let period = data.period();
    let answering: Vec<&Member> = roll_up.members.iter().filter(|m| m.result.responses > 0).collect();
    let names =
        sheet_names(answering.iter().map(|m| &m.unit), &[SUMMARY_SHEET, PROFILE_SHEET, RATE_SHEET, SARAN_SHEET]);
    let mut units = Vec::with_capacity(answering.len());
    let mut sheets = Vec::with_capacity(answering.len());
    for (member, name) in answering.into_iter().zip(names) {
        let mut sheet = Worksheet::new();
        sheet.set_name(&name)?;
        let unit = DataSheet {
            template: &index.template,
            result: &member.result,
            unit_ids: &[member.unit.id],
            version_ids: &index.version_ids,
            period,
            heading: [format!("{} — {}", member.unit.name, period.label_id()), downloaded.to_string()],
        };
        let rows = data_sheet(conn, &mut sheet, &unit, bold)?;
        units.push(UnitSheet { member, name, rows });
        sheets.push(sheet);
    }
    let mut summary = Worksheet::new();
    summary.set_name(SUMMARY_SHEET)?;
    // a result left empty is the formula's "" (rust_xlsxwriter would cache 0)
    summary.set_formula_result_default("");
    summary_sheet(&mut summary, data, roll_up, &units, downloaded, bold)?;
    book.push_worksheet(summary);
    for sheet in sheets {
        book.push_worksheet(sheet);
    }
    Ok(())
}

/// One of the summary's per-unit blocks: a figure of each element from each unit sheet.
struct Block {
    title: &'static str,
    /// the unit sheet's row holding the figure
    row: fn(&Rows) -> u32,
    /// the figure as skm computed it (the cached result)
    figure: fn(&ElementResult) -> u64,
}

const SUMS: Block = Block { title: "Σ nilai per unsur, per unit", row: |r| r.sum, figure: |e| e.sum };
const COUNTS: Block = Block { title: "n (jawaban) per unsur, per unit", row: |r| r.n, figure: |e| e.count };

/// A block of one row per unit from `title_row` on: No, unit, responses, then the block's figure
/// per element taken from the unit's sheet. Returns the first and last unit rows.
fn per_unit_block(
    sheet: &mut Worksheet,
    template: &Template,
    units: &[UnitSheet],
    title_row: u32,
    block: &Block,
    bold: &Format,
) -> Result<(u32, u32), XlsxError> {
    sheet.write_string_with_format(title_row, 0, block.title, bold)?;
    let header = title_row + 1;
    for (col, text) in ["No", "Unit", "Responden"].iter().enumerate() {
        sheet.write_string_with_format(header, col as u16, *text, bold)?;
    }
    for (i, e) in template.elements.iter().enumerate() {
        sheet.write_string_with_format(header, FIRST_ELEMENT_COL + i as u16, &e.code, bold)?;
    }
    let first = header + 1;
    for (i, unit) in units.iter().enumerate() {
        let row = first + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, &unit.member.unit.name)?;
        let (from, to) = unit.rows.data;
        sheet.write_formula(
            row,
            2,
            Formula::new(format!("=COUNT({}:{})", cell_of(&unit.name, from, 0), cell(to, 0)))
                .set_result(unit.member.result.responses.to_string()),
        )?;
        for (j, e) in unit.member.result.elements.iter().enumerate() {
            let col = FIRST_ELEMENT_COL + j as u16;
            sheet.write_formula(
                row,
                col,
                Formula::new(format!("={}", cell_of(&unit.name, (block.row)(&unit.rows), col)))
                    .set_result((block.figure)(e).to_string()),
            )?;
        }
    }
    Ok((first, first + units.len().max(1) as u32 - 1))
}

fn summary_sheet(
    sheet: &mut Worksheet,
    data: &ReportData,
    roll_up: &RollUp,
    units: &[UnitSheet],
    downloaded: &str,
    bold: &Format,
) -> Result<(), XlsxError> {
    let index = &data.index;
    let template = &index.template;
    sheet.write_string_with_format(0, 0, "REKAPITULASI SURVEI KEPUASAN MASYARAKAT (GABUNGAN)", bold)?;
    sheet.write_string(1, 0, format!("{} — {} ({} unit)", data.unit().name, data.period().label_id(), units.len()))?;
    sheet.write_string(2, 0, downloaded)?;
    sheet.write_string(
        3,
        0,
        "Σ nilai dan n setiap unsur dijumlahkan dari lembar tiap unit (semua responden), lalu dihitung seperti tabel pengolahan data.",
    )?;
    let sums = per_unit_block(sheet, template, units, 5, &SUMS, bold)?;
    let counts = per_unit_block(sheet, template, units, sums.1 + 2, &COUNTS, bold)?;
    let column_sum =
        |(first, last): (u32, u32)| move |col: u16| format!("=SUM({}:{})", cell(first, col), cell(last, col));
    let pooled_label = format!("{} gabungan (semua responden)", data.index.template.index_name());
    let pooled = computation(
        sheet,
        template,
        &index.result,
        counts.1 + 1,
        &column_sum(sums),
        &column_sum(counts),
        &pooled_label,
        bold,
    )?;

    // each unit's own index, and their unweighted mean beside the pooled one
    let title = pooled.grade.unwrap_or(pooled.nik) + 2;
    sheet.write_string_with_format(title, 0, "Indeks per unit", bold)?;
    let header = title + 1;
    for (col, text) in ["No", "Unit", "Responden", "IKM", data.index.template.index_name(), "Mutu"].iter().enumerate() {
        sheet.write_string_with_format(header, col as u16, *text, bold)?;
    }
    let first = header + 1;
    let (ikm_col, nik_col, grade_col) = (FIRST_ELEMENT_COL, FIRST_ELEMENT_COL + 1, FIRST_ELEMENT_COL + 2);
    for (i, unit) in units.iter().enumerate() {
        let row = first + i as u32;
        let result = &unit.member.result;
        let refer = |r: u32, cached: String| {
            Formula::new(format!("={}", cell_of(&unit.name, r, FIRST_ELEMENT_COL))).set_result(cached)
        };
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, &unit.member.unit.name)?;
        sheet.write_formula(
            row,
            2,
            Formula::new(format!("={}", cell(sums.0 + i as u32, 2))).set_result(result.responses.to_string()),
        )?;
        sheet.write_formula(
            row,
            ikm_col,
            refer(unit.rows.ikm, number(result.ikm.as_ref().map(|v| Rounded::half_up(v, 10)))),
        )?;
        sheet.write_formula(row, nik_col, refer(unit.rows.nik, number(result.index)))?;
        if let Some(grade_row) = unit.rows.grade {
            sheet.write_formula(row, grade_col, refer(grade_row, grade_text(result.grade.as_ref())))?;
        }
    }
    let last = first + units.len().max(1) as u32 - 1;
    let mean_row = last + 1;
    let conversion = Rounded::half_up(&template.conversion, 4);
    sheet.write_string_with_format(
        mean_row,
        1,
        format!("Rata-rata {} unit (tanpa bobot)", data.index.template.index_name()),
        bold,
    )?;
    // the mean of the exact indices, rounded once (SPEC §3): of the units' IKM, not their rounded NIK
    sheet.write_formula(
        mean_row,
        nik_col,
        Formula::new(format!(
            "=IF(COUNT({ikm}),ROUND(AVERAGE({ikm})*{conversion},2),\"\")",
            ikm = format!("{}:{}", cell(first, ikm_col), cell(last, ikm_col))
        ))
        .set_result(number(roll_up.mean_of_units)),
    )?;
    if !template.grades.is_empty() {
        sheet.write_formula(
            mean_row,
            grade_col,
            Formula::new(format!("={}", grade_formula(template, &cell(mean_row, nik_col))))
                .set_result(grade_text(roll_up.mean_of_units.and_then(|m| template.grade_of(&m)))),
        )?;
    }
    let silent: Vec<&str> =
        roll_up.members.iter().filter(|m| m.result.responses == 0).map(|m| m.unit.name.as_str()).collect();
    if !silent.is_empty() {
        sheet.write_string(mean_row + 2, 0, format!("Unit tanpa responden pada periode ini: {}", silent.join(", ")))?;
    }
    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 40)?;
    sheet.set_column_width(2, 30)?;
    Ok(())
}

/// Characters a worksheet name may not hold.
const FORBIDDEN: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];
/// The longest worksheet name, in UTF-16 units as Excel counts.
const MAX_NAME: usize = 31;

/// `text` cut to at most `max` UTF-16 units, without a leading or trailing apostrophe or space
/// (Excel refuses a name that starts or ends with an apostrophe).
fn fit(text: &str, max: usize) -> String {
    let mut used = 0;
    let cut: String = text
        .chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= max
        })
        .collect();
    cut.trim_matches(|c: char| c == '\'' || c.is_whitespace()).to_string()
}

/// A valid, distinct worksheet name for each unit: its name when it fits, else its slug, else
/// its name cut; a number added when two would be the same (Excel compares without case).
fn sheet_names<'a>(units: impl Iterator<Item = &'a Unit>, reserved: &[&str]) -> Vec<String> {
    let clean = |text: &str| -> String {
        let text: String =
            text.chars().map(|c| if FORBIDDEN.contains(&c) || c.is_control() { ' ' } else { c }).collect();
        fit(&text.split_whitespace().collect::<Vec<_>>().join(" "), usize::MAX)
    };
    let mut taken: Vec<String> = reserved.iter().map(|r| r.to_lowercase()).collect();
    taken.push("history".into());
    units
        .map(|unit| {
            let name = clean(&unit.name);
            let slug = clean(&unit.slug);
            let base = if !name.is_empty() && name.encode_utf16().count() <= MAX_NAME {
                name
            } else if !slug.is_empty() && slug.encode_utf16().count() <= MAX_NAME {
                slug
            } else {
                fit(&name, MAX_NAME)
            };
            let mut candidate = if base.is_empty() { format!("Unit {}", unit.id) } else { base.clone() };
            let mut n = 2;
            while taken.contains(&candidate.to_lowercase()) {
                let suffix = format!(" ({n})");
                candidate = format!("{}{suffix}", fit(&base, MAX_NAME - suffix.len()));
                n += 1;
            }
            taken.push(candidate.to_lowercase());
            candidate
        })
        .collect()
}

fn profile_sheet(sheet: &mut Worksheet, data: &ReportData, bold: &Format) -> Result<(), XlsxReportError> {
    sheet.set_name(PROFILE_SHEET)?;
    let mut row = archived_row(sheet, data, bold, 5, 80.0)?;
    let profile = profile_table(&data.index.template, &data.profile);
    for section in profile.sections() {
        sheet.write_string_with_format(row, 0, section.title, bold)?;
        sheet.write_string_with_format(row, 1, "Responden", bold)?;
        row += 1;
        for (label, n) in &section.rows {
            sheet.write_string(row, 0, label)?;
            sheet.write_number(row, 1, *n as f64)?;
            row += 1;
        }
        row += 1;
    }
    sheet.set_column_width(0, 24)?;
    Ok(())
}

/// The sheets read from raw responses (profile, saran) open with what the dashboard and the PDF
/// say when months of the period are archived, instead of counts that look complete; returns
/// the first free row.
/// The note spans the sheet's first columns up to `last_col`, wrapped in a row of `height`
/// points, so that it prints whole instead of running off the page.
fn archived_row(
    sheet: &mut Worksheet,
    data: &ReportData,
    bold: &Format,
    last_col: u16,
    height: f64,
) -> Result<u32, XlsxError> {
    let t = crate::i18n::Tr::new(crate::domain::template::Lang::Id);
    match super::data::archived_note(&t, &data.archived) {
        Some(note) => {
            let wrapped = bold.clone().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
            sheet.merge_range(0, 0, 0, last_col, &note, &wrapped)?;
            sheet.set_row_height(0, height)?;
            Ok(2)
        }
        None => Ok(0),
    }
}

fn saran_sheet(
    conn: &mut DbConnection,
    sheet: &mut Worksheet,
    data: &ReportData,
    bold: &Format,
) -> Result<(), XlsxReportError> {
    sheet.set_name(SARAN_SHEET)?;
    let top = archived_row(sheet, data, bold, 1, 50.0)?;
    sheet.write_string_with_format(top, 0, "Tanggal", bold)?;
    sheet.write_string_with_format(top, 1, "Saran dan masukan", bold)?;
    let scope = data.index.scope();
    let (mut page, mut row) = (0, top + 1);
    loop {
        let (rows, _) = crate::db::aggregate::saran_page(conn, &scope, None, page, 1000)?;
        for (date, text) in &rows {
            sheet.write_string(row, 0, date)?;
            sheet.write_string(row, 1, text)?;
            row += 1;
        }
        if rows.len() < 1000 || row > 100_000 {
            break;
        }
        page += 1;
    }
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 90)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_distinct() {
        let units = [
            Unit::example(1, "dinsos", "Dinas Sosial"),
            Unit::example(2, "disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil"),
            Unit::example(3, "dinsos-2", "dinas sosial"),
            Unit::example(4, "x", "Bagian [Umum]: Surat/Arsip*?"),
            Unit::example(5, "rekap", "Rekap gabungan"),
            Unit::example(
                6,
                "a-very-long-slug-that-does-not-fit-either",
                "'Kantor Kecamatan Sangatta Utara Kabupaten Kutai Timur'",
            ),
        ];
        let names = sheet_names(units.iter(), &[SUMMARY_SHEET, PROFILE_SHEET, SARAN_SHEET]);
        assert_eq!(names[0], "Dinas Sosial");
        assert_eq!(names[1], "disdukcapil", "too long a name: the slug");
        assert_eq!(names[2], "dinas sosial (2)", "the same but for case");
        assert_eq!(names[3], "Bagian Umum Surat Arsip");
        assert_eq!(names[4], "Rekap gabungan (2)", "the summary's name is taken");
        assert_eq!(names[5], "Kantor Kecamatan Sangatta Utara");
        for name in &names {
            assert!(name.encode_utf16().count() <= MAX_NAME, "{name}");
            assert!(!name.contains(FORBIDDEN) && !name.starts_with('\'') && !name.ends_with('\''), "{name}");
        }
    }
}
