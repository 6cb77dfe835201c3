//! The drawing of each chart, generic over the plotters backend.

use crate::fonts;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A grade band on the index axis, e.g. B from 76.61 to 88.31.
#[derive(Debug, Clone)]
pub struct GradeBand {
    pub grade: String,
    pub from: f64,
    pub to: f64,
}

/// Labelled bars; `highlight` marks bars drawn dark (the lowest elements).
#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    pub axis: String,
    pub labels: Vec<String>,
    pub values: Vec<Option<f64>>,
    pub highlight: Vec<bool>,
    pub range: (f64, f64),
    pub bands: Vec<GradeBand>,
    /// horizontal bars (rankings, profile breakdowns) instead of columns
    pub horizontal: bool,
}

/// A line over periods, with the grade lines.
#[derive(Debug, Clone)]
pub struct Trend {
    pub title: String,
    pub axis: String,
    pub labels: Vec<String>,
    pub values: Vec<Option<f64>>,
    pub range: (f64, f64),
    pub bands: Vec<GradeBand>,
}

#[derive(Debug, Clone)]
pub enum ChartSpec {
    Bars(Bars),
    Trend(Trend),
}

const WIDTH: u32 = 640;
/// The category labels of horizontal bars, in pixels.
const LABEL_SIZE: f32 = 12.0;
const LABEL_LINE: u32 = 14;
/// The share of the width the category labels may take; a longer label wraps onto more lines.
const LABEL_SHARE: f32 = 0.42;

impl ChartSpec {
    pub fn size(&self) -> (u32, u32) {
        match self {
            ChartSpec::Bars(b) if b.horizontal => {
                (WIDTH, 70 + row_height(&label_lines(b)) * b.labels.len().max(1) as u32)
            }
            ChartSpec::Bars(_) | ChartSpec::Trend(_) => (WIDTH, 360),
        }
    }
}

/// Each bar's label as the lines it is drawn on: whole when it fits the label area, else
/// wrapped at spaces, never cut (a unit's name must be readable in full).
fn label_lines(bars: &Bars) -> Vec<Vec<String>> {
    let max = WIDTH as f32 * LABEL_SHARE;
    bars.labels
        .iter()
        .map(|label| {
            let lines = fonts::wrap(label, LABEL_SIZE, false, max);
            if lines.is_empty() {
                vec![String::new()]
            } else {
                lines
            }
        })
        .collect()
}

/// The height of one bar's row: room for its label's lines.
fn row_height(lines: &[Vec<String>]) -> u32 {
    let most = lines.iter().map(Vec::len).max().unwrap_or(1) as u32;
    26.max(most * LABEL_LINE + 8)
}

const INK: RGBColor = RGBColor(20, 20, 20);
const BAR: RGBColor = RGBColor(120, 144, 168);
const LOW: RGBColor = RGBColor(11, 47, 79);

fn band_fill(i: usize) -> RGBColor {
    // alternate light greys: bands stay distinguishable on a black-and-white printout
    if i.is_multiple_of(2) {
        RGBColor(244, 244, 244)
    } else {
        RGBColor(226, 226, 226)
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &ChartSpec) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    match spec {
        ChartSpec::Bars(bars) if bars.horizontal => horizontal(root, bars),
        ChartSpec::Bars(bars) => columns(root, bars),
        ChartSpec::Trend(trend) => line(root, trend),
    }
}

fn columns<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, bars: &Bars) -> DrawResult<DB> {
    let n = bars.labels.len().max(1) as i32;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .caption(&bars.title, ("sans-serif", 18).into_font().style(FontStyle::Bold).color(&INK))
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..f64::from(n), bars.range.0..bars.range.1)?;
    for (i, band) in bars.bands.iter().enumerate() {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, band.from.max(bars.range.0)), (f64::from(n), band.to.min(bars.range.1))],
            band_fill(i).filled(),
        )))?;
    }
    let labels = bars.labels.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .y_desc(&bars.axis)
        .x_labels(labels.len() * 2 + 1)
        .x_label_formatter(&move |x: &f64| {
            let centre = x - x.floor();
            if (centre - 0.5).abs() < 1e-6 {
                labels.get(x.floor() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 13).into_font().color(&INK))
        .axis_desc_style(("sans-serif", 13).into_font().color(&INK))
        .draw()?;
    for (i, value) in bars.values.iter().enumerate() {
        let Some(v) = value else { continue };
        let x = i as f64;
        let low = bars.highlight.get(i).copied().unwrap_or(false);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x + 0.18, bars.range.0), (x + 0.82, *v)],
            if low { LOW.filled() } else { BAR.filled() },
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{v:.2}"),
            (x + 0.5, *v),
            ("sans-serif", 11).into_font().color(&INK).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
    }
    band_labels(&mut chart, &bars.bands, f64::from(n), bars.range)?;
    Ok(())
}

