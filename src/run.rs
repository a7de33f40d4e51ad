//! One run's inputs read, put on one clock and ordered: what `analyze` and `timeline` share.

use std::path::PathBuf;

use rootcause_parsers::sniff::Format;

use crate::config::{CorrelateConfig, InputConfig, UsageError};
use crate::correlate::{self, Timeline};
use crate::ingest::{self, Ingested, discover};
use crate::skew::{self, Skew};
use crate::{detect, flow, funnel, hypothesise, loadtest, mined, report, suggest, symptoms};

/// Inputs read, skew corrected, events ordered.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The inputs and their line accounting (events moved to `timeline`).
    pub ingested: Ingested,
    /// The clock skew of every input.
    pub skews: Vec<Skew>,
    /// Every event on the reference clock, in time order.
    pub timeline: Timeline,
    /// The application requests rebuilt from the stage events.
    pub apps: Vec<crate::requests::AppRequest>,
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
            eprintln!(
                "rootcause timing: {stage:<12} {:8.3} s  {}",
                (now - self.last).as_secs_f64(),
                memory()
            );
            self.last = now;
        }
    }
}

/// Resident and peak memory of this process, from `/proc/self/status` (Linux; empty elsewhere).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().unwrap_or(0) / 1024)
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("RSS {rss} MB, peak {peak} MB"),
        _ => String::new(),
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
    prepare_for(paths, input, corr, pool, None)
}

