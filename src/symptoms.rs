//! Symptoms: what went wrong, derived from the data rather than matched in a message.
//!
//! A signature says what a component logged; a symptom says what the run did:
//! - `symptom:http_5xx`: requests answered with HTTP 5xx;
//! - `symptom:no_response`: requests that got no response at all;
//! - `symptom:latency_plateau`: latency rose from a baseline to a high, flat plateau
//!   ([`crate::phases`]);
//! - `symptom:funnel_drop`: requests lost at one stage of the funnel (they reached the app but
//!   their query never completed, say; [`crate::flow`]);
//! - `symptom:pg_connections_near_max`: the number of Postgres backends, counted from
//!   `log_connections` / `log_disconnections` lines, came within 10 % of the limit at which
//!   Postgres refused new clients.
//!
//! Each has a count, the onset (the first occurrence in the first time bucket where it affects
//! at least [`ONSET_SHARE`] of the requests sent, for request symptoms), its occurrence times
//! (for the hypothesis engine to test which causes precede it) and evidence lines.
//! Pure: no I/O.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use rootcause_parsers::postgres::Severity;
use rootcause_parsers::time::SECOND;
use rootcause_parsers::{LineNo, Micros};

use crate::correlate::Timeline;
use crate::detect::{Evidence, MAX_TIMES};
use crate::flow::Flow;
use crate::loadtest::LoadTest;
use crate::model::{EventKind, SourceId};
use crate::phases::PhaseKind;
use crate::requests::LostClass;

/// Share of the requests sent in a bucket that must be affected for the bucket to mark the
/// onset of a request symptom (the same share as the funnel's loss onset).
pub const ONSET_SHARE: f64 = crate::flow::ONSET_SHARE;

/// Share of the observed connection limit at which the Postgres connection count is "near"
/// it.
pub const NEAR_MAX_SHARE: f64 = 0.9;

/// The symptom ids, with their titles. The causal graph's edges end in these.
pub use crate::detect::graph::SYMPTOMS;

/// Id of the 5xx symptom.
pub const HTTP_5XX: &str = "symptom:http_5xx";
/// Id of the no-response symptom.
pub const NO_RESPONSE: &str = "symptom:no_response";
/// Id of the latency-plateau symptom.
pub const LATENCY_PLATEAU: &str = "symptom:latency_plateau";
/// Id of the funnel-drop symptom.
pub const FUNNEL_DROP: &str = "symptom:funnel_drop";
/// Id of the Postgres-connections symptom.
pub const PG_NEAR_MAX: &str = "symptom:pg_connections_near_max";

/// The title of a symptom id.
pub fn title(id: &str) -> Option<&'static str> {
    SYMPTOMS.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
}

/// One symptom of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Symptom {
    /// One of [`SYMPTOMS`].
    pub id: &'static str,
    /// Requests (or, for Postgres, connection attempts) affected.
    pub count: u64,
    /// Out of how many.
    pub of: u64,
    /// When it began (see the module doc).
    pub onset: Option<Micros>,
    /// The first occurrence.
    pub first: Option<Micros>,
    /// The last occurrence.
    pub last: Option<Micros>,
    /// One sentence with the numbers behind it.
    pub detail: String,
    /// The first places it shows, in time order.
    pub evidence: Vec<Evidence>,
    /// Occurrence times (at most [`MAX_TIMES`]), in time order; for the hypothesis engine.
    pub times: Vec<Micros>,
    /// For each of `times`, the request id of the application request it was matched to, when
    /// known (empty when none is): lets the hypothesis attribute a failed request to the
    /// signature its own request logged.
    pub ids: Vec<Option<String>>,
    /// True when each occurrence is a failed request (5xx or no response).
    pub failed_requests: bool,
}

/// Postgres connections, counted from `log_connections` / `log_disconnections` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PgConnections {
    /// Connection attempts seen (`connection received`).
    pub received: u64,
    /// Most backends alive at once.
    pub peak: u64,
    /// When the peak was first reached.
    pub peak_at: Option<Micros>,
    /// Attempts refused for lack of slots (`too many clients`, reserved slots).
    pub refused: u64,
    /// When the first refusal came.
    pub first_refusal: Option<Micros>,
    /// Backends alive (the refused one not counted) at the first refusal: the limit as
    /// observed (`max_connections` minus the reserved slots).
    pub limit_observed: Option<u64>,
}

