//! The seed report's load-test tables, for one run or several side by side.
//!
//! With one run each table has the seed's columns; with several, each column is repeated once
//! per run, its header naming the run on its first line ("one column group per run"). Rows are
//! the union of every run's rows, in order; a run without a row shows `-`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Table};

use super::prose::{self, FAILURE_COLUMNS, LATENCY_COLUMNS, PHASE_COLUMNS, THROUGHPUT_COLUMNS};
use super::table::{RenderOptions, heading, table, wrap};
use super::{LatencySummary, LoadTestOut, OutcomeRow};

/// One run's tables, with the name its columns are grouped under.
pub struct Run<'a> {
    /// Name shown above its columns (empty for a single run).
    pub name: &'a str,
    /// Its tables.
    pub lt: &'a LoadTestOut,
}

/// The outcome columns of one run, in the order of [`super::Columns::values`].
pub(super) const OUTCOME_COLUMNS: [&str; 5] =
    ["Success (200)", "No response", "404", "500", "other"];
/// The same, narrower, for several runs side by side.
const SHORT_COLUMNS: [&str; 5] = ["200", "no resp", "404", "500", "other"];

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

/// `12.5` → "12.5", `50.0` → "50".
pub fn offset(ms: f64) -> String {
    if ms.fract() == 0.0 { format!("{ms:.0}") } else { format!("{ms}") }
}

/// Run names longer than this are shown as letters, with a legend.
const MAX_LABEL: usize = 10;

/// The label over each run's columns: its name, or a letter when some name is long.
fn labels(runs: &[Run<'_>]) -> Vec<String> {
    if runs.iter().all(|r| r.name.chars().count() <= MAX_LABEL) {
        return runs.iter().map(|r| r.name.to_string()).collect();
    }
    (0..runs.len())
        .map(|i| {
            let letter = char::from(b'A' + (i % 26) as u8);
            if i < 26 { letter.to_string() } else { format!("{letter}{}", i / 26) }
        })
        .collect()
}

fn group_header(first: &str, labels: &[String], cols: &[&str]) -> Vec<String> {
    let mut h = vec![first.to_string()];
    for l in labels {
        for c in cols {
            h.push(if labels.len() > 1 { format!("{l}\n{c}") } else { (*c).to_string() });
        }
    }
    h
}

/// One outcome table: a row per key, the requests and the five percentages per run.
/// What every table of one rendering shares.
struct Layout<'a> {
    o: &'a RenderOptions,
    runs: &'a [Run<'a>],
    labels: &'a [String],
    /// The outcome columns shown, as indexes into [`OUTCOME_COLUMNS`].
    shown: &'a [usize],
}

/// A labelled row of the outcome tables ("All routes combined").
type TotalRow<'a> = (&'a str, &'a dyn Fn(&LoadTestOut) -> OutcomeRow);

fn outcome_table<K: Ord>(
    l: &Layout<'_>,
    first: &str,
    rows: &dyn Fn(&LoadTestOut) -> Vec<(K, OutcomeRow)>,
    label: &dyn Fn(&K) -> String,
    total_row: Option<TotalRow<'_>>,
) -> Table {
    let (o, runs, labels, shown) = (l.o, l.runs, l.labels, l.shown);
    let names = if runs.len() > 1 { SHORT_COLUMNS } else { OUTCOME_COLUMNS };
    let mut cols = vec![if runs.len() > 1 { "n" } else { "requests" }];
    cols.extend(shown.iter().map(|&i| names[i]));
    let header = group_header(first, labels, &cols);
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = table(o, &refs);
    // Each run's rows by key, read once; the table's rows are the union of the keys.
    let per_run: Vec<BTreeMap<K, OutcomeRow>> =
        runs.iter().map(|r| rows(r.lt).into_iter().collect()).collect();
    let keys: BTreeSet<&K> = per_run.iter().flat_map(BTreeMap::keys).collect();
    let cells = |row: Option<&OutcomeRow>| -> Vec<Cell> {
        match row {
            Some(row) => {
                let [total, percent @ ..] = prose::outcome_cells(row);
                std::iter::once(right(total))
                    .chain(shown.iter().map(|&i| right(percent[i].clone())))
                    .collect()
            }
            None => (0..=shown.len()).map(|_| right("-".to_string())).collect(),
        }
    };
    for k in keys {
        let mut line = vec![Cell::new(label(k))];
        for run_rows in &per_run {
            line.extend(cells(run_rows.get(k)));
        }
        t.add_row(line);
    }
    if let Some((name, get)) = total_row {
        let mut line = vec![Cell::new(name)];
        for r in runs {
            line.extend(cells(Some(&get(r.lt))));
        }
        t.add_row(line);
    }
    t
}

