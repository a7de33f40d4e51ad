//! Clock skew: puts every input on the application's clock before anything is compared.
//!
//! The application log is the reference clock: its stage events and the signatures of the
//! server side (console, Postgres) are what requests are compared against, and they usually
//! share a host. The skew of an input is its clock minus the reference clock; correcting an
//! input subtracts it from every timestamp.
//!
//! A load test's skew is estimated from the data in two steps:
//!
//! 1. **Cross-correlation** of the per-route counts of requests sent and requests hitting the
//!    app, first in 1 s bins over every lag the two spans allow (coarser when the runs are long,
//!    so the work stays bounded), then refined in finer bins around the best lag. This finds
//!    the skew to within a bin plus the typical delay between sending and hitting.
//! 2. **A scan of lags** within a second or two of that, in 50 ms steps, then in 5 ms steps
//!    around the best (each step matching with a tolerance of one step): at each lag, requests
//!    that got a response are matched to app requests of their route
//!    ([`crate::requests::count_responded`]), each to one that began after the request was
//!    sent and ended before its response arrived. At the true lag nearly every request finds
//!    its own; at a wrong lag requests line up with their neighbours' app requests, which fit
//!    only by chance. The lag matching the most requests wins.
//! 3. **Brackets from unambiguous requests**: a request that exactly one app request can have
//!    served says `last app event − (sent + elapsed) ≤ lag ≤ first app event − sent` (the app
//!    cannot see a request before it is sent, nor finish it after the response arrived). The
//!    stretch of lags that at least 90% of the deepest overlap of these brackets agree on is the
//!    estimate (its middle) and its error (half its width). Requests with several candidates
//!    are left out, so the estimate is not pulled toward the lag they were matched at.
//!
//! The confidence combines the share of requests matched with the width and consistency of the
//! bracket. An estimate below [`MIN_CONFIDENCE`] is reported but not applied. `--skew
//! SOURCE=DURATION` replaces the estimate for SOURCE (and sets the skew of any other input).

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rootcause_parsers::Micros;
use rootcause_parsers::sniff::Format;
use rootcause_parsers::time::SECOND;

use crate::ingest::SourceInfo;
use crate::model::{Event, EventKind, FastHash, SourceId};
use crate::points::StageTimes;
use crate::requests::fold::{self, InputApps};
use crate::requests::{self, AppRequest, Groups, Sent, SentRow};

/// Estimates below this confidence are reported but not applied.
pub const MIN_CONFIDENCE: f64 = 0.3;
/// The largest skew searched for: a day either way.
pub const MAX_SKEW: Micros = 24 * 3600 * SECOND;
/// Most bin pairs the coarse cross-correlation may visit.
const MAX_XCORR_WORK: usize = 30_000_000;
/// The finest bin of the cross-correlation.
const FINEST_BIN: Micros = 100_000;
/// Millisecond, in µs.
const MS: Micros = 1000;

/// How a skew was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The input is on the reference clock (an application log).
    Reference,
    /// Estimated from the data.
    Estimated,
    /// Given with `--skew`.
    Override,
    /// Assumed to share the application's clock (same host); not estimated.
    Assumed,
    /// Could not be estimated (nothing to compare with).
    Unknown,
}

impl Method {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Reference => "reference",
            Method::Estimated => "estimated",
            Method::Override => "override",
            Method::Assumed => "assumed",
            Method::Unknown => "unknown",
        }
    }
}

/// The skew of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Skew {
    /// The input.
    pub source: SourceId,
    /// Its kind: loadtest, app, console, postgres.
    pub role: &'static str,
    /// Its clock minus the reference clock, µs.
    pub skew: Micros,
    /// Half-width of the bracket around an estimate, µs.
    pub error: Option<Micros>,
    /// Confidence of an estimate, 0..1.
    pub confidence: Option<f64>,
    /// How it was obtained.
    pub method: Method,
    /// Requests matched for the estimate.
    pub pairs: u64,
    /// True when the timestamps were corrected by it.
    pub applied: bool,
    /// Why an estimate was not made or not applied.
    pub note: Option<String>,
    /// The coarsest unit its request timestamps are written in (1 s for a tool that writes whole
    /// seconds), µs; zero for inputs that are not load tests.
    pub resolution: Micros,
}

