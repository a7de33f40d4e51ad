//! Hypothesise: ranked causal chains from signatures, symptoms and the catalog's causal graph,
//! or an honest "no failure found".
//!
//! The nodes are the signatures found ([`crate::detect`]) and the symptoms derived from the
//! data ([`crate::symptoms`]). The edges are the catalog's: `A → B` says A typically precedes
//! and explains B within `lag`. An edge is **admitted** for this run only if
//! - both ends occurred, and
//! - enough of B's occurrences have an occurrence of A in the `lag` before them (at least half
//!   of them, or three): the link's **support** is that share. "Before" allows A to be logged
//!   up to [`TOLERANCE`] after B: the resolution of the coarsest clock, gunicorn's whole
//!   seconds. An effect with two causes (5xx from two faults) supports each for its own
//!   occurrences.
//!
//! Every failure signature that no admitted edge from another failure signature explains is a
//! candidate root. Its chain is every failure signature and symptom reachable from it over
//! admitted edges (context signatures, such as a worker booting, are not effects), each step
//! hanging from the cause with the shortest observed lag, listed in time order. Context
//! signatures with an admitted edge into the root are shown before it ("preceded by").
//!
//! Confidence combines, for each candidate:
//! - precedence (1 when the root began no later than the failures and was still active within
//!   [`ACTIVE_BEFORE`] of their onset, else 0.3),
//! - coverage (the share of failed requests that a step of the chain follows within its lag),
//! - link support (mean over the chain's edges) and
//! - volume (`min(1, occurrences / 3)`),
//!
//! as `0.15 + 0.35·precedence + 0.30·coverage + 0.10·support + 0.10·volume`, capped at 0.95,
//! and at 0.45 when no request failed. Candidates are ranked by confidence, then by first
//! occurrence. Each lists the facts that weaken it.
//!
//! Pure: no I/O. Every sentence is built from counts and times of the run.

pub mod facts;

use std::collections::{BTreeMap, BTreeSet};

use rootcause_parsers::Micros;
use rootcause_parsers::time::{SECOND, format_rfc3339};

use crate::detect::graph::Edge;
use crate::detect::{Catalog, Evidence, Finding};
use crate::funnel::Funnel;
use crate::loadtest::{FailureKind, LoadTest};
use crate::symptoms::{self, Symptoms};

pub use facts::Facts;

/// How much later than its effect a cause may be logged (clocks of one machine,
/// second-resolution stamps such as gunicorn's).
pub const TOLERANCE: Micros = 2 * SECOND;
/// A root that stopped this long before the failures began did not start them.
pub const ACTIVE_BEFORE: Micros = 60 * SECOND;

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No failed request and no failure signature.
    NoFailure,
    /// Failures, and a hypothesis that explains them.
    Explained,
    /// Requests failed, but no catalogued signature explains them.
    Unexplained,
    /// Failure signatures in the logs, but the load tool saw no failure (or there is no load
    /// tool data).
    SignaturesOnly,
}

impl Verdict {
    /// Stable name for the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NoFailure => "no_failure",
            Verdict::Explained => "explained",
            Verdict::Unexplained => "unexplained",
            Verdict::SignaturesOnly => "signatures_only",
        }
    }
}

/// What a step of a chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A context signature with an admitted edge into the root.
    Context,
    /// The root cause.
    Root,
    /// An effect of an earlier step.
    Effect,
}

impl Role {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Context => "context",
            Role::Root => "root",
            Role::Effect => "effect",
        }
    }
}

/// One step of a causal chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Signature or symptom id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it is in the chain.
    pub role: Role,
    /// True for a symptom.
    pub symptom: bool,
    /// Occurrences.
    pub count: u64,
    /// First occurrence (a symptom's onset).
    pub first: Option<Micros>,
    /// Last occurrence.
    pub last: Option<Micros>,
    /// The step it follows from (for effects) or leads to (for context).
    pub cause: Option<String>,
    /// The catalog's reason for the edge.
    pub why: Option<String>,
    /// The edge's lag.
    pub lag: Option<Micros>,
    /// Median observed delay from a cause occurrence to an occurrence of this step.
    pub observed_lag: Option<Micros>,
    /// Occurrences of this step with a cause occurrence within the lag before them.
    pub supported: u64,
    /// `supported / count`.
    pub support: f64,
    /// One sentence with times and counts.
    pub text: String,
    /// The first places it shows.
    pub evidence: Vec<Evidence>,
}

/// The parts of a confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// 1 when the root began no later than the failures (within [`TOLERANCE`]).
    pub precedence: f64,
    /// Share of the failed requests the chain accounts for.
    pub coverage: f64,
    /// Mean support of the chain's edges.
    pub support: f64,
    /// `min(1, root occurrences / 3)`.
    pub volume: f64,
}

