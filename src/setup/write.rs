//! Writing the setup workbook: the template (example rows) and the export of the current setup,
//! in one layout (`book`): a sheet per part with its header row, drop-down lists (data
//! validation) for kinds, roles, questionnaires and `aktif`, text cells where a spreadsheet
//! would otherwise turn a NIP or a period into a number, and the `Petunjuk` sheet explaining
//! each column in Bahasa Indonesia.

use super::book::*;
use super::plan::{Current, Kop};
use crate::domain::names::{Role, UnitKind};
use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Format, Formula, Workbook, Worksheet, XlsxError};

/// A cell to write.
enum Out {
    Text(String),
    Number(f64),
}

fn text(value: impl Into<String>) -> Out {
    Out::Text(value.into())
}

fn yes_no(active: bool) -> Out {
    text(if active { YES } else { NO })
}

/// The rows with drop-downs: this many below the last row written, for rows to be added.
const ROOM: u32 = 1000;

/// The template: a small regency as example rows to overwrite.
pub fn template(templates: &[String]) -> Result<Vec<u8>, XlsxError> {
    let default = templates.first().cloned().unwrap_or_default();
    let unit = |slug: &str, name: &str, kind: UnitKind, parent: &str, template: &str, kop: [&str; 8]| {
        let mut row = vec![text(slug), text(name), text(kind.as_str()), text(parent), text(template), yes_no(true)];
        row.extend(kop.iter().map(|v| text(*v)));
        row
    };
    let units = vec![
        unit(
            "kutim",
            "Pemerintah Kabupaten Kutai Timur",
            UnitKind::Regency,
            "",
            "",
            [
                "Pemerintah Kabupaten Kutai Timur",
                "Jl. Soekarno-Hatta No. 1, Sangatta",
                "(0549) 21001",
                "kutaitimurkab.go.id",
                "Sangatta",
                "",
                "",
                "",
            ],
        ),
        unit(
            "disdukcapil",
            "Dinas Kependudukan dan Pencatatan Sipil",
            UnitKind::Opd,
            "kutim",
            "",
            [
                "Dinas Kependudukan dan Pencatatan Sipil",
                "Jl. Yos Sudarso No. 5, Sangatta",
                "(0549) 21234",
                "",
                "",
                "Kepala Dinas",
                "Nama Kepala Dinas",
                "197501012000031001",
            ],
        ),
        unit("dinkes", "Dinas Kesehatan", UnitKind::Opd, "kutim", &default, ["", "", "", "", "", "", "", ""]),
        unit(
            "puskesmas-sangatta-utara",
            "Puskesmas Sangatta Utara",
            UnitKind::SubUnit,
            "dinkes",
            "",
            ["", "", "", "", "", "", "", ""],
        ),
    ];
    let service = |unit: &str, slug: &str, name: &str| vec![text(unit), text(slug), text(name), yes_no(true)];
    let services = vec![
        service("disdukcapil", "ktp-el", "Perekaman KTP elektronik"),
        service("disdukcapil", "akta-lahir", "Akta kelahiran"),
        service("puskesmas-sangatta-utara", "rawat-jalan", "Rawat jalan"),
    ];
    let user = |email: &str, name: &str, role: Role, units: &str| {
        vec![text(email), text(name), text(role.as_str()), text(units), yes_no(true)]
    };
    let users = vec![
        user("admin@kutaitimurkab.go.id", "Bagian Organisasi", Role::Admin, ""),
        user("kepala@disdukcapil.kutaitimurkab.go.id", "Kepala Disdukcapil", Role::UnitHead, "disdukcapil"),
        user("operator@disdukcapil.kutaitimurkab.go.id", "Operator Disdukcapil", Role::Operator, "disdukcapil"),
    ];
    let population = |unit: &str, period: &str, count: f64| vec![text(unit), text(period), Out::Number(count)];
    let populations = vec![
        population("disdukcapil", "2026", 48000.0),
        population("disdukcapil", "2026-10", 4100.0),
        population("puskesmas-sangatta-utara", "2026", 15000.0),
    ];
    workbook([units, services, users, populations], templates)
}