/// The latency columns several runs side by side keep: n, median, p95 and slowest, as
/// indexes into [`LATENCY_COLUMNS`].
const LATENCY_SIDE_BY_SIDE: [usize; 4] = [0, 4, 6, 2];
/// The throughput columns several runs side by side keep: sent, completed and successful, as
/// indexes into [`THROUGHPUT_COLUMNS`].
const THROUGHPUT_SIDE_BY_SIDE: [usize; 3] = [1, 2, 3];

/// Renders every load-test table the runs can fill, then what could not be computed.
pub fn render(runs: &[Run<'_>], o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let width = usize::from(o.width).max(40);
    if runs.iter().all(|r| r.lt.all_routes.total == 0) {
        return Ok(());
    }
    let labels = labels(runs);
    if labels.len() > 1 && labels.iter().zip(runs).any(|(l, r)| l != r.name) {
        let legend: Vec<String> =
            labels.iter().zip(runs).map(|(l, r)| format!("{l} = {}", r.name)).collect();
        writeln!(out, "\n{}", wrap(&format!("Runs: {}.", legend.join(", ")), width, "  "))?;
    }
    // One run: the seed's five columns. Several: the columns that are not zero in every run.
    let shown: Vec<usize> = if runs.len() == 1 {
        (0..OUTCOME_COLUMNS.len()).collect()
    } else {
        (0..OUTCOME_COLUMNS.len())
            .filter(|&i| i == 0 || runs.iter().any(|r| r.lt.all_routes.counts.values()[i] > 0))
            .collect()
    };
    if shown.len() < OUTCOME_COLUMNS.len() {
        let hidden: Vec<&str> = (0..OUTCOME_COLUMNS.len())
            .filter(|i| !shown.contains(i))
            .map(|i| OUTCOME_COLUMNS[i])
            .collect();
        writeln!(out, "Columns that are 0 in every run are left out: {}.", hidden.join(", "))?;
    }
    let layout = Layout { o, runs, labels: &labels, shown: &shown };
    let bursts: BTreeSet<u32> =
        runs.iter().flat_map(|r| r.lt.by_burst_offset.iter().filter_map(|row| row.burst)).collect();
    let off_key = |row: &OutcomeRow| (row.offset_ms.unwrap_or(0.0) * 1000.0).round() as i64;
    let off_label = |k: &i64| offset(*k as f64 / 1000.0);
    for b in &bursts {
        heading(out, o, &format!("Request count {b}: outcomes by offset (% of requests)"))?;
        let rows = |lt: &LoadTestOut| -> Vec<(i64, OutcomeRow)> {
            lt.by_burst_offset
                .iter()
                .filter(|row| row.burst == Some(*b))
                .map(|row| (off_key(row), row.clone()))
                .collect()
        };
        writeln!(out, "{}", outcome_table(&layout, "offset ms", &rows, &off_label, None))?;
    }
    if runs.iter().any(|r| !r.lt.by_offset.is_empty()) {
        heading(out, o, "Overall: outcomes by offset (% of requests)")?;
        let rows = |lt: &LoadTestOut| -> Vec<(i64, OutcomeRow)> {
            lt.by_offset.iter().map(|row| (off_key(row), row.clone())).collect()
        };
        writeln!(out, "{}", outcome_table(&layout, "offset ms", &rows, &off_label, None))?;
    }
    heading(out, o, "Per route: outcomes (% of requests)")?;
    let rows = |lt: &LoadTestOut| -> Vec<(String, OutcomeRow)> {
        lt.by_route.iter().map(|row| (row.route.clone().unwrap_or_default(), row.clone())).collect()
    };
    let all = |lt: &LoadTestOut| lt.all_routes.clone();
    let t = outcome_table(
        &layout,
        "route",
        &rows,
        &|k: &String| k.clone(),
        Some(("All routes combined", &all)),
    );
    writeln!(out, "{t}")?;

    let reported = runs.iter().any(|r| r.lt.basis == "aggregate");
    heading(out, o, prose::latency_title(reported))?;
    // Several runs side by side keep four columns each; each run's JSON has all of them.
    let multi = runs.len() > 1;
    let kept: Vec<usize> =
        if multi { LATENCY_SIDE_BY_SIDE.to_vec() } else { (0..LATENCY_COLUMNS.len()).collect() };
    let cols: Vec<&str> = kept.iter().map(|&i| LATENCY_COLUMNS[i]).collect();
    let header = group_header("route", &labels, &cols);
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = table(o, &refs);
    let cells = |l: Option<&LatencySummary>| -> Vec<Cell> {
        match l {
            Some(l) => {
                let all = prose::latency_cells(l);
                kept.iter().map(|&i| right(all[i].clone())).collect()
            }
            None => kept.iter().map(|_| right("-".to_string())).collect(),
        }
    };
    let routes: BTreeSet<&String> =
        runs.iter().flat_map(|r| r.lt.latency_ms.by_route.keys()).collect();
    for route in routes {
        let mut line = vec![Cell::new(route)];
        for r in runs {
            line.extend(cells(r.lt.latency_ms.by_route.get(route)));
        }
        t.add_row(line);
    }
    let mut line = vec![Cell::new("all routes")];
    for r in runs {
        line.extend(cells(Some(&r.lt.latency_ms.overall)));
    }
    t.add_row(line);
    writeln!(out, "{t}")?;
    if multi {
        writeln!(out, "Each run's fastest, mean, p90 and p99 are in its report (--format json).")?;
    }

    if runs.iter().any(|r| r.lt.throughput.is_some()) {
        heading(out, o, "Throughput (requests/s)")?;
        let kept: Vec<usize> = if multi {
            THROUGHPUT_SIDE_BY_SIDE.to_vec()
        } else {
            (0..THROUGHPUT_COLUMNS.len()).collect()
        };
        let cols: Vec<&str> = kept.iter().map(|&i| THROUGHPUT_COLUMNS[i]).collect();
        let header = group_header("", &labels, &cols);
        let refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut t = table(o, &refs);
        let mut line = vec![Cell::new("all routes")];
        for r in runs {
            let all = prose::throughput_cells(r.lt.throughput, r.lt.peak_sent_per_s);
            line.extend(kept.iter().map(|&i| right(all[i].clone())));
        }
        t.add_row(line);
        writeln!(out, "{t}")?;
    }

    for r in runs.iter().filter(|r| !r.lt.phases.is_empty()) {
        let title = if runs.len() > 1 {
            format!("Latency phases, {} (in send order)", r.name)
        } else {
            "Latency phases (in send order)".to_string()
        };
        heading(out, o, &title)?;
        let mut t = table(o, &PHASE_COLUMNS);
        for [phase, requests, rest @ ..] in prose::phase_rows(&r.lt.phases) {
            let mut line = vec![Cell::new(phase), Cell::new(requests)];
            line.extend(rest.into_iter().map(right));
            t.add_row(line);
        }
        writeln!(out, "{t}")?;
        if let Some(d) = r.lt.phase_detection {
            writeln!(out, "{}", wrap(&prose::phase_detection(&d), width, ""))?;
        }
    }

    for r in runs {
        let prefix = if runs.len() > 1 { format!("{}: ", r.name) } else { String::new() };
        let failures: Vec<_> = r.lt.failure_groups.iter().collect();
        if !failures.is_empty() {
            heading(out, o, &format!("{prefix}Failures reported by the load tool"))?;
            let mut t = table(o, &FAILURE_COLUMNS);
            for f in failures {
                let [route, error, reads_as, occurrences] = prose::failure_cells(f);
                t.add_row(vec![
                    Cell::new(route),
                    Cell::new(error),
                    Cell::new(reads_as),
                    right(occurrences),
                ]);
            }
            writeln!(out, "{t}")?;
        }
        for n in &r.lt.notes {
            writeln!(
                out,
                "{}",
                wrap(&format!("{prefix}{}", prose::loadtest_note(n)), width, "  ")
            )?;
        }
        for u in &r.lt.unavailable {
            writeln!(out, "{}", wrap(&format!("{prefix}{}", prose::not_shown(u)), width, "  "))?;
        }
    }
    Ok(())
}