/// The clock tolerance for matching requests: twice the error of the applied estimates plus the
/// load tests' timestamp resolution, at least 50 ms.
pub fn tolerance(skews: &[Skew]) -> Micros {
    skews
        .iter()
        .filter(|s| s.role == "loadtest")
        .map(|s| {
            let err =
                if s.applied && s.method == Method::Estimated { s.error.unwrap_or(0) } else { 0 };
            2 * err + s.resolution
        })
        .max()
        .unwrap_or(0)
        .max(50 * MS)
}

/// The coarsest unit all of `times` are a multiple of: 1 s, 1 ms, or 0 (finer).
fn resolution(times: impl Iterator<Item = Micros>) -> Micros {
    let mut res = SECOND;
    for t in times {
        if t % SECOND != 0 {
            res = res.min(MS);
        }
        if t % MS != 0 {
            return 0;
        }
    }
    res
}

/// The kind of input a format is, as `--skew` names it.
pub fn role(format: Option<Format>) -> &'static str {
    match format {
        Some(f) if f.is_loadtest() => "loadtest",
        Some(Format::JsonLog) => "app",
        Some(Format::Console) => "console",
        Some(f) if f.is_postgres() => "postgres",
        Some(Format::Heroku | Format::CloudFoundry) => "platform",
        _ => "other",
    }
}

/// True when `target` (from `--skew`) names input `s`: its kind, format, path or file name.
fn names(target: &str, s: &SourceInfo) -> bool {
    let path = s.input.display();
    let file = std::path::Path::new(&path).file_name().and_then(|f| f.to_str()).unwrap_or("");
    target == role(s.format)
        || s.format.is_some_and(|f| f.as_str() == target)
        || path == target
        || file == target
        || path.ends_with(&format!("/{target}"))
}

/// Estimates and applies the skew of every input: overrides first, then each load test against
/// the application's stage events. Fails when an override names no input.
pub fn correct(
    events: &mut [Event],
    sources: &[SourceInfo],
    overrides: &[(String, Micros)],
) -> Result<Vec<Skew>, String> {
    let (apps, stages) = fold::from_events(events.iter());
    correct_with_apps(events, apps, stages, sources, overrides).map(|(skews, ..)| skews)
}

/// [`correct`] on the events and the application requests folded from the stage events of a
/// run ([`fold`]), also returning the application requests on the corrected clocks (only
/// load-test inputs are moved after they are built), so that later stages need not rebuild
/// them, and `stages` (what the funnel and the facts read of the stage events) on the
/// corrected clocks.
pub fn correct_with_apps(
    events: &mut [Event],
    apps: Vec<(SourceId, InputApps)>,
    mut stages: StageTimes,
    sources: &[SourceInfo],
    overrides: &[(String, Micros)],
) -> Result<(Vec<Skew>, Vec<AppRequest>, StageTimes), String> {
    let mut given: BTreeMap<SourceId, Micros> = BTreeMap::new();
    for (target, skew) in overrides {
        let hit: Vec<SourceId> =
            sources.iter().filter(|s| names(target, s)).map(|s| s.id).collect();
        if hit.is_empty() {
            return Err(format!(
                "--skew: '{target}' names no input (give a path, a file name, or one of \
                 loadtest, app, console, postgres)"
            ));
        }
        for id in hit {
            given.insert(id, *skew);
        }
    }
    let res: BTreeMap<SourceId, Micros> = sources
        .iter()
        .filter(|s| role(s.format) == "loadtest")
        .map(|s| {
            let times = events.iter().filter(|e| e.source == s.id).filter_map(|e| e.ts);
            (s.id, resolution(times))
        })
        .collect();
    shift(events, &given);
    let apps = fold::finish(apps, &given);
    let is_reference: Vec<bool> = sources
        .iter()
        // A platform stream carries the app's own lines (and clock) like its JSON log.
        .map(|s| {
            matches!(s.format, Some(Format::JsonLog | Format::Heroku | Format::CloudFoundry))
                && !given.contains_key(&s.id)
        })
        .collect();
    stages.shift(&given);
    let mut estimated: BTreeMap<SourceId, Micros> = BTreeMap::new();
    let mut out = Vec::new();
    for s in sources {
        let role = role(s.format);
        let mut skew = Skew {
            source: s.id,
            role,
            skew: given.get(&s.id).copied().unwrap_or(0),
            error: None,
            confidence: None,
            method: Method::Assumed,
            pairs: 0,
            applied: given.contains_key(&s.id),
            note: None,
            resolution: res.get(&s.id).copied().unwrap_or(0),
        };
        if given.contains_key(&s.id) {
            skew.method = Method::Override;
        } else if is_reference[s.id as usize] {
            skew.method = Method::Reference;
        } else if role == "loadtest" {
            let sent: Vec<&Event> = events
                .iter()
                .filter(|e| e.source == s.id && matches!(e.kind, EventKind::Request(_)))
                .collect();
            estimate_into(&mut skew, &sent, &apps);
            if skew.applied {
                estimated.insert(s.id, skew.skew);
            }
        } else if role == "other" {
            continue;
        } else {
            skew.note = Some("assumed to share the application's clock".into());
        }
        out.push(skew);
    }
    shift(events, &estimated);
    stages.shift(&estimated);
    Ok((out, apps, stages))
}

