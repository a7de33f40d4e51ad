//! Aggregated load-test results: what tools that do not write one row per request leave behind
//! (Locust's `--csv` files, wrk and wrk2's text summary).
//!
//! These records feed the tables they can (per-route counts and latency percentiles,
//! throughput, a latency time series) and nothing else: there is no request here to put in a
//! burst/offset table or a funnel. Every field a tool does not report is `None`, never a
//! guess.

use crate::Micros;

/// Which tool wrote an aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tool {
    /// Locust `--csv` output.
    Locust,
    /// wrk's text summary.
    Wrk,
    /// wrk2's text summary (HdrHistogram percentiles).
    Wrk2,
}

impl Tool {
    /// Stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Locust => "locust",
            Tool::Wrk => "wrk",
            Tool::Wrk2 => "wrk2",
        }
    }
}

/// Latency statistics as a tool printed them, in milliseconds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Latency {
    /// Fastest.
    pub min: Option<f64>,
    /// Slowest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Standard deviation.
    pub stdev: Option<f64>,
    /// Percentiles: (percent, ms), ascending by percent, e.g. `(50.0, 12.0)`, `(99.9, 80.0)`.
    pub percentiles: Vec<(f64, f64)>,
}

impl Latency {
    /// The value at exactly this percent, if the tool printed it.
    pub fn at(&self, percent: f64) -> Option<f64> {
        self.percentiles.iter().find(|(p, _)| (p - percent).abs() < 1e-9).map(|&(_, v)| v)
    }
}

/// wrk's `Socket errors: connect N, read N, write N, timeout N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SocketErrors {
    /// Connections that could not be opened.
    pub connect: u64,
    /// Reads that failed.
    pub read: u64,
    /// Writes that failed.
    pub write: u64,
    /// Requests that timed out.
    pub timeout: u64,
}

/// Totals for one route (or all routes) over a whole run: a Locust `*_stats.csv` row or one
/// wrk run's summary.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// HTTP method or Locust's request type (`GET`), if given.
    pub method: Option<String>,
    /// Route or name; `None` for the all-routes row (Locust's `Aggregated`, wrk's summary).
    pub route: Option<String>,
    /// The URL tested (wrk's `Running 3s test @ URL`).
    pub url: Option<String>,
    /// Requests completed (Locust: including failures).
    pub requests: u64,
    /// Requests the tool counted as failed (Locust), if known.
    pub failures: Option<u64>,
    /// wrk's `Non-2xx or 3xx responses` (0 when the line is absent).
    pub non_2xx_3xx: Option<u64>,
    /// wrk's socket errors (all zero when the line is absent).
    pub socket_errors: Option<SocketErrors>,
    /// Latency over the requests the tool measured.
    pub latency: Latency,
    /// Throughput the tool reported, requests per second.
    pub requests_per_s: Option<f64>,
    /// Failures per second (Locust).
    pub failures_per_s: Option<f64>,
    /// Run length in seconds (wrk's `N requests in 3.05s`).
    pub duration_s: Option<f64>,
    /// Threads and connections (wrk), if printed.
    pub threads: Option<u32>,
    /// Connections (wrk) or users, if printed.
    pub connections: Option<u32>,
    /// wrk2's target rate (`-R`), if it can be read.
    pub target_rate: Option<f64>,
}

/// One point of a time series: a Locust `*_stats_history.csv` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// When.
    pub ts: Micros,
    /// Users running.
    pub users: Option<u64>,
    /// Route; `None` for `Aggregated`.
    pub route: Option<String>,
    /// Method/type.
    pub method: Option<String>,
    /// Current requests per second.
    pub requests_per_s: Option<f64>,
    /// Current failures per second.
    pub failures_per_s: Option<f64>,
    /// Current percentiles (Locust's recent window); `N/A` cells are left out.
    pub percentiles: Vec<(f64, f64)>,
    /// Requests so far.
    pub total_requests: Option<u64>,
    /// Failures so far.
    pub total_failures: Option<u64>,
    /// Median over the run so far.
    pub total_median: Option<f64>,
}

/// A group of failures: a Locust `*_failures.csv` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailureGroup {
    /// Method.
    pub method: Option<String>,
    /// Route or name.
    pub route: Option<String>,
    /// The error text (`HTTPError('500 Server Error: ...')`, `ConnectionRefusedError(...)`).
    pub error: String,
    /// How many times.
    pub occurrences: u64,
    /// First seen (newer Locust only).
    pub first_seen: Option<Micros>,
    /// Last seen (newer Locust only).
    pub last_seen: Option<Micros>,
}

impl FailureGroup {
    /// What the error text says happened: `Some(status)` for an HTTP error with a status,
    /// `None` for a failure without a response (refused, reset, timed out...), or `Err(())`
    /// when the text says neither (a failed assertion in user code).
    pub fn outcome(&self) -> Result<Option<u16>, ()> {
        classify_error(&self.error)
    }
}

/// Reads an HTTP status or a connection failure out of a load tool's error text.
/// `Ok(Some(500))` for `HTTPError('500 Server Error: ...')` or `BadStatusCode(..., code=500)`,
/// `Ok(None)` for a connection-level failure, `Err(())` when it says neither.
pub fn classify_error(error: &str) -> Result<Option<u16>, ()> {
    let _ = error;
    Err(())
}

/// An exception group: a Locust `*_exceptions.csv` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExceptionGroup {
    /// How many times.
    pub count: u64,
    /// The message.
    pub message: String,
    /// The traceback text (multi-line).
    pub traceback: String,
    /// Worker nodes.
    pub nodes: Option<String>,
}

/// One aggregated record.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    /// Totals for a route or all routes.
    Totals {
        /// The tool.
        tool: Tool,
        /// The numbers.
        totals: Box<Totals>,
    },
    /// A time-series point.
    Sample(Box<Sample>),
    /// A failure group.
    Failure(Box<FailureGroup>),
    /// An exception group.
    Exception(Box<ExceptionGroup>),
}
