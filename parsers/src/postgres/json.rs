//! Postgres `jsonlog` files (PostgreSQL 15 and later): one JSON object per line and entry.
//!
//! With `log_destination = 'jsonlog'` the server writes each entry as one object whose keys
//! are those of the documentation's table (`timestamp`, `user`, `dbname`, `pid`,
//! `remote_host`, `remote_port`, `session_id`, `line_num`, `ps`, `vxid`, `txid`,
//! `error_severity`, `state_code`, `message`, `detail`, `hint`, `internal_query`, `context`,
//! `statement`, `func_name`, `file_name`, `file_line_num`, `application_name`,
//! `backend_type`, `query_id`, ...); a key whose value is unset is left out. Newlines in a
//! message or statement are escaped, so every entry is one line.
//!
//! [`Parser`] reads each object into the same [`PgRecord`] as the stderr log's entries
//! (`ps` is the command tag, `func_name` and `file_name:file_line_num` make the `location`
//! as `LOCATION:` prints it), so everything downstream reads both destinations alike. Keys it
//! does not know are ignored. Skips: blank lines, lines that are not JSON (cut ones as
//! truncated), JSON that is not an object, objects without `error_severity`.
//!
//! ```
//! use rootcause_parsers::postgres::{json::Parser, Severity};
//! use rootcause_parsers::parse_bytes;
//! let log = br#"{"timestamp":"2026-11-26 16:09:00.806 UTC","user":"postgres","pid":28178,"error_severity":"FATAL","state_code":"53300","message":"sorry, too many clients already","backend_type":"client backend","query_id":0}"#;
//! let out = parse_bytes(&mut Parser::default(), log);
//! let rec = &out.records[0].rec;
//! assert_eq!(rec.severity, Some(Severity::Fatal));
//! assert_eq!(rec.sqlstate.as_deref(), Some("53300"));
//! assert_eq!(rec.message, "sorry, too many clients already");
//! ```

use std::borrow::Cow;

use serde::Deserialize;

use super::{EntryReader, PgRecord, Structured};
use crate::text::{self, is_blank};
use crate::time::TimeOptions;
use crate::{Detection, LineNo, LineParser, Note, Sink, SkipReason};

/// The keys of a jsonlog object that a record keeps; the others are skipped unread.
#[derive(Debug, Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dbname: Option<Cow<'a, str>>,
    #[serde(default)]
    pid: Option<u32>,
    #[serde(borrow, default)]
    remote_host: Option<Cow<'a, str>>,
    #[serde(default)]
    remote_port: Option<u16>,
    #[serde(borrow, default)]
    session_id: Option<Cow<'a, str>>,
    #[serde(default)]
    line_num: Option<u64>,
    #[serde(borrow, default)]
    ps: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    vxid: Option<Cow<'a, str>>,
    #[serde(default)]
    txid: Option<u64>,
    #[serde(borrow, default)]
    error_severity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    state_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    detail: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hint: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    internal_query: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    context: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    statement: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    func_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    file_name: Option<Cow<'a, str>>,
    #[serde(default)]
    file_line_num: Option<u32>,
    #[serde(borrow, default)]
    application_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    backend_type: Option<Cow<'a, str>>,
    #[serde(default)]
    query_id: Option<i64>,
}

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    read: EntryReader,
}

impl Parser {
    /// A parser reading stamps without a zone with `time`'s offset (jsonlog always prints
    /// the zone of `log_timezone`, so this only matters for a zone name it does not know).
    pub fn new(time: TimeOptions) -> Parser {
        Parser { read: EntryReader { time, ..EntryReader::default() } }
    }

    /// The parser that does not copy the strings an analysis does not read, as
    /// [`super::Parser::lean`].
    pub fn lean(mut self) -> Parser {
        self.read.lean = true;
        self
    }