/// One ranked explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// 1 for the most likely.
    pub rank: u32,
    /// Index (into the findings) of the root signature.
    pub root: usize,
    /// The root's id.
    pub root_id: String,
    /// The steps in time order: context, the root, then its effects.
    pub steps: Vec<Step>,
    /// The failure kinds the chain accounts for.
    pub effects: Vec<FailureKind>,
    /// Failed requests the chain accounts for, of all failed requests.
    pub explains: (u64, u64),
    /// 0..1.
    pub confidence: f64,
    /// What the confidence is made of.
    pub scores: Scores,
    /// One paragraph with the counts and times behind it.
    pub summary: String,
    /// The fix it implies, with the run's own numbers where the logs give them.
    pub fix: String,
    /// Facts that weaken it.
    pub against: Vec<String>,
    /// The root, when it is an uncatalogued pattern ([`Hypothesis::root`] is then 0 and
    /// means nothing).
    pub uncatalogued: Option<Uncatalogued>,
}

impl Hypothesis {
    /// Ids of the root and its effects, in time order (the chain without context).
    pub fn chain(&self) -> Vec<&str> {
        self.steps.iter().filter(|s| s.role != Role::Context).map(|s| s.id.as_str()).collect()
    }
}

/// The verdict and the hypotheses.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The verdict.
    pub verdict: Verdict,
    /// One sentence for the top of a report.
    pub statement: String,
    /// Ranked hypotheses (empty unless there are failure signatures).
    pub hypotheses: Vec<Hypothesis>,
    /// What the logs state about the system (pool, processes, kills, connections).
    pub facts: Facts,
}

/// A confidence as a word.
pub fn confidence_label(c: f64) -> &'static str {
    if c >= 0.75 {
        "high"
    } else if c >= 0.5 {
        "medium"
    } else {
        "low"
    }
}

/// `HH:MM:SS.mmm` (UTC) of a time.
pub fn hms(ts: Micros) -> String {
    // 2026-11-25T15:39:43.109Z -> 15:39:43.109
    let s = format_rfc3339(ts);
    s.get(11..23).map_or(s.clone(), str::to_string)
}

fn when(ts: Option<Micros>) -> String {
    ts.map_or_else(|| "an unknown time".to_string(), hms)
}

/// A duration for prose: `350 ms`, `2.3 s`.
pub fn seconds(d: Micros) -> String {
    if d.abs() < SECOND {
        format!("{} ms", d / 1000)
    } else {
        format!("{:.1} s", d as f64 / SECOND as f64)
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the engine reads.
pub struct Input<'a> {
    /// Load-test results.
    pub lt: &'a LoadTest,
    /// The funnel.
    pub funnel: &'a Funnel,
    /// Signatures found.
    pub findings: &'a [Finding],
    /// The catalog they came from.
    pub catalog: &'a Catalog,
    /// The causal edges.
    pub edges: &'a [Edge],
    /// Symptoms of the run.
    pub symptoms: &'a Symptoms,
    /// Facts from the logs.
    pub facts: Facts,
    /// Templates no signature of the catalog matches that rose at the run's onset
    /// ([`crate::suggest::candidates`]): each is a candidate root.
    pub uncatalogued: &'a [Uncatalogued],
    /// Whether the run's templates were mined, so that `uncatalogued` holds every candidate.
    pub mined: bool,
}

/// An uncatalogued pattern that is a candidate cause: a mined template ([`crate::patterns`])
/// that no signature matches, which started just before the run's onset and rose with the
/// failures. The engine links it to the failed requests that follow it within
/// [`UNCATALOGUED_LAG`]; no catalog entry says what it means, so its confidence is at most
/// [`UNCATALOGUED_CAP`].
#[derive(Debug, Clone, PartialEq)]
pub struct Uncatalogued {
    /// `uncatalogued:` and the template's id.
    pub id: String,
    /// `Uncatalogued pattern: ` and the template.
    pub title: String,
    /// The template, variable parts masked.
    pub template: String,
    /// Messages it groups.
    pub count: u64,
    /// First seen.
    pub first: Option<Micros>,
    /// Last seen.
    pub last: Option<Micros>,
    /// Occurrence times, at the resolution of the template's histogram (one second, coarser
    /// in long runs), sorted.
    pub times: Vec<Micros>,
    /// Its earliest message, with its place.
    pub example: Evidence,
    /// How its rate changed at the onset, in a sentence.
    pub change: String,
}

/// The prefix of an uncatalogued pattern's node id.
pub const UNCATALOGUED: &str = "uncatalogued:";
/// How long before a failed request an uncatalogued pattern may occur to account for it.
pub const UNCATALOGUED_LAG: Micros = 60 * SECOND;
/// The highest confidence of an uncatalogued root: its meaning is inferred from timing alone.
pub const UNCATALOGUED_CAP: f64 = 0.6;

/// A node of the graph present in this run.
struct Node<'a> {
    id: &'a str,
    title: &'a str,
    /// Index into the findings, for signatures.
    finding: Option<usize>,
    /// Index into the uncatalogued patterns, for those.
    uncatalogued: Option<usize>,
    /// A failure signature, or a symptom made of failed requests.
    failure: bool,
    failed_requests: bool,
    count: u64,
    first: Option<Micros>,
    last: Option<Micros>,
    /// Sorted occurrence times (a symptom without times: its onset).
    times: Vec<Micros>,
    /// For a symptom, the application request id of each occurrence when known (aligned with
    /// `times`; empty when none is known).
    occ_ids: Vec<Option<&'a str>>,
    /// For a signature, the request ids of the application events it matched (None: none).
    ids: Option<&'a BTreeSet<String>>,
    evidence: &'a [Evidence],
    /// A symptom's sentence.
    detail: Option<&'a str>,
}

