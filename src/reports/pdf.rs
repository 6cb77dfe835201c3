//! A small page layout on printpdf: headings, wrapped paragraphs, tables that break across
//! pages with their header repeated, bitmap images (logos) and vector charts (`chart`), in the
//! bundled font, with page numbers in the footer (none, roman or arabic). A4, mm.

mod chart;

use super::document::Numbering;
use crate::fonts;
use crate::images::Bitmap;
use chrono::{DateTime, Utc};
use printpdf::{
    Color, FontId, Mm, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, RawImage,
    RawImageData, RawImageFormat, Rect, Rgb, TextItem, XObjectTransform,
};
use std::collections::BTreeSet;

pub const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
pub const MARGIN: f32 = 20.0;
const BOTTOM: f32 = 20.0;
pub const PT_TO_MM: f32 = 0.352_778;

pub struct PdfBuilder {
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    /// Every character drawn in each font: the fonts are embedded with only these glyphs
    /// (DejaVu Sans whole is 0.7 MB per face).
    regular_chars: BTreeSet<char>,
    bold_chars: BTreeSet<char>,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// the next line's top, in mm from the page's top
    y: f32,
    footer: String,
    numbering: Numbering,
    /// the index of the first page numbered the current way
    numbered_from: usize,
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

impl PdfBuilder {
    pub fn new(title: &str, footer: &str) -> PdfBuilder {
        PdfBuilder {
            doc: PdfDocument::new(title),
            // The fonts themselves are added in `finish`, once every character is known.
            regular: FontId::new(),
            bold: FontId::new(),
            regular_chars: BTreeSet::new(),
            bold_chars: BTreeSet::new(),
            pages: Vec::new(),
            ops: Vec::new(),
            y: MARGIN,
            footer: fonts::drawable(footer, false).into_owned(),
            numbering: Numbering::Arabic,
            numbered_from: 0,
        }
    }

    pub fn content_width() -> f32 {
        WIDTH - 2.0 * MARGIN
    }

    /// The next line's top, in mm from the page's top.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// Nothing drawn on the current page yet.
    pub fn page_is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The current page's number as its footer shows it; `None` where the footer shows none.
    pub fn page_label(&self) -> Option<String> {
        let n = self.pages.len() - self.numbered_from + 1;
        match self.numbering {
            Numbering::None => None,
            Numbering::Roman => Some(roman(n)),
            Numbering::Arabic => Some(n.to_string()),
        }
    }

    /// Numbers the pages from here on so, counting from 1; starts a new page unless the current
    /// one is empty.
    pub fn set_numbering(&mut self, numbering: Numbering) {
        if !self.page_is_empty() {
            self.page_break();
        }
        self.numbering = numbering;
        self.numbered_from = self.pages.len();
    }

