//! Per-request load-test CSVs: the "hammer" CSV and any CSV whose header names its columns.
//!
//! The header decides everything: each column is mapped by name, case-insensitively, through a
//! table of common aliases ([`Column::from_name`]), so `sent_at`, `timeStamp` and `time` are all
//! the send time and JMeter's `responseCode` is the status. Columns we do not know are kept in
//! [`Request::extra`], in header order, and never make a file unreadable. An empty or
//! non-numeric status means the client got no response (JMeter writes
//! `Non HTTP response code: ...` there).
//!
//! Records are parsed with nom from bytes. A quoted cell may span lines (Locust writes
//! tracebacks in quoted cells); such a record is reported once, spanning all its lines. This
//! module never opens a file.
//!
//! ```
//! use rootcause_parsers::{loadtest, parse_bytes};
//! let csv = b"sent_at,route,status,elapsed_ms,error\n\
//!             2026-11-25T15:42:15.239Z,/a,,4752.3,\"ConnectionError: ('aborted', x)\"\n";
//! let out = parse_bytes(&mut loadtest::Parser::new(Default::default()), csv);
//! let r = &out.records[0].rec;
//! assert_eq!(r.status, None); // no response
//! assert_eq!(r.error.as_deref(), Some("ConnectionError: ('aborted', x)"));
//! ```

use std::borrow::Cow;

use nom::bytes::complete::{is_not, tag, take_till};
use nom::combinator::opt;
use nom::multi::many0;
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser as _};

use crate::text::{is_blank, lossy};
use crate::time::{self, Micros, TimeOptions};
use crate::{Detection, LineNo, LineParser, Note, Sink, SkipReason};

/// What a CSV column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// When the request was sent.
    Timestamp,
    /// The route or label the request belongs to.
    Route,
    /// The full URL requested.
    Url,
    /// HTTP status; empty or non-numeric means no response.
    Status,
    /// Time until the response (or the failure), in milliseconds.
    Elapsed,
    /// Size of the burst the request was part of (the seed's "request count").
    Burst,
    /// Delay between requests of the burst, in milliseconds.
    Offset,
    /// Client-side error text.
    Error,
    /// JMeter's `success` flag.
    Success,
    /// A response message (JMeter's `responseMessage`); read only when there is no response,
    /// to explain why.
    Message,
    /// The HTTP method.
    Method,
    /// A request id the client sent (`X-Request-ID`) and the application logs too.
    RequestId,
    /// A column we do not interpret; the index is into [`Schema::extra_names`].
    Extra(usize),
}

impl Column {
    /// Maps a header name to a column, with its priority (lower wins when two columns map to
    /// the same meaning, e.g. JMeter's `elapsed` beats its `Latency`).
    pub fn from_name(name: &str) -> Option<(Column, u8)> {
        let n: String = name
            .trim()
            .chars()
            .filter(|c| !matches!(c, '_' | ' ' | '-' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match n.as_str() {
            "sentat" | "timestamp" => (Column::Timestamp, 0),
            "time" | "starttime" | "startedat" | "requesttime" | "datetime" => {
                (Column::Timestamp, 1)
            }
            "ts" | "date" => (Column::Timestamp, 2),
            "route" => (Column::Route, 0),
            "label" | "name" | "endpoint" => (Column::Route, 1),
            "url" | "uri" => (Column::Url, 0),
            "status" | "statuscode" | "responsecode" | "httpstatus" | "code" => (Column::Status, 0),
            "elapsedms" | "elapsed" => (Column::Elapsed, 0),
            "responsetime" | "responsetimems" | "durationms" | "duration" => (Column::Elapsed, 1),
            "latency" | "latencyms" => (Column::Elapsed, 2),
            "burst" | "requestcount" | "burstsize" => (Column::Burst, 0),
            "offset" | "offsetms" | "delayms" | "delay" => (Column::Offset, 0),
            "error" | "errormessage" | "failuremessage" | "failure" | "exception" => {
                (Column::Error, 0)
            }
            "success" => (Column::Success, 0),
            "responsemessage" => (Column::Message, 0),
            "method" | "httpmethod" | "verb" => (Column::Method, 0),
            "requestid" | "xrequestid" | "correlationid" => (Column::RequestId, 0),
            "traceid" => (Column::RequestId, 1),
            _ => return None,
        })
    }

    /// A short name for reasons and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Timestamp => "timestamp",
            Column::Route => "route",
            Column::Url => "url",
            Column::Status => "status",
            Column::Elapsed => "elapsed",
            Column::Burst => "burst",
            Column::Offset => "offset",
            Column::Error => "error",
            Column::Success => "success",
            Column::Message => "message",
            Column::Method => "method",
            Column::RequestId => "request_id",
            Column::Extra(_) => "extra",
        }
    }
}

