//! Report: the one value every output is rendered from, and its renderers.
//!
//! [`build`] computes every number once into a [`Report`]; [`table`] and [`json`] only
//! render it, so the outputs cannot disagree. The JSON wire format is the `Report` itself
//! (schema `rootcause.report/v1`, documented in `docs/report-schema.md`). All maps are
//! ordered (`BTreeMap`) and all times are RFC 3339 UTC, so output is byte-identical between
//! runs and thread counts. Log text that reaches a report is stripped of control characters
//! and escape sequences ([`sanitize`]).

pub mod charts;
pub mod color;
pub mod correlation;
pub mod html;
pub mod json;
pub mod lt_tables;
pub mod markdown;
pub mod plot;
pub mod prose;
pub mod table;

use std::collections::BTreeMap;

use rootcause_parsers::time::format_rfc3339_micros;
use rootcause_parsers::{Micros, Note};
use serde::Serialize;

use crate::correlate::Timeline;
use crate::detect::{Catalog, Finding};
use crate::funnel::{self, Funnel};
use crate::hypothesise::{self, Diagnosis};
use crate::ingest::Ingested;
use crate::loadtest::{Latency, LoadTest, Outcomes};
use crate::stats::Summary;

/// The schema name written in every JSON report.
pub const SCHEMA: &str = "rootcause.report/v1";

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The one-sentence verdict.
    pub diagnosis: DiagnosisOut,
    /// The run's time span.
    pub run: RunOut,
    /// Every input and what became of its lines.
    pub inputs: Vec<InputOut>,
    /// How the timestamps of all inputs were read: totals of the inputs' time notes.
    pub timestamps: TimestampsOut,
    /// Outcomes of the load tool's requests.
    pub outcomes: OutcomesOut,
    /// Latency of successful (2xx) requests, ms.
    pub latency_ms: LatencyOut,
    /// The seed report's load-test tables, throughput and latency phases.
    pub loadtest: LoadTestOut,
    /// The request funnel.
    pub funnel: FunnelOut,
    /// Clock skew, lost requests by class, the funnel over time and the loss onset.
    pub correlation: correlation::CorrelationOut,
    /// Signatures found, most frequent first.
    pub signatures: Vec<SignatureOut>,
    /// Symptoms derived from the data (5xx, no response, latency plateau, funnel drop,
    /// Postgres connections near the limit), in order of onset.
    pub symptoms: Vec<SymptomOut>,
    /// Symptoms that could not be judged for lack of data, one sentence each.
    pub symptom_notes: Vec<String>,
    /// What the logs state about the system: pool, processes, kills, Postgres connections.
    pub facts: FactsOut,
    /// Ranked hypotheses; empty when no failure signature was found.
    pub hypotheses: Vec<HypothesisOut>,
    /// When the run turned bad, found from its failure rate over time ([`crate::onset`]).
    pub onset: OnsetReport,
    /// What was skipped on purpose while walking folders (symlink loops, ...).
    pub warnings: Vec<String>,
    /// What the charts draw (not part of the JSON).
    #[serde(skip)]
    pub plot: plot::PlotData,
}

/// The schema name of a report on several runs.
pub const RUNS_SCHEMA: &str = "rootcause.runs/v1";

/// Several runs side by side: each run's whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Runs {
    /// Always [`RUNS_SCHEMA`].
    pub schema: &'static str,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The runs, in the order given.
    pub runs: Vec<RunReport>,
}

impl Runs {
    /// Wraps the runs' reports.
    pub fn new(runs: Vec<RunReport>) -> Runs {
        Runs { schema: RUNS_SCHEMA, tool: tool(), runs }
    }
}

/// One run of [`Runs`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunReport {
    /// Its name (the folder's name, or NAME of `--run NAME=PATH`).
    pub name: String,
    /// The paths it was read from.
    pub paths: Vec<String>,
    /// Its report (schema rootcause.report/v1).
    pub report: Report,
}

fn tool() -> Tool {
    Tool { name: "rootcause", version: env!("CARGO_PKG_VERSION") }
}

/// Name and version of the tool.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tool {
    /// `rootcause`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// The verdict.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DiagnosisOut {
    /// `no_failure`, `explained`, `unexplained` or `signatures_only`.
    pub verdict: &'static str,
    /// One sentence.
    pub statement: String,
}

/// Times of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunOut {
    /// First request sent.
    pub first_sent: Option<String>,
    /// Last request sent.
    pub last_sent: Option<String>,
    /// Earliest timestamp of any event.
    pub earliest_event: Option<String>,
    /// Latest timestamp of any event.
    pub latest_event: Option<String>,
    /// The window stage events are counted in.
    pub window: Option<WindowOut>,
    /// Requests sent per second over the send span.
    pub send_rate_mean_per_s: Option<f64>,
    /// The most requests sent within one second.
    pub send_rate_peak_per_s: Option<u64>,
    /// Start of that busiest second.
    pub send_rate_peak_at: Option<String>,
}

/// A time window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WindowOut {
    /// Start.
    pub start: String,
    /// End.
    pub end: String,
}

/// One input.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputOut {
    /// Path as given (`-` for stdin).
    pub path: String,
    /// Format name, or `unknown`.
    pub format: String,
    /// Why that format.
    pub reason: String,
    /// Format detail (Postgres prefix, CSV columns).
    pub detail: Option<String>,
    /// The tool that wrote a format shared by several (`JMeter JTL`), or null.
    pub dialect: Option<&'static str>,
    /// `gzip` or null.
    pub compression: Option<&'static str>,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Lines in records or consumed as structure.
    pub parsed: u64,
    /// Records produced.
    pub records: u64,
    /// Lines skipped.
    pub skipped: u64,
    /// Skipped lines by reason.
    pub skipped_reasons: BTreeMap<&'static str, u64>,
    /// The first lines skipped for each reason.
    pub skipped_first_lines: BTreeMap<&'static str, Vec<u64>>,
    /// Caveats on parsed lines, by kind.
    pub notes: BTreeMap<&'static str, u64>,
    /// Why the input could not be read (fully), if so.
    pub error: Option<String>,
    /// The input whose copy this one is, when it was not read for that (another
    /// `log_destination` of the same Postgres server log), else null.
    pub copy_of: Option<String>,
}

