//! Latency phases over the course of a test: the baseline, the knee where latency leaves it,
//! the ramp up, the plateau, the ramp down and the recovery.
//!
//! The ras-party report read these off a scatter plot by eye ("sub 100 ms for the first ~1600
//! requests ... ramp ... plateau of ~16 s ... ramp down"). Here they come from the latencies in
//! send order, smoothed with a rolling median so that single outliers do not move a boundary:
//!
//! 1. **Baseline** level `B`: the median of the first requests (a tenth of the run, at least
//!    one smoothing window, at most 500 requests).
//! 2. **Knee**: the first request from which the rolling median stays above
//!    `max(2·B, B + 50 ms)` for at least one window. No knee: the run is one `steady` phase.
//! 3. **Plateau**: the longest stretch after the knee where the rolling median stays within
//!    20% of the run's high level (the 90th percentile of the rolling median after the knee),
//!    bridging dips shorter than a window. A stretch shorter than a window is no plateau.
//! 4. **Ramp up** lies between the knee and the plateau; **ramp down** between the plateau and
//!    the first request from which the rolling median is back under the knee's threshold for a
//!    window (**recovered**). Without a plateau the stretch after the knee is `degraded`.
//!
//! Phases cover the measured requests without gaps, in order; empty ones are left out. Runs of
//! more than [`MAX_POINTS`] requests are first reduced to bucket medians, so the cost stays
//! linear in the run.

use rootcause_parsers::Micros;

use crate::stats;

/// One measured request: its index in send order (1-based, counting every request sent), its
/// send time and its latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// 1-based index in send order.
    pub index: u64,
    /// Send time.
    pub ts: Micros,
    /// Latency, ms.
    pub ms: f64,
}

/// What a phase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseKind {
    /// The whole run stayed near its starting latency.
    Steady,
    /// Before the knee.
    Baseline,
    /// From the knee up to the plateau.
    RampUp,
    /// The high, flat stretch.
    Plateau,
    /// From the plateau back down.
    RampDown,
    /// Back under the knee's threshold.
    Recovered,
    /// Above the baseline but without a plateau.
    Degraded,
}

impl PhaseKind {
    /// Stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Steady => "steady",
            PhaseKind::Baseline => "baseline",
            PhaseKind::RampUp => "ramp_up",
            PhaseKind::Plateau => "plateau",
            PhaseKind::RampDown => "ramp_down",
            PhaseKind::Recovered => "recovered",
            PhaseKind::Degraded => "degraded",
        }
    }
}

/// One phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// What it is.
    pub kind: PhaseKind,
    /// Index (send order) of its first request.
    pub first_index: u64,
    /// Index of its last request.
    pub last_index: u64,
    /// Send time of its first request.
    pub start: Option<Micros>,
    /// Send time of its last request.
    pub end: Option<Micros>,
    /// Measured requests in it.
    pub requests: u64,
    /// Their latency.
    pub latency: stats::Summary,
}

/// The phases of one run and how they were found.
#[derive(Debug, Clone, PartialEq)]
pub struct Phases {
    /// In order.
    pub phases: Vec<Phase>,
    /// Rolling-median window, in requests.
    pub window: usize,
    /// Baseline latency `B`, ms.
    pub baseline_ms: f64,
    /// The threshold whose crossing is the knee, ms.
    pub knee_threshold_ms: f64,
}

/// Fewer measured requests than this give no phases.
pub const MIN_POINTS: usize = 20;

/// Above this many points, consecutive points are first reduced to their medians in buckets
/// (a boundary then moves by less than a bucket, far less than the smoothing window).
pub const MAX_POINTS: usize = 20_000;

/// [`detect`] on bucket medians, with the phases mapped back to the points themselves.
fn detect_bucketed(points: &[Point]) -> Option<Phases> {
    let k = points.len().div_ceil(MAX_POINTS / 2);
    let buckets: Vec<Point> = points
        .chunks(k)
        .filter_map(|c| {
            let mut v: Vec<f64> = c.iter().map(|p| p.ms).collect();
            v.sort_by(f64::total_cmp);
            Some(Point { index: c.first()?.index, ts: c.first()?.ts, ms: stats::median(&v)? })
        })
        .collect();
    let coarse = detect(&buckets, None)?;
    // Each coarse phase starts at its first bucket's first point.
    let cuts: Vec<(usize, PhaseKind)> = coarse
        .phases
        .iter()
        .map(|ph| (points.partition_point(|p| p.index < ph.first_index), ph.kind))
        .collect();
    let phases = phases_of(points, &cuts);
    Some(Phases { phases, window: coarse.window * k, ..coarse })
}