/// An admitted edge.
#[derive(Debug, Clone)]
struct Link<'a> {
    from: usize,
    to: usize,
    edge: &'a Edge,
    supported: u64,
    support: f64,
    observed_lag: Option<Micros>,
}

fn nodes<'a>(inp: &'a Input<'a>) -> Vec<Node<'a>> {
    let mut v = Vec::new();
    for (i, f) in inp.findings.iter().enumerate() {
        let Some(s) = inp.catalog.signatures.get(f.signature) else { continue };
        let mut times = f.times.clone();
        times.sort_unstable();
        v.push(Node {
            id: &s.id,
            title: &s.title,
            finding: Some(i),
            uncatalogued: None,
            failure: s.failure,
            failed_requests: false,
            count: f.count,
            first: f.first_seen,
            last: f.last_seen,
            times,
            occ_ids: Vec::new(),
            ids: (!f.request_ids.is_empty()).then_some(&f.request_ids),
            evidence: &f.evidence,
            detail: None,
        });
    }
    for s in &inp.symptoms.list {
        let mut occ: Vec<(Micros, Option<&str>)> = if s.times.is_empty() {
            s.onset.into_iter().map(|t| (t, None)).collect()
        } else {
            s.times
                .iter()
                .enumerate()
                .map(|(i, &t)| (t, s.ids.get(i).and_then(|x| x.as_deref())))
                .collect()
        };
        occ.sort_by_key(|&(t, _)| t);
        let times: Vec<Micros> = occ.iter().map(|o| o.0).collect();
        let occ_ids: Vec<Option<&str>> =
            if s.ids.is_empty() { Vec::new() } else { occ.iter().map(|o| o.1).collect() };
        v.push(Node {
            id: s.id,
            title: symptoms::title(s.id).unwrap_or(s.id),
            finding: None,
            uncatalogued: None,
            failure: s.failed_requests,
            failed_requests: s.failed_requests,
            count: s.count,
            first: s.onset.or(s.first),
            last: s.last,
            times,
            occ_ids,
            ids: None,
            evidence: &s.evidence,
            detail: Some(&s.detail),
        });
    }
    for (i, u) in inp.uncatalogued.iter().enumerate() {
        v.push(Node {
            id: &u.id,
            title: &u.title,
            finding: None,
            uncatalogued: Some(i),
            failure: true,
            failed_requests: false,
            count: u.count,
            first: u.first,
            last: u.last,
            times: u.times.clone(),
            occ_ids: Vec::new(),
            ids: None,
            evidence: std::slice::from_ref(&u.example),
            detail: None,
        });
    }
    v
}

/// The edges of the run: the catalog's, and one from each uncatalogued pattern to each kind of
/// failed request, with [`UNCATALOGUED_LAG`].
fn edges_with_uncatalogued(inp: &Input<'_>) -> Vec<Edge> {
    let mut edges = inp.edges.to_vec();
    for u in inp.uncatalogued {
        for to in [symptoms::HTTP_5XX, symptoms::NO_RESPONSE] {
            edges.push(Edge {
                from: u.id.clone(),
                to: to.to_string(),
                lag: UNCATALOGUED_LAG,
                typical: UNCATALOGUED_LAG,
                why: "the pattern rose at the onset with the failures (no catalog entry says why)"
                    .to_string(),
            });
        }
    }
    edges
}

impl Node<'_> {
    /// A failure signature or an uncatalogued pattern: what can be a root.
    fn can_be_root(&self) -> bool {
        self.failure && (self.finding.is_some() || self.uncatalogued.is_some())
    }
}

/// How many of `effect`'s occurrences `cause` accounts for, and the median delay from the
/// latest cause occurrence to each.
///
/// An occurrence whose application request is known (a failed request matched to its app
/// request) is accounted for when `cause` matched an event of that very request, whenever it
/// was logged; when `cause` matched events of other requests only, it is not. Any other
/// occurrence is accounted for by time: a `cause` occurrence in `[t - lag, t + TOLERANCE]`.
fn support(cause: &Node<'_>, effect: &Node<'_>, lag: Micros) -> (u64, Option<Micros>) {
    let causes = &cause.times;
    let mut n = 0u64;
    let mut lags = Vec::new();
    for (k, &t) in effect.times.iter().enumerate() {
        let id = effect.occ_ids.get(k).copied().flatten();
        // The latest cause at or before t, else the first one logged within TOLERANCE after it.
        let i = causes.partition_point(|&c| c <= t);
        let near = if i > 0 && causes[i - 1] >= t - lag {
            Some(causes[i - 1])
        } else {
            causes.get(i).copied().filter(|&c| c <= t + TOLERANCE)
        };
        let same_request = match (id, cause.ids) {
            (Some(id), Some(ids)) => Some(ids.contains(id)),
            _ => None,
        };
        match (same_request, near) {
            (Some(false), _) | (None, None) => {}
            (Some(true), near) => {
                n += 1;
                if let Some(c) = near {
                    lags.push(t - c);
                }
            }
            (None, Some(c)) => {
                n += 1;
                lags.push(t - c);
            }
        }
    }
    lags.sort_unstable();
    (n, lags.get(lags.len() / 2).copied())
}

