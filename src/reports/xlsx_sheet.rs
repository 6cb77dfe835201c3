//! The regulation's "tabel pengolahan data" for one set of respondents, on one worksheet: one
//! row per respondent, one column per element, then Σ, n, NRR, bobot, NRR tertimbang, IKM, NIK
//! and mutu as real formulas with their results cached exactly as skm computed them. `xlsx`
//! writes one for a unit and one per unit of a roll-up, and the roll-up's summary reuses the
//! computation rows over the unit sheets' sums.

use crate::db::responses::for_each_export_page;
use crate::db::{DbConnection, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::ikm::IndexResult;
use crate::domain::period::Period;
use crate::domain::template::{Grade, Template, Weighting};
use rust_xlsxwriter::{Format, Formula, Worksheet, XlsxError};

#[derive(Debug, thiserror::Error)]
pub enum XlsxReportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot write the workbook: {0}")]
    Write(#[from] XlsxError),
}

pub const FIRST_DATA_ROW: u32 = 5;
pub const FIRST_ELEMENT_COL: u16 = 3;

/// A1-style column letters.
pub fn column(index: u16) -> String {
    let mut n = u32::from(index) + 1;
    let mut out = String::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    out
}

pub fn cell(row: u32, col: u16) -> String {
    format!("{}{}", column(col), row + 1)
}

/// A cell of another sheet, its name quoted as formulas need (`'Dinas Sosial'!D12`).
pub fn cell_of(sheet: &str, row: u32, col: u16) -> String {
    format!("'{}'!{}", sheet.replace('\'', "''"), cell(row, col))
}

pub fn number(value: Option<Rounded>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Where a sheet's figures are, for formulas on other sheets.
#[derive(Debug, Clone, Copy)]
pub struct Rows {
    /// the respondents' rows (first, last); the "No" column counts them
    pub data: (u32, u32),
    pub sum: u32,
    pub n: u32,
    pub ikm: u32,
    pub nik: u32,
    pub grade: Option<u32>,
}

/// What one data sheet holds: whose respondents, the heading lines, and skm's result for them.
pub struct DataSheet<'a> {
    pub template: &'a Template,
    pub result: &'a IndexResult,
    pub unit_ids: &'a [i32],
    pub version_ids: &'a [i32],
    pub period: Period,
    /// the lines above the table (unit and period, who downloaded it)
    pub heading: [String; 2],
}

/// Writes the respondents and the computation rows; the NIK row is labelled `NIK`.
pub fn data_sheet(
    conn: &mut DbConnection,
    sheet: &mut Worksheet,
    data: &DataSheet,
    bold: &Format,
) -> Result<Rows, XlsxReportError> {
    let template = data.template;
    // a result left empty is the formula's "" (rust_xlsxwriter would cache 0)
    sheet.set_formula_result_default("");
    sheet.write_string_with_format(0, 0, "TABEL PENGOLAHAN DATA SURVEI KEPUASAN MASYARAKAT", bold)?;
    sheet.write_string(1, 0, &data.heading[0])?;
    sheet.write_string(2, 0, &data.heading[1])?;
    let header_row = FIRST_DATA_ROW - 1;
    for (col, title) in ["No", "Tanggal", "Layanan"].iter().enumerate() {
        sheet.write_string_with_format(header_row, col as u16, *title, bold)?;
    }
    for (i, e) in template.elements.iter().enumerate() {
        sheet.write_string_with_format(header_row, FIRST_ELEMENT_COL + i as u16, &e.code, bold)?;
    }

    // respondents, a page at a time
    let mut row = FIRST_DATA_ROW;
    let (from, to) = (data.period.first_day(), data.period.end_exclusive());
    for_each_export_page(conn, data.unit_ids, data.version_ids, from, to, |page| {
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
    let range = |col: u16| format!("{}:{}", cell(FIRST_DATA_ROW, col), cell(last_data, col));
    let mut rows = computation(
        sheet,
        template,
        data.result,
        row,
        &|col| format!("=SUM({})", range(col)),
        &|col| format!("=COUNT({})", range(col)),
        "NIK",
        bold,
    )?;
    rows.data = (FIRST_DATA_ROW, last_data);
    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 12)?;
    sheet.set_column_width(2, 22)?;
    Ok(rows)
}

/// The computation rows below `after`: each element's Σ and n (from the given formulas), NRR,
/// weight, weighted NRR, then IKM, the index (labelled `nik_label`) and the grade, cached with
/// `result`'s figures. Labels in column C, figures from column D.
#[allow(clippy::too_many_arguments)]
pub fn computation(
    sheet: &mut Worksheet,
    template: &Template,
    result: &IndexResult,
    after: u32,
    sum_formula: &dyn Fn(u16) -> String,
    n_formula: &dyn Fn(u16) -> String,
    nik_label: &str,
    bold: &Format,
) -> Result<Rows, XlsxError> {
    let k = template.elements.len() as u16;
    let labels = ["Σ nilai per unsur", "n (jawaban)", "NRR", "Bobot", "NRR tertimbang"];
    let (sum_row, n_row, nrr_row, weight_row, weighted_row) = (after + 1, after + 2, after + 3, after + 4, after + 5);
    for (offset, label) in labels.iter().enumerate() {
        sheet.write_string_with_format(after + 1 + offset as u32, 2, *label, bold)?;
    }
    let n_range = format!("{}:{}", cell(n_row, FIRST_ELEMENT_COL), cell(n_row, FIRST_ELEMENT_COL + k - 1));
    for (i, e) in result.elements.iter().enumerate() {
        let col = FIRST_ELEMENT_COL + i as u16;
        let formula = |f: String, cached: String| Formula::new(f).set_result(cached);
        sheet.write_formula(sum_row, col, formula(sum_formula(col), e.sum.to_string()))?;
        sheet.write_formula(n_row, col, formula(n_formula(col), e.count.to_string()))?;
        let nrr = e.nrr.as_ref().map(|v| Rounded::half_up(v, 10));
        sheet.write_formula(
            nrr_row,
            col,
            formula(format!("=IF({n}>0,{s}/{n},\"\")", n = cell(n_row, col), s = cell(sum_row, col)), number(nrr)),
        )?;
        let weight = e.weight.as_ref().map(|v| Rounded::half_up(v, 10));
        // an element nobody answered drops out of the weights (SPEC §3): "" as skm leaves it empty
        let fixed = template.elements.get(i).and_then(|t| t.weight.as_ref()).map(|v| Rounded::half_up(v, 10));
        let fixed = fixed.map_or_else(|| "\"\"".to_string(), |v| v.to_string());
        let weight_formula = match template.weighting {
            Weighting::Exact => format!("=IF({n}>0,1/COUNTIF({n_range},\">0\"),\"\")", n = cell(n_row, col)),
            Weighting::Fixed => format!("=IF({n}>0,{fixed},\"\")", n = cell(n_row, col)),
        };
        sheet.write_formula(weight_row, col, formula(weight_formula, number(weight)))?;
        let weighted = e.weighted_nrr.as_ref().map(|v| Rounded::half_up(v, 10));
        sheet.write_formula(
            weighted_row,
            col,
            formula(
                format!(
                    "=IF({n}>0,{v}*{w},\"\")",
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
    sheet.write_string_with_format(ikm_row, 2, "IKM", bold)?;
    sheet.write_formula(
        ikm_row,
        FIRST_ELEMENT_COL,
        Formula::new(format!("=IF(COUNTIF({n_range},\">0\")>0,SUM({weighted_range}),\"\")"))
            .set_result(number(result.ikm.as_ref().map(|v| Rounded::half_up(v, 10)))),
    )?;
    let conversion = Rounded::half_up(&template.conversion, 4);
    sheet.write_string_with_format(nik_row, 2, nik_label, bold)?;
    sheet.write_formula(
        nik_row,
        FIRST_ELEMENT_COL,
        Formula::new(format!(
            "=IF(ISNUMBER({ikm}),ROUND({ikm}*{conversion},2),\"\")",
            ikm = cell(ikm_row, FIRST_ELEMENT_COL)
        ))
        .set_result(number(result.index)),
    )?;
    let mut grade = None;
    if !template.grades.is_empty() {
        sheet.write_string_with_format(grade_row, 2, "Mutu", bold)?;
        sheet.write_formula(
            grade_row,
            FIRST_ELEMENT_COL,
            Formula::new(format!("={}", grade_formula(template, &cell(nik_row, FIRST_ELEMENT_COL))))
                .set_result(grade_text(result.grade.as_ref())),
        )?;
        grade = Some(grade_row);
    }
    Ok(Rows { data: (0, 0), sum: sum_row, n: n_row, ikm: ikm_row, nik: nik_row, grade })
}

/// The grade of the index in `nik` by the template's table: `IF(NIK>=88.31,"A",IF(…,"B",…))`,
/// "-" below the table or without an index (a spreadsheet ranks text above every number, so an
/// empty index would otherwise read as the best grade).
pub fn grade_formula(template: &Template, nik: &str) -> String {
    let mut formula = String::from(NO_GRADE_FORMULA);
    for g in template.grades.iter().rev() {
        formula = format!("IF({nik}>={},\"{}\",{formula})", Rounded::half_up(&g.min, 2), g.grade);
    }
    format!("IF(ISNUMBER({nik}),{formula},{NO_GRADE_FORMULA})")
}

const NO_GRADE_FORMULA: &str = "\"-\"";

/// The cached result of `grade_formula`: the grade's letter, or "-".
pub fn grade_text(grade: Option<&Grade>) -> String {
    grade.map_or_else(|| "-".to_string(), |g| g.grade.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn column_letters() {
        assert_eq!(super::column(0), "A");
        assert_eq!(super::column(25), "Z");
        assert_eq!(super::column(26), "AA");
        assert_eq!(super::cell(4, 3), "D5");
        assert_eq!(super::cell_of("Bu Ani's", 4, 3), "'Bu Ani''s'!D5");
    }
}
