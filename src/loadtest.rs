//! Load-test analysis: the seed report's tables and more.
//!
//! From per-request rows (hammer CSV, JMeter JTL, k6, vegeta): outcomes (200 / no response /
//! 404 / 500 / other) by burst size and offset, by offset, by route and overall; the latency of
//! successful requests (fastest, slowest, mean, median, p90, p95, p99) per route and overall;
//! throughput; latency phases in send order ([`crate::phases`]); and when failures were sent
//! and observed, for the hypothesis.
//!
//! From aggregated outputs (Locust `--csv`, wrk, wrk2) it fills what they can feed: per-route
//! counts and reported latency, throughput, failure groups, and phases from Locust's stats
//! history. What they cannot feed is listed in [`LoadTest::unavailable`] with the reason; no
//! number is invented. Per-request rows win when both kinds are given.

use std::collections::BTreeMap;

use rootcause_parsers::Micros;
use rootcause_parsers::aggregate::{self, Aggregate, ErrorOutcome, Tool};
use rootcause_parsers::loadtest::Request;

use crate::correlate::Timeline;
use crate::funnel::NO_ROUTE;
use crate::model::{EventKind, SourceId};
use crate::phases::{self, Phases, Point};
use crate::stats::{self, Summary};

/// Outcome counts of a set of requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Requests.
    pub total: u64,
    /// Requests by HTTP status.
    pub status: BTreeMap<u16, u64>,
    /// Requests that got no response (empty or non-numeric status).
    pub no_response: u64,
    /// Requests an aggregating tool counted as successful without recording their status.
    pub ok_unknown: u64,
    /// Requests an aggregating tool counted as failed without a status we can read.
    pub failed_unknown: u64,
}

/// The columns of the seed report's outcome tables, plus "other".
pub const COLUMNS: [&str; 5] = ["200", "no_response", "404", "500", "other"];

impl Outcomes {
    /// The seed report's columns in [`COLUMNS`] order: success 200 (with successes whose
    /// status an aggregating tool did not record), no response, 404, 500, other.
    pub fn columns(&self) -> [u64; 5] {
        [
            self.of(200) + self.ok_unknown,
            self.no_response,
            self.of(404),
            self.of(500),
            self.other() + self.failed_unknown,
        ]
    }

    /// [`Outcomes::columns`] as percentages of the total (all zero without requests).
    pub fn percentages(&self) -> [f64; 5] {
        let t = self.total as f64;
        self.columns().map(|n| if self.total == 0 { 0.0 } else { 100.0 * n as f64 / t })
    }

    fn merge(&mut self, o: &Outcomes) {
        self.total += o.total;
        for (s, n) in &o.status {
            *self.status.entry(*s).or_default() += n;
        }
        self.no_response += o.no_response;
        self.ok_unknown += o.ok_unknown;
        self.failed_unknown += o.failed_unknown;
    }

    fn add(&mut self, status: Option<u16>) {
        self.total += 1;
        match status {
            Some(s) => *self.status.entry(s).or_default() += 1,
            None => self.no_response += 1,
        }
    }

    /// Requests with this status.
    pub fn of(&self, status: u16) -> u64 {
        self.status.get(&status).copied().unwrap_or(0)
    }

    /// Requests with a status in `lo..=hi`.
    pub fn range(&self, lo: u16, hi: u16) -> u64 {
        self.status.range(lo..=hi).map(|(_, n)| n).sum()
    }

    /// Requests with a status other than 200, 404 and 500.
    pub fn other(&self) -> u64 {
        self.status.iter().filter(|(s, _)| ![200, 404, 500].contains(*s)).map(|(_, n)| n).sum()
    }

    /// Failed requests: 5xx, no response, or failed with an unknown status.
    pub fn failed(&self) -> u64 {
        self.range(500, 599) + self.no_response + self.failed_unknown
    }

    /// Successful requests: 2xx, or counted as successful by an aggregating tool.
    pub fn success(&self) -> u64 {
        self.range(200, 299) + self.ok_unknown
    }
}

/// How a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// An HTTP 5xx status.
    Http5xx,
    /// No response at all.
    NoResponse,
}

impl FailureKind {
    /// Name used in reports and in catalog `effect`s.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Http5xx => "http_5xx",
            FailureKind::NoResponse => "no_response",
        }
    }
}

