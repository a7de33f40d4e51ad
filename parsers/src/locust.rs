//! Locust's `--csv` outputs: `*_stats.csv`, `*_stats_history.csv`, `*_failures.csv` and
//! `*_exceptions.csv`, each recognised by its header, never by the file name.
//!
//! | header starts | file | record |
//! |---|---|---|
//! | `Type,Name,Request Count,Failure Count,...` | `*_stats.csv` | [`Aggregate::Totals`] per row |
//! | `Timestamp,User Count,Type,Name,...` | `*_stats_history.csv` | [`Aggregate::Sample`] per row |
//! | `Method,Name,Error,Occurrences[,First Seen,Last Seen]` | `*_failures.csv` | [`Aggregate::Failure`] |
//! | `Count,Message,Traceback,Nodes` | `*_exceptions.csv` | [`Aggregate::Exception`] |
//!
//! Columns are found by name, so a column Locust adds later is ignored, not misread. `N/A`
//! cells (percentiles before the first sample) are left out. The `Aggregated` row (empty
//! `Type`) has no route. A quoted cell may span lines (the exceptions' `Traceback`): such a row
//! is one record spanning all its lines. Several files concatenated are read in turn: each
//! Locust header switches the layout.
//!
//! ```
//! use rootcause_parsers::{aggregate::{Aggregate, ErrorOutcome}, locust, parse_bytes};
//! let csv = b"Method,Name,Error,Occurrences\nGET,/boom,HTTPError('500 Server Error: x'),3\n";
//! let out = parse_bytes(&mut locust::Parser::new(Default::default()), csv);
//! let Aggregate::Failure(f) = &out.records[0].rec else { panic!() };
//! assert_eq!((f.occurrences, f.outcome()), (3, ErrorOutcome::Status(500)));
//! ```

use std::borrow::Cow;

use crate::aggregate::{Aggregate, ExceptionGroup, FailureGroup, Latency, Sample, Tool, Totals};
use crate::loadtest::{FieldsError, Joiner, Options, fields, skip_span};
use crate::text::{decimal as number, is_blank, lossy, unsigned as count};
use crate::time::{self, Micros};
use crate::{Detection, LineNo, LineParser, Note, Sink, SkipReason};

/// Which of Locust's four CSV files a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `*_stats.csv`: totals per route and the `Aggregated` row.
    Stats,
    /// `*_stats_history.csv`: a time series.
    History,
    /// `*_failures.csv`: failures grouped by method, name and error.
    Failures,
    /// `*_exceptions.csv`: exceptions raised in user code, with tracebacks.
    Exceptions,
}

impl Kind {
    /// A short description for reasons, e.g. "stats CSV".
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Stats => "stats CSV",
            Kind::History => "stats history CSV",
            Kind::Failures => "failures CSV",
            Kind::Exceptions => "exceptions CSV",
        }
    }
}

/// What a Locust column holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Col {
    Type,
    Name,
    RequestCount,
    FailureCount,
    Median,
    Average,
    Min,
    Max,
    Rps,
    Fps,
    Pct(f64),
    Timestamp,
    UserCount,
    TotalRequestCount,
    TotalFailureCount,
    TotalMedian,
    Method,
    Error,
    Occurrences,
    FirstSeen,
    LastSeen,
    Count,
    Message,
    Traceback,
    Nodes,
    /// A column we do not read (`Average Content Size`, `Total Min Response Time`, ...).
    Other,
}