/// Subtracts each input's skew from its events' timestamps.
fn shift(events: &mut [Event], skews: &BTreeMap<SourceId, Micros>) {
    if skews.values().all(|s| *s == 0) {
        return;
    }
    for e in events.iter_mut() {
        if let (Some(ts), Some(skew)) = (e.ts.as_mut(), skews.get(&e.source)) {
            *ts -= *skew;
        }
    }
}

/// Fills `skew` with the estimate for a load test's requests `sent` against `apps`.
fn estimate_into(skew: &mut Skew, sent: &[&Event], apps: &[AppRequest]) {
    skew.method = Method::Unknown;
    if apps.is_empty() {
        skew.note = Some("no application stage events to compare with".into());
        return;
    }
    let rows = sent.iter().filter_map(|e| SentRow::of(e));
    if rows.clone().next().is_none() {
        skew.note = Some("no timed requests".into());
        return;
    }
    let groups = Groups::new(rows.clone().map(|r| r.route), apps);
    let sent: Vec<Sent> = requests::sent_of(sent, &groups);
    let joined = requests::match_ids(rows, apps);
    let mut edges: Vec<(Micros, i32)> = Vec::new();
    for (s, j) in sent.iter().zip(joined.iter()) {
        let (Some(a), Some(e), true) = (j.map(|j| &apps[j as usize]), s.elapsed(), s.responded())
        else {
            continue;
        };
        edges.extend([(a.last - (s.ts + e), 1), (a.first - s.ts, -1)]);
    }
    if edges.len() >= 2 * MIN_JOINED {
        let pairs = (edges.len() / 2) as u64;
        if let Some((from, to)) = deepest(&mut edges) {
            let b = Bracket {
                lag: from + (to - from) / 2,
                error: ((to - from) / 2).max(MS),
                consistent: true,
                pairs,
                sampled: pairs,
            };
            finish(skew, &b, "joined by request id");
            return;
        }
    }
    let Some((coarse, bin)) = cross_correlate(&sent, apps, &groups) else {
        skew.note = Some("the load test and the application log do not overlap in time".into());
        return;
    };
    let reach = (2 * bin).max(SECOND);
    let Some(b) = scan(&sent, apps, &groups, coarse, reach) else {
        // No elapsed times (or nothing fits): the cross-correlation is all there is.
        skew.method = Method::Estimated;
        skew.skew = -coarse;
        skew.error = Some(bin);
        skew.confidence = Some(0.3);
        skew.applied = coarse.abs() > bin;
        skew.note = Some("from the cross-correlation of rates only".into());
        return;
    };
    finish(skew, &b, "");
}

/// Fills `skew` from the bracket `b`; `how` names a method worth a note.
fn finish(skew: &mut Skew, b: &Bracket, how: &str) {
    let share = b.pairs as f64 / b.sampled.max(1) as f64;
    let width = match b.error {
        e if e <= 50 * MS => 1.0,
        e if e <= 250 * MS => 0.85,
        e if e <= SECOND => 0.6,
        _ => 0.35,
    };
    let consistency = if b.consistent { 1.0 } else { 0.6 };
    let few = if b.pairs < 10 { 0.5 } else { 1.0 };
    let confidence = (share.min(1.0) * width * consistency * few * 100.0).round() / 100.0;
    skew.method = Method::Estimated;
    skew.skew = -b.lag;
    skew.error = Some(b.error);
    skew.confidence = Some(confidence);
    skew.pairs = b.pairs;
    skew.applied = confidence >= MIN_CONFIDENCE && b.lag.abs() > b.error;
    if confidence < MIN_CONFIDENCE {
        skew.note = Some(format!("confidence below {MIN_CONFIDENCE}: not applied"));
    } else if !skew.applied {
        skew.note = Some("within its error of zero: the clocks agree, nothing to correct".into());
    } else if !how.is_empty() {
        skew.note = Some(how.to_string());
    } else if !b.consistent {
        skew.note = Some("fewer than half of the requests agree on it".into());
    }
}

