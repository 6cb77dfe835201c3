//! Presenting results: JSON and text summaries, QR posters; PDF/XLSX reports come later.

pub mod csv_export;
pub mod fonts;
pub mod poster;
pub mod summary;
