//! Platform log streams: Heroku (`heroku logs`, logplex drains) and Cloud Foundry (`cf logs`).
//!
//! [`Parser`] is a streaming [`LineParser`] for the merged stream a platform hands out: every
//! line carries an envelope (time, source, process or instance) around what the router, the
//! platform or the app wrote. Each line is read by what its envelope says:
//! - **router lines** (Heroku `heroku[router]: at=info method=GET path="/x" ... service=23ms
//!   status=200 ...`, Cloud Foundry `[RTR/0] OUT` gorouter access lines) become
//!   [`ConsoleRecord::Access`] records with [`Envelope::Platform`]: the envelope's time,
//!   method, path, status, bytes, the router's elapsed time (`service=`, `response_time:` in
//!   seconds × 1000), the request id (`request_id=`, `vcap_request_id:`) and the client
//!   (`fwd=`, the remote address). A router line that reports an error (Heroku `at=error
//!   code=H12 ...` and the pre-2013 `Error H12 (Request timeout) -> ...`, a gorouter line
//!   whose `x_cf_routererror` is not `"-"`) is such a record too, with the text after the
//!   envelope as its `error` (`at=error code=H12 desc="Request timeout" ...`), which the
//!   signature catalog reads; one whose request cannot be read is a [`ConsoleRecord::Log`]
//!   with [`Envelope::Platform`], level error and that text as the message;
//! - **app lines whose payload is a JSON object** (`app[web.1]: {"event": ...}`,
//!   `[APP/PROC/WEB/0] OUT {...}`) are read by the JSON app-log parser ([`crate::jsonlog`])
//!   into [`PlatformRecord::App`] events; an event without a time of its own takes the
//!   envelope's;
//! - **every other line** (app output, `heroku[web.1]: Error R14 (...)`, `State changed ...`,
//!   `[CELL/0]`, `[API/0] App instance exited ...`, Heroku Postgres' `app[postgres.1234]:
//!   [DATABASE] [7-1] sql_error_code = 53300 FATAL:  ...`) is fed, without its envelope, to a
//!   [`console::Parser`] of its own process or instance (`app[web.1]`, `APP/PROC/WEB/0`, ...):
//!   gunicorn lines and Python tracebacks arrive one line per envelope and the instances'
//!   lines interleave, so each instance's traceback is stitched from its own lines. Records
//!   without a time of their own (or with only an inferred one) take their first line's
//!   envelope time; a plain line's envelope is [`Envelope::Platform`]; Heroku `Error R1x`,
//!   Postgres `FATAL`/`ERROR` and Cloud Foundry `"reason"=>"CRASHED"` lines get their level.
//!
//! Line accounting: every line ends up in exactly one record, skip or `consumed` line (the
//! `Connected, tailing logs ...` / `Retrieving logs ...` banners of `cf logs`). A record of an
//! instance's parser counts its own lines, which need not be contiguous in the stream when
//! instances interleave: the record's `line` is its first line, `lines` how many it folds.
//!
//! State is bounded: at most [`MAX_INSTANCES`] instance parsers are kept (the least recently
//! used one is flushed to make room), each with the console parser's own caps and a map from
//! its lines to the stream's capped at [`MAX_HELD_LINES`].
//!
//! This module does no I/O and never panics on any input. [`sniff`] tells a Heroku stream
//! from a Cloud Foundry one.
//!
//! ```
//! use rootcause_parsers::console::ConsoleRecord;
//! use rootcause_parsers::platform::{Parser, PlatformRecord};
//! use rootcause_parsers::parse_bytes;
//! let log = b"2026-11-25T15:42:08.123456+00:00 heroku[router]: at=info method=GET path=\"/x\" \
//! host=app.herokuapp.com request_id=abc fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=23ms \
//! status=200 bytes=512 protocol=https\n\
//! 2026-11-25T15:42:09.000000+00:00 app[web.1]: {\"event\": \"query started\", \"route\": \"/x\"}\n";
//! let out = parse_bytes(&mut Parser::default(), log);
//! let PlatformRecord::Console(ConsoleRecord::Access(a)) = &out.records[0].rec else { panic!() };
//! assert_eq!((a.status, a.elapsed_ms), (Some(200), Some(23.0)));
//! let PlatformRecord::App(e) = &out.records[1].rec else { panic!() };
//! assert_eq!(e.route.as_deref(), Some("/x"));
//! assert!(e.ts.is_some());
//! ```

