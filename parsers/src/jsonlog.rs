//! JSON-lines application logs: structlog, python-json-logger, and anything shaped like them.
//!
//! Each line is one JSON object, split into borrowed `(key, raw value)` pairs by a byte-level
//! scan (`jsonlog/scan.rs`, issue 9) or, for any line the scan does not take, by
//! `serde_json::from_slice` (the same pairs, the same skips); only the values we keep are
//! decoded. Keys are found by name first, case-insensitively:
//! - structlog: `event`, `level`, `timestamp` / `created_at`, `exception`;
//! - python-json-logger: `message`, `levelname`, `asctime`, `exc_info`;
//! - common others: `msg`, `@timestamp`, `time`, `severity`, `stack_trace`, ...
//!
//! and, when a line has none of the names, by the shape of the values (a string that is a
//! whole timestamp, a level word, the longest remaining string as the message). A traceback
//! string in `exception` / `exc_info` / `stack` is parsed with [`crate::traceback`].
//!
//! Truncated, invalid or non-object lines are skipped with a reason; a line with invalid UTF-8
//! is read with replacement characters and noted. This module never opens a file.
//!
//! ```
//! use rootcause_parsers::{jsonlog, parse_bytes};
//! let line = br#"{"route": "/a", "event": "query started", "level": "info", "created_at": "2026-11-25T15:42:12.064971Z"}"#;
//! let out = parse_bytes(&mut jsonlog::Parser::new(Default::default()), line);
//! assert_eq!(out.records[0].rec.message, "query started");
//! assert_eq!(out.records[0].rec.route.as_deref(), Some("/a"));
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::text::is_blank;
use crate::time::{self, Micros, TimeOptions, ZoneKind};
use crate::traceback::{self, Traceback};
use crate::{Detection, Level, LineNo, LineParser, Note, Sink, SkipReason};

mod scan;

/// Which logging library the line looks like it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// Has an `event` key.
    Structlog,
    /// Has `message` with `levelname` or `asctime`.
    PythonJsonLogger,
    /// Anything else; keys found by name or value shape.
    Generic,
}

impl Style {
    /// Short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Structlog => "structlog",
            Style::PythonJsonLogger => "python-json-logger",
            Style::Generic => "generic",
        }
    }
}

/// One application log event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppEvent {
    /// When it was logged.
    pub ts: Option<Micros>,
    /// Level.
    pub level: Option<Level>,
    /// The message (`event`, `message`, `msg`, ...).
    pub message: String,
    /// Route / path / endpoint.
    pub route: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// HTTP status the app returned.
    pub status: Option<u16>,
    /// A duration in milliseconds the event reports.
    pub duration_ms: Option<f64>,
    /// Process id.
    pub pid: Option<u32>,
    /// Logger name.
    pub logger: Option<String>,
    /// The traceback carried in `exception` / `exc_info` / `stack`.
    pub exception: Option<Traceback>,
    /// The style the keys matched.
    pub style: Option<Style>,
}

/// One application log event as [`Parser::line_with`] reads it: an [`AppEvent`] whose text is
/// borrowed from the line where it needs no unescaping or cleaning (most of it), so that a
/// [`FieldSink`] copies only the text it keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppFields<'a> {
    /// When it was logged.
    pub ts: Option<Micros>,
    /// Level.
    pub level: Option<Level>,
    /// The message (`event`, `message`, `msg`, ...).
    pub message: Cow<'a, str>,
    /// Route / path / endpoint.
    pub route: Option<Cow<'a, str>>,
    /// Request id.
    pub request_id: Option<Cow<'a, str>>,
    /// HTTP status the app returned.
    pub status: Option<u16>,
    /// A duration in milliseconds the event reports.
    pub duration_ms: Option<f64>,
    /// Process id.
    pub pid: Option<u32>,
    /// Logger name.
    pub logger: Option<Cow<'a, str>>,
    /// The traceback carried in `exception` / `exc_info` / `stack`.
    pub exception: Option<Traceback>,
    /// The style the keys matched.
    pub style: Option<Style>,
}

impl AppFields<'_> {
    /// The event, its text copied.
    pub fn into_owned(self) -> AppEvent {
        AppEvent {
            ts: self.ts,
            level: self.level,
            message: self.message.into_owned(),
            route: self.route.map(Cow::into_owned),
            request_id: self.request_id.map(Cow::into_owned),
            status: self.status,
            duration_ms: self.duration_ms,
            pid: self.pid,
            logger: self.logger.map(Cow::into_owned),
            exception: self.exception,
            style: self.style,
        }
    }
}

