//! The onset: the moment a run turns bad, found from the data (issue 11, point 2). The search
//! is pure arithmetic on time buckets; [`of_run`] buckets a run's requests by the funnel's
//! time buckets ([`crate::flow`]) and chooses among the signals.
//!
//! Three signals of a run, each segmented the same way and then judged:
//!
//! - **the failure rate** ([`rate_onset`] on [`Bucket`]s): per bucket, the requests sent and
//!   those that failed (5xx or no response);
//! - **the funnel loss** ([`rate_onset`] too): per bucket, the requests sent and those lost in
//!   the application's pipeline ([`crate::flow::Bucket::lost`]), only with an application log;
//! - **latency** ([`latency_onset`]): per [`LatencyBucket`], the latencies of the requests sent
//!   in it (every request's latency, not a per-bucket median, so that the test sees the
//!   samples and a bucket with few requests weighs little).
//!
//! **The run's onset** ([`choose`]): when the failure rate is bad from the start
//! ([`Finding::FromStart`]), so is the run: there is no healthy time before to compare with.
//! Otherwise it is the earliest onset of the three: a slowdown, or requests going missing,
//! before the first 5xx is when the run turned bad. On a tie (the same bucket) the failure
//! rate comes first, then the funnel loss, then latency. Without any onset, the run is
//! [`Finding::TooFew`] when the failure rate's search said so, else [`Finding::Stable`]. A
//! latency onset is judged on its own segments; its window may end before the failures start.
//!
//! **Method: binary segmentation.** Buckets without requests are set aside (they carry no
//! evidence; an onset is always placed on a bucket with requests). The series is split where
//! the cost drops most, as long as the drop exceeds the penalty, and each side again, with at
//! least [`MIN_SEGMENT`] buckets per segment. The costs are twice the negative log-likelihood
//! of a segment at its own fitted parameter:
//!
//! - rate: binomial, `−2·[B·ln(B/N) + (N−B)·ln(1 − B/N)]` for `B` bad of `N` requests;
//! - latency: Gaussian on `ln(latency)` with one variance for the whole run (pooled within
//!   buckets), `Σ (y − ȳ)² / σ²`; the logarithm because latencies are skewed and a slowdown
//!   multiplies them. Latency that wanders between buckets is not modelled (the variance is the
//!   within-bucket one), so a wandering series gets extra change points; the [`LATENCY_RATIO`]
//!   and [`LATENCY_RISE_MS`] keep them from being an onset.
//!
//! **Penalty: BIC**, `2·ln n` per change point (a change adds two parameters: where, and the new
//! level), `n` the number of requests. The drop in cost at a split is the likelihood-ratio
//! statistic, so a split is kept when it beats BIC.
//!
//! **Overdispersion.** Real failure counts wander from bucket to bucket more than a binomial
//! allows (bursts, retries, a slow worker), and the binomial cost then takes every wander for a
//! change. So the rate series is segmented, the dispersion `φ` of the bucket counts around
//! their segments is measured (Pearson's χ² per degree of freedom, the largest 2 % of bucket
//! terms left out as spikes, at least 1), and the series is segmented again with the penalty
//! times `φ` (quasi-likelihood), a few rounds until `φ` settles. The tests below then see the
//! counts divided by `φ`, the effective sample size. Binomial counts give `φ = 1`: nothing
//! changes. In a simulation with the rate wandering log-normally (σ = 0.5) around 2 %, 6 of 100
//! healthy runs had an onset without this, none with it, and a threefold rise is still found
//! in all of them (test `overdispersion_is_not_an_onset_and_does_not_hide_one`).
//!
//! **The onset** is the first change point after which the signal rises significantly: the
//! segment after it against the segment before it, by Fisher's exact test for the rate
//! ([`fisher_greater`], on the counts divided by `φ`) or Mann–Whitney U for latency ([`mann_whitney_greater`]), one-sided,
//! at [`ALPHA`] = 0.001; for latency the median must also grow by [`LATENCY_RATIO`] = 1.5×, as
//! thousands of requests make a 5 % shift significant yet not an incident, and by at least
//! [`LATENCY_RISE_MS`] = 50 ms, as a fast endpoint wanders by half its few milliseconds in a
//! healthy run (the `healthy-baseline` sample: 13 ms to 22 ms between two stretches). The bad window runs
//! on through the following segments while they stay significantly above the segment before
//! the onset, so a recovery ends it ([`Onset::until_us`]) and a second wave is not merged into
//! the first. The p-value is nominal: the split was chosen to fit the data, which is why
//! [`ALPHA`] is small and the penalty comes first.
//!
//! **No onset** ([`Finding`]):
//!
//! - fewer than [`MIN_REQUESTS`] = 50 requests (or latencies) in all: too few to test
//!   ([`Finding::TooFew`]);
//! - the first segment is already bad: a bad rate of [`FROM_START_RATE`] = 5 % or more
//!   ([`Finding::FromStart`]): there is no healthy time before to compare with; a later
//!   worsening (a second wave) is not the moment the run turned bad. It ends at the first
//!   segment below that rate. Not used for latency, which has no absolute "bad";
//! - nothing rises ([`Finding::Stable`]).
//!
//! **Spikes.** A change carried by a single bucket is a spike, not an onset: the bad window
//! must still pass its test with its worst bucket left out; so must a bad first segment, both
//! the [`FROM_START_RATE`] and the test against the healthiest later segment.
//!
//! ```
//! use rootcause::onset::{rate_onset, Bucket, Finding, Options};
//!
//! // One bucket per second: 1 failure in 100 for a minute, then 30 in 100.
//! let buckets: Vec<Bucket> = (0..90)
//!     .map(|i| Bucket { start_us: i * 1_000_000, total: 100, bad: if i < 60 { (i % 2) as u64 } else { 30 } })
//!     .collect();
//! let Finding::Onset(onset) = rate_onset(&buckets, &Options::default()) else { panic!() };
//! assert_eq!(onset.at_us, 60_000_000);
//! assert_eq!(onset.before, (6000, 30));
//! assert_eq!(onset.after, (3000, 900));
//! assert_eq!(onset.until_us, None, "it never recovered");
//! assert!(onset.p_value < 1e-100);
//! ```