use std::collections::VecDeque;

use memchr::memmem;

use crate::console::{self, Access, ConsoleLog, ConsoleRecord, Envelope};
use crate::jsonlog::{self, AppEvent};
use crate::time::{self, Micros, TimeOptions};
use crate::{Detection, Level, LineNo, LineParser, Note, Sink, SkipReason, VecSink, text};

/// One record of a platform stream.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformRecord {
    /// A router access line, a router error, a platform line, or app output read as a
    /// console (log lines, access lines, tracebacks).
    Console(ConsoleRecord),
    /// A JSON app-log event carried in an app line.
    App(AppEvent),
}

/// Most instance parsers kept at once; the least recently used is flushed past it.
pub const MAX_INSTANCES: usize = 64;
/// Most lines an instance parser remembers the stream's line numbers and times of; a
/// traceback longer than this is cut by the console parser's own caps anyway.
pub const MAX_HELD_LINES: usize = 20_100;
/// Longest instance key kept (longer keys are cut, and may share a parser).
const MAX_KEY: usize = 64;

/// Which platform's envelope a line was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Heroku,
    CloudFoundry,
}

/// A line's envelope, read.
struct Enveloped<'a> {
    platform: Platform,
    ts: Option<Micros>,
    /// The time's caveat (an assumed zone).
    caveat: Option<Note>,
    /// `heroku` / `app` for Heroku; the source tag (`RTR/0`, `APP/PROC/WEB/0`) for CF.
    source: &'a [u8],
    /// The process (`router`, `web.1`) for Heroku; empty for CF.
    process: &'a [u8],
    /// What follows the envelope.
    payload: &'a [u8],
}

impl Enveloped<'_> {
    fn is_router(&self) -> bool {
        match self.platform {
            Platform::Heroku => self.source == b"heroku" && self.process == b"router",
            Platform::CloudFoundry => self.source.starts_with(b"RTR"),
        }
    }

    fn is_app(&self) -> bool {
        match self.platform {
            Platform::Heroku => self.source == b"app",
            Platform::CloudFoundry => {
                self.source.len() >= 3 && self.source[..3].eq_ignore_ascii_case(b"APP")
            }
        }
    }
}

/// The first space-separated token of `i` and the rest after one space.
fn token(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr(b' ', i).unwrap_or(i.len());
    let (t, rest) = i.split_at(end);
    if t.is_empty() {
        return None;
    }
    Some((t, rest.strip_prefix(b" ").unwrap_or(rest)))
}

/// A whole ISO-8601 stamp token with its caveat; `None` when it does not read.
fn stamp(t: &[u8], o: &TimeOptions) -> Option<(Micros, Option<Note>)> {
    if !t.first().is_some_and(u8::is_ascii_digit) || t.get(4) != Some(&b'-') {
        return None;
    }
    let st = time::parse(t, o)?;
    Some((st.micros, st.caveat()))
}

/// `2026-11-25T15:42:08.123456+00:00 heroku[router]: msg` (logplex, `heroku logs`) and the
/// syslog drain form `<158>1 2026-11-25T15:42:08.123456+00:00 host heroku router - - msg`.
fn heroku<'a>(line: &'a [u8], o: &TimeOptions) -> Option<Enveloped<'a>> {
    if let Some(rest) = line.strip_prefix(b"<") {
        // RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`.
        let close = memchr::memchr(b'>', rest)?;
        if close == 0 || close > 3 || !rest[..close].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let rest = rest[close + 1..].strip_prefix(b"1 ")?;
        let (ts, rest) = token(rest)?;
        let (ts, caveat) = stamp(ts, o)?;
        let (_host, rest) = token(rest)?;
        let (source, rest) = token(rest)?;
        let (process, rest) = token(rest)?;
        let (_msgid, rest) = token(rest)?;
        let payload = match rest.strip_prefix(b"-") {
            Some(p) => p.strip_prefix(b" ").unwrap_or(p),
            None => rest,
        };
        return Some(Enveloped {
            platform: Platform::Heroku,
            ts: Some(ts),
            caveat,
            source,
            process,
            payload,
        });
    }
    let (ts, rest) = token(line)?;
    let (ts, caveat) = stamp(ts, o)?;
    let rest = rest.trim_ascii_start();
    let open = memchr::memchr(b'[', rest)?;
    let source = &rest[..open];
    if source.is_empty()
        || source.len() > 32
        || !source.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return None;
    }
    let after = &rest[open + 1..];
    let close = memchr::memchr(b']', after)?;
    let process = &after[..close];
    let payload = after[close + 1..].strip_prefix(b":")?;
    let payload = payload.strip_prefix(b" ").unwrap_or(payload);
    Some(Enveloped { platform: Platform::Heroku, ts: Some(ts), caveat, source, process, payload })
}

