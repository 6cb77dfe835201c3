//! Reading responses from files (CSV now; XLSX with the survey issue).

pub mod csv;
pub mod xlsx;
