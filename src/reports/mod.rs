//! Presenting results as documents: the official report (`official_pdf` makes it once as a
//! `document`, with `closing` for its foreword and Penutup and `regency_pdf` for a roll-up's
//! parts; `render_pdf` lays it out on the `pdf` layout, `render_docx` writes it for Word),
//! `xlsx`, the responses' `csv_export`) from the figures `data` gathers, the SPEC §3 `summary`
//! (JSON, text), the saran `themes`, the QR `poster` (and every unit's `posters` in one PDF), and the PEKPPP `evidence` pack (a ZIP of
//! the reports, the publication log and the follow-up tracker, `evidence_files`).

pub mod closing;
pub mod csv_export;
pub mod data;
pub mod document;
pub mod evidence;
pub mod evidence_files;
pub mod instruments;
pub mod invitation_qr;
pub mod official_pdf;
pub mod pdf;
pub mod poster;
pub mod posters;
pub mod profile;
pub mod regency_pdf;
pub mod render_docx;
pub mod render_pdf;
pub mod sections;
pub mod slips;
pub mod summary;
pub mod themes;
pub mod xlsx;
pub mod xlsx_sheet;
