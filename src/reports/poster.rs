//! The A4 QR poster for a unit's counter: unit name, the QR code of the public form, short
//! instructions in Bahasa Indonesia. One layout in millimetres, drawn as SVG, PNG or PDF.

use crate::fonts;
use crate::survey::Form;
use ab_glyph::{Font, PxScale, ScaleFont};
use qrcode::{Color, EcLevel, QrCode};
use thiserror::Error;

const WIDTH_MM: f32 = 210.0;
const HEIGHT_MM: f32 = 297.0;
const MARGIN_MM: f32 = 15.0;
const PT_TO_MM: f32 = 0.352_778;
/// PNG resolution: 150 dpi is sharp on paper and small enough to mail.
const PNG_DPI: f32 = 150.0;

#[derive(Debug, Error)]
pub enum PosterError {
    #[error("the address is too long for a QR code: {0}")]
    Qr(String),
    #[error("cannot write the poster: {0}")]
    Encode(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosterFormat {
    Svg,
    Png,
    Pdf,
}

impl PosterFormat {
    pub fn from_extension(ext: &str) -> Option<PosterFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "svg" => Some(PosterFormat::Svg),
            "png" => Some(PosterFormat::Png),
            "pdf" => Some(PosterFormat::Pdf),
            _ => None,
        }
    }

    pub fn content_type(&self) -> &'static str {
        match self {
            PosterFormat::Svg => "image/svg+xml",
            PosterFormat::Png => "image/png",
            PosterFormat::Pdf => "application/pdf",
        }
    }
}

pub struct Poster {
    pub unit_name: String,
    pub service_name: Option<String>,
    /// the counter (loket) the poster hangs at, whose responses it records
    pub counter_name: Option<String>,
    /// the public form's address the QR code holds
    pub url: String,
    pub legal_basis: String,
    pub questions: usize,
}

impl Poster {
    /// The poster of a unit's form (or of one of its services); `None` for an unknown service.
    pub fn for_form(form: &Form, service: Option<&str>, base_url: &str) -> Option<Poster> {
        let service = match service {
            Some(slug) => Some(form.services.iter().find(|s| s.slug == slug)?),
            None => None,
        };
        let mut url = format!("{base_url}/s/{}", form.unit.slug);
        if let Some(s) = service {
            url.push_str(&format!("?layanan={}", s.slug));
        }
        Some(Poster {
            unit_name: form.unit.name.clone(),
            service_name: service.map(|s| s.name.clone()),
            counter_name: None,
            url,
            legal_basis: form.template.legal_basis.clone(),
            questions: form.template.elements.len(),
        })
    }

