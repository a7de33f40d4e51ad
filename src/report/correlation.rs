//! The `correlation` block of the report: clock skew, lost requests by class, the funnel over
//! time and the loss onset.

use std::collections::BTreeMap;

use rootcause_parsers::Micros;
use rootcause_parsers::time::{SECOND, format_rfc3339_micros};
use serde::Serialize;

use super::{Parts, sanitize};
use crate::flow::{Bucket, Flow};
use crate::hypothesise;
use crate::requests::{LostClass, LostCounts};
use crate::skew::Method;

/// Clock skew, matching and where requests were lost.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CorrelationOut {
    /// The input whose clock the others were put on (the first application log), if any.
    pub reference: Option<String>,
    /// The skew of every input.
    pub skew: Vec<SkewOut>,
    /// How sent requests were matched to application requests.
    pub matching: MatchingOut,
    /// Lost requests (5xx or no response).
    pub lost: u64,
    /// Lost requests by where they stopped; null without an application log.
    pub lost_by_class: Option<LostCounts>,
    /// The same split by what the client saw: `status_5xx` and `no_response`.
    pub lost_by_outcome: Option<BTreeMap<&'static str, LostCounts>>,
    /// Per load-test route.
    pub lost_by_route: BTreeMap<String, RouteLostOut>,
    /// Bucket width, ms.
    pub bucket_ms: f64,
    /// True when the width was chosen automatically.
    pub bucket_auto: bool,
    /// Why `--bucket` was widened.
    pub bucket_note: Option<String>,
    /// The funnel over time.
    pub buckets: Vec<BucketOut>,
    /// When requests started being lost; null when none were.
    pub loss_onset: Option<OnsetOut>,
}

/// The skew of one input.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkewOut {
    /// Input path.
    pub path: String,
    /// loadtest, app, console or postgres.
    pub role: &'static str,
    /// Its clock minus the reference clock, ms.
    pub skew_ms: f64,
    /// Half-width of the estimate's bracket, ms.
    pub error_ms: Option<f64>,
    /// Confidence of an estimate, 0..1.
    pub confidence: Option<f64>,
    /// high / medium / low.
    pub confidence_label: Option<&'static str>,
    /// reference, estimated, override, assumed or unknown.
    pub method: &'static str,
    /// Requests matched for the estimate.
    pub pairs: u64,
    /// True when its timestamps were corrected by `skew_ms`.
    pub applied: bool,
    /// Why it was not estimated or not applied.
    pub note: Option<String>,
}

/// How requests were matched.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MatchingOut {
    /// `request_id` (app events joined by their request id), `time_order`, `mixed`, or null
    /// without application stage events.
    pub app_events_joined_by: Option<&'static str>,
    /// True when matched per route, false when all routes were pooled (routes did not align).
    pub per_route: bool,
    /// Clock tolerance, ms.
    pub tolerance_ms: f64,
    /// Timed requests sent.
    pub sent: u64,
    /// Sent requests matched to an application request.
    pub matched: u64,
    /// ... of which by a request id the load tool wrote and the app logged.
    pub matched_by_id: u64,
    /// Application requests rebuilt from stage events in the run window.
    pub app_requests: u64,
    /// Application requests no sent request matches.
    pub app_only: u64,
    /// Requests answered without failure that match no application request.
    pub answered_unmatched: u64,
}

/// Lost requests of one route.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteLostOut {
    /// Sent.
    pub sent: u64,
    /// Lost.
    pub lost: u64,
    /// By class (zero without an application log).
    #[serde(flatten)]
    pub classes: LostCounts,
}

/// One time bucket.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BucketOut {
    /// Start, RFC 3339.
    pub start: String,
    /// Requests sent.
    pub sent: u64,
    /// Application requests that reached the view.
    pub hit: u64,
    /// ... started their query.
    pub started: u64,
    /// ... completed it.
    pub completed: u64,
    /// 2xx responses.
    pub status_2xx: u64,
    /// 5xx responses.
    pub status_5xx: u64,
    /// No response.
    pub no_response: u64,
    /// Lost (5xx + no response).
    pub lost: u64,
    /// Lost by class.
    #[serde(flatten)]
    pub classes: LostCounts,
    /// Application requests matching no sent request.
    pub app_only: u64,
}

/// The loss onset.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OnsetOut {
    /// Send time of the first lost request of the first bucket with ≥ 5% lost.
    pub at: String,
    /// That bucket's start.
    pub bucket_start: String,
    /// Requests sent in it.
    pub sent: u64,
    /// Requests lost in it.
    pub lost: u64,
    /// The class most of them fall in; null without an application log.
    pub class: Option<&'static str>,
    /// Send time of the very first lost request.
    pub first_lost: String,
    /// The failure signature whose first occurrence is nearest the onset, if one is near.
    pub signature: Option<OnsetSignatureOut>,
}

