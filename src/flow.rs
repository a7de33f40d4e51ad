//! Where requests are lost: the funnel per request, per route and over time.
//!
//! Every sent request of the (skew-corrected) timeline is matched to the application request
//! that served it ([`crate::requests`]). A request whose client saw a 5xx or no response is
//! lost, and classed by the furthest stage its app request reached. Time is cut into buckets
//! (auto-sized to at most [`MAX_AUTO_BUCKETS`], or `--bucket`); a request counts in the bucket
//! it was sent in, an application request that matches no sent request in the bucket of its
//! first event. The loss onset is the first bucket where at least 5% of the requests sent were
//! lost; its moment is the send time of the first lost request in that bucket.

use std::collections::BTreeMap;

use rootcause_parsers::time::SECOND;
use rootcause_parsers::{LineNo, Micros};

use crate::correlate::Timeline;
use crate::model::{ReqId, SourceId, Stage};
use crate::requests::{self, Groups, LostClass, LostCounts, Sent, SentRow};

/// The most buckets an automatic bucket width gives.
pub const MAX_AUTO_BUCKETS: i64 = 60;
/// The most buckets `--bucket` may give; a narrower width is widened to fit.
pub const MAX_BUCKETS: i64 = 100_000;
/// Bucket widths tried for the automatic size, µs.
const LADDER: [Micros; 22] = [
    100_000,
    200_000,
    250_000,
    500_000,
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    60 * SECOND,
    120 * SECOND,
    300 * SECOND,
    600 * SECOND,
    900 * SECOND,
    1800 * SECOND,
    3600 * SECOND,
    7200 * SECOND,
    4 * 3600 * SECOND,
    6 * 3600 * SECOND,
    12 * 3600 * SECOND,
    24 * 3600 * SECOND,
];

/// The share of a bucket's requests that must be lost for the loss to have started.
pub const ONSET_SHARE: f64 = 0.05;

/// Lost requests of one route.
///
/// Without an application log the lost classes stay zero: a request that failed cannot be
/// placed in the pipeline, only counted as a 5xx or no response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteFlow {
    /// Requests sent.
    pub sent: u64,
    /// Requests that failed (5xx or no response).
    pub failed: u64,
    /// Lost requests by class.
    pub lost: LostCounts,
}

/// One time bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Start (UTC µs, a multiple of the width).
    pub start: Micros,
    /// Requests sent.
    pub sent: u64,
    /// App requests attributed here that reached the view (matched ones by their send time).
    pub hit: u64,
    /// ... that started their query.
    pub started: u64,
    /// ... that completed it.
    pub completed: u64,
    /// Sent requests answered with a 2xx.
    pub status_2xx: u64,
    /// Sent requests answered with a 5xx.
    pub status_5xx: u64,
    /// Sent requests without a response.
    pub no_response: u64,
    /// Lost requests by class.
    pub lost: LostCounts,
    /// App requests that match no sent request (counted in hit/started/completed too).
    pub app_only: u64,
}

/// When the pipeline started losing requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    /// Send time of the first lost request of the onset bucket.
    pub at: Micros,
    /// Start of the onset bucket.
    pub bucket_start: Micros,
    /// Requests sent in it.
    pub sent: u64,
    /// Requests lost in it.
    pub lost: u64,
    /// The class most of them fall in (`None` without an application log).
    pub class: Option<LostClass>,
    /// Send time of the very first lost request of the run (may be an isolated one).
    pub first_lost: Micros,
}

