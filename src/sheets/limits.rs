//! What an uploaded workbook may unpack to, for the response imports (`xlsx`) and the setup
//! workbook (`setup::read`) alike. An XLSX is a ZIP, and a ZIP of 200 KB can hold a shared string
//! of 200 MB, or a sheet whose few bytes point a million cells at one long string: read naively,
//! a small upload takes gigabytes. So, before calamine opens it, the parts' unpacked sizes are
//! checked twice: as the ZIP's central directory declares them, then by inflating each part into
//! nothing and counting (a declared size can lie); and as its cells are read, each cell's length
//! and the text of all cells together. What is refused costs a streamed count; what is read costs
//! at most a few times `MAX_UNPACKED_BYTES`, whatever the upload.

use std::io::{Cursor, Read};

/// The most a workbook's parts, and the text of its cells, may unpack to. A year of a busy
/// unit's responses unpacks to some megabytes.
pub const MAX_UNPACKED_BYTES: u64 = 50 * 1024 * 1024;

/// The longest cell an import reads: longer than any saran a questionnaire allows.
pub const MAX_CELL_CHARS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// not a ZIP archive, or a damaged one (a part whose size or checksum is not what it says)
    NotZip,
    /// unpacks (or its cells' text adds up) to more than `MAX_UNPACKED_BYTES`
    Unpacked,
}

/// The limit, in whole megabytes, as messages name it.
pub fn unpacked_megabytes() -> u64 {
    MAX_UNPACKED_BYTES / (1024 * 1024)
}

/// Whether the ZIP's parts unpack to at most `limit` bytes: first by the sizes its central
/// directory declares (nothing is inflated), then by inflating each part and counting, stopping
/// at the limit. Memory stays that of one inflater, whatever the archive holds.
pub fn unpacked_within(bytes: &[u8], limit: u64) -> Result<(), Refusal> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refusal::NotZip)?;
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|_| Refusal::NotZip)?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limit {
        return Err(Refusal::Unpacked);
    }
    let mut left = limit;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|_| Refusal::NotZip)?;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|_| Refusal::NotZip)?;
        if read > left {
            return Err(Refusal::Unpacked);
        }
        left -= read;
    }
    Ok(())
}

/// The text of a sheet's cells so far: each cell is offered before it is kept.
pub struct CellText {
    left: u64,
}

impl Default for CellText {
    fn default() -> Self {
        CellText { left: MAX_UNPACKED_BYTES }
    }
}

impl CellText {
    /// Counts `text` toward the limit of all cells; `Err` once they hold more than
    /// `MAX_UNPACKED_BYTES`.
    pub fn take(&mut self, text: &str) -> Result<(), Refusal> {
        let length = text.len() as u64;
        if length > self.left {
            return Err(Refusal::Unpacked);
        }
        self.left -= length;
        Ok(())
    }
}

/// Whether a cell is longer than `MAX_CELL_CHARS` characters.
pub fn too_long(text: &str) -> bool {
    // a character is at most 4 bytes: only a long cell is counted
    text.len() > MAX_CELL_CHARS && text.chars().nth(MAX_CELL_CHARS).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A ZIP with one part of `size` zeros: a few kilobytes per megabyte.
    fn zeros(size: usize) -> Vec<u8> {
        let mut packed = Vec::new();
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut packed));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/sharedStrings.xml", options).expect("entry");
        zip.write_all(&vec![b'0'; size]).expect("write");
        zip.finish().expect("zip");
        packed
    }

    /// Every place the archive states the unpacked size of its one part, set to `size`.
    fn declare(packed: &mut [u8], size: u32) {
        let at = |signature: &[u8]| packed.windows(4).position(|w| w == signature).expect("header");
        let local = at(b"PK\x03\x04") + 22;
        let central = at(b"PK\x01\x02") + 24;
        packed[local..local + 4].copy_from_slice(&size.to_le_bytes());
        packed[central..central + 4].copy_from_slice(&size.to_le_bytes());
    }

    #[test]
    fn a_workbook_that_unpacks_to_more_than_the_limit_is_refused() {
        let packed = zeros(3 * 1024 * 1024);
        assert!(packed.len() < 64 * 1024, "{}", packed.len());
        assert_eq!(unpacked_within(&packed, 2 * 1024 * 1024), Err(Refusal::Unpacked));
        assert_eq!(unpacked_within(&packed, 4 * 1024 * 1024), Ok(()));
        assert_eq!(unpacked_within(b"U1,U2\n4,4\n", 1024), Err(Refusal::NotZip));
    }

    #[test]
    fn a_part_that_declares_less_than_it_holds_is_counted_as_it_inflates() {
        let mut packed = zeros(3 * 1024 * 1024);
        declare(&mut packed, 1024);
        // The zip crate stops a part at its declared size and then finds its checksum wrong
        // (calamine's would too); were it to read on, the count would stop at the limit.
        assert_eq!(unpacked_within(&packed, 2 * 1024 * 1024), Err(Refusal::NotZip));
    }

    #[test]
    fn cells_are_bounded_one_by_one_and_together() {
        assert!(!too_long(&"é".repeat(MAX_CELL_CHARS)));
        assert!(too_long(&"a".repeat(MAX_CELL_CHARS + 1)));
        let mut text = CellText { left: 10 };
        assert_eq!(text.take("123456"), Ok(()));
        assert_eq!(text.take("1234"), Ok(()));
        assert_eq!(text.take("1"), Err(Refusal::Unpacked));
    }
}