/// When the failures of one kind were sent and observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureSpan {
    /// How many.
    pub count: u64,
    /// Earliest send time.
    pub first_sent: Micros,
    /// Latest send time.
    pub last_sent: Micros,
    /// Earliest time the failure was seen by the client (send + elapsed).
    pub first_observed: Micros,
    /// Latest time the failure was seen.
    pub last_observed: Micros,
}

/// Latency statistics, ms; a field is `None` when the source does not give it (wrk prints no
/// minimum and no p95). Percentiles computed here use the nearest rank.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Latency {
    /// Requests measured.
    pub count: u64,
    /// Fastest.
    pub min: Option<f64>,
    /// Slowest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

impl From<Summary> for Latency {
    fn from(s: Summary) -> Latency {
        Latency {
            count: s.count,
            min: Some(s.min),
            max: Some(s.max),
            mean: Some(s.mean),
            median: Some(s.median),
            p90: Some(s.p90),
            p95: Some(s.p95),
            p99: Some(s.p99),
        }
    }
}

impl Latency {
    fn reported(l: &aggregate::Latency, count: u64) -> Latency {
        Latency {
            count,
            min: l.min,
            max: l.max.or_else(|| l.at(100.0)),
            mean: l.mean,
            median: l.median.or_else(|| l.at(50.0)),
            p90: l.at(90.0),
            p95: l.at(95.0),
            p99: l.at(99.0),
        }
    }
}

/// Per-route load-test results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteResult {
    /// Outcomes.
    pub outcomes: Outcomes,
    /// Latency of 2xx responses (per-request rows) or as the tool reported it, ms.
    pub latency: Option<Latency>,
}

/// An offset between requests, in thousandths of a millisecond (so it can be a map key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OffsetKey(pub i64);

impl OffsetKey {
    fn of(ms: f64) -> OffsetKey {
        OffsetKey((ms * 1000.0).round() as i64)
    }

    /// The offset in milliseconds.
    pub fn ms(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// Requests sent and completed per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    /// From the first send to the last response, seconds (`None` when the tool gives only
    /// rates).
    pub duration_s: Option<f64>,
    /// Requests sent per second over that span (`None` from aggregating tools, which do not
    /// record sends).
    pub sent_per_s: Option<f64>,
    /// Responses (any status) per second.
    pub completed_per_s: Option<f64>,
    /// Successful responses per second.
    pub success_per_s: Option<f64>,
}

/// Where the load-test numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Basis {
    /// No load-test input.
    #[default]
    None,
    /// One row per request.
    PerRequest,
    /// Aggregates only (Locust `--csv`, wrk).
    Aggregate,
}

impl Basis {
    /// Stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::None => "none",
            Basis::PerRequest => "per_request",
            Basis::Aggregate => "aggregate",
        }
    }
}

/// A table that could not be computed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// The table's JSON name (`by_burst_offset`, `phases`, ...).
    pub table: &'static str,
    /// Why.
    pub reason: String,
}

/// A failure group reported by an aggregating tool.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureGroupOut {
    /// The input it came from.
    pub source: SourceId,
    /// Its line.
    pub line: u64,
    /// The group.
    pub group: aggregate::FailureGroup,
    /// What the error text says: a status, no response, or unknown.
    pub outcome: ErrorOutcome,
}

/// Everything computed from the load tool's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadTest {
    /// Where the numbers come from.
    pub basis: Basis,
    /// The tools whose aggregates were read (`locust`, `wrk`, `wrk2`).
    pub tools: Vec<&'static str>,
    /// All routes together.
    pub outcomes: Outcomes,
    /// Latency of 2xx responses (or as reported), ms.
    pub latency: Option<Latency>,
    /// Per route.
    pub by_route: BTreeMap<String, RouteResult>,
    /// Outcomes per (burst size, offset), for rows that carry both.
    pub by_burst_offset: BTreeMap<(u32, OffsetKey), Outcomes>,
    /// Outcomes per offset, for rows that carry one.
    pub by_offset: BTreeMap<OffsetKey, Outcomes>,
    /// Requests sent and completed per second.
    pub throughput: Option<Throughput>,
    /// Latency phases in send order.
    pub phases: Option<Phases>,
    /// Tables that could not be computed, with the reason.
    pub unavailable: Vec<Unavailable>,
    /// Failure groups from aggregating tools.
    pub failure_groups: Vec<FailureGroupOut>,
    /// Exception groups from aggregating tools (count, message).
    pub exception_groups: Vec<(u64, String)>,
    /// Caveats about how aggregates were read.
    pub notes: Vec<String>,
    /// Earliest and latest send time.
    pub sent_span: Option<(Micros, Micros)>,
    /// Failures by kind (only kinds that occurred).
    pub failures: BTreeMap<FailureKind, FailureSpan>,
    /// How fast requests were sent.
    pub send_rate: Option<SendRate>,
}

