//! The `rootcause` binary: arguments → configuration → run → exit status.
//!
//! Exit status: 0 when the work was done; 2 on a usage error or when an input could not be
//! read (the report still covers the other inputs). A closed stdout (broken pipe) ends the
//! run quietly with 0.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use rootcause::cli::{Cli, Command, OutputFormat, ReportFormat};
use rootcause::config::{self, AnalyzeConfig, SniffConfig, TimelineConfig, UsageError};
use rootcause::ingest::{self, Ingested, discover};
use rootcause::{detect, flow, funnel, hypothesise, loadtest, report, run, skew};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<UsageError>().is_some() {
                eprintln!("rootcause: usage error: {e:#}");
            } else {
                eprintln!("rootcause: error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(a) => analyze(config::analyze(a)?),
        Command::Sniff(a) => sniff(config::sniff(a)?),
        Command::Timeline(a) => timeline(config::timeline(a)?),
    }
}

fn pool(threads: usize) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")
}

/// Prints input errors on stderr; true if there were any.
fn report_input_errors(ing: &Ingested) -> bool {
    for e in &ing.discover_errors {
        let kind = if e.fatal { "error" } else { "warning" };
        eprintln!("rootcause: {kind}: {}: {}", e.path, e.message);
    }
    for s in &ing.sources {
        if let Some(e) = &s.error {
            eprintln!("rootcause: error: {}: {}", s.input.display(), e);
        }
    }
    ing.had_input_errors()
}

/// Analyses one run: reads its paths and builds its report.
fn analyze_run(
    paths: &[PathBuf],
    c: &AnalyzeConfig,
    pool: &rayon::ThreadPool,
    catalog: &detect::Catalog,
) -> anyhow::Result<(report::Report, Ingested)> {
    let run::Prepared { ingested, skews, timeline } =
        run::prepare(paths, &c.input, &c.correlate, pool)?;
    let lt = loadtest::analyse(&timeline);
    let fun = funnel::count(&timeline);
    let flow = flow::analyse(&timeline, skew::tolerance(&skews), c.correlate.bucket);
    let findings = pool.install(|| detect::detect(&timeline, catalog, c.evidence));
    let diagnosis = hypothesise::hypothesise(&lt, &fun, &findings, catalog);
    let rep = report::build(&report::Parts {
        ingested: &ingested,
        timeline: &timeline,
        loadtest: &lt,
        funnel: &fun,
        stage_patterns: c.input.ingest.stages.patterns(),
        findings: &findings,
        catalog,
        diagnosis: &diagnosis,
        skews: &skews,
        flow: &flow,
    });
    Ok((rep, ingested))
}

/// The runs to analyse: `--run` flags; else one run per folder when every PATH is a folder
/// holding a load test of its own; else one run of everything.
fn plan_runs(c: &AnalyzeConfig, pool: &rayon::ThreadPool) -> Vec<(String, Vec<PathBuf>)> {
    if !c.runs.is_empty() {
        return c.runs.clone();
    }
    let paths = &c.input.paths;
    let single = || vec![(String::new(), paths.clone())];
    if c.merge || paths.len() < 2 || !paths.iter().all(|p| p.is_dir()) {
        return single();
    }
    let holds_loadtest = |dir: &PathBuf| {
        let (inputs, _) = discover::expand(std::slice::from_ref(dir));
        pool.install(|| {
            use rayon::prelude::*;
            inputs.par_iter().any(|i| {
                ingest::sniff_input(i, &c.input.ingest).format.is_some_and(|f| f.is_loadtest())
            })
        })
    };
    if !paths.iter().all(holds_loadtest) {
        return single();
    }
    let mut runs: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        let base = p
            .file_name()
            .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
        let mut name = base.clone();
        let mut k = 2;
        while runs.iter().any(|(n, _)| *n == name) {
            name = format!("{base}#{k}");
            k += 1;
        }
        runs.push((name, vec![p.clone()]));
    }
    runs
}