/// A signature near the onset.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OnsetSignatureOut {
    /// Signature id.
    pub id: String,
    /// Its first occurrence.
    pub first_seen: String,
    /// Seconds from the onset to it (negative: before).
    pub offset_s: f64,
    /// Where it was first seen: `path:line`.
    pub evidence: Option<String>,
}

fn ms(us: Micros) -> f64 {
    (us as f64 / 10.0).round() / 100.0
}

fn bucket_out(b: &Bucket) -> BucketOut {
    BucketOut {
        start: format_rfc3339_micros(b.start),
        sent: b.sent,
        hit: b.hit,
        started: b.started,
        completed: b.completed,
        status_2xx: b.status_2xx,
        status_5xx: b.status_5xx,
        no_response: b.no_response,
        lost: b.status_5xx + b.no_response,
        classes: b.lost,
        app_only: b.app_only,
    }
}

/// The failure signature nearest the onset: the earliest first occurrence within
/// `max(10 s, 2 buckets)` of it, else the signature active at the onset that began nearest.
fn onset_signature(p: &Parts<'_>, at: Micros, bucket: Micros) -> Option<OnsetSignatureOut> {
    let near = (10 * SECOND).max(2 * bucket);
    let failures = p.findings.iter().filter(|f| p.catalog.signatures[f.signature].failure);
    let candidates: Vec<_> = failures.filter_map(|f| Some((f, f.first_seen?))).collect();
    let chosen = candidates
        .iter()
        .filter(|(_, first)| (first - at).abs() <= near)
        .min_by_key(|(_, first)| *first)
        .or_else(|| {
            candidates
                .iter()
                .filter(|(f, first)| *first <= at && f.last_seen.is_some_and(|l| l + near >= at))
                .max_by_key(|(_, first)| *first)
        })?;
    let (f, first) = *chosen;
    let path_of = |s: u32| {
        p.ingested.sources.get(s as usize).map_or_else(|| "?".into(), |s| s.input.display())
    };
    Some(OnsetSignatureOut {
        id: p.catalog.signatures[f.signature].id.clone(),
        first_seen: format_rfc3339_micros(first),
        offset_s: ((first - at) as f64 / 1e4).round() / 100.0,
        evidence: f
            .evidence
            .first()
            .map(|e| sanitize(&format!("{}:{}", path_of(e.source), e.line))),
    })
}

/// Builds the block.
pub fn build(p: &Parts<'_>) -> CorrelationOut {
    let path_of = |s: u32| {
        p.ingested
            .sources
            .get(s as usize)
            .map_or_else(|| "?".to_string(), |s| sanitize(&s.input.display()))
    };
    let f: &Flow = p.flow;
    let skew = p
        .skews
        .iter()
        .map(|s| SkewOut {
            path: path_of(s.source),
            role: s.role,
            skew_ms: ms(s.skew),
            error_ms: s.error.map(ms),
            confidence: s.confidence,
            confidence_label: s.confidence.map(hypothesise::confidence_label),
            method: s.method.as_str(),
            pairs: s.pairs,
            applied: s.applied,
            note: s.note.clone(),
        })
        .collect();
    let reference =
        p.skews.iter().find(|s| s.method == Method::Reference).map(|s| path_of(s.source));
    let joined_by = match (f.app_requests, f.joined_by_id) {
        (0, _) => None,
        (n, k) if n == k => Some("request_id"),
        (_, 0) => Some("time_order"),
        _ => Some("mixed"),
    };
    let classes = f.has_app;
    CorrelationOut {
        reference,
        skew,
        matching: MatchingOut {
            app_events_joined_by: joined_by,
            per_route: f.per_route,
            tolerance_ms: ms(f.tolerance),
            sent: f.sent,
            matched: f.matched,
            matched_by_id: f.matched_by_id,
            app_requests: f.app_requests,
            app_only: f.app_only,
            answered_unmatched: f.answered_unmatched,
        },
        lost: f.buckets.iter().map(|b| b.status_5xx + b.no_response).sum(),
        lost_by_class: classes.then_some(f.lost),
        lost_by_outcome: classes.then(|| {
            BTreeMap::from([("status_5xx", f.lost_5xx), ("no_response", f.lost_no_response)])
        }),
        lost_by_route: f
            .by_route
            .iter()
            .map(|(r, rf)| {
                (sanitize(r), RouteLostOut { sent: rf.sent, lost: rf.failed, classes: rf.lost })
            })
            .collect(),
        bucket_ms: ms(f.bucket),
        bucket_auto: f.bucket_auto,
        bucket_note: f.bucket_note.clone(),
        buckets: f.buckets.iter().map(bucket_out).collect(),
        loss_onset: f.onset.map(|o| OnsetOut {
            at: format_rfc3339_micros(o.at),
            bucket_start: format_rfc3339_micros(o.bucket_start),
            sent: o.sent,
            lost: o.lost,
            class: o.class.map(LostClass::as_str),
            first_lost: format_rfc3339_micros(o.first_lost),
            signature: onset_signature(p, o.at, f.bucket),
        }),
    }
}
