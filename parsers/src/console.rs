//! A server's console output: gunicorn, werkzeug, uWSGI, nginx and Django log lines, access
//! lines and tracebacks.
//!
//! [`Parser`] is a streaming [`LineParser`] for what a Python web server (or the proxy in front
//! of it) writes to its terminal, `stderr.log` or log file. Each line becomes one
//! [`ConsoleRecord`]:
//! - gunicorn error-log lines `[2026-11-25 15:42:08 +0000] [29798] [CRITICAL] WORKER TIMEOUT
//!   (pid:29804)` and Flask's default `[2026-11-25 15:42:08,123] ERROR in app: ...` become
//!   [`ConsoleLog`]s with their envelope's timestamp, pid and level;
//! - uWSGI's lines with the `ctime` prefix `Wed Nov 25 15:42:08 2026 - msg` (`--log-date`, and
//!   the master's HARAKIRI lines always) become uWSGI [`ConsoleLog`]s; its unprefixed lines
//!   (`DAMN ! worker 1 (pid: 123) died, ...`, `Respawned uWSGI worker 1 (new pid: 130)`) are
//!   plain lines;
//! - nginx error-log lines `2026/11/25 15:42:08 [error] 12#12: *3 msg` become nginx
//!   [`ConsoleLog`]s with pid and level (`emerg`, `alert`, `crit` read as critical, `notice` as
//!   info); the connection number `*3 ` is left out of the message, so that the same error
//!   reads the same on every connection;
//! - werkzeug request lines `127.0.0.1 - - [25/Nov/2026 15:40:52] "GET /x HTTP/1.1" 200 -`,
//!   common-log-format access lines (gunicorn's access log, nginx's `combined`), uWSGI's
//!   request log line `[pid: 12|app: 0|req: 3/7] 127.0.0.1 () {34 vars in 512 bytes} [Wed Nov
//!   25 15:42:08 2026] GET /x => generated 12 bytes in 3 msecs (HTTP/1.1 200) ...` (with its
//!   pid and elapsed time) and Django's development server `[25/Nov/2026 15:42:08] "GET /x
//!   HTTP/1.1" 500 145` become [`Access`] records; other werkzeug- or Django-envelope lines
//!   become [`ConsoleLog`]s of that envelope;
//! - a Python traceback, with the wrapper line that introduced it (`Error handling request`,
//!   `Exception in worker process`, `Error on request:`, Django's `Internal Server Error: /x`,
//!   ...) or the socketserver banner around it, becomes one multi-line [`ConsoleTraceback`];
//! - anything else is a plain [`ConsoleLog`] whose timestamp is inferred from the previous
//!   timestamped line; blank lines are skipped.
//!
//! ANSI colour codes and other control characters never reach a message. werkzeug, uWSGI,
//! nginx and Django stamps have no zone: the [`TimeOptions`] default offset is applied and
//! [`Note::ZoneAssumed`] reported.
//! Lookahead is bounded: a possible traceback intro, the two banner lines, or the blank lines
//! that may separate chained tracebacks are held until the next line decides; a traceback block
//! is capped at 20 000 lines. Every line fed ends up in exactly one record or skip.
//! [`sniff`] scores how much of a file's head looks like such a console.
//!
//! This module does no I/O and never panics on any input.
//!
//! ```
//! use rootcause_parsers::console::{ConsoleRecord, Parser};
//! use rootcause_parsers::parse_bytes;
//! let log = b"[2026-11-25 15:42:18 +0000] [29798] [CRITICAL] WORKER TIMEOUT (pid:29804)\n\
//! [2026-11-25 15:42:18 +0000] [29804] [ERROR] Error handling request /businesses\n\
//! Traceback (most recent call last):\n  File \"app.py\", line 3, in handle\n    time.sleep(60)\n\
//! SystemExit: 1\n\
//! 127.0.0.1 - - [25/Nov/2026:15:42:19 +0000] \"GET /businesses HTTP/1.1\" 500 0 \"-\" \"hammer\"\n";
//! let out = parse_bytes(&mut Parser::default(), log);
//! assert_eq!(out.records.len(), 3);
//! let ConsoleRecord::Traceback(tb) = &out.records[1].rec else { panic!() };
//! assert_eq!(out.records[1].lines, 5);
//! assert_eq!(tb.intro.as_deref(), Some("Error handling request /businesses"));
//! assert_eq!(tb.traceback.last().unwrap().exc_type, "SystemExit");
//! ```
//!
//! uWSGI and nginx:
//!
//! ```
//! use rootcause_parsers::console::{ConsoleRecord, Envelope, Parser};
//! use rootcause_parsers::{Level, parse_bytes};
//! let log = b"[pid: 28676|app: 0|req: 1/2] 127.0.0.1 () {28 vars in 294 bytes} \
//! [Thu Nov 26 16:09:36 2026] GET /boom => generated 0 bytes in 336 micros (HTTP/1.1 500) \
//! 0 headers in 0 bytes (0 switches on core 0)\n\
//! Thu Nov 26 16:09:38 2026 - *** HARAKIRI ON WORKER 2 (pid: 28677, try: 1, graceful: yes) ***\n\
//! 2026/11/26 16:09:58 [error] 29027#29027: *2 upstream timed out (110: Connection timed out) \
//! while reading response header from upstream\n";
//! let out = parse_bytes(&mut Parser::default(), log);
//! let ConsoleRecord::Access(a) = &out.records[0].rec else { panic!() };
//! assert_eq!((a.status, a.pid, a.elapsed_ms), (Some(500), Some(28676), Some(0.336)));
//! let ConsoleRecord::Log(l) = &out.records[1].rec else { panic!() };
//! assert_eq!(l.envelope, Envelope::Uwsgi);
//! let ConsoleRecord::Log(l) = &out.records[2].rec else { panic!() };
//! assert_eq!((l.envelope, l.level, l.pid), (Envelope::Nginx, Some(Level::Error), Some(29027)));
//! assert!(l.message.starts_with("upstream timed out (110: "));
//! ```

use std::sync::LazyLock;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_till1, take_while_m_n};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser as _};
use regex::bytes::Regex;

