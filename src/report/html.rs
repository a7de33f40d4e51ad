//! The HTML renderer: one self-contained page (inline CSS and SVG, nothing fetched).

use std::io::{self, Write};

use super::Report;

/// Renders one report or several runs as one page.
pub fn render_runs(runs: &[(&str, &Report)], out: &mut dyn Write) -> io::Result<()> {
    let _ = runs;
    writeln!(out, "<!doctype html><title>not written yet</title>")
}