impl From<AppEvent> for AppFields<'static> {
    fn from(e: AppEvent) -> AppFields<'static> {
        AppFields {
            ts: e.ts,
            level: e.level,
            message: Cow::Owned(e.message),
            route: e.route.map(Cow::Owned),
            request_id: e.request_id.map(Cow::Owned),
            status: e.status,
            duration_ms: e.duration_ms,
            pid: e.pid,
            logger: e.logger.map(Cow::Owned),
            exception: e.exception,
            style: e.style,
        }
    }
}

/// A [`Sink`] of application events that can take an event's fields borrowed from its line
/// ([`Parser::line_with`]). By default they are made an [`AppEvent`] and recorded.
pub trait FieldSink: Sink<AppEvent> {
    /// The event that line `line` holds.
    fn fields(&mut self, line: LineNo, event: AppFields<'_>) {
        self.record(line, 1, event.into_owned());
    }
}

/// A sink of owned events as a [`FieldSink`] that records them.
struct Owned<'s>(&'s mut dyn Sink<AppEvent>);

impl Sink<AppEvent> for Owned<'_> {
    fn record(&mut self, line: LineNo, lines: u32, rec: AppEvent) {
        self.0.record(line, lines, rec);
    }
    fn skip(&mut self, line: LineNo, reason: SkipReason) {
        self.0.skip(line, reason);
    }
    fn consumed(&mut self, line: LineNo, lines: u32) {
        self.0.consumed(line, lines);
    }
    fn note(&mut self, line: LineNo, note: Note) {
        self.0.note(line, note);
    }
}

impl FieldSink for Owned<'_> {}

/// A JSON object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// One `(key, raw value)` pair of a JSON object: the key unescaped (borrowed when it has no
/// escapes), the value's JSON text as it is in the line.
type Pair<'a> = (Cow<'a, str>, &'a str);

/// The top-level pairs of one JSON object, values left raw.
struct Pairs<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Pairs<'a> {
    /// The pairs with each value as its text.
    fn into_text(self) -> Vec<Pair<'a>> {
        self.0.into_iter().map(|(k, v)| (k, v.get())).collect()
    }
}

impl<'de> Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Pairs<'de>, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some(Key(k)) = m.next_key::<Key<'de>>()? {
                    let raw: &'de RawValue = m.next_value()?;
                    v.push((k, raw));
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A key as [`Parser::event`] reads it: the serde path's unescaped keys and the scan's slices
/// of the line (bytes: a key is only compared, and a `str` slice checks its char boundaries).
trait KeyBytes {
    fn bytes(&self) -> &[u8];
}

impl KeyBytes for Cow<'_, str> {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl KeyBytes for &[u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// What a key is, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Message keys, the number is the priority (lower wins).
    Message(u8),
    Level(u8),
    Time(u8),
    Exception(u8),
    Route(u8),
    RequestId,
    Status,
    Duration,
    Pid,
    Logger,
}

/// The first eight bytes of `b` as a little-endian word, zero-padded when `b` is shorter: with
/// whole-word and overlapping half-word loads rather than byte by byte.
#[inline]
fn load_le(b: &[u8]) -> u64 {
    match *b {
        [a0, a1, a2, a3, a4, a5, a6, a7, ..] => {
            u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7])
        }
        [a0, a1, a2, a3, ..] => {
            let n = b.len();
            let lo = u32::from_le_bytes([a0, a1, a2, a3]);
            let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
            // The bytes both halves read are the same, so or-ing them is exact.
            u64::from(lo) | u64::from(hi) << (8 * (n - 4))
        }
        _ => b.iter().rev().fold(0, |t, &c| t << 8 | u64::from(c)),
    }
}

/// Whether `b` holds the byte `x` or the byte `y` (neither 0): a word at a time.
#[inline]
fn has_either(b: &[u8], x: u8, y: u8) -> bool {
    const ONES: u64 = u64::MAX / 255;
    // A zero byte in `w ^ x` or `w ^ y`; the zero-padding of the last word matches neither.
    let hit = |w: u64| {
        let (a, c) = (w ^ (ONES * u64::from(x)), w ^ (ONES * u64::from(y)));
        ((a.wrapping_sub(ONES) & !a) | (c.wrapping_sub(ONES) & !c)) & (ONES << 7) != 0
    };
    let mut words = b.chunks_exact(8);
    words.any(|w| hit(load_le(w))) || hit(load_le(words.remainder()))
}

