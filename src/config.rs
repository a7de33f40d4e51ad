//! Resolves raw command-line arguments into a validated configuration.
//!
//! Everything a flag can get wrong is checked here, before any input is read, and reported as
//! a usage error (exit status 2): bad `--stage` patterns, unknown formats, bad offsets.

use std::io::IsTerminal;
use std::path::PathBuf;

use rootcause_parsers::Micros;
use rootcause_parsers::postgres::Prefix;
use rootcause_parsers::sniff::Format;
use rootcause_parsers::time::{self, SECOND, TimeOptions};

use crate::cli::{
    AnalyzeArgs, CatalogArgs, CheckArgs, CorrelateArgs, DiffArgs, DiffFormat, InputArgs,
    OutputFormat, ReportFormat, SignaturesArgs, SignaturesFormat, SniffArgs, TimelineArgs,
    TimelineFormat,
};
use crate::compare::Thresholds;
use crate::compare::check::{self, Rule};
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

/// Which signature catalog to load: [`crate::detect::Catalog::load`]'s arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogConfig {
    /// Start from the built-in catalog (no `--no-builtin-signatures`).
    pub builtin: bool,
    /// `--signatures FILE`, in order.
    pub files: Vec<PathBuf>,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig { builtin: true, files: Vec::new() }
    }
}

impl CatalogConfig {
    /// Loads the catalog; the error names the file and line at fault.
    pub fn load(&self) -> Result<crate::detect::Catalog, String> {
        crate::detect::Catalog::load(self.builtin, &self.files)
    }
}

/// `signatures`, resolved.
#[derive(Debug, Clone)]
pub struct SignaturesConfig {
    /// The signature to explain; `None` lists them all.
    pub id: Option<String>,
    /// `--suggest PATH...`: the inputs to suggest catalog entries from, read with the default
    /// input options.
    pub suggest: Option<InputConfig>,
    /// Output format.
    pub format: SignaturesFormat,
    /// Table width.
    pub width: u16,
    /// The catalog.
    pub catalog: CatalogConfig,
}

fn catalog(a: CatalogArgs) -> Result<CatalogConfig, UsageError> {
    if a.no_builtin_signatures && a.signatures.is_empty() {
        return Err(UsageError(
            "--no-builtin-signatures leaves no signature: give --signatures FILE too".into(),
        ));
    }
    Ok(CatalogConfig { builtin: !a.no_builtin_signatures, files: a.signatures })
}

/// Resolves `signatures`' arguments.
pub fn signatures(a: SignaturesArgs) -> Result<SignaturesConfig, UsageError> {
    // Six columns with ids of up to 40 characters need more room than a report's tables.
    let width = a.width.unwrap_or_else(|| {
        let tty = std::io::stdout().is_terminal();
        let detected = if tty { comfy_table::Table::new().width() } else { None };
        detected.unwrap_or(140)
    });
    let suggest = match a.suggest.as_slice() {
        [] => None,
        paths => Some(default_input(paths)?),
    };
    Ok(SignaturesConfig {
        id: a.id,
        suggest,
        format: a.format,
        width: width.max(40),
        catalog: catalog(a.catalog)?,
    })
}

/// `paths` read with the default input options (as `analyze PATH...` reads them).
fn default_input(paths: &[PathBuf]) -> Result<InputConfig, UsageError> {
    use clap::Parser;
    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        input: InputArgs,
    }
    let args = ["rootcause", "--"].map(std::ffi::OsString::from);
    let only = Only::try_parse_from(args.into_iter().chain(paths.iter().map(|p| p.into())))
        .map_err(|e| UsageError(e.to_string()))?;
    input(only.input, &[])
}

/// Inputs and how to read them.
#[derive(Debug, Clone)]
pub struct InputConfig {
    /// Paths as given.
    pub paths: Vec<PathBuf>,
    /// Ingest options.
    pub ingest: IngestOptions,
    /// Worker threads.
    pub threads: usize,
    /// Mine log templates during an analysis (not `--no-patterns`), so that an uncatalogued
    /// pattern can be a candidate cause.
    pub mine: bool,
}

/// `analyze`, resolved.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    /// Inputs.
    pub input: InputConfig,
    /// Output format.
    pub format: ReportFormat,
    /// `--charts DIR`.
    pub charts: Option<PathBuf>,
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
    /// `--strict`: skipped lines or paths make the exit status 1.
    pub strict: bool,
    /// Clock skew and buckets.
    pub correlate: CorrelateConfig,
    /// The signature catalog.
    pub catalog: CatalogConfig,
}