/// Lines whose time needed help, over all inputs: the totals of the inputs' time notes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct TimestampsOut {
    /// Garbled stamps whose time was recovered from them (note `timestamp_recovered`).
    pub recovered: u64,
    /// Lines that took a neighbouring line's time (note `timestamp_inferred`).
    pub inferred: u64,
    /// Stamps without a zone, read with `--tz` (default UTC) (note `zone_assumed`).
    pub zone_assumed: u64,
    /// Stamps whose zone was a named abbreviation other than UTC's (note `zone_abbreviation`).
    pub zone_abbreviation: u64,
    /// Lines earlier than an earlier line of their input; sorted into place (note
    /// `out_of_order`).
    pub out_of_order: u64,
    /// Events still without a time after inference: those of inputs without any timestamp.
    pub missing: u64,
    /// Lines whose stamp could not be read (note `bad_timestamp`); they are also inferred
    /// unless their input has no timestamp at all.
    pub bad_timestamp: u64,
}

impl TimestampsOut {
    /// Sums the time notes of `sources`.
    fn of(sources: &[crate::ingest::SourceInfo]) -> TimestampsOut {
        let mut t = TimestampsOut::default();
        for s in sources {
            let note = |n: Note| s.stats.notes.get(n.as_str()).map_or(0, |o| o.count);
            t.recovered += note(Note::TimestampRecovered);
            t.inferred += note(Note::TimestampInferred);
            t.zone_assumed += note(Note::ZoneAssumed);
            t.zone_abbreviation += note(Note::ZoneAbbreviation);
            t.out_of_order += note(Note::OutOfOrder);
            t.bad_timestamp += note(Note::BadTimestamp);
            t.missing += s.stats.untimed;
        }
        t
    }
}

/// Outcome counts.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct OutcomeCounts {
    /// Requests.
    pub total: u64,
    /// By status code.
    pub status: BTreeMap<String, u64>,
    /// Without a response.
    pub no_response: u64,
    /// 2xx.
    pub success: u64,
    /// 5xx or no response.
    pub failed: u64,
}

impl From<&Outcomes> for OutcomeCounts {
    fn from(o: &Outcomes) -> Self {
        OutcomeCounts {
            total: o.total,
            status: o.status.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            no_response: o.no_response,
            success: o.success(),
            failed: o.failed(),
        }
    }
}

/// Outcomes overall and per route.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomesOut {
    /// Requests.
    pub total: u64,
    /// By status code.
    pub status: BTreeMap<String, u64>,
    /// Without a response.
    pub no_response: u64,
    /// 2xx.
    pub success: u64,
    /// 5xx or no response.
    pub failed: u64,
    /// Per route.
    pub by_route: BTreeMap<String, OutcomeCounts>,
}

/// A latency summary on the wire: [`Latency`], every value rounded to 3 decimals; all null
/// (and `count` 0) when nothing was measured.
pub type LatencySummary = Latency;

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl From<Option<&Latency>> for LatencySummary {
    fn from(s: Option<&Latency>) -> Self {
        let r = |v: Option<f64>| v.map(round3);
        s.map_or_else(Latency::default, |s| Latency {
            count: s.count,
            min: r(s.min),
            max: r(s.max),
            mean: r(s.mean),
            median: r(s.median),
            p90: r(s.p90),
            p95: r(s.p95),
            p99: r(s.p99),
        })
    }
}

impl From<Option<&Summary>> for LatencySummary {
    fn from(s: Option<&Summary>) -> Self {
        LatencySummary::from(s.map(|s| Latency::from(*s)).as_ref())
    }
}

/// Latency overall and per route.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyOut {
    /// Overall.
    #[serde(flatten)]
    pub overall: LatencySummary,
    /// Per route.
    pub by_route: BTreeMap<String, LatencySummary>,
    /// A sample of the successful requests' latencies, for comparing runs (`diff`, `check`).
    pub sample: LatencySample,
}

/// Most latencies kept in [`LatencySample`].
pub const MAX_SAMPLE: usize = 10_000;

/// Latencies of successful (2xx) requests, in send order: all of them up to [`MAX_SAMPLE`],
/// else every k-th (an even, deterministic subsample), rounded to 0.01 ms.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct LatencySample {
    /// Successful requests with an elapsed time in the run.
    pub of: u64,
    /// The sample.
    pub values: Vec<f64>,
}

impl LatencySample {
    /// The sample of the successful requests in `tl`.
    pub fn of_timeline(tl: &Timeline) -> LatencySample {
        // Counted, then sampled: a run has millions.
        let all = || {
            tl.events.iter().filter_map(|e| match &e.kind {
                crate::model::EventKind::Request(r)
                    if r.status().is_some_and(|s| (200..300).contains(&s)) =>
                {
                    r.elapsed_ms().filter(|m| m.is_finite())
                }
                _ => None,
            })
        };
        let of = all().count();
        let step = of.div_ceil(MAX_SAMPLE).max(1);
        LatencySample {
            of: of as u64,
            values: all().step_by(step).map(|v| (v * 100.0).round() / 100.0).collect(),
        }
    }
}

/// The seed report's outcome columns, as counts or percentages.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct Columns<T> {
    /// Success (200); from aggregating tools, every request they did not count as failed.
    #[serde(rename = "200")]
    pub ok: T,
    /// No response.
    pub no_response: T,
    /// 404.
    #[serde(rename = "404")]
    pub not_found: T,
    /// 500.
    #[serde(rename = "500")]
    pub server_error: T,
    /// Any other status, or a failure without a readable status.
    pub other: T,
}

