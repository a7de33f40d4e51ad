//! Load-test analysis: outcomes (200 / 404 / 500 / other / no response) and the latency of
//! successful requests, overall and per route, plus when failures were observed.

use std::collections::BTreeMap;

use rootcause_parsers::Micros;
use rootcause_parsers::loadtest::Request;

use crate::correlate::Timeline;
use crate::funnel::NO_ROUTE;
use crate::model::EventKind;
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
}

impl Outcomes {
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

    /// Failed requests: 5xx or no response.
    pub fn failed(&self) -> u64 {
        self.range(500, 599) + self.no_response
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

/// Per-route load-test results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteResult {
    /// Outcomes.
    pub outcomes: Outcomes,
    /// Latency of 2xx responses, ms.
    pub latency: Option<Summary>,
}

/// Everything computed from the load tool's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadTest {
    /// All routes together.
    pub outcomes: Outcomes,
    /// Latency of 2xx responses, ms.
    pub latency: Option<Summary>,
    /// Per route.
    pub by_route: BTreeMap<String, RouteResult>,
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
    if let Some(route) = &r.route {
        return route.clone();
    }
    if let Some(url) = &r.url {
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        return path.to_string();
    }
    NO_ROUTE.to_string()
}

/// Computes outcomes, latency and failure spans.
pub fn analyse(tl: &Timeline) -> LoadTest {
    let mut lt = LoadTest::default();
    let mut ok_ms: Vec<f64> = Vec::new();
    let mut route_ms: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut sends: Vec<Micros> = Vec::new();
    for ev in &tl.events {
        let EventKind::Request(r) = &ev.kind else { continue };
        let route = route_of(r);
        lt.outcomes.add(r.status);
        let rr = lt.by_route.entry(route.clone()).or_default();
        rr.outcomes.add(r.status);
        let success = r.status.is_some_and(|s| (200..300).contains(&s));
        if let (true, Some(ms)) = (success, r.elapsed_ms) {
            ok_ms.push(ms);
            route_ms.entry(route).or_default().push(ms);
        }
        let Some(ts) = ev.ts else { continue };
        sends.push(ts);
        lt.sent_span = Some(lt.sent_span.map_or((ts, ts), |(a, b)| (a.min(ts), b.max(ts))));
        let kind = match r.status {
            None => FailureKind::NoResponse,
            Some(s) if s >= 500 => FailureKind::Http5xx,
            _ => continue,
        };
        let observed = ts + r.elapsed_ms.map_or(0, |ms| (ms * 1000.0) as Micros);
        lt.failures
            .entry(kind)
            .and_modify(|f| {
                f.count += 1;
                f.first_sent = f.first_sent.min(ts);
                f.last_sent = f.last_sent.max(ts);
                f.first_observed = f.first_observed.min(observed);
                f.last_observed = f.last_observed.max(observed);
            })
            .or_insert(FailureSpan {
                count: 1,
                first_sent: ts,
                last_sent: ts,
                first_observed: observed,
                last_observed: observed,
            });
    }
    lt.latency = stats::summarise(&mut ok_ms);
    // The timeline is in time order, so `sends` already is.
    lt.send_rate = send_rate(&sends);
    for (route, mut ms) in route_ms {
        if let Some(rr) = lt.by_route.get_mut(&route) {
            rr.latency = stats::summarise(&mut ms);
        }
    }
    lt
}

#[cfg(test)]
mod tests {
    use super::*;

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