/// The per-request funnel of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flow {
    /// True when there were timed sent requests.
    pub has_sent: bool,
    /// True when there were application stage events.
    pub has_app: bool,
    /// True when requests were matched per route (else all routes in one pool).
    pub per_route: bool,
    /// Application requests rebuilt from stage events, inside the run window.
    pub app_requests: u64,
    /// ... of which were joined by request id.
    pub joined_by_id: u64,
    /// Clock tolerance used for matching, µs.
    pub tolerance: Micros,
    /// Timed requests sent.
    pub sent: u64,
    /// Sent requests matched to an app request.
    pub matched: u64,
    /// ... of which by a request id both sides carry.
    pub matched_by_id: u64,
    /// Sent requests that got a non-failure response but match no app request (a route without
    /// stage events, or events missing).
    pub answered_unmatched: u64,
    /// App requests that match no sent request.
    pub app_only: u64,
    /// Lost requests by class.
    pub lost: LostCounts,
    /// Lost requests answered with a 5xx, by class.
    pub lost_5xx: LostCounts,
    /// Lost requests without a response, by class.
    pub lost_no_response: LostCounts,
    /// Per load-test route.
    pub by_route: BTreeMap<String, RouteFlow>,
    /// Bucket width, µs.
    pub bucket: Micros,
    /// True when the width was chosen automatically.
    pub bucket_auto: bool,
    /// Why a `--bucket` width was widened, if it was.
    pub bucket_note: Option<String>,
    /// The buckets, in time order, without gaps.
    pub buckets: Vec<Bucket>,
    /// When losses began.
    pub onset: Option<Onset>,
    /// Every lost request (at most [`crate::detect::MAX_TIMES`]), in time order; without an
    /// application log, their classes are `NeverReachedApp` and they have no app request.
    pub lost_requests: Vec<LostRequest>,
}

/// One lost request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRequest {
    /// Where the load test recorded it.
    pub at: (SourceId, LineNo),
    /// When the client saw the failure (send time + wait).
    pub observed: Micros,
    /// Its class.
    pub class: LostClass,
    /// The request id of the application request it was matched to, when that has one.
    pub app_id: Option<String>,
}

/// The automatic bucket width for a span.
pub fn auto_bucket(span: Micros) -> Micros {
    LADDER.iter().copied().find(|w| span / w < MAX_AUTO_BUCKETS).unwrap_or(LADDER[LADDER.len() - 1])
}

