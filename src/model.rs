//! The data model shared by the stages: sources, events and evidence references.

use std::collections::HashMap;

/// The hasher of the maps keyed by log data on hot paths: foldhash, seeded at random per
/// process like the standard one (so a crafted log cannot aim at collisions), and several
/// times faster than SipHash on short keys.
pub type FastHash = foldhash::fast::RandomState;
use std::sync::Arc;

use rootcause_parsers::aggregate::Aggregate;
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::jsonlog::{AppEvent, AppFields};
use rootcause_parsers::loadtest::Request;
use rootcause_parsers::postgres::PgRecord;
use rootcause_parsers::traceback::Traceback;
use rootcause_parsers::{Level, LineNo, Micros};

/// Index of an input in [`crate::ingest::Ingested::sources`].
pub type SourceId = u32;

/// A funnel stage an application event marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The request reached the view function ("function hit").
    Hit,
    /// The view started its database query ("query started").
    Started,
    /// The query returned ("query completed").
    Completed,
}

impl Stage {
    /// Every stage, in funnel order.
    pub const ALL: [Stage; 3] = [Stage::Hit, Stage::Started, Stage::Completed];

    /// The name used by `--stage NAME=PATTERN` and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Hit => "hit",
            Stage::Started => "started",
            Stage::Completed => "completed",
        }
    }
}

/// What a function of a text gave for the short texts met before, bounded: an application log
/// repeats a few messages ("function hit") millions of times, and their stage or their catalog
/// matches need working out once. Texts longer than [`Memo::TEXT`] bytes, and texts met once
/// the memo is full, are not kept: the caller works them out every time.
#[derive(Debug)]
pub struct Memo<V> {
    seen: HashMap<Box<str>, V, FastHash>,
    entries: usize,
}

impl<V> Memo<V> {
    /// Longest text kept.
    pub const TEXT: usize = 96;

    /// A memo of at most `entries` texts.
    pub fn new(entries: usize) -> Memo<V> {
        Memo { seen: HashMap::default(), entries }
    }

    /// What was kept for `text`.
    pub fn get(&self, text: &str) -> Option<&V> {
        if text.len() > Self::TEXT { None } else { self.seen.get(text) }
    }

    /// Keeps `value()` for `text`, when it is short and there is room (else `value` is not
    /// called).
    pub fn keep(&mut self, text: &str, value: impl FnOnce() -> V) {
        if text.len() <= Self::TEXT && self.seen.len() < self.entries {
            self.seen.insert(text.into(), value());
        }
    }

    /// How many texts are kept.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Items held in blocks of a fixed size ([`Blocks::BLOCK_BYTES`]), filled in order and never
/// grown: what an input keeps while it is read, before the run's items are gathered into one
/// vector ([`Blocks::drain_into`]).
///
/// A vector grown by reallocation holds its items twice while it is copied; many small
/// vectors, once moved and freed, stay resident in the allocator's caches for a while. Blocks
/// this large are returned to the system as soon as they are freed (jemalloc serves
/// allocations over 8 MiB from an arena that keeps no freed pages), so gathering the items
/// holds them about once. A block's pages are only touched as it fills.
#[derive(Debug, Clone)]
pub struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
    per_block: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Blocks<T> {
        Blocks::with_per_block(Self::BLOCK_BYTES / std::mem::size_of::<T>().max(1))
    }
}

impl<T> Blocks<T> {
    /// Bytes per block.
    pub const BLOCK_BYTES: usize = 16 << 20;

    /// Blocks of `per_block` items (at least one).
    pub fn with_per_block(per_block: usize) -> Blocks<T> {
        Blocks { blocks: Vec::new(), len: 0, per_block: per_block.max(1) }
    }