use crate::time::{self, Micros, Stamp, TimeOptions, ZoneKind};
use crate::traceback::{self, Collector, Step, Traceback, compile};
use crate::{Detection, Level, LineNo, LineParser, Note, Sink, SkipReason, text};

/// Which envelope a console line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Envelope {
    /// gunicorn's error log: `[2026-11-25 15:42:08 +0000] [29798] [INFO] msg`.
    Gunicorn,
    /// werkzeug's logger: `127.0.0.1 - - [25/Nov/2026 15:40:52] msg`.
    Werkzeug,
    /// No envelope: plain text.
    #[default]
    Plain,
    /// Flask's default log handler: `[2026-11-25 15:42:08,123] ERROR in app: msg`.
    Flask,
    /// uWSGI: its `ctime` prefix `Wed Nov 25 15:42:08 2026 - msg`, or its request log line
    /// `[pid: 1|app: 0|req: 1/1] ... => generated 12 bytes in 3 msecs (HTTP/1.1 200) ...`.
    Uwsgi,
    /// nginx: its error log `2026/11/25 15:42:08 [error] 12#12: *3 msg`.
    Nginx,
    /// Django: the development server's `[25/Nov/2026 15:42:08] "GET /x HTTP/1.1" 500 145`,
    /// and the `django.request` logger's `Internal Server Error: /x`.
    Django,
    /// A platform's router or log stream: Heroku (`heroku[router]: at=info ...`), Cloud
    /// Foundry (`[RTR/0] OUT ...`).
    Platform,
}

/// A log line of the server console.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleLog {
    /// Timestamp from the envelope, or inferred (see `ts_inferred`).
    pub ts: Option<Micros>,
    /// True when `ts` was taken from the previous timestamped line.
    pub ts_inferred: bool,
    /// Process id from the envelope.
    pub pid: Option<u32>,
    /// Level from the envelope; on a plain line, from a leading `WARNING:`-style word.
    pub level: Option<Level>,
    /// The message, ANSI escapes removed.
    pub message: String,
    /// The envelope.
    pub envelope: Envelope,
}

/// An HTTP access line (werkzeug, gunicorn access log).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Access {
    /// Timestamp.
    pub ts: Option<Micros>,
    /// Client address; empty when the line does not say (Django's development server).
    pub client: String,
    /// Request method.
    pub method: String,
    /// Request path with query.
    pub path: String,
    /// Status code; `None` when printed as `-`.
    pub status: Option<u16>,
    /// Response size in bytes; `None` when printed as `-`.
    pub bytes: Option<u64>,
    /// How long the server or router took to answer, in milliseconds, when the line says
    /// (uWSGI's `in 3 msecs`, Heroku's `service=23ms`, Cloud Foundry's `response_time:`).
    pub elapsed_ms: Option<f64>,
    /// The request id the line carries (Heroku's `request_id=`, Cloud Foundry's
    /// `vcap_request_id:`).
    pub request_id: Option<String>,
    /// Process id of the worker that served it, when the line says (uWSGI's `[pid: 12|...]`).
    pub pid: Option<u32>,
    /// The router's error, when the line reports one (Heroku's `at=error code=H12 desc=...`,
    /// Cloud Foundry's `x_cf_routererror:`): the line's text after its envelope, which the
    /// catalog reads as a message.
    pub error: Option<String>,
    /// [`Envelope::Werkzeug`] for werkzeug request lines (no zone in the stamp),
    /// [`Envelope::Gunicorn`] for common-log-format lines (gunicorn's access log, nginx's),
    /// [`Envelope::Uwsgi`], [`Envelope::Django`] and [`Envelope::Platform`] for theirs.
    pub envelope: Envelope,
}

/// A traceback printed on the console, with what introduced it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleTraceback {
    /// Timestamp of the introducing line, else inferred from the previous timestamped line.
    pub ts: Option<Micros>,
    /// True when `ts` was inferred.
    pub ts_inferred: bool,
    /// The line that introduced it (`Error handling request /x`, `Exception in worker process`,
    /// werkzeug's `Error on request:`), if any.
    pub intro: Option<String>,
    /// Client address from the socketserver banner
    /// `Exception happened during processing of request from ('127.0.0.1', 50330)`,
    /// as `127.0.0.1:50330` (`[::1]:50330` for IPv6; as printed if it does not read so).
    pub client: Option<String>,
    /// The traceback. Its sections' `line_offset`s count from the record's first line (the
    /// intro or banner line when there is one), so `record line + line_offset` is the line
    /// of the exception in the input.
    pub traceback: Traceback,
    /// Offset (in lines) of the `Traceback (most recent call last):` header from the record's
    /// first line.
    pub header_offset: u32,
}

/// One console record.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleRecord {
    /// A log line (enveloped or plain).
    Log(ConsoleLog),
    /// An HTTP access line.
    Access(Access),
    /// A traceback block.
    Traceback(ConsoleTraceback),
}

type PResult<'a, T> = IResult<&'a [u8], T>;

/// `[stamp]`: a bracketed textual timestamp (never an epoch number), read whole.
fn bracketed_stamp<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Stamp> {
    let (rest, inside) =
        (char('['), take_till1(|c| c == b']'), char(']')).map(|(_, s, _)| s).parse(i)?;
    match time::timestamp(inside, o) {
        Ok((b"", st)) => Ok((rest, st)),
        _ => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify))),
    }
}

/// `[29798]`: gunicorn's `%(process)d`.
fn pid(i: &[u8]) -> PResult<'_, u32> {
    (char('['), nom::character::complete::u32, char(']')).map(|(_, p, _)| p).parse(i)
}

/// `[CRITICAL]`: gunicorn's `%(levelname)s`.
fn bracketed_level(i: &[u8]) -> PResult<'_, Level> {
    let (rest, word) =
        (char('['), take_till1(|c| c == b']'), char(']')).map(|(_, w, _)| w).parse(i)?;
    match Level::from_word(word) {
        Some(l) => Ok((rest, l)),
        None => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify))),
    }
}

/// What a gunicorn or Flask envelope holds.
struct Enveloped<'a> {
    stamp: Stamp,
    pid: Option<u32>,
    level: Level,
    message: &'a [u8],
}

