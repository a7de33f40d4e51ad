//! The Markdown renderer: GitHub-flavoured Markdown that pastes into a ticket as is.

use std::io::{self, Write};

use super::Report;
use super::charts::ChartFile;

/// Renders one report or several runs; `charts` holds, per run name, the chart files written
/// with `--charts`.
pub fn render_runs(
    runs: &[(&str, &Report)],
    charts: &[(String, Vec<ChartFile>)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let _ = (runs, charts);
    writeln!(out, "not written yet")
}