impl<T: Copy> Columns<T> {
    fn of(a: [T; 5]) -> Columns<T> {
        Columns { ok: a[0], no_response: a[1], not_found: a[2], server_error: a[3], other: a[4] }
    }

    /// In the seed report's order: 200, no response, 404, 500, other.
    pub fn values(&self) -> [T; 5] {
        [self.ok, self.no_response, self.not_found, self.server_error, self.other]
    }
}

/// One row of an outcome table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeRow {
    /// Burst size (the seed's "request count"), in `by_burst_offset` rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
    /// Delay between requests, ms, in `by_burst_offset` and `by_offset` rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<f64>,
    /// Route, in `by_route` rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Requests in the row.
    pub total: u64,
    /// Requests per column.
    pub counts: Columns<u64>,
    /// Percent of the row's requests per column, rounded to two decimals.
    pub percent: Columns<f64>,
}

impl OutcomeRow {
    fn new(o: &Outcomes) -> OutcomeRow {
        OutcomeRow {
            burst: None,
            offset_ms: None,
            route: None,
            total: o.total,
            counts: Columns::of(o.columns()),
            percent: Columns::of(o.percentages().map(|p| (p * 100.0).round() / 100.0)),
        }
    }
}

/// Requests sent and completed per second.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ThroughputOut {
    /// From the first send to the last response, s.
    pub duration_s: Option<f64>,
    /// Requests sent per second.
    pub sent_per_s: Option<f64>,
    /// Responses per second.
    pub completed_per_s: Option<f64>,
    /// Successful responses per second.
    pub success_per_s: Option<f64>,
}

/// One latency phase.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhaseOut {
    /// `steady`, `baseline`, `ramp_up`, `plateau`, `ramp_down`, `recovered` or `degraded`.
    pub phase: &'static str,
    /// Index in send order (1-based) of its first request.
    pub first_request: u64,
    /// Index of its last request.
    pub last_request: u64,
    /// Send time of its first request.
    pub start: Option<String>,
    /// Send time of its last request.
    pub end: Option<String>,
    /// Seconds from the first request of the test to the phase's start.
    pub start_offset_s: Option<f64>,
    /// Requests measured in the phase.
    pub requests: u64,
    /// Median latency, ms.
    pub median_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// Fastest, ms.
    pub min_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// How the phases were found.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PhaseDetectionOut {
    /// Rolling-median window, in requests (or samples).
    pub window: usize,
    /// Baseline latency, ms.
    pub baseline_ms: f64,
    /// The rolling median crossing this (ms) marks the knee.
    pub knee_threshold_ms: f64,
}

/// A failure group reported by an aggregating tool (Locust `*_failures.csv`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailureGroupOutput {
    /// Input path.
    pub path: String,
    /// Line.
    pub line: u64,
    /// Method.
    pub method: Option<String>,
    /// Route.
    pub route: Option<String>,
    /// Error text, sanitised.
    pub error: String,
    /// Occurrences.
    pub occurrences: u64,
    /// What the error says: a status (`"500"`), `no_response`, or `unknown`.
    pub outcome: String,
    /// First seen.
    pub first_seen: Option<String>,
    /// Last seen.
    pub last_seen: Option<String>,
}

/// An exception group reported by an aggregating tool (Locust `*_exceptions.csv`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExceptionGroupOut {
    /// Occurrences.
    pub count: u64,
    /// Message, sanitised.
    pub message: String,
}

/// A table that could not be computed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnavailableOut {
    /// Its name in this object.
    pub table: &'static str,
    /// Why.
    pub reason: String,
}

