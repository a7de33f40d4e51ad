//! What the charts draw: points and series computed once, with the rest of the report.
//!
//! Everything is computed on all requests; only the points drawn are thinned
//! ([`MAX_POINTS`]), so a million-request run gives a chart of bounded size whose rolling
//! median and p95 are still those of every request. Times are seconds into the test (from the
//! first request sent, or the first event without a load test).

use rootcause_parsers::Micros;
use rootcause_parsers::time::SECOND;

use super::Parts;
use crate::model::EventKind;
use crate::stats;

/// Most request points drawn in the latency chart.
pub const MAX_POINTS: usize = 20_000;
/// Most failed-request points among them (failures are kept first, they are what one looks for).
pub const MAX_FAILED_POINTS: usize = 5_000;
/// Time slices of the rolling median and p95.
pub const SLICES: usize = 200;
/// Most marks per signature lane.
pub const MAX_MARKS: usize = 500;

/// What the client saw for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointKind {
    /// A 2xx.
    Ok,
    /// A 5xx.
    ServerError,
    /// No response.
    NoResponse,
    /// Any other status (3xx, 4xx).
    Other,
}

/// One request drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotPoint {
    /// Seconds into the test it was sent at.
    pub t: f64,
    /// Elapsed ms (until the response, or until the client gave up).
    pub ms: f64,
    /// Its outcome.
    pub kind: PointKind,
}

/// A stretch of the run with its phase kind.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPhase {
    /// `baseline`, `ramp_up`, `plateau`, ...
    pub kind: String,
    /// Start, seconds into the test.
    pub start: f64,
    /// End, seconds into the test.
    pub end: f64,
}

/// One signature's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Signature id.
    pub id: String,
    /// True for a failure signature.
    pub failure: bool,
    /// Matches in all.
    pub count: u64,
    /// First occurrence, seconds into the test.
    pub first: Option<f64>,
    /// Occurrences, seconds into the test (at most [`MAX_MARKS`], evenly thinned).
    pub marks: Vec<f64>,
}

/// The data of every chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlotData {
    /// The origin of the time axes (UTC µs).
    pub t0: Option<Micros>,
    /// Requests with an elapsed time in the run.
    pub requests: u64,
    /// The requests drawn.
    pub points: Vec<PlotPoint>,
    /// Rolling latency over all requests: (seconds into the test, median ms, p95 ms) per slice.
    pub rolling: Vec<(f64, f64, f64)>,
    /// Latency phases.
    pub phases: Vec<PlotPhase>,
    /// One lane per signature found, in order of first occurrence.
    pub lanes: Vec<Lane>,
}

/// Evenly thins `v` to at most `n` items, keeping the first.
fn thin<T: Copy>(v: &[T], n: usize) -> Vec<T> {
    if v.len() <= n {
        return v.to_vec();
    }
    let step = v.len().div_ceil(n.max(1));
    v.iter().step_by(step).copied().collect()
}

/// `thin` of the `len` items of `items`, without gathering them first.
fn thinned<T>(items: impl Iterator<Item = T>, len: usize, n: usize) -> Vec<T> {
    let step = if len <= n { 1 } else { len.div_ceil(n.max(1)) };
    items.step_by(step).collect()
}