/// The role of a key, by its name in any ASCII case.
fn role(k: &[u8]) -> Option<Role> {
    // Keys are mostly lower-case already, and then match as they are; only a key with a
    // capital is lower-cased (no name has one, so such a key cannot match as it is).
    if let Some(r) = role_lower(k) {
        return Some(r);
    }
    if !k.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    // The longest name is `error.stack_trace`, 17 bytes: a longer key is no role.
    let mut buf = [0u8; 17];
    let lower = buf.get_mut(..k.len())?;
    for (l, c) in lower.iter_mut().zip(k) {
        *l = c.to_ascii_lowercase();
    }
    role_lower(lower)
}

/// The role of a lower-case key: one match instead of a comparison per name (a key that is
/// no role, such as structlog's `service`, went through all sixty).
fn role_lower(lower: &[u8]) -> Option<Role> {
    Some(match lower {
        b"event" => Role::Message(0),
        b"message" => Role::Message(1),
        b"msg" | b"@message" => Role::Message(2),
        b"log" | b"text" | b"body" => Role::Message(3),
        b"level" | b"levelname" => Role::Level(0),
        b"severity" | b"log.level" | b"loglevel" | b"log_level" | b"lvl" => Role::Level(1),
        b"timestamp" | b"created_at" | b"@timestamp" => Role::Time(0),
        b"time" | b"asctime" | b"ts" | b"datetime" => Role::Time(1),
        b"created" | b"date" | b"t" => Role::Time(2),
        b"exception" | b"exc_info" => Role::Exception(0),
        b"exc_text" | b"stack_trace" | b"stacktrace" | b"traceback" => Role::Exception(1),
        b"stack" | b"error.stack" | b"error.stack_trace" => Role::Exception(2),
        b"route" | b"url_rule" | b"http.route" => Role::Route(0),
        b"path" | b"endpoint" | b"request_path" | b"url.path" => Role::Route(1),
        b"request_id" | b"requestid" | b"req_id" | b"x_request_id" => Role::RequestId,
        b"status" | b"status_code" | b"http_status" | b"http.status_code" => Role::Status,
        b"duration_ms" | b"elapsed_ms" | b"response_time_ms" => Role::Duration,
        b"pid" | b"process" => Role::Pid,
        b"logger" | b"name" | b"logger_name" => Role::Logger,
        _ => return None,
    })
}

/// A JSON string value, unescaped; `None` for any other JSON type.
fn string(s: &str) -> Option<Cow<'_, str>> {
    let inner = s.strip_prefix('"')?;
    // Without a backslash there is nothing to unescape: the text between the quotes is the
    // value (serde_json checked it when it split the object). Most values are such, and
    // deserialising each one a second time was a quarter of the parser's time.
    if !has_either(inner.as_bytes(), b'\\', b'\\') {
        return inner.strip_suffix('"').map(Cow::Borrowed);
    }
    serde_json::from_str::<Cow<'_, str>>(s).ok()
}

/// A JSON number, or a string holding one.
fn number(s: &str) -> Option<f64> {
    let text: Cow<'_, str> = if s.starts_with('"') { string(s)? } else { Cow::Borrowed(s) };
    number_in(s, Some(&text))
}

