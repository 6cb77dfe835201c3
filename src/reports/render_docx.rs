//! The report's blocks (`document`) as a Word document (docx-rs), for offices that edit the text
//! before signing: the same kop surat, headings (Word's Heading 1 and 2), tables, charts, and
//! signature block as the PDF. The Daftar Isi lists the same entries, each with a page-reference
//! field to a bookmark on its heading: LibreOffice computes it as it lays the pages out, Word
//! when its fields are updated (F9), so the numbers follow the text as the office edits it.

use super::document::{Block, Document, CONTENT_WIDTH};
use crate::images::Bitmap;
use docx_rs::{
    AlignmentType, BorderType, BreakType, Docx, FieldCharType, Footer, InstrPAGEREF, InstrText, LineSpacing,
    PageMargin, PageNum, Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Pic, Run, RunFonts,
    Shading, Style, StyleType, Tab, TabLeaderType, TabValueType, Table, TableCell, TableCellMargins, TableRow,
    WidthType,
};

/// twentieths of a point per mm
const TWIPS_PER_MM: f32 = 56.692_9;
/// English Metric Units per mm
const EMU_PER_MM: f32 = 36_000.0;
const FONT: &str = "Arial";

fn twips(mm: f32) -> usize {
    (mm * TWIPS_PER_MM).round() as usize
}

/// docx-rs sizes are half-points.
fn half_points(pt: f32) -> usize {
    (pt * 2.0).round() as usize
}

pub fn render(doc: &Document) -> Result<Vec<u8>, String> {
    let margin = twips(20.0) as i32;
    let mut docx = Docx::new()
        .page_size(11_906, 16_838)
        .page_margin(PageMargin::new().top(margin).bottom(margin).left(margin).right(margin).header(567).footer(567))
        .default_fonts(RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT))
        .default_size(half_points(11.0))
        .add_style(heading_style("Heading1", "Heading 1", 14.0, 0))
        .add_style(heading_style("Heading2", "Heading 2", 11.5, 1))
        // the cover has no page number
        .title_pg()
        .first_footer(Footer::new())
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(Run::new().add_text(format!("{} — halaman ", doc.footer)).size(half_points(8.0)))
                    .add_page_num(PageNum::new()),
            ),
        );
    // the Daftar Isi's entries, numbered in order: entry n's heading carries bookmark n
    let entries = doc.entries();
    let mut entry = 0;
    let mut bookmarked = |p: Paragraph| {
        entry += 1;
        p.add_bookmark_start(entry, bookmark(entry)).add_bookmark_end(entry)
    };
    for block in &doc.blocks {
        docx = match block {
            Block::Letterhead => letterhead(docx, doc)?,
            Block::Text { text, size, bold, center } => {
                text.split('\n').fold(docx, |d, line| d.add_paragraph(line_paragraph(line, *size, *bold, *center)))
            }
            Block::Paragraph(text) => docx.add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Both)
                    .line_spacing(LineSpacing::new().after(120))
                    .add_run(Run::new().add_text(text)),
            ),
            Block::Chapter { title, center } => {
                let p = Paragraph::new().style("Heading1").page_break_before(true).add_run(Run::new().add_text(title));
                docx.add_paragraph(bookmarked(if *center { p.align(AlignmentType::Center) } else { p }))
            }
            Block::Section(title) => docx.add_paragraph(bookmarked(
                Paragraph::new().style("Heading2").keep_next(true).add_run(Run::new().add_text(title)),
            )),
            Block::Heading(text) => docx.add_paragraph(
                Paragraph::new().keep_next(true).add_run(Run::new().add_text(text).bold().size(half_points(12.0))),
            ),
            Block::Table { header, widths, rows } => {
                docx.add_table(table(header, widths, rows)).add_paragraph(Paragraph::new())
            }
            Block::Chart { spec, width_mm } => {
                // laid out as the PDF lays it out (12 px labels print at 9 pt), drawn at 3× for print
                let (width, height, rgb) =
                    crate::charts::bitmap(spec, width_mm / 0.265, 3.0).map_err(|e| e.to_string())?;
                docx.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .add_run(Run::new().add_image(picture(&Bitmap { width, height, rgb }, *width_mm)?)),
                )
            }
            Block::Image { bitmap, width_mm } => docx.add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(Run::new().add_image(picture(bitmap, *width_mm)?)),
            ),
            Block::Space(mm) => {
                docx.add_paragraph(Paragraph::new().line_spacing(LineSpacing::new().before(twips(*mm) as u32)))
            }
            // Word keeps headings with what follows (keep_next); a page break is its own
            Block::Keep(_) | Block::Numbering(_) => docx,
            Block::PageBreak => docx.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page))),
            Block::Contents => entries
                .iter()
                .enumerate()
                .fold(docx, |d, (i, e)| d.add_paragraph(contents_line(&e.title, e.level, i + 1))),
            Block::Signature => signature(docx, doc),
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

fn bookmark(entry: usize) -> String {
    format!("_TocSkm{entry:04}")
}

/// A line of the Daftar Isi: the title, a dotted tab to the right margin, and the page of the
/// heading's bookmark.
fn contents_line(title: &str, level: u8, entry: usize) -> Paragraph {
    let indent = if level == 1 { 0 } else { twips(8.0) as i32 };
    let tab = Tab::new().val(TabValueType::Right).leader(TabLeaderType::Dot).pos(twips(CONTENT_WIDTH));
    let text = Run::new().add_text(title);
    let field = Run::new()
        .add_field_char(FieldCharType::Begin, true)
        .add_instr_text(InstrText::PAGEREF(InstrPAGEREF::new(bookmark(entry)).hyperlink()))
        .add_field_char(FieldCharType::Separate, false)
        .add_text("")
        .add_field_char(FieldCharType::End, false);
    Paragraph::new()
        .add_tab(tab)
        .indent(Some(indent), None, None, None)
        .line_spacing(LineSpacing::new().before(if level == 1 { 120 } else { 0 }))
        .add_run(if level == 1 { text.bold() } else { text })
        .add_run(Run::new().add_tab())
        .add_run(field)
}