fn col(name: &[u8]) -> Col {
    let name = name.trim_ascii();
    if let Some(p) = name.strip_suffix(b"%").and_then(number) {
        return Col::Pct(p);
    }
    match name {
        b"Type" => Col::Type,
        b"Name" => Col::Name,
        b"Request Count" => Col::RequestCount,
        b"Failure Count" => Col::FailureCount,
        b"Median Response Time" => Col::Median,
        b"Average Response Time" => Col::Average,
        b"Min Response Time" => Col::Min,
        b"Max Response Time" => Col::Max,
        b"Requests/s" => Col::Rps,
        b"Failures/s" => Col::Fps,
        b"Timestamp" => Col::Timestamp,
        b"User Count" => Col::UserCount,
        b"Total Request Count" => Col::TotalRequestCount,
        b"Total Failure Count" => Col::TotalFailureCount,
        b"Total Median Response Time" => Col::TotalMedian,
        b"Method" => Col::Method,
        b"Error" => Col::Error,
        b"Occurrences" => Col::Occurrences,
        b"First Seen" => Col::FirstSeen,
        b"Last Seen" => Col::LastSeen,
        b"Count" => Col::Count,
        b"Message" => Col::Message,
        b"Traceback" => Col::Traceback,
        b"Nodes" => Col::Nodes,
        _ => Col::Other,
    }
}

/// A Locust header: which file, and each column's meaning.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    kind: Kind,
    cols: Vec<Col>,
}

/// Reads a Locust header line; `None` for anything else. The leading columns must be exactly
/// Locust's, in its order.
fn header(line: &[u8]) -> Option<Header> {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    if !first_column_fits(line) {
        return None;
    }
    let cells = fields(line, b',').ok()?;
    let cols: Vec<Col> = cells.iter().map(|c| col(c)).collect();
    let starts = |want: &[Col]| cols.len() >= want.len() && cols[..want.len()] == *want;
    let kind = if starts(&[Col::Type, Col::Name, Col::RequestCount, Col::FailureCount]) {
        Kind::Stats
    } else if starts(&[Col::Timestamp, Col::UserCount, Col::Type, Col::Name]) {
        Kind::History
    } else if starts(&[Col::Method, Col::Name, Col::Error, Col::Occurrences]) {
        Kind::Failures
    } else if starts(&[Col::Count, Col::Message, Col::Traceback]) {
        Kind::Exceptions
    } else {
        return None;
    };
    Some(Header { kind, cols })
}

/// False when the first cell of `line` is none of the first columns of Locust's headers
/// (`Type`, `Timestamp`, `Method`, `Count`): then [`header`] refuses it without splitting the
/// line into cells. The parser asks of every row whether it is another file's header, and
/// that split was a quarter of its time. A quoted first cell is left to [`fields`].
fn first_column_fits(line: &[u8]) -> bool {
    if line.first() == Some(&b'"') {
        return true;
    }
    let first = line.split(|&c| c == b',').next().unwrap_or_default();
    matches!(col(first), Col::Type | Col::Timestamp | Col::Method | Col::Count)
}

/// The streaming parser: the first non-blank line must be one of Locust's four headers.
#[derive(Debug, Default)]
pub struct Parser {
    opts: Options,
    header: Option<Header>,
    header_line: Vec<u8>,
    /// A row whose quoted cell is still open.
    pending: Joiner,
}

impl Parser {
    /// A parser that reads its header from the first non-blank line.
    pub fn new(opts: Options) -> Parser {
        Parser { opts, ..Parser::default() }
    }

    /// Which Locust file the last header read belongs to.
    pub fn kind(&self) -> Option<Kind> {
        self.header.as_ref().map(|h| h.kind)
    }

    fn row(&self, text: &[u8], first: LineNo, lines: u32, sink: &mut dyn Sink<Aggregate>) {
        let Some(h) = &self.header else {
            return;
        };
        let cells = match fields(text, b',') {
            Ok(c) => c,
            Err(FieldsError::OpenQuote) => {
                return skip_span(sink, first, lines, SkipReason::CsvUnterminatedQuote);
            }
        };
        if cells.len() < h.cols.len() {
            return skip_span(sink, first, lines, SkipReason::CsvTooFewFields);
        }
        if cells[h.cols.len()..].iter().any(|c| !is_blank(c)) {
            return skip_span(sink, first, lines, SkipReason::CsvTooManyFields);
        }
        let row = Row { cols: &h.cols, cells: &cells, no: first };
        let rec = match h.kind {
            Kind::Stats => row.totals(sink),
            Kind::History => row.sample(sink),
            Kind::Failures => row.failure(&self.opts, sink),
            Kind::Exceptions => row.exception(sink),
        };
        match rec {
            Some(rec) => sink.record(first, lines, rec),
            None => skip_span(sink, first, lines, SkipReason::AggregateBadField),
        }
    }
}