    /// Appends `items`, in order.
    pub fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        let mut items = items.into_iter();
        loop {
            let b = match self.blocks.last_mut() {
                Some(b) if b.len() < b.capacity() => b,
                _ => {
                    self.blocks.push(Vec::with_capacity(self.per_block));
                    let Some(b) = self.blocks.last_mut() else { return };
                    b
                }
            };
            let (before, room) = (b.len(), b.capacity() - b.len());
            b.extend(items.by_ref().take(room));
            self.len += b.len() - before;
            if b.len() < b.capacity() {
                if b.is_empty() {
                    self.blocks.pop();
                }
                return;
            }
        }
    }

    /// Appends one item.
    pub fn push(&mut self, item: T) {
        self.extend(std::iter::once(item));
    }

    /// The item at `i` (in the order they were added).
    pub fn get(&self, i: usize) -> Option<&T> {
        self.blocks.get(i / self.per_block)?.get(i % self.per_block)
    }

    /// The item at `i`, to change it.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.blocks.get_mut(i / self.per_block)?.get_mut(i % self.per_block)
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The items in order, each block freed once read.
    pub fn drain(&mut self) -> impl Iterator<Item = T> + use<T> {
        self.len = 0;
        std::mem::take(&mut self.blocks).into_iter().flatten()
    }

    /// The blocks, in order: the items a block at a time.
    pub fn into_blocks(self) -> Vec<Vec<T>> {
        self.blocks
    }

    /// Moves the items to the end of `out`, in order.
    pub fn drain_into(&mut self, out: &mut Vec<T>) {
        out.reserve(self.len);
        out.extend(self.drain());
    }
}

/// A string many events share (a route, a request id, an error text): one allocation, cloned
/// by reference count.
pub type Shared = Arc<str>;

/// A request id as the analysis keeps it: one per request of a run, so held compactly. The
/// common forms, 32 lowercase hex digits (`uuid4().hex`, a trace id) and a lowercase UUID with
/// its dashes, are kept as their 16 bytes inline; any other text is [`Shared`]. The form is a
/// function of the text, so two ids are equal exactly when their texts are.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReqId {
    /// 32 lowercase hex digits.
    Hex([u8; 16]),
    /// A lowercase UUID: 8-4-4-4-12 hex digits.
    Uuid([u8; 16]),
    /// Any other text.
    Text(Shared),
}

impl ReqId {
    /// The id of the text `s`, sharing `shared` when it must be kept as text.
    pub fn of_shared(s: &Shared) -> ReqId {
        ReqId::packed(s).unwrap_or_else(|| ReqId::Text(s.clone()))
    }

    /// The 16 bytes of `s` when it has one of the packed forms.
    fn packed(s: &str) -> Option<ReqId> {
        let b = s.as_bytes();
        match b.len() {
            32 => Some(ReqId::Hex(Self::unhex(b)?)),
            36 if [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') => {
                let mut hex = [0u8; 32];
                let parts = [&b[..8], &b[9..13], &b[14..18], &b[19..23], &b[24..]];
                let mut at = 0;
                for part in parts {
                    hex[at..at + part.len()].copy_from_slice(part);
                    at += part.len();
                }
                Some(ReqId::Uuid(Self::unhex(&hex)?))
            }
            _ => None,
        }
    }

    /// The 16 bytes that 32 lowercase hex digits spell.
    fn unhex(hex: &[u8]) -> Option<[u8; 16]> {
        // 0..=15 for a lowercase hex digit, 16 (no digit) for any other byte.
        const DIGIT: [u8; 256] = {
            let mut t = [16u8; 256];
            let mut c = 0;
            while c < 10 {
                t[b'0' as usize + c] = c as u8;
                c += 1;
            }
            let mut c = 0;
            while c < 6 {
                t[b'a' as usize + c] = 10 + c as u8;
                c += 1;
            }
            t
        };
        let mut out = [0u8; 16];
        let mut bad = 0u8;
        for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            let (hi, lo) = (DIGIT[pair[0] as usize], DIGIT[pair[1] as usize]);
            bad |= hi | lo;
            *o = (hi << 4) | (lo & 15);
        }
        (bad < 16 && hex.len() == 32).then_some(out)
    }
}

impl From<&str> for ReqId {
    fn from(s: &str) -> ReqId {
        ReqId::packed(s).unwrap_or_else(|| ReqId::Text(Arc::from(s)))
    }
}

impl std::fmt::Display for ReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex = |f: &mut std::fmt::Formatter<'_>, b: &[u8]| {
            b.iter().try_for_each(|x| write!(f, "{x:02x}"))
        };
        match self {
            ReqId::Hex(b) => hex(f, b),
            ReqId::Uuid(b) => {
                hex(f, &b[..4])?;
                for part in [&b[4..6], &b[6..8], &b[8..10], &b[10..]] {
                    f.write_str("-")?;
                    hex(f, part)?;
                }
                Ok(())
            }
            ReqId::Text(s) => f.write_str(s),
        }
    }
}

impl std::fmt::Debug for ReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// Shares equal strings among the events of one batch of lines, so that the three stage
/// events of a request hold one copy of its id and a route is kept once per batch rather
/// than once per event. Bounded: it forgets everything past [`Strings::MAX`] entries (a new
/// copy is then made, which is only memory, never a different result).
#[derive(Debug, Default)]
pub struct Strings {
    set: hashbrown::HashTable<Shared>,
    hasher: FastHash,
}