/// The symptoms of a run, and the facts they were derived from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Symptoms {
    /// Present symptoms, in order of onset.
    pub list: Vec<Symptom>,
    /// Postgres connection counts, when the Postgres log has connection lines.
    pub pg: Option<PgConnections>,
    /// Why a symptom could not be judged (missing data), one sentence each.
    pub notes: Vec<String>,
}

impl Symptoms {
    /// The symptom with this id.
    pub fn get(&self, id: &str) -> Option<&Symptom> {
        self.list.iter().find(|s| s.id == id)
    }
}

/// Derives the symptoms of a run. `evidence` is how many locations each keeps.
pub fn derive(tl: &Timeline, lt: &LoadTest, flow: &Flow, evidence: usize) -> Symptoms {
    let mut out = Symptoms::default();
    // Two passes over the timeline, side by side.
    let ((s5, snr), (pg, near)) =
        rayon::join(|| request_symptoms(tl, lt, flow, evidence), || pg_connections(tl, evidence));
    out.list.extend(s5);
    out.list.extend(snr);
    out.list.extend(latency_plateau(lt));
    match funnel_drop(flow) {
        Some(s) => out.list.push(s),
        None if flow.has_sent && !flow.has_app && lt.outcomes.failed() > 0 => out.notes.push(
            "Funnel drop not judged: there is no application log with stage events to place \
             the lost requests in."
                .to_string(),
        ),
        None => {}
    }
    match (&pg, near) {
        (_, Some(s)) => out.list.push(s),
        (Some(p), None) if p.refused == 0 => out.notes.push(format!(
            "Postgres connections peaked at {} backends{}; no client was refused, so the limit \
             is not in the logs.",
            p.peak,
            p.peak_at.map_or(String::new(), |t| format!(" at {}", crate::hypothesise::hms(t)))
        )),
        (None, None) if has_postgres(tl) => out.notes.push(
            "Postgres connection count not judged: the Postgres log has no connection lines \
             (set log_connections and log_disconnections to count them)."
                .to_string(),
        ),
        _ => {}
    }
    out.pg = pg;
    out.list.sort_by_key(|s| (s.onset.is_none(), s.onset, s.id));
    out
}

fn has_postgres(tl: &Timeline) -> bool {
    tl.events.iter().any(|e| matches!(e.kind, EventKind::Db(_)))
}

/// One failed request: where it was read and when the client saw the failure.
struct Failed {
    app_id: Option<String>,
    source: SourceId,
    line: LineNo,
    sent: Micros,
    observed: Micros,
    text: String,
}

fn request_symptoms(
    tl: &Timeline,
    lt: &LoadTest,
    flow: &Flow,
    evidence: usize,
) -> (Option<Symptom>, Option<Symptom>) {
    let app_ids: std::collections::HashMap<(SourceId, LineNo), &str> = flow
        .lost_requests
        .iter()
        .filter_map(|r| r.app_id.as_deref().map(|id| (r.at, id)))
        .collect();
    // The failed requests in timeline order (read in parallel), 5xx apart from no response.
    let failed: Vec<(bool, Failed)> = tl
        .events
        .par_iter()
        .filter_map(|ev| {
            let (EventKind::Request(r), Some(ts)) = (&ev.kind, ev.ts) else { return None };
            let observed = ts + r.elapsed_ms().map_or(0, |ms| (ms * 1000.0) as Micros);
            let route = r.url().unwrap_or(&r.route);
            let after = || r.elapsed_ms().map_or(String::new(), |ms| format!(" after {ms:.0} ms"));
            let (is_5xx, text) = match r.status() {
                Some(s) if s >= 500 => (true, format!("{route} answered {s}{}", after())),
                None => {
                    let err = r.error().map_or(String::new(), |e| format!(": {e}"));
                    (false, format!("{route} got no response{}{err}", after()))
                }
                _ => return None,
            };
            let app_id = app_ids.get(&(ev.source, ev.line)).map(|s| s.to_string());
            let (source, line) = (ev.source, ev.line);
            Some((is_5xx, Failed { app_id, source, line, sent: ts, observed, text }))
        })
        .collect();
    let (mut five, mut none) = (Vec::new(), Vec::new());
    for (is_5xx, f) in failed {
        if is_5xx { five.push(f) } else { none.push(f) }
    }
    let total = lt.outcomes.total;
    let make = |id: &'static str, mut v: Vec<Failed>, per_bucket: &dyn Fn(usize) -> u64| {
        if v.is_empty() {
            return None;
        }
        v.sort_by_key(|f| f.observed);
        let onset = onset_of(&v, flow, per_bucket);
        let n = v.len() as u64;
        let what = if id == HTTP_5XX { "answered with HTTP 5xx" } else { "got no response" };
        let detail = format!(
            "{n} of {total} requests ({:.1} %) {what}, from {} to {}",
            100.0 * n as f64 / total.max(1) as f64,
            crate::hypothesise::hms(v[0].observed),
            crate::hypothesise::hms(v[v.len() - 1].observed),
        );
        Some(Symptom {
            id,
            count: n,
            of: total,
            onset: Some(onset),
            first: Some(v[0].observed),
            last: Some(v[v.len() - 1].observed),
            detail,
            evidence: v
                .iter()
                .take(evidence)
                .map(|f| Evidence {
                    source: f.source,
                    line: f.line,
                    ts: Some(f.observed),
                    text: f.text.clone(),
                })
                .collect(),
            times: v.iter().take(MAX_TIMES).map(|f| f.observed).collect(),
            ids: if v.iter().any(|f| f.app_id.is_some()) {
                v.iter().take(MAX_TIMES).map(|f| f.app_id.clone()).collect()
            } else {
                Vec::new()
            },
            failed_requests: true,
        })
    };
    let buckets = &flow.buckets;
    (
        make(HTTP_5XX, five, &|i| buckets.get(i).map_or(0, |b| b.status_5xx)),
        make(NO_RESPONSE, none, &|i| buckets.get(i).map_or(0, |b| b.no_response)),
    )
}