/// The column layout read from a header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Field delimiter (`,`, `;`, tab or `|`).
    pub delimiter: u8,
    /// Meaning of each column, in header order.
    pub columns: Vec<Column>,
    /// Header names, in header order.
    pub names: Vec<String>,
    /// Names of the columns we keep without interpreting.
    pub extra_names: Vec<String>,
}

/// The number of known columns a header needs, one of them status, elapsed or timestamp.
const MIN_KNOWN_COLUMNS: usize = 2;

impl Schema {
    /// Reads a header line; `None` if it does not look like a load-test CSV header.
    pub fn from_header(line: &[u8]) -> Option<Schema> {
        [b',', b'\t', b';', b'|']
            .into_iter()
            .filter_map(|d| Schema::with_delimiter(line, d))
            .max_by_key(|s| s.known())
    }

    fn with_delimiter(line: &[u8], delimiter: u8) -> Option<Schema> {
        let fields = fields(line, delimiter).ok()?;
        if fields.len() < 2 {
            return None;
        }
        let mut columns: Vec<Column> = Vec::with_capacity(fields.len());
        let mut names: Vec<String> = Vec::with_capacity(fields.len());
        let mut extra_names = Vec::new();
        // Best (lowest) priority seen per meaning, to demote weaker aliases to extras.
        let mut best: Vec<(Column, u8, usize)> = Vec::new();
        for f in &fields {
            let name = lossy(f).trim().trim_start_matches('\u{feff}').to_string();
            let col = match Column::from_name(&name) {
                Some((c, prio)) => match best.iter_mut().find(|(b, _, _)| *b == c) {
                    Some(slot) if slot.1 <= prio => None,
                    Some(slot) => {
                        // The new column wins; the earlier one becomes an extra.
                        let old = slot.2;
                        *slot = (c, prio, columns.len());
                        columns[old] = Column::Extra(extra_names.len());
                        extra_names.push(names[old].clone());
                        Some(c)
                    }
                    None => {
                        best.push((c, prio, columns.len()));
                        Some(c)
                    }
                },
                None => None,
            };
            let col = col.unwrap_or_else(|| {
                extra_names.push(name.clone());
                Column::Extra(extra_names.len() - 1)
            });
            columns.push(col);
            names.push(name);
        }
        let s = Schema { delimiter, columns, names, extra_names };
        let anchored = s.has(Column::Status) || s.has(Column::Elapsed) || s.has(Column::Timestamp);
        (s.known() >= MIN_KNOWN_COLUMNS && anchored).then_some(s)
    }

    /// Number of columns with a known meaning.
    pub fn known(&self) -> usize {
        self.columns.iter().filter(|c| !matches!(c, Column::Extra(_))).count()
    }

    /// True if some column has this meaning.
    pub fn has(&self, c: Column) -> bool {
        self.columns.contains(&c)
    }

    /// True if the header has a column of this name (case-insensitive).
    fn has_name(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The tool that wrote this header, when it is recognisable: `Some("JMeter JTL")` for a
    /// header with JMeter's `timeStamp`, `elapsed`, `label` and `responseCode` columns (any
    /// JMeter version, any delimiter).
    ///
    /// ```
    /// use rootcause_parsers::loadtest::Schema;
    /// let s = Schema::from_header(b"timeStamp\telapsed\tlabel\tresponseCode\tsuccess").unwrap();
    /// assert_eq!(s.dialect(), Some("JMeter JTL"));
    /// assert_eq!(Schema::from_header(b"sent_at,status").unwrap().dialect(), None);
    /// ```
    pub fn dialect(&self) -> Option<&'static str> {
        ["timeStamp", "elapsed", "label", "responseCode"]
            .iter()
            .all(|n| self.has_name(n))
            .then_some("JMeter JTL")
    }

