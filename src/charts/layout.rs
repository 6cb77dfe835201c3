//! Places each chart kind for a width: every text measured in the bundled font, wrapped rather
//! than cut, numbers written the Indonesian way, and nothing placed over another text, a bar or
//! the line. The result is a `Scene` that every output draws from.

use super::scene::{band_fill, Align, Area, Label, Rgb, Scene, Shape, BAR, DARK, GRADE_LINE, GRID, INK, PLAIN_GRID};
use super::spec::{Bars, ChartSpec, GradeBand, Scale, Trend};
use crate::domain::decimal::Rounded;
use crate::fonts;

/// The narrowest chart laid out; a narrower request gets this width.
pub const MIN_WIDTH: f32 = 240.0;
const PAD: f32 = 10.0;
const GAP: f32 = 6.0;
const TITLE: f32 = 15.0;
/// category labels, axis names
const TEXT: f32 = 12.0;
/// values and ticks
const SMALL: f32 = 11.0;
/// grade letters
const GRADE: f32 = 13.0;
/// the thickness of a horizontal bar
const BAR_HEIGHT: f32 = 14.0;
const DOT: f32 = 4.0;

pub fn scene(spec: &ChartSpec, width: f32) -> Scene {
    let width = width.max(MIN_WIDTH);
    match spec {
        ChartSpec::Bars(bars) if bars.columns => columns(bars, width).unwrap_or_else(|| rows(bars, width)),
        ChartSpec::Bars(bars) => rows(bars, width),
        ChartSpec::Trend(trend) => line(trend, width),
    }
}

/// The distance from one line's baseline to the next.
fn pitch(size: f32) -> f32 {
    size * 1.25
}

/// The height of a line's box (ascent and descent).
fn text_height(size: f32, bold: bool) -> f32 {
    let (above, below) = fonts::vertical_extent(bold);
    (above + below) * size
}

fn width_of(text: &str, size: f32, bold: bool) -> f32 {
    fonts::text_width(text, size, bold)
}