/// The first failure observed among those sent in the first bucket where the kind reaches
/// [`ONSET_SHARE`] of the requests sent; the first failure when no bucket does.
fn onset_of(v: &[Failed], flow: &Flow, per_bucket: &dyn Fn(usize) -> u64) -> Micros {
    let first = v.iter().map(|f| f.observed).min().unwrap_or(0);
    let w = flow.bucket;
    if w <= 0 || flow.buckets.is_empty() {
        return first;
    }
    let start = flow.buckets[0].start;
    let bucket = flow.buckets.iter().enumerate().find(|(i, b)| {
        let n = per_bucket(*i);
        n > 0 && n as f64 >= ONSET_SHARE * b.sent.max(1) as f64
    });
    let Some((_, b)) = bucket else { return first };
    debug_assert_eq!((b.start - start) % w, 0);
    v.iter()
        .filter(|f| f.sent.div_euclid(w) * w == b.start)
        .map(|f| f.observed)
        .min()
        .unwrap_or(first)
}

fn latency_plateau(lt: &LoadTest) -> Option<Symptom> {
    let ph = lt.phases.as_ref()?;
    let at = ph.phases.iter().position(|p| p.kind == PhaseKind::Plateau)?;
    // A plateau the run starts on is a slow start, not a rise: it needs a baseline before it.
    if !ph.phases[..at].iter().any(|p| matches!(p.kind, PhaseKind::Baseline | PhaseKind::Steady)) {
        return None;
    }
    let plateau = &ph.phases[at];
    let ramp = ph.phases[..at].iter().rev().find(|p| p.kind == PhaseKind::RampUp);
    let onset = ramp.and_then(|r| r.start).or(plateau.start);
    let median = plateau.latency.median;
    let detail = format!(
        "latency rose from a baseline median of {:.0} ms to a plateau median of {median:.0} ms \
         (p95 {:.0} ms) over requests {}–{}",
        ph.baseline_ms, plateau.latency.p95, plateau.first_index, plateau.last_index
    );
    Some(Symptom {
        id: LATENCY_PLATEAU,
        count: plateau.requests,
        of: lt.outcomes.total,
        onset,
        first: onset,
        last: plateau.end,
        detail,
        evidence: Vec::new(),
        times: onset.into_iter().collect(),
        ids: Vec::new(),
        failed_requests: false,
    })
}

