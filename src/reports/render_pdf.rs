//! The report's blocks (`document`) laid out on PDF pages (`pdf`). The Daftar Isi needs the page
//! each chapter starts on, which is known only once the pages are laid out: the document is laid
//! out twice, the first time with the page numbers left blank (they take no line of their own,
//! so nothing moves), the second with them filled in.

use super::document::{Block, Document, Entry};
use super::pdf::{PdfBuilder, MARGIN, PT_TO_MM, WIDTH};
use crate::fonts;

pub fn render(doc: &Document) -> Result<Vec<u8>, String> {
    let entries = doc.entries();
    let (_, pages) = lay_out(doc, &entries, &vec![String::new(); entries.len()]);
    let (builder, _) = lay_out(doc, &entries, &pages);
    builder.finish()
}

/// Lays the document out with `pages` in the Daftar Isi; returns the pages and where each entry
/// landed.
fn lay_out(doc: &Document, entries: &[Entry], pages: &[String]) -> (PdfBuilder, Vec<String>) {
    let mut b = PdfBuilder::new(&doc.title, &doc.footer);
    let mut landed = Vec::with_capacity(entries.len());
    let here = |b: &PdfBuilder| b.page_label().unwrap_or_default();
    for block in &doc.blocks {
        match block {
            Block::Letterhead => letterhead(&mut b, doc),
            Block::Text { text, size, bold, center } => b.text(text, *size, *bold, *center),
            Block::Paragraph(text) => b.paragraph(text),
            Block::Chapter { title, center } => {
                if !b.page_is_empty() {
                    b.page_break();
                }
                landed.push(here(&b));
                b.text(title, 14.0, true, *center);
                b.space(5.0);
            }
            Block::Section(title) => {
                // a section's title stays with its first lines
                b.ensure(25.0);
                b.space(2.0);
                landed.push(here(&b));
                b.text(title, 11.0, true, false);
                b.space(1.5);
            }
            Block::Heading(text) => b.heading(text),
            Block::Table { header, widths, rows } => {
                let header: Vec<&str> = header.iter().map(String::as_str).collect();
                b.table(&header, widths, rows);
            }
            Block::Chart { spec, width_mm } => b.chart(spec, *width_mm),
            Block::Image { bitmap, width_mm } => b.image(bitmap, *width_mm),
            Block::Space(mm) => b.space(*mm),
            Block::Keep(mm) => b.ensure(*mm),
            Block::PageBreak => b.page_break(),
            Block::Contents => contents(&mut b, entries, pages),
            Block::Signature => signature(&mut b, doc),
            Block::Numbering(numbering) => b.set_numbering(*numbering),
        }
    }
    (b, landed)
}

const LOGO_WIDTH: f32 = 24.0;
const LOGO_HEIGHT: f32 = 28.0;

/// The kop surat: the logo at the left, the agencies' names and the contact lines centred beside
/// it, a thick and a thin rule under both.
fn letterhead(b: &mut PdfBuilder, doc: &Document) {
    let top = b.y();
    let mut left = MARGIN;
    let mut bottom = top;
    if let Some(logo) = &doc.kop.logo {
        let ratio = logo.height as f32 / logo.width as f32;
        let width = LOGO_WIDTH.min(LOGO_HEIGHT / ratio);
        b.image_at(logo, MARGIN + (LOGO_WIDTH - width) / 2.0, top, width);
        bottom = top + width * ratio;
        left = MARGIN + LOGO_WIDTH + 4.0;
    }
    let width = WIDTH - MARGIN - left;
    let last = doc.kop.lines.len().saturating_sub(1);
    for (i, line) in doc.kop.lines.iter().enumerate() {
        let size = if i == last { 15.0 } else { 12.5 };
        b.text_in(left, width, &line.to_uppercase(), size, true, true);
    }
    for line in doc.kop_contact() {
        b.text_in(left, width, &line, 9.0, false, true);
    }
    b.space((bottom - b.y()).max(0.0) + 2.0);
    b.rule(0.8);
    b.space(0.7);
    b.rule(0.25);
    b.space(8.0);
}

/// Each entry on a line: the title (a section indented), dots, and the page at the right margin.
fn contents(b: &mut PdfBuilder, entries: &[Entry], pages: &[String]) {
    let right = WIDTH - MARGIN;
    for (entry, page) in entries.iter().zip(pages) {
        let (size, bold, indent) = if entry.level == 1 { (10.5, true, 0.0) } else { (10.0, false, 8.0) };
        let em = size * PT_TO_MM;
        let line_height = em * 1.6;
        let title = fonts::drawable(&entry.title, bold);
        let lines = fonts::wrap(&title, em, bold, PdfBuilder::content_width() - indent - 20.0);
        if entry.level == 1 {
            b.space(1.5);
        }
        b.ensure(line_height * lines.len() as f32);
        for (i, line) in lines.iter().enumerate() {
            let baseline = b.y() + em;
            b.text_at(MARGIN + indent, baseline, size, bold, line);
            if i + 1 == lines.len() {
                let number_width = fonts::text_width(page, em, bold);
                b.text_at(right - number_width, baseline, size, bold, page);
                let from = MARGIN + indent + fonts::text_width(line, em, bold) + 2.0;
                let to = right - number_width.max(fonts::text_width("000", em, bold)) - 2.0;
                let dot = fonts::text_width(". ", em, false);
                let count = ((to - from) / dot).floor().max(0.0) as usize;
                if count > 0 {
                    let dots = ". ".repeat(count);
                    b.text_at(
                        to - fonts::text_width(dots.trim_end(), em, false),
                        baseline,
                        size,
                        false,
                        dots.trim_end(),
                    );
                }
            }
            b.space(line_height);
        }
    }
}

const SIGNATURE_WIDTH: f32 = 90.0;

/// The signature block in the right half: place and date, position, room to sign, the name in
/// bold and underlined, the NIP.
fn signature(b: &mut PdfBuilder, doc: &Document) {
    let lines = doc.signature_lines();
    let left = WIDTH - MARGIN - SIGNATURE_WIDTH;
    b.ensure(70.0);
    b.space(6.0);
    let [date, position, _, name, nip] = lines.as_slice() else { return };
    b.text_in(left, SIGNATURE_WIDTH, date, 10.0, false, true);
    b.text_in(left, SIGNATURE_WIDTH, position, 10.0, false, true);
    b.space(24.0);
    let em = 10.0 * PT_TO_MM;
    let drawn = fonts::drawable(name, true);
    let name_width = fonts::text_width(&drawn, em, true).min(SIGNATURE_WIDTH);
    b.text_in(left, SIGNATURE_WIDTH, name, 10.0, true, true);
    if !doc.signer.name.is_empty() {
        // the underline, just under the baseline of the name's (last) line
        b.fill_rect(left + (SIGNATURE_WIDTH - name_width) / 2.0, b.y() - em * 0.3, name_width, 0.25, 0.07);
    }
    b.text_in(left, SIGNATURE_WIDTH, nip, 10.0, false, true);
}