/// [`number`] given the string value `s` holds, if it is one.
fn number_in(s: &str, string: Option<&str>) -> Option<f64> {
    let text = if s.starts_with('"') { string? } else { s };
    text.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Whether any byte of `b` passes `test`: branch-free within each chunk, so the compiler
/// vectorises it, where `str::contains` calls memchr, costly on the short values of a log line.
#[inline]
fn any_byte(b: &[u8], test: impl Fn(u8) -> bool) -> bool {
    b.chunks(32).any(|c| c.iter().fold(false, |seen, &x| seen | test(x)))
}

/// A JSON string value, unescaped and cleaned (borrowed when that changes nothing); `None` for
/// any other JSON type.
fn clean_string(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?;
    // JSON text holds no raw control character in a string: without a backslash and a DEL
    // (the usual value) there is nothing to unescape or clean, which one pass tells.
    if !has_either(inner.as_bytes(), b'\\', 0x7f) {
        return inner.strip_suffix('"').map(Cow::Borrowed);
    }
    string(raw).map(|s| Cow::Owned(clean(&s)))
}

/// How [`Parser::event`] reads the raw values of one line.
#[derive(Debug, Clone, Copy)]
struct Values {
    /// No top-level string value holds a backslash or a DEL ([`scan::Scanned::plain`]): each
    /// is the text between its quotes, with no control character to clean.
    plain: bool,
}

impl Values {
    fn string(self, raw: &str) -> Option<Cow<'_, str>> {
        match self.plain {
            true => raw.strip_prefix('"')?.strip_suffix('"').map(Cow::Borrowed),
            false => string(raw),
        }
    }

    /// A string value as kept: unescaped and cleaned, borrowed when that changes nothing (on a
    /// plain line, always).
    fn kept_string(self, raw: &str) -> Option<Cow<'_, str>> {
        match self.plain {
            true => raw.strip_prefix('"')?.strip_suffix('"').map(Cow::Borrowed),
            false => clean_string(raw),
        }
    }

    /// Message text: a string as is, any other non-null value as its JSON text. Both are
    /// cleaned: JSON allows a carriage return as whitespace between the items of an array or
    /// object (issue 8, found by fuzzing).
    fn text_of(self, raw: &str) -> Option<Cow<'_, str>> {
        match self.kept_string(raw) {
            Some(s) => Some(s),
            None if raw == "null" => None,
            None => Some(Cow::Owned(clean(raw))),
        }
    }

    fn number(self, raw: &str) -> Option<f64> {
        match self.plain {
            true => number_in(raw, raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'))),
            false => number(raw),
        }
    }
}

/// Kept text without escape sequences or control characters (tab and newline stay).
fn clean(s: &str) -> String {
    // What `text::clean` drops, ESC included: without any (the usual value), it changes
    // nothing, and its search for escape sequences can be skipped.
    if !any_byte(s.as_bytes(), |c| (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f) {
        return s.to_string();
    }
    match crate::text::clean(s.as_bytes()) {
        Cow::Borrowed(_) => s.to_string(),
        Cow::Owned(v) => String::from_utf8_lossy(&v).into_owned(),
    }
}

/// Options for [`Parser`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// How to read stamps without a zone.
    pub time: TimeOptions,
}

/// The streaming parser, one object per line.
#[derive(Debug)]
pub struct Parser {
    opts: Options,
    /// Whether lines go through [`scan::object`] before serde_json.
    fast: bool,
    /// The pairs vector of the last line, kept empty for its allocation.
    spare: Vec<scan::Pair<'static>>,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new(Options::default())
    }
}

impl Parser {
    /// A parser with these options.
    pub fn new(opts: Options) -> Parser {
        Parser { opts, fast: true, spare: Vec::new() }
    }

    /// A parser that reads every line with serde_json only, without the fast scan: the
    /// reference the fast path is tested against (the proptest in this module's tests, the
    /// `json_log` fuzz target). Gives the same output as [`Parser::new`], more slowly.
    #[doc(hidden)]
    pub fn serde_only(opts: Options) -> Parser {
        Parser { opts, fast: false, spare: Vec::new() }
    }