/// The rolling-median window for `n` points: about a fortieth of the run, odd, 5..=101.
pub fn window_for(n: usize) -> usize {
    ((n / 40).clamp(5, 101)) | 1
}

/// Centered rolling median (the window shrinks at the ends).
fn rolling_median(v: &[f64], w: usize) -> Vec<f64> {
    let half = w / 2;
    let mut buf: Vec<f64> = Vec::with_capacity(w);
    (0..v.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(v.len()));
            buf.clear();
            buf.extend_from_slice(&v[lo..hi]);
            buf.sort_by(f64::total_cmp);
            stats::median(&buf).unwrap_or(v[i])
        })
        .collect()
}

/// First `i >= from` such that `pred` holds for `m[i..i + run]` (or to the end).
fn first_sustained(
    m: &[f64],
    from: usize,
    run: usize,
    pred: impl Fn(f64) -> bool,
) -> Option<usize> {
    let mut start = None;
    for (i, &x) in m.iter().enumerate().skip(from) {
        if pred(x) {
            let s = *start.get_or_insert(i);
            if i + 1 - s >= run {
                return Some(s);
            }
        } else {
            start = None;
        }
    }
    start
}

/// Finds the phases of points given in send order; `window` overrides the smoothing window
/// (series that are already smoothed, such as a load tool's per-interval medians, pass a small
/// one). `None` when there are fewer than [`MIN_POINTS`] points.
pub fn detect(points: &[Point], window: Option<usize>) -> Option<Phases> {
    let n = points.len();
    if n < MIN_POINTS {
        return None;
    }
    if n > MAX_POINTS {
        return detect_bucketed(points);
    }
    let w = window.unwrap_or_else(|| window_for(n)).clamp(1, n);
    let ms: Vec<f64> = points.iter().map(|p| p.ms).collect();
    let m = rolling_median(&ms, w);
    let head = (n / 10).clamp(w, 500).min(n);
    let mut first: Vec<f64> = ms[..head].to_vec();
    first.sort_by(f64::total_cmp);
    let baseline = stats::median(&first)?;
    let threshold = (2.0 * baseline).max(baseline + 50.0);
    let mut cuts: Vec<(usize, PhaseKind)> = Vec::new();
    match first_sustained(&m, 0, w, |x| x > threshold) {
        None => cuts.push((0, PhaseKind::Steady)),
        Some(knee) => {
            if knee > 0 {
                cuts.push((0, PhaseKind::Baseline));
            }
            let mut after: Vec<f64> = m[knee..].to_vec();
            after.sort_by(f64::total_cmp);
            let high = stats::percentile(&after, 90.0)?;
            let level = (0.8 * high).max(threshold);
            let plateau = longest_stretch(&m, knee, w, |x| x >= level);
            match plateau {
                Some((ps, pe)) if pe - ps + 1 >= w => {
                    if ps > knee {
                        cuts.push((knee, PhaseKind::RampUp));
                    }
                    cuts.push((ps, PhaseKind::Plateau));
                    if pe + 1 < n {
                        let rec = first_sustained(&m, pe + 1, w, |x| x <= threshold);
                        match rec {
                            Some(r) if r == pe + 1 => cuts.push((r, PhaseKind::Recovered)),
                            Some(r) => {
                                cuts.push((pe + 1, PhaseKind::RampDown));
                                cuts.push((r, PhaseKind::Recovered));
                            }
                            None => cuts.push((pe + 1, PhaseKind::RampDown)),
                        }
                    }
                }
                _ => {
                    cuts.push((knee, PhaseKind::Degraded));
                    if let Some(r) = first_sustained(&m, knee + w, w, |x| x <= threshold) {
                        cuts.push((r, PhaseKind::Recovered));
                    }
                }
            }
        }
    }
    let phases = phases_of(points, &cuts);
    Some(Phases { phases, window: w, baseline_ms: baseline, knee_threshold_ms: threshold })
}

/// The phases that start at each cut (a position in `points`) and end before the next.
fn phases_of(points: &[Point], cuts: &[(usize, PhaseKind)]) -> Vec<Phase> {
    cuts.iter()
        .enumerate()
        .filter_map(|(k, &(start, kind))| {
            let end = cuts.get(k + 1).map_or(points.len(), |c| c.0);
            let span = points.get(start..end)?;
            let mut v: Vec<f64> = span.iter().map(|p| p.ms).collect();
            Some(Phase {
                kind,
                first_index: span.first()?.index,
                last_index: span.last()?.index,
                start: Some(span.first()?.ts),
                end: Some(span.last()?.ts),
                requests: span.len() as u64,
                latency: stats::summarise(&mut v)?,
            })
        })
        .collect()
}