/// `[2026-11-25 15:42:08 +0000] [29798] [INFO] msg`: gunicorn's error log
/// (`gunicorn/glogging.py`, `%(asctime)s [%(process)d] [%(levelname)s] %(message)s`).
fn gunicorn_error<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Enveloped<'a>> {
    let (i, stamp) = bracketed_stamp(i, o)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, pid) = pid(i)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, level) = bracketed_level(i)?;
    let (message, _) = opt(char(' ')).parse(i)?;
    Ok((b"", Enveloped { stamp, pid: Some(pid), level, message }))
}

/// `[2026-11-25 15:42:08,123] ERROR in app: msg`: Flask's default handler
/// (`flask/logging.py`, `[%(asctime)s] %(levelname)s in %(module)s: %(message)s`).
fn flask<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Enveloped<'a>> {
    let (i, stamp) = bracketed_stamp(i, o)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, word) = take_while_m_n(3, 9, |c: u8| c.is_ascii_uppercase()).parse(i)?;
    let Some(level) = Level::from_word(word) else {
        return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify)));
    };
    let (i, _) = tag(" in ").parse(i)?;
    let (i, _module) = take_till1(|c| c == b':' || c == b' ').parse(i)?;
    let (message, _) = tag(":").parse(i)?;
    let message = message.strip_prefix(b" ").unwrap_or(message);
    Ok((b"", Enveloped { stamp, pid: None, level, message }))
}

/// What a werkzeug or common-log-format envelope holds.
struct Clf<'a> {
    client: &'a [u8],
    stamp: Stamp,
    rest: &'a [u8],
}

/// `127.0.0.1 - - [25/Nov/2026 15:40:52] rest` (werkzeug, `serving.py` `log`) and
/// `127.0.0.1 - - [25/Nov/2026:15:40:52 +0000] rest` (common log format: gunicorn's
/// `%(h)s %(l)s %(u)s %(t)s`).
fn clf<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Clf<'a>> {
    let token = || take_till1(|c: u8| c == b' ');
    let (i, (client, _, _ident, _, _user, _)) =
        (token(), char(' '), token(), char(' '), token(), char(' ')).parse(i)?;
    // Day-first stamps only (`[25/Nov/2026 ...`), so a Postgres `%m [%p] ` prefix, whose
    // bracket holds a pid, never reads as an access line.
    let _ = (char('['), take_while_m_n(1, 2, |c: u8| c.is_ascii_digit()), char('/')).parse(i)?;
    let (i, stamp) = bracketed_stamp(i, o)?;
    let (rest, _) = opt(char(' ')).parse(i)?;
    Ok((b"", Clf { client, stamp, rest }))
}

/// The request part of an access line.
struct Request<'a> {
    method: &'a [u8],
    path: &'a [u8],
    status: Option<u16>,
    bytes: Option<u64>,
}

/// `-`, printed for a missing number.
fn dash<T>(i: &[u8]) -> PResult<'_, Option<T>> {
    char('-').map(|_| None).parse(i)
}

/// `200`: a three-digit status code.
fn status(i: &[u8]) -> PResult<'_, Option<u16>> {
    take_while_m_n(3, 3, |c: u8| c.is_ascii_digit())
        .map(|d: &[u8]| Some(d.iter().fold(0u16, |a, &c| a * 10 + u16::from(c - b'0'))))
        .parse(i)
}

/// `"GET /x HTTP/1.1" 200 1234`: request line, status and size; anything after a space
/// (referrer, user agent, extra atoms) is ignored.
fn request(i: &[u8]) -> PResult<'_, Request<'_>> {
    let (i, line) = (char('"'), take_till(|c| c == b'"'), char('"')).map(|(_, l, _)| l).parse(i)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, status) = alt((status, dash)).parse(i)?;
    let (i, bytes) =
        opt(preceded(char(' '), alt((nom::character::complete::u64.map(Some), dash)))).parse(i)?;
    if !(i.is_empty() || i.starts_with(b" ")) {
        return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify)));
    }
    let mut parts = line.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    Ok((i, Request { method, path, status, bytes: bytes.flatten() }))
}

/// `('127.0.0.1', 50330)` or `('::1', 50330, 0, 0)`: the repr of a socket address tuple.
fn address_tuple(i: &[u8]) -> PResult<'_, (&[u8], u32)> {
    let (i, _) = tag("('").parse(i)?;
    let (i, host) = take_till1(|c| c == b'\'').parse(i)?;
    let (i, _) = tag("', ").parse(i)?;
    let (i, port) = nom::character::complete::u32(i)?;
    let (i, _) = take_till(|c| c == b')').parse(i)?;
    let (i, _) = char(')').parse(i)?;
    Ok((i, (host, port)))
}

/// `Wed Nov 25 15:42:08 2026 - msg`: uWSGI's `uwsgi_log_verbose` prefix (`core/logging.c`: the
/// 24 characters of `ctime()` and ` - `), on every line with `--log-date` and on the master's
/// HARAKIRI lines without it. Returns the stamp and the message.
fn uwsgi_ctime<'a>(line: &'a [u8], o: &TimeOptions) -> Option<(Stamp, &'a [u8])> {
    const CTIME: usize = 24;
    if !line.first().is_some_and(u8::is_ascii_uppercase) || line.get(CTIME..CTIME + 3)? != b" - " {
        return None;
    }
    match time::timestamp(line.get(..CTIME)?, o) {
        Ok((b"", st)) => Some((st, line.get(CTIME + 3..)?)),
        _ => None,
    }
}

/// uWSGI's request log line (`core/logging.c`, `uwsgi_logit_simple`), after a `[pid: ` byte test.
static UWSGI_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        ^\[pid:\x20(?P<pid>\d+)\|app:\x20-?\d+\|req:\x20-?\d+/\d+\]\x20  # worker, app, request counts
        (?P<addr>\S+)\x20\([^)]*\)\x20                                # client address, (remote user)
        \{\d+\x20vars\x20in\x20\d+\x20bytes\}\x20                     # CGI vars
        \[(?P<ts>[^\]]+)\]\x20                                        # ctime of the request's start
        (?P<method>\S+)\x20(?P<uri>\S+)\x20                           # method and URI
        =>\x20generated\x20(?P<bytes>\d+)\x20bytes\x20in\x20
        (?P<time>\d+)\x20(?P<unit>msecs|micros)\x20                   # --log-micros prints micros
        [^(]*\((?P<proto>[^\x20)]+)\x20(?P<status>\d{3})\)           # `via sendfile() ` and the like, then (HTTP/1.1 200)
        ",
    )
});

