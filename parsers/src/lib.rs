//! Pure parsers for the logs a load test or an incident leaves behind.
//!
//! Every format is parsed from bytes (`&[u8]`), never from `&str`: real logs carry invalid
//! UTF-8. The crate does no I/O, spawns no threads and keeps no global state besides
//! compiled regexes, so each parser can be unit-tested and fuzzed on a byte slice.
//!
//! Formats are line-oriented state machines implementing [`LineParser`]: the caller feeds one
//! physical line at a time (without its line terminator) and receives finished records and
//! skipped lines through a [`Sink`]. Multi-line records (Python tracebacks, Postgres
//! `DETAIL:`/`STATEMENT:` lines) are assembled inside the parser. Every line fed ends up either
//! inside a record (counted by the record's `lines`), consumed as structure (a CSV header), or
//! skipped with a [`SkipReason`], so `lines read = in records + consumed + skipped` holds for
//! any input ([`VecSink::accounts_for_every_line`]).
//!
//! Modules, one per format family:
//! - [`time`]: every timestamp grammar, to UTC microseconds;
//! - [`loadtest`]: the hammer CSV, JMeter JTL and other per-request CSVs (header-driven);
//! - [`k6`], [`vegeta`]: per-request outputs of k6 (`--out csv`) and vegeta (`encode --to csv`);
//! - [`locust`], [`wrk`]: aggregated results (Locust `--csv`, wrk/wrk2 text) as
//!   [`aggregate::Aggregate`] records;
//! - [`jsonlog`]: JSON-lines application logs (structlog, python-json-logger, generic);
//! - [`traceback`]: Python tracebacks with their exception chains;
//! - [`postgres`]: the Postgres stderr log with an inferred or given `log_line_prefix`;
//! - [`console`]: a server's console output (gunicorn/werkzeug lines and tracebacks);
//! - [`platform`]: Heroku and Cloud Foundry log streams (router lines, app output per
//!   instance, JSON app logs inside them);
//! - [`sniff`]: picks a format from the first bytes of content.
//!
//! ```
//! use rootcause_parsers::{loadtest, parse_bytes};
//! let csv = b"sent_at,route,status,elapsed_ms\n2026-11-25T15:39:20.139Z,/a,200,12.5\n";
//! let out = parse_bytes(&mut loadtest::Parser::new(Default::default()), csv);
//! assert_eq!(out.records.len(), 1);
//! assert_eq!(out.records[0].rec.status, Some(200));
//! ```

pub mod aggregate;
pub mod console;
pub mod error;
pub mod jsonlog;
pub mod k6;
pub mod loadtest;
pub mod locust;
pub mod platform;
pub mod postgres;
pub mod sniff;
pub mod text;
pub mod time;
pub mod traceback;
pub mod vegeta;
pub mod wrk;

#[cfg(test)]
mod testutil;

pub use error::{Note, SkipReason};
pub use time::Micros;

/// A 1-based line number inside one input.
pub type LineNo = u64;

/// Receives what a [`LineParser`] produces.
pub trait Sink<R> {
    /// A finished record that starts at `line` and folds `lines` physical lines (contiguous
    /// for every format but Postgres, which may fold a tab continuation that follows a foreign
    /// line).
    fn record(&mut self, line: LineNo, lines: u32, rec: R);
    /// A line that was not understood, with the reason.
    fn skip(&mut self, line: LineNo, reason: SkipReason);
    /// Lines understood that produce no record (a CSV header).
    fn consumed(&mut self, line: LineNo, lines: u32) {
        let _ = (line, lines);
    }
    /// A caveat about a line that was parsed (for example a time zone that was assumed).
    fn note(&mut self, line: LineNo, note: Note) {
        let _ = (line, note);
    }
}

/// A line-oriented parser: fed one physical line at a time, in order.
pub trait LineParser {
    /// What this parser produces.
    type Record;
    /// Feeds line number `no` (1-based), without its `\n` or `\r\n` terminator.
    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Self::Record>);
    /// Flushes a record still being assembled at end of input.
    fn finish(&mut self, sink: &mut dyn Sink<Self::Record>);
}