    fn event<'a, K: KeyBytes>(
        &self,
        pairs: &[(K, &'a str)],
        v: Values,
        no: LineNo,
        sink: &mut dyn FieldSink,
    ) -> AppFields<'a> {
        let mut ev = AppFields::default();
        // Best (lowest) priority found so far for each prioritised role.
        let (mut msg_p, mut lvl_p, mut time_p, mut exc_p, mut route_p) = (9u8, 9u8, 9u8, 9u8, 9u8);
        let (mut msg_raw, mut time_raw, mut exc_raw) = (None, None, None);
        // Which pairs a role took; on the stack for the usual handful of keys.
        let mut few = [false; 32];
        let mut many = Vec::new();
        let used: &mut [bool] = match few.get_mut(..pairs.len()) {
            Some(u) => u,
            None => {
                many.resize(pairs.len(), false);
                &mut many
            }
        };
        let (mut has_event, mut has_pjl) = (false, false);
        for (idx, (k, raw)) in pairs.iter().enumerate() {
            let k = k.bytes();
            let Some(r) = role(k) else { continue };
            used[idx] = true;
            match r {
                Role::Message(p) => {
                    has_event |= p == 0;
                    has_pjl |= p == 1;
                    if p < msg_p && *raw != "null" {
                        msg_p = p;
                        msg_raw = Some(*raw);
                    }
                }
                Role::Level(p) => {
                    has_pjl |= k.eq_ignore_ascii_case(b"levelname");
                    if p < lvl_p {
                        if let Some(l) =
                            v.string(raw).and_then(|s| Level::from_word(s.trim().as_bytes()))
                        {
                            lvl_p = p;
                            ev.level = Some(l);
                        }
                    }
                }
                Role::Time(p) => {
                    has_pjl |= k.eq_ignore_ascii_case(b"asctime");
                    if p < time_p && *raw != "null" {
                        time_p = p;
                        time_raw = Some(*raw);
                    }
                }
                Role::Exception(p) => {
                    if p < exc_p && raw.starts_with('"') {
                        exc_p = p;
                        exc_raw = Some(*raw);
                    }
                }
                Role::Route(p) => {
                    if p < route_p {
                        if let Some(s) = v.kept_string(raw) {
                            route_p = p;
                            ev.route = Some(s);
                        }
                    }
                }
                Role::RequestId => ev.request_id = v.text_of(raw),
                Role::Status => {
                    ev.status = v
                        .number(raw)
                        .filter(|f| (100.0..600.0).contains(f) && f.fract() == 0.0)
                        .map(|f| f as u16)
                }
                Role::Duration => ev.duration_ms = v.number(raw),
                Role::Pid => {
                    ev.pid = v
                        .number(raw)
                        .filter(|f| *f >= 0.0 && *f <= f64::from(u32::MAX) && f.fract() == 0.0)
                        .map(|f| f as u32)
                }
                Role::Logger => {
                    if let Some(s) = v.kept_string(raw) {
                        ev.logger = Some(s);
                    }
                }
            }
        }
        // Time: by name, else the first string value that is a whole timestamp.
        let time_raw = time_raw.or_else(|| {
            pairs.iter().enumerate().find_map(|(idx, (_, raw))| {
                let s = v.string(raw)?;
                let whole = time::timestamp(s.trim().as_bytes(), &self.opts.time)
                    .is_ok_and(|(rest, _)| rest.is_empty());
                whole.then(|| {
                    used[idx] = true;
                    *raw
                })
            })
        });
        match time_raw {
            Some(raw) => {
                let st = match v.string(raw) {
                    Some(s) => time::parse(s.as_bytes(), &self.opts.time),
                    None => time::parse_epoch(raw.as_bytes())
                        .map(|micros| time::Stamp { micros, zone: ZoneKind::Explicit }),
                };
                match st {
                    Some(st) => {
                        if let Some(c) = st.caveat() {
                            sink.note(no, c);
                        }
                        ev.ts = Some(st.micros);
                    }
                    None => sink.note(no, Note::BadTimestamp),
                }
            }
            None => sink.note(no, Note::NoTimestamp),
        }
        // Level by value shape.
        if ev.level.is_none() {
            for (idx, (_, raw)) in pairs.iter().enumerate() {
                if used[idx] {
                    continue;
                }
                if let Some(l) = v.string(raw).and_then(|s| Level::from_word(s.as_bytes())) {
                    ev.level = Some(l);
                    used[idx] = true;
                    break;
                }
            }
        }
        // Message: by name, else the longest unused string value.
        match msg_raw.and_then(|raw| v.text_of(raw)) {
            Some(m) => ev.message = m,
            None => {
                let longest = pairs
                    .iter()
                    .enumerate()
                    .filter(|(idx, _)| !used[*idx])
                    .filter_map(|(_, (_, raw))| v.string(raw))
                    .max_by_key(|s| s.len());
                if let Some(s) = longest {
                    ev.message = Cow::Owned(clean(&s));
                }
            }
        }
        if let Some(tb) = exc_raw.and_then(|raw| v.string(raw)) {
            ev.exception = traceback::parse(tb.as_bytes());
        }
        ev.style = Some(if has_event {
            Style::Structlog
        } else if has_pjl {
            Style::PythonJsonLogger
        } else {
            Style::Generic
        });
        ev
    }

