//! Command-line arguments (clap derive). They are resolved into a
//! [`AnalyzeConfig`](crate::config::AnalyzeConfig) before any work starts and go no further.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::color::ColorChoice;

/// Turns the logs of a load test or an incident into a root-cause report.
///
/// Give it the files (or folders, `.gz` files, `-` for stdin) a run left behind: the load
/// tool's per-request CSV, the application's JSON log, the server's console (stderr) and the
/// Postgres log. Formats are recognised from content.
#[derive(Debug, Parser)]
#[command(name = "rootcause", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse the logs of a run and print a report.
    ///
    /// Prints the inputs and what was understood of them, the request outcomes and latency,
    /// the funnel (sent → hit → started → completed), the failure signatures found with
    /// evidence, and a hypothesis. Exit status: 0 when the analysis ran, even with lines
    /// skipped (the report lists them); 1 when lines were skipped and --strict is given; 2 on
    /// usage errors or when an input could not be read (fully), the others still analysed.
    Analyze(AnalyzeArgs),
    /// Print the format detected for each input and why.
    Sniff(SniffArgs),
    /// Compare a candidate run with a baseline: outcome rates, funnel, latency percentiles and
    /// signatures side by side, each change judged by a significance test.
    ///
    /// BASE and CAND are each a folder (or file) of logs, or a report saved with `analyze
    /// --format json`. Exit status 0 when the comparison ran, whatever its verdict (see `check`
    /// for CI), 2 on usage or input errors.
    Diff(DiffArgs),
    /// Check a run against rules (latency increase over a baseline, error rate, signatures),
    /// for CI: exit 0 when every rule holds, 1 when one is broken, 2 on usage or input errors.
    Check(CheckArgs),
    /// Print the events of all inputs merged in corrected time order, each with its source and
    /// line: what happened around the first failure.
    Timeline(TimelineArgs),
    /// List the log templates of every input (messages with their variable parts masked,
    /// grouped Drain-style), most changed at the run's onset first, or most frequent.
    ///
    /// Each template has its count, first and last seen, the kinds of text it came from and
    /// an example with its file and line. When the run turned bad at a moment (the failure
    /// rate, the funnel loss or latency rose, found by change-point detection), each
    /// template's rate before and after it is tested
    /// (two-sided conditional binomial test, Benjamini–Hochberg at a 1 % false discovery
    /// rate): templates new after the onset come first, then significant rises.
    Patterns(PatternsArgs),
    /// List the signature catalog, or explain one signature.
    ///
    /// Without ID: every signature (id, severity, failure or context, component, inputs,
    /// title) in catalog order, with the files loaded. With ID: its title, meaning,
    /// remediation, patterns, real wordings per version, references, causal edges in and out
    /// and where it comes from. An unknown ID exits with status 2 and names the closest ids.
    Signatures(SignaturesArgs),
}

/// Output formats of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Terminal tables.
    Table,
    /// One JSON object (schema rootcause.report/v1; rootcause.runs/v1 for several runs).
    Json,
    /// GitHub-flavoured Markdown for a ticket.
    #[value(alias = "markdown")]
    Md,
    /// One self-contained HTML page with the charts inline.
    Html,
}

/// Output formats of `sniff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Terminal tables.
    Table,
    /// One JSON object (schema rootcause.report/v1; rootcause.runs/v1 for several runs).
    Json,
}

mod heading {
    pub const INPUT: &str = "Input";
    pub const OUTPUT: &str = "Output";
    pub const ANALYSIS: &str = "Analysis";
    pub const SIGNATURES: &str = "Signatures";
}

/// Which signature catalog to use.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Add the signatures and causal edges of FILE (TOML, format in docs/catalog.md) to the
    /// catalog; a signature whose id is already there replaces it. Repeatable, applied in
    /// order. A bad file is an error (exit status 2) naming its line.
    #[arg(long = "signatures", value_name = "FILE", help_heading = heading::SIGNATURES)]
    pub signatures: Vec<PathBuf>,

    /// Leave out the built-in catalog: use only the --signatures files.
    #[arg(long, help_heading = heading::SIGNATURES)]
    pub no_builtin_signatures: bool,
}

/// Output formats of `signatures`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignaturesFormat {
    /// Terminal text and tables.
    Table,
    /// One JSON object (schema rootcause.signatures/v1).
    Json,
    /// GitHub-flavoured Markdown.
    #[value(alias = "markdown")]
    Md,
}

