//! Postgres `csvlog` files: one CSV row per entry, its quoted fields free to span lines.
//!
//! With `log_destination = 'csvlog'` the server writes every entry as one row of fixed
//! columns (PostgreSQL 12: 23; 13: 24, adding `backend_type`; 14 and later: 26, adding
//! `leader_pid` and `query_id`): `log_time, user_name, database_name, process_id,
//! connection_from, session_id, session_line_num, command_tag, session_start_time,
//! virtual_transaction_id, transaction_id, error_severity, sql_state_code, message, detail,
//! hint, internal_query, internal_query_pos, context, query, query_pos, location,
//! application_name[, backend_type[, leader_pid, query_id]]`. A message or statement with a
//! newline stays inside its quoted cell, so one row may span several physical lines.
//!
//! [`Parser`] reads each row into the same [`PgRecord`] as the stderr log's entries (the
//! `query` column, the statement being run, is its `statement`; `internal_query` its
//! `query`), so everything downstream reads both destinations alike. No header is written,
//! none is needed. Skips: blank lines, rows with too few or too many columns, a quoted cell
//! never closed (after 10 000 lines or 16 MiB, or at the end of input).
//!
//! ```
//! use rootcause_parsers::postgres::{csv::Parser, Severity};
//! use rootcause_parsers::parse_bytes;
//! let log = b"2026-11-26 16:09:24.044 UTC,\"postgres\",\"ras\",28546,\"127.0.0.1:39724\",\
//! 6b0859b3.6f82,3,\"idle in transaction\",2026-11-26 16:09:23 UTC,3/10,726,LOG,08006,\
//! \"unexpected EOF on client connection with an open transaction\",,,,,,,,,\"psql\",\
//! \"client backend\",,0\n";
//! let out = parse_bytes(&mut Parser::default(), log);
//! let rec = &out.records[0].rec;
//! assert_eq!(rec.severity, Some(Severity::Log));
//! assert_eq!(rec.pid, Some(28546));
//! assert_eq!(rec.message, "unexpected EOF on client connection with an open transaction");
//! assert_eq!((rec.client.as_deref(), rec.port), (Some("127.0.0.1"), Some(39724)));
//! ```

use std::borrow::Cow;

use super::{EntryReader, PgRecord, Structured, ascii_num};
use crate::loadtest::{Joiner, fields, skip_span};
use crate::text::{self, is_blank};
use crate::time::TimeOptions;
use crate::{Detection, LineNo, LineParser, Sink, SkipReason};

/// Fewest columns a csvlog row has (PostgreSQL 12 and older).
pub const MIN_COLUMNS: usize = 23;
/// Most columns a csvlog row has (PostgreSQL 14 and later).
pub const MAX_COLUMNS: usize = 26;

/// The column numbers of a csvlog row.
mod col {
    pub const TIME: usize = 0;
    pub const USER: usize = 1;
    pub const DB: usize = 2;
    pub const PID: usize = 3;
    pub const FROM: usize = 4;
    pub const SESSION: usize = 5;
    pub const SESSION_LINE: usize = 6;
    pub const COMMAND_TAG: usize = 7;
    pub const VXID: usize = 9;
    pub const XID: usize = 10;
    pub const SEVERITY: usize = 11;
    pub const SQLSTATE: usize = 12;
    pub const MESSAGE: usize = 13;
    pub const DETAIL: usize = 14;
    pub const HINT: usize = 15;
    pub const INTERNAL_QUERY: usize = 16;
    pub const CONTEXT: usize = 18;
    pub const QUERY: usize = 19;
    pub const LOCATION: usize = 21;
    pub const APP: usize = 22;
    pub const BACKEND_TYPE: usize = 23;
    pub const QUERY_ID: usize = 25;
}

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    read: EntryReader,
    /// A row whose quoted cell is still open.
    pending: Joiner,
}

impl Parser {
    /// A parser reading stamps without a zone with `time`'s offset (csvlog always prints
    /// the zone of `log_timezone`, so this only matters for a zone name it does not know).
    pub fn new(time: TimeOptions) -> Parser {
        Parser { read: EntryReader { time, ..EntryReader::default() }, ..Parser::default() }
    }

    /// The parser that does not copy the strings an analysis does not read (user, database,
    /// application, client, session id, backend type, command tag, virtual transaction id),
    /// as [`super::Parser::lean`].
    pub fn lean(mut self) -> Parser {
        self.read.lean = true;
        self
    }