impl Strings {
    /// Most strings remembered before the set is cleared.
    pub const MAX: usize = 1 << 16;

    /// Strings of a batch of lines made room for at once (a batch of a JSON log names about
    /// 800 request ids): grown from nothing, each batch's set was rebuilt nine times.
    const BATCH: usize = 1024;

    /// A set with room for a batch's strings.
    pub fn for_batch() -> Strings {
        Strings {
            set: hashbrown::HashTable::with_capacity(Self::BATCH),
            hasher: FastHash::default(),
        }
    }

    /// The shared copy of `s`, found or kept with one hash of it.
    pub fn get(&mut self, s: &str) -> Shared {
        use std::hash::BuildHasher;
        if self.set.len() >= Self::MAX {
            self.set.clear();
        }
        let hasher = &self.hasher;
        let h = hasher.hash_one(s);
        let entry = self.set.entry(h, |x| **x == *s, |x| hasher.hash_one(&**x));
        entry.or_insert_with(|| Arc::from(s)).get().clone()
    }
}

/// An optional `f64` in 8 bytes: `None` is one NaN payload that no parsed number has (a NaN
/// read as such is kept as the standard NaN).
#[derive(Clone, Copy)]
struct OptF64(u64);

impl OptF64 {
    const NONE: u64 = 0x7ff8_0000_dead_beef;

    fn new(x: Option<f64>) -> OptF64 {
        match x {
            None => OptF64(Self::NONE),
            Some(v) if v.to_bits() == Self::NONE => OptF64(f64::NAN.to_bits()),
            Some(v) => OptF64(v.to_bits()),
        }
    }

    fn get(self) -> Option<f64> {
        (self.0 != Self::NONE).then(|| f64::from_bits(self.0))
    }
}

impl PartialEq for OptF64 {
    fn eq(&self, other: &OptF64) -> bool {
        self.get() == other.get()
    }
}

impl std::fmt::Debug for OptF64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Which of the optional small fields of a [`Req`] or an [`AppLog`] are present.
const HAS_STATUS: u8 = 1;
const HAS_BURST: u8 = 2;
const HAS_PID: u8 = 4;

/// One request as the load tool saw it, in the compact form the analysis keeps: 48 bytes (a
/// run holds millions), its optional numbers read through methods.
#[derive(Debug, Clone, PartialEq)]
pub struct Req {
    /// Its route: the route/label cell, else its URL's path, else
    /// [`crate::funnel::NO_ROUTE`].
    pub route: Shared,
    /// What most rows lack: an error text, a request id, the whole row.
    more: Option<Box<ReqMore>>,
    elapsed_ms: OptF64,
    offset_ms: OptF64,
    burst: u32,
    status: u16,
    has: u8,
}

/// The rarer parts of a [`Req`], boxed so that a plain row stays small.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReqMore {
    /// Client-side error text.
    pub error: Option<Shared>,
    /// The request id the client sent, when the tool writes it.
    pub request_id: Option<Shared>,
    /// The row as parsed (method, URL, ...): whole for `timeline`; for an analysis only a
    /// failed request's URL and method ([`Req::new`]).
    pub full: Option<Box<Request>>,
}

impl Req {
    /// The compact form of `r`: the whole row kept in [`ReqMore::full`] when `keep_full`,
    /// else only a failed request's URL and method, which say in the evidence which one
    /// failed.
    pub fn new(r: Request, strings: &mut Strings, keep_full: bool) -> Req {
        let route = match r.route.as_deref() {
            Some(route) => strings.get(route),
            None => strings.get(&crate::loadtest::route_of_url(r.url.as_deref())),
        };
        let error = r.error.as_deref().map(|e| strings.get(e));
        let request_id = r.request_id.as_deref().map(Arc::from);
        let (status, elapsed_ms, burst, offset_ms) = (r.status, r.elapsed_ms, r.burst, r.offset_ms);
        let failed = r.status.is_none_or(|s| s >= 500);
        let full = if keep_full {
            Some(Box::new(r))
        } else if failed && (r.url.is_some() || r.method.is_some()) {
            Some(Box::new(Request { url: r.url, method: r.method, ..Request::default() }))
        } else {
            None
        };
        let more = (error.is_some() || request_id.is_some() || full.is_some())
            .then(|| Box::new(ReqMore { error, request_id, full }));
        let has =
            (u8::from(status.is_some()) * HAS_STATUS) | (u8::from(burst.is_some()) * HAS_BURST);
        Req {
            route,
            more,
            elapsed_ms: OptF64::new(elapsed_ms),
            offset_ms: OptF64::new(offset_ms),
            burst: burst.unwrap_or(0),
            status: status.unwrap_or(0),
            has,
        }
    }