fn links<'a>(nodes: &[Node<'_>], edges: &'a [Edge]) -> Vec<Link<'a>> {
    let index: BTreeMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut out = Vec::new();
    for e in edges {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        if a == b {
            continue;
        }
        let (na, nb) = (&nodes[a], &nodes[b]);
        let (supported, observed_lag) = support(na, nb, e.lag);
        let n = nb.times.len() as u64;
        let needed = (n as f64 * 0.5).clamp(1.0, 3.0);
        if supported as f64 >= needed {
            let support = if n > 0 { supported as f64 / n as f64 } else { 0.0 };
            out.push(Link { from: a, to: b, edge: e, supported, support, observed_lag });
        }
    }
    out
}

/// Builds the diagnosis.
pub fn hypothesise(inp: &Input<'_>) -> Diagnosis {
    let lt = inp.lt;
    let failed = lt.outcomes.failed();
    let nodes = nodes(inp);
    let edges = edges_with_uncatalogued(inp);
    let links = links(&nodes, &edges);
    let failing: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].can_be_root()).collect();
    let facts = inp.facts.clone();

    if failing.is_empty() {
        let statement = if failed == 0 {
            if lt.outcomes.total > 0 {
                format!(
                    "No failure found: all {} requests got a response, none of them a 5xx, and \
                     no failure signature appears in the logs.",
                    lt.outcomes.total
                )
            } else {
                "No failure found: no failure signature appears in the logs (no load-test data \
                 was given)."
                    .to_string()
            }
        } else {
            format!(
                "{} No catalogued failure signature appears in the logs{}, so rootcause has no \
                 hypothesis; check that the server and database logs of the run were given.",
                failure_sentence(lt),
                if inp.mined {
                    " and no uncatalogued pattern rose with the failures"
                } else {
                    " (templates were not mined: --no-patterns)"
                }
            )
        };
        let verdict = if failed == 0 { Verdict::NoFailure } else { Verdict::Unexplained };
        return Diagnosis { verdict, statement, hypotheses: Vec::new(), facts };
    }

    // Candidate roots: failure signatures no other failure signature explains.
    let explained_by_failure: BTreeSet<usize> =
        links.iter().filter(|l| nodes[l.from].can_be_root()).map(|l| l.to).collect();
    let mut roots: Vec<usize> =
        failing.iter().copied().filter(|i| !explained_by_failure.contains(i)).collect();
    if roots.is_empty() {
        // A cycle of admitted edges: the earliest failure signature starts it.
        roots = failing
            .iter()
            .copied()
            .min_by_key(|&i| (nodes[i].first.is_none(), nodes[i].first))
            .into_iter()
            .collect();
    }
    // When the failures began: the onset of the failed-request symptoms, else the first
    // failure signature.
    let failure_onset = nodes
        .iter()
        .filter(|n| n.failed_requests)
        .filter_map(|n| n.first)
        .min()
        .or_else(|| failing.iter().filter_map(|&i| nodes[i].first).min());

    let mut hyps: Vec<Hypothesis> = roots
        .iter()
        .map(|&r| build(inp, &edges, &nodes, &links, r, failure_onset, failed))
        .collect();
    hyps.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.steps_first().cmp(&b.steps_first()))
            .then(a.root_id.cmp(&b.root_id))
    });
    for (i, h) in hyps.iter_mut().enumerate() {
        h.rank = i as u32 + 1;
    }
    // Name the competition.
    if hyps.len() > 1 {
        let names: Vec<(String, u64)> =
            hyps.iter().map(|h| (h.root_id.clone(), h.explains.0)).collect();
        for h in hyps.iter_mut() {
            for (id, n) in &names {
                if *id != h.root_id && *n > 0 {
                    h.against.push(format!(
                        "another root, {id}, accounts for {n} of the failed requests too"
                    ));
                }
            }
        }
    }

    let top = &hyps[0];
    let (verdict, statement) = if failed > 0 {
        (
            Verdict::Explained,
            format!(
                "{} Most likely cause: {} ({} confidence).",
                failure_sentence(lt),
                top.root_name(),
                confidence_label(top.confidence)
            ),
        )
    } else {
        (
            Verdict::SignaturesOnly,
            format!(
                "Failure signatures were found ({} first), but {}.",
                top.root_name(),
                if lt.outcomes.total > 0 {
                    "the load tool saw no failed request"
                } else {
                    "there is no load-test data to show their effect"
                }
            ),
        )
    };
    Diagnosis { verdict, statement, hypotheses: hyps, facts }
}