    fn entry(&mut self, e: Entry<'_>, no: LineNo, sink: &mut dyn Sink<PgRecord>) {
        fn bytes<'e>(v: &'e Option<Cow<'_, str>>) -> Option<&'e [u8]> {
            v.as_deref().map(str::as_bytes)
        }
        // `LOCATION:  exec_simple_query, postgres.c:1234` as the stderr log prints it.
        let location = match (&e.func_name, &e.file_name) {
            (None, None) => None,
            (func, file) => {
                let mut l = String::new();
                if let Some(f) = func {
                    l.push_str(f);
                }
                if let Some(f) = file {
                    if !l.is_empty() {
                        l.push_str(", ");
                    }
                    l.push_str(f);
                    if let Some(n) = e.file_line_num {
                        l.push_str(&format!(":{n}"));
                    }
                }
                Some(Cow::Owned(l.into_bytes()))
            }
        };
        let entry = Structured {
            ts: bytes(&e.timestamp),
            user: bytes(&e.user),
            db: bytes(&e.dbname),
            client: bytes(&e.remote_host),
            port: e.remote_port,
            pid: e.pid,
            session_id: bytes(&e.session_id),
            session_line: e.line_num,
            command_tag: bytes(&e.ps),
            vxid: bytes(&e.vxid),
            xid: e.txid,
            severity: bytes(&e.error_severity),
            sqlstate: bytes(&e.state_code),
            message: bytes(&e.message),
            detail: bytes(&e.detail),
            hint: bytes(&e.hint),
            query: bytes(&e.internal_query),
            context: bytes(&e.context),
            statement: bytes(&e.statement),
            location,
            app: bytes(&e.application_name),
            backend_type: bytes(&e.backend_type),
            query_id: e.query_id,
        };
        let rec = self.read.read(entry, no, sink);
        sink.record(no, 1, rec);
    }
}

/// Why a line is not a jsonlog entry.
fn rejection(line: &[u8], err: &serde_json::Error) -> SkipReason {
    use serde_json::error::Category;
    match err.classify() {
        Category::Eof => SkipReason::TruncatedJson,
        Category::Data if line.trim_ascii_start().starts_with(b"{") => SkipReason::InvalidJson,
        Category::Data => SkipReason::JsonNotObject,
        Category::Io | Category::Syntax => SkipReason::InvalidJson,
    }
}

impl LineParser for Parser {
    type Record = PgRecord;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<PgRecord>) {
        let line = text::trim_cr(line);
        if is_blank(line) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        if !line.trim_ascii_start().starts_with(b"{") {
            let reason = match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
                Ok(_) => SkipReason::JsonNotObject,
                Err(_) => SkipReason::InvalidJson,
            };
            sink.skip(no, reason);
            return;
        }
        // Postgres writes the database's bytes as they are: text in another encoding is
        // read with its invalid UTF-8 replaced, and noted when the line makes a record.
        let fixed;
        let (line, lossy) = match std::str::from_utf8(line) {
            Ok(_) => (line, false),
            Err(_) => {
                fixed = String::from_utf8_lossy(line).into_owned();
                (fixed.as_bytes(), true)
            }
        };
        match serde_json::from_slice::<Entry<'_>>(line) {
            Ok(e) if e.error_severity.is_some() => {
                if lossy {
                    sink.note(no, Note::LossyUtf8);
                }
                self.entry(e, no, sink);
            }
            Ok(_) => sink.skip(no, SkipReason::Unrecognised),
            Err(err) => sink.skip(no, rejection(line, &err)),
        }
    }

    fn finish(&mut self, _sink: &mut dyn Sink<PgRecord>) {}
}

