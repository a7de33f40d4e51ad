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
    /// The median when the tool prints it apart from its percentile list (Locust's
    /// `Median Response Time`, which is not always its `50%` column).
    pub median: Option<f64>,
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
    /// What the error text says happened ([`classify_error`]).
    pub fn outcome(&self) -> ErrorOutcome {
        classify_error(&self.error)
    }
}

/// What a load tool's error text says happened to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorOutcome {
    /// An HTTP response with this status.
    Status(u16),
    /// No response: refused, reset, closed, timed out...
    NoResponse,
    /// The text says neither (a failed assertion in the user's code).
    Unknown,
}

/// Reads an HTTP status or a connection failure out of a load tool's error text.
/// `Status(500)` for `HTTPError('500 Server Error: ...')` or `BadStatusCode(..., code=500)`,
/// `NoResponse` for a connection-level failure, `Unknown` when it says neither.
///
/// The texts are Locust 2.47.0's (see `samples/loadtools/locust/README.md`):
/// - status: `HTTPError('500 Server Error: Internal Server Error for url: /boom')` (HttpUser),
///   `LocustBadStatusCode(code=500)` (FastHttpUser), and older `BadStatusCode('http://..',
///   code=500)`;
/// - no response: `ConnectionRefusedError(111, 'Connection refused')`,
///   `RemoteDisconnected('Remote end closed connection without response')`,
///   `HTTPConnectionClosed('connection closed.')` (FastHttpUser), `ReadTimeout(...Read timed
///   out...)`, and the other connection errors of requests/urllib3/geventhttpclient
///   (`ConnectionResetError`, `Connection aborted`, `ConnectTimeout`, `Max retries exceeded`,
///   `socket.timeout`, `gaierror`...);
/// - neither: `CatchResponseError('...')`, the text of a user's `response.failure(...)`.
pub fn classify_error(error: &str) -> ErrorOutcome {
    let e = error.trim();
    // A failure the user's code declared: its words are free text, never a transport error.
    if e.starts_with("CatchResponseError(") {
        return ErrorOutcome::Unknown;
    }
    if let Some(code) = status_in(e) {
        return ErrorOutcome::Status(code);
    }
    let lower = e.to_ascii_lowercase();
    const NO_RESPONSE: &[&str] = &[
        "connectionrefusederror",
        "connectionreseterror",
        "connectionabortederror",
        "connectionerror",
        "remotedisconnected",
        "httpconnectionclosed",
        "connection aborted",
        "connection refused",
        "connection reset",
        "connection closed",
        "broken pipe",
        "brokenpipeerror",
        "readtimeout",
        "connecttimeout",
        "timeouterror",
        "socket.timeout",
        "timed out",
        "max retries exceeded",
        "newconnectionerror",
        "protocolerror",
        "socket.error",
        "gaierror",
        "name or service not known",
        "sslerror",
    ];
    if NO_RESPONSE.iter().any(|k| lower.contains(k)) {
        return ErrorOutcome::NoResponse;
    }
    ErrorOutcome::Unknown
}

/// The status in `code=500` or in `'500 Server Error` / `'404 Client Error`.
fn status_in(e: &str) -> Option<u16> {
    let b = e.as_bytes();
    let three = |i: usize| -> Option<u16> {
        let d = b.get(i..i + 3)?;
        if !d.iter().all(u8::is_ascii_digit) || b.get(i + 3).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let n = d.iter().fold(0u16, |a, &c| a * 10 + u16::from(c - b'0'));
        (100..=599).contains(&n).then_some(n)
    };
    if let Some(i) = e.find("code=") {
        if let Some(n) = three(i + 5) {
            return Some(n);
        }
    }
    for kind in [" Server Error", " Client Error"] {
        if let Some(i) = e.find(kind) {
            if let Some(n) = i.checked_sub(3).and_then(three) {
                return Some(n);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_error_texts_locust_2_47_wrote() {
        // Verbatim from samples/loadtools/locust/run_failures.csv.
        let cases: &[(&str, ErrorOutcome)] = &[
            (
                "HTTPError('500 Server Error: Internal Server Error for url: /boom')",
                ErrorOutcome::Status(500),
            ),
            (
                "HTTPError('404 Client Error: Not Found for url: /missing')",
                ErrorOutcome::Status(404),
            ),
            ("LocustBadStatusCode(code=500)", ErrorOutcome::Status(500)),
            ("LocustBadStatusCode(code=404)", ErrorOutcome::Status(404)),
            ("ConnectionRefusedError(111, 'Connection refused')", ErrorOutcome::NoResponse),
            (
                "RemoteDisconnected('Remote end closed connection without response')",
                ErrorOutcome::NoResponse,
            ),
            ("HTTPConnectionClosed('connection closed.')", ErrorOutcome::NoResponse),
            (
                "ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', port=18231): \
                 Read timed out. (read timeout=0.2)\"))",
                ErrorOutcome::NoResponse,
            ),
            ("CatchResponseError('body did not contain expected-word')", ErrorOutcome::Unknown),
        ];
        for (text, want) in cases {
            assert_eq!(classify_error(text), *want, "{text}");
        }
    }

    #[test]
    fn classifies_other_known_shapes() {
        let cases: &[(&str, ErrorOutcome)] = &[
            ("BadStatusCode('http://127.0.0.1:8089/boom', code=503)", ErrorOutcome::Status(503)),
            (
                "HTTPError('500 Server Error: INTERNAL SERVER ERROR for url: http://x/a')",
                ErrorOutcome::Status(500),
            ),
            (
                "ConnectionError(ProtocolError('Connection aborted.', \
                 ConnectionResetError(104, 'Connection reset by peer')))",
                ErrorOutcome::NoResponse,
            ),
            (
                "ConnectTimeout(MaxRetryError(\"HTTPConnectionPool(host='10.0.0.1', port=80): \
                 Max retries exceeded with url: /a\"))",
                ErrorOutcome::NoResponse,
            ),
            ("timeout('timed out')", ErrorOutcome::NoResponse),
            ("CatchResponseError('Connection refused by policy 500')", ErrorOutcome::Unknown),
            ("ValueError('unexpected body')", ErrorOutcome::Unknown),
            ("code=5000", ErrorOutcome::Unknown),
            ("", ErrorOutcome::Unknown),
        ];
        for (text, want) in cases {
            assert_eq!(classify_error(text), *want, "{text}");
        }
    }
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