/// `rootcause signatures`.
#[derive(Debug, Args)]
pub struct SignaturesArgs {
    /// The signature to explain; without it, list them all.
    #[arg(value_name = "ID")]
    pub id: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = SignaturesFormat::Table, help_heading = heading::OUTPUT)]
    pub format: SignaturesFormat,

    /// Table width in columns (default: the terminal's, else 140).
    #[arg(long, value_name = "COLUMNS", help_heading = heading::OUTPUT)]
    pub width: Option<u16>,

    /// Instead of listing the catalog, read the logs at PATH (files or folders) and print
    /// catalog entries (TOML, for --signatures FILE) for the templates that rose at the run's
    /// onset and that no signature of the catalog matches (see `rootcause patterns`).
    #[arg(long, value_name = "PATH", num_args = 1.., help_heading = heading::OUTPUT)]
    pub suggest: Vec<PathBuf>,

    /// The catalog.
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

/// Options shared by the commands that read inputs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files or folders to read; `-` reads standard input. Several folders that each hold a
    /// load test are compared as runs (see --run and --merge).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Read PATH as FORMAT instead of sniffing it (loadtest-csv, k6-csv, vegeta-csv,
    /// locust-csv, wrk-text, json-log, postgres, postgres-csv, postgres-json, console, heroku,
    /// cf-logs).
    #[arg(long = "input-format", value_name = "PATH=FORMAT", help_heading = heading::INPUT)]
    pub input_format: Vec<String>,

    /// The Postgres log_line_prefix, when it cannot be inferred (e.g. '%t [%p]: [%l-1] ').
    #[arg(long, value_name = "PREFIX", help_heading = heading::INPUT)]
    pub pg_prefix: Option<String>,

    /// Offset for timestamps that carry no zone: UTC, +02:00, -0530, CET, ...
    #[arg(long, value_name = "OFFSET", default_value = "UTC", env = "ROOTCAUSE_TZ", help_heading = heading::INPUT)]
    pub tz: String,

    /// Stop reading a compressed input once it has decompressed to SIZE (`4G`, `512M`, or
    /// bytes): a gzip bomb then ends with an error naming the input instead of hours of work
    /// and all the memory. Plain files have no limit.
    #[arg(long, value_name = "SIZE", default_value = "4G", help_heading = heading::INPUT)]
    pub max_decompressed: String,

    /// Parse inputs on N threads (default: RAYON_NUM_THREADS, else the number of CPUs).
    #[arg(short = 'j', long, value_name = "N", env = "ROOTCAUSE_THREADS", help_heading = heading::INPUT)]
    pub threads: Option<usize>,

    /// Do not mine log templates while analysing: about a quarter faster on large inputs, but
    /// no uncatalogued pattern can then be a candidate cause (see `rootcause patterns`).
    #[arg(long, help_heading = heading::INPUT)]
    pub no_patterns: bool,
}

/// Options that place the inputs on one clock and cut time into buckets.
#[derive(Debug, Args)]
pub struct CorrelateArgs {
    /// Clock skew of SOURCE against the application's clock (its clock minus the app's), instead
    /// of estimating it: e.g. `loadtest=+2.7s`, `hammer.csv=-350ms`, `postgres=+1m`. SOURCE is
    /// an input's path or file name, or a kind: loadtest, app, console, postgres. Repeatable.
    #[arg(long, value_name = "SOURCE=DURATION", help_heading = heading::ANALYSIS)]
    pub skew: Vec<String>,

    /// Width of the time buckets of the funnel over time (e.g. 1s, 500ms, 1m); default: sized
    /// so the run spans at most 60 buckets.
    #[arg(long, value_name = "DURATION", help_heading = heading::ANALYSIS)]
    pub bucket: Option<String>,
}

