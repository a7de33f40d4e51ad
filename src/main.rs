//! The `rootcause` binary: arguments → configuration → run → exit status.
//!
//! Exit status: 0 when the work was done, skipped lines included (the report lists them); 1
//! for `analyze --strict` when something was skipped, and for `check` when a rule is broken; 2
//! on a usage error or when an input could not be read (fully): the report still covers the
//! other inputs, and 2 wins over 1. A closed stdout (broken pipe) ends the run quietly with 0.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use rootcause::cli::{Cli, Command, DiffFormat, OutputFormat, ReportFormat};
use rootcause::config::{
    self, AnalyzeConfig, CatalogConfig, CheckConfig, DiffConfig, PatternsConfig, SignaturesConfig,
    SniffConfig, TimelineConfig, UsageError,
};
use rootcause::ingest::{self, Ingested, discover};
use rootcause::{compare, detect, report, run};
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        Command::Patterns(a) => patterns(config::patterns(a)?),
        Command::Diff(a) => diff(config::diff(a)?),
        Command::Check(a) => check(config::check(a)?),
        Command::Signatures(a) => signatures(config::signatures(a)?),
    }
}

/// The catalog of `--signatures` and `--no-builtin-signatures`; a bad file is an error (exit
/// status 2) naming its line.
fn catalog(c: &CatalogConfig) -> anyhow::Result<detect::Catalog> {
    c.load().map_err(|e| anyhow::Error::msg(rootcause::report::sanitize(&e)))
}

