//! The request funnel: sent → hit → started → completed, overall and per route.
//!
//! `sent` counts the load tool's rows. `hit`, `started` and `completed` count application
//! events whose message marks that stage ([`StageMatcher`]: "function hit", "query started",
//! "query completed" and common variants by default, `--stage NAME=PATTERN` to override),
//! inside the run window (the load test's span, see [`crate::correlate`]). The first stage
//! where the count drops is where requests are lost.

use std::collections::BTreeMap;

use regex::Regex;

use crate::correlate::Timeline;
use crate::model::{EventKind, Stage};
use crate::stats::{self, Summary};

/// Recognises funnel stages in application messages.
#[derive(Debug, Clone)]
pub struct StageMatcher {
    rules: Vec<(Stage, Regex)>,
}

/// Default patterns, one per stage, matched against the event/message text.
const DEFAULTS: [(Stage, &str); 3] = [
    (
        Stage::Hit,
        r"(?i)^\s*(?:function|route|endpoint|view|handler)[\s_-]+(?:hit|called|entered|invoked)\b",
    ),
    (
        Stage::Started,
        r"(?i)^\s*(?:query|db|database|sql)[\s_-]+(?:started|start|begin|began|executing|running)\b",
    ),
    (
        Stage::Completed,
        r"(?i)^\s*(?:query|db|database|sql)[\s_-]+(?:completed|complete|finished|done|succeeded|ended)\b",
    ),
];

impl Default for StageMatcher {
    fn default() -> Self {
        let rules =
            DEFAULTS.iter().filter_map(|(s, p)| Regex::new(p).ok().map(|r| (*s, r))).collect();
        StageMatcher { rules }
    }
}

impl StageMatcher {
    /// Replaces the pattern of one stage (`--stage hit=PATTERN`), compiled with the limits
    /// of [`user_regex`](crate::pattern::user_regex); the error names the flag and pattern.
    pub fn set(&mut self, stage: Stage, pattern: &str) -> Result<(), String> {
        let re = crate::pattern::user_regex(&format!("--stage {}", stage.as_str()), pattern)?;
        match self.rules.iter_mut().find(|(s, _)| *s == stage) {
            Some(slot) => slot.1 = re,
            None => self.rules.push((stage, re)),
        }
        Ok(())
    }

    /// The stage a message marks, if any (stages are tried in funnel order).
    pub fn classify(&self, message: &str) -> Option<Stage> {
        self.rules.iter().find(|(_, re)| re.is_match(message)).map(|(s, _)| *s)
    }

    /// The pattern used for each stage.
    pub fn patterns(&self) -> Vec<(Stage, String)> {
        self.rules.iter().map(|(s, r)| (*s, r.as_str().to_string())).collect()
    }
}

/// What [`StageMatcher::classify`] said of the short messages met so far (see
/// [`crate::model::Memo`]).
#[derive(Debug)]
pub struct StageMemo {
    seen: crate::model::Memo<Option<Stage>>,
}

impl Default for StageMemo {
    fn default() -> StageMemo {
        StageMemo { seen: crate::model::Memo::new(Self::ENTRIES) }
    }
}

impl StageMemo {
    /// Most messages remembered.
    const ENTRIES: usize = 1024;

    /// [`StageMatcher::classify`] of `message` by `m` (always the same matcher).
    pub fn classify(&mut self, m: &StageMatcher, message: &str) -> Option<Stage> {
        if let Some(&stage) = self.seen.get(message) {
            return stage;
        }
        let stage = m.classify(message);
        self.seen.keep(message, || stage);
        stage
    }
}

/// Counts at each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests the load tool sent.
    pub sent: u64,
    /// Requests that reached the view function.
    pub hit: u64,
    /// Queries started.
    pub started: u64,
    /// Queries completed.
    pub completed: u64,
}

impl Counts {
    fn add(&mut self, stage: Stage, n: u64) {
        match stage {
            Stage::Hit => self.hit += n,
            Stage::Started => self.started += n,
            Stage::Completed => self.completed += n,
        }
    }