/// `--skew` and `--bucket`, resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorrelateConfig {
    /// `--skew SOURCE=DURATION`: (SOURCE, skew in µs), in the order given.
    pub skews: Vec<(String, Micros)>,
    /// `--bucket`: bucket width in µs.
    pub bucket: Option<Micros>,
}

/// Where `timeline --around` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Around {
    /// An absolute time (UTC µs).
    At(Micros),
    /// A time of day (µs after midnight UTC), on the day of the first event.
    TimeOfDay(Micros),
    /// The first failed request or failure signature.
    FirstFailure,
}

/// `timeline`, resolved.
#[derive(Debug, Clone)]
pub struct TimelineConfig {
    /// Inputs.
    pub input: InputConfig,
    /// Clock skew.
    pub correlate: CorrelateConfig,
    /// `--around`.
    pub around: Option<Around>,
    /// `--window`, µs.
    pub window: Micros,
    /// `--limit` (0: none).
    pub limit: usize,
    /// Output format.
    pub format: TimelineFormat,
    /// The signature catalog.
    pub catalog: CatalogConfig,
}

/// `patterns`, resolved.
#[derive(Debug, Clone)]
pub struct PatternsConfig {
    /// Inputs.
    pub input: InputConfig,
    /// Clock skew.
    pub correlate: CorrelateConfig,
    /// The signature catalog.
    pub catalog: CatalogConfig,
    /// `--sort`.
    pub sort: crate::mined::Sort,
    /// `--limit` (0: none).
    pub limit: usize,
    /// Output format.
    pub format: OutputFormat,
    /// Table width.
    pub width: usize,
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
        matcher.set(stage, pattern).map_err(UsageError)?;
    }
    let max_decompressed = parse_size(&a.max_decompressed).filter(|&n| n > 0).ok_or_else(|| {
        UsageError(format!(
            "--max-decompressed: '{}' is not a size (e.g. 4G, 512M, 100000)",
            a.max_decompressed
        ))
    })?;
    let threads = match a.threads {
        Some(0) => return Err(UsageError("--threads must be at least 1".into())),
        Some(n) => n,
        // RAYON_NUM_THREADS, as rayon reads it, else the number of CPUs.
        None => std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    Ok(InputConfig {
        paths: a.paths,
        ingest: IngestOptions {
            time: TimeOptions { default_offset_secs: offset },
            pg_prefix,
            stages: matcher,
            formats,
            max_decompressed,
            ..IngestOptions::default()
        },
        threads,
        mine: !a.no_patterns,
    })
}

/// Reads a signed duration: a number with a unit `us`, `ms`, `s`, `m`/`min` or `h` (`+2.7s`,
/// `-350ms`, `1m`); a bare number is seconds.
pub fn parse_duration(s: &str) -> Option<Micros> {
    let t = s.trim();
    let (sign, body) = match t.as_bytes().first()? {
        b'+' => (1.0, &t[1..]),
        b'-' => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    let split = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
    let (num, unit) = body.split_at(split);
    let value: f64 = num.parse().ok()?;
    let scale = match unit.trim() {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "" | "s" | "sec" => 1e6,
        "m" | "min" => 60e6,
        "h" => 3600e6,
        _ => return None,
    };
    let micros = sign * value * scale;
    (micros.is_finite() && micros.abs() < 1e17).then(|| micros.round() as Micros)
}

/// Reads a size in bytes: a whole number with an optional binary unit `K`, `M`, `G` or `T`
/// (`KiB`, `MB`... accepted, all powers of 1024; any case): `4G`, `512MiB`, `100000`.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: u64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.strip_suffix("ib").or_else(|| unit.strip_suffix('b')).unwrap_or(&unit);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return None,
    };
    value.checked_mul(1 << shift)
}

fn correlate(a: &CorrelateArgs) -> Result<CorrelateConfig, UsageError> {
    let mut skews = Vec::new();
    for s in &a.skew {
        let (source, value) = split_pair(s, "--skew", "SOURCE=DURATION (e.g. loadtest=+2.7s)")?;
        let skew = parse_duration(value).ok_or_else(|| {
            UsageError(format!("--skew: '{value}' is not a duration (e.g. +2.7s, -350ms, 1m)"))
        })?;
        skews.push((source.to_string(), skew));
    }
    let bucket = match &a.bucket {
        Some(b) => match parse_duration(b) {
            Some(w) if w >= 1000 => Some(w),
            _ => {
                return Err(UsageError(format!(
                    "--bucket: '{b}' is not a positive duration of at least 1ms (e.g. 1s, 500ms)"
                )));
            }
        },
        None => None,
    };
    Ok(CorrelateConfig { skews, bucket })
}

