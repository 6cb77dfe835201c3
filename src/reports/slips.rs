//! Pre-printed invitation slips (issue 19, point 2; `skm invitations --out slips.pdf`): A4 pages
//! of 2 × 4 slips with cut marks, each with the unit's name, a short invitation, the QR code of
//! its one-time short link (`/u/{code}`, the symbol 28 mm wide), the link and the code written
//! out in fixed-pitch groups (`ABC-DEF-GHJK`, from an alphabet without look-alike characters) and
//! the expiry date. One slip opens the form once.

use crate::fonts;
use qrcode::{Color, EcLevel, QrCode};
use std::collections::BTreeSet;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
/// the printable area's margin: printers do not print to the edge; the cut marks live here
const MARGIN: f32 = 10.0;
pub const COLUMNS: usize = 2;
pub const ROWS: usize = 4;
pub const PER_PAGE: usize = COLUMNS * ROWS;
const SLIP_W: f32 = (PAGE_W - 2.0 * MARGIN) / COLUMNS as f32;
const SLIP_H: f32 = (PAGE_H - 2.0 * MARGIN) / ROWS as f32;
/// the QR symbol's side without its quiet zone (which the slip's white space gives)
pub const QR_MM: f32 = 28.0;
const PT: f32 = 0.352_778;
const PAD: f32 = 5.0;

/// One slip: its code, short link and the expiry date as printed.
#[derive(Debug, Clone)]
pub struct Slip {
    /// the code grouped for reading (`ABC-DEF-GHJK`)
    pub code: String,
    pub url: String,
    /// "15 Desember 2026"
    pub expires: String,
}

/// The slips of one run: every slip of the same unit (and service and counter, if named).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub unit_name: String,
    /// "Layanan: KTP elektronik · Loket 1", when the slips name them
    pub note: Option<String>,
    pub slips: Vec<Slip>,
}

/// What is drawn, in mm from the page's top-left corner; text `y` is the baseline.
enum Mark {
    Text {
        x: f32,
        y: f32,
        size_pt: f32,
        bold: bool,
        text: String,
    },
    /// a filled rectangle (QR modules, cut marks' hairlines)
    Box {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: f32,
    },
}

fn cut_marks(marks: &mut Vec<Mark>) {
    let (arm, hair, gap) = (4.0, 0.2, 1.0);
    let xs: Vec<f32> = (0..=COLUMNS).map(|c| MARGIN + c as f32 * SLIP_W).collect();
    let ys: Vec<f32> = (0..=ROWS).map(|r| MARGIN + r as f32 * SLIP_H).collect();
    // in the margins, outside the slips: where the guillotine goes
    for x in &xs {
        marks.push(Mark::Box { x: x - hair / 2.0, y: MARGIN - gap - arm, w: hair, h: arm, grey: 0.0 });
        marks.push(Mark::Box { x: x - hair / 2.0, y: PAGE_H - MARGIN + gap, w: hair, h: arm, grey: 0.0 });
    }
    for y in &ys {
        marks.push(Mark::Box { x: MARGIN - gap - arm, y: y - hair / 2.0, w: arm, h: hair, grey: 0.0 });
        marks.push(Mark::Box { x: PAGE_W - MARGIN + gap, y: y - hair / 2.0, w: arm, h: hair, grey: 0.0 });
    }
    // small crosses where inner lines meet, and light guide lines between slips (for scissors)
    for x in &xs[1..COLUMNS] {
        marks.push(Mark::Box { x: x - 0.05, y: MARGIN, w: 0.1, h: PAGE_H - 2.0 * MARGIN, grey: 0.8 });
    }
    for y in &ys[1..ROWS] {
        marks.push(Mark::Box { x: MARGIN, y: y - 0.05, w: PAGE_W - 2.0 * MARGIN, h: 0.1, grey: 0.8 });
    }
    for x in &xs[1..COLUMNS] {
        for y in &ys[1..ROWS] {
            marks.push(Mark::Box { x: x - hair / 2.0, y: y - 2.0, w: hair, h: 4.0, grey: 0.0 });
            marks.push(Mark::Box { x: x - 2.0, y: y - hair / 2.0, w: 4.0, h: hair, grey: 0.0 });
        }
    }
}

