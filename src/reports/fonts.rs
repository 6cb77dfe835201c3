//! The bundled font (DejaVu Sans, `assets/fonts`), so charts, posters and PDFs look the same on
//! every machine and never look up system fonts.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

pub const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

pub fn font(bold: bool) -> Option<FontRef<'static>> {
    FontRef::try_from_slice(if bold { BOLD } else { REGULAR }).ok()
}

/// The advance width of `text` at `size` (any unit: the result is in the same unit).
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let Some(font) = font(bold) else { return text.chars().count() as f32 * size * 0.55 };
    let scaled = font.as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    // ab_glyph scales by the font's height; convert to the em-based size PDF and SVG use.
    width * font.height_unscaled() / font.units_per_em().unwrap_or(2048.0)
}

/// Splits `text` into lines no wider than `max_width`.
pub fn wrap(text: &str, size: f32, bold: bool, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, size, bold) > max_width && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