/// One record and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<R> {
    /// First line of the record.
    pub line: LineNo,
    /// Number of physical lines it spans.
    pub lines: u32,
    /// The record.
    pub rec: R,
}

/// A [`Sink`] that keeps everything, for tests, fuzzing and small inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct VecSink<R> {
    /// Records in the order they were finished.
    pub records: Vec<Located<R>>,
    /// Skipped lines with their reasons.
    pub skipped: Vec<(LineNo, SkipReason)>,
    /// Notes about parsed lines.
    pub notes: Vec<(LineNo, Note)>,
    /// Lines understood without producing a record (headers).
    pub consumed: u64,
    /// Number of lines fed.
    pub lines: u64,
}

impl<R> Default for VecSink<R> {
    fn default() -> Self {
        VecSink {
            records: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
            consumed: 0,
            lines: 0,
        }
    }
}

impl<R> VecSink<R> {
    /// Lines that ended up inside a record.
    pub fn lines_in_records(&self) -> u64 {
        self.records.iter().map(|r| u64::from(r.lines)).sum()
    }

    /// True when every line fed is accounted for: in a record, consumed, or skipped.
    pub fn accounts_for_every_line(&self) -> bool {
        self.lines_in_records() + self.consumed + self.skipped.len() as u64 == self.lines
    }
}

impl<R> Sink<R> for VecSink<R> {
    fn record(&mut self, line: LineNo, lines: u32, rec: R) {
        self.records.push(Located { line, lines, rec });
    }
    fn skip(&mut self, line: LineNo, reason: SkipReason) {
        self.skipped.push((line, reason));
    }
    fn consumed(&mut self, _line: LineNo, lines: u32) {
        self.consumed += u64::from(lines);
    }
    fn note(&mut self, line: LineNo, note: Note) {
        self.notes.push((line, note));
    }
}

/// Splits `bytes` into lines and feeds them all to `parser`; for tests and fuzzing.
///
/// A final line without a terminator is still a line; `\r\n` endings are accepted.
pub fn parse_bytes<P: LineParser>(parser: &mut P, bytes: &[u8]) -> VecSink<P::Record> {
    let mut sink = VecSink::default();
    let mut no: LineNo = 0;
    for line in text::lines(bytes) {
        no += 1;
        parser.line(line, no, &mut sink);
    }
    parser.finish(&mut sink);
    sink.lines = no;
    sink
}

/// A log level, normalised across Python logging, structlog, gunicorn and others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `trace`, `debug`.
    Debug,
    /// `info`, `notice`.
    Info,
    /// `warn`, `warning`.
    Warning,
    /// `error`, `err`, `exception` (structlog's name for `error` with a traceback).
    Error,
    /// `critical`, `fatal`, `crit`, `alert`, `emerg`, `panic`.
    Critical,
}

impl Level {
    /// Reads a level word in any case; `None` for anything else.
    pub fn from_word(w: &[u8]) -> Option<Level> {
        let mut buf = [0u8; 9];
        if w.is_empty() || w.len() > buf.len() {
            return None;
        }
        for (b, c) in buf.iter_mut().zip(w) {
            *b = c.to_ascii_lowercase();
        }
        Some(match &buf[..w.len()] {
            b"trace" | b"debug" | b"dbg" => Level::Debug,
            b"info" | b"notice" | b"information" => Level::Info,
            b"warn" | b"warning" => Level::Warning,
            b"error" | b"err" | b"exception" => Level::Error,
            b"critical" | b"crit" | b"fatal" | b"alert" | b"emerg" | b"emergency" | b"panic" => {
                Level::Critical
            }
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }
}

/// What a format's `sniff` function concluded from the head of an input.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// How sure, from 0 (not this format) to 1 (certainly this format).
    pub score: f32,
    /// One sentence a person can check, e.g. "11 of 11 lines match log_line_prefix '%m [%p] '".
    pub reason: String,
}
