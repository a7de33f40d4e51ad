//! vegeta's `encode --to csv` output: no header, 12 columns (6 in old versions), one row per
//! request; times in nanoseconds.
//!
//! Columns (vegeta's `lib/results.go`, `NewCSVEncoder`, written with Go's `encoding/csv`):
//! 1 timestamp (unix ns), 2 HTTP code (`0` = no response), 3 latency (ns), 4 bytes out,
//! 5 bytes in, 6 error, 7 base64 body, 8 attack name, 9 seq, 10 method, 11 URL, 12 base64
//! response headers. Old versions wrote the first 6 columns, some the first 9; all three
//! widths are read. vegeta sets `error` to the status line (`500 Internal Server Error`) for
//! codes outside 200–399, so a 4xx/5xx row carries an error too.
//!
//! The record's `route` is left empty (vegeta has no label); the route comes from `url`
//! downstream. A row whose timestamp, code or latency is not an integer is skipped with
//! [`SkipReason::CsvBadValue`], one with another width with `CsvTooFewFields` /
//! `CsvTooManyFields`.
//!
//! ```
//! use rootcause_parsers::{vegeta, parse_bytes, time::format_rfc3339_micros};
//! let csv = b"1764085160139123456,0,1002345,0,0,\"Get \"\"http://h/\"\": connection refused\",,\
//!             ,7,GET,http://h/,\n";
//! let out = parse_bytes(&mut vegeta::Parser::new(Default::default()), csv);
//! let r = &out.records[0].rec;
//! assert_eq!(r.status, None); // no response
//! assert_eq!(r.elapsed_ms, Some(1.002345));
//! assert_eq!(format_rfc3339_micros(r.ts.unwrap()), "2025-11-25T15:39:20.139123Z");
//! assert_eq!(r.error.as_deref(), Some("Get \"http://h/\": connection refused"));
//! ```

use std::borrow::Cow;

use crate::loadtest::{FieldsError, Options, Request, fields, status, text};
use crate::text::is_blank;
use crate::{Detection, LineNo, LineParser, Note, Sink, SkipReason};

/// The row widths vegeta has written, newest first.
const WIDTHS: [usize; 3] = [12, 9, 6];

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    opts: Options,
}

impl Parser {
    /// A parser that reads rows from the first line.
    pub fn new(opts: Options) -> Parser {
        // Every stamp is an epoch number: the time options have nothing to say.
        Parser { opts }
    }

    /// The options given to [`Parser::new`].
    pub fn options(&self) -> &Options {
        &self.opts
    }
}

/// A non-negative decimal integer of at most 19 digits (that fits an `i64`).
fn integer(v: &[u8]) -> Option<i64> {
    crate::text::unsigned(v).and_then(|n| i64::try_from(n).ok())
}

/// The three cells that make a row vegeta's: (timestamp ns, code, latency ns).
fn key_cells(cells: &[Cow<'_, [u8]>]) -> Option<(i64, u16, i64)> {
    let ts = integer(cells.first()?.trim_ascii())?;
    let code = cells.get(1)?.trim_ascii();
    if code.len() > 3 {
        return None;
    }
    let code = u16::try_from(integer(code)?).ok()?;
    let latency = integer(cells.get(2)?.trim_ascii())?;
    Some((ts, code, latency))
}

fn row(
    cells: &[Cow<'_, [u8]>],
    no: LineNo,
    sink: &mut dyn Sink<Request>,
) -> Result<Request, SkipReason> {
    let n = cells.len();
    if !WIDTHS.contains(&n) {
        return Err(if n > WIDTHS[0] {
            SkipReason::CsvTooManyFields
        } else {
            SkipReason::CsvTooFewFields
        });
    }
    let (ts_ns, code, latency_ns) = key_cells(cells).ok_or(SkipReason::CsvBadValue)?;
    let cell = |i: usize| cells.get(i).map_or(&b""[..], |c| c.trim_ascii());
    let status = status(cell(1));
    if status.is_none() && code != 0 {
        sink.note(no, Note::NonNumericStatus);
    }
    Ok(Request {
        ts: Some(ts_ns / 1_000),
        status,
        elapsed_ms: Some(latency_ns as f64 / 1e6),
        error: text(cell(5)),
        method: text(cell(9)),
        url: text(cell(10)),
        ..Request::default()
    })
}

impl LineParser for Parser {
    type Record = Request;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Request>) {
        if is_blank(line) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        // Go's encoding/csv quotes an error holding a newline; vegeta's errors hold none, so
        // a cell never spans lines here.
        match fields(line, b',') {
            Err(FieldsError::OpenQuote) => sink.skip(no, SkipReason::CsvUnterminatedQuote),
            Ok(cells) => match row(&cells, no, sink) {
                Ok(r) => sink.record(no, 1, r),
                Err(reason) => sink.skip(no, reason),
            },
        }
    }

    fn finish(&mut self, _sink: &mut dyn Sink<Request>) {}
}

/// How sure we are that `head` is vegeta CSV output: most of its first lines split into 6, 9
/// or 12 fields, starting with a unix-nanosecond timestamp (16 to 19 digits), a code of up to
/// 3 digits and an integer latency.
///
/// ```
/// let head = b"1764085160139123456,200,1502000,0,11,,eyJvayI6MX0=,a,0,GET,http://h/,\n";
/// let d = rootcause_parsers::vegeta::sniff(head).unwrap();
/// assert!(d.score >= 0.9, "{d:?}");
/// assert!(d.reason.starts_with("vegeta CSV (12 columns, no header)"));
/// ```
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let (mut rows, mut fitting) = (0usize, 0usize);
    let mut by_width = [0usize; WIDTHS.len()];
    for l in crate::text::lines(head).filter(|l| !is_blank(l)).take(50) {
        rows += 1;
        let Ok(cells) = fields(l, b',') else { continue };
        let Some(w) = WIDTHS.iter().position(|&w| w == cells.len()) else { continue };
        let Some((ts, code, _)) = key_cells(&cells) else { continue };
        // 16 digits of nanoseconds is 1970-04; 19 digits lasts until 2262.
        if ts >= 1_000_000_000_000_000 && (code == 0 || (100..=599).contains(&code)) {
            fitting += 1;
            by_width[w] += 1;
        }
    }
    if fitting == 0 {
        return None;
    }
    let width = WIDTHS[by_width.iter().enumerate().max_by_key(|(_, n)| **n).map_or(0, |(k, _)| k)];
    Some(Detection {
        score: 0.5 + 0.5 * fitting as f32 / rows as f32,
        reason: format!(
            "vegeta CSV ({width} columns, no header): {fitting} of {rows} lines start with a \
             unix-nanosecond timestamp, a status code and a latency in ns"
        ),
    })
}

#[cfg(test)]
mod tests;