    fn row(&mut self, text: &[u8], first: LineNo, lines: u32, sink: &mut dyn Sink<PgRecord>) {
        let cells = match fields(text, b',') {
            Ok(c) => c,
            Err(_) => return skip_span(sink, first, lines, SkipReason::CsvUnterminatedQuote),
        };
        if cells.len() < MIN_COLUMNS {
            return skip_span(sink, first, lines, SkipReason::CsvTooFewFields);
        }
        if cells.len() > MAX_COLUMNS {
            return skip_span(sink, first, lines, SkipReason::CsvTooManyFields);
        }
        let cell = |k: usize| cells.get(k).map(|c| c.as_ref()).filter(|c| !c.is_empty());
        let (client, port) = match cell(col::FROM) {
            Some(from) => host_port(from),
            None => (None, None),
        };
        let entry = Structured {
            ts: cell(col::TIME),
            user: cell(col::USER),
            db: cell(col::DB),
            client,
            port,
            pid: cell(col::PID).and_then(ascii_num),
            session_id: cell(col::SESSION),
            session_line: cell(col::SESSION_LINE).and_then(ascii_num),
            command_tag: cell(col::COMMAND_TAG),
            vxid: cell(col::VXID),
            xid: cell(col::XID).and_then(ascii_num),
            severity: cell(col::SEVERITY),
            sqlstate: cell(col::SQLSTATE),
            message: cell(col::MESSAGE),
            detail: cell(col::DETAIL),
            hint: cell(col::HINT),
            query: cell(col::INTERNAL_QUERY),
            context: cell(col::CONTEXT),
            statement: cell(col::QUERY),
            location: cell(col::LOCATION).map(Cow::Borrowed),
            app: cell(col::APP),
            backend_type: cell(col::BACKEND_TYPE),
            query_id: cell(col::QUERY_ID).and_then(signed),
        };
        let rec = self.read.read(entry, first, sink);
        sink.record(first, lines, rec);
    }
}

/// `connection_from`: `host:port` for TCP (split at the last colon, so an IPv6 host keeps
/// its colons), `[local]` for a unix socket.
fn host_port(v: &[u8]) -> (Option<&[u8]>, Option<u16>) {
    if let Some(colon) = memchr::memrchr(b':', v) {
        let (host, port) = (v.get(..colon), v.get(colon + 1..));
        if let Some(port) = port.and_then(ascii_num::<u16>) {
            return (host.filter(|h| !h.is_empty()), Some(port));
        }
    }
    (Some(v), None)
}

/// A possibly negative decimal number (`query_id`).
fn signed(v: &[u8]) -> Option<i64> {
    match v.strip_prefix(b"-") {
        Some(digits) => ascii_num::<i64>(digits).map(|n| -n),
        None => ascii_num(v),
    }
}

impl LineParser for Parser {
    type Record = PgRecord;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<PgRecord>) {
        let line = text::trim_cr(line);
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
        if !self.pending.start(line, no, b',') {
            self.row(line, no, 1, sink);
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink<PgRecord>) {
        self.pending.flush(sink);
    }
}

/// How sure we are that `head` is a csvlog file: the share of its rows (the first 50, a cut
/// last one aside) that have 23 to 26 columns, a time in the first and a severity word in the
/// twelfth.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let mut parser = Parser::new(TimeOptions::default());
    let mut sink = crate::VecSink::default();
    let mut rows = 0usize;
    let mut no: LineNo = 0;
    let complete = match memchr::memrchr(b'\n', head) {
        Some(end) => head.get(..end).unwrap_or_default(),
        None => head,
    };
    for line in text::lines(complete) {
        no += 1;
        parser.line(line, no, &mut sink);
        if sink.records.len() + sink.skipped.len() >= 50 {
            break;
        }
    }
    let mut good = 0usize;
    for r in &sink.records {
        rows += 1;
        let timed = r.rec.ts.is_some();
        good += usize::from(timed && r.rec.severity.is_some());
    }
    rows += sink.skipped.iter().filter(|(_, why)| *why != SkipReason::Blank).count();
    if good == 0 || good * 10 < rows * 8 {
        return None;
    }
    let columns = first_row_columns(complete);
    let version = match columns {
        Some(23) => " (PostgreSQL 12 or older)",
        Some(24) => " (PostgreSQL 13)",
        Some(26) => " (PostgreSQL 14 or later)",
        _ => "",
    };
    Some(Detection {
        score: (0.6 + 0.4 * good as f32 / rows as f32).min(1.0),
        reason: format!(
            "{good} of {rows} rows are csvlog entries, {} columns{version}",
            columns.map_or("?".to_string(), |c| c.to_string())
        ),
    })
}