/// Requests joined by request id needed to estimate from them alone.
const MIN_JOINED: usize = 10;

/// The skew bracket where the most requests agree.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bracket {
    /// App clock minus load-tool clock: the middle of the bracket.
    lag: Micros,
    /// Half-width of the bracket.
    error: Micros,
    /// False when the agreement is weak: fewer than half the requests agree.
    consistent: bool,
    /// Requests whose candidate pair includes the bracket.
    pairs: u64,
    /// Requests looked at.
    sampled: u64,
}

/// Requests per slice of the lag scan.
const SLICE: usize = 1000;
/// Slices of the lag scan on long runs (evenly spaced); shorter runs are scanned whole.
const SLICES: usize = 4;
/// Step of the fine lag scan, and its matching tolerance.
const STEP: Micros = 5 * MS;
/// Step of the coarse lag scan, and its matching tolerance.
const COARSE_STEP: Micros = 50 * MS;

/// Scans the lags within `coarse ± reach` in steps of [`STEP`] and keeps the one at which the
/// most responded requests can be matched, each to its own app request, that began after it was
/// sent and ended before its response ([`requests::count_responded`]). A wrong lag lines
/// requests up with their neighbours' app requests, which fit only by chance. At the best lag
/// the matched pairs bracket it: `last − end ≤ lag ≤ first − sent` for each; the bracket's
/// middle is the estimate and its half-width the error. Long runs are scanned on a few evenly
/// spaced slices of consecutive requests so the work stays bounded.
fn scan(
    sent: &[Sent],
    apps: &[AppRequest],
    groups: &Groups,
    coarse: Micros,
    reach: Micros,
) -> Option<Bracket> {
    // The requests in time order (ties in their order), read through their indices unless
    // they are in order already: a copy of every request would be read only in slices.
    let order: Option<Vec<u32>> = (!sent.is_sorted_by_key(|s| s.ts)).then(|| {
        let mut order: Vec<u32> = (0..sent.len() as u32).collect();
        order.par_sort_by_key(|&i| sent[i as usize].ts);
        order
    });
    let nth = |k: usize| match &order {
        Some(order) => sent[order[k] as usize],
        None => sent[k],
    };
    let starts: Vec<usize> = if sent.len() <= SLICES * SLICE {
        vec![0]
    } else {
        (0..SLICES).map(|k| k * (sent.len() - SLICE) / (SLICES - 1)).collect()
    };
    let slices: Vec<(Vec<Sent>, Vec<AppRequest>)> = starts
        .par_iter()
        .map(|&from| {
            let to = (from + SLICE.max(sent.len() * (starts.len() == 1) as usize)).min(sent.len());
            let part: Vec<Sent> = (from..to).map(nth).collect();
            let t0 = part.first().map_or(0, |s| s.ts) + coarse - reach;
            let t1 = part.iter().map(|s| s.ts + s.elapsed().unwrap_or(0)).max().unwrap_or(0)
                + coarse
                + reach;
            let part_apps =
                apps.iter().filter(|a| a.first >= t0 && a.last <= t1).cloned().collect();
            (part, part_apps)
        })
        .collect();
    let grouped: Vec<_> = slices.par_iter().map(|(_, a)| requests::group_apps(a, groups)).collect();
    let sampled =
        slices.iter().map(|(s, _)| s.iter().filter(|x| x.responded()).count()).sum::<usize>();
    // The middle of the first run of best scores over `center ± reach` in `step`s, matching
    // with a tolerance of one step; with its score.
    let best_lag = |center: Micros, reach: Micros, step: Micros| -> Option<(Micros, usize)> {
        let lags: Vec<Micros> =
            (-(reach / step)..=reach / step).map(|k| center + k * step).collect();
        // Each lag is scored on its own, in parallel.
        let scores: Vec<usize> = lags
            .par_iter()
            .map(|&lag| {
                let count = |((s, a), g): (&(Vec<Sent>, Vec<AppRequest>), _)| {
                    requests::count_responded_grouped(s, a, g, lag, step).0
                };
                slices.iter().zip(&grouped).map(count).sum()
            })
            .collect();
        let best = scores.iter().copied().max().filter(|b| *b > 0)?;
        let first = scores.iter().position(|&x| x == best)?;
        let run = scores[first..].iter().take_while(|&&x| x == best).count();
        Some((lags[first + run / 2], best))
    };
    // Coarse steps first, then fine ones around the best.
    let (rough, _) = best_lag(coarse, reach, COARSE_STEP)?;
    let (lag, best) = best_lag(rough, 2 * COARSE_STEP, STEP)?;
    // Each request that only one app request can have served (within the tolerance) brackets
    // the lag; the stretch most of them agree on is the estimate. Requests with several
    // candidates are left out: picking one would pull the estimate toward the lag it was
    // picked at. Repeating at the new estimate frees it from the scan's grid.
    let (mut lag, mut error) = (lag, STEP);
    for _ in 0..3 {
        let mut edges = unambiguous_brackets(&slices, groups, lag, 4 * STEP);
        let Some((from, to)) = deepest(&mut edges) else { break };
        let next = from + (to - from) / 2;
        error = (to - from) / 2;
        if next == lag {
            break;
        }
        lag = next;
    }
    Some(Bracket {
        lag,
        error: error.max(MS),
        consistent: best * 2 >= sampled,
        pairs: best as u64,
        sampled: sampled as u64,
    })
}