/// How fast the load tool sent requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendRate {
    /// Requests per second over the whole send span.
    pub mean_per_s: f64,
    /// The most requests sent within any one second.
    pub peak_per_s: u64,
    /// Start of the busiest second.
    pub peak_at: Micros,
}

/// The mean and the busiest one-second window of sorted send times.
pub fn send_rate(sorted: &[Micros]) -> Option<SendRate> {
    let (&first, &last) = (sorted.first()?, sorted.last()?);
    let (mut best, mut best_at, mut lo) = (0usize, first, 0usize);
    for (hi, &t) in sorted.iter().enumerate() {
        while t - sorted[lo] >= rootcause_parsers::time::SECOND {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            best_at = sorted[lo];
        }
    }
    let span_s = (last - first) as f64 / 1e6;
    let mean_per_s = if span_s > 0.0 { sorted.len() as f64 / span_s } else { sorted.len() as f64 };
    Some(SendRate { mean_per_s, peak_per_s: best as u64, peak_at: best_at })
}

/// The route a request belongs to: its route/label cell, else its URL's path, else
/// [`NO_ROUTE`].
pub fn route_of(r: &Request) -> String {
    match &r.route {
        Some(route) => route.clone(),
        None => route_of_url(r.url.as_deref()),
    }
}

/// The route of a request without a route cell: its URL's path, else [`NO_ROUTE`].
pub fn route_of_url(url: Option<&str>) -> String {
    if let Some(url) = url {
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        return path.to_string();
    }
    NO_ROUTE.to_string()
}

/// Computes every load-test table from the timeline.
pub fn analyse(tl: &Timeline) -> LoadTest {
    let has_requests = tl.events.iter().any(|e| matches!(e.kind, EventKind::Request(_)));
    let mut lt = if has_requests { per_request(tl) } else { from_aggregates(tl) };
    if has_requests && tl.events.iter().any(|e| matches!(e.kind, EventKind::Aggregate(_))) {
        lt.notes.push(
            "aggregated load-tool results (Locust, wrk) were read but not merged: the tables \
             come from the per-request rows"
                .to_string(),
        );
    }
    lt
}