    /// The same poster for one of the unit's counters: its QR code opens the form at that
    /// counter (`?loket=`), and the poster names it.
    pub fn at_counter(mut self, code: &str, name: &str) -> Poster {
        self.url.push(if self.url.contains('?') { '&' } else { '?' });
        self.url.push_str(&format!("loket={code}"));
        self.counter_name = Some(name.to_string());
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Anchor {
    Start,
    Middle,
}

/// What is drawn, in mm from the top-left corner; text `y` is the baseline.
enum Mark {
    Text { x: f32, y: f32, size_pt: f32, bold: bool, anchor: Anchor, text: String },
    Box { x: f32, y: f32, w: f32, h: f32, dark: bool },
}

fn layout(poster: &Poster) -> Result<Vec<Mark>, PosterError> {
    let mut marks = vec![Mark::Box { x: 0.0, y: 0.0, w: WIDTH_MM, h: 34.0, dark: true }];
    let center = WIDTH_MM / 2.0;
    let text = |y: f32, size_pt: f32, bold: bool, text: &str| Mark::Text {
        x: center,
        y,
        size_pt,
        bold,
        anchor: Anchor::Middle,
        text: fonts::drawable(text, bold).into_owned(),
    };
    // The title sits white on the dark band (drawn by the backends as inverted text).
    marks.push(text(16.0, 22.0, true, "SURVEI KEPUASAN MASYARAKAT"));
    marks.push(text(27.0, 13.0, false, "Bantu kami memperbaiki pelayanan"));

    let mut y = 50.0;
    // What the font cannot draw is replaced before measuring, so the lines fit as drawn.
    for line in
        fonts::wrap(&fonts::drawable(&poster.unit_name, true), 20.0 * PT_TO_MM, true, WIDTH_MM - 2.0 * MARGIN_MM)
    {
        marks.push(text(y, 20.0, true, &line));
        y += 9.0;
    }
    if let Some(service) = &poster.service_name {
        marks.push(text(y, 15.0, false, &format!("Layanan: {service}")));
        y += 8.0;
    }
    if let Some(counter) = &poster.counter_name {
        marks.push(text(y, 15.0, true, &fonts::drawable(counter, true)));
        y += 8.0;
    }

    let code = QrCode::with_error_correction_level(poster.url.as_bytes(), EcLevel::M)
        .map_err(|e| PosterError::Qr(e.to_string()))?;
    let modules = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size_mm = 120.0;
    let module_mm = size_mm / (modules + 2 * quiet) as f32;
    let (left, top) = (center - size_mm / 2.0, y + 2.0);
    for row in 0..modules {
        // one box per horizontal run of dark modules keeps the SVG and PDF small
        let mut col = 0;
        while col < modules {
            if colors[row * modules + col] == Color::Dark {
                let start = col;
                while col < modules && colors[row * modules + col] == Color::Dark {
                    col += 1;
                }
                marks.push(Mark::Box {
                    x: left + (quiet + start) as f32 * module_mm,
                    y: top + (quiet + row) as f32 * module_mm,
                    w: (col - start) as f32 * module_mm,
                    h: module_mm,
                    dark: true,
                });
            } else {
                col += 1;
            }
        }
    }
    y = top + size_mm + 6.0;
    marks.push(text(y, 11.0, false, &poster.url));
    y += 14.0;
    let steps = [
        "1. Pindai kode QR dengan kamera ponsel Anda.".to_string(),
        format!("2. Pilih layanan yang Anda terima, jawab {} pertanyaan singkat.", poster.questions),
        "3. Tekan Kirim. Jawaban Anda anonim dan sangat berarti bagi kami.".to_string(),
    ];
    for step in steps {
        for line in fonts::wrap(&step, 14.0 * PT_TO_MM, false, WIDTH_MM - 2.0 * MARGIN_MM) {
            marks.push(Mark::Text { x: MARGIN_MM, y, size_pt: 14.0, bold: false, anchor: Anchor::Start, text: line });
            y += 7.5;
        }
    }
    marks.push(text(HEIGHT_MM - MARGIN_MM, 9.0, false, &format!("Survei sesuai {}", poster.legal_basis)));
    Ok(marks)
}

/// The band at the top is dark, so text on it is drawn light.
fn on_band(y: f32) -> bool {
    y < 34.0
}

pub fn render(poster: &Poster, format: PosterFormat) -> Result<Vec<u8>, PosterError> {
    let marks = layout(poster)?;
    match format {
        PosterFormat::Svg => Ok(svg(&marks).into_bytes()),
        PosterFormat::Png => png(&marks),
        PosterFormat::Pdf => pdf(poster, &marks),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn svg(marks: &[Mark]) -> String {
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH_MM}mm\" height=\"{HEIGHT_MM}mm\" viewBox=\"0 0 {WIDTH_MM} {HEIGHT_MM}\">\n<rect width=\"{WIDTH_MM}\" height=\"{HEIGHT_MM}\" fill=\"#fff\"/>\n"
    );
    for mark in marks {
        match mark {
            Mark::Box { x, y, w, h, dark } => {
                let fill = if *dark { "#0b2f4f" } else { "#fff" };
                out.push_str(&format!(
                    "<rect x=\"{x:.3}\" y=\"{y:.3}\" width=\"{w:.3}\" height=\"{h:.3}\" fill=\"{fill}\"/>\n"
                ));
            }
            Mark::Text { x, y, size_pt, bold, anchor, text } => {
                let fill = if on_band(*y) { "#fff" } else { "#111" };
                let anchor = if *anchor == Anchor::Middle { "middle" } else { "start" };
                let weight = if *bold { "bold" } else { "normal" };
                out.push_str(&format!(
                    "<text x=\"{x:.2}\" y=\"{y:.2}\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"{:.2}\" font-weight=\"{weight}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{}</text>\n",
                    size_pt * PT_TO_MM,
                    escape(text)
                ));
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

fn start_x(x: f32, anchor: Anchor, text: &str, size_mm: f32, bold: bool) -> f32 {
    match anchor {
        Anchor::Start => x,
        Anchor::Middle => x - fonts::text_width(text, size_mm, bold) / 2.0,
    }
}

fn png(marks: &[Mark]) -> Result<Vec<u8>, PosterError> {
    let px_per_mm = PNG_DPI / 25.4;
    let (w, h) = ((WIDTH_MM * px_per_mm).round() as usize, (HEIGHT_MM * px_per_mm).round() as usize);
    let mut pixels = vec![255u8; w * h];
    for mark in marks {
        match mark {
            Mark::Box { x, y, w: bw, h: bh, dark } => {
                let value = if *dark { 0 } else { 255 };
                let (x0, y0) = ((x * px_per_mm).round() as usize, (y * px_per_mm).round() as usize);
                let (x1, y1) = (((x + bw) * px_per_mm).round() as usize, ((y + bh) * px_per_mm).round() as usize);
                for row in y0.min(h)..y1.min(h) {
                    pixels[row * w + x0.min(w)..row * w + x1.min(w)].fill(value);
                }
            }
            Mark::Text { x, y, size_pt, bold, anchor, text } => {
                let Some(font) = fonts::font(*bold) else { continue };
                let size_mm = size_pt * PT_TO_MM;
                // PxScale is the font's full height; scale it so the em matches size_mm.
                let scale =
                    PxScale::from(size_mm * px_per_mm * font.height_unscaled() / font.units_per_em().unwrap_or(2048.0));
                let scaled = font.as_scaled(scale);
                let light = on_band(*y);
                let mut pen = start_x(*x, *anchor, text, size_mm, *bold) * px_per_mm;
                let baseline = y * px_per_mm;
                for c in text.chars() {
                    let glyph = scaled.scaled_glyph(c);
                    let advance = scaled.h_advance(glyph.id);
                    let positioned = glyph.id.with_scale_and_position(scale, ab_glyph::point(pen, baseline));
                    if let Some(outline) = font.outline_glyph(positioned) {
                        let bounds = outline.px_bounds();
                        outline.draw(|gx, gy, coverage| {
                            let (px, py) = (bounds.min.x as i64 + i64::from(gx), bounds.min.y as i64 + i64::from(gy));
                            if px >= 0 && py >= 0 && (px as usize) < w && (py as usize) < h {
                                let pixel = &mut pixels[py as usize * w + px as usize];
                                let ink = (coverage.clamp(0.0, 1.0) * 255.0) as u8;
                                *pixel = if light { pixel.saturating_add(ink) } else { pixel.saturating_sub(ink) };
                            }
                        });
                    }
                    pen += advance;
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: (PNG_DPI / 0.0254).round() as u32,
            yppu: (PNG_DPI / 0.0254).round() as u32,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(|e| PosterError::Encode(e.to_string()))?;
        writer.write_image_data(&pixels).map_err(|e| PosterError::Encode(e.to_string()))?;
    }
    Ok(out)
}

fn pdf(poster: &Poster, marks: &[Mark]) -> Result<Vec<u8>, PosterError> {
    pdf_pages(&poster_title(poster), &[marks])
}

/// The PDF's title: `Poster SKM <unit>`, with the service when the poster is for one.
fn poster_title(poster: &Poster) -> String {
    match &poster.service_name {
        Some(service) => format!("Poster SKM {} — {service}", poster.unit_name),
        None => format!("Poster SKM {}", poster.unit_name),
    }
}

/// Several posters as one PDF, one A4 page each, in the order given (`skm qr --all`, the
/// regency's "Unduh semua poster"). The two faces are embedded once, with the characters of
/// every page.
pub fn render_pdf_book(posters: &[Poster]) -> Result<Vec<u8>, PosterError> {
    let pages = posters.iter().map(layout).collect::<Result<Vec<_>, _>>()?;
    let pages: Vec<&[Mark]> = pages.iter().map(Vec::as_slice).collect();
    let title = match posters {
        [one] => poster_title(one),
        _ => "Poster SKM: semua unit".to_string(),
    };
    pdf_pages(&title, &pages)
}

fn pdf_pages(title: &str, pages: &[&[Mark]]) -> Result<Vec<u8>, PosterError> {
    use printpdf::{Color as PdfColor, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, Point, Pt, Rect, Rgb, TextItem};
    let mut doc = PdfDocument::new(title);
    // Each face with only the characters drawn in it, on any page.
    let chars_in = |want_bold: bool| {
        pages
            .iter()
            .flat_map(|marks| marks.iter())
            .filter_map(|mark| match mark {
                Mark::Text { bold, text, .. } if *bold == want_bold => Some(text.chars()),
                _ => None,
            })
            .flatten()
            .collect::<std::collections::BTreeSet<char>>()
    };
    let load = |face: &[u8], bold: bool| fonts::pdf_font(face, &chars_in(bold)).map_err(PosterError::Encode);
    let regular = doc.add_font(&load(fonts::REGULAR, false)?);
    let bold = doc.add_font(&load(fonts::BOLD, true)?);
    let rgb = |r: f32, g: f32, b: f32| PdfColor::Rgb(Rgb { r, g, b, icc_profile: None });
    let mut pdf_pages = Vec::with_capacity(pages.len());
    for marks in pages {
        let mut ops = Vec::new();
        for mark in marks.iter() {
            match mark {
                Mark::Box { x, y, w, h, dark } => {
                    ops.push(Op::SetFillColor { col: if *dark { rgb(0.04, 0.18, 0.31) } else { rgb(1.0, 1.0, 1.0) } });
                    let rect =
                        Rect::from_xywh(Mm(*x).into(), Mm(HEIGHT_MM - y - h).into(), Mm(*w).into(), Mm(*h).into());
                    // A rectangle without a paint mode is only a path; fill it.
                    ops.push(Op::DrawPolygon { polygon: rect.to_polygon() });
                }
                Mark::Text { x, y, size_pt, bold: is_bold, anchor, text } => {
                    let x = start_x(*x, *anchor, text, size_pt * PT_TO_MM, *is_bold);
                    let light = on_band(*y);
                    ops.push(Op::StartTextSection);
                    ops.push(Op::SetFillColor { col: if light { rgb(1.0, 1.0, 1.0) } else { rgb(0.07, 0.07, 0.07) } });
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(if *is_bold { bold.clone() } else { regular.clone() }),
                        size: Pt(*size_pt),
                    });
                    ops.push(Op::SetTextCursor { pos: Point { x: Mm(x).into(), y: Mm(HEIGHT_MM - y).into() } });
                    ops.push(Op::ShowText { items: vec![TextItem::Text(text.clone())] });
                    ops.push(Op::EndTextSection);
                }
            }
        }
        pdf_pages.push(PdfPage::new(Mm(WIDTH_MM), Mm(HEIGHT_MM), ops));
    }
    super::pdf::save(doc, pdf_pages, chrono::Utc::now()).map_err(PosterError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poster() -> Poster {
        Poster {
            unit_name: "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kutai Timur".into(),
            service_name: Some("KTP elektronik".into()),
            counter_name: None,
            url: "https://skm.kutaitimurkab.go.id/s/disdukcapil?layanan=ktp-el".into(),
            legal_basis: "Peraturan Menteri PANRB No. 14 Tahun 2017".into(),
            questions: 9,
        }
    }

    #[test]
    fn a_counter_poster_opens_the_form_at_its_counter() {
        let png = render(&poster().at_counter("loket-1", "Loket 1 Pendaftaran"), PosterFormat::Png).expect("png");
        assert_eq!(decode_png_qr(&png), "https://skm.kutaitimurkab.go.id/s/disdukcapil?layanan=ktp-el&loket=loket-1");
    }

    /// Decodes the QR code in a rendered PNG, as a phone camera would.
    fn decode_png_qr(bytes: &[u8]) -> String {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buffer).expect("png frame");
        let (w, h) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code on the poster");
        grids[0].decode().expect("readable QR").1
    }

    #[test]
    fn the_png_poster_is_a4_and_its_qr_code_scans_to_the_form() {
        let bytes = render(&poster(), PosterFormat::Png).expect("png");
        assert_eq!(decode_png_qr(&bytes), poster().url);
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let reader = decoder.read_info().expect("header");
        assert_eq!((reader.info().width, reader.info().height), (1240, 1754));
        if let Ok(dir) = std::env::var("SKM_SAMPLES_DIR") {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(format!("{dir}/poster.png"), &bytes);
        }
    }

    #[test]
    fn the_svg_and_pdf_posters_carry_the_texts() {
        let svg = String::from_utf8(render(&poster(), PosterFormat::Svg).expect("svg")).expect("utf-8");
        assert!(svg.starts_with("<svg") && svg.contains("SURVEI KEPUASAN MASYARAKAT"));
        assert!(svg.contains("https://skm.kutaitimurkab.go.id/s/disdukcapil?layanan=ktp-el"));
        assert!(svg.contains("Layanan: KTP elektronik"));
        assert!(svg.matches("<rect").count() > 100, "QR modules drawn");
        let pdf = render(&poster(), PosterFormat::Pdf).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() > 1000);
    }

    #[test]
    fn long_unit_names_wrap() {
        let lines = fonts::wrap("Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kutai Timur", 7.0, true, 180.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| fonts::text_width(l, 7.0, true) <= 180.0));
    }
}