/// `   2026-11-25T15:42:08.12+0000 [APP/PROC/WEB/0] OUT text` (`cf logs`).
fn cloud_foundry<'a>(line: &'a [u8], o: &TimeOptions) -> Option<Enveloped<'a>> {
    let rest = line.trim_ascii_start();
    let (ts, rest) = token(rest)?;
    let (ts, caveat) = stamp(ts, o)?;
    let rest = rest.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', rest)?;
    let source = &rest[..close];
    if source.is_empty()
        || !source.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'/' || c == b'-' || c == b'_')
    {
        return None;
    }
    // Old CLIs pad the source to a column (`[API/0]      OUT`); some print `[OUT]`.
    let rest = rest[close + 1..].strip_prefix(b" ")?.trim_ascii_start();
    let payload =
        [&b"OUT"[..], b"ERR", b"[OUT]", b"[ERR]"].iter().find_map(|s| rest.strip_prefix(*s))?;
    if !(payload.is_empty() || payload.starts_with(b" ")) {
        return None;
    }
    let payload = payload.strip_prefix(b" ").unwrap_or(payload);
    Some(Enveloped {
        platform: Platform::CloudFoundry,
        ts: Some(ts),
        caveat,
        source,
        process: b"",
        payload,
    })
}

/// The value of `key=` in a logfmt line (`"quoted"` or bare); `None` when absent, empty
/// values (`dyno= connect=`) as `Some("")`.
fn logfmt<'a>(msg: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = memmem::find(msg.get(from..)?, key) {
        let start = from + at;
        let boundary = start == 0 || msg.get(start - 1) == Some(&b' ');
        let eq = start + key.len();
        from = eq;
        if !boundary || msg.get(eq) != Some(&b'=') {
            continue;
        }
        let v = msg.get(eq + 1..)?;
        return Some(match v.strip_prefix(b"\"") {
            Some(q) => &q[..memchr::memchr(b'"', q).unwrap_or(q.len())],
            None => &v[..memchr::memchr(b' ', v).unwrap_or(v.len())],
        });
    }
    None
}

/// `23ms` (or `23`) as milliseconds.
fn millis(v: &[u8]) -> Option<f64> {
    text::decimal(v.strip_suffix(b"ms").unwrap_or(v))
}

/// The value of `key:` in a gorouter line (`"quoted"` or bare); `None` when absent or `-`.
fn colon_field<'a>(msg: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = memmem::find(msg.get(from..)?, key) {
        let start = from + at;
        let colon = start + key.len();
        from = colon;
        if !(start > 0 && msg.get(start - 1) == Some(&b' ')) || msg.get(colon) != Some(&b':') {
            continue;
        }
        let v = msg.get(colon + 1..)?;
        let v = match v.strip_prefix(b"\"") {
            Some(q) => &q[..memchr::memchr(b'"', q).unwrap_or(q.len())],
            None => &v[..memchr::memchr(b' ', v).unwrap_or(v.len())],
        };
        return (!v.is_empty() && v != b"-").then_some(v);
    }
    None
}

fn owned(b: &[u8]) -> String {
    text::lossy(b).into_owned()
}

fn some_text(b: &[u8]) -> Option<String> {
    (!b.is_empty() && b != b"-").then(|| owned(b))
}

/// A Heroku router line: an access record, with the line's text as its `error` when it
/// reports one (`at=error code=H12 ...`, `Error H12 (...) -> ...`): the catalog reads that.
/// An error line whose request cannot be read is an error log instead.
fn heroku_router(msg: &[u8], ts: Option<Micros>) -> Option<ConsoleRecord> {
    let error = msg.starts_with(b"at=error") || msg.starts_with(b"Error ");
    let access =
        if msg.starts_with(b"at=") { logfmt_access(msg, ts) } else { legacy_access(msg, ts) };
    match (access, error) {
        (Some(mut a), true) => {
            a.error = Some(owned(msg));
            Some(ConsoleRecord::Access(a))
        }
        (None, true) => Some(router_error(msg, ts)),
        (a, false) => a.map(ConsoleRecord::Access),
    }
}