fn per_request(tl: &Timeline) -> LoadTest {
    let mut lt = LoadTest { basis: Basis::PerRequest, ..LoadTest::default() };
    // Sized once: a run has millions of requests, and a vector grown by doubling holds up to
    // twice what it needs.
    let (mut requests, mut measured) = (0, 0);
    for e in &tl.events {
        if let EventKind::Request(r) = &e.kind {
            requests += 1;
            measured += usize::from(e.ts.is_some() && r.status().and(r.elapsed_ms()).is_some());
        }
    }
    let mut sends: Vec<Micros> = Vec::with_capacity(requests);
    // The timed requests that got a response, numbered in send order, for the phases.
    let mut points: Vec<Point> = Vec::with_capacity(measured);
    let mut last_response: Option<Micros> = None;
    let (mut without_burst, mut without_offset) = (0u64, 0u64);
    for ev in &tl.events {
        let EventKind::Request(r) = &ev.kind else { continue };
        let route: &str = &r.route;
        lt.outcomes.add(r.status());
        // Look the route up before inserting: most requests hit a route already seen.
        let rr = match lt.by_route.get_mut(route) {
            Some(rr) => rr,
            None => lt.by_route.entry(route.to_string()).or_default(),
        };
        rr.outcomes.add(r.status());
        match (r.burst(), r.offset_ms()) {
            (Some(b), Some(o)) => {
                lt.by_burst_offset.entry((b, OffsetKey::of(o))).or_default().add(r.status())
            }
            _ => without_burst += 1,
        }
        match r.offset_ms() {
            Some(o) => lt.by_offset.entry(OffsetKey::of(o)).or_default().add(r.status()),
            None => without_offset += 1,
        }
        let Some(ts) = ev.ts else { continue };
        sends.push(ts);
        if let Some(ms) = r.status().and(r.elapsed_ms()) {
            points.push(Point { index: sends.len() as u64, ts, ms });
        }
        let observed = ts + r.elapsed_ms().map_or(0, |ms| (ms * 1000.0) as Micros);
        if r.status().is_some() {
            last_response = Some(last_response.map_or(observed, |l| l.max(observed)));
        }
        lt.sent_span = Some(lt.sent_span.map_or((ts, ts), |(a, b)| (a.min(ts), b.max(ts))));
        let kind = match r.status() {
            None => FailureKind::NoResponse,
            Some(s) if s >= 500 => FailureKind::Http5xx,
            _ => continue,
        };
        add_failure(&mut lt.failures, kind, ts, observed);
    }
    // The timeline is in time order, so `sends` already is.
    lt.send_rate = send_rate(&sends);
    drop(sends);
    let (found, measured) = (phases::detect(&points, None), points.len());
    drop(points);
    // The latencies of the successful requests, read once the points are freed: the vectors
    // sized from the success counts.
    let mut ok_ms: Vec<f64> = Vec::with_capacity(lt.outcomes.success() as usize);
    let mut route_ms: BTreeMap<String, Vec<f64>> = (lt.by_route.iter())
        .map(|(route, rr)| (route.clone(), Vec::with_capacity(rr.outcomes.success() as usize)))
        .collect();
    for ev in &tl.events {
        let EventKind::Request(r) = &ev.kind else { continue };
        let success = r.status().is_some_and(|s| (200..300).contains(&s));
        if let (true, Some(ms)) = (success, r.elapsed_ms()) {
            ok_ms.push(ms);
            if let Some(v) = route_ms.get_mut(&*r.route) {
                v.push(ms);
            }
        }
    }
    lt.latency = stats::summarise(&mut ok_ms).map(Latency::from);
    drop(ok_ms);
    for (route, mut ms) in route_ms {
        if let Some(rr) = lt.by_route.get_mut(&route) {
            rr.latency = stats::summarise(&mut ms).map(Latency::from);
        }
    }
    if without_burst > 0 {
        lt.unavailable.push(Unavailable {
            table: "by_burst_offset",
            reason: if lt.by_burst_offset.is_empty() {
                "the load-test rows have no burst-size and offset columns".to_string()
            } else {
                format!("{without_burst} requests without a burst size or offset are left out")
            },
        });
    }
    if without_offset > 0 {
        lt.unavailable.push(Unavailable {
            table: "by_offset",
            reason: if lt.by_offset.is_empty() {
                "the load-test rows have no offset (delay between requests) column".to_string()
            } else {
                format!("{without_offset} requests without an offset are left out")
            },
        });
    }
    lt.throughput = lt.sent_span.map(|(first, last_sent)| {
        let end = last_response.map_or(last_sent, |l| l.max(last_sent));
        let secs = (end - first) as f64 / 1e6;
        let per = |n: u64| (secs > 0.0).then(|| n as f64 / secs);
        Throughput {
            duration_s: Some(secs),
            sent_per_s: lt.send_rate.map(|r| r.mean_per_s),
            completed_per_s: per(lt.outcomes.total - lt.outcomes.no_response),
            success_per_s: per(lt.outcomes.success()),
        }
    });
    lt.phases = found;
    if lt.phases.is_none() {
        lt.unavailable.push(Unavailable {
            table: "phases",
            reason: format!(
                "{measured} requests with a timestamp and a response; phases need at least {}",
                phases::MIN_POINTS
            ),
        });
    }
    lt
}

fn add_failure(
    failures: &mut BTreeMap<FailureKind, FailureSpan>,
    kind: FailureKind,
    sent: Micros,
    observed: Micros,
) {
    failures
        .entry(kind)
        .and_modify(|f| {
            f.count += 1;
            f.first_sent = f.first_sent.min(sent);
            f.last_sent = f.last_sent.max(sent);
            f.first_observed = f.first_observed.min(observed);
            f.last_observed = f.last_observed.max(observed);
        })
        .or_insert(FailureSpan {
            count: 1,
            first_sent: sent,
            last_sent: sent,
            first_observed: observed,
            last_observed: observed,
        });
}

