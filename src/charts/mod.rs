//! Charts with plotters, drawn once per chart for any backend: SVG (inline in pages) and PNG
//! (e-mail, PDF). Text uses the bundled DejaVu Sans registered with plotters, so a PNG looks the
//! same on every machine. Greys and hatching rather than colour alone, so print stays readable.

mod build;
mod draw;

use crate::fonts;
use plotters::prelude::*;
use std::sync::Once;
use thiserror::Error;

pub use build::{counts, elements, ranking, trend};
pub use draw::{Bars, ChartSpec, GradeBand, Trend};

#[derive(Debug, Error)]
pub enum ChartError {
    #[error("cannot draw the chart: {0}")]
    Draw(String),
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both are compiled in; registration only fails for a broken font file.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, fonts::REGULAR);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, fonts::BOLD);
    });
}

pub fn svg(spec: &ChartSpec) -> Result<String, ChartError> {
    register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, spec.size()).into_drawing_area();
        draw::draw(&root, spec).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present().map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    Ok(out)
}

/// The chart as RGB pixels (for PDF pages).
pub fn bitmap(spec: &ChartSpec) -> Result<(u32, u32, Vec<u8>), ChartError> {
    register_fonts();
    let (w, h) = spec.size();
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw::draw(&root, spec).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present().map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    Ok((w, h, pixels))
}

pub fn png(spec: &ChartSpec) -> Result<Vec<u8>, ChartError> {
    let (w, h, pixels) = bitmap(spec)?;
    let mut out = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut out, w, h);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| ChartError::Draw(e.to_string()))?;
        writer.write_image_data(&pixels).map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    Ok(out)
}