    /// "sent_at→timestamp, route→route, status→status, elapsed_ms→elapsed (+1 kept: note)",
    /// prefixed with the dialect ("JMeter JTL: ...") when there is one.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .zip(&self.names)
            .filter(|(c, _)| !matches!(c, Column::Extra(_)))
            .map(|(c, n)| format!("{n}→{}", c.as_str()))
            .collect();
        if !self.extra_names.is_empty() {
            parts.push(format!(
                "{} more kept: {}",
                self.extra_names.len(),
                self.extra_names.join(" ")
            ));
        }
        match self.dialect() {
            Some(d) => format!("{d}: {}", parts.join(", ")),
            None => parts.join(", "),
        }
    }
}

/// One request as the load tool saw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    /// Send time.
    pub ts: Option<Micros>,
    /// Route or label.
    pub route: Option<String>,
    /// Full URL.
    pub url: Option<String>,
    /// HTTP status; `None` means no response.
    pub status: Option<u16>,
    /// Elapsed milliseconds.
    pub elapsed_ms: Option<f64>,
    /// Burst size.
    pub burst: Option<u32>,
    /// Offset between requests in milliseconds.
    pub offset_ms: Option<f64>,
    /// Client-side error text; `None` when the cell is empty.
    pub error: Option<String>,
    /// JMeter's success flag (k6's `expected_response`).
    pub success: Option<bool>,
    /// HTTP method (`GET`, `POST`...), when the tool writes it (k6, vegeta, a `method` column).
    pub method: Option<String>,
    /// The request id the client sent, when the tool writes it (a `request_id` column); the
    /// same id in the application log joins the two exactly.
    pub request_id: Option<String>,
    /// Values of the uninterpreted columns, aligned with [`Schema::extra_names`].
    pub extra: Vec<String>,
}

type PResult<'a, T> = IResult<&'a [u8], T>;

/// A quoted cell: `"..."` with `""` for a quote. Fails when the closing quote is missing.
fn quoted(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    let (i, _) = tag(&b"\""[..]).parse(i)?;
    let (i, parts) = many0(terminated(opt(is_not(&b"\""[..])), tag(&b"\"\""[..]))).parse(i)?;
    let (i, last) = terminated(opt(is_not(&b"\""[..])), tag(&b"\""[..])).parse(i)?;
    if parts.is_empty() {
        return Ok((i, Cow::Borrowed(last.unwrap_or_default())));
    }
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(p.unwrap_or_default());
        out.push(b'"');
    }
    out.extend_from_slice(last.unwrap_or_default());
    Ok((i, Cow::Owned(out)))
}

/// Why a line could not be split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldsError {
    /// A quoted cell is still open at the end of the text: more lines are needed.
    OpenQuote,
}

/// Splits one record into cells. A quote inside an unquoted cell is kept as text; text after
/// a closing quote up to the delimiter is appended to the cell (lenient, as Python's csv).
pub(crate) fn fields(line: &[u8], delim: u8) -> Result<Vec<Cow<'_, [u8]>>, FieldsError> {
    // One cell per delimiter plus one (fewer when quoted cells hold delimiters): sized once
    // instead of growing 4, 8, 16, 32 for a row of Locust's 24 columns. The count is a
    // branch-free pass the compiler vectorises.
    let mut out = Vec::with_capacity(line.iter().filter(|&&c| c == delim).count() + 1);
    let mut i = line;
    loop {
        let cell: Cow<'_, [u8]>;
        if i.first() == Some(&b'"') {
            let Ok((rest, q)) = quoted(i) else {
                return Err(FieldsError::OpenQuote);
            };
            let (rest, tail) = take_till::<_, _, nom::error::Error<&[u8]>>(|c| c == delim)
                .parse(rest)
                .unwrap_or((rest, &rest[..0]));
            cell = if tail.is_empty() {
                q
            } else {
                let mut v = q.into_owned();
                v.extend_from_slice(tail);
                Cow::Owned(v)
            };
            i = rest;
        } else {
            let (rest, c) = take_till::<_, _, nom::error::Error<&[u8]>>(|c| c == delim)
                .parse(i)
                .unwrap_or((&i[i.len()..], i));
            cell = Cow::Borrowed(c);
            i = rest;
        }
        out.push(cell);
        match preceded(tag::<_, _, nom::error::Error<&[u8]>>(&[delim][..]), |r| Ok((r, ())))
            .parse(i)
        {
            Ok((rest, ())) => i = rest,
            Err(_) => return Ok(out),
        }
    }
}

/// Options for [`Parser`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// How to read stamps without a zone.
    pub time: TimeOptions,
}

/// The most lines one record may span (an unterminated quote stops there).
pub(crate) const MAX_RECORD_LINES: usize = 10_000;
/// The most bytes one record may hold.
pub(crate) const MAX_RECORD_BYTES: usize = 16 << 20;

