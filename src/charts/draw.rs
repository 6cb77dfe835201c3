//! Drawing a laid-out scene with plotters: shapes on any backend, text by the SVG backend (the
//! reader's browser sets it in DejaVu Sans, or a narrower sans-serif) or, for bitmaps, set here
//! from the bundled font's outlines, so a PNG's text sits exactly in the boxes the layout
//! measured.

use super::scene::{Align, Label, Rgb, Scene, Shape, WHITE};
use crate::fonts;
use ab_glyph::{point, Font, PxScale, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The font family SVG text asks for: the bundled face where the reader has it.
pub const FAMILY: &str = "DejaVu Sans, sans-serif";

fn colour(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn at(scale: f32, (x, y): (f32, f32)) -> (i32, i32) {
    ((x * scale).round() as i32, (y * scale).round() as i32)
}

/// The background and data of `scene`, every coordinate times `scale`.
pub fn shapes<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, scene: &Scene, scale: f32) -> DrawResult<DB> {
    root.fill(&colour(WHITE))?;
    for shape in scene.background.iter().chain(&scene.data) {
        match shape {
            Shape::Rect { area, fill } => {
                let corners = [at(scale, (area.left, area.top)), at(scale, (area.right, area.bottom))];
                root.draw(&Rectangle::new(corners, colour(*fill).filled()))?;
            }
            Shape::Line { points, width, colour: c } if *width > 1.5 => {
                // Each segment as a filled band, joined by round dots: plotters' bitmap backend
                // draws the first segment of a thick polyline thinner than the rest.
                let half = width / 2.0;
                for pair in points.windows(2) {
                    let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
                    let length = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt().max(f32::EPSILON);
                    let (nx, ny) = (-(y1 - y0) / length * half, (x1 - x0) / length * half);
                    let corners = [(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)];
                    let corners: Vec<(i32, i32)> = corners.iter().map(|p| at(scale, *p)).collect();
                    root.draw(&Polygon::new(corners, colour(*c).filled()))?;
                }
                for joint in points.iter().skip(1).take(points.len().saturating_sub(2)) {
                    let r = (half * scale).round() as i32;
                    root.draw(&Circle::new(at(scale, *joint), r, colour(*c).filled()))?;
                }
            }
            Shape::Line { points, width, colour: c } => {
                let points: Vec<(i32, i32)> = points.iter().map(|p| at(scale, *p)).collect();
                let stroke = ((width * scale).round() as u32).max(1);
                root.draw(&PathElement::new(points, colour(*c).stroke_width(stroke)))?;
            }
            Shape::Dot { centre, radius, fill } => {
                let r = (radius * scale).round() as i32;
                root.draw(&Circle::new(at(scale, *centre), r, colour(*fill).filled()))?;
            }
        }
    }
    Ok(())
}

/// The labels as SVG text elements (plotters writes `font-size` as the size it is given / 1.24,
/// and puts the baseline 0.76 em under a top-anchored text's position).
pub fn svg_labels<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, scene: &Scene) -> DrawResult<DB> {
    for label in &scene.labels {
        let h = match label.align {
            Align::Start => HPos::Left,
            Align::Middle => HPos::Center,
            Align::End => HPos::Right,
        };
        let style = (FAMILY, f64::from(label.size) * 1.24)
            .into_font()
            .style(if label.bold { FontStyle::Bold } else { FontStyle::Normal })
            .color(&colour(super::scene::INK))
            .pos(Pos::new(h, VPos::Top));
        let top = label.baseline - 0.76 * label.size;
        root.draw(&Text::new(label.text.clone(), (label.x.round() as i32, top.round() as i32), style))?;
    }
    Ok(())
}

/// Sets `label` into an RGB buffer `width` pixels wide, every coordinate times `scale`.
pub fn raster_label(pixels: &mut [u8], width: u32, label: &Label, scale: f32) {
    let Some(font) = fonts::font(label.bold) else { return };
    let em = font.units_per_em().unwrap_or(2048.0);
    // ab_glyph's scale is the font's height (ascent to descent), not its em
    let px = PxScale::from(label.size * scale * font.height_unscaled() / em);
    let scaled = font.as_scaled(px);
    let height = pixels.len() as u32 / 3 / width.max(1);
    let ink = super::scene::INK;
    let mut caret = label.left() * scale;
    let baseline = label.baseline * scale;
    let mut previous = None;
    for c in label.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(px, point(caret, baseline));
        caret += scaled.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else { continue };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let x = bounds.min.x as i64 + i64::from(gx);
            let y = bounds.min.y as i64 + i64::from(gy);
            if x < 0 || y < 0 || x >= i64::from(width) || y >= i64::from(height) {
                return;
            }
            let at = ((y as usize) * width as usize + x as usize) * 3;
            let cover = coverage.clamp(0.0, 1.0);
            for (channel, target) in pixels[at..at + 3].iter_mut().zip([ink.0, ink.1, ink.2]) {
                *channel = (f32::from(*channel) * (1.0 - cover) + f32::from(target) * cover).round() as u8;
            }
        });
    }
}
