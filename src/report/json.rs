//! The JSON renderer: the [`Report`] serialised as is, pretty-printed.

use std::io::{self, Write};

use super::Report;

/// Writes the report as one JSON object followed by a newline.
pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes several runs as one JSON object (schema rootcause.runs/v1) followed by a newline.
pub fn render_runs(r: &super::Runs, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