/// One data row with its header.
struct Row<'a, 'b> {
    cols: &'a [Col],
    cells: &'a [Cow<'b, [u8]>],
    no: LineNo,
}

impl Row<'_, '_> {
    fn get(&self, c: Col) -> Option<&[u8]> {
        self.cols.iter().position(|k| *k == c).map(|i| self.cells[i].trim_ascii())
    }

    fn text(&self, c: Col) -> Option<String> {
        self.get(c).filter(|v| !v.is_empty()).map(|v| lossy(v).into_owned())
    }

    /// A number cell: `None` when absent, empty or `N/A`; a note when it is not a number.
    fn num(&self, c: Col, sink: &mut dyn Sink<Aggregate>) -> Option<f64> {
        let v = self.get(c)?;
        if v.is_empty() || v == b"N/A" {
            return None;
        }
        let n = number(v);
        if n.is_none() {
            sink.note(self.no, Note::BadNumber);
        }
        n
    }

    /// A count that must be there; `None` makes the row unreadable.
    fn count(&self, c: Col) -> Option<u64> {
        count(self.get(c)?)
    }

    fn opt_count(&self, c: Col, sink: &mut dyn Sink<Aggregate>) -> Option<u64> {
        let v = self.get(c)?;
        if v.is_empty() || v == b"N/A" {
            return None;
        }
        let n = count(v);
        if n.is_none() {
            sink.note(self.no, Note::BadNumber);
        }
        n
    }