/// `at=info method=GET path="/x" ... service=23ms status=200 bytes=512`.
fn logfmt_access(msg: &[u8], ts: Option<Micros>) -> Option<Access> {
    let method = logfmt(msg, b"method")?;
    let path = logfmt(msg, b"path")?;
    Some(Access {
        ts,
        client: logfmt(msg, b"fwd").map(owned).unwrap_or_default(),
        method: owned(method),
        path: owned(path),
        status: logfmt(msg, b"status").and_then(text::unsigned).and_then(status),
        bytes: logfmt(msg, b"bytes").and_then(text::unsigned),
        elapsed_ms: logfmt(msg, b"service").and_then(millis),
        request_id: logfmt(msg, b"request_id").and_then(some_text),
        envelope: Envelope::Platform,
        ..Access::default()
    })
}

/// Pre-2013 lines: `GET app.herokuapp.com/x dyno=web.1 queue=0 wait=0ms service=23ms
/// status=200 bytes=512`, and `Error H12 (Request timeout) -> GET app.herokuapp.com/x ...`.
fn legacy_access(msg: &[u8], ts: Option<Micros>) -> Option<Access> {
    let request = match memchr::memmem::find(msg, b" -> ") {
        Some(at) if msg.starts_with(b"Error ") => &msg[at + 4..],
        _ => msg,
    };
    let (method, rest) = token(request)?;
    if !method.iter().all(u8::is_ascii_uppercase) || method.len() > 10 {
        return None;
    }
    let (hostpath, _) = token(rest)?;
    let slash = memchr::memchr(b'/', hostpath)?;
    Some(Access {
        ts,
        client: String::new(),
        method: owned(method),
        path: owned(&hostpath[slash..]),
        status: logfmt(msg, b"status").and_then(text::unsigned).and_then(status),
        bytes: logfmt(msg, b"bytes").and_then(text::unsigned),
        elapsed_ms: logfmt(msg, b"service").and_then(millis),
        envelope: Envelope::Platform,
        ..Access::default()
    })
}

fn status(v: u64) -> Option<u16> {
    u16::try_from(v).ok().filter(|s| *s <= 999)
}

/// A router line with an error, as a log line the catalog reads.
fn router_error(msg: &[u8], ts: Option<Micros>) -> ConsoleRecord {
    ConsoleRecord::Log(ConsoleLog {
        ts,
        ts_inferred: false,
        pid: None,
        level: Some(Level::Error),
        message: owned(msg),
        envelope: Envelope::Platform,
    })
}

/// A gorouter access line (`cloudfoundry/gorouter` `accesslog/schema/access_log_record.go`):
/// `host - [ts] "GET /x HTTP/1.1" 200 0 67 "ref" "ua" "remote" "backend" x_forwarded_for:"..."
/// ... vcap_request_id:"..." response_time:0.123 ... x_cf_routererror:"-"`; older lines leave
/// the remote address and the request id unquoted.
fn gorouter(msg: &[u8], ts: Option<Micros>) -> Option<ConsoleRecord> {
    let error = colon_field(msg, b"x_cf_routererror").is_some();
    match (gorouter_access(msg, ts), error) {
        (Some(mut a), true) => {
            a.error = Some(owned(msg));
            Some(ConsoleRecord::Access(a))
        }
        (None, true) => Some(router_error(msg, ts)),
        (a, false) => a.map(ConsoleRecord::Access),
    }
}

