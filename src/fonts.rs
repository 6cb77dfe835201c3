//! The bundled font (DejaVu Sans, `assets/fonts`), so charts, posters and PDFs look the same on
//! every machine and never look up system fonts.

use ab_glyph::{Font, FontRef};

pub const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
pub const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

pub fn font(bold: bool) -> Option<FontRef<'static>> {
    // parsed once: charts measure thousands of strings
    static FACES: std::sync::OnceLock<[Option<FontRef<'static>>; 2]> = std::sync::OnceLock::new();
    let faces = FACES.get_or_init(|| [FontRef::try_from_slice(REGULAR).ok(), FontRef::try_from_slice(BOLD).ok()]);
    faces[usize::from(bold)].clone()
}

/// The printable ASCII characters, whose metrics are read once per face.
const ASCII: std::ops::RangeInclusive<char> = ' '..='~';
const ASCII_COUNT: usize = '~' as usize - ' ' as usize + 1;

/// Advance widths and kerning pairs of printable ASCII in font units: charts measure every
/// label they place, and the font's own glyph and kerning lookups were a seventh of a regency
/// dashboard's time.
struct AsciiMetrics {
    advance: [f32; ASCII_COUNT],
    /// `kern[a * ASCII_COUNT + b]`: the adjustment between `a` and a following `b`
    kern: Vec<f32>,
}

fn ascii_index(c: char) -> Option<usize> {
    ASCII.contains(&c).then(|| c as usize - ' ' as usize)
}

fn ascii_metrics(bold: bool) -> Option<&'static AsciiMetrics> {
    static METRICS: std::sync::OnceLock<[Option<AsciiMetrics>; 2]> = std::sync::OnceLock::new();
    let of = |bold: bool| {
        let font = font(bold)?;
        let ids: Vec<_> = ASCII.map(|c| font.glyph_id(c)).collect();
        let mut advance = [0.0; ASCII_COUNT];
        for (slot, id) in advance.iter_mut().zip(&ids) {
            *slot = font.h_advance_unscaled(*id);
        }
        let kern = ids.iter().flat_map(|a| ids.iter().map(|b| font.kern_unscaled(*a, *b))).collect();
        Some(AsciiMetrics { advance, kern })
    };
    METRICS.get_or_init(|| [of(false), of(true)])[usize::from(bold)].as_ref()
}

/// The advance width of `text` at `size` (any unit: the result is in the same unit).
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let (Some(font), Some(table)) = (font(bold), ascii_metrics(bold)) else {
        return text.chars().count() as f32 * size * 0.55;
    };
    let mut units = 0.0;
    let mut previous: Option<char> = None;
    for c in text.chars() {
        let ascii = ascii_index(c);
        if let Some(p) = previous {
            units += match (ascii_index(p), ascii) {
                (Some(a), Some(b)) => table.kern[a * ASCII_COUNT + b],
                _ => font.kern_unscaled(font.glyph_id(p), font.glyph_id(c)),
            };
        }
        units += match ascii {
            Some(i) => table.advance[i],
            None => font.h_advance_unscaled(font.glyph_id(c)),
        };
        previous = Some(c);
    }
    // in font units; PDF and SVG sizes are per em
    units * size / font.units_per_em().unwrap_or(2048.0)
}

/// How far the font reaches above and below the baseline, per em (DejaVu Sans: 0.93 and
/// 0.24): the ink of every glyph it draws lies between, so a line of text at size `s` fits a box
/// from `s · above` over its baseline to `s · below` under it.
pub fn vertical_extent(bold: bool) -> (f32, f32) {
    let Some(font) = font(bold) else { return (0.95, 0.25) };
    let em = font.units_per_em().unwrap_or(2048.0);
    (font.ascent_unscaled() / em, -font.descent_unscaled() / em)
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

/// `text` with every character the bundled font cannot draw (emoji, most non-Latin scripts in a
/// saran) replaced by U+FFFD, which it can, and whitespace it cannot draw (tabs, line breaks,
/// ideographic space) by a space: the PDF shows a visible mark in its place, and the rest of
/// the line stays readable to text extraction (poppler stops at a glyph without a Unicode
/// mapping). Measure and wrap the result, not the original, so widths match what is drawn.
pub fn drawable(text: &str, bold: bool) -> std::borrow::Cow<'_, str> {
    let Some(font) = font(bold) else { return text.into() };
    let substitute = |c: char| match font.glyph_id(c).0 {
        0 if c.is_whitespace() => Some(' '),
        0 => Some(char::REPLACEMENT_CHARACTER),
        _ => None,
    };
    if text.chars().all(|c| substitute(c).is_none()) {
        return text.into();
    }
    text.chars().map(|c| substitute(c).unwrap_or(c)).collect::<String>().into()
}