/// Builds the chart data from the stages' results. The requests are read from the timeline in
/// a few passes rather than gathered: a run has millions, and only the points drawn are kept.
pub fn build(p: &Parts<'_>) -> PlotData {
    let requests = || {
        p.timeline.events.iter().filter_map(|ev| match (&ev.kind, ev.ts) {
            (EventKind::Request(r), Some(ts)) => Some((ts, r)),
            _ => None,
        })
    };
    let t0 = requests().map(|(ts, _)| ts).min().or(p.timeline.span.map(|s| s.0));
    let Some(origin) = t0 else { return PlotData::default() };
    let secs = |t: Micros| (t - origin) as f64 / SECOND as f64;
    // Timeline events are in time order, so these are too.
    let all = || {
        requests().filter_map(|(ts, r)| {
            let ms = r.elapsed_ms().filter(|m| m.is_finite())?;
            let kind = match r.status() {
                None => PointKind::NoResponse,
                Some(s) if (200..300).contains(&s) => PointKind::Ok,
                Some(s) if (500..600).contains(&s) => PointKind::ServerError,
                Some(_) => PointKind::Other,
            };
            Some(PlotPoint { t: (ts as f64 - origin as f64) / SECOND as f64, ms, kind })
        })
    };
    let failing =
        |pt: &PlotPoint| matches!(pt.kind, PointKind::ServerError | PointKind::NoResponse);
    let (requests, failures) =
        all().fold((0, 0), |(n, f), pt| (n + 1, f + usize::from(failing(&pt))));
    let rolling = rolling(all());
    let failed = thinned(all().filter(failing), failures, MAX_FAILED_POINTS);
    let ok = all().filter(|pt| !failing(pt));
    let mut points = thinned(ok, requests - failures, MAX_POINTS - failed.len());
    points.extend(failed);
    let phases = p
        .loadtest
        .phases
        .iter()
        .flat_map(|ph| ph.phases.iter())
        .filter_map(|ph| {
            Some(PlotPhase {
                kind: ph.kind.as_str().to_string(),
                start: secs(ph.start?),
                end: secs(ph.end?),
            })
        })
        .collect();
    let mut lanes: Vec<Lane> = p
        .findings
        .iter()
        .map(|f| {
            let s = &p.catalog.signatures[f.signature];
            let mut times = f.times.clone();
            times.sort_unstable();
            let marks: Vec<f64> = thin(&times, MAX_MARKS).into_iter().map(secs).collect();
            Lane {
                id: s.id.clone(),
                failure: s.failure,
                count: f.count,
                first: f.first_seen.map(secs),
                marks,
            }
        })
        .collect();
    lanes.sort_by(|a, b| a.first.unwrap_or(f64::MAX).total_cmp(&b.first.unwrap_or(f64::MAX)));
    PlotData { t0, requests: requests as u64, points, rolling, phases, lanes }
}

/// Median and p95 of the elapsed times in each of [`SLICES`] equal slices of the send span, from
/// points in time order.
fn rolling(all: impl Iterator<Item = PlotPoint> + Clone) -> Vec<(f64, f64, f64)> {
    let (Some(first), Some(last)) = (all.clone().next(), all.clone().last()) else {
        return Vec::new();
    };
    let span = (last.t - first.t).max(1e-6);
    let width = span / SLICES as f64;
    let mut out = Vec::new();
    let mut all = all.peekable();
    for k in 0..SLICES {
        let end = first.t + width * (k + 1) as f64;
        let mut v: Vec<f64> = Vec::new();
        while let Some(pt) = all.next_if(|pt| pt.t < end || k + 1 == SLICES) {
            v.push(pt.ms);
        }
        let mid = first.t + width * (k as f64 + 0.5);
        v.sort_unstable_by(f64::total_cmp);
        if let (Some(m), Some(p95)) = (stats::median(&v), stats::percentile(&v, 95.0)) {
            out.push((mid, m, p95));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_at_most_n_evenly() {
        let v: Vec<u32> = (0..1000).collect();
        let t = thin(&v, 100);
        assert!(t.len() <= 100 && t.len() >= 90, "{}", t.len());
        assert_eq!(t[0], 0);
        assert_eq!(t[1], 10);
        assert_eq!(thin(&v[..5], 100), vec![0, 1, 2, 3, 4]);
        for (len, n) in [(1000, 100), (1000, 7), (5, 100), (0, 3), (999, 1000), (1000, 999)] {
            assert_eq!(thinned(v[..len].iter().copied(), len, n), thin(&v[..len], n), "{len} {n}");
        }
    }

    #[test]
    fn rolling_slices_cover_every_request() {
        let pts: Vec<PlotPoint> = (0..1000)
            .map(|i| PlotPoint {
                t: i as f64 / 10.0,
                ms: if i < 500 { 10.0 } else { 100.0 },
                kind: PointKind::Ok,
            })
            .collect();
        let r = rolling(pts.iter().copied());
        assert_eq!(r.len(), SLICES);
        assert_eq!(r[0].1, 10.0);
        assert_eq!(r[SLICES - 1].1, 100.0);
        assert!(r.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