/// The request of a gorouter access line.
fn gorouter_access(msg: &[u8], ts: Option<Micros>) -> Option<Access> {
    let q = memchr::memchr(b'"', msg)?;
    let after = &msg[q + 1..];
    let end = memchr::memchr(b'"', after)?;
    let request = &after[..end];
    let mut parts = request.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let method = parts.next()?;
    let path = parts.next().unwrap_or_default();
    let rest = after[end + 1..].trim_ascii_start();
    let (st, rest) = token(rest)?;
    let (_received, rest) = token(rest)?;
    let (sent, rest) = token(rest)?;
    // Referer and user agent (quoted), then the remote address, quoted or not.
    let mut rest = rest;
    for _ in 0..2 {
        let r = rest.strip_prefix(b"\"")?;
        let close = memchr::memchr(b'"', r)?;
        rest = r[close + 1..].trim_ascii_start();
    }
    let client = match rest.strip_prefix(b"\"") {
        Some(r) => &r[..memchr::memchr(b'"', r).unwrap_or(r.len())],
        None => token(rest).map(|(t, _)| t).unwrap_or_default(),
    };
    Some(Access {
        ts,
        client: if client == b"-" { String::new() } else { owned(client) },
        method: owned(method),
        path: owned(path),
        status: text::unsigned(st).and_then(status),
        bytes: text::unsigned(sent),
        elapsed_ms: colon_field(msg, b"response_time").and_then(text::decimal).map(|s| s * 1000.0),
        request_id: colon_field(msg, b"vcap_request_id").map(owned),
        envelope: Envelope::Platform,
        ..Access::default()
    })
}

/// The level a platform line says outright: Heroku `Error R14 (...)`, a Heroku Postgres
/// `sql_error_code = 53300 FATAL:  ...`, a Cloud Foundry crash event.
fn platform_level(msg: &[u8]) -> Option<Level> {
    if msg.starts_with(b"Error R") || msg.starts_with(b"Error L") {
        return Some(Level::Error);
    }
    if let Some(at) = memmem::find(msg, b"sql_error_code = ") {
        let rest = msg.get(at + 17..)?;
        let (_code, rest) = token(rest)?;
        let colon = memchr::memchr(b':', rest)?;
        return Level::from_word(&rest[..colon]);
    }
    if memmem::find(msg, b"\"reason\"=>\"CRASHED\"").is_some() {
        return Some(Level::Error);
    }
    None
}

/// One process's or instance's console parser and what its lines were in the stream.
#[derive(Debug)]
struct Instance {
    key: Vec<u8>,
    parser: console::Parser,
    /// The stream's line number and envelope time of the instance's lines, from `base` on.
    held: VecDeque<(LineNo, Option<Micros>)>,
    /// The instance's own number of the first entry of `held`.
    base: LineNo,
    /// The instance's own number of the next line.
    next: LineNo,
    /// When it was last fed, for eviction.
    used: u64,
}

impl Instance {
    fn new(key: &[u8], time: TimeOptions, used: u64) -> Instance {
        Instance {
            key: key.to_vec(),
            parser: console::Parser::new(time),
            held: VecDeque::new(),
            base: 1,
            next: 1,
            used,
        }
    }
}

/// Translates an instance parser's output to the stream's line numbers and times.
struct Relay<'a> {
    held: &'a VecDeque<(LineNo, Option<Micros>)>,
    base: LineNo,
    /// Stream line to use for an instance line no longer held (never for real input).
    fallback: LineNo,
    out: &'a mut dyn Sink<PlatformRecord>,
}

impl Relay<'_> {
    fn at(&self, inner: LineNo) -> (LineNo, Option<Micros>) {
        inner
            .checked_sub(self.base)
            .and_then(|k| usize::try_from(k).ok())
            .and_then(|k| self.held.get(k).copied())
            .unwrap_or((self.fallback, None))
    }
}

impl Sink<ConsoleRecord> for Relay<'_> {
    fn record(&mut self, line: LineNo, lines: u32, mut rec: ConsoleRecord) {
        let (outer, ts) = self.at(line);
        match &mut rec {
            ConsoleRecord::Log(l) => {
                if l.ts.is_none() || l.ts_inferred {
                    l.ts = ts.or(l.ts);
                    l.ts_inferred = ts.is_none() && l.ts_inferred;
                }
                if l.envelope == Envelope::Plain {
                    l.envelope = Envelope::Platform;
                    if l.level.is_none() {
                        l.level = platform_level(l.message.as_bytes());
                    }
                }
            }
            ConsoleRecord::Access(a) => {
                if a.ts.is_none() {
                    a.ts = ts;
                }
            }
            ConsoleRecord::Traceback(t) => {
                if t.ts.is_none() || t.ts_inferred {
                    t.ts = ts.or(t.ts);
                    t.ts_inferred = ts.is_none() && t.ts_inferred;
                }
            }
        }
        self.out.record(outer, lines, PlatformRecord::Console(rec));
    }
    fn skip(&mut self, line: LineNo, reason: SkipReason) {
        let (outer, _) = self.at(line);
        self.out.skip(outer, reason);
    }
    fn consumed(&mut self, line: LineNo, lines: u32) {
        let (outer, _) = self.at(line);
        self.out.consumed(outer, lines);
    }
    fn note(&mut self, line: LineNo, note: Note) {
        let (outer, ts) = self.at(line);
        // The envelope gives the time the instance's line lacked.
        if ts.is_some() && matches!(note, Note::NoTimestamp | Note::TimestampInferred) {
            return;
        }
        self.out.note(outer, note);
    }
}