/// The load-test tables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadTestOut {
    /// `per_request`, `aggregate` or `none`.
    pub basis: &'static str,
    /// Aggregating tools read (`locust`, `wrk`, `wrk2`).
    pub tools: Vec<&'static str>,
    /// Outcomes per burst size and offset, ordered by burst then offset.
    pub by_burst_offset: Vec<OutcomeRow>,
    /// Outcomes per offset, all burst sizes together.
    pub by_offset: Vec<OutcomeRow>,
    /// Outcomes per route.
    pub by_route: Vec<OutcomeRow>,
    /// All routes combined.
    pub all_routes: OutcomeRow,
    /// Latency of successful requests (or as the tool reported it), ms.
    pub latency_ms: LatencyOut,
    /// Throughput.
    pub throughput: Option<ThroughputOut>,
    /// The most requests sent within one second.
    pub peak_sent_per_s: Option<u64>,
    /// Latency phases in send order.
    pub phases: Vec<PhaseOut>,
    /// How the phases were found (null without phases).
    pub phase_detection: Option<PhaseDetectionOut>,
    /// Failure groups from aggregating tools.
    pub failure_groups: Vec<FailureGroupOutput>,
    /// Exception groups from aggregating tools.
    pub exception_groups: Vec<ExceptionGroupOut>,
    /// Tables that could not be computed, and why.
    pub unavailable: Vec<UnavailableOut>,
    /// Caveats on how the numbers were read.
    pub notes: Vec<String>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn loadtest_out(
    lt: &LoadTest,
    latency_ms: &LatencyOut,
    path_of: &dyn Fn(u32) -> String,
) -> LoadTestOut {
    let by_burst_offset = lt
        .by_burst_offset
        .iter()
        .map(|((b, off), o)| OutcomeRow {
            burst: Some(*b),
            offset_ms: Some(off.ms()),
            ..OutcomeRow::new(o)
        })
        .collect();
    let by_offset = lt
        .by_offset
        .iter()
        .map(|(off, o)| OutcomeRow { offset_ms: Some(off.ms()), ..OutcomeRow::new(o) })
        .collect();
    let by_route = lt
        .by_route
        .iter()
        .map(|(r, rr)| OutcomeRow { route: Some(sanitize(r)), ..OutcomeRow::new(&rr.outcomes) })
        .collect();
    let first = lt.sent_span.map(|s| s.0);
    let phases = lt
        .phases
        .as_ref()
        .map(|p| {
            p.phases
                .iter()
                .map(|ph| PhaseOut {
                    phase: ph.kind.as_str(),
                    first_request: ph.first_index,
                    last_request: ph.last_index,
                    start: ts(ph.start),
                    end: ts(ph.end),
                    start_offset_s: ph.start.zip(first).map(|(s, f)| round3((s - f) as f64 / 1e6)),
                    requests: ph.requests,
                    median_ms: round3(ph.latency.median),
                    p95_ms: round3(ph.latency.p95),
                    min_ms: round3(ph.latency.min),
                    max_ms: round3(ph.latency.max),
                })
                .collect()
        })
        .unwrap_or_default();
    LoadTestOut {
        basis: lt.basis.as_str(),
        tools: lt.tools.clone(),
        by_burst_offset,
        by_offset,
        by_route,
        all_routes: OutcomeRow::new(&lt.outcomes),
        latency_ms: latency_ms.clone(),
        throughput: lt.throughput.map(|t| ThroughputOut {
            duration_s: t.duration_s.map(round3),
            sent_per_s: t.sent_per_s.map(round2),
            completed_per_s: t.completed_per_s.map(round2),
            success_per_s: t.success_per_s.map(round2),
        }),
        peak_sent_per_s: lt.send_rate.map(|r| r.peak_per_s),
        phases,
        phase_detection: lt.phases.as_ref().map(|p| PhaseDetectionOut {
            window: p.window,
            baseline_ms: round3(p.baseline_ms),
            knee_threshold_ms: round3(p.knee_threshold_ms),
        }),
        failure_groups: lt
            .failure_groups
            .iter()
            .map(|g| FailureGroupOutput {
                path: path_of(g.source),
                line: g.line,
                method: g.group.method.as_deref().map(sanitize),
                route: g.group.route.as_deref().map(sanitize),
                error: sanitize(&g.group.error),
                occurrences: g.group.occurrences,
                outcome: match g.outcome {
                    rootcause_parsers::aggregate::ErrorOutcome::Status(s) => s.to_string(),
                    rootcause_parsers::aggregate::ErrorOutcome::NoResponse => {
                        "no_response".to_string()
                    }
                    rootcause_parsers::aggregate::ErrorOutcome::Unknown => "unknown".to_string(),
                },
                first_seen: ts(g.group.first_seen),
                last_seen: ts(g.group.last_seen),
            })
            .collect(),
        exception_groups: lt
            .exception_groups
            .iter()
            .map(|(n, m)| ExceptionGroupOut { count: *n, message: sanitize(m) })
            .collect(),
        unavailable: lt
            .unavailable
            .iter()
            .map(|u| UnavailableOut { table: u.table, reason: sanitize(&u.reason) })
            .collect(),
        notes: lt.notes.iter().map(|n| sanitize(n)).collect(),
    }
}

/// Funnel counts.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct FunnelCounts {
    /// Requests sent.
    pub sent: u64,
    /// Reached the view.
    pub hit: u64,
    /// Query started.
    pub started: u64,
    /// Query completed.
    pub completed: u64,
}

impl From<funnel::Counts> for FunnelCounts {
    fn from(c: funnel::Counts) -> Self {
        FunnelCounts { sent: c.sent, hit: c.hit, started: c.started, completed: c.completed }
    }
}

/// The step where most requests were lost.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LossOut {
    /// Stage before.
    pub from: &'static str,
    /// Stage after.
    pub to: &'static str,
    /// How many fewer.
    pub lost: u64,
}

/// The funnel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunnelOut {
    /// Requests sent.
    pub sent: u64,
    /// Reached the view.
    pub hit: u64,
    /// Query started.
    pub started: u64,
    /// Query completed.
    pub completed: u64,
    /// Per route.
    pub by_route: BTreeMap<String, FunnelCounts>,
    /// The step with the largest loss, if any (null without an application log).
    pub biggest_loss: Option<LossOut>,
    /// Stage events outside the run window, not counted.
    pub outside_window: u64,
    /// Stage events without a timestamp (counted): those of application logs without any
    /// timestamp, since other lines take their neighbour's time.
    pub without_timestamp: u64,
    /// True when an application log was read.
    pub has_app_log: bool,
    /// The pattern that recognises each stage.
    pub stage_patterns: BTreeMap<&'static str, String>,
    /// Durations reported by "query completed" events (`duration_ms`), ms.
    pub query_ms: LatencySummary,
}

/// One piece of evidence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvidenceOut {
    /// Input path.
    pub path: String,
    /// Line.
    pub line: u64,
    /// When.
    pub ts: Option<String>,
    /// The matched text, sanitised.
    pub text: String,
}

/// A signature found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SignatureOut {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// True when it marks a failure.
    pub failure: bool,
    /// Effect on requests.
    pub effect: Option<String>,
    /// Matching events.
    pub count: u64,
    /// First match.
    pub first_seen: Option<String>,
    /// Last match.
    pub last_seen: Option<String>,
    /// Matches per input path.
    pub by_source: BTreeMap<String, u64>,
    /// The first matches.
    pub evidence: Vec<EvidenceOut>,
    /// Named captures: name → value → count.
    pub captures: BTreeMap<String, BTreeMap<String, u64>>,
}

