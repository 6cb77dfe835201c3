//! Presenting results as documents: the official report (`official_pdf` on the `pdf` layout,
//! with `regency_pdf` for a roll-up's parts,
//! `xlsx`, the responses' `csv_export`) from the figures `data` gathers, the SPEC §3 `summary`
//! (JSON, text), the saran `themes`, and the QR `poster`.

pub mod csv_export;
pub mod data;
pub mod official_pdf;
pub mod pdf;
pub mod poster;
pub mod profile;
pub mod regency_pdf;
pub mod sections;
pub mod summary;
pub mod themes;
pub mod xlsx;
pub mod xlsx_sheet;