fn around(s: &str) -> Result<Around, UsageError> {
    if s == "first-failure" {
        return Ok(Around::FirstFailure);
    }
    if let Some(stamp) = time::parse(s.as_bytes(), &TimeOptions::default()) {
        return Ok(Around::At(stamp.micros));
    }
    let bad = || {
        UsageError(format!(
            "--around: '{s}' is not a time (use 2026-11-25T15:39:41Z, 15:39:41 or first-failure)"
        ))
    };
    let mut parts = s.split(':');
    let mut field = |max: f64| -> Result<f64, UsageError> {
        let v: f64 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if (0.0..max).contains(&v) { Ok(v) } else { Err(bad()) }
    };
    let (h, m, sec) = (field(24.0)?, field(60.0)?, field(61.0)?);
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(Around::TimeOfDay(((h * 3600.0 + m * 60.0 + sec) * SECOND as f64).round() as Micros))
}

/// `diff`, resolved.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// Inputs: how to read BASE and CAND.
    pub input: InputConfig,
    /// BASE.
    pub base: PathBuf,
    /// CAND.
    pub cand: PathBuf,
    /// Clock skew and buckets.
    pub correlate: CorrelateConfig,
    /// Output format.
    pub format: DiffFormat,
    /// Output file.
    pub output: Option<PathBuf>,
    /// Table rendering.
    pub render: RenderOptions,
    /// When a change counts.
    pub thresholds: Thresholds,
    /// The signature catalog.
    pub catalog: CatalogConfig,
}

/// `check`, resolved.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Inputs: how to read RUN and the baseline.
    pub input: InputConfig,
    /// RUN.
    pub run: PathBuf,
    /// `--baseline`.
    pub baseline: Option<PathBuf>,
    /// Clock skew and buckets.
    pub correlate: CorrelateConfig,
    /// The rules, config file first.
    pub rules: Vec<Rule>,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// The signature catalog.
    pub catalog: CatalogConfig,
}

/// Resolves `diff`'s arguments.
pub fn diff(a: DiffArgs) -> Result<DiffConfig, UsageError> {
    let [base, cand] = <[PathBuf; 2]>::try_from(a.input.paths.clone())
        .map_err(|p| UsageError(format!("diff takes two PATHs, BASE and CAND; got {}", p.len())))?;
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        return Err(UsageError(format!("--alpha: {} is not between 0 and 1", a.alpha)));
    }
    let latency = check::parse_share(&a.min_latency_change).ok_or_else(|| {
        UsageError(format!("--min-latency-change: '{}' is not a percentage", a.min_latency_change))
    })?;
    if !(a.min_rate_change.is_finite() && a.min_rate_change >= 0.0) {
        return Err(UsageError("--min-rate-change must be 0 or more".into()));
    }
    let width = a.width.unwrap_or(100).max(40);
    Ok(DiffConfig {
        catalog: catalog(a.catalog)?,
        correlate: correlate(&a.correlate)?,
        input: input(a.input, &a.stage)?,
        base,
        cand,
        format: a.format,
        output: a.output,
        render: RenderOptions { color: false, width },
        thresholds: Thresholds { alpha: a.alpha, latency, rate_pp: a.min_rate_change },
    })
}

/// Resolves `check`'s arguments, reading `--config`.
pub fn check(a: CheckArgs) -> Result<CheckConfig, UsageError> {
    let [run] = <[PathBuf; 1]>::try_from(a.input.paths.clone())
        .map_err(|p| UsageError(format!("check takes one RUN PATH; got {}", p.len())))?;
    let mut rules = Vec::new();
    if let Some(file) = &a.config {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| UsageError(format!("--config: cannot read {name}: {e}")))?;
        rules = check::parse_config(&text, &name).map_err(UsageError)?;
    }
    let flags = [
        ("max-p50-increase", &a.max_p50_increase),
        ("max-p95-increase", &a.max_p95_increase),
        ("max-p99-increase", &a.max_p99_increase),
        ("max-error-rate", &a.max_error_rate),
        ("max-no-response-rate", &a.max_no_response_rate),
    ];
    for (name, value) in flags {
        if let Some(v) = value {
            rules.push(check::parse_rule(name, v).map_err(|e| UsageError(format!("--{e}")))?);
        }
    }
    for id in &a.fail_on {
        rules.push(check::parse_rule("fail-on", id).map_err(|e| UsageError(format!("--{e}")))?);
    }
    if rules.is_empty() {
        return Err(UsageError(
            "no rules: give --max-p95-increase, --max-error-rate, --fail-on ... or --config FILE"
                .into(),
        ));
    }
    if a.baseline.is_none() {
        if let Some(r) = rules.iter().find(|r| r.needs_baseline()) {
            return Err(UsageError(format!("rule '{}' needs --baseline PATH", r.name())));
        }
    }
    Ok(CheckConfig {
        catalog: catalog(a.catalog)?,
        correlate: correlate(&a.correlate)?,
        input: input(a.input, &a.stage)?,
        run,
        baseline: a.baseline,
        rules,
        junit: a.junit,
    })
}