/// `[pid: 12|app: 0|req: 3/7] 127.0.0.1 () {34 vars in 512 bytes} [Wed Nov 25 15:42:08 2026]
/// GET /x => generated 12 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches
/// on core 0)`.
fn uwsgi_request(line: &[u8], o: &TimeOptions) -> Option<(Access, Option<Stamp>)> {
    if !line.starts_with(b"[pid: ") {
        return None;
    }
    let caps = UWSGI_REQUEST.captures(line)?;
    let field = |n: &str| caps.name(n).map_or(&b""[..], |m| m.as_bytes());
    let number = |n: &str| std::str::from_utf8(field(n)).ok().and_then(|s| s.parse::<u64>().ok());
    let stamp = match time::timestamp(field("ts"), o) {
        Ok((b"", st)) => Some(st),
        _ => None,
    };
    // `micros` with --log-micros, else `msecs`.
    let elapsed_ms = number("time")
        .map(|t| if field("unit") == b"micros" { t as f64 / 1000.0 } else { t as f64 });
    let access = Access {
        ts: stamp.map(|s| s.micros),
        client: text::lossy(field("addr")).into_owned(),
        method: text::lossy(field("method")).into_owned(),
        path: text::lossy(field("uri")).into_owned(),
        status: number("status").and_then(|s| u16::try_from(s).ok()),
        bytes: number("bytes"),
        elapsed_ms,
        pid: number("pid").and_then(|p| u32::try_from(p).ok()),
        envelope: Envelope::Uwsgi,
        ..Access::default()
    };
    Some((access, stamp))
}

/// `2026/11/25 15:42:08 [error] 12#12: *3 msg`: nginx's error log (`src/core/ngx_log.c`:
/// local time, `[level]`, `pid#tid: `, `*connection ` when a connection is known). The
/// connection number is left out of the message, so that one error reads the same on every
/// connection (the catalog's `ng_*` patterns read the message from the error's text on).
fn nginx_error<'a>(line: &'a [u8], o: &TimeOptions) -> Option<Enveloped<'a>> {
    const STAMP: usize = 19;
    if line.get(4) != Some(&b'/') || !line.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let stamp = match time::timestamp(line.get(..STAMP)?, o) {
        Ok((b"", st)) => st,
        _ => return None,
    };
    let parsed: PResult<'_, (Level, u32)> = (
        tag(" ["),
        take_till1(|c| c == b']'),
        tag("] "),
        nom::character::complete::u32,
        char('#'),
        nom::character::complete::u32,
        tag(": "),
    )
        .map(|(_, level, _, pid, _, _tid, _)| (level, pid))
        .parse(line.get(STAMP..)?)
        .and_then(|(rest, (word, pid))| match nginx_level(word) {
            Some(level) => Ok((rest, (level, pid))),
            None => {
                Err(nom::Err::Error(nom::error::Error::new(rest, nom::error::ErrorKind::Verify)))
            }
        });
    let (rest, (level, pid)) = parsed.ok()?;
    let connection: PResult<'_, _> =
        (char('*'), nom::character::complete::digit1, char(' ')).parse(rest);
    let message = connection.map_or(rest, |(message, _)| message);
    Some(Enveloped { stamp, pid: Some(pid), level, message })
}

/// nginx's level words (`src/core/ngx_log.c` `err_levels`).
fn nginx_level(word: &[u8]) -> Option<Level> {
    Some(match word {
        b"emerg" | b"alert" | b"crit" => Level::Critical,
        b"error" => Level::Error,
        b"warn" => Level::Warning,
        b"notice" | b"info" => Level::Info,
        b"debug" => Level::Debug,
        _ => return None,
    })
}

/// `[25/Nov/2026 15:42:08] msg`: Django's development server (`django.server` logger, format
/// `[{server_time}] {message}`); the message of a request is `"GET /x HTTP/1.1" 500 145`.
fn django_server<'a>(line: &'a [u8], o: &TimeOptions) -> Option<(Stamp, &'a [u8])> {
    // Day-first stamps only, as for werkzeug's (see `clf`).
    let &[b'[', day, c2, c3] = line.get(..4)? else {
        return None;
    };
    if !day.is_ascii_digit() || !(c2 == b'/' || c3 == b'/') {
        return None;
    }
    let (rest, stamp) = bracketed_stamp(line, o).ok()?;
    Some((stamp, rest.strip_prefix(b" ").unwrap_or(rest)))
}

/// The record of a line whose message after its envelope may be a request
/// (`"GET /x HTTP/1.1" 500 145`): an [`Access`] of envelope `access` when it reads so, else a
/// log line of envelope `log` with that message.
fn request_line(
    ts: Option<Micros>,
    client: &[u8],
    rest: &[u8],
    access: Envelope,
    log: Envelope,
) -> ConsoleRecord {
    match request(rest) {
        Ok((_, r)) => ConsoleRecord::Access(Access {
            ts,
            client: text::lossy(client).into_owned(),
            method: text::lossy(r.method).into_owned(),
            path: text::lossy(r.path).into_owned(),
            status: r.status,
            bytes: r.bytes,
            envelope: access,
            ..Access::default()
        }),
        Err(_) => ConsoleRecord::Log(ConsoleLog {
            ts,
            ts_inferred: false,
            pid: None,
            level: None,
            message: text::lossy(rest).into_owned(),
            envelope: log,
        }),
    }
}

/// Lines that may introduce a traceback printed right after them.
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        ^(?:[A-Z]+:[\w.]+:)?                  # Python logging's default `LEVEL:logger:` prefix
        (?:
            Error\x20handling\x20request        # gunicorn workers/base.py handle_error
          | Exception\x20in\x20worker\x20process  # gunicorn arbiter: a worker failed to boot
          | Error\x20on\x20request:             # werkzeug serving.py: a handler raised
          | Exception\x20while\x20serving\x20   # waitress channel.py
          | Exception\x20on\x20\S+\x20\[[A-Z]+\]  # Flask app.log_exception
          | Internal\x20Server\x20Error:        # Django django.request
          | Exception\x20during\x20reset\x20or\x20similar  # SQLAlchemy pool: reset on return failed
        )",
    )
});

