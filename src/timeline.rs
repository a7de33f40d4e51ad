//! `rootcause timeline`: every event of a run on the reference clock, in time order.
//!
//! [`select`] picks what to show from a [`Prepared`] run: every event, or those within
//! `--window` of an [`Anchor`] (`--around`: a time, a time of day on the run's first day, or
//! the first failure found by [`first_failure`]), cut to `--limit`. [`render`] writes the
//! selection as text lines or JSON Lines; [`summary`] is the one-line text of an event. The
//! events are already skew-corrected and ordered by `run::prepare` (by time, then input, then
//! line; events without a time last); this module only reads them and never opens a file.
//! Every piece of log text goes through [`sanitize`] first: a log line is data, never a
//! terminal escape.
//!
//! Text output, in this order:
//! - `Times are UTC, on 2026-11-25.` when every event shown falls on one UTC date; the events
//!   then carry the time of day (`15:42:15.239`), else full RFC 3339 times with milliseconds;
//! - one line per input whose clock was corrected (`hammer.csv: clock corrected by -3740.7 ms
//!   (estimated ±1.6 ms, confidence 1.00); its times are marked *`), and a `*` column on the
//!   events of those inputs;
//! - with `--around`, what the window is centred on (`around 2026-11-25T15:42:15.239Z (first
//!   failure: request without a response at hammer.csv:60), ±2 s`);
//! - the events: time, `*` if corrected, `source:line` (the input's path relative to the
//!   folder all inputs share), the summary (at most [`MAX_SUMMARY_CHARS`] characters);
//! - how many events `--limit` left out, before and after the ones shown.
//!
//! ```
//! use rootcause::model::{Event, EventKind};
//! use rootcause_parsers::loadtest::Request;
//! let ev = Event {
//!     ts: Some(0),
//!     source: 0,
//!     line: 2,
//!     kind: EventKind::request(Request {
//!         route: Some("/businesses?id=".into()),
//!         method: Some("GET".into()),
//!         status: Some(500),
//!         elapsed_ms: Some(2034.07),
//!         ..Request::default()
//!     }),
//! };
//! assert_eq!(rootcause::timeline::summary(&ev), "GET /businesses?id= → 500 in 2034.1 ms");
//! ```

use std::io::{self, Write};

use rootcause_parsers::aggregate::Aggregate;
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::time::{SECOND, format_rfc3339, format_rfc3339_micros};
use rootcause_parsers::traceback::{ExcLine, Traceback};
use rootcause_parsers::{LineNo, Micros};
use serde_json::{Map, Value, json};

use crate::cli::TimelineFormat;
use crate::config::{Around, TimelineConfig};
use crate::correlate::Timeline;
use crate::detect::{self, Catalog};
use crate::model::{Event, EventKind, SourceId};
use crate::report::sanitize;
use crate::run::Prepared;
use crate::skew::{Method, Skew};

/// Longest summary printed for one event, in characters; longer ones end with `…`.
pub const MAX_SUMMARY_CHARS: usize = 200;

/// A day, in µs.
const DAY: Micros = 86_400 * SECOND;

/// What the first failure of a run was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// A request with a 5xx status (`Some`) or without a response (`None`).
    Request {
        /// Its status.
        status: Option<u16>,
    },
    /// The first event a failure signature of the catalog matched.
    Signature {
        /// The signature's id.
        id: String,
    },
}

/// The first failure of a run: when, where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// When, on the reference clock (for a request, its corrected send time).
    pub ts: Micros,
    /// The input.
    pub source: SourceId,
    /// The line: the request's row, or the line of the text the signature matched.
    pub line: LineNo,
    /// What failed.
    pub kind: FailureKind,
}

/// What `--around` resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A time (`--around TIME`, a time of day placed on the run's first day).
    Time(Micros),
    /// `--around first-failure`, and the failure found.
    FirstFailure(Failure),
    /// `--around first-failure` in a run where nothing failed.
    NoFailure,
    /// `--around` with a time of day, in a run where no event has a time.
    NoTime,
}

/// The events to print and how they were chosen.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// What `--around` resolved to; `None` without it.
    pub anchor: Option<Anchor>,
    /// The events to print, in time order.
    pub events: &'a [Event],
    /// Events of the window before `events` that `--limit` left out.
    pub earlier: usize,
    /// Events of the window after `events` that `--limit` left out.
    pub later: usize,
}