/// A hypothesis.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HypothesisOut {
    /// 1 is the most likely.
    pub rank: u32,
    /// Root signature id; for an uncatalogued pattern, `uncatalogued:` and its template id.
    pub root: String,
    /// What the root is: `signature` (of the catalog in use) or `uncatalogued_pattern` (a
    /// mined template no signature matches, [`crate::hypothesise::Uncatalogued`]).
    pub root_kind: &'static str,
    /// For an uncatalogued root: its template (variable parts masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_template: Option<String>,
    /// Signature ids, root first, in order of first occurrence.
    pub chain: Vec<String>,
    /// Failure kinds the chain accounts for (`http_5xx`, `no_response`).
    pub effects: Vec<&'static str>,
    /// 0..1.
    pub confidence: f64,
    /// `high`, `medium` or `low`.
    pub confidence_label: &'static str,
    /// One paragraph with counts and times.
    pub summary: String,
    /// The fix it implies.
    pub fix: String,
    /// Evidence for the root (first matches).
    pub evidence: Vec<EvidenceOut>,
    /// Facts that weaken it.
    pub evidence_against: Vec<String>,
    /// The causal chain, step by step in time order: context signatures that preceded the
    /// root, the root, then its effects, each with the edge it follows from.
    pub steps: Vec<StepOut>,
    /// Failed requests the chain accounts for.
    pub explains_failed: u64,
    /// All failed requests.
    pub failed: u64,
    /// What the confidence is made of.
    pub scores: ScoresOut,
}

/// One step of a causal chain.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepOut {
    /// 1-based position.
    pub n: usize,
    /// Signature or symptom id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `context`, `root` or `effect`.
    pub role: &'static str,
    /// True for a symptom (derived from the data), false for a signature.
    pub symptom: bool,
    /// Occurrences.
    pub count: u64,
    /// First occurrence (a symptom's onset).
    pub first_seen: Option<String>,
    /// Last occurrence.
    pub last_seen: Option<String>,
    /// For an effect, the step it follows from; for context, the step it precedes.
    pub cause: Option<String>,
    /// The catalog's reason for that edge.
    pub why: Option<String>,
    /// The edge's longest lag, ms.
    pub lag_ms: Option<i64>,
    /// Median observed delay from a cause occurrence, ms.
    pub observed_lag_ms: Option<i64>,
    /// Occurrences with a cause occurrence within the lag before them.
    pub supported: u64,
    /// `supported / count`, 0..1.
    pub support: f64,
    /// The step as a sentence.
    pub text: String,
    /// First places it shows.
    pub evidence: Vec<EvidenceOut>,
}

/// The parts of a confidence, each 0..1.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ScoresOut {
    /// 1 when the root began no later than the failures.
    pub precedence: f64,
    /// Share of failed requests accounted for.
    pub coverage: f64,
    /// Mean support of the chain's edges.
    pub support: f64,
    /// `min(1, root occurrences / 3)`.
    pub volume: f64,
}

/// A symptom.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SymptomOut {
    /// `symptom:...` id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Affected requests (connection attempts for Postgres).
    pub count: u64,
    /// Out of.
    pub of: u64,
    /// Onset.
    pub onset: Option<String>,
    /// First occurrence.
    pub first_seen: Option<String>,
    /// Last occurrence.
    pub last_seen: Option<String>,
    /// One sentence with the numbers.
    pub detail: String,
    /// First places it shows.
    pub evidence: Vec<EvidenceOut>,
}

/// Facts the logs state (each `null` when they do not).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct FactsOut {
    /// SQLAlchemy pool: `{pool_size, max_overflow, per_process, pool_timeout_s, checkouts_timed_out}`.
    pub pool: Option<PoolOut>,
    /// Server processes: `{count, how, worker_class}`.
    pub processes: Option<ProcessesOut>,
    /// gunicorn kills.
    pub worker_kills: Option<KillsOut>,
    /// Postgres connection counts (from log_connections / log_disconnections lines).
    pub pg_connections: Option<PgConnectionsOut>,
}

/// See [`FactsOut::pool`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoolOut {
    /// `pool_size`.
    pub pool_size: i64,
    /// `max_overflow`.
    pub max_overflow: i64,
    /// Connections per process (null with an unlimited overflow).
    pub per_process: Option<i64>,
    /// `pool_timeout`, as printed.
    pub pool_timeout_s: String,
    /// Checkouts that timed out.
    pub checkouts_timed_out: u64,
}

/// See [`FactsOut::processes`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProcessesOut {
    /// Processes at once.
    pub count: u64,
    /// Where the number comes from.
    pub how: String,
    /// Worker class, when stated.
    pub worker_class: Option<String>,
}

/// See [`FactsOut::worker_kills`].
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct KillsOut {
    /// WORKER TIMEOUT lines.
    pub timeouts: u64,
    /// Distinct pids timed out.
    pub pids: u64,
    /// SIGKILL lines.
    pub sigkills: u64,
    /// SIGKILLs that followed a WORKER TIMEOUT of the same pid.
    pub sigkills_after_timeout: u64,
}

/// See [`FactsOut::pg_connections`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PgConnectionsOut {
    /// `connection received` lines.
    pub received: u64,
    /// Most backends alive at once.
    pub peak: u64,
    /// When.
    pub peak_at: Option<String>,
    /// Attempts refused for lack of slots.
    pub refused: u64,
    /// When the first was refused.
    pub first_refusal: Option<String>,
    /// Backends alive at the first refusal (the effective limit, as observed).
    pub limit_observed: Option<u64>,
}

/// Removes control characters (and so every escape sequence's ESC) from text that came from a
/// log, keeping tabs as spaces. Log text is data, never terminal control.
pub fn sanitize(s: &str) -> String {
    let stripped = rootcause_parsers::text::strip_ansi(s.as_bytes());
    String::from_utf8_lossy(&stripped)
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            // Bidirectional overrides can reorder what a reader sees.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .collect()
}

/// The counts of one capture's values as the report shows them: sanitised, and summed when
/// two values differ only by what sanitising removes (a bidirectional override).
fn capture_counts(values: &crate::detect::Values) -> BTreeMap<String, u64> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (value, t) in values.iter() {
        *counts.entry(sanitize(value)).or_default() += t.count;
    }
    counts
}

