//! A survey invitation's QR code (`/u/{code}/qr.svg`, `/u/{code}/qr.png`), for a unit's service
//! system to print on the citizen's receipt: the short link only, black on white, with the
//! standard quiet zone of four modules. Medium error correction, as on the posters: a receipt
//! printer's smudges still scan.

use qrcode::{Color, EcLevel, QrCode};
use thiserror::Error;

/// pixels per module in the PNG: a 10-character link is a 25-module code, 264 px with its
/// quiet zone, about 22 mm at 300 dpi
pub const PNG_MODULE_PX: usize = 8;
const QUIET: usize = 4;

#[derive(Debug, Error)]
pub enum QrError {
    #[error("the address is too long for a QR code: {0}")]
    Qr(String),
    #[error("cannot write the PNG: {0}")]
    Encode(String),
}

fn modules(url: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code =
        QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| QrError::Qr(e.to_string()))?;
    let width = code.width();
    Ok((width, code.to_colors().into_iter().map(|c| c == Color::Dark).collect()))
}

/// The code as an SVG of `viewBox` modules (scales to any size without blur).
pub fn svg(url: &str) -> Result<String, QrError> {
    let (width, dark) = modules(url)?;
    let size = width + 2 * QUIET;
    let mut path = String::new();
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = (i % width + QUIET, i / width + QUIET);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"{px}\" height=\"{px}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        px = size * PNG_MODULE_PX,
    ))
}

/// The code as a greyscale PNG, [`PNG_MODULE_PX`] pixels per module.
pub fn png(url: &str) -> Result<Vec<u8>, QrError> {
    let (width, dark) = modules(url)?;
    let side = (width + 2 * QUIET) * PNG_MODULE_PX;
    let mut pixels = vec![255u8; side * side];
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (mx, my) = (i % width + QUIET, i / width + QUIET);
        for row in my * PNG_MODULE_PX..(my + 1) * PNG_MODULE_PX {
            pixels[row * side + mx * PNG_MODULE_PX..row * side + (mx + 1) * PNG_MODULE_PX].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| QrError::Encode(e.to_string()))?;
        writer.write_image_data(&pixels).map_err(|e| QrError::Encode(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_link_makes_a_small_square_code_in_both_formats() {
        let url = "https://skm.kutaitimurkab.go.id/u/23456789AB";
        let svg = svg(url).expect("svg");
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 ") && svg.contains("h1v1h-1z"), "{svg}");
        let png = png(url).expect("png");
        assert_eq!(&png[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let info = decoder.read_info().expect("header").info().clone();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width as usize % PNG_MODULE_PX, 0);
        assert!(info.width <= 40 * PNG_MODULE_PX as u32, "{}", info.width);
    }
}