fn band_labels<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    bands: &[GradeBand],
    right: f64,
    range: (f64, f64),
) -> DrawResult<DB> {
    for band in bands {
        let middle = (band.from.max(range.0) + band.to.min(range.1)) / 2.0;
        // inside the plot, at its right edge
        let at = (right - (right.abs() + 1.0) * 0.03, middle);
        chart.draw_series(std::iter::once(Text::new(
            band.grade.clone(),
            at,
            ("sans-serif", 14).into_font().style(FontStyle::Bold).color(&INK),
        )))?;
    }
    Ok(())
}

fn horizontal<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, bars: &Bars) -> DrawResult<DB> {
    let n = bars.labels.len().max(1);
    let lines = label_lines(bars);
    // Measured in the bundled font (em-based: a little wider than plotters draws, never narrower).
    let widest = lines.iter().flatten().map(|l| fonts::text_width(l, LABEL_SIZE, false)).fold(0.0, f32::max);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        // room for a value written after a bar that reaches the end of the axis
        .margin_right(40)
        .caption(&bars.title, ("sans-serif", 18).into_font().style(FontStyle::Bold).color(&INK))
        .x_label_area_size(34)
        .y_label_area_size(widest.ceil() as u32 + 14)
        .build_cartesian_2d(bars.range.0..bars.range.1, 0f64..n as f64)?;
    for (i, band) in bars.bands.iter().enumerate() {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(band.from.max(bars.range.0), 0.0), (band.to.min(bars.range.1), n as f64)],
            band_fill(i).filled(),
        )))?;
    }
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_desc(&bars.axis)
        // the category labels are drawn below, on as many lines as each needs
        .y_labels(0)
        .label_style(("sans-serif", 12).into_font().color(&INK))
        .axis_desc_style(("sans-serif", 13).into_font().color(&INK))
        .draw()?;
    for (i, label) in lines.iter().enumerate() {
        // the first bar is drawn at the top; the label's lines are centred on its bar
        let (x, y) = chart.backend_coord(&(bars.range.0, (n - 1 - i) as f64 + 0.5));
        let first = y - (label.len() as i32 - 1) * LABEL_LINE as i32 / 2;
        for (j, line) in label.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (x - 6, first + j as i32 * LABEL_LINE as i32),
                ("sans-serif", f64::from(LABEL_SIZE)).into_font().color(&INK).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
    }
    for (i, value) in bars.values.iter().enumerate() {
        let Some(v) = value else { continue };
        let y = (n - 1 - i) as f64;
        let low = bars.highlight.get(i).copied().unwrap_or(false);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(bars.range.0, y + 0.2), (*v, y + 0.8)],
            if low { LOW.filled() } else { BAR.filled() },
        )))?;
        // counts are whole numbers; indices keep two decimals
        let label = if bars.bands.is_empty() && v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        // after the bar's end, a little apart, centred on the bar
        let (x, middle) = chart.backend_coord(&(*v, y + 0.5));
        root.draw(&Text::new(
            label,
            (x + 4, middle),
            ("sans-serif", 11).into_font().color(&INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

fn line<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, trend: &Trend) -> DrawResult<DB> {
    let n = trend.labels.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .caption(&trend.title, ("sans-serif", 18).into_font().style(FontStyle::Bold).color(&INK))
        .x_label_area_size(30)
        .y_label_area_size(48)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, trend.range.0..trend.range.1)?;
    for (i, band) in trend.bands.iter().enumerate() {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-0.5, band.from.max(trend.range.0)), (n as f64 - 0.5, band.to.min(trend.range.1))],
            band_fill(i).filled(),
        )))?;
    }
    let labels = trend.labels.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .y_desc(&trend.axis)
        .x_labels(n)
        .x_label_formatter(&move |x: &f64| {
            if (x - x.round()).abs() < 1e-6 {
                labels.get(x.round() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 11).into_font().color(&INK))
        .axis_desc_style(("sans-serif", 13).into_font().color(&INK))
        .draw()?;
    for band in &trend.bands {
        if band.from > trend.range.0 {
            chart.draw_series(LineSeries::new(
                [(-0.5, band.from), (n as f64 - 0.5, band.from)],
                INK.mix(0.5).stroke_width(1),
            ))?;
        }
    }
    let points: Vec<(f64, f64)> =
        trend.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v))).collect();
    chart.draw_series(LineSeries::new(points.clone(), LOW.stroke_width(3)))?;
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 5, LOW.filled())))?;
    chart.draw_series(points.iter().map(|(x, y)| {
        Text::new(
            format!("{y:.2}"),
            (*x - 0.3, *y + (trend.range.1 - trend.range.0) * 0.03),
            ("sans-serif", 10).into_font().color(&INK),
        )
    }))?;
    band_labels(&mut chart, &trend.bands, n as f64 - 0.5, trend.range)?;
    Ok(())
}
