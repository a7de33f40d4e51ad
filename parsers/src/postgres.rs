//! Postgres stderr logs. (stub: API fixed, implementation in progress)

use crate::time::{Micros, TimeOptions};
use crate::{Detection, LineNo, LineParser, Sink};

/// A Postgres message severity as printed in the server log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// `DEBUG1`..`DEBUG5` (the number is kept).
    Debug(u8),
    /// `LOG`.
    Log,
    /// `INFO`.
    Info,
    /// `NOTICE`.
    Notice,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
    /// `FATAL`.
    Fatal,
    /// `PANIC`.
    Panic,
}

impl Severity {
    /// The word as Postgres prints it (`DEBUG` for every debug level).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug(_) => "DEBUG",
            Severity::Log => "LOG",
            Severity::Info => "INFO",
            Severity::Notice => "NOTICE",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
            Severity::Panic => "PANIC",
        }
    }
}

/// One log entry with its follow-up lines folded in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PgRecord {
    /// `%m`, `%t` or `%n` from the prefix.
    pub ts: Option<Micros>,
    /// `%p`.
    pub pid: Option<u32>,
    /// Severity of the main line; `None` only if the prefix matched but no severity followed.
    pub severity: Option<Severity>,
    /// Message of the main line; tab-indented continuation lines appended with `\n`.
    pub message: String,
    /// `%e`.
    pub sqlstate: Option<String>,
    /// `%u`.
    pub user: Option<String>,
    /// `%d`.
    pub db: Option<String>,
    /// `%a`.
    pub app: Option<String>,
    /// `%h` or `%r`.
    pub client: Option<String>,
    /// `DETAIL:` text.
    pub detail: Option<String>,
    /// `HINT:` text.
    pub hint: Option<String>,
    /// `STATEMENT:` text.
    pub statement: Option<String>,
    /// `CONTEXT:` text.
    pub context: Option<String>,
    /// `QUERY:` text.
    pub query: Option<String>,
}

/// A compiled `log_line_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    spec: String,
}

/// Why a `log_line_prefix` given by the user was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixError {
    /// What is wrong, in one sentence.
    pub message: String,
}

impl std::fmt::Display for PrefixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PrefixError {}

impl Prefix {
    /// Compiles a `log_line_prefix` such as `%m [%p] `.
    pub fn compile(spec: &str) -> Result<Prefix, PrefixError> {
        Ok(Prefix { spec: spec.to_string() })
    }
    /// The spec it was compiled from.
    pub fn spec(&self) -> &str {
        &self.spec
    }
}

/// Infers the prefix from the first lines of a log; `None` if no candidate fits.
pub fn infer_prefix(head: &[u8], time: &TimeOptions) -> Option<(Prefix, Detection)> {
    let _ = (head, time);
    None
}

/// How sure we are that `head` is a Postgres stderr log.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    infer_prefix(head, &TimeOptions::default()).map(|(_, d)| d)
}

/// The streaming parser.
#[derive(Debug)]
pub struct Parser {
    prefix: Prefix,
    time: TimeOptions,
}

impl Parser {
    /// A parser for lines written with `prefix`.
    pub fn new(prefix: Prefix, time: TimeOptions) -> Parser {
        Parser { prefix, time }
    }
}

impl LineParser for Parser {
    type Record = PgRecord;
    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<PgRecord>) {
        let _ = (line, &self.prefix, &self.time);
        sink.skip(no, crate::SkipReason::PgUnknownPrefix);
    }
    fn finish(&mut self, sink: &mut dyn Sink<PgRecord>) {
        let _ = sink;
    }
}
