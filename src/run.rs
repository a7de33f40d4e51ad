//! One run's inputs read, put on one clock and ordered: what `analyze` and `timeline` share.

use std::path::PathBuf;

use crate::config::{CorrelateConfig, InputConfig, UsageError};
use crate::correlate::{self, Timeline};
use crate::ingest::{self, Ingested, discover};
use crate::skew::{self, Skew};
use crate::{detect, flow, funnel, hypothesise, loadtest, report, symptoms};

/// Inputs read, skew corrected, events ordered.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The inputs and their line accounting (events moved to `timeline`).
    pub ingested: Ingested,
    /// The clock skew of every input.
    pub skews: Vec<Skew>,
    /// Every event on the reference clock, in time order.
    pub timeline: Timeline,
}

/// Stage timings on stderr when `ROOTCAUSE_TIMINGS` is set: where the time of a run goes, for
/// the benchmarks (`bench/`). Never part of any report.
struct Timings {
    on: bool,
    last: std::time::Instant,
}

impl Timings {
    fn new() -> Timings {
        Timings {
            on: std::env::var_os("ROOTCAUSE_TIMINGS").is_some(),
            last: std::time::Instant::now(),
        }
    }

    fn lap(&mut self, stage: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!("rootcause timing: {stage:<12} {:8.3} s", (now - self.last).as_secs_f64());
            self.last = now;
        }
    }
}

/// Reads `paths`, corrects clock skew and orders the events. Fails only when `--skew` names no
/// input; unreadable inputs are recorded in [`Ingested`].
pub fn prepare(
    paths: &[PathBuf],
    input: &InputConfig,
    corr: &CorrelateConfig,
    pool: &rayon::ThreadPool,
) -> Result<Prepared, UsageError> {
    let mut t = Timings::new();
    let (inputs, discover_errors) = discover::expand(paths);
    let mut ingested = ingest::ingest(&inputs, &input.ingest, pool);
    ingested.discover_errors = discover_errors;
    t.lap("ingest");
    let mut events = std::mem::take(&mut ingested.events);
    let skews = skew::correct(&mut events, &ingested.sources, &corr.skews).map_err(UsageError)?;
    t.lap("skew");
    let timeline = pool.install(|| correlate::correlate(events));
    t.lap("correlate");
    Ok(Prepared { ingested, skews, timeline })
}

/// Analyses one run: reads `paths` and builds its report (what `analyze`, `diff` and `check`
/// share). Fails only when `--skew` names no input.
pub fn report(
    paths: &[PathBuf],
    input: &InputConfig,
    corr: &CorrelateConfig,
    evidence: usize,
    pool: &rayon::ThreadPool,
    catalog: &detect::Catalog,
) -> Result<(report::Report, Ingested), UsageError> {
    let Prepared { ingested, skews, timeline } = prepare(paths, input, corr, pool)?;
    let mut t = Timings::new();
    let lt = loadtest::analyse(&timeline);
    t.lap("loadtest");
    let fun = funnel::count(&timeline);
    let flow = flow::analyse(&timeline, skew::tolerance(&skews), corr.bucket);
    t.lap("funnel+flow");
    let findings = pool.install(|| detect::detect(&timeline, catalog, evidence));
    t.lap("detect");
    let symptoms = symptoms::derive(&timeline, &lt, &flow, evidence);
    let facts = hypothesise::facts::gather(&timeline, &findings, catalog, symptoms.pg);
    let diagnosis = hypothesise::hypothesise(&hypothesise::Input {
        lt: &lt,
        funnel: &fun,
        findings: &findings,
        catalog,
        edges: &catalog.edges,
        symptoms: &symptoms,
        facts,
    });
    t.lap("hypothesise");
    let rep = report::build(&report::Parts {
        ingested: &ingested,
        timeline: &timeline,
        loadtest: &lt,
        funnel: &fun,
        stage_patterns: input.ingest.stages.patterns(),
        findings: &findings,
        catalog,
        diagnosis: &diagnosis,
        skews: &skews,
        flow: &flow,
        symptoms: &symptoms,
    });
    t.lap("report");
    Ok((rep, ingested))
}