/// The current setup, as the template lays it out: importing it changes nothing.
pub fn export(current: &Current, templates: &[String]) -> Result<Vec<u8>, XlsxError> {
    // parents first, so the sheet reads as the tree
    let mut units = Vec::new();
    let mut placed: Vec<&str> = Vec::new();
    loop {
        let before = placed.len();
        for unit in &current.units {
            let ready = unit.parent.as_deref().is_none_or(|p| placed.contains(&p));
            if ready && !placed.contains(&unit.slug.as_str()) {
                placed.push(&unit.slug);
                let kop = unit.kop.clone().unwrap_or_default();
                let Kop { agency, address, phone, website, place, position, head_name, nip } = kop;
                let mut row = vec![
                    text(&unit.slug),
                    text(&unit.name),
                    text(&unit.kind),
                    text(unit.parent.clone().unwrap_or_default()),
                    text(unit.template.clone().unwrap_or_default()),
                    yes_no(unit.active),
                ];
                row.extend([agency, address, phone, website, place, position, head_name, nip].into_iter().map(text));
                units.push(row);
            }
        }
        if placed.len() == before {
            break;
        }
    }
    let services =
        current.services.iter().map(|s| vec![text(&s.unit), text(&s.slug), text(&s.name), yes_no(s.active)]).collect();
    let users = current
        .users
        .iter()
        .map(|u| vec![text(&u.email), text(&u.name), text(&u.role), text(u.units.join(", ")), yes_no(u.active)])
        .collect();
    let populations = current
        .populations
        .iter()
        .map(|(unit, period, count)| vec![text(unit), text(period), Out::Number(*count as f64)])
        .collect();
    workbook([units, services, users, populations], templates)
}

fn workbook(rows: [Vec<Vec<Out>>; 4], templates: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#DDEBF7");
    let as_text = Format::new().set_num_format("@");
    let kinds: Vec<&str> = UnitKind::ALL.iter().map(|k| k.as_str()).collect();
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    // the Unit sheet's slugs (its first column), rows to be added included: a parent or a
    // unit picked from them is a slug, not a unit's name typed from memory
    let unit_rows = u32::try_from(rows[0].len()).unwrap_or(u32::MAX).saturating_add(ROOM).saturating_add(1);
    let unit_slugs = Formula::new(format!("={UNIT_SHEET}!$A$2:$A${unit_rows}"));
    for ((name, columns), rows) in SHEETS.into_iter().zip(rows) {
        let sheet = book.add_worksheet().set_name(name)?;
        let last = u32::try_from(rows.len()).unwrap_or(u32::MAX).saturating_add(ROOM);
        for (index, column) in columns.iter().enumerate() {
            let col = u16::try_from(index).unwrap_or(u16::MAX);
            sheet.write_string_with_format(0, col, column.header, &bold)?;
            let width = match column.header {
                "nama" | "instansi" | "alamat" | "jabatan" | "nama_pimpinan" => 36.0,
                "email" | "unit" | "slug" | "induk" => 30.0,
                _ => 16.0,
            };
            sheet.set_column_width(col, width)?;
            // typed in as text, a NIP keeps its 18 digits and "2026-10" stays a month
            if matches!(column.header, "slug" | "induk" | "nip" | "periode" | "telepon" | "unit") {
                sheet.set_column_format(col, &as_text)?;
            }
            let list: Option<Vec<&str>> = match column.header {
                "jenis" => Some(kinds.clone()),
                "peran" => Some(roles.clone()),
                "aktif" => Some(vec![YES, NO]),
                "kuesioner" => Some(templates.iter().map(String::as_str).collect()),
                _ => None,
            };
            if let Some(list) = list {
                let validation = DataValidation::new()
                    .allow_list_strings(&list)?
                    .set_error_title("Pilih dari daftar")?
                    .set_error_message(format!("Pilih salah satu: {}", list.join(", ")))?;
                sheet.add_data_validation(1, col, last, col, &validation)?;
            }
            // a user's units are a list ("disdukcapil, dinkes"): no drop-down there
            if column.header == "induk" || (column.header == "unit" && name != USER_SHEET) {
                let validation = DataValidation::new()
                    .allow_list_formula(unit_slugs.clone())
                    .set_error_style(DataValidationErrorStyle::Warning)
                    .set_error_title("Unit tidak ada di lembar Unit")?
                    .set_error_message("Pilih slug unit dari lembar Unit (kolom slug), bukan nama unitnya.")?;
                sheet.add_data_validation(1, col, last, col, &validation)?;
            }
        }
        sheet.set_landscape();
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            write_row(sheet, r, row)?;
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    guide(book.add_worksheet().set_name(GUIDE_SHEET)?, &bold)?;
    book.save_to_buffer()
}

fn write_row(sheet: &mut Worksheet, row: u32, cells: &[Out]) -> Result<(), XlsxError> {
    for (c, cell) in cells.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        match cell {
            Out::Text(value) if value.is_empty() => {}
            Out::Text(value) => {
                sheet.write_string(row, c, value)?;
            }
            Out::Number(value) => {
                sheet.write_number(row, c, *value)?;
            }
        }
    }
    Ok(())
}