/// [`prepare`]; with an `analysis`, the catalog is matched during ingest and only what the
/// later stages read is kept ([`ingest::post`]).
fn prepare_for(
    paths: &[PathBuf],
    input: &InputConfig,
    corr: &CorrelateConfig,
    pool: &rayon::ThreadPool,
    analysis: Option<ingest::Analysis<'_>>,
) -> Result<Prepared, UsageError> {
    let mut t = Timings::new();
    let (inputs, discover_errors) = discover::expand(paths);
    let mut ingested = ingest::ingest_for(&inputs, &input.ingest, pool, analysis);
    ingested.discover_errors = discover_errors;
    t.lap(&format!("ingest ({} events kept)", ingested.events.len()));
    let mut events = std::mem::take(&mut ingested.events);
    // Router lines come only from platform streams: the other runs skip the pass.
    let platform = |f: Format| matches!(f, Format::Heroku | Format::CloudFoundry);
    if analysis.is_some() && ingested.sources.iter().any(|s| s.format.is_some_and(platform)) {
        let has_loadtest =
            ingested.sources.iter().any(|s| s.format.is_some_and(|f| f.is_loadtest()));
        ingested.router_requests = crate::requests::from_router(&mut events, has_loadtest);
    }
    // Read for an analysis, the stage events were folded during ingest; kept whole, they are
    // among the events.
    let (apps, stages) = match analysis {
        Some(_) => (std::mem::take(&mut ingested.apps), std::mem::take(&mut ingested.stages)),
        None => crate::requests::fold::from_events(&events),
    };
    let (skews, apps, stages) = pool
        .install(|| {
            skew::correct_with_apps(&mut events, apps, stages, &ingested.sources, &corr.skews)
        })
        .map_err(UsageError)?;
    t.lap("skew");
    // Each input's templates on the corrected clock, then merged into one miner.
    for (source, miner) in std::mem::take(&mut ingested.miners) {
        let mut miner = miner;
        miner.shift(-applied_skew(&skews, source));
        match &mut ingested.templates {
            Some(all) => all.merge(miner),
            None => ingested.templates = Some(miner),
        }
    }
    let mut timeline = pool.install(|| correlate::correlate_with(events, stages));
    // The span of every line read, not only of the events kept.
    for &(source, (lo, hi)) in &ingested.spans {
        let k = applied_skew(&skews, source);
        let (lo, hi) = (lo - k, hi - k);
        timeline.span = Some(timeline.span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    ingested.span = timeline.span;
    t.lap("correlate");
    Ok(Prepared { ingested, skews, timeline, apps })
}

/// The skew subtracted from `source`'s times (0 when none was applied).
fn applied_skew(skews: &[Skew], source: crate::model::SourceId) -> rootcause_parsers::Micros {
    skews.iter().find(|s| s.source == source && s.applied).map_or(0, |s| s.skew)
}

/// Analyses one run: reads `paths` and builds its report (what `analyze`, `diff` and `check`
/// share). With `input.mine`, the texts of every input are mined for templates
/// ([`crate::patterns`]): they are in the returned [`Ingested::templates`], on the corrected
/// clock. Fails only when `--skew` names no input.
pub fn report(
    paths: &[PathBuf],
    input: &InputConfig,
    corr: &CorrelateConfig,
    evidence: usize,
    pool: &rayon::ThreadPool,
    catalog: &detect::Catalog,
) -> Result<(report::Report, Ingested), UsageError> {
    let analysis = ingest::Analysis { catalog, evidence, mine: input.mine };
    let mut prepared = prepare_for(paths, input, corr, pool, Some(analysis))?;
    let per_input = std::mem::take(&mut prepared.ingested.findings);
    let skews = &prepared.skews;
    let findings = detect::combine(per_input, &|s| applied_skew(skews, s), catalog, evidence);
    Ok(build(prepared, findings, input, corr, evidence, pool, catalog))
}

/// An input's path as reports show it.
pub fn path_of(ingested: &Ingested, source: u32) -> String {
    ingested
        .sources
        .get(source as usize)
        .map_or_else(|| "?".to_string(), |i| report::sanitize(&i.input.display()))
}

/// The candidate causes among a run's templates ([`suggest::candidates`]) that started at
/// most [`suggest::STARTED_WITHIN_US`] before the onset and no later than one bucket (plus
/// the clock [`hypothesise::TOLERANCE`]) after it, at most [`MAX_UNCATALOGUED`], most changed
/// first, as the hypothesis engine reads them. Templates whose examples are the same line
/// (an app event's message and the traceback it carries) are one candidate: the exception,
/// which names the fault, else the first.
fn uncatalogued(
    listing: &mined::Patterns,
    templates: &[crate::patterns::Template],
    catalog: &detect::Catalog,
    bucket: rootcause_parsers::Micros,
) -> Vec<hypothesise::Uncatalogued> {
    use crate::patterns::Template;
    type Candidate<'a> = (&'a mined::TemplateOut, &'a crate::changes::Change, &'a Template);
    let late = bucket.max(rootcause_parsers::time::SECOND) + hypothesise::TOLERANCE;
    // A listed template's id is its index among the templates.
    let near = suggest::candidates(listing, catalog)
        .filter(|(_, c)| c.first_after_onset_us.is_some_and(|us| us <= late))
        .filter_map(|(t, c)| Some((t, c, templates.get(t.id as usize)?)));
    let same_line = |a: &Template, b: &Template| {
        (a.example_at.source, a.example_at.line) == (b.example_at.source, b.example_at.line)
    };
    let is_exception = |t: &Template| t.kinds.contains("exception");
    let mut kept: Vec<Candidate<'_>> = Vec::new();
    for (t, c, m) in near {
        match kept.iter_mut().find(|k| same_line(k.2, m)) {
            Some(slot) if is_exception(m) && !is_exception(slot.2) => *slot = (t, c, m),
            Some(_) => {}
            None => kept.push((t, c, m)),
        }
    }
    kept.into_iter()
        .take(MAX_UNCATALOGUED)
        .map(|(t, c, m)| {
            // One time per message, at the start of its histogram bucket.
            let times = m
                .per_second
                .iter()
                .flat_map(|(&k, &n)| std::iter::repeat_n(k * rootcause_parsers::time::SECOND, n as usize))
                .take(detect::MAX_TIMES)
                .collect();
            hypothesise::Uncatalogued {
                id: format!("{}{}", hypothesise::UNCATALOGUED, t.id),
                title: format!("Uncatalogued pattern: {}", t.template),
                template: t.template.clone(),
                count: t.count,
                first: m.first,
                last: m.last,
                times,
                example: detect::Evidence {
                    source: m.example_at.source,
                    line: m.example_at.line,
                    ts: m.example_at.ts,
                    text: t.example.clone(),
                },
                change: format!(
                    "{} at the onset ({:.3}/s before, {:.3}/s after, q = {:.1e}), first seen {:+.1} s from it",
                    if c.new { "it is new" } else { "it rose" },
                    c.rate_before,
                    c.rate_after,
                    c.q_value.unwrap_or(f64::NAN),
                    c.first_after_onset_us.unwrap_or(0) as f64 / 1e6
                ),
            }
        })
        .collect()
}

/// The most uncatalogued patterns offered to the hypothesis engine.
pub const MAX_UNCATALOGUED: usize = 3;

/// The report of a prepared run whose catalog matches are `findings`.
fn build(
    prepared: Prepared,
    findings: Vec<detect::Finding>,
    input: &InputConfig,
    corr: &CorrelateConfig,
    evidence: usize,
    pool: &rayon::ThreadPool,
    catalog: &detect::Catalog,
) -> (report::Report, Ingested) {
    let Prepared { ingested, skews, timeline, apps } = prepared;
    let mut t = Timings::new();
    // Three independent passes over the timeline, side by side.
    let tolerance = skew::tolerance(&skews);
    let (lt, (fun, flow)) = pool.install(|| {
        rayon::join(
            || loadtest::analyse(&timeline),
            || {
                rayon::join(
                    || funnel::count(&timeline),
                    || flow::analyse_with(&timeline, apps, tolerance, corr.bucket),
                )
            },
        )
    });
    t.lap("loadtest+funnel+flow");
    let symptoms = pool.install(|| symptoms::derive(&timeline, &lt, &flow, evidence));
    let facts = hypothesise::facts::gather(&timeline, &findings, catalog, symptoms.pg);
    let onset = report::OnsetReport::of(&crate::onset::of_run(&flow, &timeline));
    let uncatalogued = match &ingested.templates {
        Some(miner) => {
            let templates = miner.templates();
            let listing = mined::build(
                &templates,
                &[],
                &onset,
                timeline.span,
                mined::Sort::Changed,
                0,
                &|s| path_of(&ingested, s),
            );
            uncatalogued(&listing, &templates, catalog, flow.bucket)
        }
        None => Vec::new(),
    };
    let diagnosis = hypothesise::hypothesise(&hypothesise::Input {
        lt: &lt,
        funnel: &fun,
        findings: &findings,
        catalog,
        edges: &catalog.edges,
        symptoms: &symptoms,
        facts,
        uncatalogued: &uncatalogued,
        mined: ingested.templates.is_some(),
    });
    t.lap("hypothesise");
    let rep = pool.install(|| {
        report::build(&report::Parts {
            ingested: &ingested,
            timeline: &timeline,
            loadtest: &lt,
            funnel: &fun,
            stage_patterns: input.ingest.stages.patterns(),
            findings: &findings,
            catalog,
            diagnosis: &diagnosis,
            onset: &onset,
            skews: &skews,
            flow: &flow,
            symptoms: &symptoms,
        })
    });
    t.lap("report");
    // Millions of events are freed on a thread of the pool while the report is written.
    pool.spawn(move || drop(timeline));
    (rep, ingested)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paths, input and correlation settings of a bundled sample, read with defaults.
    fn sample_run(
        root: &std::path::Path,
        sample: &str,
    ) -> (Vec<PathBuf>, InputConfig, CorrelateConfig) {
        let paths = vec![root.join(sample)];
        let ingest = ingest::IngestOptions::default();
        let input = InputConfig { paths: paths.clone(), ingest, threads: 2, mine: false };
        (paths, input, CorrelateConfig::default())
    }

    /// Matching the catalog during ingest, input by input, finds what matching the whole
    /// timeline finds: the same signatures, counts, times, evidence and captures.
    #[test]
    fn detection_during_ingest_equals_detection_over_the_timeline() {
        let catalog = detect::Catalog::builtin().expect("catalog");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut compared = 0;
        for sample in ["pool-exhaustion", "eof-open-transaction", "too-many-clients", "clock-skew"]
        {
            let (paths, input, corr) = sample_run(&root, sample);
            let whole = prepare(&paths, &input, &corr, &pool).expect("prepare");
            let want = detect::detect(&whole.timeline, &catalog, 5);
            let analysis = ingest::Analysis { catalog: &catalog, evidence: 5, mine: false };
            let mut p = prepare_for(&paths, &input, &corr, &pool, Some(analysis)).expect("prep");
            let per_input = std::mem::take(&mut p.ingested.findings);
            let got = detect::combine(per_input, &|s| applied_skew(&p.skews, s), &catalog, 5);
            assert!(!want.is_empty(), "{sample}: the sample has signatures");
            assert_eq!(got, want, "{sample}");
            // Fewer events are kept, and the run's span is the same.
            assert!(p.timeline.events.len() < whole.timeline.events.len(), "{sample}");
            assert_eq!(p.timeline.span, whole.timeline.span, "{sample}");
            compared += 1;
        }
        assert_eq!(compared, 4);
    }

    /// The report of a run thinned during ingest is the report of the run kept whole: the
    /// later stages read nothing that thinning drops.
    #[test]
    fn the_thinned_run_reports_what_the_whole_run_reports() {
        let catalog = detect::Catalog::builtin().expect("catalog");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let json = |r: &report::Report| {
            let mut v = Vec::new();
            report::json::render(r, &mut v).expect("json");
            String::from_utf8(v).expect("utf-8")
        };
        for sample in ["pool-exhaustion", "eof-open-transaction", "too-many-clients", "clock-skew"]
        {
            let (paths, input, corr) = sample_run(&root, sample);
            let (thin, _) = report(&paths, &input, &corr, 5, &pool, &catalog).expect("report");
            let whole = prepare(&paths, &input, &corr, &pool).expect("prepare");
            let findings = detect::detect(&whole.timeline, &catalog, 5);
            let (full, _) = build(whole, findings, &input, &corr, 5, &pool, &catalog);
            let (a, b) = (json(&thin), json(&full));
            assert!(a.contains("\"hypotheses\""), "{sample}");
            assert!(a == b, "{sample}: the reports differ");
        }
    }
}