use crate::compare::stats::{fisher_greater, mann_whitney_greater};

/// The fewest requests a series needs before an onset is looked for.
pub const MIN_REQUESTS: u64 = 50;

/// The fewest buckets (with requests) in a segment.
pub const MIN_SEGMENT: usize = 2;

/// The one-sided significance level of a rise.
pub const ALPHA: f64 = 0.001;

/// The bad rate of a first segment that makes the run bad from its start.
pub const FROM_START_RATE: f64 = 0.05;

/// How many times slower (median) the window after a latency onset must be.
pub const LATENCY_RATIO: f64 = 1.5;

/// How many milliseconds the median latency after a latency onset must grow by, at least.
pub const LATENCY_RISE_MS: f64 = 50.0;

/// One time bucket of the rate series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the bucket (µs).
    pub start_us: i64,
    /// Requests sent in it.
    pub total: u64,
    /// Those that failed (5xx or no response), or were lost in the funnel.
    pub bad: u64,
}

/// One time bucket of the latency series.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyBucket {
    /// Start of the bucket (µs).
    pub start_us: i64,
    /// The latencies (ms) of the requests sent in it; values that are not positive and finite
    /// are ignored.
    pub latencies_ms: Vec<f64>,
}

/// Which signal found the onset, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The bad rate: binary segmentation with the binomial cost and BIC penalty (scaled by the
    /// measured dispersion), then Fisher's exact test.
    Rate,
    /// Latency: binary segmentation with the Gaussian cost on log latency and BIC penalty, then
    /// Mann–Whitney U, the [`LATENCY_RATIO`] and the [`LATENCY_RISE_MS`].
    Latency,
}

