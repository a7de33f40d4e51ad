//! Resolves raw command-line arguments into a validated configuration.
//!
//! Everything a flag can get wrong is checked here, before any input is read, and reported as
//! a usage error (exit status 2): bad `--stage` patterns, unknown formats, bad offsets.

use std::io::IsTerminal;
use std::path::PathBuf;

use rootcause_parsers::postgres::Prefix;
use rootcause_parsers::sniff::Format;
use rootcause_parsers::time::{self, TimeOptions};

use crate::cli::{AnalyzeArgs, InputArgs, OutputFormat, SniffArgs};
use crate::funnel::StageMatcher;
use crate::ingest::IngestOptions;
use crate::model::Stage;
use crate::report::color;
use crate::report::table::RenderOptions;

/// A usage error: a flag's value is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Inputs and how to read them.
#[derive(Debug, Clone)]
pub struct InputConfig {
    /// Paths as given.
    pub paths: Vec<PathBuf>,
    /// Ingest options.
    pub ingest: IngestOptions,
    /// Worker threads.
    pub threads: usize,
}

/// `analyze`, resolved.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    /// Inputs.
    pub input: InputConfig,
    /// Output format.
    pub format: OutputFormat,
    /// Output file, else stdout.
    pub output: Option<PathBuf>,
    /// Table rendering.
    pub render: RenderOptions,
    /// Evidence locations per signature.
    pub evidence: usize,
    /// Runs named with `--run NAME=PATH`, in order of first mention, each with its paths.
    pub runs: Vec<(String, Vec<PathBuf>)>,
    /// `--merge`: never split the paths into runs.
    pub merge: bool,
}

/// `sniff`, resolved.
#[derive(Debug, Clone)]
pub struct SniffConfig {
    /// Inputs.
    pub input: InputConfig,
    /// Output format.
    pub format: OutputFormat,
}

fn split_pair<'a>(s: &'a str, flag: &str, what: &str) -> Result<(&'a str, &'a str), UsageError> {
    s.split_once('=')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| UsageError(format!("{flag} expects {what}, got '{s}'")))
}

fn input(a: InputArgs, stages: &[String]) -> Result<InputConfig, UsageError> {
    let offset = time::parse_offset(&a.tz).ok_or_else(|| {
        UsageError(format!("--tz: '{}' is not an offset (use UTC, +02:00, -0530, CET, ...)", a.tz))
    })?;
    let mut formats = Vec::new();
    for f in &a.input_format {
        let (path, name) = split_pair(f, "--input-format", "PATH=FORMAT")?;
        let format: Format =
            name.parse().map_err(|e| UsageError(format!("--input-format: {e}")))?;
        formats.push((PathBuf::from(path), format));
    }
    let pg_prefix = match &a.pg_prefix {
        Some(p) => Some(Prefix::compile(p).map_err(|e| UsageError(format!("--pg-prefix: {e}")))?),
        None => None,
    };
    let mut matcher = StageMatcher::default();
    for s in stages {
        let (name, pattern) = split_pair(s, "--stage", "NAME=PATTERN")?;
        let stage = Stage::ALL.into_iter().find(|st| st.as_str() == name).ok_or_else(|| {
            UsageError(format!(
                "--stage: unknown stage '{name}' (expected hit, started or completed)"
            ))
        })?;
        matcher.set(stage, pattern).map_err(|e| UsageError(format!("--stage: {e}")))?;
    }
    let threads = match a.threads {
        Some(0) => return Err(UsageError("--threads must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(InputConfig {
        paths: a.paths,
        ingest: IngestOptions {
            time: TimeOptions { default_offset_secs: offset },
            pg_prefix,
            stages: matcher,
            formats,
            max_decompressed: a.max_decompressed,
            ..IngestOptions::default()
        },
        threads,
    })
}

/// Resolves `analyze`'s arguments.
pub fn analyze(a: AnalyzeArgs) -> Result<AnalyzeConfig, UsageError> {
    let stdout_tty = a.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    let color = color::enabled(
        a.color,
        stdout_tty,
        no_color.as_deref(),
        term.as_deref(),
        a.format == OutputFormat::Table,
    );
    let width = a.width.unwrap_or_else(|| {
        let detected = if stdout_tty { comfy_table::Table::new().width() } else { None };
        detected.unwrap_or(100)
    });
    let mut runs: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for r in &a.runs {
        let (name, path) = split_pair(r, "--run", "NAME=PATH")?;
        match runs.iter_mut().find(|(n, _)| n == name) {
            Some((_, paths)) => paths.push(PathBuf::from(path)),
            None => runs.push((name.to_string(), vec![PathBuf::from(path)])),
        }
    }
    if runs.is_empty() && a.input.paths.is_empty() {
        return Err(UsageError("give the files or folders to read (or --run NAME=PATH)".into()));
    }
    if !runs.is_empty() && !a.input.paths.is_empty() {
        return Err(UsageError(
            "give either PATHs or --run NAME=PATH flags, not both (name every run)".into(),
        ));
    }
    Ok(AnalyzeConfig {
        runs,
        merge: a.merge,
        input: input(a.input, &a.stage)?,
        format: a.format,
        output: a.output,
        render: RenderOptions { color, width: width.max(40) },
        evidence: a.evidence,
    })
}

/// Resolves `sniff`'s arguments.
pub fn sniff(a: SniffArgs) -> Result<SniffConfig, UsageError> {
    if a.input.paths.is_empty() {
        return Err(UsageError("give the files or folders to sniff".into()));
    }
    Ok(SniffConfig { input: input(a.input, &[])?, format: a.format })
}