/// Resolves `timeline`'s arguments.
pub fn timeline(a: TimelineArgs) -> Result<TimelineConfig, UsageError> {
    if a.input.paths.is_empty() {
        return Err(UsageError("give the files or folders to read".into()));
    }
    let window = match parse_duration(&a.window) {
        Some(w) if w >= 0 => w,
        _ => return Err(UsageError(format!("--window: '{}' is not a duration", a.window))),
    };
    Ok(TimelineConfig {
        catalog: catalog(a.catalog)?,
        correlate: correlate(&a.correlate)?,
        around: a.around.as_deref().map(around).transpose()?,
        window,
        limit: a.limit,
        format: a.format,
        input: input(a.input, &a.stage)?,
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
        a.format == ReportFormat::Table,
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
        catalog: catalog(a.catalog)?,
        runs,
        merge: a.merge,
        strict: a.strict,
        correlate: correlate(&a.correlate)?,
        input: input(a.input, &a.stage)?,
        format: a.format,
        charts: a.charts,
        output: a.output,
        render: RenderOptions { color, width: width.max(40) },
        evidence: a.evidence,
    })
}

/// Resolves `patterns`' arguments.
pub fn patterns(a: crate::cli::PatternsArgs) -> Result<PatternsConfig, UsageError> {
    if a.input.paths.is_empty() {
        return Err(UsageError("give the files or folders to read".into()));
    }
    let width = a.width.map(usize::from).unwrap_or_else(|| {
        let tty = std::io::stdout().is_terminal();
        let detected = if tty { comfy_table::Table::new().width() } else { None };
        detected.map_or(100, usize::from)
    });
    Ok(PatternsConfig {
        catalog: catalog(a.catalog)?,
        correlate: correlate(&a.correlate)?,
        sort: match a.sort {
            crate::cli::PatternSort::Changed => crate::mined::Sort::Changed,
            crate::cli::PatternSort::Count => crate::mined::Sort::Count,
        },
        limit: a.limit,
        format: a.format,
        width,
        input: input(a.input, &a.stage)?,
    })
}

/// Resolves `sniff`'s arguments.
pub fn sniff(a: SniffArgs) -> Result<SniffConfig, UsageError> {
    if a.input.paths.is_empty() {
        return Err(UsageError("give the files or folders to sniff".into()));
    }
    Ok(SniffConfig { input: input(a.input, &[])?, format: a.format })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("+2.7s"), Some(2_700_000));
        assert_eq!(parse_duration("-350ms"), Some(-350_000));
        assert_eq!(parse_duration("1m"), Some(60 * SECOND));
        assert_eq!(parse_duration("1.5"), Some(1_500_000));
        assert_eq!(parse_duration("2h"), Some(7200 * SECOND));
        assert_eq!(parse_duration("10 s"), Some(10 * SECOND));
        for bad in ["", "s", "+", "1x", "1.2.3s", "--1s", "nan", "1e400s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("16 mb"), Some(16 << 20));
        assert_eq!(parse_size("100000"), Some(100_000));
        assert_eq!(parse_size("1k"), Some(1024));
        assert_eq!(parse_size("2T"), Some(2 << 40));
        for bad in ["", "G", "1.5G", "-1", "4X", "4GG", "99999999999999T"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_documented_default_limits_hold() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["rootcause", "analyze", "x"]).unwrap();
        let crate::cli::Command::Analyze(a) = cli.command else { panic!("analyze") };
        let c = analyze(a).unwrap();
        assert_eq!(c.input.ingest.max_decompressed, crate::ingest::DEFAULT_MAX_DECOMPRESSED);
        assert_eq!(c.input.ingest.max_decompressed, 4 << 30);
        assert_eq!(c.input.ingest.max_line, 32 << 20);
    }

    #[test]
    fn around_times() {
        assert_eq!(around("first-failure"), Ok(Around::FirstFailure));
        assert_eq!(around("00:00:01.5"), Ok(Around::TimeOfDay(1_500_000)));
        assert_eq!(around("1970-01-01T00:00:02Z"), Ok(Around::At(2 * SECOND)));
        assert!(around("25:00:00").is_err());
        assert!(around("soon").is_err());
    }
}