impl Hypothesis {
    /// The root as a sentence names it: its id, or for an uncatalogued pattern the words
    /// and its template.
    pub fn root_name(&self) -> String {
        match &self.uncatalogued {
            Some(u) => format!("an uncatalogued pattern, \"{}\"", u.template),
            None => self.root_id.clone(),
        }
    }

    fn steps_first(&self) -> Option<Micros> {
        self.steps.iter().find(|s| s.role == Role::Root).and_then(|s| s.first)
    }
}

fn failure_sentence(lt: &LoadTest) -> String {
    let (first, last) = (
        lt.failures.values().map(|f| f.first_observed).min(),
        lt.failures.values().map(|f| f.last_observed).max(),
    );
    let unknown = match lt.outcomes.failed_unknown {
        0 => String::new(),
        n => format!(", {n} failed with a status the load tool did not record"),
    };
    let when_seen = match (first, last) {
        (Some(_), Some(_)) => format!(", observed from {} to {} UTC", when(first), when(last)),
        _ => ". The load tool's aggregates give no times".to_string(),
    };
    format!(
        "{} of {} requests failed ({} with HTTP 5xx, {} without a response{unknown}){}.",
        lt.outcomes.failed(),
        lt.outcomes.total,
        lt.outcomes.range(500, 599),
        lt.outcomes.no_response,
        when_seen,
    )
}