    /// One line at a position; `text` has been through `fonts::drawable`.
    pub fn text_at(&mut self, x: f32, baseline: f32, size: f32, bold: bool, text: &str) {
        let (font, chars) = if bold {
            (self.bold.clone(), &mut self.bold_chars)
        } else {
            (self.regular.clone(), &mut self.regular_chars)
        };
        chars.extend(text.chars());
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: rgb(0.07, 0.07, 0.07) },
            Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) },
            Op::SetTextCursor { pos: Point { x: Mm(x).into(), y: Mm(HEIGHT - baseline).into() } },
            Op::ShowText { items: vec![TextItem::Text(text.to_string())] },
            Op::EndTextSection,
        ]);
    }

    pub fn fill_rect(&mut self, x: f32, top: f32, w: f32, h: f32, grey: f32) {
        self.ops.push(Op::SetFillColor { col: rgb(grey, grey, grey) });
        let rect = Rect::from_xywh(Mm(x).into(), Mm(HEIGHT - top - h).into(), Mm(w).into(), Mm(h).into());
        self.ops.push(Op::DrawPolygon { polygon: rect.to_polygon() });
    }

    /// Starts a new page when fewer than `needed` mm are left.
    pub fn ensure(&mut self, needed: f32) {
        if self.y + needed > HEIGHT - BOTTOM {
            self.page_break();
        }
    }

    pub fn page_break(&mut self) {
        if let Some(label) = self.page_label() {
            let footer = format!("{} — halaman {label}", self.footer);
            let x = (WIDTH - fonts::text_width(&footer, 8.0 * PT_TO_MM, false)) / 2.0;
            self.text_at(x, HEIGHT - 10.0, 8.0, false, &footer);
        }
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = MARGIN;
    }

    pub fn space(&mut self, mm: f32) {
        self.y += mm;
    }

    /// Wrapped text; `center` centres each line.
    pub fn text(&mut self, text: &str, size: f32, bold: bool, center: bool) {
        self.text_in(MARGIN, Self::content_width(), text, size, bold, center);
    }

    /// Wrapped text in a column `width` mm wide from `left`; `center` centres each line in it.
    pub fn text_in(&mut self, left: f32, width: f32, text: &str, size: f32, bold: bool, center: bool) {
        let line_height = size * PT_TO_MM * 1.45;
        for paragraph in text.split('\n') {
            let paragraph = fonts::drawable(paragraph, bold);
            let lines = fonts::wrap(&paragraph, size * PT_TO_MM, bold, width);
            for line in if lines.is_empty() { vec![String::new()] } else { lines } {
                self.ensure(line_height);
                let x =
                    if center { left + (width - fonts::text_width(&line, size * PT_TO_MM, bold)) / 2.0 } else { left };
                let baseline = self.y + size * PT_TO_MM;
                self.text_at(x, baseline, size, bold, &line);
                self.y += line_height;
            }
        }
    }

    pub fn heading(&mut self, text: &str) {
        self.ensure(20.0);
        self.space(3.0);
        self.text(text, 13.0, true, false);
        self.space(1.5);
    }

    pub fn paragraph(&mut self, text: &str) {
        self.text(text, 10.0, false, false);
        self.space(2.0);
    }

    /// A table with a shaded header row (repeated on each page); `widths` in mm. Cells wrap at
    /// spaces to their column and at `\n`.
    pub fn table(&mut self, header: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        let size = 8.5;
        let line = size * PT_TO_MM * 1.35;
        let wrap_cells = |cells: &[String], bold: bool| -> Vec<Vec<String>> {
            cells
                .iter()
                .zip(widths)
                .map(|(c, w)| {
                    // a line break in a cell starts a new line (a badge under a figure)
                    c.split('\n')
                        .flat_map(|part| fonts::wrap(&fonts::drawable(part, bold), size * PT_TO_MM, bold, w - 2.0))
                        .collect()
                })
                .collect()
        };
        let header_cells: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let header_lines = wrap_cells(&header_cells, true);
        let header_height = header_lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * line + 2.0;
        let draw_row = |b: &mut PdfBuilder, lines: &[Vec<String>], height: f32, bold: bool, shade: Option<f32>| {
            if let Some(grey) = shade {
                b.fill_rect(MARGIN, b.y, widths.iter().sum(), height, grey);
            }
            let mut x = MARGIN;
            for (cell, w) in lines.iter().zip(widths) {
                for (i, text) in cell.iter().enumerate() {
                    let baseline = b.y + 1.0 + size * PT_TO_MM + i as f32 * line;
                    b.text_at(x + 1.0, baseline, size, bold, text);
                }
                x += w;
            }
            b.y += height;
        };
        self.ensure(header_height + line * 2.0);
        draw_row(self, &header_lines, header_height, true, Some(0.85));
        for (index, row) in rows.iter().enumerate() {
            let lines = wrap_cells(row, false);
            let height = lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * line + 2.0;
            if self.y + height > HEIGHT - BOTTOM {
                self.page_break();
                draw_row(self, &header_lines, header_height, true, Some(0.85));
            }
            draw_row(self, &lines, height, false, (index % 2 == 1).then_some(0.95));
        }
        self.space(3.0);
    }

    /// A bitmap (a logo), centred, `width_mm` wide.
    pub fn image(&mut self, bitmap: &Bitmap, width_mm: f32) {
        let height_mm = width_mm * bitmap.height as f32 / bitmap.width as f32;
        self.ensure(height_mm + 2.0);
        self.image_at(bitmap, MARGIN + (Self::content_width() - width_mm) / 2.0, self.y, width_mm);
        self.y += height_mm + 3.0;
    }

    /// A bitmap with its top left corner at (`left`, `top`), `width_mm` wide; the next line
    /// stays where it was.
    pub fn image_at(&mut self, bitmap: &Bitmap, left: f32, top: f32, width_mm: f32) {
        let height_mm = width_mm * bitmap.height as f32 / bitmap.width as f32;
        let image = RawImage {
            pixels: RawImageData::U8(bitmap.rgb.clone()),
            width: bitmap.width as usize,
            height: bitmap.height as usize,
            data_format: RawImageFormat::RGB8,
            tag: Vec::new(),
        };
        let id = self.doc.add_image(&image);
        // At `dpi` the image's natural width is width_px / dpi inches; pick the dpi that makes it width_mm.
        let dpi = bitmap.width as f32 / (width_mm / 25.4);
        self.ops.push(Op::UseXobject {
            id,
            transform: XObjectTransform {
                translate_x: Some(Mm(left).into()),
                translate_y: Some(Mm(HEIGHT - top - height_mm).into()),
                dpi: Some(dpi),
                ..Default::default()
            },
        });
    }

    /// A black rule across the content width, `thickness` mm thick, at the next line.
    pub fn rule(&mut self, thickness: f32) {
        self.fill_rect(MARGIN, self.y, Self::content_width(), thickness, 0.0);
        self.y += thickness;
    }

    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        if !self.ops.is_empty() {
            self.page_break();
        }
        for (id, face, chars) in
            [(&self.regular, fonts::REGULAR, &self.regular_chars), (&self.bold, fonts::BOLD, &self.bold_chars)]
        {
            self.doc.resources.fonts.map.insert(id.clone(), PdfFont::new(fonts::pdf_font(face, chars)?));
        }
        let pages = self.pages.into_iter().map(|ops| PdfPage::new(Mm(WIDTH), Mm(HEIGHT), ops)).collect();
        save(self.doc, pages, chrono::Utc::now())
    }
}