/// `rootcause analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Table, help_heading = heading::OUTPUT)]
    pub format: ReportFormat,

    /// Also write each chart as SVG and PNG into DIR (created if needed), for ticket
    /// attachments; Markdown output links to them.
    #[arg(long, value_name = "DIR", help_heading = heading::OUTPUT)]
    pub charts: Option<PathBuf>,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", help_heading = heading::OUTPUT)]
    pub output: Option<PathBuf>,

    /// Colour the tables.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, help_heading = heading::OUTPUT)]
    pub color: ColorChoice,

    /// Table width in columns (default: the terminal's, else 100).
    #[arg(long, value_name = "COLUMNS", help_heading = heading::OUTPUT)]
    pub width: Option<u16>,

    /// Evidence locations kept per signature.
    #[arg(long, value_name = "N", default_value_t = 5, help_heading = heading::OUTPUT)]
    pub evidence: usize,

    /// Analyse PATH (a folder or file) as a run called NAME and print the runs side by side;
    /// repeatable. Give each run's files as separate --run flags with the same NAME.
    #[arg(long = "run", value_name = "NAME=PATH", help_heading = heading::ANALYSIS)]
    pub runs: Vec<String>,

    /// Analyse all PATHs as one run, even when several folders each hold a load test.
    #[arg(long, conflicts_with = "runs", help_heading = heading::ANALYSIS)]
    pub merge: bool,

    /// Treat skipped input as a failure: exit with status 1 when any line was skipped (not
    /// understood, too long, unknown format) or a path was skipped while walking folders
    /// (symlink loop). The report is printed as usual; stderr names each input, reason and
    /// first lines. Without it such skips are reported and the status stays 0.
    #[arg(long, help_heading = heading::ANALYSIS)]
    pub strict: bool,

    /// Recognise funnel stage NAME (hit, started, completed) by a regex over the app event's
    /// message; repeatable.
    #[arg(long, value_name = "NAME=PATTERN", help_heading = heading::ANALYSIS)]
    pub stage: Vec<String>,

    /// The signature catalog.
    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Clock skew and buckets.
    #[command(flatten)]
    pub correlate: CorrelateArgs,
}

/// `rootcause sniff`.
#[derive(Debug, Args)]
pub struct SniffArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `rootcause patterns`.
#[derive(Debug, Args)]
pub struct PatternsArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,

    /// Order: `changed` (most changed at the onset first; most frequent when the run has no
    /// onset) or `count` (most frequent first).
    #[arg(long, value_enum, default_value_t = PatternSort::Changed, help_heading = heading::OUTPUT)]
    pub sort: PatternSort,

    /// Show at most N templates (0: all).
    #[arg(long, value_name = "N", default_value_t = 30, help_heading = heading::OUTPUT)]
    pub limit: usize,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table, help_heading = heading::OUTPUT)]
    pub format: OutputFormat,

    /// Width of the table in characters (default: the terminal's, else 100).
    #[arg(long, value_name = "N", help_heading = heading::OUTPUT)]
    pub width: Option<u16>,

    /// Recognise funnel stage NAME (hit, started, completed) by a regex over the app event's
    /// message; repeatable.
    #[arg(long, value_name = "NAME=PATTERN", help_heading = heading::ANALYSIS)]
    pub stage: Vec<String>,

    /// The signature catalog.
    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Clock skew.
    #[command(flatten)]
    pub correlate: CorrelateArgs,
}

/// The orders of `patterns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PatternSort {
    /// Most changed at the onset first.
    Changed,
    /// Most frequent first.
    Count,
}

/// `rootcause timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,

    /// Show the events within --window of TIME: an RFC 3339 time (`2026-11-25T15:39:41Z`), a
    /// time of day on the run's first day (`15:39:41`), or `first-failure` (the first failed
    /// request or failure signature).
    #[arg(long, value_name = "TIME", help_heading = heading::OUTPUT)]
    pub around: Option<String>,

    /// How far before and after --around to show (e.g. 10s, 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "10s", help_heading = heading::OUTPUT)]
    pub window: String,

    /// Show at most N events (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = heading::OUTPUT)]
    pub limit: usize,

    /// Output format: text lines, or one JSON object per line.
    #[arg(long, short = 'f', value_enum, default_value_t = TimelineFormat::Text, help_heading = heading::OUTPUT)]
    pub format: TimelineFormat,

    /// Recognise funnel stage NAME (hit, started, completed) by a regex over the app event's
    /// message; repeatable.
    #[arg(long, value_name = "NAME=PATTERN", help_heading = heading::ANALYSIS)]
    pub stage: Vec<String>,

    /// The signature catalog.
    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Clock skew.
    #[command(flatten)]
    pub correlate: CorrelateArgs,
}

/// Output formats of `timeline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    /// One line per event.
    Text,
    /// One JSON object per line (JSON Lines).
    Json,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Terminal tables.
    Table,
    /// One JSON object (schema rootcause.diff/v1).
    Json,
    /// GitHub-flavoured Markdown.
    #[value(alias = "markdown")]
    Md,
}

