//! Presenting results: JSON and text summaries, QR posters; PDF/XLSX reports come later.

pub mod csv_export;
pub mod data;
pub mod fonts;
pub mod laporan;
pub mod pdf;
pub mod poster;
pub mod profile;
pub mod summary;
pub mod themes;
pub mod xlsx;