/// The socketserver banner line after 40 dashes (`Lib/socketserver.py`, `handle_error`).
static BANNER: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        ^Exception\x20(?:happened|occurred)     # `happened` up to 3.8, `occurred` from 3.9
        \x20during\x20processing\x20of\x20request\x20from\x20
        (?P<client>.+?)\s*$                     # repr of the client address tuple
        ",
    )
});

/// Start-up lines of the werkzeug/Flask development server, waitress and Django's `runserver`
/// (for [`sniff`]).
static STARTUP: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        ^(?:
            \x20\*\x20(?:Serving\x20Flask\x20app|Debug\x20mode:|Running\x20on|Restarting\x20with
                   |Debugger\x20is\x20active|Debugger\x20PIN|Detected\x20change)  # flask run / werkzeug
          | WARNING:\x20This\x20is\x20a\x20development\x20server   # werkzeug's warning
          | Press\x20CTRL\+C\x20to\x20quit                       # werkzeug
          | (?:INFO:waitress:)?Serving\x20on\x20https?://       # waitress (logging's default format)
          | Starting\x20development\x20server\x20at\x20         # Django runserver
          | Quit\x20the\x20server\x20with\x20                   # Django runserver
          | Performing\x20system\x20checks\.\.\.              # Django runserver
          | System\x20check\x20identified\x20                   # Django runserver
          | Watching\x20for\x20file\x20changes\x20with\x20     # Django's autoreloader
          | Django\x20version\x20\d[^,]*,\x20using\x20settings  # Django runserver
        )",
    )
});

/// Python logging's default format, `%(levelname)s:%(name)s:%(message)s` (`logging.basicConfig`,
/// and what waitress prints when nothing configured its logging): `WARNING:waitress.queue:Task
/// queue depth is 2` (for [`sniff`]).
static PYTHON_LOGGING: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):[A-Za-z_][\w.]*:"));

/// uWSGI's own lines without the `ctime` prefix (start-up, worker deaths and respawns,
/// shutdown), for [`sniff`]: `core/uwsgi.c`, `core/master.c`, `core/master_utils.c`.
static UWSGI_PLAIN: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        ^(?:
            \*\*\*\x20(?:Starting\x20uWSGI|Operational\x20MODE|uWSGI\x20|HARAKIRI\x20ON\x20WORKER)
          | (?:spawned|Respawned)\x20uWSGI\x20
          | DAMN\x20!\x20worker\x20
          | WSGI\x20app\x20\d+\x20\(mountpoint=
          | uWSGI\x20(?:http\x20bound|running\x20as\x20root)
          | uwsgi\x20socket\x20\d+\x20bound\x20to
          | worker\x20\d+\x20(?:buried|killed\x20successfully|lifetime\x20reached)
          | gateway\x20\x22uWSGI\x20
          | goodbye\x20to\x20uWSGI
          | SIGINT/SIGTERM\x20received
          | \.\.\.The\x20work\x20of\x20process\x20\d+\x20is\x20done
          | Gracefully\x20killing\x20worker\x20
          | (?:compiled\x20with\x20version|detected\x20binary\x20path|current\x20working\x20directory|clock\x20source):\x20
          | detected\x20(?:number\x20of\x20CPU\x20cores|max\x20file\x20descriptor\x20number):
          | your\x20(?:processes\x20number\x20limit|memory\x20page\x20size|server\x20socket\x20listen\x20backlog|mercy\x20for)
          | Python\x20(?:version:|main\x20interpreter\x20initialized)
          | python\x20threads\x20support
          | mapped\x20\d+\x20bytes\x20\(
          | (?:lock\x20engine|thunder\x20lock):\x20
          | !!!\x20no\x20internal\x20routing\x20support
          | \x20?\*\*\*\x20WARNING:\x20you\x20(?:are\x20running\x20uWSGI|have\x20enabled)
          | (?:os|nodename|machine):\x20                      # uname(), printed at start-up
        )",
    )
});

/// The client of a socketserver banner line, normalised to `host:port` when it reads so.
fn banner_client(line: &[u8]) -> Option<String> {
    let caps = BANNER.captures(line)?;
    let raw = caps.name("client")?.as_bytes();
    Some(match address_tuple(raw) {
        Ok((_, (host, port))) if host.contains(&b':') => format!("[{}]:{port}", text::lossy(host)),
        Ok((_, (host, port))) => format!("{}:{port}", text::lossy(host)),
        Err(_) => text::lossy(raw).into_owned(),
    })
}

/// A leading `WARNING:` / `ERROR:` word of a plain line (Python logging's default format).
fn plain_level(line: &[u8]) -> Option<Level> {
    let colon = line.iter().take(10).position(|&c| c == b':')?;
    let word = line.get(..colon)?;
    if word.len() < 3 || !word.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    Level::from_word(word)
}

/// At most two notes per line (invalid UTF-8, and one about its timestamp).
#[derive(Debug, Default, Clone, Copy)]
struct Notes([Option<Note>; 2]);

impl Notes {
    fn push(&mut self, n: Note) {
        if let Some(slot) = self.0.iter_mut().find(|s| s.is_none()) {
            *slot = Some(n);
        }
    }
    fn emit<R>(self, no: LineNo, sink: &mut dyn Sink<R>) {
        for n in self.0.into_iter().flatten() {
            sink.note(no, n);
        }
    }
}

/// A line turned into its record, kept aside while the next line decides whether it opens
/// a traceback.
#[derive(Debug)]
struct Classified {
    no: LineNo,
    rec: ConsoleRecord,
    notes: Notes,
    /// The line's own timestamp, which later plain lines inherit.
    own_ts: Option<Micros>,
}

/// Largest traceback block: past this the rest is read as ordinary lines, which keeps memory
/// bounded on pathological input (a real traceback is a few hundred lines at most).
const MAX_BLOCK_LINES: u32 = 20_000;
/// Largest traceback block in bytes.
const MAX_BLOCK_BYTES: usize = 4 << 20;