/// `face` cut down to the glyphs of `chars` (and what they are composed of), parsed for
/// printpdf. A PDF then carries a few kilobytes of font instead of DejaVu Sans whole (0.7 MB
/// per face): printpdf subsets only with its `text_layout` feature, which would bring a layout
/// engine and a system font lookup. Characters the font lacks are drawn as its missing glyph,
/// as they would be with the whole font.
pub fn pdf_font(face: &[u8], chars: &std::collections::BTreeSet<char>) -> Result<printpdf::ParsedFont, String> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};
    use allsorts::tables::{FontTableProvider, NameTable};
    use allsorts::tag::{CMAP, CVT, FPGM, HEAD, HHEA, HMTX, MAXP, NAME, OS_2, POST, PREP};

    let font = FontRef::try_from_slice(face).map_err(|e| format!("bundled font: {e}"))?;
    // Glyph 0 (.notdef) must come first; the rest in order, each once.
    let mut glyphs: Vec<u16> = chars.iter().map(|c| font.glyph_id(*c).0).filter(|id| *id != 0).collect();
    glyphs.sort_unstable();
    glyphs.dedup();
    glyphs.insert(0, 0);
    let data = ReadScope::new(face).read::<FontData<'_>>().map_err(|e| format!("bundled font: {e}"))?;
    let provider = data.table_provider(0).map_err(|e| format!("bundled font: {e}"))?;
    // allsorts' PDF profile plus OS/2, which printpdf reads for the font's ascent and descent.
    let tables = vec![CMAP, HEAD, CVT, FPGM, HHEA, HMTX, MAXP, NAME, POST, PREP, OS_2];
    let bytes = subset(&provider, &glyphs, &SubsetProfile::Custom(tables), CmapTarget::Unicode)
        .map_err(|e| format!("subsetting the bundled font: {e}"))?;
    let mut parsed = printpdf::ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| "the subset of the bundled font does not parse".to_string())?;
    // A subset's name carries a tag of six capitals and `+` (ISO 32000-1 §9.6.4), so readers
    // never take it for the whole font; printpdf adds it only to subsets it made itself.
    let name = provider
        .read_table_data(NAME)
        .ok()
        .and_then(|table| {
            ReadScope::new(&table)
                .read::<NameTable<'_>>()
                .ok()
                .and_then(|n| n.string_for_id(NameTable::POSTSCRIPT_NAME))
        })
        .unwrap_or_else(|| "DejaVuSans".to_string());
    parsed.font_name = Some(format!("{}+{name}", subset_tag(&bytes)));
    Ok(parsed)
}

/// Six capitals from the subset's bytes: the same subset always gets the same tag.
fn subset_tag(subset: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(subset).iter().take(6).map(|b| char::from(b'A' + b % 26)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_pdf_subset_keeps_every_drawn_character_with_its_width_and_little_else() {
        let chars: BTreeSet<char> =
            "Kepuasan Masyarakat — Kantor Camat Sangatta Utara: 76,61 (B) é ñ".chars().collect();
        for (face, bold) in [(REGULAR, false), (BOLD, true)] {
            let subset = pdf_font(face, &chars).expect("subset");
            let whole = FontRef::try_from_slice(face).expect("font");
            for c in chars.iter().filter(|c| !c.is_whitespace()) {
                let gid = subset.lookup_glyph_index(*c as u32).unwrap_or_else(|| panic!("{c:?} kept"));
                let width = subset.get_glyph_width(gid).expect("width kept");
                assert_eq!(f32::from(width), whole.h_advance_unscaled(whole.glyph_id(*c)), "{c:?} bold {bold}");
            }
            assert_eq!(subset.lookup_glyph_index('Ж' as u32), None, "characters not drawn are left out");
            assert!(subset.original_bytes.len() < face.len() / 10, "{} bytes", subset.original_bytes.len());
        }
        assert_eq!(drawable("Antrean 👍 cepat\tsekali", false), "Antrean \u{FFFD} cepat sekali");
        assert!(matches!(drawable("Sangatta — 76,61", true), std::borrow::Cow::Borrowed(_)));
        // A face nothing was drawn in still makes a valid font (the missing glyph alone).
        let empty = pdf_font(REGULAR, &BTreeSet::new()).expect("empty subset");
        assert_eq!(empty.lookup_glyph_index('A' as u32), None);
    }

    #[test]
    fn measured_widths_are_the_fonts_own_advances_and_kerning() {
        // the font's metrics glyph by glyph, as a reader of the font would add them up
        let by_font = |text: &str, size: f32, bold: bool| {
            let font = font(bold).expect("bundled");
            let ids: Vec<_> = text.chars().map(|c| font.glyph_id(c)).collect();
            let advances: f32 = ids.iter().map(|id| font.h_advance_unscaled(*id)).sum();
            let kerning: f32 = ids.windows(2).map(|w| font.kern_unscaled(w[0], w[1])).sum();
            (advances + kerning) * size / font.units_per_em().expect("em")
        };
        for bold in [false, true] {
            for text in ["AVATAR To Wa", "Dinas Kependudukan — 76,61 (B)", "Ж ü ß 👍 Yo", "", "T"] {
                let (got, expected) = (text_width(text, 11.0, bold), by_font(text, 11.0, bold));
                assert!((got - expected).abs() < 1e-3, "{text:?} bold {bold}: {got} vs {expected}");
            }
        }
        // kerning is applied: "AV" is narrower than "A" and "V" apart
        assert!(text_width("AV", 10.0, false) < text_width("A", 10.0, false) + text_width("V", 10.0, false));
    }
}