/// `text` in lines no wider than `max`: broken at spaces, and inside a word only when the word
/// alone is wider. Never cut: every character is drawn.
fn wrap(text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let text = fonts::drawable(text, bold);
    let mut lines = Vec::new();
    for line in fonts::wrap(&text, size, bold, max) {
        if width_of(&line, size, bold) <= max {
            lines.push(line);
            continue;
        }
        let mut part = String::new();
        for c in line.chars() {
            part.push(c);
            if part.chars().count() > 1 && width_of(&part, size, bold) > max {
                part.pop();
                lines.push(std::mem::replace(&mut part, c.to_string()));
            }
        }
        lines.push(part);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn value_text(value: &Option<Rounded>) -> String {
    value.map(|v| v.format_id()).unwrap_or_else(|| "–".into())
}

/// A chart being laid out from the top down.
struct Sheet {
    width: f32,
    /// the top of the next free row
    y: f32,
    background: Vec<Shape>,
    data: Vec<Shape>,
    labels: Vec<Label>,
}

impl Sheet {
    fn new(width: f32) -> Sheet {
        Sheet { width, y: PAD, background: Vec::new(), data: Vec::new(), labels: Vec::new() }
    }

    fn label(text: &str, x: f32, baseline: f32, size: f32, bold: bool, align: Align) -> Label {
        Label { text: fonts::drawable(text, bold).into_owned(), x, baseline, size, bold, align }
    }

    /// A line whose box starts at `top`.
    fn below(&mut self, text: &str, x: f32, top: f32, size: f32, bold: bool, align: Align) {
        let (above, _) = fonts::vertical_extent(bold);
        self.labels.push(Self::label(text, x, top + above * size, size, bold, align));
    }

    /// A line whose box is centred on `middle`.
    fn centred(&mut self, text: &str, x: f32, middle: f32, size: f32, bold: bool, align: Align) {
        let (above, below) = fonts::vertical_extent(bold);
        self.labels.push(Self::label(text, x, middle + (above - below) / 2.0 * size, size, bold, align));
    }

    fn title(&mut self, title: &str) {
        for line in wrap(title, TITLE, true, self.width - 2.0 * PAD) {
            self.below(&line, self.width / 2.0, self.y, TITLE, true, Align::Middle);
            self.y += pitch(TITLE);
        }
        self.y += GAP / 2.0;
    }

    /// A dark swatch and what a dark bar means.
    fn legend(&mut self, text: &str) {
        let swatch = 11.0;
        let x = PAD + swatch + GAP;
        let lines = wrap(text, TEXT, false, self.width - x - PAD);
        let middle = self.y + pitch(TEXT) / 2.0;
        self.background.push(Shape::Rect {
            area: Area::new(PAD, middle - swatch / 2.0, PAD + swatch, middle + swatch / 2.0),
            fill: DARK,
        });
        for line in lines {
            self.centred(&line, x, self.y + pitch(TEXT) / 2.0, TEXT, false, Align::Start);
            self.y += pitch(TEXT);
        }
        self.y += GAP / 2.0;
    }

    fn finish(self, title: &str, plot: Area, bottom: f32) -> Scene {
        Scene {
            width: self.width,
            height: (bottom + PAD).ceil(),
            title: title.to_string(),
            plot,
            background: self.background,
            data: self.data,
            labels: self.labels,
        }
    }
}

/// A value axis: its range and the ticks to label.
struct Axis {
    low: f64,
    high: f64,
    ticks: Vec<(f64, String)>,
}

impl Axis {
    /// The position of `value` between `from` (the low end) and `to` (the high end).
    fn at(&self, value: f64, from: f32, to: f32) -> f32 {
        let share = ((value - self.low) / (self.high - self.low)).clamp(0.0, 1.0) as f32;
        from + (to - from) * share
    }

    /// Ticks at multiples of a round step (1, 2, 2.5 or 5 times a power of ten), the finest whose
    /// labels keep `room(label)` pixels apart on an axis `length` pixels long. Counts run from 0
    /// to the largest count and step by whole numbers only.
    fn new(scale: &Scale, largest: f64, length: f32, room: &dyn Fn(&str) -> f32) -> Axis {
        let whole = matches!(scale, Scale::Count);
        for exponent in -2i32..=15 {
            for (mantissa, extra) in [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0)] {
                let step = mantissa * 10f64.powi(exponent);
                let decimals = (-exponent).max(0) as u32 + if exponent <= 0 { extra } else { 0 };
                if whole && (step < 1.0 || decimals > 0) {
                    continue;
                }
                let (low, high) = match scale {
                    Scale::Index { min, max, .. } => (*min, *max),
                    Scale::Count => (0.0, largest.max(1.0)),
                };
                let apart = (step / (high - low)) as f32 * length;
                if apart < 8.0 {
                    continue;
                }
                let first = (low / step - 1e-9).ceil() as i64;
                let last = (high / step + 1e-9).floor() as i64;
                let ticks: Vec<(f64, String)> = (first..=last)
                    .map(|k| {
                        let value = k as f64 * step;
                        let units = (value * 10f64.powi(decimals as i32)).round() as i128;
                        (value, Rounded::from_units(units, decimals).format_id())
                    })
                    .collect();
                let needed = ticks.iter().map(|(_, t)| room(t)).fold(0.0, f32::max);
                if apart >= needed && ticks.len() >= 2 {
                    return Axis { low, high, ticks };
                }
            }
        }
        // Only for an axis too short for any two labels: its ends, unlabelled.
        let (low, high) = match scale {
            Scale::Index { min, max, .. } => (*min, *max),
            Scale::Count => (0.0, largest.max(1.0)),
        };
        Axis { low, high, ticks: Vec::new() }
    }
}

fn bands(scale: &Scale) -> &[GradeBand] {
    match scale {
        Scale::Index { bands, .. } => bands,
        Scale::Count => &[],
    }
}

/// White grid lines show over grade bands; on white they are light grey.
fn grid(scale: &Scale) -> Rgb {
    if bands(scale).is_empty() {
        PLAIN_GRID
    } else {
        GRID
    }
}

fn largest(values: &[Option<Rounded>]) -> f64 {
    values.iter().flatten().map(Rounded::to_f64).fold(0.0, f64::max)
}

/// Centres for items of `size` each, as near `wanted` as they can be without overlapping,
/// within `low..high`, in the given order.
fn spread(wanted: &[f32], size: f32, low: f32, high: f32) -> Vec<f32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by(|a, b| wanted[*a].total_cmp(&wanted[*b]));
    let mut placed: Vec<f32> = order.iter().map(|i| wanted[*i]).collect();
    let mut floor = low + size / 2.0;
    for p in placed.iter_mut() {
        *p = p.max(floor);
        floor = *p + size;
    }
    let mut ceiling = high - size / 2.0;
    for p in placed.iter_mut().rev() {
        *p = p.min(ceiling);
        ceiling = *p - size;
    }
    let mut out = vec![0.0; wanted.len()];
    for (i, p) in order.into_iter().zip(placed) {
        out[i] = p;
    }
    out
}