fn signatures(c: SignaturesConfig) -> anyhow::Result<ExitCode> {
    let catalog = catalog(&c.catalog)?;
    if let Some(input) = &c.suggest {
        // Ranked by their change at the onset: the suggestions are the templates that rose.
        let sort = rootcause::mined::Sort::Changed;
        let (listing, had_errors) = mine(input, &Default::default(), &catalog, sort, 0)?;
        let (toml, n) = rootcause::suggest::suggest(&listing, &catalog, 0);
        let mut out = BufWriter::new(io::stdout().lock());
        out.write_all(toml.as_bytes())?;
        out.flush()?;
        eprintln!("rootcause: {n} catalog entries suggested");
        return Ok(if had_errors { ExitCode::from(2) } else { ExitCode::SUCCESS });
    }
    let mut out = BufWriter::new(io::stdout().lock());
    rootcause::signatures::render(&catalog, &c, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
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

/// What `--strict` refuses: one line per input with skipped lines (each reason with its count
/// and first lines) and per path skipped while walking folders.
fn skips(ing: &Ingested) -> Vec<String> {
    let mut out = Vec::new();
    for s in ing.sources.iter().filter(|s| s.stats.skipped > 0) {
        let reasons: Vec<String> = s
            .stats
            .skipped_reasons
            .iter()
            .map(|(reason, occ)| {
                let first: Vec<String> = occ.first_lines.iter().map(u64::to_string).collect();
                let lines = if first.len() == 1 { "line" } else { "lines" };
                format!("{reason} {} (first at {lines} {})", occ.count, first.join(", "))
            })
            .collect();
        out.push(format!("{}: {}", s.input.display(), reasons.join("; ")));
    }
    for e in ing.discover_errors.iter().filter(|e| !e.fatal) {
        out.push(format!("{}: {}", e.path, e.message));
    }
    out
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
    let catalog = catalog(&c.catalog)?;
    let pool = pool(c.input.threads)?;
    let plan = plan_runs(&c, &pool);
    let mut had_errors = false;
    let mut skipped = Vec::new();
    let mut reports: Vec<(String, Vec<PathBuf>, report::Report)> = Vec::new();
    for (name, paths) in plan {
        let (rep, ingested) =
            run::report(&paths, &c.input, &c.correlate, c.evidence, &pool, &catalog)?;
        had_errors |= report_input_errors(&ingested);
        if c.strict {
            skipped.extend(skips(&ingested));
        }
        reports.push((name, paths, rep));
    }
    let mut out = output(&c.output)?;
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
    if !skipped.is_empty() {
        eprintln!("rootcause: error: --strict: input was skipped:");
        for s in &skipped {
            eprintln!("  {s}");
        }
    }
    Ok(match (had_errors, skipped.is_empty()) {
        (true, _) => ExitCode::from(2),
        (false, false) => ExitCode::from(1),
        (false, true) => ExitCode::SUCCESS,
    })
}

/// Writes to `-o FILE` or standard output.
fn output(file: &Option<PathBuf>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match file {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

fn diff(c: DiffConfig) -> anyhow::Result<ExitCode> {
    let catalog = catalog(&c.catalog)?;
    let pool = pool(c.input.threads)?;
    let load = |p: &PathBuf| compare::load(p, &c.input, &c.correlate, &pool, &catalog);
    let (base, cand) = (load(&c.base)?, load(&c.cand)?);
    let d = compare::diff(&base, &cand, &c.thresholds);
    let mut out = output(&c.output)?;
    match c.format {
        DiffFormat::Table => compare::render::table_out(&d, &c.render, &mut out)?,
        DiffFormat::Json => compare::render::json_out(&d, &mut out)?,
        DiffFormat::Md => compare::render::md_out(&d, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn check(c: CheckConfig) -> anyhow::Result<ExitCode> {
    let catalog = catalog(&c.catalog)?;
    let pool = pool(c.input.threads)?;
    let load = |p: &PathBuf| compare::load(p, &c.input, &c.correlate, &pool, &catalog);
    let run = load(&c.run)?;
    let base = c.baseline.as_ref().map(load).transpose()?;
    let outcomes = compare::check::check(&c.rules, &run, base.as_ref());
    let mut out = BufWriter::new(io::stdout().lock());
    for o in &outcomes {
        let mark = if o.passed { "PASS" } else { "FAIL" };
        writeln!(out, "{mark}  {}: {}", o.rule, report::sanitize(&o.reason))?;
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    match failed {
        0 => writeln!(out, "ok: {} rules hold for {}", outcomes.len(), run.label)?,
        n => writeln!(out, "failed: {n} of {} rules broken for {}", outcomes.len(), run.label)?,
    }
    out.flush()?;
    if let Some(file) = &c.junit {
        std::fs::write(file, compare::check::junit(&outcomes, &run.label))
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn timeline(c: TimelineConfig) -> anyhow::Result<ExitCode> {
    // Loaded first, so a bad --signatures file fails before any input is read.
    let catalog = catalog(&c.catalog)?;
    let pool = pool(c.input.threads)?;
    let prepared = run::prepare(&c.input.paths, &c.input, &c.correlate, &pool)?;
    let had_errors = report_input_errors(&prepared.ingested);
    // The first failure runs the signature catalog: on the local pool, like `analyze`.
    let selection = pool
        .install(|| rootcause::timeline::select(&prepared, &c, &catalog))
        .map_err(anyhow::Error::msg)?;
    let mut out = BufWriter::new(io::stdout().lock());
    rootcause::timeline::render(&prepared, &c, &selection, &mut out)?;
    out.flush()?;
    Ok(if had_errors { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// The templates of a run read from `input`, ordered by `sort`, at most `limit`; true when
/// an input could not be read (fully).
fn mine(
    input: &config::InputConfig,
    correlate: &config::CorrelateConfig,
    catalog: &detect::Catalog,
    sort: rootcause::mined::Sort,
    limit: usize,
) -> anyhow::Result<(rootcause::mined::Patterns, bool)> {
    let pool = pool(input.threads)?;
    let (rep, mut ingested) = run::report(
        &input.paths,
        &config::InputConfig { mine: true, ..input.clone() },
        correlate,
        5,
        &pool,
        catalog,
    )?;
    let had_errors = report_input_errors(&ingested);
    let miner = ingested.templates.take();
    let templates = miner.as_ref().map(|m| m.templates()).unwrap_or_default();
    let fields = miner.as_ref().map(|m| m.field_values()).unwrap_or_default();
    let path_of = |s: u32| run::path_of(&ingested, s);
    let listing = rootcause::mined::build(
        &templates,
        &fields,
        &rep.onset,
        ingested.span,
        sort,
        limit,
        &path_of,
    );
    Ok((listing, had_errors))
}

fn patterns(c: PatternsConfig) -> anyhow::Result<ExitCode> {
    let catalog = catalog(&c.catalog)?;
    let (listing, had_errors) = mine(&c.input, &c.correlate, &catalog, c.sort, c.limit)?;
    let mut out = BufWriter::new(io::stdout().lock());
    match c.format {
        OutputFormat::Table => rootcause::mined::render(&listing, c.width, &mut out)?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &listing)?;
            writeln!(out)?;
        }
    }
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