fn heading_style(id: &str, name: &str, size: f32, level: usize) -> Style {
    Style::new(id, StyleType::Paragraph)
        .name(name)
        .bold()
        .size(half_points(size))
        .outline_lvl(level)
        .line_spacing(LineSpacing::new().before(240).after(120))
}

fn line_paragraph(text: &str, size: f32, bold: bool, center: bool) -> Paragraph {
    let run = Run::new().add_text(text).size(half_points(size));
    let p = Paragraph::new().add_run(if bold { run.bold() } else { run });
    if center {
        p.align(AlignmentType::Center)
    } else {
        p
    }
}

fn picture(bitmap: &Bitmap, width_mm: f32) -> Result<Pic, String> {
    let height_mm = width_mm * bitmap.height as f32 / bitmap.width as f32;
    let png = bitmap.png().map_err(|e| e.to_string())?;
    Ok(Pic::new_with_dimensions(png, bitmap.width, bitmap.height)
        .size((width_mm * EMU_PER_MM) as u32, (height_mm * EMU_PER_MM) as u32))
}

/// A header row, shaded and repeated by Word on each page, then the rows; widths in mm.
fn table(header: &[String], widths: &[f32], rows: &[Vec<String>]) -> Table {
    let cell = |text: &str, width: f32, bold: bool| {
        let cell = text.split('\n').fold(TableCell::new(), |cell, line| {
            let run = Run::new().add_text(line).size(half_points(9.0));
            cell.add_paragraph(Paragraph::new().add_run(if bold { run.bold() } else { run }))
        });
        cell.width(twips(width), WidthType::Dxa)
    };
    let mut all = vec![TableRow::new(
        header.iter().zip(widths).map(|(h, w)| cell(h, *w, true).shading(Shading::new().fill("D9D9D9"))).collect(),
    )];
    all.extend(rows.iter().map(|row| TableRow::new(row.iter().zip(widths).map(|(c, w)| cell(c, *w, false)).collect())));
    Table::new(all)
        .set_grid(widths.iter().map(|w| twips(*w)).collect())
        .width(twips(CONTENT_WIDTH), WidthType::Dxa)
        .margins(TableCellMargins::new().margin(30, 60, 30, 60))
}

/// The kop surat: the logo in a narrow cell at the left, the names and contact lines centred
/// beside it, a thick rule under both.
fn letterhead(docx: Docx, doc: &Document) -> Result<Docx, String> {
    let logo_width: f32 = 24.0;
    let last = doc.kop.lines.len().saturating_sub(1);
    let mut text = TableCell::new();
    for (i, line) in doc.kop.lines.iter().enumerate() {
        let size = if i == last { 14.0 } else { 12.0 };
        text = text.add_paragraph(line_paragraph(&line.to_uppercase(), size, true, true));
    }
    for line in doc.kop_contact() {
        text = text.add_paragraph(line_paragraph(&line, 9.0, false, true));
    }
    let mut cells = Vec::new();
    let text_width = match &doc.kop.logo {
        Some(logo) => {
            let width = logo_width.min(28.0 * logo.width as f32 / logo.height as f32);
            let image =
                Paragraph::new().align(AlignmentType::Center).add_run(Run::new().add_image(picture(logo, width)?));
            cells.push(TableCell::new().add_paragraph(image).width(twips(logo_width + 4.0), WidthType::Dxa));
            CONTENT_WIDTH - logo_width - 4.0
        }
        None => CONTENT_WIDTH,
    };
    cells.push(text.width(twips(text_width), WidthType::Dxa));
    let grid =
        if doc.kop.logo.is_some() { vec![twips(logo_width + 4.0), twips(text_width)] } else { vec![twips(text_width)] };
    let rule =
        ParagraphBorder::new(ParagraphBorderPosition::Bottom).val(BorderType::ThickThinSmallGap).size(24).space(1);
    let mut under = Paragraph::new();
    under.property = under.property.set_borders(ParagraphBorders::with_empty().set(rule));
    Ok(docx.add_table(Table::without_borders(vec![TableRow::new(cells)]).set_grid(grid)).add_paragraph(under))
}

/// The signature block in the right half, each line centred in it.
fn signature(docx: Docx, doc: &Document) -> Docx {
    let lines = doc.signature_lines();
    let indent = twips(CONTENT_WIDTH - 90.0) as i32;
    let signed = !doc.signer.name.is_empty();
    let last = lines.len() - 1;
    let mut docx = docx.add_paragraph(Paragraph::new().line_spacing(LineSpacing::new().before(240)));
    for (i, line) in lines.iter().enumerate() {
        let mut run = Run::new().add_text(line);
        if i + 1 == last {
            run = run.bold();
            if signed {
                run = run.underline("single");
            }
        }
        let mut p =
            Paragraph::new().align(AlignmentType::Center).indent(Some(indent), None, None, None).keep_next(i < last);
        if line.is_empty() {
            // the room to sign
            p = p.line_spacing(LineSpacing::new().before(twips(18.0) as u32));
        }
        docx = docx.add_paragraph(p.add_run(run));
    }
    docx
}