    /// HTTP status; `None` means no response.
    pub fn status(&self) -> Option<u16> {
        (self.has & HAS_STATUS != 0).then_some(self.status)
    }

    /// Elapsed milliseconds.
    pub fn elapsed_ms(&self) -> Option<f64> {
        self.elapsed_ms.get()
    }

    /// Burst size.
    pub fn burst(&self) -> Option<u32> {
        (self.has & HAS_BURST != 0).then_some(self.burst)
    }

    /// Offset between requests in milliseconds.
    pub fn offset_ms(&self) -> Option<f64> {
        self.offset_ms.get()
    }

    /// The whole row, when kept.
    pub fn full(&self) -> Option<&Request> {
        self.more.as_ref()?.full.as_deref()
    }

    /// The HTTP method, when the row was kept and the tool wrote it.
    pub fn method(&self) -> Option<&str> {
        self.full()?.method.as_deref()
    }

    /// The URL, when the row was kept and the tool wrote it.
    pub fn url(&self) -> Option<&str> {
        self.full()?.url.as_deref()
    }

    /// The client-side error text.
    pub fn error(&self) -> Option<&str> {
        self.more.as_ref()?.error.as_deref()
    }

    /// The request id the client sent.
    pub fn request_id(&self) -> Option<&str> {
        self.more.as_ref()?.request_id.as_deref()
    }

    /// Sets the request id (tests).
    pub fn set_request_id(&mut self, id: &str) {
        self.more.get_or_insert_with(Box::default).request_id = Some(Arc::from(id));
    }
}

/// An application log event, in the compact form the analysis keeps: what the stages after
/// detection read. The message and the traceback are kept only when every detail is wanted
/// (`timeline`); an analysis matches them during ingest ([`crate::ingest::post`]).
///
/// 48 bytes, so that an event is no larger than a request's: its small optional numbers read
/// through methods, its text and duration boxed (most events kept have neither).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppLog {
    /// Route / path / endpoint.
    pub route: Option<Shared>,
    /// Request id.
    pub request_id: Option<Shared>,
    /// The message and traceback when kept, and the duration the event reports.
    more: Option<Box<AppMore>>,
    pid: u32,
    status: u16,
    level: Option<Level>,
    has: u8,
}

/// The rarer parts of an [`AppLog`], in one box: an event parsed for an analysis has its text
/// until detection has read it, and a box for the text apart cost one more allocation per
/// line; the events kept after that have neither text nor duration, mostly.
#[derive(Debug, Clone, PartialEq, Default)]
struct AppMore {
    text: Option<AppText>,
    duration_ms: Option<f64>,
}

/// The text of an [`AppLog`], boxed with its duration so that an event kept without either
/// stays small.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppText {
    /// The message.
    pub message: String,
    /// The traceback it carries.
    pub exception: Option<Traceback>,
}

impl AppLog {
    /// The compact form of `e`, with its message and traceback when `keep_full`.
    pub fn new(e: AppEvent, strings: &mut Strings, keep_full: bool) -> AppLog {
        AppLog::from_fields(e.into(), strings, keep_full)
    }

    /// [`AppLog::new`] of an event's fields as the parser read them (its route and request id
    /// shared from the line without a copy of their own).
    pub fn from_fields(e: AppFields<'_>, strings: &mut Strings, keep_full: bool) -> AppLog {
        let text =
            keep_full.then(|| AppText { message: e.message.into_owned(), exception: e.exception });
        let duration_ms = e.duration_ms;
        let has =
            (u8::from(e.status.is_some()) * HAS_STATUS) | (u8::from(e.pid.is_some()) * HAS_PID);
        AppLog {
            route: e.route.as_deref().map(|r| strings.get(r)),
            request_id: e.request_id.as_deref().map(|r| strings.get(r)),
            more: (text.is_some() || duration_ms.is_some())
                .then(|| Box::new(AppMore { text, duration_ms })),
            pid: e.pid.unwrap_or(0),
            status: e.status.unwrap_or(0),
            level: e.level,
            has,
        }
    }

    /// Level.
    pub fn level(&self) -> Option<Level> {
        self.level
    }

