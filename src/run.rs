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

/// Reads `paths`, corrects clock skew and orders the events. Fails only when `--skew` names no
/// input; unreadable inputs are recorded in [`Ingested`].
pub fn prepare(
    paths: &[PathBuf],
    input: &InputConfig,
    corr: &CorrelateConfig,
    pool: &rayon::ThreadPool,
) -> Result<Prepared, UsageError> {
    let (inputs, discover_errors) = discover::expand(paths);
    let mut ingested = ingest::ingest(&inputs, &input.ingest, pool);
    ingested.discover_errors = discover_errors;
    let mut events = std::mem::take(&mut ingested.events);
    let skews = skew::correct(&mut events, &ingested.sources, &corr.skews).map_err(UsageError)?;
    let timeline = pool.install(|| correlate::correlate(events));
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
    let lt = loadtest::analyse(&timeline);
    let fun = funnel::count(&timeline);
    let flow = flow::analyse(&timeline, skew::tolerance(&skews), corr.bucket);
    let findings = pool.install(|| detect::detect(&timeline, catalog, evidence));
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
    Ok((rep, ingested))
}