/// The height of the plot of a column or trend chart.
fn plot_height(width: f32) -> f32 {
    (width * 0.34).clamp(150.0, 260.0)
}

/// The value axis at the left of a column or trend chart, with its name above the tick labels
/// and room above the plot for a value over a full bar; returns the plot's left edge and top.
struct Upright {
    axis: Axis,
    plot: Area,
    /// the top of the row under the plot (category labels)
    under: f32,
}

fn upright(sheet: &mut Sheet, scale: &Scale, values: &[Option<Rounded>], axis_name: &str, letters: f32) -> Upright {
    let height = plot_height(sheet.width);
    let room = pitch(SMALL) * 2.2;
    let axis = Axis::new(scale, largest(values), height, &|_| room);
    let ticks_width = axis.ticks.iter().map(|(_, t)| width_of(t, SMALL, false)).fold(0.0, f32::max);
    let left = PAD + ticks_width + GAP;
    let right = sheet.width - PAD - letters;
    sheet.below(axis_name, PAD, sheet.y, SMALL, false, Align::Start);
    sheet.y += pitch(SMALL);
    // room for a value written over a bar that reaches the top
    let top = sheet.y + pitch(SMALL) + 2.0;
    let plot = Area::new(left, top, right, top + height);
    for (value, text) in &axis.ticks {
        let y = axis.at(*value, plot.bottom, plot.top);
        sheet.background.push(Shape::Line { points: vec![(left, y), (right, y)], width: 1.0, colour: grid(scale) });
        sheet.centred(text, left - 4.0, y, SMALL, false, Align::End);
    }
    let under = plot.bottom + text_height(SMALL, false) / 2.0 + 3.0;
    Upright { axis, plot, under }
}

/// The grade bands shaded across the plot and their letters in the margin at its right.
fn upright_bands(sheet: &mut Sheet, bands: &[GradeBand], up: &Upright, dashed: bool) {
    let (axis, plot) = (&up.axis, &up.plot);
    let visible: Vec<(usize, &GradeBand, f32, f32)> = bands
        .iter()
        .enumerate()
        .filter(|(_, b)| b.to > axis.low && b.from < axis.high)
        .map(|(i, b)| (i, b, axis.at(b.to, plot.bottom, plot.top), axis.at(b.from, plot.bottom, plot.top)))
        .collect();
    for (i, _, top, bottom) in &visible {
        let area = Area::new(plot.left, *top, plot.right, *bottom);
        sheet.background.insert(0, Shape::Rect { area, fill: band_fill(*i) });
    }
    if dashed {
        for (_, band, _, bottom) in &visible {
            if band.from > axis.low {
                dashes(sheet, (plot.left, *bottom), plot.right);
            }
        }
    }
    let size = text_height(GRADE, true) + 1.0;
    let wanted: Vec<f32> = visible.iter().map(|(_, _, top, bottom)| (top + bottom) / 2.0).collect();
    let centres = spread(&wanted, size, plot.top - pitch(SMALL), plot.bottom);
    for ((_, band, _, _), y) in visible.iter().zip(centres) {
        sheet.centred(&band.grade, plot.right + GAP, y, GRADE, true, Align::Start);
    }
}

/// A dashed horizontal line from `from` to `to_x`: dashes are separate segments, so every
/// output draws them alike.
fn dashes(sheet: &mut Sheet, from: (f32, f32), to_x: f32) {
    let mut x = from.0;
    while x < to_x {
        let end = (x + 5.0).min(to_x);
        sheet.background.push(Shape::Line { points: vec![(x, from.1), (end, from.1)], width: 1.0, colour: GRADE_LINE });
        x += 9.0;
    }
}

/// The width the grade letters take at the right of a plot (none without bands).
fn letters_width(bands: &[GradeBand]) -> f32 {
    let widest = bands.iter().map(|b| width_of(&b.grade, GRADE, true)).fold(0.0, f32::max);
    if widest > 0.0 {
        GAP + widest
    } else {
        0.0
    }
}