fn ts(t: Option<Micros>) -> Option<String> {
    t.map(format_rfc3339_micros)
}

/// Everything the report is built from.
pub struct Parts<'a> {
    /// The inputs.
    pub ingested: &'a Ingested,
    /// The timeline.
    pub timeline: &'a Timeline,
    /// Load-test results.
    pub loadtest: &'a LoadTest,
    /// The funnel.
    pub funnel: &'a Funnel,
    /// The stage patterns in use.
    pub stage_patterns: Vec<(crate::model::Stage, String)>,
    /// Signatures found.
    pub findings: &'a [Finding],
    /// The catalog they came from.
    pub catalog: &'a Catalog,
    /// The diagnosis.
    pub diagnosis: &'a Diagnosis,
    /// When the run turned bad.
    pub onset: &'a OnsetReport,
    /// Clock skew of every input.
    pub skews: &'a [crate::skew::Skew],
    /// The per-request funnel.
    pub flow: &'a crate::flow::Flow,
    /// Symptoms derived from the data.
    pub symptoms: &'a crate::symptoms::Symptoms,
}

/// Builds the report from the stages' results.
pub fn build(p: &Parts<'_>) -> Report {
    // The two passes over the requests, side by side (on the caller's pool).
    let (plot, sample) = rayon::join(|| plot::build(p), || LatencySample::of_timeline(p.timeline));
    let path_of = |source: u32| -> String {
        p.ingested
            .sources
            .get(source as usize)
            .map_or_else(|| "?".to_string(), |s| sanitize(&s.input.display()))
    };
    let evidence = |f: &Finding| -> Vec<EvidenceOut> {
        f.evidence
            .iter()
            .map(|e| EvidenceOut {
                path: path_of(e.source),
                line: e.line,
                ts: ts(e.ts),
                text: sanitize(&e.text),
            })
            .collect()
    };
    let mut inputs: Vec<InputOut> = p
        .ingested
        .sources
        .iter()
        .map(|s| InputOut {
            path: sanitize(&s.input.display()),
            format: s.format.map_or("unknown", |f| f.as_str()).to_string(),
            reason: sanitize(&s.reason),
            detail: s.detail.as_deref().map(sanitize),
            dialect: s.dialect,
            compression: s.compression.name(),
            bytes: s.bytes,
            lines: s.stats.lines,
            parsed: s.stats.parsed,
            records: s.stats.records,
            skipped: s.stats.skipped,
            skipped_reasons: s.stats.skipped_reasons.iter().map(|(k, v)| (*k, v.count)).collect(),
            skipped_first_lines: s
                .stats
                .skipped_reasons
                .iter()
                .map(|(k, v)| (*k, v.first_lines.clone()))
                .collect(),
            notes: s.stats.notes.iter().map(|(k, v)| (*k, v.count)).collect(),
            error: s.error.as_deref().map(sanitize),
            copy_of: s.copy_of.map(path_of),
        })
        .collect();
    // Paths given that could not be opened at all are inputs too: a ticket must show them.
    for e in p.ingested.discover_errors.iter().filter(|e| e.fatal) {
        inputs.push(InputOut {
            path: sanitize(&e.path),
            format: "unknown".to_string(),
            reason: "not read".to_string(),
            detail: None,
            dialect: None,
            compression: None,
            bytes: 0,
            lines: 0,
            parsed: 0,
            records: 0,
            skipped: 0,
            skipped_reasons: BTreeMap::new(),
            skipped_first_lines: BTreeMap::new(),
            notes: BTreeMap::new(),
            error: Some(sanitize(&e.message)),
            copy_of: None,
        });
    }
    let copies = p.ingested.sources.iter().filter_map(|s| {
        let of = s.copy_of?;
        Some(format!(
            "Not read: {} holds the same Postgres entries as {} (another log_destination of \
             the same server; its signatures are counted once)",
            sanitize(&s.input.display()),
            path_of(of)
        ))
    });
    let routers = p.ingested.router_requests.iter().map(|(&source, n)| {
        format!(
            "No load-test input: the {n} requests counted are the router's access lines of {} \
             (each request the router passed on, with its status and the time the app took; \
             sent at the line's time minus that time)",
            path_of(source)
        )
    });
    let warnings = p
        .ingested
        .discover_errors
        .iter()
        .filter(|e| !e.fatal)
        .map(|e| sanitize(&format!("{}: {}", e.path, e.message)))
        .chain(copies)
        .chain(routers)
        .collect();
    let lt = p.loadtest;
    let o = OutcomeCounts::from(&lt.outcomes);
    let outcomes = OutcomesOut {
        total: o.total,
        status: o.status,
        no_response: o.no_response,
        success: o.success,
        failed: o.failed,
        by_route: lt
            .by_route
            .iter()
            .map(|(r, rr)| (sanitize(r), OutcomeCounts::from(&rr.outcomes)))
            .collect(),
    };
    let latency_ms = LatencyOut {
        overall: LatencySummary::from(lt.latency.as_ref()),
        by_route: lt
            .by_route
            .iter()
            .map(|(r, rr)| (sanitize(r), LatencySummary::from(rr.latency.as_ref())))
            .collect(),
        sample,
    };
    let loadtest = loadtest_out(lt, &latency_ms, &path_of);
    let f = p.funnel;
    let funnel = FunnelOut {
        sent: f.overall.sent,
        hit: f.overall.hit,
        started: f.overall.started,
        completed: f.overall.completed,
        by_route: f.by_route.iter().map(|(r, c)| (sanitize(r), FunnelCounts::from(*c))).collect(),
        biggest_loss: if f.has_app_log {
            f.overall.biggest_loss().map(|(from, to, lost)| LossOut { from, to, lost })
        } else {
            None
        },
        outside_window: f.outside_window,
        without_timestamp: f.without_timestamp,
        has_app_log: f.has_app_log,
        stage_patterns: p.stage_patterns.iter().map(|(s, pat)| (s.as_str(), pat.clone())).collect(),
        query_ms: LatencySummary::from(f.query_ms.as_ref()),
    };
    let signatures = p
        .findings
        .iter()
        .map(|fi| {
            let s = &p.catalog.signatures[fi.signature];
            SignatureOut {
                id: s.id.clone(),
                title: s.title.clone(),
                severity: s.severity.clone(),
                failure: s.failure,
                effect: s.effect.clone(),
                count: fi.count,
                first_seen: ts(fi.first_seen),
                last_seen: ts(fi.last_seen),
                by_source: fi.by_source.iter().map(|(src, n)| (path_of(*src), *n)).collect(),
                evidence: evidence(fi),
                captures: fi
                    .captures
                    .iter()
                    .map(|(k, v)| (sanitize(k), capture_counts(v)))
                    .collect(),
            }
        })
        .collect();
    let evidence_out = |ev: &[crate::detect::Evidence]| -> Vec<EvidenceOut> {
        ev.iter()
            .map(|e| EvidenceOut {
                path: path_of(e.source),
                line: e.line,
                ts: ts(e.ts),
                text: sanitize(&e.text),
            })
            .collect()
    };
    let ms = |d: Micros| d / 1000;
    let hypotheses = p
        .diagnosis
        .hypotheses
        .iter()
        .map(|h| HypothesisOut {
            rank: h.rank,
            root: sanitize(&h.root_id),
            root_kind: if h.uncatalogued.is_some() { "uncatalogued_pattern" } else { "signature" },
            root_template: h.uncatalogued.as_ref().map(|u| sanitize(&u.template)),
            chain: h.chain().into_iter().map(str::to_string).collect(),
            effects: h.effects.iter().map(|k| k.as_str()).collect(),
            confidence: h.confidence,
            confidence_label: hypothesise::confidence_label(h.confidence),
            summary: sanitize(&h.summary),
            fix: sanitize(&h.fix),
            evidence: match &h.uncatalogued {
                Some(u) => evidence_out(std::slice::from_ref(&u.example)),
                None => p.findings.get(h.root).map(&evidence).unwrap_or_default(),
            },
            evidence_against: h.against.iter().map(|a| sanitize(a)).collect(),
            steps: h
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| StepOut {
                    n: i + 1,
                    id: sanitize(&s.id),
                    title: sanitize(&s.title),
                    role: s.role.as_str(),
                    symptom: s.symptom,
                    count: s.count,
                    first_seen: ts(s.first),
                    last_seen: ts(s.last),
                    cause: s.cause.as_deref().map(sanitize),
                    why: s.why.as_deref().map(sanitize),
                    lag_ms: s.lag.map(ms),
                    observed_lag_ms: s.observed_lag.map(ms),
                    supported: s.supported,
                    support: (s.support * 1000.0).round() / 1000.0,
                    text: sanitize(&s.text),
                    evidence: evidence_out(&s.evidence),
                })
                .collect(),
            explains_failed: h.explains.0,
            failed: h.explains.1,
            scores: ScoresOut {
                precedence: round3(h.scores.precedence),
                coverage: round3(h.scores.coverage),
                support: round3(h.scores.support),
                volume: round3(h.scores.volume),
            },
        })
        .collect();
    let symptoms = p
        .symptoms
        .list
        .iter()
        .map(|s| SymptomOut {
            id: s.id,
            title: crate::symptoms::title(s.id).unwrap_or(s.id),
            count: s.count,
            of: s.of,
            onset: ts(s.onset),
            first_seen: ts(s.first),
            last_seen: ts(s.last),
            detail: sanitize(&s.detail),
            evidence: evidence_out(&s.evidence),
        })
        .collect();
    let fa = &p.diagnosis.facts;
    let facts = FactsOut {
        pool: fa.pool.as_ref().map(|x| PoolOut {
            pool_size: x.size,
            max_overflow: x.overflow,
            per_process: x.per_process(),
            pool_timeout_s: sanitize(&x.timeout),
            checkouts_timed_out: x.timeouts,
        }),
        processes: fa.processes.as_ref().map(|x| ProcessesOut {
            count: x.count,
            how: x.how.clone(),
            worker_class: x.worker_class.as_deref().map(sanitize),
        }),
        worker_kills: fa.kills.map(|k| KillsOut {
            timeouts: k.timeouts,
            pids: k.pids,
            sigkills: k.sigkills,
            sigkills_after_timeout: k.sigkills_after_timeout,
        }),
        pg_connections: fa.pg.map(|c| PgConnectionsOut {
            received: c.received,
            peak: c.peak,
            peak_at: ts(c.peak_at),
            refused: c.refused,
            first_refusal: ts(c.first_refusal),
            limit_observed: c.limit_observed,
        }),
    };
    let tl = p.timeline;
    Report {
        schema: SCHEMA,
        tool: tool(),
        diagnosis: DiagnosisOut {
            verdict: p.diagnosis.verdict.as_str(),
            statement: sanitize(&p.diagnosis.statement),
        },
        run: RunOut {
            first_sent: ts(lt.sent_span.map(|s| s.0)),
            last_sent: ts(lt.sent_span.map(|s| s.1)),
            earliest_event: ts(tl.span.map(|s| s.0)),
            latest_event: ts(tl.span.map(|s| s.1)),
            window: tl.window.map(|w| WindowOut {
                start: format_rfc3339_micros(w.start),
                end: format_rfc3339_micros(w.end),
            }),
            send_rate_mean_per_s: lt.send_rate.map(|r| (r.mean_per_s * 100.0).round() / 100.0),
            send_rate_peak_per_s: lt.send_rate.map(|r| r.peak_per_s),
            send_rate_peak_at: lt.send_rate.map(|r| format_rfc3339_micros(r.peak_at)),
        },
        timestamps: TimestampsOut::of(&p.ingested.sources),
        inputs,
        outcomes,
        latency_ms,
        loadtest,
        funnel,
        correlation: correlation::build(p),
        plot,
        signatures,
        symptoms,
        symptom_notes: p.symptoms.notes.iter().map(|n| sanitize(n)).collect(),
        facts,
        hypotheses,
        onset: p.onset.clone(),
        warnings,
    }
}

