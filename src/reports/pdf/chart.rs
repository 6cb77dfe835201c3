//! A chart drawn into the page as vector graphics from its laid-out scene: sharp at any zoom
//! and in print, its text real text in the report's font.

use super::{rgb, PdfBuilder, HEIGHT, MARGIN, PT_TO_MM};
use crate::charts::{self, Rgb, Shape};
use printpdf::{Color, Line, LinePoint, Mm, Op, Point, Polygon, PolygonRing, Pt};

/// Millimetres per layout pixel: a chart laid out at `width_mm / MM_PER_PX` pixels prints its
/// 12 px labels at 9 pt, as large as the report's tables.
const MM_PER_PX: f32 = 0.265;

fn colour(c: Rgb) -> Color {
    rgb(f32::from(c.0) / 255.0, f32::from(c.1) / 255.0, f32::from(c.2) / 255.0)
}

impl PdfBuilder {
    /// `spec` laid out for, and drawn, `width_mm` wide, centred.
    pub fn chart(&mut self, spec: &charts::ChartSpec, width_mm: f32) {
        let scene = charts::layout(spec, width_mm / MM_PER_PX);
        let mm = width_mm / scene.width;
        let height = scene.height * mm;
        self.ensure(height + 2.0);
        let (left, top) = (MARGIN + (Self::content_width() - width_mm) / 2.0, self.y);
        let point = |(x, y): (f32, f32)| Point { x: Mm(left + x * mm).into(), y: Mm(HEIGHT - top - y * mm).into() };
        let path = |points: &[(f32, f32)]| -> Vec<LinePoint> {
            points.iter().map(|p| LinePoint { p: point(*p), bezier: false }).collect()
        };
        self.ops.push(Op::SaveGraphicsState);
        for shape in scene.background.iter().chain(&scene.data) {
            match shape {
                Shape::Rect { area, fill } => {
                    let corners = [
                        (area.left, area.top),
                        (area.right, area.top),
                        (area.right, area.bottom),
                        (area.left, area.bottom),
                    ];
                    self.fill(colour(*fill), path(&corners));
                }
                Shape::Line { points, width, colour: c } => {
                    self.ops.extend([
                        Op::SetOutlineColor { col: colour(*c) },
                        Op::SetOutlineThickness { pt: Pt(width * mm / PT_TO_MM) },
                        Op::DrawLine { line: Line { points: path(points), is_closed: false } },
                    ]);
                }
                Shape::Dot { centre: (x, y), radius, fill } => {
                    let corners: Vec<(f32, f32)> = (0..16)
                        .map(|i| {
                            let angle = i as f32 * std::f32::consts::TAU / 16.0;
                            (x + radius * angle.cos(), y + radius * angle.sin())
                        })
                        .collect();
                    self.fill(colour(*fill), path(&corners));
                }
            }
        }
        for label in &scene.labels {
            self.text_at(
                left + label.left() * mm,
                top + label.baseline * mm,
                label.size * mm / PT_TO_MM,
                label.bold,
                &label.text,
            );
        }
        self.ops.push(Op::RestoreGraphicsState);
        self.y += height + 3.0;
    }

    fn fill(&mut self, col: Color, ring: Vec<LinePoint>) {
        let polygon = Polygon { rings: vec![PolygonRing { points: ring }], ..Default::default() };
        self.ops.extend([Op::SetFillColor { col }, Op::DrawPolygon { polygon }]);
    }
}
