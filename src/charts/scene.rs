//! A laid-out chart: shapes and text in pixels (origin top left), every text with the box it
//! takes in the bundled font. Every output draws from one scene — SVG, PNG and the PDF's
//! vector drawing — so what the layout checks (no two texts overlap, all inside the chart) is
//! what a reader sees.

use crate::fonts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

pub const WHITE: Rgb = Rgb(255, 255, 255);
pub const INK: Rgb = Rgb(20, 20, 20);
/// A bar: mid grey-blue, a mid grey in print.
pub const BAR: Rgb = Rgb(120, 144, 168);
/// A highlighted bar (the lowest elements) and the trend line: near black in print.
pub const DARK: Rgb = Rgb(11, 47, 79);
/// Grid lines: white over the grade bands, light grey on white.
pub const GRID: Rgb = Rgb(255, 255, 255);
pub const PLAIN_GRID: Rgb = Rgb(222, 222, 222);
/// The dashed lines between grades.
pub const GRADE_LINE: Rgb = Rgb(90, 90, 90);

/// Alternating light greys for the grade bands: distinguishable on a black-and-white printout.
pub fn band_fill(i: usize) -> Rgb {
    if i.is_multiple_of(2) {
        Rgb(238, 238, 238)
    } else {
        Rgb(222, 222, 222)
    }
}

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl Area {
    pub fn new(left: f32, top: f32, right: f32, bottom: f32) -> Area {
        Area { left: left.min(right), top: top.min(bottom), right: left.max(right), bottom: top.max(bottom) }
    }

    pub fn width(&self) -> f32 {
        self.right - self.left
    }

    pub fn height(&self) -> f32 {
        self.bottom - self.top
    }

    /// Whether the two share any area (touching edges do not).
    pub fn overlaps(&self, other: &Area) -> bool {
        self.left < other.right && other.left < self.right && self.top < other.bottom && other.top < self.bottom
    }

    pub fn contains(&self, other: &Area) -> bool {
        other.left >= self.left && other.right <= self.right && other.top >= self.top && other.bottom <= self.bottom
    }

    pub fn grown(&self, by: f32) -> Area {
        Area { left: self.left - by, top: self.top - by, right: self.right + by, bottom: self.bottom + by }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Middle,
    End,
}

/// One line of text: `x` is its start, middle or end (`align`), `baseline` its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub text: String,
    pub x: f32,
    pub baseline: f32,
    /// the em size, in pixels
    pub size: f32,
    pub bold: bool,
    pub align: Align,
}

impl Label {
    pub fn width(&self) -> f32 {
        fonts::text_width(&self.text, self.size, self.bold)
    }

    /// Where the line's text starts.
    pub fn left(&self) -> f32 {
        match self.align {
            Align::Start => self.x,
            Align::Middle => self.x - self.width() / 2.0,
            Align::End => self.x - self.width(),
        }
    }

    /// The box the line takes: its advance width, from the font's ascent to its descent.
    pub fn area(&self) -> Area {
        let (above, below) = fonts::vertical_extent(self.bold);
        let left = self.left();
        Area::new(left, self.baseline - above * self.size, left + self.width(), self.baseline + below * self.size)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Rect {
        area: Area,
        fill: Rgb,
    },
    /// An open polyline `width` pixels wide.
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        colour: Rgb,
    },
    /// A point's marker.
    Dot {
        centre: (f32, f32),
        radius: f32,
        fill: Rgb,
    },
}

impl Shape {
    /// Whether the shape covers any of `area`.
    pub fn touches(&self, area: &Area) -> bool {
        match self {
            Shape::Rect { area: own, .. } => own.overlaps(area),
            Shape::Dot { centre: (x, y), radius, .. } => {
                // the nearest point of the box to the centre
                let dx = x - x.clamp(area.left, area.right);
                let dy = y - y.clamp(area.top, area.bottom);
                dx * dx + dy * dy < radius * radius
            }
            Shape::Line { points, width, .. } => {
                let grown = area.grown(width / 2.0);
                points.windows(2).any(|w| segment_meets(w[0], w[1], &grown))
            }
        }
    }
}

/// Whether the segment from `a` to `b` passes through the inside of `area` (Liang–Barsky).
fn segment_meets(a: (f32, f32), b: (f32, f32), area: &Area) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0: f32 = 0.0;
    let mut t1: f32 = 1.0;
    for (p, q) in [(-dx, a.0 - area.left), (dx, area.right - a.0), (-dy, a.1 - area.top), (dy, area.bottom - a.1)] {
        if p == 0.0 {
            if q <= 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t0 < t1
}

/// A chart ready to draw, `width` × `height` pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: f32,
    pub height: f32,
    /// the chart's title, for the SVG's accessible name
    pub title: String,
    /// where the values are plotted
    pub plot: Area,
    /// bands, grid, axes and legend swatches, drawn first
    pub background: Vec<Shape>,
    /// bars, the trend line and its points: what no text may cover
    pub data: Vec<Shape>,
    /// every text, drawn last
    pub labels: Vec<Label>,
}

impl Scene {
    pub fn canvas(&self) -> Area {
        Area::new(0.0, 0.0, self.width, self.height)
    }

    /// Everything a reader would find wrong with the text of this chart: a text outside the
    /// chart, two texts over each other, a text over a bar or the line. Empty when readable.
    pub fn overlaps(&self) -> Vec<String> {
        let mut found = Vec::new();
        let canvas = self.canvas();
        let areas: Vec<Area> = self.labels.iter().map(Label::area).collect();
        for (i, (label, area)) in self.labels.iter().zip(&areas).enumerate() {
            if !canvas.contains(area) {
                found.push(format!("{:?} reaches outside the chart ({area:?})", label.text));
            }
            for (other, other_area) in self.labels.iter().zip(&areas).skip(i + 1) {
                if area.overlaps(other_area) {
                    found.push(format!("{:?} overlaps {:?}", label.text, other.text));
                }
            }
            if self.data.iter().any(|shape| shape.touches(area)) {
                found.push(format!("{:?} covers a bar or the line", label.text));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_meets_a_box_only_when_it_crosses_it() {
        let area = Area::new(10.0, 10.0, 20.0, 20.0);
        assert!(segment_meets((0.0, 0.0), (30.0, 30.0), &area), "the diagonal");
        assert!(segment_meets((15.0, 0.0), (15.0, 12.0), &area), "ends inside");
        assert!(!segment_meets((0.0, 0.0), (30.0, 0.0), &area), "above");
        assert!(!segment_meets((0.0, 15.0), (15.0, 0.0), &area), "past the corner");
        assert!(!segment_meets((0.0, 10.0), (30.0, 10.0), &area), "along an edge");
    }

    #[test]
    fn a_text_box_spans_the_measured_text_from_ascent_to_descent() {
        let label =
            Label { text: "91,48".into(), x: 100.0, baseline: 50.0, size: 10.0, bold: false, align: Align::End };
        let area = label.area();
        assert!((area.right - 100.0).abs() < 1e-3, "{area:?}");
        assert!(area.width() > 25.0 && area.width() < 40.0, "five digits at 10 px: {area:?}");
        assert!(area.top < 50.0 - 9.0 && area.bottom > 52.0, "{area:?}");
    }
}