/// Requests and failed ones in a window.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct WindowCounts {
    /// Requests sent.
    pub requests: u64,
    /// Of those, failed (5xx or no response).
    pub failed: u64,
}

impl From<(u64, u64)> for WindowCounts {
    fn from((requests, failed): (u64, u64)) -> WindowCounts {
        WindowCounts { requests, failed }
    }
}

/// The median latency of the requests sent before an onset and in its bad window.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct LatencyWindows {
    /// In the segment before the onset, ms.
    pub before: f64,
    /// In the bad window, ms.
    pub after: f64,
}

/// One signal's own onset search.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SignalReport {
    /// `failure_rate`, `funnel_loss` or `latency` ([`crate::onset::Signal`]).
    pub signal: &'static str,
    /// As [`OnsetReport::status`], for this signal alone.
    pub status: &'static str,
    /// Its onset, RFC 3339.
    pub at: Option<String>,
    /// Its p-value.
    pub p_value: Option<f64>,
}

/// The onset of a run ([`crate::onset`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OnsetReport {
    /// `onset` (the run turned bad at `at`), `from_start` (the failure rate was bad from its
    /// first bucket), `stable` (no signal rose significantly), `too_few` (fewer requests than
    /// the test needs).
    pub status: &'static str,
    /// Start of the first bucket of the bad window, RFC 3339.
    pub at: Option<String>,
    /// Start of the first bucket after it, when the run recovered.
    pub until: Option<String>,
    /// The segment before the onset: requests sent and failed, whichever signal found it.
    pub before: Option<WindowCounts>,
    /// The bad window (`from_start`: the bad first segment).
    pub after: Option<WindowCounts>,
    /// One-sided p-value of the rise of the signal that found it (nominal: the split was
    /// fitted to the data).
    pub p_value: Option<f64>,
    /// How it was found: the method of `signal`, the failure rate's without an onset.
    pub method: &'static str,
    /// The signal whose onset it is (`failure_rate`, `funnel_loss`, `latency`); `None` without
    /// an onset.
    pub signal: Option<&'static str>,
    /// Each signal searched, with its own result.
    pub signals: Vec<SignalReport>,
    /// The median latency before the onset and in the bad window, when both have latencies.
    pub median_latency_ms: Option<LatencyWindows>,
    /// `at` in µs, for the stages that measure at the onset.
    #[serde(skip)]
    pub at_us: Option<Micros>,
    /// `until` in µs.
    #[serde(skip)]
    pub until_us: Option<Micros>,
}