/// A traceback block being collected.
#[derive(Debug)]
struct Block {
    first: LineNo,
    /// Lines in the record so far.
    lines: u32,
    /// Blank lines after them, not yet known to belong to the block.
    held: u32,
    /// The traceback from its header on, sanitised, `\n`-separated.
    text: Vec<u8>,
    header_offset: u32,
    intro: Option<String>,
    client: Option<String>,
    ts: Option<Micros>,
    ts_inferred: bool,
    /// Opened by a socketserver banner, so a closing line of dashes belongs to it.
    banner: bool,
    collector: Collector,
}

impl Block {
    fn take(&mut self, line: &[u8]) {
        for _ in 0..self.held {
            self.text.push(b'\n');
        }
        self.text.extend_from_slice(line.trim_ascii_end());
        self.text.push(b'\n');
        self.lines = self.lines.saturating_add(self.held.saturating_add(1));
        self.held = 0;
    }
}

/// What opened a traceback block, before its header.
enum Opener {
    /// The header is the first line.
    Header,
    /// A wrapper line such as `Error handling request /x`.
    Intro(Box<Classified>),
    /// The socketserver banner: dashes and `Exception happened ... from (addr)`.
    Banner(Box<Banner>),
}

/// The socketserver banner's two lines and the client address it names.
#[derive(Debug)]
struct Banner {
    dashes: Classified,
    announce: Classified,
    client: String,
}

/// Lookahead kept between two lines.
#[derive(Debug, Default)]
enum Pending {
    #[default]
    Nothing,
    /// A line that may introduce a traceback: it joins the block if a header follows.
    Intro(Classified),
    /// 40 dashes, which may open a socketserver banner.
    Dashes(Classified),
    /// The dashes and the `Exception happened during processing of request` line.
    Banner(Box<Banner>),
    /// A traceback block being collected.
    Block(Box<Block>),
}

/// What a line did to the block being collected.
enum Flow {
    /// The line belongs to the block, which goes on.
    Keep,
    /// The line closed the block (the banner's closing dashes).
    Closed,
    /// The block ended before the line, which is read on its own.
    Ended,
}

/// How sure we are that `head` is a server console log.
///
/// Runs the parser over the first 200 lines and scores the share of non-blank lines it
/// recognised (gunicorn, Flask, werkzeug, uWSGI, nginx and Django envelopes, access lines,
/// tracebacks, the development servers' start-up lines, uWSGI's unprefixed lines), and says
/// how many of each it counted. `None` when nothing was recognised, as for CSV,
/// JSON lines or a Postgres log.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    const SNIFF_LINES: usize = 200;
    let mut lines: Vec<&[u8]> = text::lines(head).take(SNIFF_LINES + 1).collect();
    if lines.len() > SNIFF_LINES || (lines.len() > 1 && !head.ends_with(b"\n")) {
        // The last line may be cut short by the head's size limit.
        lines.pop();
    }
    let mut parser = Parser::default();
    let mut tally = Tally::default();
    let mut no: LineNo = 0;
    for line in &lines {
        no += 1;
        parser.line(line, no, &mut tally);
    }
    parser.finish(&mut tally);
    let nonblank = no.saturating_sub(tally.blank);
    if tally.recognised == 0 || nonblank == 0 {
        return None;
    }
    let score = (tally.recognised as f64 / nonblank as f64).min(1.0) as f32;
    Some(Detection { score, reason: tally.reason(no) })
}

/// Counts what the parser recognised, for [`sniff`].
#[derive(Debug, Default)]
struct Tally {
    gunicorn: u64,
    flask: u64,
    werkzeug_log: u64,
    werkzeug_access: u64,
    clf_access: u64,
    tracebacks: u64,
    startup: u64,
    uwsgi_log: u64,
    uwsgi_request: u64,
    uwsgi_plain: u64,
    nginx_error: u64,
    django_access: u64,
    django_log: u64,
    platform_log: u64,
    platform_access: u64,
    python_logging: u64,
    /// Lines inside recognised records.
    recognised: u64,
    blank: u64,
}

impl Tally {
    fn reason(&self, lines: LineNo) -> String {
        let parts: Vec<String> = [
            (self.gunicorn, "gunicorn error-log line", "gunicorn error-log lines"),
            (self.flask, "Flask log line", "Flask log lines"),
            (self.werkzeug_access, "werkzeug access line", "werkzeug access lines"),
            (self.werkzeug_log, "werkzeug log line", "werkzeug log lines"),
            (
                self.clf_access,
                "access-log line (common log format)",
                "access-log lines (common log format)",
            ),
            (self.uwsgi_request, "uWSGI request line", "uWSGI request lines"),
            (self.uwsgi_log, "uWSGI log line", "uWSGI log lines"),
            (self.uwsgi_plain, "unprefixed uWSGI line", "unprefixed uWSGI lines"),
            (self.nginx_error, "nginx error line", "nginx error lines"),
            (self.django_access, "Django request line", "Django request lines"),
            (self.django_log, "Django server line", "Django server lines"),
            (self.platform_access, "platform router request line", "platform router request lines"),
            (self.platform_log, "platform log line", "platform log lines"),
            (self.startup, "server start-up line", "server start-up lines"),
            (
                self.python_logging,
                "line in Python logging's default format",
                "lines in Python logging's default format",
            ),
            (self.tracebacks, "traceback", "tracebacks"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
        format!("{} in the first {lines} lines", parts.join(", "))
    }
}

impl Sink<ConsoleRecord> for Tally {
    fn record(&mut self, _line: LineNo, lines: u32, rec: ConsoleRecord) {
        match rec {
            ConsoleRecord::Log(l) => match l.envelope {
                Envelope::Gunicorn => self.gunicorn += 1,
                Envelope::Flask => self.flask += 1,
                Envelope::Werkzeug => self.werkzeug_log += 1,
                Envelope::Uwsgi => self.uwsgi_log += 1,
                Envelope::Nginx => self.nginx_error += 1,
                Envelope::Django => self.django_log += 1,
                Envelope::Platform => self.platform_log += 1,
                Envelope::Plain if STARTUP.is_match(l.message.as_bytes()) => self.startup += 1,
                Envelope::Plain if UWSGI_PLAIN.is_match(l.message.as_bytes()) => {
                    self.uwsgi_plain += 1;
                }
                Envelope::Plain if PYTHON_LOGGING.is_match(l.message.as_bytes()) => {
                    self.python_logging += 1;
                }
                Envelope::Plain => return,
            },
            ConsoleRecord::Access(a) => match a.envelope {
                Envelope::Werkzeug => self.werkzeug_access += 1,
                Envelope::Uwsgi => self.uwsgi_request += 1,
                Envelope::Django => self.django_access += 1,
                Envelope::Platform => self.platform_access += 1,
                Envelope::Gunicorn | Envelope::Nginx | Envelope::Flask | Envelope::Plain => {
                    self.clf_access += 1;
                }
            },
            ConsoleRecord::Traceback(_) => self.tracebacks += 1,
        }
        self.recognised += u64::from(lines);
    }
    fn skip(&mut self, _line: LineNo, reason: SkipReason) {
        if reason == SkipReason::Blank {
            self.blank += 1;
        }
    }
}

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    time: TimeOptions,
    /// Timestamp of the last line that carried one, for lines that do not.
    last_ts: Option<Micros>,
    pending: Pending,
}

impl Parser {
    /// A parser reading zone-less stamps with `time`.
    pub fn new(time: TimeOptions) -> Parser {
        Parser { time, ..Parser::default() }
    }