fn qr(marks: &mut Vec<Mark>, url: &str, left: f32, top: f32) -> Result<(), String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    let module = QR_MM / modules as f32;
    for row in 0..modules {
        let mut col = 0;
        while col < modules {
            if colors[row * modules + col] == Color::Dark {
                let start = col;
                while col < modules && colors[row * modules + col] == Color::Dark {
                    col += 1;
                }
                marks.push(Mark::Box {
                    x: left + start as f32 * module,
                    y: top + row as f32 * module,
                    w: (col - start) as f32 * module,
                    h: module,
                    grey: 0.0,
                });
            } else {
                col += 1;
            }
        }
    }
    Ok(())
}

fn slip(marks: &mut Vec<Mark>, sheet: &Sheet, slip: &Slip, x0: f32, y0: f32) -> Result<(), String> {
    let text = |x: f32, y: f32, size_pt: f32, bold: bool, text: &str| Mark::Text {
        x,
        y,
        size_pt,
        bold,
        text: fonts::drawable(text, bold).into_owned(),
    };
    let width = SLIP_W - 2.0 * PAD;
    marks.push(text(x0 + PAD, y0 + PAD + 2.5, 7.0, true, "SURVEI KEPUASAN MASYARAKAT"));
    let mut y = y0 + PAD + 6.5;
    let unit = fonts::drawable(&sheet.unit_name, true).into_owned();
    for line in fonts::wrap(&unit, 9.0 * PT, true, width).into_iter().take(2) {
        marks.push(text(x0 + PAD, y, 9.0, true, &line));
        y += 3.8;
    }
    let qr_left = x0 + PAD + 1.0;
    let qr_top = y0 + 19.0;
    qr(marks, &slip.url, qr_left, qr_top)?;
    // beside the code: the invitation, the code to type, the expiry
    let right = qr_left + QR_MM + 5.0;
    let column = x0 + SLIP_W - PAD - right;
    let mut y = qr_top + 3.5;
    for line in fonts::wrap("Bantu kami meningkatkan pelayanan — isi survei singkat", 10.0 * PT, true, column) {
        marks.push(text(right, y, 10.0, true, &line));
        y += 4.4;
    }
    y += 2.0;
    marks.push(text(right, y, 7.0, false, "Kode undangan:"));
    y += 5.5;
    // fixed pitch, each character centred in its cell: a monospace look from DejaVu Sans
    let size = 12.0;
    let pitch = 3.55;
    for (i, c) in slip.code.chars().enumerate() {
        let s = c.to_string();
        let offset = (pitch - fonts::text_width(&s, size * PT, true)) / 2.0;
        marks.push(text(right + i as f32 * pitch + offset, y, size, true, &s));
    }
    y += 5.0;
    marks.push(text(right, y, 7.5, false, &format!("Berlaku sampai {}", slip.expires)));
    // under the code: the link to type, and what the slip is
    // below the QR code's quiet zone (4 modules, about 4 mm)
    let mut y = qr_top + QR_MM + 7.0;
    marks.push(text(x0 + PAD, y, 8.0, false, &slip.url));
    y += 3.8;
    let mut note =
        "Pindai kode QR atau buka tautan di atas. Satu kode untuk satu jawaban; jawaban Anda anonim.".to_string();
    if let Some(extra) = &sheet.note {
        note = format!("{extra}. {note}");
    }
    for line in fonts::wrap(&fonts::drawable(&note, false), 6.5 * PT, false, width).into_iter().take(3) {
        marks.push(text(x0 + PAD, y, 6.5, false, &line));
        y += 2.9;
    }
    Ok(())
}

fn pages(sheet: &Sheet) -> Result<Vec<Vec<Mark>>, String> {
    sheet
        .slips
        .chunks(PER_PAGE)
        .map(|chunk| {
            let mut marks = Vec::new();
            cut_marks(&mut marks);
            for (i, s) in chunk.iter().enumerate() {
                let (col, row) = (i % COLUMNS, i / COLUMNS);
                slip(&mut marks, sheet, s, MARGIN + col as f32 * SLIP_W, MARGIN + row as f32 * SLIP_H)?;
            }
            Ok(marks)
        })
        .collect()
}