/// The longest stretch `[s, e]` at or after `from` where `pred` holds, bridging runs of fewer
/// than `gap` points where it does not.
fn longest_stretch(
    m: &[f64],
    from: usize,
    gap: usize,
    pred: impl Fn(f64) -> bool,
) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut cur: Option<(usize, usize)> = None;
    for (i, &x) in m.iter().enumerate().skip(from) {
        if !pred(x) {
            continue;
        }
        cur = match cur {
            Some((s, e)) if i - e <= gap => Some((s, i)),
            _ => Some((i, i)),
        };
        if let Some((s, e)) = cur {
            if best.is_none_or(|(bs, be)| e - s > be - bs) {
                best = Some((s, e));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(ms: &[f64]) -> Vec<Point> {
        ms.iter()
            .enumerate()
            .map(|(i, &ms)| Point { index: i as u64 + 1, ts: i as Micros * 1000, ms })
            .collect()
    }

    fn kinds(p: &Phases) -> Vec<&'static str> {
        p.phases.iter().map(|p| p.kind.as_str()).collect()
    }

    #[test]
    fn a_flat_run_is_one_steady_phase() {
        let v: Vec<f64> = (0..500).map(|i| 40.0 + f64::from(i % 7)).collect();
        let p = detect(&pts(&v), None).unwrap();
        assert_eq!(kinds(&p), ["steady"]);
        assert_eq!((p.phases[0].first_index, p.phases[0].last_index), (1, 500));
        assert!(detect(&pts(&v[..10]), None).is_none());
    }

    #[test]
    fn the_report_shape_is_found_with_its_boundaries() {
        // 1600 fast, 400 ramping to 16 s, 1000 on the plateau, 300 ramping down, 700 fast.
        let mut v: Vec<f64> = Vec::new();
        v.extend((0..1600).map(|i| 50.0 + f64::from(i % 11)));
        v.extend((0..400).map(|i| 60.0 + 16_000.0 * f64::from(i) / 400.0));
        v.extend((0..1000).map(|i| 16_000.0 + f64::from(i % 13) * 50.0));
        v.extend((0..300).map(|i| 16_000.0 - 15_900.0 * f64::from(i) / 300.0));
        v.extend((0..700).map(|i| 60.0 + f64::from(i % 5)));
        let p = detect(&pts(&v), None).unwrap();
        assert_eq!(kinds(&p), ["baseline", "ramp_up", "plateau", "ramp_down", "recovered"]);
        let w = p.window as u64;
        let near = |got: u64, want: u64| got.abs_diff(want) <= w;
        assert!(near(p.phases[1].first_index, 1601), "knee at {}", p.phases[1].first_index);
        assert!(near(p.phases[2].first_index, 1601 + 320), "{:?}", p.phases[2]);
        assert!(near(p.phases[3].first_index, 3001), "{:?}", p.phases[3]);
        assert!(p.phases[2].latency.median >= 16_000.0);
        assert!(p.phases[0].latency.median < 60.0);
        // Phases tile the run.
        assert_eq!(p.phases.iter().map(|p| p.requests).sum::<u64>(), v.len() as u64);
        assert!(p.phases.windows(2).all(|w| w[0].last_index + 1 == w[1].first_index));
    }

    #[test]
    fn long_runs_are_bucketed_and_keep_their_boundaries() {
        let mut v: Vec<f64> = vec![40.0; 60_000];
        v.extend(std::iter::repeat_n(5_000.0, 40_000));
        v.extend(std::iter::repeat_n(45.0, 20_000));
        let p = detect(&pts(&v), None).unwrap();
        assert_eq!(kinds(&p), ["baseline", "plateau", "recovered"]);
        assert!(p.phases[1].first_index.abs_diff(60_001) <= 12, "{:?}", p.phases[1]);
        assert!(p.phases[2].first_index.abs_diff(100_001) <= 12, "{:?}", p.phases[2]);
        assert_eq!(p.phases.iter().map(|p| p.requests).sum::<u64>(), 120_000);
        assert_eq!(p.phases[1].latency.median, 5_000.0);
    }

    #[test]
    fn one_outlier_does_not_make_a_knee_and_a_step_has_no_ramp() {
        let mut v: Vec<f64> = vec![30.0; 400];
        v[200] = 9_000.0;
        assert_eq!(kinds(&detect(&pts(&v), None).unwrap()), ["steady"]);
        v.extend(std::iter::repeat_n(2_000.0, 400));
        let p = detect(&pts(&v), None).unwrap();
        assert_eq!(kinds(&p), ["baseline", "plateau"]);
        assert!(p.phases[1].first_index.abs_diff(401) <= p.window as u64);
    }
}
