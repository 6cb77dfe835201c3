//! Presenting index results: JSON and text now; PDF, XLSX and CSV with the reports issue.

pub mod summary;