/// The streaming parser.
#[derive(Debug)]
pub struct Parser {
    time: TimeOptions,
    json: jsonlog::Parser,
    instances: Vec<Instance>,
    clock: u64,
    /// Whether the stream is Cloud Foundry (decided by the first enveloped line).
    cf: Option<bool>,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new(TimeOptions::default())
    }
}

impl Parser {
    /// A parser reading zone-less stamps with `time`.
    pub fn new(time: TimeOptions) -> Parser {
        Parser {
            time,
            json: jsonlog::Parser::new(jsonlog::Options { time }),
            instances: Vec::new(),
            clock: 0,
            cf: None,
        }
    }

    fn envelope<'a>(&mut self, line: &'a [u8]) -> Option<Enveloped<'a>> {
        let o = &self.time;
        let e = match self.cf {
            Some(true) => cloud_foundry(line, o).or_else(|| heroku(line, o)),
            _ => heroku(line, o).or_else(|| cloud_foundry(line, o)),
        }?;
        self.cf.get_or_insert(e.platform == Platform::CloudFoundry);
        Some(e)
    }

    /// Feeds `payload` (line `no`, envelope time `ts`) to the parser of instance `key`.
    fn feed_instance(
        &mut self,
        key: &[u8],
        payload: &[u8],
        no: LineNo,
        ts: Option<Micros>,
        sink: &mut dyn Sink<PlatformRecord>,
    ) {
        let key = &key[..key.len().min(MAX_KEY)];
        self.clock += 1;
        let at = match self.instances.iter().position(|i| i.key == key) {
            Some(at) => at,
            None => {
                if self.instances.len() >= MAX_INSTANCES {
                    let oldest = self
                        .instances
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, i)| i.used)
                        .map(|(k, _)| k)
                        .unwrap_or(0);
                    let gone = self.instances.swap_remove(oldest);
                    Self::flush(gone, no, sink);
                }
                self.instances.push(Instance::new(key, self.time, self.clock));
                self.instances.len() - 1
            }
        };
        let Some(inst) = self.instances.get_mut(at) else {
            sink.skip(no, SkipReason::Unrecognised);
            return;
        };
        inst.used = self.clock;
        if inst.held.len() >= MAX_HELD_LINES {
            inst.held.pop_front();
            inst.base += 1;
        }
        inst.held.push_back((no, ts));
        let inner = inst.next;
        inst.next += 1;
        let mut relay = Relay { held: &inst.held, base: inst.base, fallback: no, out: sink };
        inst.parser.line(payload, inner, &mut relay);
    }

    fn flush(mut inst: Instance, fallback: LineNo, sink: &mut dyn Sink<PlatformRecord>) {
        let mut relay = Relay { held: &inst.held, base: inst.base, fallback, out: sink };
        inst.parser.finish(&mut relay);
    }

    /// A JSON payload read by the app-log parser, with its notes; `None` when it is not a
    /// JSON object.
    fn json(&mut self, payload: &[u8], no: LineNo) -> Option<VecSink<AppEvent>> {
        let mut got: VecSink<AppEvent> = VecSink::default();
        self.json.line(payload, no, &mut got);
        (!got.records.is_empty()).then_some(got)
    }

    /// Ends what instance `key`'s parser holds (a traceback being collected): a line of that
    /// instance that it does not read (a JSON event) comes between.
    fn interrupt(&mut self, key: &[u8], no: LineNo, sink: &mut dyn Sink<PlatformRecord>) {
        let key = &key[..key.len().min(MAX_KEY)];
        if let Some(inst) = self.instances.iter_mut().find(|i| i.key == key) {
            let mut relay = Relay { held: &inst.held, base: inst.base, fallback: no, out: sink };
            inst.parser.finish(&mut relay);
        }
    }
}