/// The streaming parser: the first non-blank line is the header.
#[derive(Debug, Default)]
pub struct Parser {
    opts: Options,
    schema: Headed<Schema>,
    /// A record whose quoted cell is still open.
    pending: Joiner,
}

/// A CSV's header, read from its first non-blank line; later copies of that line (files
/// concatenated together) are skipped.
#[derive(Debug)]
pub(crate) struct Headed<H> {
    /// The header, once read.
    pub(crate) header: Option<H>,
    line: Vec<u8>,
}

impl<H> Default for Headed<H> {
    fn default() -> Self {
        Headed { header: None, line: Vec::new() }
    }
}

impl<H> Headed<H> {
    /// Accounts for `line` when it is blank, the header (read with `read`) or a repeat of it,
    /// or comes before any header; true when it is a data row for the caller to parse.
    pub(crate) fn is_data_row<R>(
        &mut self,
        line: &[u8],
        no: LineNo,
        sink: &mut dyn Sink<R>,
        read: impl FnOnce(&[u8]) -> Option<H>,
    ) -> bool {
        if is_blank(line) {
            sink.skip(no, SkipReason::Blank);
        } else if self.header.is_none() {
            match read(line) {
                Some(h) => {
                    self.header = Some(h);
                    self.line = line.to_vec();
                    sink.consumed(no, 1);
                }
                None => sink.skip(no, SkipReason::CsvNoHeader),
            }
        } else if line == self.line.as_slice() {
            sink.skip(no, SkipReason::CsvRepeatedHeader);
        } else {
            return true;
        }
        false
    }
}

/// Joins the physical lines of one CSV record whose quoted cell spans lines (Locust writes
/// tracebacks in such cells), up to [`MAX_RECORD_LINES`] lines and [`MAX_RECORD_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct Joiner {
    text: Vec<u8>,
    first: LineNo,
    lines: u32,
    /// Where the scan of `text` stands, so that each line added is read once.
    quote: Quote,
}

/// Where a left-to-right scan of CSV text stands, in the grammar of [`fields`].
///
/// The joiner follows an open quote with it instead of splitting the whole record again for
/// every line added: that made a stray quote quadratic, 40 s for a 9 000-line CSV (issue 8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Quote {
    /// At the start of a cell.
    #[default]
    CellStart,
    /// Inside an unquoted cell, or after the closing quote of a quoted one.
    Unquoted,
    /// Inside a quoted cell.
    Quoted,
    /// Just after a quote inside a quoted cell: it closes the cell unless another follows.
    Closing,
}

impl Quote {
    /// The state after `bytes`; text ending in [`Quote::Quoted`] is what [`fields`] refuses
    /// with [`FieldsError::OpenQuote`].
    pub(crate) fn scan(mut self, bytes: &[u8], delim: u8) -> Quote {
        for &c in bytes {
            self = match (self, c) {
                (Quote::Quoted, b'"') => Quote::Closing,
                (Quote::Quoted, _) => Quote::Quoted,
                (Quote::Closing | Quote::CellStart, b'"') => Quote::Quoted,
                (_, c) if c == delim => Quote::CellStart,
                _ => Quote::Unquoted,
            };
        }
        self
    }
}

impl Joiner {
    /// True while a record is being joined.
    pub(crate) fn is_open(&self) -> bool {
        self.lines > 0
    }

    /// Starts joining at `line` if its quoted cell stays open; false if the line is whole.
    pub(crate) fn start(&mut self, line: &[u8], no: LineNo, delim: u8) -> bool {
        // Without a quote the scan never gets inside one; most rows have none, and memchr
        // tells so faster than the scan's byte-at-a-time state machine.
        if memchr::memchr(b'"', line).is_none() {
            return false;
        }
        let quote = Quote::CellStart.scan(line, delim);
        if quote != Quote::Quoted {
            return false;
        }
        self.text.clear();
        self.text.extend_from_slice(line);
        (self.first, self.lines, self.quote) = (no, 1, quote);
        true
    }