fn build(
    inp: &Input<'_>,
    edges: &[Edge],
    nodes: &[Node<'_>],
    links: &[Link<'_>],
    root: usize,
    failure_onset: Option<Micros>,
    failed: u64,
) -> Hypothesis {
    // Reach over admitted edges; each node hangs from the cause with the shortest observed lag.
    let r = &nodes[root];
    // Symptoms the root implies that began before its first message, within the edge's lag:
    // requests waiting for a pool connection are slow before the first wait times out, and
    // connections climb to the limit before the first refusal. They come before the root.
    let mut before: Vec<(usize, &Edge)> = Vec::new();
    for e in edges.iter().filter(|e| e.from == r.id) {
        let Some((si, sn)) = nodes.iter().enumerate().find(|(_, n)| n.id == e.to) else {
            continue;
        };
        if let (None, Some(sf), Some(rf)) = (sn.finding, sn.first, r.first) {
            if sf < rf && sf >= rf - e.lag && !sn.failed_requests {
                before.push((si, e));
            }
        }
    }
    let mut parent: BTreeMap<usize, &Link<'_>> = BTreeMap::new();
    let mut reached: BTreeSet<usize> = BTreeSet::from([root]);
    let mut frontier = vec![root];
    while let Some(a) = frontier.pop() {
        for l in links.iter().filter(|l| l.from == a) {
            // Effects are failures and symptoms; context (a worker booting) is not one.
            if l.to == root || !nodes[l.to].failure && nodes[l.to].finding.is_some() {
                continue;
            }
            if before.iter().any(|(si, _)| *si == l.to) {
                continue;
            }
            if reached.insert(l.to) {
                frontier.push(l.to);
            }
        }
    }
    for &b in reached.iter().filter(|&&b| b != root) {
        let best = links
            .iter()
            .filter(|l| l.to == b && reached.contains(&l.from))
            .min_by_key(|l| (l.observed_lag.unwrap_or(Micros::MAX), nodes[l.from].first));
        if let Some(l) = best {
            parent.insert(b, l);
        }
    }
    let context: Vec<&Link<'_>> = links
        .iter()
        .filter(|l| l.to == root && !nodes[l.from].failure && nodes[l.from].finding.is_some())
        .collect();

    let mut steps = Vec::new();
    for l in &context {
        let n = &nodes[l.from];
        steps.push(step(n, Role::Context, Some(l), nodes));
    }
    for &(si, e) in &before {
        let sn = &nodes[si];
        let mut st = step(sn, Role::Context, None, nodes);
        st.cause = Some(r.id.to_string());
        st.why = Some(e.why.clone());
        st.lag = Some(e.lag);
        if let (Some(sf), Some(rf)) = (sn.first, r.first) {
            st.text.push_str(&format!("; began {} before {} ({})", seconds(rf - sf), r.id, e.why));
        }
        steps.push(st);
    }
    let mut effects_order: Vec<usize> = reached.iter().copied().filter(|&b| b != root).collect();
    // In time order; at the same time, a cause before its effects (the steps from the root
    // to it), so that a chain logged within one second still reads cause first.
    let depth = |mut b: usize| {
        let mut d = 0usize;
        while let Some(l) = parent.get(&b) {
            d += 1;
            b = l.from;
            if b == root || d > nodes.len() {
                break;
            }
        }
        d
    };
    effects_order
        .sort_by_key(|&b| (nodes[b].first.is_none(), nodes[b].first, depth(b), nodes[b].id));
    steps.push(step(r, Role::Root, None, nodes));
    for b in effects_order {
        steps.push(step(&nodes[b], Role::Effect, parent.get(&b).copied(), nodes));
    }
    steps.sort_by_key(|s| {
        (s.role != Role::Context, s.role != Role::Root, s.first.is_none(), s.first)
    });

    // Coverage: failed requests that follow a step within its lag.
    let mut explained = 0u64;
    let mut effects = BTreeSet::new();
    for (&b, l) in &parent {
        let n = &nodes[b];
        if n.failed_requests {
            explained += l.supported;
            effects.insert(if n.id == symptoms::HTTP_5XX {
                FailureKind::Http5xx
            } else {
                FailureKind::NoResponse
            });
        }
    }
    let explained = explained.min(failed);
    let coverage = if failed > 0 { explained as f64 / failed as f64 } else { 0.0 };
    let chain_links: Vec<&&Link<'_>> = parent.values().collect();
    let link_support = if chain_links.is_empty() {
        0.5
    } else {
        chain_links.iter().map(|l| l.support).sum::<f64>() / chain_links.len() as f64
    };
    let precedes = match (r.first, r.last, failure_onset) {
        (Some(f), Some(l), Some(on)) => f <= on + TOLERANCE && l >= on - ACTIVE_BEFORE,
        (Some(_), _, None) => true,
        _ => false,
    };
    let scores = Scores {
        precedence: if precedes { 1.0 } else { 0.3 },
        coverage,
        support: link_support,
        volume: (r.count as f64 / 3.0).min(1.0),
    };
    let mut confidence = 0.15
        + 0.35 * scores.precedence
        + 0.30 * scores.coverage
        + 0.10 * scores.support
        + 0.10 * scores.volume;
    confidence = confidence.min(0.95);
    let unknown = r.uncatalogued.and_then(|i| inp.uncatalogued.get(i));
    if unknown.is_some() {
        confidence = confidence.min(UNCATALOGUED_CAP);
    }
    if failed == 0 {
        confidence = confidence.min(0.45);
    }
    let confidence = (confidence * 100.0).round() / 100.0;

    // Against.
    let mut against = Vec::new();
    if unknown.is_some() {
        against.push(
            "no catalog entry describes this pattern: that it causes the failures is inferred \
             from timing alone"
                .to_string(),
        );
    }
    match (precedes, r.first, r.last, failure_onset) {
        (false, Some(first), _, Some(on)) if first > on + TOLERANCE => against.push(format!(
            "{} is first seen at {}, {} after the failures began ({})",
            r.id,
            hms(first),
            seconds(first - on),
            hms(on)
        )),
        (false, _, Some(last), Some(on)) => against.push(format!(
            "{} was last seen at {}, {} before the failures began ({})",
            r.id,
            when(Some(last)),
            seconds(on - last),
            hms(on)
        )),
        _ => {}
    }
    if failed > 0 && explained < failed {
        against.push(format!(
            "{} of the {failed} failed requests follow no step of this chain within its lag",
            failed - explained
        ));
    }
    if r.count < 3 {
        against.push(format!("{} occurred only {}", r.id, plural(r.count, "time", "times")));
    }
    for e in edges.iter().filter(|e| e.from == r.id && unknown.is_none()) {
        let is_request_symptom = e.to == symptoms::HTTP_5XX || e.to == symptoms::NO_RESPONSE;
        if is_request_symptom && inp.symptoms.get(&e.to).is_none() && inp.lt.outcomes.total > 0 {
            against.push(format!(
                "the catalog expects {} to cause {}, but the load tool saw none",
                r.id,
                symptoms::title(&e.to).unwrap_or(&e.to)
            ));
        }
    }
    if failed == 0 {
        against.push(if inp.lt.outcomes.total > 0 {
            format!("the load tool saw no failure in {} requests", inp.lt.outcomes.total)
        } else {
            "no load-test data was given, so the effect on requests is unknown".to_string()
        });
    }

    let summary = summary(inp, r, &steps, failure_onset, explained, failed);
    let sig = r.finding.and_then(|i| inp.catalog.signatures.get(inp.findings[i].signature));
    let fix = match unknown {
        Some(u) => format!(
            "Unknown: no catalog entry describes this pattern. Read its first occurrence \
             (\"{}\") and what the process was doing then; once its cause is known, \
             `rootcause signatures --suggest` prints a catalog entry for it to finish and load \
             with --signatures FILE.",
            u.example.text
        ),
        None => remedy(r.id, sig.map_or("", |s| s.remediation.as_str()), inp),
    };
    Hypothesis {
        rank: 0,
        root: r.finding.unwrap_or(0),
        root_id: r.id.to_string(),
        steps,
        effects: effects.into_iter().collect(),
        explains: (explained, failed),
        confidence,
        scores,
        summary,
        fix,
        against,
        uncatalogued: unknown.cloned(),
    }
}

fn step(n: &Node<'_>, role: Role, link: Option<&Link<'_>>, nodes: &[Node<'_>]) -> Step {
    let cause = link.map(|l| match role {
        Role::Context => nodes[l.to].id.to_string(),
        _ => nodes[l.from].id.to_string(),
    });
    let span = match (n.first, n.last) {
        (Some(a), Some(b)) if b > a => format!("from {} to {}", hms(a), hms(b)),
        (Some(a), _) => format!("at {}", hms(a)),
        _ => "at an unknown time".to_string(),
    };
    let mut text = match n.detail {
        Some(d) => format!("{}: {d}", n.id),
        None => format!(
            "{} ({}): {} {span}",
            n.id,
            n.title,
            plural(n.count, "occurrence", "occurrences")
        ),
    };
    if let (Some(l), Role::Effect) = (link, role) {
        text.push_str(&format!(
            "; {} of {} within {} after {}{}",
            l.supported,
            n.times.len(),
            seconds(l.edge.lag),
            nodes[l.from].id,
            l.observed_lag.map_or(String::new(), |d| format!(" (median {})", seconds(d)))
        ));
    }
    if let (Some(l), Role::Context) = (link, role) {
        text.push_str(&format!("; precedes {} ({})", nodes[l.to].id, l.edge.why));
    }
    Step {
        id: n.id.to_string(),
        title: n.title.to_string(),
        role,
        symptom: n.finding.is_none() && n.uncatalogued.is_none(),
        count: n.count,
        first: n.first,
        last: n.last,
        cause,
        why: link.map(|l| l.edge.why.clone()),
        lag: link.map(|l| l.edge.lag),
        observed_lag: link.and_then(|l| l.observed_lag),
        supported: link.map_or(0, |l| l.supported),
        support: link.map_or(0.0, |l| l.support),
        text,
        evidence: n.evidence.iter().take(3).cloned().collect(),
    }
}

fn summary(
    inp: &Input<'_>,
    r: &Node<'_>,
    steps: &[Step],
    failure_onset: Option<Micros>,
    explained: u64,
    failed: u64,
) -> String {
    let mut s = String::new();
    let sig = r.finding.and_then(|i| inp.catalog.signatures.get(inp.findings[i].signature));
    s.push_str(&format!(
        "{} began at {} ({})",
        r.id,
        when(r.first),
        plural(r.count, "occurrence", "occurrences")
    ));
    match (r.first, failure_onset) {
        (Some(f), Some(on)) if f <= on => {
            s.push_str(&format!(", {} before the failures began at {}", seconds(on - f), hms(on)))
        }
        (Some(f), Some(on)) => {
            s.push_str(&format!(", {} after the failures began at {}", seconds(f - on), hms(on)))
        }
        _ => {}
    }
    s.push_str(". ");
    if let Some(sig) = sig {
        s.push_str(first_sentence(&sig.meaning));
        s.push(' ');
    }
    if let Some(u) = r.uncatalogued.and_then(|i| inp.uncatalogued.get(i)) {
        s.push_str(&format!(
            "It is an uncatalogued pattern: no signature matches it; {}. ",
            u.change.trim_end_matches('.')
        ));
    }
    let effects: Vec<&Step> = steps.iter().filter(|x| x.role == Role::Effect).collect();
    if !effects.is_empty() {
        let names: Vec<String> = effects.iter().map(|x| x.id.clone()).collect();
        s.push_str(&format!("It was followed by {}. ", names.join(", then ")));
    }
    if failed > 0 {
        s.push_str(&format!("The chain accounts for {explained} of the {failed} failed requests."));
    }
    let c = inp.funnel.overall;
    if inp.funnel.has_app_log && c.sent > 0 {
        s.push_str(&format!(
            " Funnel: {} sent, {} reached the app, {} started a query, {} completed it",
            c.sent, c.hit, c.started, c.completed
        ));
        match c.biggest_loss() {
            Some((from, to, lost)) => {
                s.push_str(&format!("; most were lost between {from} and {to} ({lost})."))
            }
            None => s.push('.'),
        }
    }
    s.trim_end().to_string()
}

fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// The fix for a root, led by the numbers the logs state.
fn remedy(id: &str, remediation: &str, inp: &Input<'_>) -> String {
    let f = &inp.facts;
    let mut facts: Vec<String> = Vec::new();
    let procs = f.processes.as_ref();
    let budget = |per: i64| -> Option<String> {
        let p = procs?;
        Some(format!(
            "{} process{} ({}) → up to {} connections",
            p.count,
            if p.count == 1 { "" } else { "es" },
            p.how,
            per * p.count as i64
        ))
    };
    let limit = f.pg.and_then(|p| p.limit_observed);
    let pg_sentence = match (f.pg, limit) {
        (Some(p), Some(k)) => format!(
            "Postgres refused new clients {} with {k} backends alive (its max_connections minus \
             reserved slots, as observed); backends peaked at {}.",
            plural(p.refused, "time", "times"),
            p.peak
        ),
        (Some(p), None) => format!(
            "Postgres backends peaked at {} and no client was refused; max_connections is not \
             in the logs (SHOW max_connections).",
            p.peak
        ),
        _ => "Postgres' max_connections is not in the logs (SHOW max_connections; with \
              log_connections on, rootcause counts the backends)."
            .to_string(),
    };
    match id {
        "queuepool_exhausted" | "pg_too_many_clients" | "pg_reserved_slots" => {
            if let Some(p) = &f.pool {
                let per = p.per_process();
                let mut s = match per {
                    Some(n) => format!(
                        "The pool allows pool_size {} + max_overflow {} = {n} connections per \
                         process",
                        p.size, p.overflow
                    ),
                    None => format!(
                        "The pool allows pool_size {} with an unlimited overflow per process",
                        p.size
                    ),
                };
                if let Some(b) = per.and_then(budget) {
                    s.push_str(&format!("; {b}"));
                }
                s.push_str(&format!(
                    "; {} timed out after {} s waiting for one.",
                    plural(p.timeouts, "checkout", "checkouts"),
                    p.timeout
                ));
                facts.push(s);
            } else if let Some(p) = procs {
                facts.push(format!(
                    "{} server process{} ({}).",
                    p.count,
                    if p.count == 1 { "" } else { "es" },
                    p.how
                ));
            }
            facts.push(pg_sentence);
            if let Some(class) = async_workers(procs).filter(|_| id != "queuepool_exhausted") {
                facts.push(format!(
                    "gunicorn ran {class} workers: a greenlet serving a request opens its own \
                     database connection unless the app shares one bounded pool per process, so \
                     each process holds as many connections as it has requests in flight (up to \
                     its worker_connections, 1000 by default) and the processes together outgrow \
                     Postgres under load. Share a bounded pool (pool_size × processes below \
                     max_connections), put PgBouncer in front, or serve with a fixed thread pool \
                     (gthread, waitress)."
                ));
            }
            if let (Some(k), Some(p)) = (limit, procs) {
                let each = k / p.count.max(1);
                facts.push(format!(
                    "To stay under {k}, {} processes can hold at most {each} connections each \
                     (pool_size + max_overflow ≤ {each}), or put PgBouncer in front.",
                    p.count
                ));
            }
            if id == "queuepool_exhausted" {
                if let (Some(p), Some(q)) = (&f.pool, inp.funnel.query_ms.as_ref()) {
                    if let (Some(total), true) = (p.per_process(), q.median > 0.0) {
                        let cap = total as f64 * 1000.0 / q.median;
                        let mut s = format!(
                            "At the median query time of {:.0} ms, {total} connections complete \
                             at most about {cap:.0} queries per second per process",
                            q.median
                        );
                        match inp.lt.send_rate {
                            Some(r) => s.push_str(&format!(
                                "; the load tool sent up to {} requests in one second (from {} UTC).",
                                r.peak_per_s,
                                hms(r.peak_at)
                            )),
                            None => s.push('.'),
                        }
                        facts.push(s);
                    }
                }
            }
        }
        "gunicorn_worker_timeout" | "gu_signal_new" | "gu_signal_old" => {
            if let Some(k) = f.kills {
                let mut s = format!(
                    "gunicorn timed out {} ({}) and sent {}",
                    plural(k.timeouts, "worker", "workers"),
                    plural(k.pids, "distinct pid", "distinct pids"),
                    plural(k.sigkills, "SIGKILL", "SIGKILLs")
                );
                if k.sigkills > 0 {
                    s.push_str(&format!(
                        "; {} of the SIGKILLs followed a WORKER TIMEOUT of the same pid, so \
                         {} the \"Perhaps out of memory?\" hint is not an OOM kill",
                        k.sigkills_after_timeout,
                        if k.sigkills_after_timeout == k.sigkills {
                            "for all of them"
                        } else {
                            "for those"
                        }
                    ));
                }
                s.push('.');
                facts.push(s);
            }
            if let Some(p) = procs {
                facts.push(format!(
                    "{} ({} workers{}); each kill drops the request that worker was serving.",
                    capitalise(&p.how),
                    p.count,
                    p.worker_class.as_ref().map_or(String::new(), |c| format!(", {c}"))
                ));
            }
            if let Some(l) = &inp.lt.latency {
                if let (Some(p99), Some(max)) = (l.p99, l.max) {
                    facts.push(format!(
                        "Answered requests took up to {max:.0} ms (p99 {p99:.0} ms); the killed ones \
                         ran longer than gunicorn's --timeout."
                    ));
                }
            }
            if let Some(p) = &f.pool {
                facts.push(format!(
                    "Pool checkouts wait up to {} s (pool_timeout); keep that below gunicorn's \
                     --timeout so a pool wait fails the request instead of the worker.",
                    p.timeout
                ));
            }
        }
        "thread_start_failed" => {
            facts.push(format!(
                "{} could not start a thread.",
                plural(f.threads_failed, "request", "requests")
            ));
            if let Some(p) = &f.pool {
                facts.push(format!(
                    "Meanwhile {} pool checkouts timed out after {} s: threads blocked on the \
                     pool pile up until no new one can start.",
                    p.timeouts, p.timeout
                ));
            }
        }
        _ => {}
    }
    if facts.is_empty() {
        remediation.to_string()
    } else {
        format!("{} {remediation}", facts.join(" "))
    }
}

/// The worker class when it is an asynchronous one (gevent, eventlet): one greenlet per
/// request in flight, each free to open its own connection.
fn async_workers(procs: Option<&facts::Processes>) -> Option<&str> {
    let class = procs?.worker_class.as_deref()?;
    let lower = class.to_ascii_lowercase();
    (lower.contains("gevent") || lower.contains("eventlet")).then_some(class)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