/// Where the run turned bad.
#[derive(Debug, Clone, PartialEq)]
pub struct Onset {
    /// Start of the segment before the onset (µs): the window the rise is measured against,
    /// which ends at [`Onset::at_us`].
    pub from_us: i64,
    /// Start of the first bucket of the bad window (µs).
    pub at_us: i64,
    /// Start of the first bucket after the bad window (µs), when it recovered; `None` when the
    /// bad window runs to the end.
    pub until_us: Option<i64>,
    /// `(requests, bad)` in the segment before the onset (latency: `(requests, 0)`).
    pub before: (u64, u64),
    /// `(requests, bad)` in the bad window (latency: `(requests, 0)`).
    pub after: (u64, u64),
    /// The one-sided p-value of the rise (bad window against the segment before; for the rate,
    /// on the counts divided by the dispersion). Nominal: the split was fitted to the data.
    pub p_value: f64,
    /// How it was found.
    pub method: Method,
    /// Every change point found (bucket starts, µs), the onset among them.
    pub change_points: Vec<i64>,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The run turned bad at this onset.
    Onset(Onset),
    /// The run was bad from its first bucket: no healthy time before it.
    FromStart {
        /// `(requests, bad)` in the bad first segment.
        first: (u64, u64),
        /// Start of the bucket where it stopped being bad, if it did.
        until_us: Option<i64>,
    },
    /// Nothing rose significantly (a healthy run, or one that only got better).
    Stable,
    /// Too few requests to tell ([`MIN_REQUESTS`]).
    TooFew {
        /// Requests in the series.
        total: u64,
    },
}

/// Thresholds of the search (the defaults are the constants above).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// [`MIN_REQUESTS`].
    pub min_requests: u64,
    /// [`MIN_SEGMENT`].
    pub min_segment: usize,
    /// [`ALPHA`].
    pub alpha: f64,
    /// [`FROM_START_RATE`].
    pub from_start_rate: f64,
    /// [`LATENCY_RATIO`].
    pub latency_ratio: f64,
    /// [`LATENCY_RISE_MS`].
    pub latency_rise_ms: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            min_requests: MIN_REQUESTS,
            min_segment: MIN_SEGMENT,
            alpha: ALPHA,
            from_start_rate: FROM_START_RATE,
            latency_ratio: LATENCY_RATIO,
            latency_rise_ms: LATENCY_RISE_MS,
        }
    }
}

/// Binary segmentation of `len` points by `cost(a, b)` (the cost of points `a..b`): the change
/// points (indices where a segment starts), ascending.
fn segment(
    len: usize,
    min_seg: usize,
    penalty: f64,
    cost: &dyn Fn(usize, usize) -> f64,
) -> Vec<usize> {
    let min_seg = min_seg.max(1);
    let mut found = Vec::new();
    let mut todo = vec![(0, len)];
    while let Some((a, b)) = todo.pop() {
        if b - a < 2 * min_seg {
            continue;
        }
        let whole = cost(a, b);
        let mut best: Option<(f64, usize)> = None;
        for t in a + min_seg..=b - min_seg {
            let gain = whole - cost(a, t) - cost(t, b);
            // The first of equal gains: the earliest split.
            if best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, t));
            }
        }
        if let Some((gain, t)) = best
            && gain > penalty
        {
            found.push(t);
            todo.push((a, t));
            todo.push((t, b));
        }
    }
    found.sort_unstable();
    found
}

/// `2·ln n`: BIC for a change point's location and new level.
fn bic(n: u64) -> f64 {
    2.0 * (n.max(2) as f64).ln()
}

/// Twice the negative binomial log-likelihood of `bad` of `total` at its own rate.
fn binomial_cost(total: u64, bad: u64) -> f64 {
    let xlnx = |x: f64, n: f64| if x > 0.0 { x * (x / n).ln() } else { 0.0 };
    let (n, k) = (total as f64, bad as f64);
    -2.0 * (xlnx(k, n) + xlnx(n - k, n))
}

/// The dispersion of the buckets' bad counts around their segment's rate: Pearson's χ² per
/// degree of freedom, with the largest 2 % of the buckets' terms left out (spikes), at least 1.
/// 1 for binomial counts; more when the rate wanders from bucket to bucket more than chance
/// allows (bursty traffic, retries), which would otherwise make every wander a change point.
fn dispersion(
    kept: &[Bucket],
    segs: &[(usize, usize)],
    sum: &dyn Fn(usize, usize) -> (u64, u64),
) -> f64 {
    let mut terms = Vec::with_capacity(kept.len());
    for &(a, b) in segs {
        let (n, k) = sum(a, b);
        let p = k as f64 / n as f64;
        if p <= 0.0 || p >= 1.0 {
            // No variance to measure: every bucket is all good (or all bad).
            terms.extend(std::iter::repeat_n(0.0, b - a));
            continue;
        }
        terms.extend(kept[a..b].iter().map(|x| {
            let e = x.total as f64 * p;
            (x.bad as f64 - e).powi(2) / (e * (1.0 - p))
        }));
    }
    terms.sort_unstable_by(f64::total_cmp);
    let keep = terms.len() - terms.len().div_ceil(50);
    let dof = keep.saturating_sub(segs.len()).max(1);
    (terms[..keep].iter().sum::<f64>() / dof as f64).max(1.0)
}