/// Matches, classes and buckets every request of the timeline, given its application requests
/// ([`requests::fold`], on the corrected clocks). `tolerance` is the clock tolerance for
/// matching; `bucket` the `--bucket` width.
pub fn analyse_with(
    tl: &Timeline,
    apps: Vec<requests::AppRequest>,
    tolerance: Micros,
    bucket: Option<Micros>,
) -> Flow {
    let apps: Vec<_> = apps.into_iter().filter(|a| tl.in_window(a.first)).collect();
    let rows = tl.events.iter().filter_map(SentRow::of);
    let count = rows.clone().count();
    let mut f = Flow {
        has_sent: count > 0,
        has_app: !apps.is_empty(),
        app_requests: apps.len() as u64,
        joined_by_id: apps.iter().filter(|a| a.by_id()).count() as u64,
        tolerance,
        sent: count as u64,
        ..Flow::default()
    };
    let groups = Groups::new(rows.clone().map(|r| r.route), &apps);
    f.per_route = groups.per_route();
    let sent: Vec<Sent> = requests::sent_of(&tl.events, &groups);
    let fallback = sent.iter().filter_map(|s| s.elapsed()).max().unwrap_or(10 * SECOND);
    let preset = requests::match_ids(rows.clone(), &apps);
    f.matched_by_id = preset.iter().filter(|m| m.is_some()).count() as u64;
    let matched = requests::match_sent(&sent, &apps, &groups, 0, tolerance, fallback, &preset);

    let times = sent.iter().map(|s| s.ts).chain(apps.iter().map(|a| a.first));
    let (lo, hi) = times.fold((Micros::MAX, Micros::MIN), |(a, b), t| (a.min(t), b.max(t)));
    if lo > hi {
        return f;
    }
    let auto = auto_bucket(hi - lo);
    f.bucket_auto = bucket.is_none();
    f.bucket = bucket.unwrap_or(auto);
    if (hi - lo) / f.bucket >= MAX_BUCKETS {
        let ms = ((hi - lo) / (MAX_BUCKETS - 1)) / 1000 + 1;
        f.bucket_note = Some(format!(
            "--bucket would give more than {MAX_BUCKETS} buckets; widened to {ms} ms"
        ));
        f.bucket = ms * 1000;
    }
    let w = f.bucket;
    let first = lo.div_euclid(w);
    let n = (hi.div_euclid(w) - first + 1) as usize;
    f.buckets =
        (0..n).map(|i| Bucket { start: (first + i as i64) * w, ..Bucket::default() }).collect();
    let idx = |t: Micros| (t.div_euclid(w) - first) as usize;

    let mut used = vec![false; apps.len()];
    let mut lost_at: Vec<Vec<Micros>> = vec![Vec::new(); n];
    for (SentRow { ts, route, status, elapsed, at, .. }, m) in rows.zip(matched.iter()) {
        let b = &mut f.buckets[idx(ts)];
        // Look the route up before inserting: most requests hit a route already seen.
        let rf = match f.by_route.get_mut(route) {
            Some(rf) => rf,
            None => f.by_route.entry(route.to_string()).or_default(),
        };
        b.sent += 1;
        rf.sent += 1;
        let furthest = m.map(|j| {
            used[j as usize] = true;
            apps[j as usize].furthest
        });
        if let Some(st) = furthest {
            f.matched += 1;
            b.hit += 1;
            b.started += u64::from(st >= Stage::Started);
            b.completed += u64::from(st == Stage::Completed);
        }
        let lost = match status {
            Some(s) if (200..300).contains(&s) => {
                b.status_2xx += 1;
                false
            }
            Some(s) if (500..600).contains(&s) => {
                b.status_5xx += 1;
                true
            }
            Some(_) => false,
            None => {
                b.no_response += 1;
                true
            }
        };
        if !lost {
            f.answered_unmatched += u64::from(furthest.is_none());
            continue;
        }
        lost_at[idx(ts)].push(ts);
        rf.failed += 1;
        if f.lost_requests.len() < crate::detect::MAX_TIMES {
            f.lost_requests.push(LostRequest {
                at,
                observed: ts + elapsed.unwrap_or(0),
                class: LostClass::of(furthest),
                app_id: m.and_then(|j| apps[j as usize].id.as_ref().map(ReqId::to_string)),
            });
        }
        if !f.has_app {
            // Without an application log there is nothing to place the loss in.
            continue;
        }
        let class = LostClass::of(furthest);
        b.lost.add(class);
        rf.lost.add(class);
        f.lost.add(class);
        if status.is_some() { f.lost_5xx.add(class) } else { f.lost_no_response.add(class) }
    }
    for (a, _) in apps.iter().zip(&used).filter(|(_, u)| !**u) {
        let b = &mut f.buckets[idx(a.first)];
        f.app_only += 1;
        b.app_only += 1;
        b.hit += 1;
        b.started += u64::from(a.furthest >= Stage::Started);
        b.completed += u64::from(a.furthest == Stage::Completed);
    }
    f.lost_requests.sort_by_key(|r| (r.observed, r.at));
    let first_lost = lost_at.iter().flatten().min().copied();
    f.onset = f.buckets.iter().zip(&lost_at).find_map(|(b, at)| {
        let lost = b.status_5xx + b.no_response;
        let share = lost as f64 / b.sent.max(1) as f64;
        (lost > 0 && share >= ONSET_SHARE).then(|| Onset {
            at: at.iter().min().copied().unwrap_or(b.start),
            bucket_start: b.start,
            sent: b.sent,
            lost,
            class: b.lost.dominant(),
            first_lost: first_lost.unwrap_or(b.start),
        })
    });
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_buckets_keep_a_run_under_sixty_rows() {
        assert_eq!(auto_bucket(5 * SECOND), 100_000);
        assert_eq!(auto_bucket(85 * SECOND), 2 * SECOND);
        assert_eq!(auto_bucket(3599 * SECOND), 60 * SECOND);
        assert_eq!(auto_bucket(3600 * SECOND), 120 * SECOND);
        assert_eq!(auto_bucket(400 * 24 * 3600 * SECOND), 24 * 3600 * SECOND, "the widest");
        for span in [SECOND, 59 * SECOND, 61 * SECOND, 7 * 3600 * SECOND] {
            assert!(span / auto_bucket(span) < MAX_AUTO_BUCKETS, "{span}");
        }
    }
}