    /// The counts in funnel order with their names.
    pub fn steps(&self) -> [(&'static str, u64); 4] {
        [
            ("sent", self.sent),
            ("hit", self.hit),
            ("started", self.started),
            ("completed", self.completed),
        ]
    }

    /// The step with the largest drop from the step before it: (from, to, lost).
    pub fn biggest_loss(&self) -> Option<(&'static str, &'static str, u64)> {
        let s = self.steps();
        s.windows(2)
            .map(|w| (w[0].0, w[1].0, w[0].1.saturating_sub(w[1].1)))
            .filter(|(_, _, lost)| *lost > 0)
            .max_by_key(|(_, _, lost)| *lost)
    }
}

/// The funnel of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Funnel {
    /// All routes together.
    pub overall: Counts,
    /// Per route (the load tool's route or label; the app event's route).
    pub by_route: BTreeMap<String, Counts>,
    /// Stage events outside the run window, not counted.
    pub outside_window: u64,
    /// Stage events without a timestamp, counted because they cannot be placed. A line
    /// without one takes its neighbour's time at ingest, so these are only in application logs
    /// without any timestamp.
    pub without_timestamp: u64,
    /// True when at least one application source was read.
    pub has_app_log: bool,
    /// Durations reported by "query completed" events (`duration_ms`), if any.
    pub query_ms: Option<Summary>,
}

/// The key used for requests and events without a route.
pub const NO_ROUTE: &str = "(no route)";