fn bar_fill(bars: &Bars, i: usize) -> Rgb {
    if bars.highlight.get(i).copied().unwrap_or(false) {
        DARK
    } else {
        BAR
    }
}

fn heading(sheet: &mut Sheet, bars: &Bars) {
    sheet.title(&bars.title);
    if let Some(legend) = bars.legend.as_deref().filter(|_| bars.highlight.iter().any(|h| *h)) {
        sheet.legend(legend);
    }
}

/// One column per value with its label under it; `None` when a label or value is wider than
/// its column (the caller then draws rows).
fn columns(bars: &Bars, width: f32) -> Option<Scene> {
    let n = bars.labels.len().max(1);
    let letters = letters_width(bands(&bars.scale));
    // the slot each column gets, before the tick labels' width is known (a lower bound)
    let texts: Vec<String> = bars.values.iter().map(value_text).collect();
    let labels: Vec<String> = bars.labels.iter().map(|l| fonts::drawable(l, false).into_owned()).collect();
    let mut sheet = Sheet::new(width);
    heading(&mut sheet, bars);
    let up = upright(&mut sheet, &bars.scale, &bars.values, &bars.axis, letters);
    let plot = up.plot;
    let slot = plot.width() / n as f32;
    let fits = |t: &str, size: f32| width_of(t, size, false) + 4.0 <= slot;
    if !texts.iter().all(|t| fits(t, SMALL)) || !labels.iter().all(|l| fits(l, TEXT)) {
        return None;
    }
    upright_bands(&mut sheet, bands(&bars.scale), &up, false);
    for (i, value) in bars.values.iter().enumerate() {
        let x = plot.left + i as f32 * slot;
        let top = value.map(|v| up.axis.at(v.to_f64(), plot.bottom, plot.top)).unwrap_or(plot.bottom);
        if top < plot.bottom {
            let area = Area::new(x + 0.18 * slot, top, x + 0.82 * slot, plot.bottom);
            sheet.data.push(Shape::Rect { area, fill: bar_fill(bars, i) });
        }
        let (_, below) = fonts::vertical_extent(false);
        let baseline = top - 3.0 - below * SMALL;
        sheet.labels.push(Sheet::label(&texts[i], x + slot / 2.0, baseline, SMALL, false, Align::Middle));
    }
    sheet.background.push(Shape::Line {
        points: vec![(plot.left, plot.bottom), (plot.right, plot.bottom)],
        width: 1.0,
        colour: INK,
    });
    for (i, label) in labels.iter().enumerate() {
        sheet.below(label, plot.left + (i as f32 + 0.5) * slot, up.under, TEXT, false, Align::Middle);
    }
    let bottom = up.under + pitch(TEXT);
    Some(sheet.finish(&bars.title, plot, bottom))
}

