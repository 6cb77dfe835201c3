//! The report's parts for instruments attached to a unit's form (Zona Integritas: SPKP, SPAK):
//! a section per instrument in BAB III (PDF, DOCX), its questionnaire in the appendix, and a sheet
//! per instrument in the XLSX. Each is computed on its own answers (`aggregator::instruments`):
//! the mean per element and overall and its percentage of the scale maximum, with n; none of it
//! is part of the SKM index.

use super::data::ReportData;
use super::document::Document;
use super::sections::{id, or_dash};
use crate::aggregator::InstrumentIndex;
use crate::domain::decimal::Rounded;
use crate::domain::ikm::percent_of_max;
use rust_xlsxwriter::{Format, Workbook};

fn mean(value: Option<&num_rational::BigRational>) -> String {
    value.map(|v| id(Rounded::half_up(v, 2))).unwrap_or_else(|| "–".into())
}

fn element_percent(instrument: &InstrumentIndex, nrr: Option<&num_rational::BigRational>) -> String {
    nrr.map(|n| id(percent_of_max(&instrument.template, n))).unwrap_or_else(|| "–".into())
}

/// One section per instrument, lettered on from `first` (the sections BAB III already has).
pub fn pdf_sections(b: &mut Document, data: &ReportData, first: char) {
    for (i, instrument) in data.instruments.iter().enumerate() {
        let (t, r) = (&instrument.template, &instrument.result);
        let letter = char::from_u32(u32::from(first) + i as u32).unwrap_or(first);
        // the heading, its paragraph and the element table start on one page
        b.ensure(110.0);
        b.section(&format!("{letter}. {}", t.title.id));
        b.paragraph(&format!(
            "Instrumen ini diisi pada formulir yang sama dengan SKM dan dihitung hanya dari jawabannya sendiri ({} pernyataan, skala {}–{}; {}). \
             Nilainya adalah rata-rata skor dan persentasenya terhadap nilai maksimum {}; nilai ini tidak termasuk dalam IKM.",
            t.elements.len(),
            t.scale_min,
            t.scale_max,
            t.legal_basis,
            t.scale_max
        ));
        let rows: Vec<Vec<String>> = r
            .elements
            .iter()
            .map(|e| {
                let name = t.element(&e.code).map(|x| x.name.id.clone()).unwrap_or_default();
                vec![
                    format!("{} {name}", e.code),
                    e.count.to_string(),
                    mean(e.nrr.as_ref()),
                    element_percent(instrument, e.nrr.as_ref()),
                ]
            })
            .collect();
        b.table(&["Unsur", "Jawaban", "Rata-rata", "% dari maks."], &[90.0, 25.0, 25.0, 30.0], &rows);
        let summary = vec![
            vec!["Responden (n)".to_string(), r.responses.to_string()],
            vec!["Rata-rata keseluruhan".to_string(), or_dash(r.ikm_rounded())],
            vec![format!("Persentase dari nilai maksimum ({})", t.scale_max), or_dash(r.percent_of_max)],
        ];
        b.table(&["Hasil", "Nilai"], &[110.0, 60.0], &summary);
    }
}

/// Each instrument's questionnaire, after the SKM's.
pub fn pdf_appendix(b: &mut Document, data: &ReportData) {
    for instrument in &data.instruments {
        let t = &instrument.template;
        b.chapter(&format!("LAMPIRAN: KUESIONER ({} versi {})", t.title.id, t.version));
        for (i, e) in t.elements.iter().enumerate() {
            b.text(&format!("{}. {}", i + 1, e.question.id), 10.0, true, false);
            let answers: Vec<String> = e.answers.iter().map(|a| format!("{}. {}", a.score, a.label.id)).collect();
            b.paragraph(&answers.join("   "));
        }
    }
}

/// A sheet per instrument: its elements (Σ, n, mean, % of max) and its overall figures.
pub fn xlsx_sheets(book: &mut Workbook, data: &ReportData, bold: &Format) -> Result<(), rust_xlsxwriter::XlsxError> {
    for instrument in &data.instruments {
        let (t, r) = (&instrument.template, &instrument.result);
        let sheet = book.add_worksheet();
        let name: String = format!("ZI {}", t.id).chars().take(31).collect();
        sheet.set_name(name)?;
        sheet.write_string_with_format(0, 0, &t.title.id, bold)?;
        sheet.write_string(1, 0, format!("{} — {}", data.unit().name, data.period().label_id()))?;
        for (col, title) in ["Unsur", "Nama", "Σ skor", "Jawaban", "Rata-rata", "% dari maks."].iter().enumerate() {
            sheet.write_string_with_format(3, col as u16, *title, bold)?;
        }
        let mut row = 4;
        for e in &r.elements {
            sheet.write_string(row, 0, &e.code)?;
            sheet.write_string(row, 1, t.element(&e.code).map(|x| x.name.id.as_str()).unwrap_or_default())?;
            sheet.write_number(row, 2, e.sum as f64)?;
            sheet.write_number(row, 3, e.count as f64)?;
            if let Some(nrr) = &e.nrr {
                sheet.write_number(row, 4, Rounded::half_up(nrr, 2).to_f64())?;
                sheet.write_number(row, 5, percent_of_max(t, nrr).to_f64())?;
            }
            row += 1;
        }
        row += 1;
        let figures = [
            ("Responden (n)", Some(r.responses as f64)),
            ("Rata-rata keseluruhan", r.ikm_rounded().map(|v| v.to_f64())),
            ("% dari nilai maksimum", r.percent_of_max.map(|v| v.to_f64())),
        ];
        for (label, value) in figures {
            sheet.write_string_with_format(row, 0, label, bold)?;
            if let Some(value) = value {
                sheet.write_number(row, 4, value)?;
            }
            row += 1;
        }
        sheet.set_column_width(1, 36)?;
    }
    Ok(())
}