/// The column count of the first row that parses whole.
fn first_row_columns(head: &[u8]) -> Option<usize> {
    text::lines(head).find_map(|l| fields(l, b',').ok().map(|c| c.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::Severity;
    use crate::{Note, parse_bytes};

    /// Rows written by PostgreSQL 15.18 (Debian) with `log_destination =
    /// 'stderr,csvlog,jsonlog'`; see `tests/fixtures/postgres/README.md`.
    const REAL: &[u8] = include_bytes!("../../tests/fixtures/postgres/pg15.csv");

    #[test]
    fn reads_every_row_of_a_real_csvlog() {
        let out = parse_bytes(&mut Parser::default(), REAL);
        assert!(out.accounts_for_every_line());
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);
        // The statement logged with its duration spans three lines: one row.
        let multi = out
            .records
            .iter()
            .find(|r| r.rec.message.contains("pg_sleep(0.2),\n  'multi\nline'"))
            .expect("the multi-line statement");
        assert_eq!((multi.line, multi.lines), (15, 3));
        let eof = out
            .records
            .iter()
            .find(|r| r.rec.message.starts_with("unexpected EOF on client connection"))
            .expect("the EOF entry");
        assert_eq!(eof.rec.severity, Some(Severity::Log));
        assert_eq!(eof.rec.sqlstate.as_deref(), Some("08006"));
        assert_eq!(eof.rec.command_tag.as_deref(), Some("idle in transaction"));
        let dup = out
            .records
            .iter()
            .find(|r| r.rec.message.starts_with("duplicate key value"))
            .expect("the duplicate key error");
        assert_eq!(dup.rec.severity, Some(Severity::Error));
        assert_eq!(dup.rec.detail.as_deref(), Some("Key (id)=(1) already exists."));
        assert_eq!(dup.rec.statement.as_deref(), Some("insert into t values (1,'dup')"));
        let refused: Vec<_> =
            out.records.iter().filter(|r| r.rec.severity == Some(Severity::Fatal)).collect();
        assert!(refused.iter().any(|r| r.rec.message == "sorry, too many clients already"));
        assert!(refused.iter().any(|r| r.rec.sqlstate.as_deref() == Some("53300")));
        assert!(out.records.iter().all(|r| r.rec.ts.is_some() && r.rec.pid.is_some()));
        // csvlog stamps name their zone: nothing assumed.
        assert!(!out.notes.iter().any(|(_, n)| *n == Note::ZoneAssumed));
        let d = sniff(REAL).expect("sniffed");
        assert!(d.score > 0.9, "{d:?}");
        assert!(d.reason.contains("26 columns (PostgreSQL 14 or later)"), "{}", d.reason);
    }

    #[test]
    fn lean_rows_keep_what_an_analysis_reads() {
        let full = parse_bytes(&mut Parser::default(), REAL);
        let lean = parse_bytes(&mut Parser::default().lean(), REAL);
        assert_eq!(full.records.len(), lean.records.len());
        for (f, l) in full.records.iter().zip(&lean.records) {
            assert_eq!(f.rec.lean(), l.rec);
        }
    }

    #[test]
    fn bad_rows_are_skipped_with_their_reason() {
        let log = b"2026-11-26 16:09:24.044 UTC,a,b\n\
            \n\
            2026-11-26 16:09:24.044 UTC,,,1,,s,1,,t,,0,LOG,00000,\"open\n\
            still open";
        let out = parse_bytes(&mut Parser::default(), log);
        assert!(out.accounts_for_every_line());
        assert!(out.records.is_empty());
        let reasons: Vec<_> = out.skipped.iter().map(|(n, r)| (*n, *r)).collect();
        assert_eq!(
            reasons,
            vec![
                (1, SkipReason::CsvTooFewFields),
                (2, SkipReason::Blank),
                (3, SkipReason::CsvUnterminatedQuote),
                (4, SkipReason::CsvUnterminatedQuote),
            ]
        );
        let many = [&b"2026-11-26 16:09:24.044 UTC"[..], &b",x".repeat(30)].concat();
        let out = parse_bytes(&mut Parser::default(), &many);
        assert_eq!(out.skipped, vec![(1, SkipReason::CsvTooManyFields)]);
    }

    #[test]
    fn other_formats_are_not_csvlog() {
        assert!(
            sniff(b"2026-11-25 15:42:19.989 UTC [29844] LOG:  checkpoint starting\n").is_none()
        );
        assert!(sniff(b"sent_at,route,status\n2026-11-25T15:39:20Z,/a,200\n").is_none());
    }
}