/// What a reader's document properties show as the PDF's maker (pdfinfo's Producer).
pub const PRODUCER: &str = concat!("skm ", env!("CARGO_PKG_VERSION"));

/// `doc` (titled when made) with `pages`, as a PDF whose properties say when and by what it was
/// made: creation and modification time `created`, Producer `skm <version>`, and no PDF/X
/// marker. printpdf leaves the dates at 1970 and writes `/GTS_PDFXVersion` even empty, which
/// pdfinfo reads as a PDF/X claim; its XMP packet is written only for PDF/A or PDF/X, so there
/// is none to disagree with the Info dictionary.
pub fn save(mut doc: PdfDocument, pages: Vec<PdfPage>, created: DateTime<Utc>) -> Result<Vec<u8>, String> {
    use lopdf::Object;
    let when = printpdf::OffsetDateTime::from_unix_timestamp(created.timestamp())
        .map_err(|e| format!("the PDF's creation time: {e}"))?;
    let info = &mut doc.metadata.info;
    (info.creation_date, info.modification_date, info.metadata_date) = (when, when, when);
    info.producer = PRODUCER.to_string();
    info.creator = "skm".to_string();
    let options = PdfSaveOptions::default();
    let mut pdf = doc.with_pages(pages).to_lopdf_document(&options, &mut Vec::new());
    let info_id =
        pdf.trailer.get(b"Info").and_then(Object::as_reference).map_err(|e| format!("the PDF's Info: {e}"))?;
    let info = pdf.get_dictionary_mut(info_id).map_err(|e| format!("the PDF's Info: {e}"))?;
    info.remove(b"GTS_PDFXVersion");
    // the properties skm has nothing for (Author, Subject, Keywords…), left out rather than empty
    let empty: Vec<Vec<u8>> = info
        .iter()
        .filter(|(_, value)| matches!(value, Object::String(text, _) if text.is_empty() || text[..] == [0xFE, 0xFF]))
        .map(|(key, _)| key.clone())
        .collect();
    for key in empty {
        info.remove(&key);
    }
    if options.optimize {
        pdf.compress();
    }
    let mut bytes = Vec::new();
    pdf.save_to(&mut bytes).map_err(|e| format!("writing the PDF: {e}"))?;
    Ok(bytes)
}

/// Lower-case roman numerals for the front matter's pages (i, ii, iii, iv …).
fn roman(mut n: usize) -> String {
    const NUMERALS: [(usize, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut out = String::new();
    for (value, numeral) in NUMERALS {
        while n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_the_font_lacks_still_makes_a_pdf_with_the_rest_in_it() {
        // A saran may hold anything: emoji and scripts DejaVu Sans does not cover.
        let mut b = PdfBuilder::new("t", "f");
        b.text("Pelayanan cepat 👍 terima kasih — 谢谢", 11.0, false, false);
        b.text("BAB I", 14.0, true, false);
        let pdf = b.finish().expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        // With poppler at hand (CI installs it): the words after the emoji can still be read.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.pdf");
        std::fs::write(&path, &pdf).expect("write");
        if let Ok(out) = std::process::Command::new("pdftotext").arg(&path).arg("-").output() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("terima kasih —"), "{text}");
            assert!(text.contains("BAB I"), "{text}");
        }
    }

    #[test]
    fn front_matter_is_numbered_in_roman_numerals() {
        let numbers: Vec<String> = [1, 2, 3, 4, 9, 14, 40].into_iter().map(roman).collect();
        assert_eq!(numbers, ["i", "ii", "iii", "iv", "ix", "xiv", "xl"]);
    }
}