/// The first failure: the earlier of the first request with a 5xx status or without a response
/// (by corrected send time) and the first event a failure signature of `catalog` matches; on a
/// tie, the request. Events without a time are not considered. Runs [`detect::detect`], in
/// parallel on the current rayon pool.
pub fn first_failure(tl: &Timeline, catalog: &Catalog) -> Option<Failure> {
    // The events are in time order, so the first failed request found is the earliest.
    let request = tl.events.iter().find_map(|e| match (&e.kind, e.ts) {
        (EventKind::Request(r), Some(ts)) if r.status().is_none_or(|s| (500..600).contains(&s)) => {
            Some(Failure {
                ts,
                source: e.source,
                line: e.line,
                kind: FailureKind::Request { status: r.status() },
            })
        }
        _ => None,
    });
    let signature = detect::detect(tl, catalog, 1)
        .into_iter()
        .filter(|f| catalog.signatures.get(f.signature).is_some_and(|s| s.failure))
        .filter_map(|f| {
            let ev = f.evidence.first()?;
            let id = catalog.signatures.get(f.signature)?.id.clone();
            Some(Failure {
                ts: ev.ts?,
                source: ev.source,
                line: ev.line,
                kind: FailureKind::Signature { id },
            })
        })
        .min_by(|a, b| (a.ts, a.source, a.line).cmp(&(b.ts, b.source, b.line)));
    match (request, signature) {
        (Some(r), Some(s)) => Some(if s.ts < r.ts { s } else { r }),
        (r, s) => r.or(s),
    }
}

/// Chooses the events to print: those within `--window` of `--around` (events without a time
/// only when there is no `--around`), cut to `--limit`: with `--around`, the events nearest
/// the anchor; without, the first ones. `catalog` finds the first failure signature for
/// `--around first-failure`.
pub fn select<'a>(
    p: &'a Prepared,
    c: &TimelineConfig,
    catalog: &Catalog,
) -> Result<Selection<'a>, String> {
    let events = p.timeline.events.as_slice();
    let anchor = match c.around {
        None => None,
        Some(Around::At(t)) => Some(Anchor::Time(t)),
        Some(Around::TimeOfDay(tod)) => Some(match p.timeline.span {
            Some((first, _)) => Anchor::Time(first.div_euclid(DAY) * DAY + tod),
            None => Anchor::NoTime,
        }),
        Some(Around::FirstFailure) => Some(
            first_failure(&p.timeline, catalog).map_or(Anchor::NoFailure, Anchor::FirstFailure),
        ),
    };
    let at = match &anchor {
        None => None,
        Some(Anchor::Time(t)) => Some(*t),
        Some(Anchor::FirstFailure(f)) => Some(f.ts),
        Some(Anchor::NoFailure | Anchor::NoTime) => {
            return Ok(Selection { anchor, events: &[], earlier: 0, later: 0 });
        }
    };
    let Some(at) = at else {
        let n = if c.limit == 0 { events.len() } else { c.limit.min(events.len()) };
        let shown = events.get(..n).unwrap_or_default();
        return Ok(Selection { anchor, events: shown, earlier: 0, later: events.len() - n });
    };
    let (lo, hi) = (at.saturating_sub(c.window), at.saturating_add(c.window));
    // Timed events come first, in time order, so both predicates hold on a prefix.
    let start = events.partition_point(|e| e.ts.is_some_and(|t| t < lo));
    let end = events.partition_point(|e| e.ts.is_some_and(|t| t <= hi));
    let window = events.get(start..end).unwrap_or_default();
    let (a, b) = if c.limit == 0 { (0, window.len()) } else { nearest(window, at, c.limit) };
    Ok(Selection {
        anchor,
        events: window.get(a..b).unwrap_or_default(),
        earlier: a,
        later: window.len().saturating_sub(b),
    })
}