    /// Adds the next line of the open record: its text, first line and number of lines once
    /// the quote closes; `None` while it is open, and when the record grew past the limits
    /// (its lines are then skipped into `sink` as an unterminated quote).
    pub(crate) fn push<R>(
        &mut self,
        line: &[u8],
        delim: u8,
        sink: &mut dyn Sink<R>,
    ) -> Option<(Vec<u8>, LineNo, u32)> {
        self.text.push(b'\n');
        self.text.extend_from_slice(line);
        self.lines += 1;
        self.quote = self.quote.scan(b"\n", delim).scan(line, delim);
        if self.quote != Quote::Quoted {
            let lines = std::mem::take(&mut self.lines);
            return Some((std::mem::take(&mut self.text), self.first, lines));
        }
        if (self.lines as usize) >= MAX_RECORD_LINES || self.text.len() >= MAX_RECORD_BYTES {
            self.flush(sink);
        }
        None
    }

    /// Ends the open record unfinished: its first line and number of lines.
    pub(crate) fn abandon(&mut self) -> Option<(LineNo, u32)> {
        self.text.clear();
        let lines = std::mem::take(&mut self.lines);
        (lines > 0).then_some((self.first, lines))
    }

    /// Skips the open record's lines (end of input inside a quote).
    pub(crate) fn flush<R>(&mut self, sink: &mut dyn Sink<R>) {
        if let Some((first, lines)) = self.abandon() {
            skip_span(sink, first, lines, SkipReason::CsvUnterminatedQuote);
        }
    }
}

impl Parser {
    /// A parser that reads its header from the first non-blank line.
    pub fn new(opts: Options) -> Parser {
        Parser { opts, ..Parser::default() }
    }

    /// The schema read from the header, once seen.
    pub fn schema(&self) -> Option<&Schema> {
        self.schema.header.as_ref()
    }

