//! The setup workbook's content as typed rows, and its layout: the sheets and their columns,
//! shared by the reader, the writer and the explanation sheet. Each row keeps its sheet row
//! number, so a problem found later (in the plan) still names the cell.

use crate::domain::email::Email;
use crate::domain::names::{Role, Slug, UnitKind};
use crate::domain::period::Period;

pub const UNIT_SHEET: &str = "Unit";
pub const SERVICE_SHEET: &str = "Layanan";
pub const USER_SHEET: &str = "Pengguna";
pub const POPULATION_SHEET: &str = "Populasi";
/// explains each column; ignored on reading
pub const GUIDE_SHEET: &str = "Petunjuk";

/// A column of a sheet: its header, whether it may be left out of the header row, and what the
/// explanation sheet says of it.
pub struct Column {
    pub header: &'static str,
    /// a workbook without this column keeps what is stored (`aktif` and the letterhead fields)
    pub optional: bool,
    /// the explanation in Bahasa Indonesia (the `Petunjuk` sheet)
    pub guide: &'static str,
}

const fn column(header: &'static str, optional: bool, guide: &'static str) -> Column {
    Column { header, optional, guide }
}

pub const UNIT_COLUMNS: &[Column] = &[
    column("slug", false, "Kode unit di alamat survei dan kode QR (huruf kecil, angka, tanda hubung). Wajib; tidak dapat diubah setelah dibuat."),
    column("nama", false, "Nama unit, seperti tertulis di laporan. Wajib."),
    column("jenis", false, "regency (kabupaten), opd, sub_unit (UPT, puskesmas, kecamatan, gerai instansi di MPP), atau mpp (Mal Pelayanan Publik; instansinya unit di bawahnya). Pilih dari daftar."),
    column("induk", false, "Slug unit di atasnya; kosong untuk kabupaten (puncak pohon)."),
    column("kuesioner", false, "Kuesioner yang ditanyakan unit ini; kosong untuk kuesioner bawaan. Pilih dari daftar."),
    column("aktif", true, "ya atau tidak. Unit yang tidak aktif tidak menerima survei; datanya tetap. Unit yang tidak ada di lembar ini ikut dinonaktifkan."),
    column("instansi", true, "Kop surat: nama instansi (kosong: nama unit)."),
    column("alamat", true, "Kop surat: alamat."),
    column("telepon", true, "Kop surat: nomor telepon (angka, spasi, + ( ) - . /)."),
    column("situs_web", true, "Kop surat: situs web, seperti kutaitimurkab.go.id."),
    column("tempat", true, "Penandatangan: kota tempat laporan ditandatangani."),
    column("jabatan", true, "Penandatangan: jabatan kepala unit."),
    column("nama_pimpinan", true, "Penandatangan: nama kepala unit."),
    column("nip", true, "Penandatangan: NIP 18 angka, diketik sebagai teks."),
];

pub const SERVICE_COLUMNS: &[Column] = &[
    column("unit", false, "Slug unit yang memberikan layanan ini (dari lembar Unit). Wajib."),
    column("slug", false, "Kode layanan di dalam unitnya (huruf kecil, angka, tanda hubung). Wajib."),
    column("nama", false, "Nama jenis layanan, seperti dilihat warga. Wajib."),
    column("aktif", true, "ya atau tidak. Layanan yang tidak aktif tidak dapat dipilih warga; jawabannya tetap. Layanan yang tidak ada di lembar ini ikut dinonaktifkan."),
];

pub const USER_COLUMNS: &[Column] = &[
    column("email", false, "Alamat e-mail untuk masuk. Wajib; tidak dapat diubah."),
    column("nama", false, "Nama pengguna. Wajib."),
    column("peran", false, "admin, unit_head (kepala unit) atau operator. Pilih dari daftar."),
    column("unit", false, "Slug unit tempat pengguna bekerja, dipisah koma; wajib untuk kepala unit dan operator."),
    column("aktif", true, "ya atau tidak. Pengguna yang tidak aktif tidak dapat masuk. Pengguna yang tidak ada di lembar ini tidak diubah."),
];

pub const POPULATION_COLUMNS: &[Column] = &[
    column("unit", false, "Slug unit (dari lembar Unit). Wajib."),
    column("periode", false, "Tahun (2026) atau bulan (2026-10), diketik sebagai teks."),
    column("jumlah", false, "Jumlah penerima layanan pada periode itu (populasi), bilangan bulat."),
];

/// The sheets read, in the workbook's order, with their columns.
pub const SHEETS: [(&str, &[Column]); 4] = [
    (UNIT_SHEET, UNIT_COLUMNS),
    (SERVICE_SHEET, SERVICE_COLUMNS),
    (USER_SHEET, USER_COLUMNS),
    (POPULATION_SHEET, POPULATION_COLUMNS),
];

/// What the workbook says of the whole setup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    pub units: Vec<UnitRow>,
    pub services: Vec<ServiceRow>,
    pub users: Vec<UserRow>,
    pub populations: Vec<PopulationRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    /// the sheet's row number (the header is row 1)
    pub row: u32,
    pub slug: Slug,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<String>,
    /// `None`: the configured default questionnaire
    pub template: Option<String>,
    /// `None`: the column is left out (keep what is stored)
    pub active: Option<bool>,
    pub letterhead: LetterheadFields,
}

/// The kop surat and signer as the workbook has them, checked (a NIP as its 18 digits); `None`
/// for a column the workbook leaves out (keep what is stored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LetterheadFields {
    pub agency: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub place: Option<String>,
    pub position: Option<String>,
    pub head_name: Option<String>,
    pub nip: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    pub row: u32,
    pub unit: String,
    pub slug: Slug,
    pub name: String,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub row: u32,
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// unit slugs, in the order typed, each once
    pub units: Vec<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PopulationRow {
    pub row: u32,
    pub unit: String,
    /// a year or a month
    pub period: Period,
    pub count: u32,
}

/// `ya`/`tidak` as the drop-down offers them.
pub const YES: &str = "ya";
pub const NO: &str = "tidak";