/// The range of at most `n` consecutive events of `events` (timed, in time order) nearest to
/// `at`: grown from the first event at or after `at`, one event at a time on the nearer side
/// (the earlier on a tie).
fn nearest(events: &[Event], at: Micros, n: usize) -> (usize, usize) {
    let pivot = events.partition_point(|e| e.ts.is_some_and(|t| t < at));
    let (mut a, mut b) = (pivot, pivot);
    let dist = |i: usize| events.get(i).and_then(|e| e.ts).map(|t| t.abs_diff(at));
    while b - a < n {
        let left = a.checked_sub(1).and_then(dist);
        let right = dist(b);
        match (left, right) {
            (Some(l), Some(r)) if l <= r => a -= 1,
            (Some(_), None) => a -= 1,
            (_, Some(_)) => b += 1,
            (None, None) => break,
        }
    }
    (a, b)
}

/// Writes the selection `s` of `p` as `c.format` asks (see the module docs).
pub fn render(
    p: &Prepared,
    c: &TimelineConfig,
    s: &Selection<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let labels = labels(p);
    let skews = applied_skews(p);
    match c.format {
        TimelineFormat::Text => render_text(p, c, s, &labels, &skews, out),
        TimelineFormat::Json => render_json(p, s, &skews, out),
    }
}

/// Each input's applied skew, by source id (zero when none was applied).
fn applied_skews(p: &Prepared) -> Vec<Option<&Skew>> {
    let mut v = vec![None; p.ingested.sources.len()];
    for s in p.skews.iter().filter(|s| s.applied) {
        if let Some(slot) = v.get_mut(s.source as usize) {
            *slot = Some(s);
        }
    }
    v
}

/// Each input's path relative to the folder all inputs share, sanitised, by source id.
fn labels(p: &Prepared) -> Vec<String> {
    let paths: Vec<String> = p.ingested.sources.iter().map(|s| s.input.display()).collect();
    let dir = common_dir(&paths);
    paths.iter().map(|path| sanitize(path.strip_prefix(dir).unwrap_or(path))).collect()
}

/// The folder all `paths` share, with its trailing `/`; empty when they share none.
fn common_dir(paths: &[String]) -> &str {
    let Some((first, rest)) = paths.split_first() else { return "" };
    let mut prefix = match first.rfind('/') {
        Some(i) => first.get(..=i).unwrap_or_default(),
        None => return "",
    };
    for p in rest {
        while !p.starts_with(prefix) {
            let shorter = prefix.strip_suffix('/').unwrap_or(prefix);
            match shorter.rfind('/') {
                Some(i) => prefix = shorter.get(..=i).unwrap_or_default(),
                None => return "",
            }
        }
    }
    prefix
}

/// Milliseconds with two decimals.
fn ms(us: Micros) -> f64 {
    (us as f64 / 10.0).round() / 100.0
}

/// A window half-width: `10 s`, `1.5 s`, `500 ms`.
fn duration(us: Micros) -> String {
    if us >= SECOND { format!("{} s", us as f64 / 1e6) } else { format!("{} ms", us as f64 / 1e3) }
}

/// The first line of `s` that is not blank.
fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or_default().trim()
}

/// `Type: message` (first line), or what there is of it.
fn exc_line(e: &ExcLine) -> String {
    match (e.exc_type.as_str(), first_line(&e.message)) {
        ("", m) => m.to_string(),
        (t, "") => t.to_string(),
        (t, m) => format!("{t}: {m}"),
    }
}

/// A traceback as one line: its first exception (usually the root cause) and, when the chain
/// goes on, the type of the last one.
fn traceback_line(t: &Traceback) -> String {
    let Some(root) = t.root() else { return String::new() };
    let mut s = exc_line(root);
    if let Some(last) = t.last().filter(|_| t.sections.len() > 1) {
        if last.exc_type != root.exc_type && !last.exc_type.is_empty() {
            s.push_str(" → ");
            s.push_str(last.short_type());
        }
    }
    s
}

/// `value` with decimals only where it has them.
fn num(v: f64) -> String {
    format!("{}", (v * 100.0).round() / 100.0)
}