/// Segments `0..len` at `cps`: `(start, end)` index ranges.
fn spans(len: usize, cps: &[usize]) -> Vec<(usize, usize)> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cps);
    bounds.push(len);
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Finds the onset of the bad rate (see the module doc).
pub fn rate_onset(buckets: &[Bucket], o: &Options) -> Finding {
    let kept: Vec<Bucket> = buckets
        .iter()
        .filter(|b| b.total > 0)
        .map(|b| Bucket { bad: b.bad.min(b.total), ..*b })
        .collect();
    let total: u64 = kept.iter().map(|b| b.total).sum();
    if total < o.min_requests.max(1) {
        return Finding::TooFew { total };
    }
    let mut pre = vec![(0u64, 0u64)];
    for b in &kept {
        let (n, k) = pre[pre.len() - 1];
        pre.push((n + b.total, k + b.bad));
    }
    let sum = |a: usize, b: usize| (pre[b].0 - pre[a].0, pre[b].1 - pre[a].1);
    let cost = |a: usize, b: usize| {
        let (n, k) = sum(a, b);
        binomial_cost(n, k)
    };
    // Segment, estimate the dispersion around the segments, and segment again with the cost
    // scaled down by it, until it settles (a few rounds).
    let mut phi = 1.0;
    let mut cps = segment(kept.len(), o.min_segment, bic(total), &cost);
    for _ in 0..4 {
        let next = dispersion(&kept, &spans(kept.len(), &cps), &sum);
        if (next - phi).abs() < 0.05 * phi {
            break;
        }
        phi = next;
        cps = segment(kept.len(), o.min_segment, bic(total) * phi, &cost);
    }
    let segs = spans(kept.len(), &cps);
    let start = |i: usize| kept.get(i).map(|b| b.start_us);
    // Counts deflated by the dispersion: the effective sample size.
    let deflate =
        |(n, k): (u64, u64)| ((n as f64 / phi).round() as u64, (k as f64 / phi).round() as u64);
    // `(n, k)` of `a..b` without its bucket with the most failures.
    let without_worst = |a: usize, b: usize| {
        let (n, k) = sum(a, b);
        let worst = kept[a..b].iter().max_by_key(|x| x.bad).map_or((0, 0), |x| (x.total, x.bad));
        (n - worst.0, k - worst.1)
    };
    let rises = |base: (u64, u64), after: (u64, u64)| {
        let ((n0, k0), (n1, k1)) = (deflate(base), deflate(after));
        fisher_greater(k0, n0, k1, n1).filter(|p| *p <= o.alpha)
    };
    // The end of a bad window starting at segment `i`: the first later segment that is not
    // significantly worse than `base`.
    let window_end = |i: usize, base: (u64, u64)| {
        let mut j = i + 1;
        while j < segs.len() && rises(base, sum(segs[j].0, segs[j].1)).is_some() {
            j += 1;
        }
        segs.get(j).map_or(kept.len(), |s| s.0)
    };
    let (a0, b0) = segs[0];
    let (n0, k0) = sum(a0, b0);
    let (n0w, k0w) = without_worst(a0, b0);
    // The healthiest later segment, to tell a bad first segment from a spike at the start.
    let healthiest = segs
        .iter()
        .skip(1)
        .map(|s| sum(s.0, s.1))
        .min_by(|x, y| (x.1 as f64 * y.0 as f64).total_cmp(&(y.1 as f64 * x.0 as f64)));
    let bad_first = k0 as f64 >= o.from_start_rate * n0 as f64
        && k0w as f64 >= o.from_start_rate * n0w as f64
        && healthiest.is_none_or(|h| rises(h, (n0w, k0w)).is_some());
    if bad_first {
        // Bad from the start: it lasts until a segment below the from-start rate.
        let end = segs
            .iter()
            .skip(1)
            .find(|s| {
                let (n, k) = sum(s.0, s.1);
                (k as f64) < o.from_start_rate * n as f64
            })
            .map_or(kept.len(), |s| s.0);
        return Finding::FromStart { first: (n0, k0), until_us: start(end) };
    }
    for i in 1..segs.len() {
        let base = sum(segs[i - 1].0, segs[i - 1].1);
        let end = window_end(i, base);
        let after = sum(segs[i].0, end);
        let Some(p) = rises(base, after) else { continue };
        if rises(base, without_worst(segs[i].0, end)).is_none() {
            continue;
        }
        return Finding::Onset(Onset {
            from_us: kept[segs[i - 1].0].start_us,
            at_us: kept[segs[i].0].start_us,
            until_us: start(end),
            before: base,
            after,
            p_value: p,
            method: Method::Rate,
            change_points: cps.iter().map(|&c| kept[c].start_us).collect(),
        });
    }
    Finding::Stable
}