/// About how many characters of the explanations fit on a line of their column (width 90).
const GUIDE_LINE: usize = 100;

/// The explanation sheet: what the workbook is for, then each column of each sheet.
fn guide(sheet: &mut Worksheet, bold: &Format) -> Result<(), XlsxError> {
    let wrap = Format::new().set_text_wrap();
    let intro = [
        "Buku kerja penyiapan SKM: unit, jenis layanan, pengguna dan populasi seluruh kabupaten.",
        "Isi atau ubah lembar Unit, Layanan, Pengguna dan Populasi, lalu unggah di halaman Admin (atau: skm setup --workbook berkas.xlsx).",
        "Sebelum diterapkan, skm menampilkan pratinjau perubahan. Jika ada sel yang salah, tidak ada yang diubah dan setiap sel yang salah disebutkan (lembar, baris, kolom).",
        "Tidak ada yang dihapus: unit dan layanan yang tidak ada di buku kerja dinonaktifkan, jawabannya tetap tersimpan.",
        "Baris judul (baris 1) jangan diubah; urutan kolom boleh berbeda. Lembar Petunjuk ini diabaikan saat diunggah.",
        "Baris di templat adalah contoh: ganti atau hapus sebelum mengunggah, karena setiap pengguna baru langsung diundang lewat e-mail (bila e-mail sudah diatur).",
    ];
    let mut row = 0;
    for line in intro {
        sheet.merge_range(row, 0, row, 3, line, &wrap)?;
        sheet.set_row_height(row, 30)?;
        row += 1;
    }
    row += 1;
    for (col, title) in ["Lembar", "Kolom", "Wajib", "Keterangan"].iter().enumerate() {
        sheet.write_string_with_format(row, u16::try_from(col).unwrap_or(0), *title, bold)?;
    }
    row += 1;
    for (name, columns) in SHEETS {
        for column in columns {
            sheet.write_string(row, 0, name)?;
            sheet.write_string(row, 1, column.header)?;
            let required = match (column.optional, column.header) {
                (true, _) => "tidak (kolomnya pun boleh dihapus)",
                (false, "induk" | "kuesioner" | "unit") if name == UNIT_SHEET || name == USER_SHEET => "boleh kosong",
                _ => "ya",
            };
            sheet.write_string(row, 2, required)?;
            sheet.write_string_with_format(row, 3, column.guide, &wrap)?;
            // a spreadsheet does not grow a row for wrapped text it did not type itself: a long
            // explanation would run over the next row
            let lines = column.guide.chars().count().div_ceil(GUIDE_LINE);
            if lines > 1 {
                sheet.set_row_height(row, 15.0 * lines as f64)?;
            }
            row += 1;
        }
    }
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 22)?;
    sheet.set_column_width(3, 90)?;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}