/// One line describing an event, sanitised and cut to [`MAX_SUMMARY_CHARS`] characters.
///
/// - a request: method (if known), route, `→` status or `no response`, elapsed time, error;
/// - an application event: level, message, then route, request id (8 characters), stage and
///   status in parentheses, then its exception;
/// - a console line: level and text; an access line: method, path and status; a traceback:
///   its exception and what introduced it;
/// - a Postgres entry: severity and message;
/// - an aggregate result: what it counts.
pub fn summary(ev: &Event) -> String {
    let raw = match &ev.kind {
        EventKind::Request(r) => {
            let mut s = String::new();
            if let Some(m) = r.method().map(first_line).filter(|m| !m.is_empty()) {
                s.push_str(m);
                s.push(' ');
            }
            s.push_str(first_line(&r.route));
            match (r.status(), r.elapsed_ms()) {
                (Some(st), Some(e)) => s.push_str(&format!(" → {st} in {e:.1} ms")),
                (Some(st), None) => s.push_str(&format!(" → {st}")),
                (None, Some(e)) => s.push_str(&format!(" → no response after {e:.1} ms")),
                (None, None) => s.push_str(" → no response"),
            }
            if let Some(e) = r.error().map(first_line).filter(|e| !e.is_empty()) {
                s.push_str(": ");
                s.push_str(e);
            }
            s
        }
        EventKind::App { event, stage } => {
            let mut s = String::new();
            if let Some(l) = event.level() {
                s.push_str(l.as_str());
                s.push_str(": ");
            }
            s.push_str(first_line(event.message()));
            let mut details: Vec<String> = Vec::new();
            if let Some(r) = event.route.as_deref().map(first_line).filter(|r| !r.is_empty()) {
                details.push(r.to_string());
            }
            if let Some(id) = &event.request_id {
                details.push(format!("req {}", first_line(id).chars().take(8).collect::<String>()));
            }
            if let Some(st) = stage {
                details.push(format!("stage {}", st.as_str()));
            }
            if let Some(st) = event.status() {
                details.push(format!("status {st}"));
            }
            if !details.is_empty() {
                s.push_str(&format!(" ({})", details.join(", ")));
            }
            if let Some(t) = event.exception() {
                s.push_str(": ");
                s.push_str(&traceback_line(t));
            }
            s
        }
        EventKind::Console(c) => console_summary(c),
        EventKind::Db(r) => match r.severity {
            Some(sev) => format!("{}: {}", sev.as_str(), first_line(&r.message)),
            None => first_line(&r.message).to_string(),
        },
        EventKind::Aggregate(a) => aggregate(a),
    };
    truncate(&sanitize(&raw))
}

/// [`summary`] of a console record.
fn console_summary(c: &ConsoleRecord) -> String {
    match c {
        ConsoleRecord::Log(l) => {
            let msg = first_line(&l.message);
            // A plain line's level was read from its first word: do not say it twice.
            let said = |w: &str| msg.get(..w.len()).is_some_and(|h| h.eq_ignore_ascii_case(w));
            match l.level {
                Some(level) if !said(level.as_str()) => format!("{}: {msg}", level.as_str()),
                _ => msg.to_string(),
            }
        }
        ConsoleRecord::Access(a) => {
            let status = a.status.map_or_else(|| "-".to_string(), |s| s.to_string());
            format!("{} {} → {status}", first_line(&a.method), first_line(&a.path))
        }
        ConsoleRecord::Traceback(t) => {
            let mut s = format!("traceback: {}", traceback_line(&t.traceback));
            if let Some(intro) = t.intro.as_deref().map(first_line).filter(|i| !i.is_empty()) {
                s.push_str(&format!(" ({intro})"));
            }
            s
        }
    }
}

/// A short description of an aggregate result.
fn aggregate(a: &Aggregate) -> String {
    let target = |method: &Option<String>, route: &Option<String>| {
        let route = route.as_deref().map_or("all routes", first_line);
        match method.as_deref().map(first_line).filter(|m| !m.is_empty()) {
            Some(m) => format!("{m} {route}"),
            None => route.to_string(),
        }
    };
    match a {
        Aggregate::Totals { tool, totals } => {
            let mut s = format!(
                "{} totals for {}: {} requests",
                tool.as_str(),
                target(&totals.method, &totals.route),
                totals.requests
            );
            if let Some(f) = totals.failures {
                s.push_str(&format!(", {f} failures"));
            }
            s
        }
        Aggregate::Sample(p) => {
            let mut s = format!("{}:", target(&p.method, &p.route));
            if let Some(u) = p.users {
                s.push_str(&format!(" {u} users,"));
            }
            s.push_str(&format!(
                " {} requests/s, {} failures/s",
                p.requests_per_s.map_or_else(|| "-".to_string(), num),
                p.failures_per_s.map_or_else(|| "-".to_string(), num)
            ));
            s
        }
        Aggregate::Failure(f) => format!(
            "{} × failure on {}: {}",
            f.occurrences,
            target(&f.method, &f.route),
            first_line(&f.error)
        ),
        Aggregate::Exception(e) => format!("{} × exception: {}", e.count, first_line(&e.message)),
    }
}