fn funnel_drop(flow: &Flow) -> Option<Symptom> {
    if !flow.has_app || !flow.has_sent {
        return None;
    }
    let (class, n) = LostClass::ALL
        .iter()
        .map(|&c| (c, flow.lost.get(c)))
        .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))?;
    if n == 0 {
        return None;
    }
    let lost: Vec<&crate::flow::LostRequest> =
        flow.lost_requests.iter().filter(|r| r.class == class).collect();
    let times: Vec<Micros> = lost.iter().map(|r| r.observed).collect();
    let ids: Vec<Option<String>> = if lost.iter().any(|r| r.app_id.is_some()) {
        lost.iter().map(|r| r.app_id.clone()).collect()
    } else {
        Vec::new()
    };
    let detail = format!(
        "{n} of {} requests sent were lost with the same furthest stage: {} ({} lost in all)",
        flow.sent,
        class.describe(),
        flow.lost.total()
    );
    Some(Symptom {
        id: FUNNEL_DROP,
        count: n,
        of: flow.sent,
        onset: times.first().copied(),
        first: times.first().copied(),
        last: times.last().copied(),
        detail,
        evidence: Vec::new(),
        times,
        ids,
        failed_requests: false,
    })
}

/// What a Postgres message says about connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnLine {
    Received,
    Ended,
    Refused,
    Restarted,
}

pub(crate) fn conn_line(sev: Option<Severity>, msg: &str) -> Option<ConnLine> {
    if msg.starts_with("connection received:") {
        Some(ConnLine::Received)
    } else if msg.starts_with("disconnection:") {
        Some(ConnLine::Ended)
    } else if msg.starts_with("sorry, too many clients already")
        || msg.starts_with("remaining connection slots are reserved")
    {
        Some(ConnLine::Refused)
    } else if msg.starts_with("database system is ready to accept")
        || msg.starts_with("all server processes terminated")
    {
        Some(ConnLine::Restarted)
    } else if matches!(sev, Some(Severity::Fatal | Severity::Panic)) {
        // A backend exits after its FATAL.
        Some(ConnLine::Ended)
    } else {
        None
    }
}

fn pg_connections(tl: &Timeline, evidence: usize) -> (Option<PgConnections>, Option<Symptom>) {
    let mut c = PgConnections::default();
    let mut live: BTreeSet<u32> = BTreeSet::new();
    // Arrival times and the live count just after each, to find the near-limit stretch once
    // the limit is known.
    let mut arrivals: Vec<(Micros, u64, SourceId, LineNo)> = Vec::new();
    let mut refusals: Vec<Evidence> = Vec::new();
    for ev in &tl.events {
        let EventKind::Db(r) = &ev.kind else { continue };
        let Some(kind) = conn_line(r.severity, &r.message) else { continue };
        match (kind, r.pid) {
            (ConnLine::Restarted, _) => live.clear(),
            (ConnLine::Received, Some(pid)) => {
                c.received += 1;
                live.insert(pid);
                let n = live.len() as u64;
                if n > c.peak {
                    c.peak = n;
                    c.peak_at = ev.ts;
                }
                if let Some(t) = ev.ts {
                    arrivals.push((t, n, ev.source, ev.line));
                }
            }
            (ConnLine::Refused, pid) => {
                if c.refused == 0 {
                    c.first_refusal = ev.ts;
                    let others = live.iter().filter(|p| Some(**p) != pid).count() as u64;
                    c.limit_observed = Some(others);
                }
                c.refused += 1;
                if refusals.len() < evidence {
                    refusals.push(Evidence {
                        source: ev.source,
                        line: ev.line,
                        ts: ev.ts,
                        text: r.message.lines().next().unwrap_or_default().to_string(),
                    });
                }
                if let Some(p) = pid {
                    live.remove(&p);
                }
            }
            (ConnLine::Ended, Some(pid)) => {
                live.remove(&pid);
            }
            _ => {}
        }
    }
    if c.received == 0 {
        return (None, None);
    }
    let Some(limit) = c.limit_observed.filter(|l| *l > 0) else { return (Some(c), None) };
    let near = (NEAR_MAX_SHARE * limit as f64).ceil() as u64;
    let hot: Vec<&(Micros, u64, SourceId, LineNo)> =
        arrivals.iter().filter(|(_, n, _, _)| *n >= near).collect();
    let times: Vec<Micros> = hot.iter().map(|a| a.0).take(MAX_TIMES).collect();
    let mut ev: Vec<Evidence> = hot
        .iter()
        .take(evidence.saturating_sub(refusals.len().min(evidence / 2)))
        .map(|(t, n, s, l)| Evidence {
            source: *s,
            line: *l,
            ts: Some(*t),
            text: format!("connection received with {n} backends alive"),
        })
        .collect();
    ev.extend(refusals);
    ev.sort_by_key(|e| e.ts);
    ev.truncate(evidence);
    let detail = format!(
        "{} of {} connection attempts came with at least {near} backends alive; {} were \
         refused, the first with {limit} alive (max_connections minus reserved slots, as \
         observed); backends (counting those still starting up) peaked at {}{}",
        hot.len(),
        c.received,
        c.refused,
        c.peak,
        c.peak_at.map_or(String::new(), |t| format!(" at {}", crate::hypothesise::hms(t))),
    );
    let s = Symptom {
        id: PG_NEAR_MAX,
        count: hot.len() as u64,
        of: c.received,
        onset: times.first().copied().or(c.first_refusal),
        first: times.first().copied().or(c.first_refusal),
        last: hot.last().map(|a| a.0).max(c.first_refusal),
        detail,
        evidence: ev,
        times,
        ids: Vec::new(),
        failed_requests: false,
    };
    (Some(c), Some(s))
}

