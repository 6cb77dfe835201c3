//! What a chart shows, before any layout: its texts and values. `build` makes these from
//! aggregator results; `layout` measures and places them.

use crate::domain::decimal::Rounded;

/// A grade band on the index axis, e.g. B from 76.61 to 88.31.
#[derive(Debug, Clone, PartialEq)]
pub struct GradeBand {
    pub grade: String,
    pub from: f64,
    pub to: f64,
}

/// The value axis of a chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// An index on a fixed range (NIK 25–100, a mean 1–6), with its grade bands shaded.
    Index { min: f64, max: f64, bands: Vec<GradeBand> },
    /// A count of respondents: from 0, ticks at whole numbers only.
    Count,
}

/// Labelled bars; `highlight` marks bars drawn dark (the lowest elements), named in the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub title: String,
    /// the value axis' name ("NIK", "Responden")
    pub axis: String,
    pub labels: Vec<String>,
    /// `None`: nobody answered (drawn as "–", no bar)
    pub values: Vec<Option<Rounded>>,
    pub highlight: Vec<bool>,
    /// what a dark bar means ("unsur terendah"), shown with a swatch when a bar is dark
    pub legend: Option<String>,
    pub scale: Scale,
    /// Columns when the labels fit under them (element codes); otherwise, and always when
    /// false, one row per bar with its label on the left (unit names, profile categories).
    pub columns: bool,
}

/// A line over periods, with the grade bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub title: String,
    pub axis: String,
    pub labels: Vec<String>,
    /// `None`: a period without responses (a gap in the line)
    pub values: Vec<Option<Rounded>>,
    pub scale: Scale,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChartSpec {
    Bars(Bars),
    Trend(Trend),
}

impl ChartSpec {
    pub fn title(&self) -> &str {
        match self {
            ChartSpec::Bars(b) => &b.title,
            ChartSpec::Trend(t) => &t.title,
        }
    }
}