/// Cuts `s` to [`MAX_SUMMARY_CHARS`] characters, marking the cut with `…`.
fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_SUMMARY_CHARS - 1) {
        Some((i, _)) if s.chars().count() > MAX_SUMMARY_CHARS => {
            format!("{}…", s.get(..i).unwrap_or_default())
        }
        _ => s.to_string(),
    }
}

/// How times are printed in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeStyle {
    /// `15:42:15.239`: every event shown is on one UTC date.
    TimeOfDay,
    /// `2026-11-25T15:42:15.239Z`.
    Full,
}

impl TimeStyle {
    fn format(self, t: Micros) -> String {
        let full = format_rfc3339(t);
        match self {
            TimeStyle::Full => full,
            TimeStyle::TimeOfDay => full
                .split_once('T')
                .map_or(full.as_str(), |(_, tod)| tod.trim_end_matches('Z'))
                .to_string(),
        }
    }

    fn width(self) -> usize {
        match self {
            TimeStyle::TimeOfDay => "15:42:15.239".len(),
            TimeStyle::Full => "2026-11-25T15:42:15.239Z".len(),
        }
    }
}

fn render_text(
    p: &Prepared,
    c: &TimelineConfig,
    s: &Selection<'_>,
    labels: &[String],
    skews: &[Option<&Skew>],
    out: &mut dyn Write,
) -> io::Result<()> {
    match &s.anchor {
        Some(Anchor::NoFailure) => {
            return writeln!(
                out,
                "no failure found: no request failed (5xx or no response) and no failure \
                 signature matched"
            );
        }
        Some(Anchor::NoTime) => {
            return writeln!(out, "no event has a time: nothing to show around a time of day");
        }
        _ => {}
    }
    let label = |id: SourceId| labels.get(id as usize).map_or("?", String::as_str);
    let mut days = s.events.iter().filter_map(|e| e.ts).map(|t| t.div_euclid(DAY));
    let style = match days.next() {
        Some(d) if days.all(|x| x == d) => {
            let date = format_rfc3339(d * DAY);
            writeln!(out, "Times are UTC, on {}.", date.split('T').next().unwrap_or(&date))?;
            TimeStyle::TimeOfDay
        }
        Some(_) => TimeStyle::Full,
        None => TimeStyle::TimeOfDay,
    };
    let marks = skews.iter().any(Option::is_some);
    for sk in p.skews.iter().filter(|sk| sk.applied) {
        let how = match (sk.method, sk.error, sk.confidence) {
            (Method::Override, ..) => "given with --skew".to_string(),
            (_, Some(e), Some(conf)) => {
                format!("estimated ±{:.1} ms, confidence {conf:.2}", e as f64 / 1e3)
            }
            (m, ..) => m.as_str().to_string(),
        };
        writeln!(
            out,
            "{}: clock corrected by {:+.1} ms ({how}); its times are marked *",
            label(sk.source),
            -(sk.skew as f64) / 1e3
        )?;
    }
    let window = duration(c.window);
    match &s.anchor {
        Some(Anchor::Time(t)) => writeln!(out, "around {}, ±{window}", format_rfc3339(*t))?,
        Some(Anchor::FirstFailure(f)) => {
            let what = match &f.kind {
                FailureKind::Request { status: Some(st) } => format!("request {st}"),
                FailureKind::Request { status: None } => "request without a response".to_string(),
                FailureKind::Signature { id } => format!("signature {id}"),
            };
            writeln!(
                out,
                "around {} (first failure: {what} at {}:{}), ±{window}",
                format_rfc3339(f.ts),
                label(f.source),
                f.line
            )?;
        }
        _ => {}
    }
    let limit = c.limit;
    if s.earlier > 0 {
        writeln!(out, "… {} earlier events not shown (--limit {limit})", s.earlier)?;
    }
    if s.events.is_empty() {
        writeln!(out, "no events")?;
    }
    let locs: Vec<String> =
        s.events.iter().map(|e| format!("{}:{}", label(e.source), e.line)).collect();
    let loc_width = locs.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let time_width = style.width();
    for (e, loc) in s.events.iter().zip(&locs) {
        let time = e.ts.map_or_else(|| "-".to_string(), |t| style.format(t));
        let mark = match (marks, skews.get(e.source as usize).copied().flatten()) {
            (false, _) => "",
            (true, Some(_)) => " *",
            (true, None) => "  ",
        };
        writeln!(out, "{time:<time_width$}{mark}  {loc:<loc_width$}  {}", summary(e))?;
    }
    if s.later > 0 {
        writeln!(out, "… {} later events not shown (--limit {limit})", s.later)?;
    }
    Ok(())
}