/// The lag brackets `[last − end, first − sent]` of the responded requests that exactly one app
/// request of their route fits at `lag ± tol`, as sweep edges.
fn unambiguous_brackets(
    slices: &[(Vec<Sent>, Vec<AppRequest>)],
    groups: &Groups,
    lag: Micros,
    tol: Micros,
) -> Vec<(Micros, i32)> {
    let mut edges = Vec::new();
    for (part, part_apps) in slices {
        let mut by_group: HashMap<u32, Vec<&AppRequest>> = HashMap::new();
        for a in part_apps {
            if let Some(g) = groups.of_app(a) {
                by_group.entry(g).or_default().push(a);
            }
        }
        for v in by_group.values_mut() {
            v.sort_by_key(|a| a.first);
        }
        for s in part.iter().filter(|s| s.responded()) {
            let (Some(list), Some(e)) = (by_group.get(&s.group), s.elapsed()) else { continue };
            let (lo, hi) = (s.ts + lag - tol, s.ts + e + lag + tol);
            let from = list.partition_point(|a| a.first < lo);
            let mut fits = list[from..]
                .iter()
                .take_while(|a| a.first <= hi)
                .filter(|a| a.last <= hi && requests::compatible(s.status, a.status));
            if let (Some(a), None) = (fits.next(), fits.next()) {
                let (l, h) = (a.last - (s.ts + e), a.first - s.ts);
                if l <= h {
                    edges.push((l, 1));
                    edges.push((h, -1));
                }
            }
        }
    }
    edges
}

/// Share of the deepest coverage a lag must keep to be inside the bracket.
const AGREEMENT: f64 = 0.9;

/// The stretch covered by at least [`AGREEMENT`] of the most closed intervals covering one
/// point (the one around the deepest point), given as (start, +1) and (end, −1) edges: two sweeps
/// over the sorted edges.
fn deepest(edges: &mut [(Micros, i32)]) -> Option<(Micros, Micros)> {
    // Openings sort before closings at the same point: the intervals are closed.
    edges.sort_unstable_by_key(|&(x, d)| (x, -d));
    let (mut depth, mut best, mut at) = (0i64, 0i64, 0);
    for &(x, d) in edges.iter() {
        depth += i64::from(d);
        if depth > best {
            (best, at) = (depth, x);
        }
    }
    if best == 0 {
        return None;
    }
    let need = ((best as f64 * AGREEMENT).ceil() as i64).max(1);
    let (mut depth, mut start) = (0i64, None);
    for &(x, d) in edges.iter() {
        let before = depth;
        depth += i64::from(d);
        if before < need && depth >= need {
            start = Some(x);
        } else if before >= need && depth < need {
            if let Some(s) = start.filter(|s| *s <= at && at <= x) {
                return Some((s, x));
            }
            start = None;
        }
    }
    Some((at, at))
}

/// Times per group, each group's sorted.
type Series = BTreeMap<u32, Vec<Micros>>;

/// The `(group, time)` pairs of `items` as a [`Series`], each group's vector sized once (the
/// pairs are counted first: a run has millions).
fn series(items: impl Iterator<Item = (u32, Micros)> + Clone) -> Series {
    let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
    for (g, _) in items.clone() {
        *counts.entry(g).or_default() += 1;
    }
    let mut m: Series = counts.into_iter().map(|(g, n)| (g, Vec::with_capacity(n))).collect();
    for (g, t) in items {
        if let Some(v) = m.get_mut(&g) {
            v.push(t);
        }
    }
    m.values_mut().for_each(|v| v.par_sort_unstable());
    m
}