/// The route of an aggregate row: its name, else its URL's path, else all routes.
fn aggregate_route(route: &Option<String>, url: &Option<String>) -> Option<String> {
    let r = Request { route: route.clone(), url: url.clone(), ..Request::default() };
    (route.is_some() || url.is_some()).then(|| route_of(&r))
}

fn from_aggregates(tl: &Timeline) -> LoadTest {
    let mut lt = LoadTest::default();
    // Per route (None = all routes): (tool, line, totals).
    let mut totals: Vec<(Tool, Option<String>, &aggregate::Totals)> = Vec::new();
    let mut history: Vec<&aggregate::Sample> = Vec::new();
    for ev in &tl.events {
        let EventKind::Aggregate(a) = &ev.kind else { continue };
        match a {
            Aggregate::Totals { tool, totals: t } => {
                if !lt.tools.contains(&tool.as_str()) {
                    lt.tools.push(tool.as_str());
                }
                let route = match tool {
                    // wrk tests one URL: its summary is that route and all routes at once.
                    Tool::Wrk | Tool::Wrk2 => aggregate_route(&None, &t.url),
                    Tool::Locust => t.route.clone(),
                };
                totals.push((*tool, route, t));
            }
            Aggregate::Sample(s) if s.route.is_none() => history.push(s),
            Aggregate::Sample(_) => {}
            Aggregate::Failure(f) => lt.failure_groups.push(FailureGroupOut {
                source: ev.source,
                line: ev.line,
                outcome: f.outcome(),
                group: (**f).clone(),
            }),
            Aggregate::Exception(x) => lt.exception_groups.push((x.count, x.message.clone())),
        }
    }
    if totals.is_empty() && history.is_empty() && lt.failure_groups.is_empty() {
        return lt;
    }
    lt.basis = Basis::Aggregate;
    let tools = lt.tools.join(", ");
    let tools = if tools.is_empty() { "locust".to_string() } else { tools };
    let mut per_route_seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut overall_latency: Option<Latency> = None;
    let mut overall_rps: Option<f64> = None;
    let mut overall_duration: Option<f64> = None;
    let mut wrk_runs = 0u32;
    for (tool, route, t) in &totals {
        let outcomes = aggregate_outcomes(*tool, route.as_deref(), t, &lt.failure_groups);
        // wrk prints 0.00us when nothing answered: no latency, not a zero one.
        // (the same when every response came after --timeout).
        let recorded = t.requests > 0 && t.latency.max.is_none_or(|m| m > 0.0);
        let latency = recorded.then(|| Latency::reported(&t.latency, t.requests));
        match (tool, route) {
            (Tool::Locust, None) => {
                overall_latency = latency;
                overall_rps = t.requests_per_s;
            }
            (Tool::Locust, Some(r)) => {
                *per_route_seen.entry(r.clone()).or_default() += 1;
                let rr = lt.by_route.entry(r.clone()).or_default();
                rr.outcomes.merge(&outcomes);
                rr.latency = latency;
            }
            (Tool::Wrk | Tool::Wrk2, r) => {
                wrk_runs += 1;
                let r = r.clone().unwrap_or_else(|| NO_ROUTE.to_string());
                *per_route_seen.entry(r.clone()).or_default() += 1;
                let rr = lt.by_route.entry(r).or_default();
                rr.outcomes.merge(&outcomes);
                rr.latency = latency;
                overall_latency = latency;
                overall_rps = Some(overall_rps.unwrap_or(0.0) + t.requests_per_s.unwrap_or(0.0));
                overall_duration = t.duration_s.or(overall_duration);
            }
        }
    }
    for (route, n) in &per_route_seen {
        if *n > 1 {
            if let Some(rr) = lt.by_route.get_mut(route) {
                rr.latency = None;
            }
            lt.notes.push(format!(
                "{n} summaries for {route}: their counts are added, their latencies cannot be \
                 combined and are left out"
            ));
        }
    }
    if wrk_runs > 1 {
        overall_latency = None;
        overall_duration = None;
    }
    for rr in lt.by_route.values() {
        lt.outcomes.merge(&rr.outcomes);
    }
    lt.latency = overall_latency;
    if lt.tools.contains(&"locust") {
        lt.notes.push(
            "Locust does not record statuses of successful requests: they are counted as \
             200. Its latencies cover all requests, failed ones included."
                .to_string(),
        );
    }
    if lt.tools.iter().any(|t| t.starts_with("wrk")) {
        lt.notes.push(
            "wrk counts responses: \"Non-2xx or 3xx responses\" are shown as other, its \
             connect, read and write socket errors as no response, the rest as 200"
                .to_string(),
        );
        let late: u64 =
            totals.iter().filter_map(|(_, _, t)| t.socket_errors.map(|e| e.timeout)).sum();
        if late > 0 {
            lt.notes.push(format!(
                "{late} responses came after wrk's --timeout (its \"timeout\" socket errors): \
                 they are counted, but their latency is not in wrk's statistics"
            ));
        }
    }
    for g in &lt.failure_groups {
        let kind = match g.outcome {
            ErrorOutcome::NoResponse => FailureKind::NoResponse,
            ErrorOutcome::Status(s) if s >= 500 => FailureKind::Http5xx,
            _ => continue,
        };
        if let (Some(first), Some(last)) = (g.group.first_seen, g.group.last_seen) {
            let f = lt.failures.entry(kind).or_insert(FailureSpan {
                count: 0,
                first_sent: first,
                last_sent: last,
                first_observed: first,
                last_observed: last,
            });
            f.count += g.group.occurrences;
            f.first_sent = f.first_sent.min(first);
            f.first_observed = f.first_observed.min(first);
            f.last_sent = f.last_sent.max(last);
            f.last_observed = f.last_observed.max(last);
        }
    }
    lt.throughput = (overall_rps.is_some() || overall_duration.is_some()).then(|| Throughput {
        duration_s: overall_duration,
        sent_per_s: None,
        completed_per_s: overall_rps,
        success_per_s: overall_rps.and_then(|rps| {
            let t = lt.outcomes.total;
            (t > 0).then(|| rps * lt.outcomes.success() as f64 / t as f64)
        }),
    });
    if let (Some(first), Some(last)) = (history.first(), history.last()) {
        lt.sent_span = Some((first.ts, last.ts));
    }
    let points: Vec<Point> = history
        .iter()
        .filter_map(|s| {
            let ms = s.percentiles.iter().find(|(p, _)| (*p - 50.0).abs() < 1e-9)?.1;
            Some(Point { index: s.total_requests?, ts: s.ts, ms })
        })
        .collect();
    lt.phases = phases::detect(&points, Some(3));
    let why = format!("{tools} writes aggregates, not one row per request");
    lt.unavailable.push(Unavailable { table: "by_burst_offset", reason: why.clone() });
    lt.unavailable.push(Unavailable { table: "by_offset", reason: why.clone() });
    lt.unavailable.push(Unavailable { table: "funnel_sent", reason: why.clone() });
    if lt.phases.is_none() {
        lt.unavailable.push(Unavailable {
            table: "phases",
            reason: if history.is_empty() {
                format!("{why}; Locust's stats history (--csv) would give a time series")
            } else {
                format!(
                    "the stats history has {} all-routes points with a median; phases need at \
                     least {}",
                    points.len(),
                    phases::MIN_POINTS
                )
            },
        });
    } else {
        lt.notes.push(format!(
            "phases come from Locust's stats history: {} per-interval medians, request \
             indexes are its running request count",
            points.len()
        ));
    }
    lt
}

