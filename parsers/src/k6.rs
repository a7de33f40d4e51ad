//! k6's `--out csv=FILE` output: one row per metric sample. Each HTTP request is the
//! `http_req_duration` row; the other metric rows are read and accounted for as consumed.
//!
//! The header decides which column is which (`--system-tags` adds or removes columns), so only
//! `metric_name`, `timestamp` and `metric_value` are required. From an `http_req_duration` row:
//! - `timestamp` is the send time: unix seconds by default, or milli/micro/nanoseconds
//!   (`K6_CSV_TIME_FORMAT=unix_milli`...; told apart by magnitude), or RFC 3339;
//! - `metric_value` is the elapsed time in milliseconds;
//! - `status` is the HTTP status; `0` or empty means no response;
//! - `error` is the error text, else `error_code` as `error_code 1212`;
//! - `expected_response` is the success flag, `method` the method, `url` the URL;
//! - `name` is the route only when it is not a URL: k6 sets `name` to the URL unless the
//!   script tags requests with a name, so a URL-like name is left out and the route is derived
//!   from `url` downstream.
//!
//! ```
//! use rootcause_parsers::{k6, parse_bytes};
//! let csv = b"metric_name,timestamp,metric_value,method,name,status,url\n\
//!             http_reqs,1764085160,1.000000,GET,/a,200,http://h/a?id=1\n\
//!             http_req_duration,1764085160,12.500000,GET,/a,200,http://h/a?id=1\n";
//! let out = parse_bytes(&mut k6::Parser::new(Default::default()), csv);
//! assert_eq!(out.records.len(), 1);
//! assert_eq!(out.records[0].rec.elapsed_ms, Some(12.5));
//! assert_eq!(out.records[0].rec.route.as_deref(), Some("/a"));
//! assert_eq!(out.consumed, 2, "the header and the http_reqs row");
//! ```

use std::borrow::Cow;

use crate::loadtest::{FieldsError, Headed, Options, Request, fields, status, text};
use crate::text::is_blank;
use crate::time;
use crate::{Detection, LineNo, LineParser, Note, Sink, SkipReason};

/// The metric whose rows are the requests.
const REQUEST_METRIC: &[u8] = b"http_req_duration";

/// Where k6's columns are in one header. Only the first three are required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Number of columns.
    pub columns: usize,
    /// `metric_name`.
    pub metric_name: usize,
    /// `timestamp`.
    pub timestamp: usize,
    /// `metric_value`.
    pub metric_value: usize,
    /// `status`.
    pub status: Option<usize>,
    /// `error`.
    pub error: Option<usize>,
    /// `error_code`.
    pub error_code: Option<usize>,
    /// `expected_response`.
    pub expected_response: Option<usize>,
    /// `method`.
    pub method: Option<usize>,
    /// `name`.
    pub name: Option<usize>,
    /// `url`.
    pub url: Option<usize>,
}

impl Header {
    /// Reads a k6 CSV header: `None` unless it has `metric_name`, `timestamp` and
    /// `metric_value` columns (exact, lower-case names as k6 writes them).
    pub fn read(line: &[u8]) -> Option<Header> {
        let cells = fields(line, b',').ok()?;
        let find = |name: &[u8]| cells.iter().position(|c| without_bom(c.trim_ascii()) == name);
        Some(Header {
            columns: cells.len(),
            metric_name: find(b"metric_name")?,
            timestamp: find(b"timestamp")?,
            metric_value: find(b"metric_value")?,
            status: find(b"status"),
            error: find(b"error"),
            error_code: find(b"error_code"),
            expected_response: find(b"expected_response"),
            method: find(b"method"),
            name: find(b"name"),
            url: find(b"url"),
        })
    }
}

/// Drops a UTF-8 byte-order mark.
fn without_bom(c: &[u8]) -> &[u8] {
    c.strip_prefix("\u{feff}".as_bytes()).unwrap_or(c)
}

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    opts: Options,
    header: Headed<Header>,
}

impl Parser {
    /// A parser that reads its header from the first non-blank line.
    pub fn new(opts: Options) -> Parser {
        Parser { opts, ..Parser::default() }
    }

    /// The header, once seen.
    pub fn header(&self) -> Option<&Header> {
        self.header.header.as_ref()
    }