/// One row per value: its label wrapped at the left, the bar, the value after the bar; the
/// axis' ticks and name under the plot, the grade letters over it.
fn rows(bars: &Bars, width: f32) -> Scene {
    let mut sheet = Sheet::new(width);
    heading(&mut sheet, bars);
    let texts: Vec<String> = bars.values.iter().map(value_text).collect();
    let value_width = texts.iter().map(|t| width_of(t, SMALL, false)).fold(0.0, f32::max);
    // Labels take at most this share of the width, so the bars keep room.
    let share = if width < 480.0 { 0.45 } else { 0.38 };
    let lines: Vec<Vec<String>> = bars.labels.iter().map(|l| wrap(l, TEXT, false, width * share)).collect();
    let label_width = lines.iter().flatten().map(|l| width_of(l, TEXT, false)).fold(0.0, f32::max);
    let left = PAD + label_width + GAP;
    // a few round ticks, not a ruler
    let room = |t: &str| (width_of(t, SMALL, false) + 2.0 * GAP).max(56.0);
    // The value after the longest bar and half the last tick label must fit at the right.
    let mut right = width - PAD - value_width - 4.0;
    let mut axis = Axis::new(&bars.scale, largest(&bars.values), right - left, &room);
    for _ in 0..3 {
        let half_tick = axis.ticks.last().map(|(_, t)| width_of(t, SMALL, false) / 2.0).unwrap_or(0.0);
        let wanted = width - PAD - (value_width + 4.0).max(half_tick);
        if wanted >= right {
            break;
        }
        right = wanted;
        axis = Axis::new(&bars.scale, largest(&bars.values), right - left, &room);
    }
    let x_of = |v: f64| axis.at(v, left, right);
    let visible: Vec<(usize, &GradeBand)> =
        bands(&bars.scale).iter().enumerate().filter(|(_, b)| b.to > axis.low && b.from < axis.high).collect();
    if !visible.is_empty() {
        let wanted: Vec<f32> = visible.iter().map(|(_, b)| (x_of(b.from) + x_of(b.to)) / 2.0).collect();
        let widest = visible.iter().map(|(_, b)| width_of(&b.grade, GRADE, true)).fold(0.0, f32::max);
        let centres = spread(&wanted, widest + GAP, PAD, width - PAD);
        for ((_, band), x) in visible.iter().zip(centres) {
            sheet.below(&band.grade, x, sheet.y, GRADE, true, Align::Middle);
        }
        sheet.y += pitch(GRADE) + 2.0;
    }
    let top = sheet.y;
    let mut y = top;
    for (i, label) in lines.iter().enumerate() {
        let height = (label.len() as f32 * pitch(TEXT)).max(BAR_HEIGHT) + 8.0;
        let middle = y + height / 2.0;
        for (j, text) in label.iter().enumerate() {
            let offset = (j as f32 - (label.len() as f32 - 1.0) / 2.0) * pitch(TEXT);
            sheet.centred(text, left - GAP, middle + offset, TEXT, false, Align::End);
        }
        let value = bars.values.get(i).copied().flatten();
        let end = value.map(|v| x_of(v.to_f64())).unwrap_or(left);
        if end > left {
            let area = Area::new(left, middle - BAR_HEIGHT / 2.0, end, middle + BAR_HEIGHT / 2.0);
            sheet.data.push(Shape::Rect { area, fill: bar_fill(bars, i) });
        }
        sheet.centred(&texts[i], end + 4.0, middle, SMALL, false, Align::Start);
        y += height;
    }
    if lines.is_empty() {
        y += BAR_HEIGHT + 8.0;
    }
    let plot = Area::new(left, top, right, y);
    for (i, band) in &visible {
        let area = Area::new(x_of(band.from.max(axis.low)), top, x_of(band.to.min(axis.high)), y);
        sheet.background.insert(0, Shape::Rect { area, fill: band_fill(*i) });
    }
    let (_, below) = fonts::vertical_extent(false);
    for (value, text) in &axis.ticks {
        let x = x_of(*value);
        sheet.background.push(Shape::Line { points: vec![(x, top), (x, y)], width: 1.0, colour: grid(&bars.scale) });
        sheet.below(text, x, y + 3.0, SMALL, false, Align::Middle);
    }
    sheet.background.push(Shape::Line { points: vec![(left, top), (left, y)], width: 1.0, colour: INK });
    let name_top = y + 3.0 + text_height(SMALL, false) + below + 2.0;
    sheet.below(&bars.axis, (left + right) / 2.0, name_top, TEXT, false, Align::Middle);
    sheet.finish(&bars.title, plot, name_top + pitch(TEXT))
}