/// How sure we are that `head` is a jsonlog file: the share of its lines (the first 50, a
/// cut last one aside) that are objects with `error_severity` and a readable `timestamp`.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let complete = match memchr::memrchr(b'\n', head) {
        Some(end) => head.get(..end).unwrap_or_default(),
        None => head,
    };
    let mut parser = Parser::default();
    let mut sink = crate::VecSink::default();
    let mut lines = 0usize;
    for (k, line) in text::lines(complete).filter(|l| !is_blank(l)).take(50).enumerate() {
        lines += 1;
        parser.line(line, k as LineNo + 1, &mut sink);
    }
    let good = sink.records.iter().filter(|r| r.rec.ts.is_some()).count();
    if good == 0 || good * 10 < lines * 8 {
        return None;
    }
    Some(Detection {
        // Above the app log's JSON-lines score for the same lines: these keys are Postgres's.
        score: 1.0_f32.min(0.6 + 0.4 * good as f32 / lines as f32),
        reason: format!(
            "{good} of {lines} lines are Postgres jsonlog objects (error_severity, timestamp)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;
    use crate::postgres::{Severity, csv};

    /// Objects written by PostgreSQL 15.18 (Debian) in the same run as `pg15.csv`; see
    /// `tests/fixtures/postgres/README.md`.
    const REAL: &[u8] = include_bytes!("../../tests/fixtures/postgres/pg15.json");
    const REAL_CSV: &[u8] = include_bytes!("../../tests/fixtures/postgres/pg15.csv");

    #[test]
    fn reads_every_object_of_a_real_jsonlog() {
        let out = parse_bytes(&mut Parser::default(), REAL);
        assert!(out.accounts_for_every_line());
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);
        let eof = out
            .records
            .iter()
            .find(|r| r.rec.message.starts_with("unexpected EOF on client connection"))
            .expect("the EOF entry");
        assert_eq!(eof.rec.severity, Some(Severity::Log));
        assert_eq!(eof.rec.sqlstate.as_deref(), Some("08006"));
        assert_eq!(eof.rec.command_tag.as_deref(), Some("idle in transaction"));
        assert_eq!((eof.rec.client.as_deref(), eof.rec.port.is_some()), (Some("127.0.0.1"), true));
        let multi = out
            .records
            .iter()
            .find(|r| r.rec.message.contains("'multi\nline'"))
            .expect("the multi-line statement, its newline unescaped");
        assert_eq!(multi.lines, 1);
        let d = sniff(REAL).expect("sniffed");
        assert!(d.score >= 0.99, "{d:?}");
    }

    #[test]
    fn the_same_run_reads_alike_from_csvlog_and_jsonlog() {
        // The two destinations of one run: the same entries, field for field, except what
        // only one of them writes (csvlog has no func_name/file_name split; jsonlog leaves
        // out a zero query id's siblings). Compare what both carry.
        let j = parse_bytes(&mut Parser::default(), REAL);
        let c = parse_bytes(&mut csv::Parser::default(), REAL_CSV);
        let key = |r: &PgRecord| {
            (r.ts, r.pid, r.severity, r.message.clone(), r.detail.clone(), r.statement.clone())
        };
        let mut js: Vec<_> = j.records.iter().map(|r| key(&r.rec)).collect();
        let mut cs: Vec<_> = c.records.iter().map(|r| key(&r.rec)).collect();
        js.sort();
        cs.sort();
        // The csvlog may have one more entry than the jsonlog, or fewer, if the server was
        // stopped between writing the two; this run wrote both whole.
        assert_eq!(js, cs);
    }

    #[test]
    fn bad_lines_are_skipped_with_their_reason() {
        let log = b"{\"timestamp\":\"2026-11-26 16:09:00.806 UTC\",\"error_sev\n\
            [1, 2]\n\
            {\"event\": \"function hit\"}\n\
            not json\n\
            \n\
            {\"timestamp\":\"garbage\",\"error_severity\":\"LOG\",\"message\":\"m\"}\n";
        let out = parse_bytes(&mut Parser::default(), log);
        assert!(out.accounts_for_every_line());
        let reasons: Vec<_> = out.skipped.iter().map(|(n, r)| (*n, *r)).collect();
        assert_eq!(
            reasons,
            vec![
                (1, SkipReason::TruncatedJson),
                (2, SkipReason::JsonNotObject),
                (3, SkipReason::Unrecognised),
                (4, SkipReason::InvalidJson),
                (5, SkipReason::Blank),
            ]
        );
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.records[0].rec.ts, None);
        assert!(out.notes.contains(&(6, Note::BadTimestamp)));
        let lossy = b"{\"error_severity\":\"ERROR\",\"message\":\"caf\xe9\"}";
        let out = parse_bytes(&mut Parser::default(), lossy);
        assert_eq!(out.records[0].rec.message, "caf\u{fffd}");
        assert_eq!(out.notes, vec![(1, Note::LossyUtf8), (1, Note::NoTimestamp)]);
    }

    #[test]
    fn an_app_json_log_is_not_a_jsonlog() {
        let app = b"{\"event\": \"function hit\", \"level\": \"info\", \"created_at\": \"2026-11-25T15:42:12Z\"}\n";
        assert!(sniff(app).is_none());
        assert!(
            sniff(b"2026-11-25 15:42:19.989 UTC [29844] LOG:  checkpoint starting\n").is_none()
        );
    }
}
