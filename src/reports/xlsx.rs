//! The regulation's "tabel pengolahan data" as an XLSX workbook: one row per respondent, one
//! column per element, then Σ, n, NRR, bobot, NRR tertimbang, IKM, NIK and mutu as real formulas
//! (with their results cached, exactly as skm computed them) so officials can audit them in Excel
//! or LibreOffice; plus sheets for the respondent profile and the saran.

use super::data::ReportData;
use super::profile::profile_table;
use crate::db::responses::for_each_export_page;
use crate::db::{DbConnection, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::period::date_id;
use crate::domain::template::Weighting;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Formula, Workbook, Worksheet, XlsxError};

#[derive(Debug, thiserror::Error)]
pub enum XlsxReportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot write the workbook: {0}")]
    Write(#[from] XlsxError),
}

pub const DATA_SHEET: &str = "Pengolahan data";
const FIRST_DATA_ROW: u32 = 5;
const FIRST_ELEMENT_COL: u16 = 3;

/// A1-style column letters.
fn column(index: u16) -> String {
    let mut n = u32::from(index) + 1;
    let mut out = String::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    out
}

fn cell(row: u32, col: u16) -> String {
    format!("{}{}", column(col), row + 1)
}

fn number(value: Option<Rounded>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

pub fn workbook(
    conn: &mut DbConnection,
    data: &ReportData,
    downloaded_by: &str,
    today: NaiveDate,
) -> Result<Vec<u8>, XlsxReportError> {
    let template = &data.index.template;
    let result = &data.index.result;
    let period = data.period();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name(DATA_SHEET)?;
    sheet.write_string_with_format(0, 0, "TABEL PENGOLAHAN DATA SURVEI KEPUASAN MASYARAKAT", &bold)?;
    sheet.write_string(1, 0, format!("{} — {}", data.unit().name, period.label_id()))?;
    sheet.write_string(2, 0, format!("Diunduh oleh {downloaded_by} pada {}", date_id(today)))?;
    let header_row = FIRST_DATA_ROW - 1;
    for (col, title) in ["No", "Tanggal", "Layanan"].iter().enumerate() {
        sheet.write_string_with_format(header_row, col as u16, *title, &bold)?;
    }
    let k = template.elements.len() as u16;
    for (i, e) in template.elements.iter().enumerate() {
        sheet.write_string_with_format(header_row, FIRST_ELEMENT_COL + i as u16, &e.code, &bold)?;
    }

    // respondents, a page at a time
    let mut row = FIRST_DATA_ROW;
    let (from, to) = (period.first_day(), period.end_exclusive());
    for_each_export_page(conn, &data.index.unit_ids, &data.index.version_ids, from, to, |page| {
        for r in page {
            sheet.write_number(row, 0, f64::from(row - FIRST_DATA_ROW + 1))?;
            sheet.write_string(row, 1, &r.survey_date)?;
            sheet.write_string(row, 2, r.service_slug.as_deref().unwrap_or(""))?;
            for (i, e) in template.elements.iter().enumerate() {
                if let Some((_, score)) = r.answers.iter().find(|(c, _)| *c == e.code) {
                    sheet.write_number(row, FIRST_ELEMENT_COL + i as u16, f64::from(*score))?;
                }
            }
            row += 1;
        }
        Ok::<_, XlsxReportError>(())
    })?;
    let last_data = row.max(FIRST_DATA_ROW + 1) - 1;

    // the computation rows
    let labels = ["Σ nilai per unsur", "n (jawaban)", "NRR", "Bobot", "NRR tertimbang"];
    let (sum_row, n_row, nrr_row, weight_row, weighted_row) = (row + 1, row + 2, row + 3, row + 4, row + 5);
    for (offset, label) in labels.iter().enumerate() {
        sheet.write_string_with_format(row + 1 + offset as u32, 2, *label, &bold)?;
    }
    let n_range = format!("{}:{}", cell(n_row, FIRST_ELEMENT_COL), cell(n_row, FIRST_ELEMENT_COL + k - 1));
    for (i, e) in result.elements.iter().enumerate() {
        let col = FIRST_ELEMENT_COL + i as u16;
        let range = format!("{}:{}", cell(FIRST_DATA_ROW, col), cell(last_data, col));
        let formula = |f: String, cached: String| Formula::new(f).set_result(cached);
        sheet.write_formula(sum_row, col, formula(format!("=SUM({range})"), e.sum.to_string()))?;
        sheet.write_formula(n_row, col, formula(format!("=COUNT({range})"), e.count.to_string()))?;
        let nrr = e.nrr.as_ref().map(|v| Rounded::half_up(v, 10));
        sheet.write_formula(
            nrr_row,
            col,
            formula(format!("=IF({n}>0,{s}/{n},\"\")", n = cell(n_row, col), s = cell(sum_row, col)), number(nrr)),
        )?;
        let weight = e.weight.as_ref().map(|v| Rounded::half_up(v, 10));
        let weight_formula = match template.weighting {
            Weighting::Exact => format!("=IF({n}>0,1/COUNTIF({n_range},\">0\"),0)", n = cell(n_row, col)),
            Weighting::Fixed => format!("={}", number(weight)),
        };
        sheet.write_formula(weight_row, col, formula(weight_formula, number(weight)))?;
        let weighted = e.weighted_nrr.as_ref().map(|v| Rounded::half_up(v, 10));
        sheet.write_formula(
            weighted_row,
            col,
            formula(
                format!(
                    "=IF({n}>0,{v}*{w},0)",
                    n = cell(n_row, col),
                    v = cell(nrr_row, col),
                    w = cell(weight_row, col)
                ),
                number(weighted),
            ),
        )?;
    }
    let (ikm_row, nik_row, grade_row) = (weighted_row + 2, weighted_row + 3, weighted_row + 4);
    let weighted_range =
        format!("{}:{}", cell(weighted_row, FIRST_ELEMENT_COL), cell(weighted_row, FIRST_ELEMENT_COL + k - 1));
    sheet.write_string_with_format(ikm_row, 2, "IKM", &bold)?;
    sheet.write_formula(
        ikm_row,
        FIRST_ELEMENT_COL,
        Formula::new(format!("=SUM({weighted_range})"))
            .set_result(number(result.ikm.as_ref().map(|v| Rounded::half_up(v, 10)))),
    )?;
    let conversion = Rounded::half_up(&template.conversion, 4);
    sheet.write_string_with_format(nik_row, 2, "NIK", &bold)?;
    sheet.write_formula(
        nik_row,
        FIRST_ELEMENT_COL,
        Formula::new(format!("=ROUND({}*{conversion},2)", cell(ikm_row, FIRST_ELEMENT_COL)))
            .set_result(number(result.index)),
    )?;
    if !template.grades.is_empty() {
        // =IF(NIK>=88.31,"A",IF(NIK>=76.61,"B",…))
        let nik = cell(nik_row, FIRST_ELEMENT_COL);
        let mut formula = String::from("\"-\"");
        for g in template.grades.iter().rev() {
            formula = format!("IF({nik}>={},\"{}\",{formula})", Rounded::half_up(&g.min, 2), g.grade);
        }
        sheet.write_string_with_format(grade_row, 2, "Mutu", &bold)?;
        sheet.write_formula(
            grade_row,
            FIRST_ELEMENT_COL,
            Formula::new(format!("={formula}"))
                .set_result(result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_default()),
        )?;
    }
    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 12)?;
    sheet.set_column_width(2, 22)?;

    profile_sheet(book.add_worksheet(), data, &bold)?;
    saran_sheet(conn, book.add_worksheet(), data, &bold)?;
    Ok(book.save_to_buffer()?)
}

fn profile_sheet(sheet: &mut Worksheet, data: &ReportData, bold: &Format) -> Result<(), XlsxReportError> {
    sheet.set_name("Profil responden")?;
    let mut row = 0;
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

fn saran_sheet(
    conn: &mut DbConnection,
    sheet: &mut Worksheet,
    data: &ReportData,
    bold: &Format,
) -> Result<(), XlsxReportError> {
    sheet.set_name("Saran")?;
    sheet.write_string_with_format(0, 0, "Tanggal", bold)?;
    sheet.write_string_with_format(0, 1, "Saran dan masukan", bold)?;
    let scope = data.index.scope();
    let (mut page, mut row) = (0, 1);
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
    #[test]
    fn column_letters() {
        assert_eq!(super::column(0), "A");
        assert_eq!(super::column(25), "Z");
        assert_eq!(super::column(26), "AA");
        assert_eq!(super::cell(4, 3), "D5");
    }
}