/// Finds the onset of a slowdown (see the module doc). [`Onset::before`] and
/// [`Onset::after`] count requests, with 0 bad.
pub fn latency_onset(buckets: &[LatencyBucket], o: &Options) -> Finding {
    let kept: Vec<(i64, Vec<f64>)> = buckets
        .iter()
        .map(|b| {
            let ok: Vec<f64> =
                b.latencies_ms.iter().copied().filter(|x| x.is_finite() && *x > 0.0).collect();
            (b.start_us, ok)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let total = kept.iter().map(|(_, v)| v.len() as u64).sum::<u64>();
    if total < o.min_requests.max(1) {
        return Finding::TooFew { total };
    }
    // Prefix sums of n, Σy, Σy² for y = ln(latency), and the pooled within-bucket variance.
    let mut pre = vec![(0.0f64, 0.0f64, 0.0f64)];
    let (mut within, mut dof) = (0.0, 0.0);
    for (_, v) in &kept {
        let (n, s1, s2) = v.iter().fold((0.0, 0.0, 0.0), |(n, s1, s2), x| {
            let y = x.ln();
            (n + 1.0, s1 + y, s2 + y * y)
        });
        within += (s2 - s1 * s1 / n).max(0.0);
        dof += n - 1.0;
        let last = pre[pre.len() - 1];
        pre.push((last.0 + n, last.1 + s1, last.2 + s2));
    }
    // A floor keeps identical latencies from making every difference infinitely significant.
    // With few repeated samples per bucket, the whole run's variance (conservative: it includes
    // any shift).
    let (n, s1, s2) = pre[pre.len() - 1];
    let var = if dof >= 10.0 { within / dof } else { (s2 - s1 * s1 / n) / (n - 1.0).max(1.0) };
    let var = var.max(1e-4);
    let cost = |a: usize, b: usize| {
        let (n, s1, s2) = (pre[b].0 - pre[a].0, pre[b].1 - pre[a].1, pre[b].2 - pre[a].2);
        if n > 0.0 { (s2 - s1 * s1 / n).max(0.0) / var } else { 0.0 }
    };
    let cps = segment(kept.len(), o.min_segment, bic(total), &cost);
    let segs = spans(kept.len(), &cps);
    let start = |i: usize| kept.get(i).map(|b| b.0);
    let samples = |a: usize, b: usize| -> Vec<f64> {
        kept[a..b].iter().flat_map(|(_, v)| v.iter().copied()).collect()
    };
    let median = |mut v: Vec<f64>| crate::compare::stats::percentile(&mut v, 50.0).unwrap_or(0.0);
    let slower = |base: &[f64], after: Vec<f64>| {
        let (m0, m1) = (median(base.to_vec()), median(after.clone()));
        let ratio_ok = m1 >= o.latency_ratio * m0 && m1 - m0 >= o.latency_rise_ms;
        mann_whitney_greater(base, &after).filter(|p| ratio_ok && *p <= o.alpha)
    };
    for i in 1..segs.len() {
        let base = samples(segs[i - 1].0, segs[i - 1].1);
        let mut end = i + 1;
        while end < segs.len() && slower(&base, samples(segs[end].0, segs[end].1)).is_some() {
            end += 1;
        }
        let end = segs.get(end).map_or(kept.len(), |s| s.0);
        let after = samples(segs[i].0, end);
        let n_after = after.len() as u64;
        let Some(p) = slower(&base, after) else { continue };
        // Without its slowest bucket (by median), the window must still be slower.
        let worst = (segs[i].0..end)
            .max_by(|&x, &y| median(kept[x].1.clone()).total_cmp(&median(kept[y].1.clone())))
            .unwrap_or(segs[i].0);
        let rest: Vec<f64> = (segs[i].0..end)
            .filter(|&x| x != worst)
            .flat_map(|x| kept[x].1.iter().copied())
            .collect();
        if slower(&base, rest).is_none() {
            continue;
        }
        return Finding::Onset(Onset {
            from_us: kept[segs[i - 1].0].0,
            at_us: kept[segs[i].0].0,
            until_us: start(end),
            before: (base.len() as u64, 0),
            after: (n_after, 0),
            p_value: p,
            method: Method::Latency,
            change_points: cps.iter().map(|&c| kept[c].0).collect(),
        });
    }
    Finding::Stable
}

#[cfg(test)]
mod tests;

/// How the failure-rate signal is searched, in a sentence for reports.
pub const RATE_METHOD: &str = "binary segmentation of the failure rate (5xx or no response) over the \
    funnel's time buckets, binomial cost with a BIC penalty scaled by the measured \
    overdispersion; the first change point after which the rate rose, by Fisher's exact test \
    at p <= 0.001";

/// How the funnel-loss signal is searched, in a sentence for reports.
pub const FUNNEL_METHOD: &str = "binary segmentation of the funnel loss (sent requests lost in the \
    application's pipeline) over the funnel's time buckets, binomial cost with a BIC penalty \
    scaled by the measured overdispersion; the first change point after which the loss rose, \
    by Fisher's exact test at p <= 0.001";

/// How the latency signal is searched, in a sentence for reports.
pub const LATENCY_METHOD: &str = "binary segmentation of the log latency of the requests sent in \
    each of the funnel's time buckets, Gaussian cost with a BIC penalty; the first change point \
    after which latency rose, by the Mann-Whitney U test at p <= 0.001 with the median at \
    least 1.5 times the one before and 50 ms above it";

/// A series of the run that an onset is searched in. The order is the order of preference
/// when two signals have their onset in the same bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    /// 5xx or no response, per request sent ([`rate_onset`]).
    FailureRate,
    /// Sent requests lost in the application's pipeline, per request sent ([`rate_onset`]);
    /// only with an application log.
    FunnelLoss,
    /// The latency of the requests sent ([`latency_onset`]).
    Latency,
}

impl Signal {
    /// Its name in reports: `failure_rate`, `funnel_loss`, `latency`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::FailureRate => "failure_rate",
            Signal::FunnelLoss => "funnel_loss",
            Signal::Latency => "latency",
        }
    }

    /// How it is searched: [`RATE_METHOD`], [`FUNNEL_METHOD`] or [`LATENCY_METHOD`].
    pub fn method(self) -> &'static str {
        match self {
            Signal::FailureRate => RATE_METHOD,
            Signal::FunnelLoss => FUNNEL_METHOD,
            Signal::Latency => LATENCY_METHOD,
        }
    }
}