    /// HTTP status the app returned.
    pub fn status(&self) -> Option<u16> {
        (self.has & HAS_STATUS != 0).then_some(self.status)
    }

    /// Process id.
    pub fn pid(&self) -> Option<u32> {
        (self.has & HAS_PID != 0).then_some(self.pid)
    }

    /// A duration in milliseconds the event reports.
    pub fn duration_ms(&self) -> Option<f64> {
        self.more.as_ref()?.duration_ms
    }

    /// The message and traceback; `None` when not kept.
    pub fn text(&self) -> Option<&AppText> {
        self.more.as_ref()?.text.as_ref()
    }

    /// Drops the message and traceback.
    pub fn drop_text(&mut self) {
        if let Some(m) = &mut self.more {
            m.text = None;
            if m.duration_ms.is_none() {
                self.more = None;
            }
        }
    }

    /// The message ("" when not kept).
    pub fn message(&self) -> &str {
        self.text().map_or("", |t| t.message.as_str())
    }

    /// The traceback, when kept.
    pub fn exception(&self) -> Option<&Traceback> {
        self.text()?.exception.as_ref()
    }
}

/// What an event is.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// One request as the load tool saw it.
    Request(Req),
    /// An application log event, with the funnel stage it marks, if any.
    App {
        /// The event.
        event: AppLog,
        /// The funnel stage recognised from its message.
        stage: Option<Stage>,
    },
    /// A line or traceback of a server console.
    Console(Box<ConsoleRecord>),
    /// A Postgres log entry.
    Db(Box<PgRecord>),
    /// An aggregated load-test result (Locust `--csv`, wrk): totals, a time-series point, a
    /// failure or exception group.
    Aggregate(Aggregate),
}

impl EventKind {
    /// A request kept whole.
    pub fn request(r: Request) -> EventKind {
        EventKind::Request(Req::new(r, &mut Strings::default(), true))
    }

    /// An application event kept whole.
    pub fn app(event: AppEvent, stage: Option<Stage>) -> EventKind {
        EventKind::App { event: AppLog::new(event, &mut Strings::default(), true), stage }
    }

    /// A console record.
    pub fn console(r: ConsoleRecord) -> EventKind {
        EventKind::Console(Box::new(r))
    }
}

/// One thing that happened, with where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UTC microseconds: the line's own timestamp, or one inferred from a neighbouring line of
    /// the same input ([`crate::ingest::times`]). `None` only in an input without any
    /// timestamp, and for aggregate results that are not points in time (totals, exception
    /// groups).
    pub ts: Option<Micros>,
    /// The input it came from.
    pub source: SourceId,
    /// Its first line in that input.
    pub line: LineNo,
    /// What it is.
    pub kind: EventKind,
}