fn render_json(
    p: &Prepared,
    s: &Selection<'_>,
    skews: &[Option<&Skew>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let at = match &s.anchor {
        Some(Anchor::Time(t)) => Some(*t),
        Some(Anchor::FirstFailure(f)) => Some(f.ts),
        _ => None,
    };
    let paths: Vec<String> =
        p.ingested.sources.iter().map(|s| sanitize(&s.input.display())).collect();
    for e in s.events {
        let mut o = Map::new();
        o.insert("ts".into(), json!(e.ts.map(format_rfc3339_micros)));
        o.insert("source".into(), json!(paths.get(e.source as usize).map_or("?", String::as_str)));
        o.insert("line".into(), json!(e.line));
        o.insert("kind".into(), json!(kind(e)));
        o.insert("text".into(), json!(summary(e)));
        let skew = skews.get(e.source as usize).copied().flatten().map_or(0, |s| s.skew);
        o.insert("skew_ms".into(), json!(ms(skew)));
        if let (Some(at), Some(t)) = (at, e.ts) {
            o.insert("offset_ms".into(), json!(ms(t - at)));
        }
        fields(e, &mut o);
        serde_json::to_writer(&mut *out, &Value::Object(o))?;
        writeln!(out)?;
    }
    Ok(())
}

/// The `kind` of an event in JSON.
fn kind(e: &Event) -> &'static str {
    match e.kind {
        EventKind::Request(_) => "request",
        EventKind::App { .. } => "app",
        EventKind::Console(_) => "console",
        EventKind::Db(_) => "postgres",
        EventKind::Aggregate(_) => "aggregate",
    }
}

/// Inserts `v` under `k` unless it is null.
fn put(o: &mut Map<String, Value>, k: &str, v: Value) {
    if !v.is_null() {
        o.insert(k.into(), v);
    }
}