/// The onset of a run ([`of_run`]): what each signal found, and the run's finding chosen from
/// them (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The run's finding.
    pub chosen: Finding,
    /// The signal `chosen` comes from: the one with the chosen onset; the failure rate when
    /// no signal has an onset (its finding says why: from the start, too few, or stable).
    pub signal: Signal,
    /// Each signal searched, with its own finding, in [`Signal`] order.
    pub signals: Vec<(Signal, Finding)>,
    /// For an onset, `(requests sent, failed)` (5xx or no response) in the segment before it
    /// ([`Onset::from_us`] to [`Onset::at_us`]) and in the bad window, counted in the flow's
    /// buckets whatever the signal: a latency onset's own counts have no failures in them.
    pub windows: Option<((u64, u64), (u64, u64))>,
    /// For an onset, the median latency (ms) of the requests sent in the segment before it and
    /// in the bad window, when both have latencies.
    pub median_ms: Option<(f64, f64)>,
}

/// The run's finding from each signal's: when the failure rate is bad from the start, that
/// (there is no healthy time before); else the earliest onset of any signal, the first in
/// [`Signal`] order on a tie; else the failure rate's finding when it is too few requests,
/// and stable otherwise. `signals` lists each signal once; the failure rate counts as stable
/// when it is missing.
pub fn choose(signals: &[(Signal, Finding)]) -> (Signal, Finding) {
    let rate = signals.iter().find(|(s, _)| *s == Signal::FailureRate).map(|(_, f)| f);
    if let Some(f @ Finding::FromStart { .. }) = rate {
        return (Signal::FailureRate, f.clone());
    }
    let mut sorted: Vec<&(Signal, Finding)> = signals.iter().collect();
    sorted.sort_by_key(|(s, _)| *s);
    let mut best: Option<(Signal, &Onset)> = None;
    for (s, f) in sorted {
        if let Finding::Onset(o) = f
            && best.is_none_or(|(_, b)| o.at_us < b.at_us)
        {
            best = Some((*s, o));
        }
    }
    match (best, rate) {
        (Some((s, o)), _) => (s, Finding::Onset(o.clone())),
        (None, Some(f @ Finding::TooFew { .. })) => (Signal::FailureRate, f.clone()),
        (None, _) => (Signal::FailureRate, Finding::Stable),
    }
}