/// A finding's status in reports.
fn onset_status(f: &crate::onset::Finding) -> &'static str {
    use crate::onset::Finding;
    match f {
        Finding::Onset(_) => "onset",
        Finding::FromStart { .. } => "from_start",
        Finding::Stable => "stable",
        Finding::TooFew { .. } => "too_few",
    }
}

impl OnsetReport {
    /// The report of a run's onset search.
    pub fn of(found: &crate::onset::Found) -> OnsetReport {
        use crate::onset::Finding;
        let signals = found
            .signals
            .iter()
            .map(|(s, f)| {
                let onset = match f {
                    Finding::Onset(o) => Some(o),
                    _ => None,
                };
                SignalReport {
                    signal: s.as_str(),
                    status: onset_status(f),
                    at: ts(onset.map(|o| o.at_us)),
                    p_value: onset.map(|o| o.p_value),
                }
            })
            .collect();
        let empty = OnsetReport {
            status: onset_status(&found.chosen),
            at: None,
            until: None,
            before: None,
            after: None,
            p_value: None,
            method: found.signal.method(),
            signal: None,
            signals,
            median_latency_ms: None,
            at_us: None,
            until_us: None,
        };
        match &found.chosen {
            Finding::Onset(o) => OnsetReport {
                at: ts(Some(o.at_us)),
                until: ts(o.until_us),
                before: found.windows.map(|w| w.0.into()),
                after: found.windows.map(|w| w.1.into()),
                p_value: Some(o.p_value),
                signal: Some(found.signal.as_str()),
                median_latency_ms: found
                    .median_ms
                    .map(|(before, after)| LatencyWindows { before, after }),
                at_us: Some(o.at_us),
                until_us: o.until_us,
                ..empty
            },
            Finding::FromStart { first, until_us } => {
                OnsetReport { until: ts(*until_us), after: Some((*first).into()), ..empty }
            }
            Finding::Stable | Finding::TooFew { .. } => empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_values_that_sanitise_alike_add_up() {
        let mut v = crate::detect::Values::default();
        for value in ["pool\u{202e}", "pool", "pool", "other"] {
            v.tally(value);
        }
        let counts = capture_counts(&v);
        assert_eq!(counts.get("pool"), Some(&3));
        assert_eq!(counts.get("other"), Some(&1));
        assert_eq!(counts.values().sum::<u64>(), 4);
    }

    #[test]
    fn sanitize_removes_escapes_and_controls() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m\u{7}\tx\r\n"), "red x");
        assert_eq!(sanitize("\u{1b}]0;pwned\u{7}title"), "title");
        assert_eq!(sanitize("a\u{202e}b"), "ab");
        assert_eq!(sanitize("plain <b>"), "plain <b>");
    }
}