impl LineParser for Parser {
    type Record = PlatformRecord;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<PlatformRecord>) {
        let clean = text::clean(line);
        let clean: &[u8] = &clean;
        if text::is_blank(clean) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        let Some(e) = self.envelope(clean) else {
            let t = clean.trim_ascii();
            if t.starts_with(b"Connected, tailing logs for app")
                || t.starts_with(b"Retrieving logs for app")
            {
                sink.consumed(no, 1);
            } else {
                sink.skip(no, SkipReason::Unrecognised);
            }
            return;
        };
        // The envelope's zone caveat, on a line that is not skipped (an instance's parser
        // skips a blank payload).
        if let Some(c) = e.caveat.filter(|_| !text::is_blank(e.payload)) {
            sink.note(no, c);
        }
        if e.is_router() {
            let rec = match e.platform {
                Platform::Heroku => heroku_router(e.payload, e.ts),
                Platform::CloudFoundry => gorouter(e.payload, e.ts),
            };
            if let Some(rec) = rec {
                // The app-log and console parsers note invalid UTF-8 in what they read.
                if std::str::from_utf8(line).is_err() {
                    sink.note(no, Note::LossyUtf8);
                }
                sink.record(no, 1, PlatformRecord::Console(rec));
                return;
            }
        }
        let mut key = Vec::with_capacity(e.source.len() + e.process.len() + 2);
        key.extend_from_slice(e.source);
        if !e.process.is_empty() {
            key.push(b'[');
            key.extend_from_slice(e.process);
            key.push(b']');
        }
        if e.is_app() && e.payload.trim_ascii_start().starts_with(b"{") {
            if let Some(got) = self.json(e.payload, no) {
                self.interrupt(&key, no, sink);
                for mut ev in got.records {
                    let own = ev.rec.ts.is_some();
                    if !own {
                        ev.rec.ts = e.ts;
                    }
                    for &(line, note) in &got.notes {
                        // The envelope gives the time the event lacked.
                        if !(note == Note::NoTimestamp && !own && e.ts.is_some()) {
                            sink.note(line, note);
                        }
                    }
                    sink.record(no, 1, PlatformRecord::App(ev.rec));
                }
                return;
            }
        }
        self.feed_instance(&key, e.payload, no, e.ts, sink);
    }

    fn finish(&mut self, sink: &mut dyn Sink<PlatformRecord>) {
        let mut all = std::mem::take(&mut self.instances);
        all.sort_by_key(|i| i.used);
        for inst in all {
            let fallback = inst.held.back().map_or(0, |h| h.0);
            Self::flush(inst, fallback, sink);
        }
    }
}

/// How sure we are that `head` is a Heroku stream or a Cloud Foundry one: the share of the
/// first 200 non-blank lines in the platform's envelope. Returns which platform it is.
fn tally(head: &[u8]) -> (usize, usize, usize) {
    let o = TimeOptions::default();
    let (mut total, mut her, mut cf) = (0, 0, 0);
    let mut lines = text::lines(head).filter(|l| !text::is_blank(l)).take(200).peekable();
    while let Some(l) = lines.next() {
        // The head may end inside a line: do not count a cut last line against the file.
        if lines.peek().is_none() && !head.ends_with(b"\n") && total > 0 {
            break;
        }
        total += 1;
        let l = text::clean(l);
        if heroku(&l, &o).is_some() {
            her += 1;
        } else if cloud_foundry(&l, &o).is_some() {
            cf += 1;
        }
    }
    (total, her, cf)
}

fn detection(n: usize, total: usize, what: &str) -> Option<Detection> {
    if n == 0 || total == 0 {
        return None;
    }
    // Above any JSON-lines or console reading of the same lines when most are enveloped.
    let score = 0.5 + 0.5 * n as f32 / total as f32;
    Some(Detection {
        score: score.min(1.0),
        reason: format!("{n} of {total} lines in the {what} envelope"),
    })
}

/// How sure we are that `head` is a Heroku log stream (`heroku logs`, a logplex drain).
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let (total, her, cf) = tally(head);
    if her < cf || her * 2 < total {
        return None;
    }
    detection(her, total, "Heroku logplex")
}

/// How sure we are that `head` is Cloud Foundry's `cf logs` output.
pub fn sniff_cf(head: &[u8]) -> Option<Detection> {
    let (total, her, cf) = tally(head);
    if cf <= her || cf * 2 < total {
        return None;
    }
    detection(cf, total, "Cloud Foundry `cf logs`")
}

#[cfg(test)]
mod tests;