    fn percentiles(&self, sink: &mut dyn Sink<Aggregate>) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = self
            .cols
            .iter()
            .filter_map(|c| match c {
                Col::Pct(p) => self.num(*c, sink).map(|v| (*p, v)),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    /// Type and Name, with the `Aggregated` row (empty Type) getting no route.
    fn method_route(&self, method_col: Col) -> (Option<String>, Option<String>) {
        let method = self.text(method_col);
        let name = self.get(Col::Name).unwrap_or_default();
        let route =
            if method.is_none() && name == b"Aggregated" { None } else { self.text(Col::Name) };
        (method, route)
    }

    fn totals(&self, sink: &mut dyn Sink<Aggregate>) -> Option<Aggregate> {
        let requests = self.count(Col::RequestCount)?;
        let (method, route) = self.method_route(Col::Type);
        let latency = Latency {
            min: self.num(Col::Min, sink),
            max: self.num(Col::Max, sink),
            mean: self.num(Col::Average, sink),
            stdev: None,
            median: self.num(Col::Median, sink),
            percentiles: self.percentiles(sink),
        };
        let totals = Totals {
            method,
            route,
            requests,
            failures: self.opt_count(Col::FailureCount, sink),
            latency,
            requests_per_s: self.num(Col::Rps, sink),
            failures_per_s: self.num(Col::Fps, sink),
            ..Totals::default()
        };
        Some(Aggregate::Totals { tool: Tool::Locust, totals: Box::new(totals) })
    }

    fn sample(&self, sink: &mut dyn Sink<Aggregate>) -> Option<Aggregate> {
        let ts = time::parse_epoch(self.get(Col::Timestamp)?)?;
        let (method, route) = self.method_route(Col::Type);
        let s = Sample {
            ts,
            users: self.opt_count(Col::UserCount, sink),
            route,
            method,
            requests_per_s: self.num(Col::Rps, sink),
            failures_per_s: self.num(Col::Fps, sink),
            percentiles: self.percentiles(sink),
            total_requests: self.opt_count(Col::TotalRequestCount, sink),
            total_failures: self.opt_count(Col::TotalFailureCount, sink),
            total_median: self.num(Col::TotalMedian, sink),
        };
        Some(Aggregate::Sample(Box::new(s)))
    }

    fn stamp(&self, c: Col, opts: &Options, sink: &mut dyn Sink<Aggregate>) -> Option<Micros> {
        let v = self.get(c).filter(|v| !v.is_empty())?;
        match time::parse(v, &opts.time) {
            Some(st) => {
                if let Some(c) = st.caveat() {
                    sink.note(self.no, c);
                }
                Some(st.micros)
            }
            None => {
                sink.note(self.no, Note::BadTimestamp);
                None
            }
        }
    }

    fn failure(&self, opts: &Options, sink: &mut dyn Sink<Aggregate>) -> Option<Aggregate> {
        let occurrences = self.count(Col::Occurrences)?;
        let f = FailureGroup {
            method: self.text(Col::Method),
            route: self.text(Col::Name),
            error: self.text(Col::Error).unwrap_or_default(),
            occurrences,
            first_seen: self.stamp(Col::FirstSeen, opts, sink),
            last_seen: self.stamp(Col::LastSeen, opts, sink),
        };
        Some(Aggregate::Failure(Box::new(f)))
    }

    fn exception(&self, _sink: &mut dyn Sink<Aggregate>) -> Option<Aggregate> {
        let count = self.count(Col::Count)?;
        // The traceback keeps its own indentation: only its line breaks are trimmed.
        let traceback = self
            .cols
            .iter()
            .position(|k| *k == Col::Traceback)
            .map(|i| lossy(self.cells[i].trim_ascii_end()).into_owned())
            .unwrap_or_default();
        let e = ExceptionGroup {
            count,
            message: self.text(Col::Message).unwrap_or_default(),
            traceback,
            nodes: self.text(Col::Nodes),
        };
        Some(Aggregate::Exception(Box::new(e)))
    }
}

impl LineParser for Parser {
    type Record = Aggregate;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Aggregate>) {
        if self.pending.is_open() {
            if let Some((text, first, lines)) = self.pending.push(line, b',', sink) {
                self.row(&text, first, lines, sink);
            }
            return;
        }
        if is_blank(line) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        if self.header.is_some() && line == self.header_line.as_slice() {
            sink.skip(no, SkipReason::CsvRepeatedHeader);
            return;
        }
        if let Some(h) = header(line) {
            // The first header, or another Locust file concatenated after this one.
            self.header = Some(h);
            self.header_line.clear();
            self.header_line.extend_from_slice(line);
            sink.consumed(no, 1);
            return;
        }
        if self.header.is_none() {
            sink.skip(no, SkipReason::CsvNoHeader);
            return;
        }
        if !self.pending.start(line, no, b',') {
            self.row(line, no, 1, sink);
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink<Aggregate>) {
        self.pending.flush(sink);
    }
}

/// How sure we are that `head` is one of Locust's CSV files: its first non-blank line is one
/// of the four headers (0.97), and rows have as many fields.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let mut lines = crate::text::lines(head).filter(|l| !is_blank(l));
    let first = lines.next()?;
    let h = header(first)?;
    let (mut rows, mut fitting) = (0usize, 0usize);
    for l in lines.take(50) {
        rows += 1;
        match fields(l, b',') {
            Ok(f) if f.len() == h.cols.len() => fitting += 1,
            Ok(_) => {}
            // A quoted traceback that goes on past this line.
            Err(FieldsError::OpenQuote) => fitting += 1,
        }
    }
    // Multi-line tracebacks make continuation lines look like short rows: only the header
    // counts for the exceptions file.
    let score =
        if rows == 0 || h.kind == Kind::Exceptions || fitting * 2 >= rows { 0.97 } else { 0.8 };
    let shown: String = lossy(&first[..first.len().min(48)]).into_owned();
    Some(Detection {
        score,
        reason: format!(
            "Locust {} ({shown}... header, {} columns); {fitting} of {rows} rows fit",
            h.kind.as_str(),
            h.cols.len()
        ),
    })
}

#[cfg(test)]
mod tests;