    fn row(
        &self,
        schema: &Schema,
        cells: &[Cow<'_, [u8]>],
        no: LineNo,
        sink: &mut dyn Sink<Request>,
    ) -> Result<Request, SkipReason> {
        if cells.len() < schema.columns.len() {
            return Err(SkipReason::CsvTooFewFields);
        }
        if cells.len() > schema.columns.len()
            && cells[schema.columns.len()..].iter().any(|c| !is_blank(c))
        {
            return Err(SkipReason::CsvTooManyFields);
        }
        let mut r =
            Request { extra: Vec::with_capacity(schema.extra_names.len()), ..Request::default() };
        // The status and message cells as written, to explain a missing response.
        let (mut status_text, mut message): (&[u8], &[u8]) = (b"", b"");
        for (col, cell) in schema.columns.iter().zip(cells) {
            let v = cell.trim_ascii();
            match col {
                Column::Timestamp => {
                    if v.is_empty() {
                        sink.note(no, Note::NoTimestamp);
                    } else {
                        match time::parse(v, &self.opts.time) {
                            Some(st) => {
                                if let Some(c) = st.caveat() {
                                    sink.note(no, c);
                                }
                                r.ts = Some(st.micros);
                            }
                            None => sink.note(no, Note::BadTimestamp),
                        }
                    }
                }
                Column::Route => r.route = text(v),
                Column::Url => r.url = text(v),
                Column::Status => {
                    status_text = v;
                    r.status = status(v);
                    if r.status.is_none() && !v.is_empty() {
                        sink.note(no, Note::NonNumericStatus);
                    }
                }
                Column::Elapsed => r.elapsed_ms = number(v, no, sink),
                Column::Burst => r.burst = number(v, no, sink).and_then(u32_of),
                Column::Offset => r.offset_ms = number(v, no, sink),
                Column::Error => r.error = text(v),
                Column::Success => {
                    r.success = match v.to_ascii_lowercase().as_slice() {
                        b"true" | b"1" | b"yes" => Some(true),
                        b"false" | b"0" | b"no" => Some(false),
                        _ => None,
                    }
                }
                Column::Message => message = v,
                Column::Method => r.method = text(v),
                Column::RequestId => r.request_id = text(v),
                Column::Extra(_) => r.extra.push(lossy(cell).into_owned()),
            }
        }
        if r.status.is_none() && r.error.is_none() {
            r.error = no_response_error(status_text, message);
        }
        if schema.has(Column::Timestamp) {
            // Notes for missing stamps were given above.
        } else {
            sink.note(no, Note::NoTimestamp);
        }
        Ok(r)
    }

    fn record(&mut self, text: &[u8], first: LineNo, lines: u32, sink: &mut dyn Sink<Request>) {
        let Some(schema) = self.schema.header.take() else {
            return;
        };
        match fields(text, schema.delimiter) {
            Ok(cells) => match self.row(&schema, &cells, first, sink) {
                Ok(r) => sink.record(first, lines, r),
                Err(reason) => skip_span(sink, first, lines, reason),
            },
            Err(FieldsError::OpenQuote) => {
                skip_span(sink, first, lines, SkipReason::CsvUnterminatedQuote)
            }
        }
        self.schema.header = Some(schema);
    }
}

/// Skips `lines` lines from `first`, all for `reason`.
pub(crate) fn skip_span<R>(sink: &mut dyn Sink<R>, first: LineNo, lines: u32, reason: SkipReason) {
    for k in 0..u64::from(lines) {
        sink.skip(first + k, reason);
    }
}

/// A trimmed cell as text, ANSI colours removed; `None` when empty.
pub(crate) fn text(v: &[u8]) -> Option<String> {
    (!v.is_empty()).then(|| crate::text::strip_ansi(v)).map(|c| lossy(&c).into_owned())
}

/// Why there was no response, from a non-numeric status cell and the response message, when
/// the error cell is empty. JMeter writes `Non HTTP response code: java.net.ConnectException`
/// and `Non HTTP response message: Connection refused`; the prefixes are dropped, giving
/// `java.net.ConnectException: Connection refused`.
fn no_response_error(status_text: &[u8], message: &[u8]) -> Option<String> {
    // A number (`0`, `999`) is a code, not an explanation.
    let status_text = if status_text.iter().all(u8::is_ascii_digit) { b"" } else { status_text };
    let code = status_text.strip_prefix(b"Non HTTP response code:").unwrap_or(status_text);
    let msg = message.strip_prefix(b"Non HTTP response message:").unwrap_or(message);
    let (code, msg) = (text(code.trim_ascii()), text(msg.trim_ascii()));
    match (code, msg) {
        (Some(c), Some(m)) => Some(format!("{c}: {m}")),
        (c, m) => c.or(m),
    }
}

/// An HTTP status (100 to 599); `None` for anything else.
pub(crate) fn status(v: &[u8]) -> Option<u16> {
    if v.is_empty() || v.len() > 3 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = v.iter().fold(0u16, |a, &c| a * 10 + u16::from(c - b'0'));
    (100..=599).contains(&n).then_some(n)
}

fn number(v: &[u8], no: LineNo, sink: &mut dyn Sink<Request>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let parsed = crate::text::decimal(v);
    if parsed.is_none() {
        sink.note(no, Note::BadNumber);
    }
    parsed
}

fn u32_of(f: f64) -> Option<u32> {
    (f >= 0.0 && f <= f64::from(u32::MAX) && f.fract() == 0.0).then_some(f as u32)
}

impl LineParser for Parser {
    type Record = Request;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Request>) {
        if self.pending.is_open() {
            let delim = self.schema.header.as_ref().map_or(b',', |s| s.delimiter);
            if let Some((text, first, lines)) = self.pending.push(line, delim, sink) {
                self.record(&text, first, lines, sink);
            }
            return;
        }
        if !self.schema.is_data_row(line, no, sink, Schema::from_header) {
            return;
        }
        let delim = self.schema.header.as_ref().map_or(b',', |s| s.delimiter);
        if !self.pending.start(line, no, delim) {
            self.record(line, no, 1, sink);
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink<Request>) {
        self.pending.flush(sink);
    }
}

/// How sure we are that `head` is a load-test CSV: a header with known columns, and rows
/// with as many fields as the header. k6's metric-sample CSV is left to [`crate::k6`].
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let mut lines = crate::text::lines(head).filter(|l| !is_blank(l));
    let header = lines.next()?;
    if crate::k6::Header::read(header).is_some() {
        return None;
    }
    let schema = Schema::from_header(header)?;
    let (mut rows, mut fitting) = (0usize, 0usize);
    for l in lines.take(50) {
        rows += 1;
        if let Ok(f) = fields(l, schema.delimiter) {
            if f.len() == schema.columns.len() {
                fitting += 1;
            }
        } else {
            // An open quote at the end of the head: do not count against the file.
            fitting += 1;
        }
    }
    let known = schema.known();
    let score = if rows == 0 { 0.6 } else { 0.5 + 0.5 * fitting as f32 / rows as f32 };
    let score = if known >= 4 { score } else { score * 0.8 };
    Some(Detection {
        score,
        reason: format!(
            "{}CSV header with {known} known columns ({}); {fitting} of {rows} rows fit",
            schema.dialect().map(|d| format!("{d} ")).unwrap_or_default(),
            schema.describe()
        ),
    })
}

#[cfg(test)]
mod tests;