fn analyze(c: AnalyzeConfig) -> anyhow::Result<ExitCode> {
    let catalog = detect::Catalog::builtin().map_err(anyhow::Error::msg)?;
    let pool = pool(c.input.threads)?;
    let plan = plan_runs(&c, &pool);
    let mut had_errors = false;
    let mut reports: Vec<(String, Vec<PathBuf>, report::Report)> = Vec::new();
    for (name, paths) in plan {
        let (rep, ingested) = analyze_run(&paths, &c, &pool, &catalog)?;
        had_errors |= report_input_errors(&ingested);
        reports.push((name, paths, rep));
    }
    let mut out: Box<dyn Write> = match &c.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let runs: Vec<(&str, &report::Report)> =
        reports.iter().map(|(n, _, r)| (n.as_str(), r)).collect();
    let mut charts: Vec<(String, Vec<report::charts::ChartFile>)> = Vec::new();
    if let Some(dir) = &c.charts {
        for (name, rep) in &runs {
            let sub = if runs.len() > 1 {
                dir.join(report::charts::file_stem(name))
            } else {
                dir.clone()
            };
            let files = report::charts::write_dir(rep, &sub)
                .with_context(|| format!("cannot write charts to {}", sub.display()))?;
            charts.push((name.to_string(), files));
        }
    }
    match (c.format, reports.as_slice()) {
        (ReportFormat::Table, [(_, _, rep)]) => report::table::render(rep, &c.render, &mut out)?,
        (ReportFormat::Json, [(_, _, rep)]) => report::json::render(rep, &mut out)?,
        (ReportFormat::Table, _) => report::table::render_runs(&runs, &c.render, &mut out)?,
        (ReportFormat::Md, _) => report::markdown::render_runs(&runs, &charts, &mut out)?,
        (ReportFormat::Html, _) => report::html::render_runs(&runs, &mut out)?,
        (ReportFormat::Json, runs) => {
            let runs = report::Runs::new(
                runs.iter()
                    .map(|(n, paths, r)| report::RunReport {
                        name: report::sanitize(n),
                        paths: paths
                            .iter()
                            .map(|p| report::sanitize(&p.display().to_string()))
                            .collect(),
                        report: r.clone(),
                    })
                    .collect(),
            );
            report::json::render_runs(&runs, &mut out)?;
        }
    }
    out.flush()?;
    Ok(if had_errors { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn timeline(c: TimelineConfig) -> anyhow::Result<ExitCode> {
    let pool = pool(c.input.threads)?;
    let prepared = run::prepare(&c.input.paths, &c.input, &c.correlate, &pool)?;
    let had_errors = report_input_errors(&prepared.ingested);
    // The first failure runs the signature catalog: on the local pool, like `analyze`.
    let selection =
        pool.install(|| rootcause::timeline::select(&prepared, &c)).map_err(anyhow::Error::msg)?;
    let mut out = BufWriter::new(io::stdout().lock());
    rootcause::timeline::render(&prepared, &c, &selection, &mut out)?;
    out.flush()?;
    Ok(if had_errors { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn sniff(c: SniffConfig) -> anyhow::Result<ExitCode> {
    let (inputs, discover_errors) = discover::expand(&c.input.paths);
    let pool = pool(c.input.threads)?;
    let outcomes: Vec<ingest::SniffOutcome> = pool.install(|| {
        use rayon::prelude::*;
        inputs.par_iter().map(|i| ingest::sniff_input(i, &c.input.ingest)).collect()
    });
    let mut out = BufWriter::new(io::stdout().lock());
    match c.format {
        OutputFormat::Table => {
            for s in &outcomes {
                let path = report::sanitize(&s.input.display());
                match (&s.error, s.format) {
                    (Some(e), _) => writeln!(out, "{path}: error: {}", report::sanitize(e))?,
                    (None, f) => {
                        let name = f.map_or("unknown", |f| f.as_str());
                        let comp =
                            s.compression.name().map_or(String::new(), |c| format!(" ({c})"));
                        writeln!(out, "{path}: {name}{comp}: {}", report::sanitize(&s.reason))?;
                        for (cf, d) in &s.candidates {
                            writeln!(
                                out,
                                "    {:<13} {:.2}  {}",
                                cf.as_str(),
                                d.score,
                                report::sanitize(&d.reason)
                            )?;
                        }
                    }
                }
            }
        }
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = outcomes
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "path": report::sanitize(&s.input.display()),
                        "format": s.format.map_or("unknown", |f| f.as_str()),
                        "reason": report::sanitize(&s.reason),
                        "compression": s.compression.name(),
                        "error": s.error.as_deref().map(report::sanitize),
                        "candidates": s.candidates.iter().map(|(f, d)| serde_json::json!({
                            "format": f.as_str(), "score": (d.score * 100.0).round() / 100.0, "reason": report::sanitize(&d.reason),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({ "schema": "rootcause.sniff/v1", "inputs": v }),
            )?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    for e in &discover_errors {
        let kind = if e.fatal { "error" } else { "warning" };
        eprintln!("rootcause: {kind}: {}: {}", e.path, e.message);
    }
    let failed =
        discover_errors.iter().any(|e| e.fatal) || outcomes.iter().any(|s| s.error.is_some());
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
