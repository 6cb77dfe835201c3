//! Reading spreadsheets of responses: the `skm compute` CSV layout (`csv`), and XLSX uploads
//! turned into that same CSV (`xlsx`), with every problem a translatable `issue`; and the
//! monthly CSV of the units' populations (`population`). Pure parsing;
//! storing the rows is `survey::sheet_import`.

pub mod csv;
pub mod issue;
pub mod population;
pub mod xlsx;