    /// Reads one sanitised line into its record (without emitting it).
    fn classify(&self, clean: &[u8], bad_utf8: bool, no: LineNo) -> Classified {
        let mut notes = Notes::default();
        if bad_utf8 {
            notes.push(Note::LossyUtf8);
        }
        let o = &self.time;
        let line = clean.trim_ascii_end();
        let zone_note = |st: &Stamp, notes: &mut Notes| {
            if let Some(c) = st.caveat() {
                notes.push(c);
            }
        };
        if let Some((access, stamp)) = uwsgi_request(line, o) {
            match &stamp {
                Some(st) => zone_note(st, &mut notes),
                // A stamp that does not read: the line is kept, its time unknown.
                None => notes.push(Note::NoTimestamp),
            }
            let ts = access.ts;
            return Classified { no, rec: ConsoleRecord::Access(access), notes, own_ts: ts };
        }
        if let Ok((_, e)) = gunicorn_error(line, o).or_else(|_| flask(line, o)) {
            zone_note(&e.stamp, &mut notes);
            let envelope = if e.pid.is_some() { Envelope::Gunicorn } else { Envelope::Flask };
            let rec = ConsoleRecord::Log(ConsoleLog {
                ts: Some(e.stamp.micros),
                ts_inferred: false,
                pid: e.pid,
                level: Some(e.level),
                message: text::lossy(e.message).into_owned(),
                envelope,
            });
            return Classified { no, rec, notes, own_ts: Some(e.stamp.micros) };
        }
        if let Some((stamp, rest)) = django_server(line, o) {
            zone_note(&stamp, &mut notes);
            let ts = Some(stamp.micros);
            let rec = request_line(ts, b"", rest, Envelope::Django, Envelope::Django);
            return Classified { no, rec, notes, own_ts: ts };
        }
        if let Ok((_, c)) = clf(line, o) {
            zone_note(&c.stamp, &mut notes);
            let ts = Some(c.stamp.micros);
            let werkzeug = c.stamp.zone == ZoneKind::Assumed;
            let access = if werkzeug { Envelope::Werkzeug } else { Envelope::Gunicorn };
            let rec = request_line(ts, c.client, c.rest, access, Envelope::Werkzeug);
            return Classified { no, rec, notes, own_ts: ts };
        }
        let prefixed = match nginx_error(line, o) {
            Some(e) => Some((e, Envelope::Nginx)),
            None => uwsgi_ctime(line, o).map(|(stamp, message)| {
                let e = Enveloped { stamp, pid: None, level: Level::Info, message };
                (e, Envelope::Uwsgi)
            }),
        };
        if let Some((e, envelope)) = prefixed {
            zone_note(&e.stamp, &mut notes);
            let level =
                if envelope == Envelope::Nginx { Some(e.level) } else { plain_level(e.message) };
            let rec = ConsoleRecord::Log(ConsoleLog {
                ts: Some(e.stamp.micros),
                ts_inferred: false,
                pid: e.pid,
                level,
                message: text::lossy(e.message).into_owned(),
                envelope,
            });
            return Classified { no, rec, notes, own_ts: Some(e.stamp.micros) };
        }
        let ts_inferred = self.last_ts.is_some();
        notes.push(if ts_inferred { Note::TimestampInferred } else { Note::NoTimestamp });
        let rec = ConsoleRecord::Log(ConsoleLog {
            ts: self.last_ts,
            ts_inferred,
            pid: None,
            level: plain_level(line),
            message: text::lossy(line).into_owned(),
            envelope: Envelope::Plain,
        });
        Classified { no, rec, notes, own_ts: None }
    }

    fn emit(&mut self, c: Classified, sink: &mut dyn Sink<ConsoleRecord>) {
        c.notes.emit(c.no, sink);
        if c.own_ts.is_some() {
            self.last_ts = c.own_ts;
        }
        sink.record(c.no, 1, c.rec);
    }

    /// True for a line in one of the envelopes: it always ends a traceback block.
    fn is_envelope(&self, line: &[u8]) -> bool {
        let o = &self.time;
        let bracketed = line.first() == Some(&b'[')
            && (gunicorn_error(line, o).is_ok()
                || flask(line, o).is_ok()
                || uwsgi_request(line, o).is_some()
                || django_server(line, o).is_some());
        bracketed
            || clf(line, o).is_ok()
            || nginx_error(line, o).is_some()
            || uwsgi_ctime(line, o).is_some()
    }

    /// Timestamp of a block no line of which carries one, with its note.
    fn inferred_ts(
        &self,
        no: LineNo,
        sink: &mut dyn Sink<ConsoleRecord>,
    ) -> (Option<Micros>, bool) {
        match self.last_ts {
            Some(t) => {
                sink.note(no, Note::TimestampInferred);
                (Some(t), true)
            }
            None => {
                sink.note(no, Note::NoTimestamp);
                (None, false)
            }
        }
    }