/// The kind-specific JSON fields of an event; absent values are left out.
fn fields(e: &Event, o: &mut Map<String, Value>) {
    let text = |s: &Option<String>| s.as_deref().map(sanitize);
    match &e.kind {
        EventKind::Request(r) => {
            put(o, "method", json!(r.method().map(sanitize)));
            put(o, "route", json!(sanitize(&r.route)));
            put(o, "url", json!(r.url().map(sanitize)));
            // Always present for a request: null means no response.
            o.insert("status".into(), json!(r.status()));
            put(o, "elapsed_ms", json!(r.elapsed_ms()));
            put(o, "error", json!(r.error().map(sanitize)));
        }
        EventKind::App { event, stage } => {
            put(o, "level", json!(event.level().map(|l| l.as_str())));
            put(o, "route", json!(event.route.as_deref().map(sanitize)));
            put(o, "request_id", json!(event.request_id.as_deref().map(sanitize)));
            put(o, "stage", json!(stage.map(|s| s.as_str())));
            put(o, "status", json!(event.status()));
            let exception = event.exception().map(|t| truncate(&sanitize(&traceback_line(t))));
            put(o, "exception", json!(exception));
        }
        EventKind::Console(c) => match &**c {
            ConsoleRecord::Log(l) => {
                put(o, "level", json!(l.level.map(|l| l.as_str())));
                put(o, "pid", json!(l.pid));
            }
            ConsoleRecord::Access(a) => {
                put(o, "method", json!(sanitize(&a.method)));
                put(o, "route", json!(sanitize(&a.path)));
                put(o, "status", json!(a.status));
            }
            ConsoleRecord::Traceback(t) => {
                put(o, "exception", json!(truncate(&sanitize(&traceback_line(&t.traceback)))));
            }
        },
        EventKind::Db(r) => {
            put(o, "level", json!(r.severity.map(|s| s.as_str())));
            put(o, "pid", json!(r.pid));
            put(o, "sqlstate", json!(text(&r.sqlstate)));
        }
        EventKind::Aggregate(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootcause_parsers::jsonlog::AppEvent;
    use rootcause_parsers::loadtest::Request;

    fn ev(ts: Option<Micros>, line: LineNo, kind: EventKind) -> Event {
        Event { ts, source: 0, line, kind }
    }

    fn request(status: Option<u16>) -> EventKind {
        EventKind::request(Request {
            route: Some("/x".into()),
            status,
            elapsed_ms: Some(12.34),
            ..Request::default()
        })
    }

    #[test]
    fn summaries_are_one_sanitised_line() {
        let app = ev(
            Some(0),
            1,
            EventKind::app(
                AppEvent {
                    level: Some(rootcause_parsers::Level::Error),
                    message: "boom \x1b[31mred\x1b[0m\x1b]0;pwned\x07\nsecond line".into(),
                    route: Some("/x".into()),
                    request_id: Some("1c667ba043444acca14da6a3196aa845".into()),
                    status: Some(500),
                    ..AppEvent::default()
                },
                Some(crate::model::Stage::Hit),
            ),
        );
        assert_eq!(summary(&app), "error: boom red (/x, req 1c667ba0, stage hit, status 500)");
        assert_eq!(summary(&ev(None, 2, request(None))), "/x → no response after 12.3 ms");
        let long = ev(
            Some(0),
            3,
            EventKind::app(AppEvent { message: "é".repeat(500), ..AppEvent::default() }, None),
        );
        let s = summary(&long);
        assert_eq!(s.chars().count(), MAX_SUMMARY_CHARS);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn common_dir_is_a_whole_folder() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(common_dir(&v(&["a/b/app.log", "a/b/hammer.csv"])), "a/b/");
        assert_eq!(common_dir(&v(&["a/bc/app.log", "a/b/x.csv"])), "a/");
        assert_eq!(common_dir(&v(&["app.log", "a/x.csv"])), "");
        assert_eq!(common_dir(&v(&["/x/app.log"])), "/x/");
        assert_eq!(common_dir(&v(&[])), "");
    }

    #[test]
    fn nearest_grows_towards_the_closer_side() {
        let evs: Vec<Event> =
            [0, 10, 20, 21, 40].iter().map(|&t| ev(Some(t), 1, request(Some(200)))).collect();
        assert_eq!(nearest(&evs, 20, 1), (2, 3));
        assert_eq!(nearest(&evs, 20, 3), (1, 4));
        assert_eq!(nearest(&evs, 41, 2), (3, 5));
        assert_eq!(nearest(&evs, -5, 2), (0, 2));
        assert_eq!(nearest(&evs, 20, 99), (0, 5));
    }

    #[test]
    fn first_failure_is_the_earlier_of_request_and_signature() {
        let catalog = Catalog::builtin().expect("catalog");
        let pg = |ts| {
            ev(
                Some(ts),
                7,
                EventKind::Db(Box::new(rootcause_parsers::postgres::PgRecord {
                    message: "unexpected EOF on client connection with an open transaction".into(),
                    ..Default::default()
                })),
            )
        };
        let tl = |events| crate::correlate::correlate(events);
        let t =
            tl(vec![ev(Some(5), 2, request(Some(200))), ev(Some(9), 3, request(Some(503))), pg(8)]);
        let f = first_failure(&t, &catalog).expect("a failure");
        assert_eq!((f.ts, f.line), (8, 7));
        assert!(
            matches!(f.kind, FailureKind::Signature { ref id } if id == "pg_eof_open_transaction")
        );
        let t = tl(vec![ev(Some(9), 3, request(None)), pg(9)]);
        let f = first_failure(&t, &catalog).expect("a failure");
        assert_eq!(f.kind, FailureKind::Request { status: None }, "a tie goes to the request");
        let t = tl(vec![ev(Some(1), 2, request(Some(404))), ev(None, 3, request(None))]);
        assert_eq!(first_failure(&t, &catalog), None);
    }
}