/// The latencies (ms) of the timeline's requests by the flow's buckets: every request with a
/// send time and an elapsed time, in the bucket it was sent in (none outside the buckets).
pub fn latency_buckets(
    flow: &crate::flow::Flow,
    events: &[crate::model::Event],
) -> Vec<LatencyBucket> {
    let mut out: Vec<LatencyBucket> = flow
        .buckets
        .iter()
        .map(|b| LatencyBucket { start_us: b.start, latencies_ms: Vec::new() })
        .collect();
    let (Some(first), true) = (flow.buckets.first(), flow.bucket > 0) else { return out };
    for e in events {
        let (crate::model::EventKind::Request(r), Some(ts)) = (&e.kind, e.ts) else { continue };
        let Some(ms) = r.elapsed_ms() else { continue };
        let i = (ts - first.start).div_euclid(flow.bucket);
        if let Some(b) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            b.latencies_ms.push(ms);
        }
    }
    out
}

/// The onset of a run: the failure rate (5xx or no response per request sent), the funnel loss
/// (sent requests lost in the application's pipeline, with an application log) and the
/// latency of the requests sent, each over the flow's time buckets (by send time), and the
/// run's finding chosen from them ([`choose`]).
pub fn of_run(flow: &crate::flow::Flow, timeline: &crate::correlate::Timeline) -> Found {
    let o = Options::default();
    let rate: Vec<Bucket> = flow
        .buckets
        .iter()
        .map(|b| Bucket { start_us: b.start, total: b.sent, bad: b.status_5xx + b.no_response })
        .collect();
    let mut signals = vec![(Signal::FailureRate, rate_onset(&rate, &o))];
    if flow.has_app {
        let lost: Vec<Bucket> = flow
            .buckets
            .iter()
            .map(|b| Bucket { start_us: b.start, total: b.sent, bad: b.lost.total() })
            .collect();
        signals.push((Signal::FunnelLoss, rate_onset(&lost, &o)));
    }
    let latencies = latency_buckets(flow, &timeline.events);
    signals.push((Signal::Latency, latency_onset(&latencies, &o)));
    let (signal, chosen) = choose(&signals);
    let (mut windows, mut median_ms) = (None, None);
    if let Finding::Onset(on) = &chosen {
        let until = on.until_us.unwrap_or(i64::MAX);
        let counts = |a: i64, b: i64| {
            flow.buckets
                .iter()
                .filter(|x| (a..b).contains(&x.start))
                .fold((0, 0), |(n, k), x| (n + x.sent, k + x.status_5xx + x.no_response))
        };
        windows = Some((counts(on.from_us, on.at_us), counts(on.at_us, until)));
        let median = |a: i64, b: i64| {
            let mut v: Vec<f64> = latencies
                .iter()
                .filter(|x| (a..b).contains(&x.start_us))
                .flat_map(|x| x.latencies_ms.iter().copied())
                .filter(|x| x.is_finite() && *x > 0.0)
                .collect();
            crate::compare::stats::percentile(&mut v, 50.0)
        };
        median_ms = median(on.from_us, on.at_us).zip(median(on.at_us, until));
    }
    Found { chosen, signal, signals, windows, median_ms }
}
