//! Reading spreadsheets of responses: the `skm compute` CSV layout (`csv`), and XLSX uploads
//! turned into that same CSV (`xlsx`, within the `limits` every uploaded workbook is held to),
//! with every problem a translatable `issue`; and the monthly CSV of the units' populations
//! (`population`). Every CSV skm writes goes through `csv_out`. Pure parsing;
//! storing the rows is `survey::sheet_import`.

pub mod csv;
pub mod csv_out;
pub mod issue;
pub mod limits;
pub mod population;
pub mod xlsx;