    /// One data row: `Ok(Some)` for a request, `Ok(None)` for another metric's sample.
    fn row(
        &self,
        h: &Header,
        cells: &[Cow<'_, [u8]>],
        no: LineNo,
        sink: &mut dyn Sink<Request>,
    ) -> Result<Option<Request>, SkipReason> {
        if cells.len() < h.columns {
            return Err(SkipReason::CsvTooFewFields);
        }
        if cells.len() > h.columns && cells[h.columns..].iter().any(|c| !is_blank(c)) {
            return Err(SkipReason::CsvTooManyFields);
        }
        let cell =
            |i: Option<usize>| i.and_then(|i| cells.get(i)).map_or(&b""[..], |c| c.trim_ascii());
        let metric = cell(Some(h.metric_name));
        if metric.is_empty() {
            return Err(SkipReason::CsvBadValue);
        }
        if metric != REQUEST_METRIC {
            return Ok(None);
        }
        let elapsed = crate::text::decimal(cell(Some(h.metric_value)))
            .filter(|f| *f >= 0.0)
            .ok_or(SkipReason::CsvBadValue)?;
        let mut r = Request { elapsed_ms: Some(elapsed), ..Request::default() };
        let ts = cell(Some(h.timestamp));
        match time::parse(ts, &self.opts.time) {
            Some(st) => {
                if let Some(c) = st.caveat() {
                    sink.note(no, c);
                }
                r.ts = Some(st.micros);
            }
            None if ts.is_empty() => sink.note(no, Note::NoTimestamp),
            None => sink.note(no, Note::BadTimestamp),
        }
        let code = cell(h.status);
        r.status = status(code);
        if r.status.is_none() && !code.is_empty() && code != b"0" {
            sink.note(no, Note::NonNumericStatus);
        }
        r.url = text(cell(h.url));
        r.route = text(cell(h.name)).filter(|n| !is_url(n) && Some(n) != r.url.as_ref());
        r.method = text(cell(h.method));
        r.error = text(cell(h.error)).or_else(|| {
            let c = cell(h.error_code);
            (!c.is_empty() && c != b"0").then(|| format!("error_code {}", crate::text::lossy(c)))
        });
        r.success = match cell(h.expected_response) {
            b"true" => Some(true),
            b"false" => Some(false),
            _ => None,
        };
        Ok(Some(r))
    }
}

/// True for `http://...`, `https://...`, `ws://...` and `wss://...`.
fn is_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        ["http", "https", "ws", "wss"].iter().any(|k| scheme.eq_ignore_ascii_case(k))
    })
}

impl LineParser for Parser {
    type Record = Request;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Request>) {
        if !self.header.is_data_row(line, no, sink, Header::read) {
            return;
        }
        let Some(h) = &self.header.header else { return };
        // k6 quotes a cell only around a comma or a quote; a cell never spans lines here.
        let cells = match fields(line, b',') {
            Ok(c) => c,
            Err(FieldsError::OpenQuote) => {
                sink.skip(no, SkipReason::CsvUnterminatedQuote);
                return;
            }
        };
        match self.row(h, &cells, no, sink) {
            Ok(Some(r)) => sink.record(no, 1, r),
            Ok(None) => sink.consumed(no, 1),
            Err(reason) => sink.skip(no, reason),
        }
    }

    fn finish(&mut self, _sink: &mut dyn Sink<Request>) {}
}

/// How sure we are that `head` is k6 CSV output: its first non-blank line is a header with
/// `metric_name`, `timestamp` and `metric_value`, and the rows have as many fields.
///
/// ```
/// let head = b"metric_name,timestamp,metric_value,status\nvus,1764085160,1.000000,\n";
/// let d = rootcause_parsers::k6::sniff(head).unwrap();
/// assert!(d.score >= 0.95 && d.reason.starts_with("k6 CSV"), "{d:?}");
/// ```
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let mut lines = crate::text::lines(head).filter(|l| !is_blank(l));
    let h = Header::read(lines.next()?)?;
    let (mut rows, mut fitting, mut requests) = (0usize, 0usize, 0usize);
    for l in lines.take(200) {
        rows += 1;
        match fields(l, b',') {
            Ok(f) if f.len() == h.columns => {
                fitting += 1;
                if f.get(h.metric_name).is_some_and(|m| m.trim_ascii() == REQUEST_METRIC) {
                    requests += 1;
                }
            }
            Ok(_) => {}
            // Cut off at the end of the head, or a broken row: neither says much.
            Err(FieldsError::OpenQuote) => fitting += 1,
        }
    }
    let score = if rows == 0 { 0.95 } else { 0.95 + 0.05 * fitting as f32 / rows as f32 };
    Some(Detection {
        score,
        reason: format!(
            "k6 CSV header ({} columns with metric_name, timestamp, metric_value); {fitting} of \
             {rows} rows fit, {requests} are http_req_duration (one per request)",
            h.columns
        ),
    })
}

#[cfg(test)]
mod tests;