/// The slips as an A4 PDF, [`PER_PAGE`] to a page, in the order given.
pub fn render(sheet: &Sheet) -> Result<Vec<u8>, String> {
    use printpdf::{Color as PdfColor, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, Point, Pt, Rect, Rgb, TextItem};
    let pages = pages(sheet)?;
    let mut doc = PdfDocument::new(&format!("Slip undangan survei {}", sheet.unit_name));
    let chars_in = |want_bold: bool| {
        pages
            .iter()
            .flatten()
            .filter_map(|m| match m {
                Mark::Text { bold, text, .. } if *bold == want_bold => Some(text.chars()),
                _ => None,
            })
            .flatten()
            .collect::<BTreeSet<char>>()
    };
    let regular = doc.add_font(&fonts::pdf_font(fonts::REGULAR, &chars_in(false))?);
    let bold = doc.add_font(&fonts::pdf_font(fonts::BOLD, &chars_in(true))?);
    let grey = |g: f32| PdfColor::Rgb(Rgb { r: g, g, b: g, icc_profile: None });
    let mut pdf_pages = Vec::with_capacity(pages.len());
    for marks in &pages {
        let mut ops = Vec::new();
        for mark in marks {
            match mark {
                Mark::Box { x, y, w, h, grey: g } => {
                    ops.push(Op::SetFillColor { col: grey(*g) });
                    let rect = Rect::from_xywh(Mm(*x).into(), Mm(PAGE_H - y - h).into(), Mm(*w).into(), Mm(*h).into());
                    ops.push(Op::DrawPolygon { polygon: rect.to_polygon() });
                }
                Mark::Text { x, y, size_pt, bold: is_bold, text } => {
                    ops.push(Op::StartTextSection);
                    ops.push(Op::SetFillColor { col: grey(0.07) });
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(if *is_bold { bold.clone() } else { regular.clone() }),
                        size: Pt(*size_pt),
                    });
                    ops.push(Op::SetTextCursor { pos: Point { x: Mm(*x).into(), y: Mm(PAGE_H - y).into() } });
                    ops.push(Op::ShowText { items: vec![TextItem::Text(text.clone())] });
                    ops.push(Op::EndTextSection);
                }
            }
        }
        pdf_pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    super::pdf::save(doc, pdf_pages, chrono::Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(n: usize) -> Sheet {
        Sheet {
            unit_name: "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kutai Timur".into(),
            note: Some("Layanan: KTP elektronik".into()),
            slips: (0..n)
                .map(|i| Slip {
                    code: format!("ABC-DEF-GH{:02}", i),
                    url: format!("https://skm.kutaitimurkab.go.id/u/ABCDEFGH{:02}", i),
                    expires: "15 Desember 2026".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn eight_slips_a_page_and_every_slip_fits_its_cell() {
        assert_eq!(pages(&sheet(9)).expect("pages").len(), 2);
        let pages = pages(&sheet(8)).expect("pages");
        assert_eq!(pages.len(), 1);
        for m in &pages[0] {
            match m {
                Mark::Box { x, y, w, h, .. } => {
                    assert!(*x >= 0.0 && *y >= 0.0 && x + w <= PAGE_W && y + h <= PAGE_H)
                }
                Mark::Text { x, y, text, size_pt, bold } => {
                    // within its slip: its column, and above its row's bottom edge
                    let col = ((x - MARGIN) / SLIP_W).floor();
                    let right = MARGIN + (col + 1.0) * SLIP_W;
                    assert!(x + fonts::text_width(text, size_pt * PT, *bold) <= right + 0.01, "{text}");
                    let row = ((y - MARGIN) / SLIP_H).floor();
                    assert!(*y <= MARGIN + (row + 1.0) * SLIP_H - 2.0, "{text} at {y}");
                }
            }
        }
        let pdf = render(&sheet(3)).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn each_slips_qr_code_scans_to_its_short_link_and_is_at_least_25_mm() {
        const { assert!(QR_MM >= 25.0) };
        let sheet = sheet(2);
        let pages = pages(&sheet).expect("pages");
        // the page's dark boxes rasterised at 8 px/mm, as a phone would see the print
        let px = 8.0;
        let (w, h) = ((PAGE_W * px) as usize, (PAGE_H * px) as usize);
        let mut pixels = vec![255u8; w * h];
        for m in &pages[0] {
            if let Mark::Box { x, y, w: bw, h: bh, grey } = m {
                if *grey > 0.5 || *bw < 0.5 && *bh < 0.5 {
                    continue;
                }
                let (x0, y0) = ((x * px).round() as usize, (y * px).round() as usize);
                let (x1, y1) = (((x + bw) * px).round() as usize, ((y + bh) * px).round() as usize);
                for row in y0.min(h)..y1.min(h) {
                    pixels[row * w + x0.min(w)..row * w + x1.min(w)].fill(0);
                }
            }
        }
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let mut found: Vec<String> =
            image.detect_grids().iter().filter_map(|g| g.decode().ok()).map(|(_, text)| text).collect();
        found.sort();
        assert_eq!(found, vec![sheet.slips[0].url.clone(), sheet.slips[1].url.clone()]);
    }
}