/// A place in an input that supports a claim: `path:line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EvidenceRef {
    /// The input.
    pub source: SourceId,
    /// The line.
    pub line: LineNo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_compact_and_read_back_what_was_parsed() {
        use std::mem::size_of;
        assert_eq!((size_of::<Req>(), size_of::<AppLog>()), (48, 48));
        assert_eq!(size_of::<Event>(), 88);
        let mut strings = Strings::default();
        let row = |status, elapsed_ms, burst, offset_ms| Request {
            status,
            elapsed_ms,
            burst,
            offset_ms,
            route: Some("/r".into()),
            ..Request::default()
        };
        for (status, elapsed, burst, offset) in [
            (Some(200), Some(12.5), Some(50), Some(5.0)),
            (None, None, None, None),
            (Some(0), Some(-0.0), Some(0), Some(0.0)),
            (Some(u16::MAX), Some(f64::INFINITY), Some(u32::MAX), Some(f64::MIN)),
        ] {
            let r = Req::new(row(status, elapsed, burst, offset), &mut strings, false);
            assert_eq!(
                (r.status(), r.elapsed_ms(), r.burst(), r.offset_ms()),
                (status, elapsed, burst, offset)
            );
        }
        // A NaN read stays a NaN, even one with the payload that marks "none".
        let nan = f64::from_bits(OptF64::NONE);
        let r = Req::new(row(None, Some(nan), None, Some(f64::NAN)), &mut strings, false);
        assert!(r.elapsed_ms().is_some_and(f64::is_nan) && r.offset_ms().is_some_and(f64::is_nan));
        let e = AppEvent {
            message: "m".into(),
            status: Some(503),
            pid: Some(0),
            level: Some(Level::Error),
            duration_ms: Some(3.5),
            ..AppEvent::default()
        };
        let mut a = AppLog::new(e.clone(), &mut strings, true);
        assert_eq!(
            (a.status(), a.pid(), a.level(), a.duration_ms()),
            (Some(503), Some(0), Some(Level::Error), Some(3.5))
        );
        assert_eq!(a.message(), "m");
        a.drop_text();
        assert_eq!(
            (a.message(), a.duration_ms()),
            ("", Some(3.5)),
            "the duration outlives the text"
        );
        let a = AppLog::new(AppEvent { duration_ms: None, ..e }, &mut strings, false);
        assert_eq!((a.message(), a.duration_ms(), a.more.is_none()), ("", None, true));
        let a = AppLog::new(AppEvent::default(), &mut strings, false);
        assert_eq!((a.status(), a.pid(), a.level()), (None, None, None));
    }

    #[test]
    fn request_ids_pack_the_common_forms_and_print_as_read() {
        let texts = [
            "63ca828dd5f4b3b2e4b06ce60741c7a8",
            "05805975-ed2f-49d9-4a2f-20aaf3c64af7",
            "00000000000000000000000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            // Not packed: upper case, one digit short or long, a dash misplaced, not hex.
            "63CA828DD5F4B3B2E4B06CE60741C7A8",
            "63ca828dd5f4b3b2e4b06ce60741c7a",
            "63ca828dd5f4b3b2e4b06ce60741c7a80",
            "05805975e-d2f-49d9-4a2f-20aaf3c64af7",
            "05805975-ed2f-49d9-4a2f-20aaf3c64afg",
            "req-17",
            "",
            "é5805975-ed2f-49d9-4a2f-20aaf3c64af",
        ];
        for (k, t) in texts.iter().enumerate() {
            let id = ReqId::from(*t);
            assert_eq!(id.to_string(), *t, "printed as read");
            assert_eq!(
                matches!(id, ReqId::Text(_)),
                k >= 4,
                "{t}: packed only in the common forms"
            );
            assert_eq!(ReqId::of_shared(&Shared::from(*t)), id);
            for (j, u) in texts.iter().enumerate() {
                assert_eq!(ReqId::from(*u) == id, j == k, "{t} vs {u}");
            }
        }
        assert_eq!(std::mem::size_of::<ReqId>(), 24);
    }

    #[test]
    fn blocks_keep_the_order_and_never_grow_a_block() {
        let mut b: Blocks<u32> = Blocks::with_per_block(3);
        assert!(b.is_empty());
        b.extend(0..2);
        b.extend(Vec::<u32>::new());
        b.extend(2..9);
        b.extend([9]);
        assert_eq!(b.len(), 10);
        // Blocks of exactly 3, the last partly filled; no empty block.
        let sizes: Vec<(usize, usize)> = b.blocks.iter().map(|x| (x.len(), x.capacity())).collect();
        assert_eq!(sizes, [(3, 3), (3, 3), (3, 3), (1, 3)]);
        // Indexed across blocks, in the order added.
        assert_eq!((b.get(0), b.get(4), b.get(9), b.get(10)), (Some(&0), Some(&4), Some(&9), None));
        if let Some(x) = b.get_mut(7) {
            *x = 70;
        }
        b.push(10);
        assert_eq!((b.get(7), b.get(10), b.len()), (Some(&70), Some(&10), 11));
        let mut out = vec![100];
        b.drain_into(&mut out);
        assert_eq!(out, [100, 0, 1, 2, 3, 4, 5, 6, 70, 8, 9, 10]);
        assert!(b.is_empty() && b.blocks.is_empty());
        // A block filled exactly leaves no empty block behind.
        b.extend(0..3);
        assert_eq!(b.blocks.len(), 1);
        assert_eq!(b.drain().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(Blocks::<u64>::default().per_block, Blocks::<u64>::BLOCK_BYTES / 8);
    }
}

#[cfg(test)]
mod proptests {
    use super::ReqId;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the text, the id prints back as read, and two ids are equal exactly when
        /// their texts are: near-misses of the packed forms included.
        #[test]
        fn request_ids_print_as_read(a in "[0-9a-fA-F-]{30,38}|[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|.{0,40}", b in "[0-9a-f]{32}|.{0,40}") {
            let (x, y) = (ReqId::from(a.as_str()), ReqId::from(b.as_str()));
            prop_assert_eq!(x.to_string(), a.clone());
            prop_assert_eq!(x == y, a == b);
        }
    }
}