    /// [`LineParser::line`], handing the event to `sink` with its text borrowed from the line
    /// where it can be ([`FieldSink::fields`]).
    pub fn line_with(&mut self, line: &[u8], no: LineNo, sink: &mut dyn FieldSink) {
        if is_blank(line) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        if self.fast {
            let mut pairs = recycle(std::mem::take(&mut self.spare));
            if let Some(scanned) = scan::object(line, &mut pairs) {
                let ev = self.event(&pairs, Values { plain: scanned.plain }, no, sink);
                sink.fields(no, ev);
                pairs.clear();
                self.spare = recycle(pairs);
                return;
            }
            pairs.clear();
            self.spare = recycle(pairs);
        }
        match serde_json::from_slice::<Pairs<'_>>(line) {
            Ok(pairs) => {
                let ev = self.event(&pairs.into_text(), Values { plain: false }, no, sink);
                sink.fields(no, ev);
            }
            Err(e) if std::str::from_utf8(line).is_err() => {
                let text = String::from_utf8_lossy(line);
                match serde_json::from_str::<Pairs<'_>>(&text) {
                    Ok(pairs) => {
                        sink.note(no, Note::LossyUtf8);
                        let ev = self.event(&pairs.into_text(), Values { plain: false }, no, sink);
                        sink.fields(no, ev);
                    }
                    Err(_) => sink.skip(no, classify(&e)),
                }
            }
            Err(e) => sink.skip(no, classify(&e)),
        }
    }
}

/// An empty vector of pairs with the allocation of `v`, for borrows of another line: the
/// collect reuses the allocation in place (the element types have the same layout).
fn recycle<'a, 'b>(mut v: Vec<scan::Pair<'a>>) -> Vec<scan::Pair<'b>> {
    v.clear();
    v.into_iter().map(|_| (&b""[..], "")).collect()
}

fn classify(e: &serde_json::Error) -> SkipReason {
    match e.classify() {
        serde_json::error::Category::Eof => SkipReason::TruncatedJson,
        serde_json::error::Category::Data => SkipReason::JsonNotObject,
        _ => SkipReason::InvalidJson,
    }
}

impl LineParser for Parser {
    type Record = AppEvent;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<AppEvent>) {
        self.line_with(line, no, &mut Owned(sink));
    }

    fn finish(&mut self, _sink: &mut dyn Sink<AppEvent>) {}
}

/// How sure we are that `head` is JSON lines: most non-blank lines open a JSON object and some
/// parse whole; the score is the share that parse, the reason names the style of their keys.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let mut parser = Parser::new(Options::default());
    let (mut total, mut braced, mut objects, mut timed) = (0usize, 0usize, 0usize, 0usize);
    let mut styles: Vec<(Style, usize)> = Vec::new();
    let mut sink = crate::VecSink::default();
    let mut lines = crate::text::lines(head).filter(|l| !is_blank(l)).take(200).peekable();
    while let Some(l) = lines.next() {
        // The head may end inside a line: do not count a cut last line against the file.
        if lines.peek().is_none() && !head.ends_with(b"\n") && total > 0 {
            break;
        }
        total += 1;
        if !l.trim_ascii_start().starts_with(b"{") {
            continue;
        }
        braced += 1;
        sink.records.clear();
        parser.line(l, total as LineNo, &mut sink);
        if let Some(r) = sink.records.first() {
            objects += 1;
            timed += usize::from(r.rec.ts.is_some());
            let style = r.rec.style.unwrap_or(Style::Generic);
            match styles.iter_mut().find(|(s, _)| *s == style) {
                Some(slot) => slot.1 += 1,
                None => styles.push((style, 1)),
            }
        }
    }
    // JSON lines when most lines open an object (a truncated one is still a JSON line) and
    // whole objects are found.
    if objects == 0 || braced * 2 < total {
        return None;
    }
    styles.sort_by_key(|s| std::cmp::Reverse(s.1));
    let style = styles.first().map_or("generic", |(s, _)| s.as_str());
    let score = 0.5 + 0.4 * objects as f32 / total as f32 + if timed > 0 { 0.1 } else { 0.0 };
    Some(Detection {
        score: score.min(1.0),
        reason: format!(
            "{objects} of {total} lines are JSON objects ({style} keys), {timed} with a timestamp"
        ),
    })
}

#[cfg(test)]
mod tests;
