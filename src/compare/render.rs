//! Renders a [`Diff`]: terminal table, JSON (`rootcause.diff/v1`) or Markdown.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment};

use super::{Diff, Row};
use crate::report::table::{RenderOptions, table};

/// Decimals shown for a section's values: rates 2, latency 1, counts 0.
fn decimals(section: &str) -> usize {
    match section {
        "latency" => 1,
        "signatures" => 0,
        _ => 2,
    }
}

fn num(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.d$}"))
}

fn signed(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:+.d$}"))
}

/// The evidence column: the p-value, and the interval for percentile rows.
fn evidence(r: &Row) -> String {
    let p = match r.p_value {
        Some(p) if p < 0.0001 => "p < 0.0001".to_string(),
        Some(p) => format!("p = {p:.4}"),
        None => String::new(),
    };
    match r.interval {
        Some((lo, hi)) if p.is_empty() => format!("CI {lo:+.1}..{hi:+.1}"),
        Some((lo, hi)) => format!("{p}; CI {lo:+.1}..{hi:+.1}"),
        None => p,
    }
}

fn delta(r: &Row) -> String {
    let d = decimals(r.section);
    match r.delta_pct {
        Some(p) => format!("{} ({p:+.1}%)", signed(r.delta, d)),
        None => signed(r.delta, d),
    }
}

/// One sentence: the verdict and what regressed.
pub fn summary(d: &Diff) -> String {
    match d.verdict {
        "regression" => format!("Verdict: regression ({}).", d.regressions.join(", ")),
        "improvement" => "Verdict: improvement, no regression.".into(),
        _ => "Verdict: no regression.".into(),
    }
}

/// Terminal tables.
pub fn table_out(d: &Diff, o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Baseline:  {} ({}, {} requests)", d.base.path, d.base.from, d.base.requests)?;
    writeln!(out, "Candidate: {} ({}, {} requests)", d.cand.path, d.cand.from, d.cand.requests)?;
    writeln!(out, "{}", summary(d))?;
    for section in ["outcomes", "funnel", "latency", "signatures"] {
        let rows: Vec<&Row> = d.rows.iter().filter(|r| r.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{}", heading(section))?;
        let mut t =
            table(o, &["metric", "baseline", "candidate", "delta", "p / 95% CI", "verdict"]);
        for r in rows {
            let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
            let verdict = if r.regression {
                format!("{} ◀", r.verdict.as_str())
            } else {
                r.verdict.as_str().to_string()
            };
            t.add_row(vec![
                Cell::new(&r.metric),
                right(num(r.base, decimals(r.section))),
                right(num(r.cand, decimals(r.section))),
                right(delta(r)),
                Cell::new(evidence(r)),
                Cell::new(verdict),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    let note = format!(
        "A row is worse or better only when its one-sided test is significant at {} and the \
         change is at least {}% (latency, signature rates) or {} percentage points (rates); ◀ \
         marks a regression.",
        d.alpha, d.min_latency_change_pct, d.min_rate_change_pp
    );
    writeln!(out, "\n{}", crate::report::table::wrap(&note, usize::from(o.width), ""))
}

fn heading(section: &str) -> &'static str {
    match section {
        "outcomes" => "Outcomes (% of requests)",
        "funnel" => "Funnel (% reaching each step from the one before)",
        "latency" => "Latency of successful requests (ms)",
        _ => "Signatures (occurrences)",
    }
}

/// `--format json`.
pub fn json_out(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    writeln!(out)
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// `--format md`.
pub fn md_out(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# rootcause diff\n")?;
    writeln!(out, "{}\n", summary(d))?;
    writeln!(
        out,
        "Baseline: `{}` ({} requests). Candidate: `{}` ({} requests).",
        d.base.path.replace('`', "'"),
        d.base.requests,
        d.cand.path.replace('`', "'"),
        d.cand.requests
    )?;
    for section in ["outcomes", "funnel", "latency", "signatures"] {
        let rows: Vec<&Row> = d.rows.iter().filter(|r| r.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n## {}\n", heading(section))?;
        writeln!(out, "| metric | baseline | candidate | delta | p / 95% CI | verdict |")?;
        writeln!(out, "| --- | ---: | ---: | ---: | --- | --- |")?;
        for r in rows {
            let v = if r.regression {
                format!("**{}**", r.verdict.as_str())
            } else {
                r.verdict.as_str().into()
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                md_cell(&r.metric),
                num(r.base, decimals(r.section)),
                num(r.cand, decimals(r.section)),
                delta(r),
                evidence(r),
                v
            )?;
        }
    }
    Ok(())
}