/// The trend: a dark line with a dot per period, grade lines dashed, each value written where
/// it covers neither the line nor another text (left out where no such place is free).
fn line(trend: &Trend, width: f32) -> Scene {
    let n = trend.labels.len().max(1);
    let mut sheet = Sheet::new(width);
    sheet.title(&trend.title);
    let up = upright(&mut sheet, &trend.scale, &trend.values, &trend.axis, letters_width(bands(&trend.scale)));
    let plot = up.plot;
    upright_bands(&mut sheet, bands(&trend.scale), &up, true);
    sheet.background.push(Shape::Line {
        points: vec![(plot.left, plot.bottom), (plot.right, plot.bottom)],
        width: 1.0,
        colour: INK,
    });
    let slot = plot.width() / n as f32;
    let x_of = |i: usize| plot.left + (i as f32 + 0.5) * slot;
    period_labels(&mut sheet, &trend.labels, &x_of, up.under);
    let points: Vec<Option<(f32, f32)>> = trend
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| v.map(|v| (x_of(i), up.axis.at(v.to_f64(), plot.bottom, plot.top))))
        .collect();
    // consecutive periods joined; a period without responses leaves a gap
    for run in points.split(Option::is_none) {
        let run: Vec<(f32, f32)> = run.iter().flatten().copied().collect();
        if run.len() > 1 {
            sheet.data.push(Shape::Line { points: run, width: 2.5, colour: DARK });
        }
    }
    for p in points.iter().flatten() {
        sheet.data.push(Shape::Dot { centre: *p, radius: DOT, fill: DARK });
    }
    // The latest period first, wherever there is room: it is the one a reader looks for. The
    // others over their point (under it in a valley), or not at all where that place is taken.
    let present: Vec<usize> = (0..points.len()).filter(|i| points[*i].is_some()).collect();
    let canvas = Area::new(0.0, 0.0, width, up.under + pitch(SMALL));
    for (k, i) in present.iter().rev().take(1).chain(present.iter().rev().skip(1).rev()).enumerate() {
        let (Some(p), Some(value)) = (points[*i], trend.values[*i]) else { continue };
        let neighbour = |j: Option<usize>| j.and_then(|j| points.get(j).copied().flatten()).map(|q| q.1);
        let (before, after) = (neighbour(i.checked_sub(1)), neighbour(Some(i + 1)));
        // a valley: lower (further down) than a neighbour and not higher than the other
        let valley =
            [before, after].iter().flatten().any(|y| p.1 > *y) && [before, after].iter().flatten().all(|y| p.1 >= *y);
        let places = if k == 0 {
            Places::Any
        } else if valley {
            Places::Under
        } else {
            Places::Over
        };
        if let Some(label) = free_place(&sheet, p, &value.format_id(), &canvas, places) {
            sheet.labels.push(label);
        }
    }
    let bottom = up.under + pitch(SMALL);
    sheet.finish(&trend.title, plot, bottom)
}

/// The periods' names under the plot: every `k`th, the latest always, with the smallest `k` that
/// keeps them apart and inside the chart.
fn period_labels(sheet: &mut Sheet, labels: &[String], x_of: &dyn Fn(usize) -> f32, top: f32) {
    let n = labels.len();
    let widths: Vec<f32> = labels.iter().map(|l| width_of(l, SMALL, false)).collect();
    let (low, high) = (PAD / 2.0, sheet.width - PAD / 2.0);
    for k in 1..=n.max(1) {
        let chosen: Vec<(usize, f32)> = (0..n)
            .filter(|i| (n - 1 - i).is_multiple_of(k))
            .map(|i| {
                let half = widths[i] / 2.0;
                (i, x_of(i).clamp(low + half, (high - half).max(low + half)))
            })
            .collect();
        let apart = chosen.windows(2).all(|w| {
            let (a, b) = (w[0], w[1]);
            b.1 - widths[b.0] / 2.0 - (a.1 + widths[a.0] / 2.0) >= GAP
        });
        if apart || k == n {
            for (i, x) in chosen {
                sheet.below(&labels[i], x, top, SMALL, false, Align::Middle);
            }
            return;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Places {
    Any,
    Over,
    Under,
}

/// A place for a point's value near it — over it, under it or beside it, as `places` allows —
/// that keeps clear of other texts and the line, inside `canvas`.
fn free_place(sheet: &Sheet, (x, y): (f32, f32), text: &str, canvas: &Area, places: Places) -> Option<Label> {
    let (above, below) = fonts::vertical_extent(false);
    let over = y - DOT - 3.0 - below * SMALL;
    let under = y + DOT + 3.0 + above * SMALL;
    let side = y + (above - below) / 2.0 * SMALL;
    let over_places = [(x, over, Align::Middle), (x + DOT, over, Align::End), (x - DOT, over, Align::Start)];
    let under_places = [(x, under, Align::Middle), (x + DOT, under, Align::End), (x - DOT, under, Align::Start)];
    let side_places = [(x - DOT - 3.0, side, Align::End), (x + DOT + 3.0, side, Align::Start)];
    let candidates: Vec<(f32, f32, Align)> = match places {
        Places::Any => over_places.into_iter().chain(under_places).chain(side_places).collect(),
        // centred, or the value could be read as its neighbour's
        Places::Over => vec![over_places[0]],
        Places::Under => vec![under_places[0]],
    };
    candidates.into_iter().map(|(x, baseline, align)| Sheet::label(text, x, baseline, SMALL, false, align)).find(
        |label| {
            let area = label.area();
            let clear = area.grown(GAP / 2.0);
            canvas.contains(&area)
                && !sheet.labels.iter().any(|other| other.area().overlaps(&clear))
                && !sheet.data.iter().any(|shape| shape.touches(&clear))
        },
    )
}