/// `rootcause diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// BASE and CAND (two PATHs), and how to read them.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Table, help_heading = heading::OUTPUT)]
    pub format: DiffFormat,

    /// Write the comparison to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", help_heading = heading::OUTPUT)]
    pub output: Option<PathBuf>,

    /// Table width in columns (default: the terminal's, else 100).
    #[arg(long, value_name = "COLUMNS", help_heading = heading::OUTPUT)]
    pub width: Option<u16>,

    /// Significance level of each row's one-sided test.
    #[arg(long, value_name = "P", default_value_t = 0.01, help_heading = heading::ANALYSIS)]
    pub alpha: f64,

    /// Smallest latency (and signature rate) change that counts, e.g. 10%.
    #[arg(long, value_name = "PERCENT", default_value = "10%", help_heading = heading::ANALYSIS)]
    pub min_latency_change: String,

    /// Smallest change of an error or funnel rate that counts, in percentage points.
    #[arg(long, value_name = "POINTS", default_value_t = 1.0, help_heading = heading::ANALYSIS)]
    pub min_rate_change: f64,

    /// Recognise funnel stage NAME (hit, started, completed) by a regex; repeatable.
    #[arg(long, value_name = "NAME=PATTERN", help_heading = heading::ANALYSIS)]
    pub stage: Vec<String>,

    /// The signature catalog.
    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Clock skew and buckets.
    #[command(flatten)]
    pub correlate: CorrelateArgs,
}

/// `rootcause check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// RUN (one PATH: logs or a saved JSON report), and how to read it.
    #[command(flatten)]
    pub input: InputArgs,

    /// The baseline run (logs or a saved JSON report), for rules that compare.
    #[arg(long, value_name = "PATH", help_heading = heading::ANALYSIS)]
    pub baseline: Option<PathBuf>,

    /// Rules from FILE: one `rule = value` per line (`max-p95-increase = 10%`, `fail-on =
    /// queuepool_exhausted`), `#` comments; flags add to them.
    #[arg(long, value_name = "FILE", help_heading = heading::ANALYSIS)]
    pub config: Option<PathBuf>,

    /// Fail when the median latency rose by more than PERCENT (and significantly).
    #[arg(long, value_name = "PERCENT", help_heading = heading::ANALYSIS)]
    pub max_p50_increase: Option<String>,

    /// Fail when p95 latency rose by more than PERCENT (and significantly).
    #[arg(long, value_name = "PERCENT", help_heading = heading::ANALYSIS)]
    pub max_p95_increase: Option<String>,

    /// Fail when p99 latency rose by more than PERCENT (and significantly).
    #[arg(long, value_name = "PERCENT", help_heading = heading::ANALYSIS)]
    pub max_p99_increase: Option<String>,

    /// Fail when more than PERCENT of requests failed (5xx or no response).
    #[arg(long, value_name = "PERCENT", help_heading = heading::ANALYSIS)]
    pub max_error_rate: Option<String>,

    /// Fail when more than PERCENT of requests got no response.
    #[arg(long, value_name = "PERCENT", help_heading = heading::ANALYSIS)]
    pub max_no_response_rate: Option<String>,

    /// Fail when signature ID is found; `new`: a failure signature the baseline lacks; `any`:
    /// any failure signature. Repeatable.
    #[arg(long, value_name = "ID", help_heading = heading::ANALYSIS)]
    pub fail_on: Vec<String>,

    /// Also write the result as JUnit XML to FILE (one test case per rule).
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUT)]
    pub junit: Option<PathBuf>,

    /// Recognise funnel stage NAME (hit, started, completed) by a regex; repeatable.
    #[arg(long, value_name = "NAME=PATTERN", help_heading = heading::ANALYSIS)]
    pub stage: Vec<String>,

    /// The signature catalog.
    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Clock skew and buckets.
    #[command(flatten)]
    pub correlate: CorrelateArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use rootcause_parsers::sniff::Format;

    use super::Cli;

    #[test]
    fn input_format_help_names_every_format() {
        let cli = Cli::command();
        for sub in ["analyze", "check", "diff", "timeline", "patterns"] {
            let cmd = cli.find_subcommand(sub).expect("subcommand");
            let arg =
                cmd.get_arguments().find(|a| a.get_id() == "input_format").expect("--input-format");
            let help = arg.get_help().expect("help").to_string();
            for f in Format::ALL {
                assert!(help.contains(f.as_str()), "{sub}: --input-format help lacks {f}");
            }
        }
    }
}