/// Outcomes of one aggregate row: successes counted as 200, failures spread by what their
/// error text says.
fn aggregate_outcomes(
    tool: Tool,
    route: Option<&str>,
    t: &aggregate::Totals,
    groups: &[FailureGroupOut],
) -> Outcomes {
    let mut o = Outcomes::default();
    match tool {
        Tool::Wrk | Tool::Wrk2 => {
            let non2xx = t.non_2xx_3xx.unwrap_or(0).min(t.requests);
            // wrk's `timeout` counts responses that came later than --timeout: they are in
            // its request count (without a latency). Connect, read and write errors are not.
            let se = t.socket_errors.unwrap_or_default();
            let no_resp = se.connect + se.read + se.write;
            o.ok_unknown = t.requests - non2xx;
            o.failed_unknown = non2xx;
            o.no_response = no_resp;
            o.total = t.requests + no_resp;
        }
        Tool::Locust => {
            let failures = t.failures.unwrap_or(0).min(t.requests);
            o.total = t.requests;
            o.ok_unknown = t.requests - failures;
            let mut left = failures;
            for g in groups.iter().filter(|g| {
                g.group.route.as_deref() == route
                    && (t.method.is_none() || g.group.method == t.method)
            }) {
                let n = g.group.occurrences.min(left);
                left -= n;
                match g.outcome {
                    ErrorOutcome::Status(s) => *o.status.entry(s).or_default() += n,
                    ErrorOutcome::NoResponse => o.no_response += n,
                    ErrorOutcome::Unknown => o.failed_unknown += n,
                }
            }
            o.failed_unknown += left;
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    #[test]
    fn locust_history_gives_phases_and_failures_give_their_span() {
        let s = rootcause_parsers::time::SECOND;
        // 60 one-second samples: 20 at 40 ms, 30 at 3 s, 10 at 45 ms; 10 requests a second.
        let mut events: Vec<Event> = (0..60i64)
            .map(|i| {
                let ms = match i {
                    0..20 => 40.0,
                    20..50 => 3000.0,
                    _ => 45.0,
                };
                let sample = aggregate::Sample {
                    ts: i * s,
                    percentiles: vec![(50.0, ms), (95.0, ms * 2.0)],
                    total_requests: Some(10 * (i as u64 + 1)),
                    ..aggregate::Sample::default()
                };
                Event {
                    ts: Some(i * s),
                    source: 0,
                    line: i as u64 + 2,
                    kind: EventKind::Aggregate(Aggregate::Sample(Box::new(sample))),
                }
            })
            .collect();
        let group = aggregate::FailureGroup {
            route: Some("/a".into()),
            error: "HTTPError('500 Server Error: boom for url: /a')".into(),
            occurrences: 7,
            first_seen: Some(21 * s),
            last_seen: Some(48 * s),
            ..aggregate::FailureGroup::default()
        };
        events.push(Event {
            ts: Some(21 * s),
            source: 1,
            line: 2,
            kind: EventKind::Aggregate(Aggregate::Failure(Box::new(group))),
        });
        let tl = crate::correlate::correlate(events);
        let lt = analyse(&tl);
        assert_eq!(lt.basis, Basis::Aggregate);
        let p = lt.phases.expect("phases from the history");
        let kinds: Vec<&str> = p.phases.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds, ["baseline", "plateau", "recovered"]);
        // Indexes are the running request count.
        assert_eq!((p.phases[1].first_index, p.phases[2].first_index), (210, 510));
        let f = lt.failures[&FailureKind::Http5xx];
        assert_eq!((f.count, f.first_observed, f.last_observed), (7, 21 * s, 48 * s));
        assert!(lt.unavailable.iter().any(|u| u.table == "by_burst_offset"));
        assert!(lt.unavailable.iter().all(|u| u.table != "phases"));
    }

    #[test]
    fn send_rate_finds_the_busiest_second() {
        let s = rootcause_parsers::time::SECOND;
        let t = [0, s / 2, s, s + 100, s + 200, s + 300, 4 * s];
        let r = send_rate(&t).unwrap();
        assert_eq!((r.peak_per_s, r.peak_at), (5, s / 2));
        assert!((r.mean_per_s - 7.0 / 4.0).abs() < 1e-9);
        assert!(send_rate(&[]).is_none());
        assert_eq!(send_rate(&[5]).unwrap().peak_per_s, 1);
    }

    #[test]
    fn route_falls_back_to_the_url_path() {
        let r = |route: Option<&str>, url: Option<&str>| Request {
            route: route.map(str::to_string),
            url: url.map(str::to_string),
            ..Request::default()
        };
        assert_eq!(route_of(&r(Some("/a"), Some("http://h/b"))), "/a");
        assert_eq!(route_of(&r(None, Some("http://h:8/b/c?id=1"))), "/b/c");
        assert_eq!(route_of(&r(None, Some("http://h"))), "/");
        assert_eq!(route_of(&r(None, None)), NO_ROUTE);
    }
}