    fn start_block(
        &mut self,
        opener: Opener,
        header: &[u8],
        no: LineNo,
        sink: &mut dyn Sink<ConsoleRecord>,
    ) {
        let Some(collector) = Collector::start(header) else {
            return;
        };
        let banner = matches!(opener, Opener::Banner(_));
        let (first, header_offset, intro, client, ts, ts_inferred) = match opener {
            Opener::Header => {
                let (ts, inferred) = self.inferred_ts(no, sink);
                (no, 0, None, None, ts, inferred)
            }
            Opener::Intro(c) => {
                let c = *c;
                c.notes.emit(c.no, sink);
                if c.own_ts.is_some() {
                    self.last_ts = c.own_ts;
                }
                match c.rec {
                    ConsoleRecord::Log(l) => (c.no, 1, Some(l.message), None, l.ts, l.ts_inferred),
                    _ => (c.no, 1, None, None, c.own_ts, false),
                }
            }
            Opener::Banner(b) => {
                let Banner { dashes, announce, client } = *b;
                let (ts, inferred) = self.inferred_ts(dashes.no, sink);
                if announce.notes.0.contains(&Some(Note::LossyUtf8)) {
                    sink.note(announce.no, Note::LossyUtf8);
                }
                (dashes.no, 2, None, Some(client), ts, inferred)
            }
        };
        let mut text = Vec::with_capacity(1024);
        text.extend_from_slice(header.trim_ascii_end());
        text.push(b'\n');
        self.pending = Pending::Block(Box::new(Block {
            first,
            lines: header_offset + 1,
            held: 0,
            text,
            header_offset,
            intro,
            client,
            ts,
            ts_inferred,
            banner,
            collector,
        }));
    }

    fn block_step(
        &self,
        b: &mut Block,
        clean: &[u8],
        bad_utf8: bool,
        no: LineNo,
        sink: &mut dyn Sink<ConsoleRecord>,
    ) -> Flow {
        let full =
            b.lines.saturating_add(b.held) >= MAX_BLOCK_LINES || b.text.len() >= MAX_BLOCK_BYTES;
        let step =
            if full || self.is_envelope(clean) { Step::Stop } else { b.collector.step(clean) };
        match step {
            Step::Take => {
                b.take(clean);
                if bad_utf8 {
                    sink.note(no, Note::LossyUtf8);
                }
                Flow::Keep
            }
            Step::Hold => {
                b.held = b.held.saturating_add(1);
                Flow::Keep
            }
            Step::Stop if b.banner && traceback::is_rule(clean) => {
                b.lines = b.lines.saturating_add(b.held.saturating_add(1));
                b.held = 0;
                Flow::Closed
            }
            Step::Stop => Flow::Ended,
        }
    }

    fn finish_block(b: Block, sink: &mut dyn Sink<ConsoleRecord>) {
        let mut traceback = traceback::parse(&b.text).unwrap_or_default();
        for s in &mut traceback.sections {
            s.line_offset = s.line_offset.saturating_add(b.header_offset);
        }
        let rec = ConsoleTraceback {
            ts: b.ts,
            ts_inferred: b.ts_inferred,
            intro: b.intro,
            client: b.client,
            traceback,
            header_offset: b.header_offset,
        };
        sink.record(b.first, b.lines, ConsoleRecord::Traceback(rec));
        let after = b.first.saturating_add(u64::from(b.lines));
        for k in 0..b.held {
            sink.skip(after.saturating_add(u64::from(k)), SkipReason::Blank);
        }
    }

    /// A line with nothing pending before it.
    fn fresh(
        &mut self,
        clean: &[u8],
        bad_utf8: bool,
        no: LineNo,
        sink: &mut dyn Sink<ConsoleRecord>,
    ) {
        if text::is_blank(clean) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        if traceback::is_header(clean) {
            self.start_block(Opener::Header, clean, no, sink);
            return;
        }
        let c = self.classify(clean, bad_utf8, no);
        if traceback::is_rule(clean) {
            self.pending = Pending::Dashes(c);
            return;
        }
        let intro = match &c.rec {
            ConsoleRecord::Log(l) => INTRO.is_match(l.message.as_bytes()),
            _ => false,
        };
        if intro {
            self.pending = Pending::Intro(c);
        } else {
            self.emit(c, sink);
        }
    }
}

impl LineParser for Parser {
    type Record = ConsoleRecord;
    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<ConsoleRecord>) {
        let clean = text::clean(line);
        let clean: &[u8] = &clean;
        let bad_utf8 = std::str::from_utf8(line).is_err();
        match std::mem::take(&mut self.pending) {
            Pending::Nothing => {}
            Pending::Block(mut b) => match self.block_step(&mut b, clean, bad_utf8, no, sink) {
                Flow::Keep => {
                    self.pending = Pending::Block(b);
                    return;
                }
                Flow::Closed => {
                    Self::finish_block(*b, sink);
                    return;
                }
                Flow::Ended => Self::finish_block(*b, sink),
            },
            Pending::Intro(c) => {
                if traceback::is_header(clean) {
                    self.start_block(Opener::Intro(Box::new(c)), clean, no, sink);
                    return;
                }
                self.emit(c, sink);
            }
            Pending::Dashes(dashes) => {
                if let Some(client) = banner_client(clean) {
                    let announce = self.classify(clean, bad_utf8, no);
                    self.pending = Pending::Banner(Box::new(Banner { dashes, announce, client }));
                    return;
                }
                self.emit(dashes, sink);
            }
            Pending::Banner(b) => {
                if traceback::is_header(clean) {
                    self.start_block(Opener::Banner(b), clean, no, sink);
                    return;
                }
                let Banner { dashes, announce, .. } = *b;
                self.emit(dashes, sink);
                self.emit(announce, sink);
            }
        }
        self.fresh(clean, bad_utf8, no, sink);
    }

    fn finish(&mut self, sink: &mut dyn Sink<ConsoleRecord>) {
        match std::mem::take(&mut self.pending) {
            Pending::Nothing => {}
            Pending::Block(b) => Self::finish_block(*b, sink),
            Pending::Intro(c) | Pending::Dashes(c) => self.emit(c, sink),
            Pending::Banner(b) => {
                self.emit(b.dashes, sink);
                self.emit(b.announce, sink);
            }
        }
    }
}

#[cfg(test)]
mod tests;