/// Per-second counts of a list of times, for prose ("up to N per second").
pub fn peak_per_second(times: &[Micros]) -> Option<(u64, Micros)> {
    let mut per: BTreeMap<i64, u64> = BTreeMap::new();
    for t in times {
        *per.entry(t.div_euclid(SECOND)).or_default() += 1;
    }
    per.into_iter().max_by_key(|&(s, n)| (n, std::cmp::Reverse(s))).map(|(s, n)| (n, s * SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::correlate;
    use crate::model::Event;
    use rootcause_parsers::postgres::PgRecord;

    fn pg(ms: i64, pid: u32, sev: Severity, msg: &str) -> Event {
        let ts = 1_764_085_200 * SECOND + ms * 1000;
        let r = PgRecord {
            ts: Some(ts),
            pid: Some(pid),
            severity: Some(sev),
            message: msg.into(),
            ..PgRecord::default()
        };
        Event { ts: Some(ts), source: 0, line: ms as u64, kind: EventKind::Db(Box::new(r)) }
    }

    fn received(ms: i64, pid: u32) -> Event {
        pg(ms, pid, Severity::Log, "connection received: host=127.0.0.1 port=59654")
    }

    #[test]
    fn postgres_connections_are_counted_from_connection_lines() {
        let mut ev =
            vec![pg(0, 1, Severity::Log, "database system is ready to accept connections")];
        // Ten backends connect, one leaves, a refusal at ten alive, then a reserved-slots one.
        for i in 0..10 {
            ev.push(received(10 + i, 100 + i as u32));
        }
        ev.push(pg(30, 100, Severity::Log, "disconnection: session time: 0:00:00.020 user=app database=ras host=127.0.0.1 port=59654"));
        ev.push(received(40, 200));
        ev.push(received(50, 201));
        ev.push(pg(51, 201, Severity::Fatal, "sorry, too many clients already"));
        ev.push(received(60, 202));
        ev.push(pg(
            61,
            202,
            Severity::Fatal,
            "remaining connection slots are reserved for non-replication superuser connections",
        ));
        let tl = correlate(ev);
        let (c, s) = pg_connections(&tl, 5);
        let c = c.expect("counted");
        assert_eq!((c.received, c.refused, c.limit_observed, c.peak), (13, 2, Some(10), 11));
        let s = s.expect("near the limit");
        assert_eq!(s.id, PG_NEAR_MAX);
        // At least 9 of 10 alive: the 9th and 10th arrivals, the one after the disconnection
        // and the two refused arrivals.
        assert_eq!(s.count, 5);
        assert_eq!(s.onset, Some(1_764_085_200 * SECOND + 18_000));
        assert!(s.detail.contains("2 were refused, the first with 10 alive"), "{}", s.detail);
    }

    #[test]
    fn without_a_refusal_the_limit_is_unknown_and_no_symptom_is_claimed() {
        let ev: Vec<Event> = (0..5).map(|i| received(i, 10 + i as u32)).collect();
        let (c, s) = pg_connections(&correlate(ev), 5);
        assert_eq!(c.map(|c| (c.peak, c.limit_observed)), Some((5, None)));
        assert!(s.is_none());
    }

    #[test]
    fn a_restart_forgets_the_backends_of_before() {
        let mut ev: Vec<Event> = (0..5).map(|i| received(i, 10 + i as u32)).collect();
        ev.push(pg(100, 1, Severity::Log, "all server processes terminated; reinitializing"));
        ev.push(received(200, 50));
        ev.push(pg(201, 50, Severity::Fatal, "sorry, too many clients already"));
        let (c, _) = pg_connections(&correlate(ev), 5);
        assert_eq!(c.and_then(|c| c.limit_observed), Some(0));
    }
}