/// Per-group histograms of times in bins of `w`: group → sorted (bin, count), from sorted
/// times (bins of sorted times come sorted, so each width is one pass). Counts per bin, per
/// group.
type Histograms = HashMap<u32, Vec<(i64, u64)>, FastHash>;

fn histograms(times: &Series, w: Micros) -> Histograms {
    let mut m: Histograms = HashMap::default();
    for (&g, group) in times {
        let mut bins: Vec<(i64, u64)> = Vec::new();
        for &t in group {
            let b = t.div_euclid(w);
            match bins.last_mut() {
                Some((last, n)) if *last == b => *n += 1,
                _ => bins.push((b, 1)),
            }
        }
        m.insert(g, bins);
    }
    m
}

/// The lag (app minus load tool) that best lines up the load test with the app requests, and
/// the bin width it was found at. Responses received are lined up with the app requests' last
/// events, which precede them by little even when requests queue; without elapsed times, sends
/// are lined up with first events.
fn cross_correlate(
    sent: &[Sent],
    apps: &[AppRequest],
    groups: &Groups,
) -> Option<(Micros, Micros)> {
    let end = |s: &Sent| Some(s.ts + s.elapsed()?).filter(|_| s.responded());
    let by_end = sent.iter().filter(|s| end(s).is_some()).count() * 2 >= sent.len();
    let app_groups = requests::app_groups(apps, groups);
    let app_times = apps.iter().zip(&app_groups).filter(|(_, g)| **g != requests::NO_GROUP);
    // Sorted once per group (in parallel): every width's histograms are then one pass.
    let (client, app) = rayon::join(
        || match by_end {
            true => series(sent.iter().filter_map(|s| Some((s.group, end(s)?)))),
            false => series(sent.iter().map(|s| (s.group, s.ts))),
        },
        || match by_end {
            true => series(app_times.map(|(a, &g)| (g, a.last))),
            false => series(app_times.map(|(a, &g)| (g, a.first))),
        },
    );
    drop(app_groups);
    let span = |m: &Series| -> Option<(Micros, Micros)> {
        let firsts = m.values().filter_map(|v| v.first());
        let lasts = m.values().filter_map(|v| v.last());
        Some((*firsts.min()?, *lasts.max()?))
    };
    let ((cmin, cmax), (amin, amax)) = (span(&client)?, span(&app)?);
    let lo = (amin - cmax).max(-MAX_SKEW);
    let hi = (amax - cmin).min(MAX_SKEW);
    if lo > hi {
        return None;
    }
    // Each width's histograms, both sides at once.
    let both = |w: Micros| rayon::join(|| histograms(&client, w), || histograms(&app, w));
    let score = |(c, a): &(Histograms, Histograms), w: Micros, lo: Micros, hi: Micros| {
        let (lb, hb) = (lo.div_euclid(w), hi.div_euclid(w) + 1);
        // Score per lag in bins, lb..=hb.
        let mut scores: Vec<u64> = vec![0; usize::try_from(hb - lb + 1).ok()?];
        for (g, cb) in c {
            let Some(ab) = a.get(g) else { continue };
            for &(b, n) in cb {
                let from = ab.partition_point(|x| x.0 < b + lb);
                for &(b2, n2) in ab[from..].iter().take_while(|x| x.0 <= b + hb) {
                    scores[(b2 - b - lb) as usize] += n * n2;
                }
            }
        }
        let best = (lb..=hb)
            .zip(scores)
            .filter(|&(_, sc)| sc > 0)
            .max_by_key(|&(lag, sc)| (sc, std::cmp::Reverse(lag.abs())))?;
        Some(best.0 * w)
    };
    // Coarse: the narrowest bin whose work stays bounded, from 1 s up.
    let mut w = SECOND;
    let coarse = loop {
        let h = both(w);
        let work: usize = h.0.iter().map(|(g, v)| v.len() * h.1.get(g).map_or(0, Vec::len)).sum();
        if work <= MAX_XCORR_WORK || w >= 3600 * SECOND {
            break h;
        }
        w *= 2;
    };
    let mut lag = score(&coarse, w, lo, hi)?;
    drop(coarse);
    while w > FINEST_BIN {
        let finer = (w / 4).max(FINEST_BIN);
        match score(&both(finer), finer, lag - 2 * w, lag + 2 * w) {
            Some(l) => lag = l,
            None => break,
        }
        w = finer;
    }
    Some((lag, w))
}

#[cfg(test)]
mod tests;