/// A route with its parameter segments removed, so that an app's route template and a load
/// tool's route name can be compared: `/businesses/id/<id>`, `/businesses/id/{id}`,
/// `/businesses/id/:id` and `/businesses/id/` all become `/businesses/id/`.
pub fn canonical_route(route: &str) -> String {
    let is_param = |seg: &str| {
        (seg.starts_with('<') && seg.ends_with('>'))
            || (seg.starts_with('{') && seg.ends_with('}'))
            || (seg.starts_with(':') && seg.len() > 1)
    };
    let segs: Vec<&str> = route.split('/').collect();
    let kept: Vec<&str> = segs.iter().copied().filter(|s| !is_param(s)).collect();
    let mut out = kept.join("/");
    let dropped_last = segs.last().is_some_and(|s| is_param(s));
    if dropped_last && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Renames app route templates to the load tool's route names they correspond to (same
/// [`canonical_route`]), so both sides of the funnel land in one row.
fn align_routes(by_route: BTreeMap<String, Counts>) -> BTreeMap<String, Counts> {
    let sent_routes: BTreeMap<String, String> = by_route
        .iter()
        .filter(|(_, c)| c.sent > 0)
        .map(|(r, _)| (canonical_route(r), r.clone()))
        .collect();
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for (route, c) in by_route {
        let key = if c.sent > 0 {
            route
        } else {
            sent_routes.get(&canonical_route(&route)).cloned().unwrap_or(route)
        };
        let slot = out.entry(key).or_default();
        slot.sent += c.sent;
        slot.hit += c.hit;
        slot.started += c.started;
        slot.completed += c.completed;
    }
    out
}

/// Counts the funnel over the timeline's run window.
pub fn count(tl: &Timeline) -> Funnel {
    let mut f = Funnel::default();
    for ev in &tl.events {
        match &ev.kind {
            EventKind::Request(r) => {
                f.overall.sent += 1;
                match f.by_route.get_mut(&*r.route) {
                    Some(c) => c.sent += 1,
                    None => f.by_route.entry(r.route.to_string()).or_default().sent += 1,
                }
            }
            EventKind::App { .. } => f.has_app_log = true,
            _ => {}
        }
    }
    // The stage events, per input, route and stage, counted inside and outside the window
    // when the timeline was made.
    f.has_app_log |= tl.stages.points > 0;
    for g in &tl.stages.groups {
        f.outside_window += g.outside;
        f.without_timestamp += g.untimed;
        let n = g.inside + g.untimed;
        if n == 0 {
            continue;
        }
        f.overall.add(g.stage, n);
        let route = g.route.as_deref().unwrap_or(NO_ROUTE);
        match f.by_route.get_mut(route) {
            Some(c) => c.add(g.stage, n),
            None => f.by_route.entry(route.to_string()).or_default().add(g.stage, n),
        }
    }
    let mut query_ms: Vec<f64> = Vec::new();
    for g in &tl.stages.groups {
        let timed = g.durations.iter().filter(|(t, _)| tl.in_window(*t)).map(|&(_, ms)| ms);
        query_ms.extend(timed.chain(g.untimed_durations.iter().copied()));
    }
    f.by_route = align_routes(std::mem::take(&mut f.by_route));
    f.query_ms = stats::summarise(&mut query_ms);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_patterns_recognise_common_wordings() {
        let m = StageMatcher::default();
        let cases = [
            ("function hit", Some(Stage::Hit)),
            ("Function Hit: get_businesses", Some(Stage::Hit)),
            ("route_hit", Some(Stage::Hit)),
            ("query started", Some(Stage::Started)),
            ("DB query started", None),
            ("query completed", Some(Stage::Completed)),
            ("query finished in 3 ms", Some(Stage::Completed)),
            ("Uncaught exception", None),
            ("query starter pack", None),
        ];
        for (msg, want) in cases {
            assert_eq!(m.classify(msg), want, "{msg}");
        }
    }

    #[test]
    fn the_memo_classifies_as_the_matcher_and_stays_bounded() {
        let m = StageMatcher::default();
        let mut memo = StageMemo::default();
        let long = format!("query started {}", "x".repeat(200));
        let mut messages = vec!["function hit", "query started", "query completed", "other", &long];
        let many: Vec<String> = (0..2000).map(|i| format!("query completed #{i}")).collect();
        messages.extend(many.iter().map(String::as_str));
        for round in 0..2 {
            for msg in &messages {
                assert_eq!(memo.classify(&m, msg), m.classify(msg), "{msg}, round {round}");
            }
        }
        assert_eq!(memo.seen.len(), StageMemo::ENTRIES);
        assert!(memo.seen.get(long.as_str()).is_none());
    }

    #[test]
    fn overrides_replace_one_stage() {
        let mut m = StageMatcher::default();
        m.set(Stage::Started, "^DB query started$").unwrap();
        assert_eq!(m.classify("DB query started"), Some(Stage::Started));
        assert_eq!(m.classify("query started"), None);
        assert!(
            m.set(Stage::Hit, "(unclosed").unwrap_err().starts_with("--stage hit: bad pattern")
        );
        assert!(m.set(Stage::Hit, "a{1000}{1000}").unwrap_err().contains("too large"));
    }

    #[test]
    fn route_templates_align_with_load_tool_routes() {
        for (a, b) in [
            ("/businesses/id/<id>", "/businesses/id/"),
            ("/businesses/ref/<string:ref>", "/businesses/ref/"),
            ("/businesses/{id}", "/businesses/"),
            ("/users/:id/orders", "/users/orders"),
            ("/businesses?id=", "/businesses?id="),
        ] {
            assert_eq!(canonical_route(a), canonical_route(b), "{a} vs {b}");
        }
        assert_ne!(canonical_route("/a/<id>"), canonical_route("/b/"));
        let mut m = BTreeMap::new();
        m.insert("/b/id/".to_string(), Counts { sent: 3, ..Counts::default() });
        m.insert("/b/id/<id>".to_string(), Counts { hit: 2, ..Counts::default() });
        m.insert("/other/<x>".to_string(), Counts { hit: 1, ..Counts::default() });
        let out = align_routes(m);
        assert_eq!(out["/b/id/"], Counts { sent: 3, hit: 2, started: 0, completed: 0 });
        assert_eq!(out["/other/<x>"].hit, 1, "no load-test route: kept as is");
    }

    /// The funnel read from the stage times equals one counted event by event: inside the
    /// window, outside it, without a time, per route, with durations; also once an input's
    /// times are shifted, and with the stage times made chunk by chunk and merged.
    #[test]
    fn stage_times_count_as_the_events_would() {
        use crate::correlate::Window;
        use crate::model::Event;
        use crate::points::{PointMaker, StageMaker, StageTimes};
        use rootcause_parsers::jsonlog::AppEvent;
        let mut events = Vec::new();
        for k in 0..400i64 {
            let stage = Stage::ALL[(k % 3) as usize];
            let event = AppEvent {
                message: "m".into(),
                route: (k % 5 != 0).then(|| format!("/r{}", k % 2)),
                request_id: (k % 17 != 0).then(|| format!("id{}", k / 3)),
                pid: Some(100 + (k % 4) as u32),
                duration_ms: (k % 7 != 0).then_some(k as f64 / 8.0),
                ..AppEvent::default()
            };
            let ts = (k % 11 != 0).then_some((k * 37 % 400) * 1000);
            let stage = (k % 13 != 0).then_some(stage);
            let kind = EventKind::app(event, stage);
            events.push(Event { ts, source: (k % 2) as u32, line: k as u64 + 1, kind });
        }
        let naive = |events: &[Event], w: Window| {
            let mut f = Funnel::default();
            let mut ms = Vec::new();
            for e in events {
                let EventKind::App { event, stage: Some(stage) } = &e.kind else { continue };
                match e.ts {
                    Some(t) if !(w.start..=w.end).contains(&t) => {
                        f.outside_window += 1;
                        continue;
                    }
                    Some(_) => {}
                    None => f.without_timestamp += 1,
                }
                f.overall.add(*stage, 1);
                let route = event.route.as_deref().unwrap_or(NO_ROUTE);
                f.by_route.entry(route.to_string()).or_default().add(*stage, 1);
                if *stage == Stage::Completed {
                    ms.extend(event.duration_ms());
                }
            }
            f.has_app_log = true;
            f.by_route = align_routes(f.by_route);
            f.query_ms = stats::summarise(&mut ms);
            f
        };
        let by_key = |s: &StageTimes| {
            let mut g = s.groups.clone();
            g.sort_by(|a, b| (a.source, &a.route, a.stage).cmp(&(b.source, &b.route, b.stage)));
            g
        };
        let w = Window { start: 90_000, end: 300_000 };
        let mut skews = BTreeMap::new();
        skews.insert(1, 45_000);
        let mut moved = events.clone();
        for e in moved.iter_mut().filter(|e| e.source == 1) {
            e.ts = e.ts.map(|t| t - 45_000);
        }
        for shifted in [false, true] {
            let mut whole = StageTimes::from_events(&events);
            // Made chunk by chunk and merged in order, as ingest does.
            let mut chunked = StageTimes::default();
            for chunk in events.chunks(150) {
                let (mut points, mut m) = (PointMaker::default(), StageMaker::default());
                for e in chunk {
                    if let Some(p) = points.point(e) {
                        m.add(e, &p, &points);
                    }
                }
                chunked.merge(m.done());
            }
            chunked.finish();
            if shifted {
                whole.shift(&skews);
                chunked.shift(&skews);
            }
            let read = if shifted { &moved } else { &events };
            // Shifting the stage times equals making them from shifted events.
            assert_eq!(by_key(&whole), by_key(&StageTimes::from_events(read)));
            assert_eq!(by_key(&whole), by_key(&chunked));
            assert_eq!((whole.points, &whole.pids), (chunked.points, &chunked.pids));
            // Counted against the window and freed, as the timeline does once it knows it.
            let mut stages = whole;
            stages.close(Some((w.start, w.end)));
            assert!(stages.groups.iter().all(|g| g.times.is_empty() && g.times.capacity() == 0));
            let tl = crate::correlate::Timeline {
                events: Vec::new(),
                stages,
                window: Some(w),
                span: None,
            };
            let got = count(&tl);
            let want = naive(read, w);
            assert!(want.outside_window > 0 && want.without_timestamp > 0, "the cases occur");
            assert!(want.query_ms.is_some() && want.by_route.len() >= 3);
            assert_eq!(got, want, "shifted: {shifted}");
        }
        let s = StageTimes::from_events(&events);
        // Events with neither a stage nor an id make no point.
        let neither = (0..400).filter(|k| k % 13 == 0 && k % 17 == 0).count();
        assert_eq!((s.pids.len(), s.points), (4, 400 - neither));
    }

    #[test]
    fn biggest_loss_names_the_stage() {
        let c = Counts { sent: 12000, hit: 9306, started: 9306, completed: 6273 };
        assert_eq!(c.biggest_loss(), Some(("started", "completed", 3033)));
        let c = Counts { sent: 10, hit: 10, started: 10, completed: 10 };
        assert_eq!(c.biggest_loss(), None);
    }
}
