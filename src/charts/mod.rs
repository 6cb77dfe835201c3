//! Charts: `build` turns aggregator results into a `spec` (what to show), `layout` places it for
//! a width as a `scene` (shapes and measured text boxes, none over another), and `draw` renders
//! the scene with plotters: SVG inline in pages (scaling to its container), PNG for e-mail. The
//! PDF report draws the same scene as vector graphics (`reports::pdf`). Text is DejaVu Sans
//! (bundled), numbers are Indonesian (`91,48`, `24.000`), and greys with dark highlights, dashed
//! grade lines and grade letters in the margin keep a black-and-white printout readable.

mod build;
mod draw;
mod layout;
mod scene;
mod spec;
#[cfg(test)]
mod tests;

use plotters::prelude::*;
use std::sync::Once;
use thiserror::Error;

pub use build::{counts, elements, ranking, ranking_titled, trend};
pub use layout::MIN_WIDTH;
pub use scene::{Align, Area, Label, Rgb, Scene, Shape};
pub use spec::{Bars, ChartSpec, GradeBand, Scale, Trend};

/// The layout width of a page's chart in a wide container (a desktop card: text a little
/// larger than laid out) and in a narrow one (a phone, a column of the public page).
pub const WIDE: f32 = 760.0;
pub const NARROW: f32 = 360.0;

#[derive(Debug, Error)]
pub enum ChartError {
    #[error("cannot draw the chart: {0}")]
    Draw(String),
}

fn failed(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// `spec` laid out `width` pixels wide (at least `MIN_WIDTH`).
pub fn layout(spec: &ChartSpec, width: f32) -> Scene {
    layout::scene(spec, width)
}

/// The chart for a page: laid out for a wide and for a narrow container, each an SVG that
/// scales to its container's width; the stylesheet shows the one that fits (`.chart-wide`,
/// `.chart-narrow`).
pub fn svg(spec: &ChartSpec) -> Result<String, ChartError> {
    Ok(svg_of(&layout(spec, WIDE), "chart-wide")? + &svg_of(&layout(spec, NARROW), "chart-narrow")?)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One scene as an SVG with a `viewBox` and no fixed size: it takes its container's width.
pub fn svg_of(scene: &Scene, class: &str) -> Result<String, ChartError> {
    let size = (scene.width.ceil() as u32, scene.height.ceil() as u32);
    register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw::shapes(&root, scene, 1.0).map_err(failed)?;
        draw::svg_labels(&root, scene).map_err(failed)?;
        root.present().map_err(failed)?;
    }
    // plotters opens with a fixed width and height; the page sizes the chart instead
    let body = out.split_once('>').map(|(_, rest)| rest).unwrap_or_default();
    let title = escape(&scene.title);
    Ok(format!(
        "<svg class=\"{class}\" viewBox=\"0 0 {} {}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" \
         role=\"img\" aria-label=\"{title}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>{body}",
        size.0, size.1
    ))
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Compiled in; registration only fails for a broken font file. Plotters sets no text
        // itself (see `draw`), but its text style looks the family up.
        let _ = plotters::style::register_font(draw::FAMILY, FontStyle::Normal, crate::fonts::REGULAR);
        let _ = plotters::style::register_font(draw::FAMILY, FontStyle::Bold, crate::fonts::BOLD);
    });
}

/// The chart laid out `width` pixels wide as RGB pixels, drawn `scale` times larger (2 for an
/// image shown `width` pixels wide on a sharp screen).
pub fn bitmap(spec: &ChartSpec, width: f32, scale: f32) -> Result<(u32, u32, Vec<u8>), ChartError> {
    let scene = layout(spec, width);
    let (w, h) = ((scene.width * scale).ceil() as u32, (scene.height * scale).ceil() as u32);
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw::shapes(&root, &scene, scale).map_err(failed)?;
        root.present().map_err(failed)?;
    }
    for label in &scene.labels {
        draw::raster_label(&mut pixels, w, label, scale);
    }
    Ok((w, h, pixels))
}

/// The chart as a PNG, laid out `width` pixels wide and drawn `scale` times larger.
pub fn png(spec: &ChartSpec, width: f32, scale: f32) -> Result<Vec<u8>, ChartError> {
    let (w, h, pixels) = bitmap(spec, width, scale)?;
    let mut out = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut out, w, h);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&pixels).map_err(failed)?;
    }
    Ok(out)
}
