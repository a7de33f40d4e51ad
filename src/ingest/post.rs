//! What happens to an input's events once they are parsed, chunk by chunk, so that no input
//! is ever held whole: times settled ([`Settler`]), and for an analysis, the catalog matched
//! ([`crate::detect::scan`]) and the events thinned to what the later stages read.
//!
//! Thinning keeps, in compact form: every request (with its URL and method only when it
//! failed) and aggregate result; application events that mark a stage or carry a request id,
//! out of the events, folded into the application requests ([`crate::requests::fold`]) and
//! the stage times ([`StageTimes`]); other application events that carry a pid (without their message and traceback, which detection has seen); the console lines the facts read (worker boots, timeouts,
//! kills, exits, the worker class, werkzeug's banner); the Postgres connection lines the
//! connection count reads (without their statement, detail and the like). Everything else has
//! been matched and counted and is dropped, except the first event of each chunk, which stays
//! so that an input is never without events. The time span of every input is kept aside, so
//! the run's span is that of all its lines.

use rootcause_parsers::console::{ConsoleRecord, Envelope};
use rootcause_parsers::{LineNo, Micros};

use super::LineStats;
use super::times::Settler;
use crate::detect::{self, Catalog, Finding};
use crate::model::{Blocks, Event, EventKind};
use crate::patterns::{Miner, MinerConfig};
use crate::points::{PointMaker, StageMaker, StageTimes};
use crate::requests::fold::{ChunkApps, InputApps};

/// What an analysis needs done during ingest.
#[derive(Debug, Clone, Copy)]
pub struct Analysis<'a> {
    /// The catalog to match.
    pub catalog: &'a Catalog,
    /// Evidence locations kept per signature.
    pub evidence: usize,
    /// Whether the texts are mined for templates ([`crate::patterns`]).
    pub mine: bool,
}

/// A chunk once matched and thinned.
pub(crate) struct Done {
    events: Vec<Event>,
    /// The application requests folded from the stage events.
    apps: ChunkApps,
    /// What the funnel and the facts read of the stage events.
    stages: StageTimes,
    findings: Vec<Finding>,
    span: Option<(Micros, Micros)>,
    /// The chunk's templates, when the analysis mines them.
    miner: Option<Miner>,
}

impl Done {
    /// Moves every line it names `by` lines down: a batch's, numbered from 1, renumbered in
    /// its input.
    pub fn shift(&mut self, by: LineNo) {
        if by == 0 {
            return;
        }
        for e in &mut self.events {
            e.line += by;
        }
        for f in &mut self.findings {
            for ev in &mut f.evidence {
                ev.line += by;
            }
        }
        self.apps.shift(by);
    }
}

/// The state of one input: its times being settled, and what is kept of its chunks.
pub(crate) struct Post<'a> {
    settler: Settler,
    kept: Kept<'a>,
}

/// What an input keeps of its processed chunks ([`Kept::absorb`]): apart from the [`Settler`],
/// so that a round of chunks is absorbed while the next one is parsed and settled.
pub(crate) struct Kept<'a> {
    analysis: Option<Analysis<'a>>,
    /// What the catalog matched so far, in catalog order (empty without an analysis).
    pub findings: Vec<Finding>,
    /// The events kept so far, in input order, in blocks: never one vector grown by
    /// reallocation, nor many small ones, which once moved would stay resident a while.
    events: Blocks<Event>,
    /// With an analysis, the application requests folded from the stage events (which leave
    /// the events).
    apps: InputApps,
    /// With an analysis, what the funnel and the facts read of the stage events.
    stages: StageTimes,
    /// Earliest and latest time of the input's lines.
    pub span: Option<(Micros, Micros)>,
    /// The input's templates so far, when the analysis mines them.
    miner: Option<Miner>,
}

/// Events parsed before a sequential parser's events are settled and thinned.
pub(crate) const FLUSH_EVENTS: usize = 16 * 1024;

impl<'a> Post<'a> {
    pub fn new(analysis: Option<Analysis<'a>>) -> Post<'a> {
        let kept = Kept {
            analysis,
            findings: Vec::new(),
            events: Blocks::default(),
            apps: InputApps::default(),
            stages: StageTimes::default(),
            span: None,
            miner: None,
        };
        Post { settler: Settler::default(), kept }
    }

    /// The analysis it does, if any.
    pub fn analysis(&self) -> Option<Analysis<'a>> {
        self.kept.analysis
    }

    /// Its settler and what it keeps, apart.
    pub fn parts(&mut self) -> (&mut Settler, &mut Kept<'a>) {
        (&mut self.settler, &mut self.kept)
    }

    /// What it keeps.
    pub fn kept(&mut self) -> &mut Kept<'a> {
        &mut self.kept
    }

    /// Settles the next chunk of the input (in input order; sequential).
    pub fn settle(&mut self, events: Vec<Event>, stats: &mut LineStats) -> Vec<Event> {
        self.settler.settle(events, stats)
    }

    /// Matches and thins a settled chunk (any thread).
    pub fn process(analysis: Option<Analysis<'_>>, mut events: Vec<Event>) -> Done {
        let mut span: Option<(Micros, Micros)> = None;
        for e in &events {
            if let (Some(ts), false) = (e.ts, matches!(e.kind, EventKind::Aggregate(_))) {
                span = Some(span.map_or((ts, ts), |(a, b)| (a.min(ts), b.max(ts))));
            }
        }
        let Some(a) = analysis else {
            return Done {
                events,
                apps: ChunkApps::default(),
                stages: StageTimes::default(),
                findings: Vec::new(),
                span,
                miner: None,
            };
        };
        let mut miner = a.mine.then(|| Miner::new(MinerConfig::default()));
        let findings = detect::scan_mining(a.catalog, &events, a.evidence, miner.as_mut());
        let mut first = true;
        let mut maker = PointMaker::default();
        let mut stages = StageMaker::default();
        let mut apps = ChunkApps::default();
        events.retain_mut(|e| {
            let point = maker.point(e);
            if let Some(p) = &point {
                stages.add(e, p, &maker);
                apps.add(p, &maker.names);
            }
            let wanted = thin(e);
            let keep = match point {
                Some(_) => first,
                None => wanted || first,
            };
            first = false;
            keep
        });
        events.shrink_to_fit();
        Done { events, apps, stages: stages.done(), findings, span, miner }
    }

    /// Adds a processed chunk, in input order (sequential).
    pub fn absorb(&mut self, d: Done) {
        self.kept.absorb(d);
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Moves the kept events, in order, to the end of `out`, freeing each block once moved.
    pub fn move_into(&mut self, out: &mut Vec<Event>) {
        self.kept.move_into(out);
    }

    /// The kept events, in order.
    #[cfg(test)]
    pub fn into_events(mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.kept.move_into(&mut out);
        out
    }

    /// Settles, matches and thins the next chunk on this thread.
    pub fn chunk(&mut self, events: Vec<Event>, stats: &mut LineStats) {
        if events.is_empty() {
            return;
        }
        let ready = self.settle(events, stats);
        let done = Post::process(self.analysis(), ready);
        self.absorb(done);
    }

    /// The end of the input: the events still waiting for a time.
    pub fn finish(&mut self, stats: &mut LineStats) {
        let rest = self.settler.finish(stats);
        if !rest.is_empty() {
            let done = Post::process(self.analysis(), rest);
            self.absorb(done);
        }
    }
}

impl Kept<'_> {
    /// Adds a processed chunk, in input order (sequential).
    pub fn absorb(&mut self, d: Done) {
        if let Some(a) = self.analysis {
            detect::merge_partial(&mut self.findings, d.findings, a.evidence);
        }
        if let Some((lo, hi)) = d.span {
            self.span = Some(self.span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        self.events.extend(d.events);
        self.apps.absorb(d.apps);
        self.stages.merge(d.stages);
        match (&mut self.miner, d.miner) {
            (Some(m), Some(other)) => m.merge(other),
            (None, Some(other)) => self.miner = Some(other),
            _ => {}
        }
    }

    /// Takes the input's templates out, when the analysis mined them.
    pub fn take_miner(&mut self) -> Option<Miner> {
        self.miner.take()
    }

    /// Takes the stage times out (not yet finished).
    pub fn take_stages(&mut self) -> StageTimes {
        std::mem::take(&mut self.stages)
    }

    /// Takes the application requests out.
    pub fn take_apps(&mut self) -> InputApps {
        std::mem::take(&mut self.apps)
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Moves the kept events, in order, to the end of `out`, freeing each block once moved.
    pub fn move_into(&mut self, out: &mut Vec<Event>) {
        self.events.drain_into(out);
    }
}

/// Cuts an event down to what the stages after detection read; false when they read nothing
/// of it.
fn thin(e: &mut Event) -> bool {
    match &mut e.kind {
        // Made compact when read ([`crate::model::Req::new`]).
        EventKind::Request(_) | EventKind::Aggregate(_) => true,
        EventKind::App { event, stage } => {
            event.drop_text();
            stage.is_some() || event.request_id.is_some() || event.pid().is_some()
        }
        EventKind::Console(c) => match &**c {
            ConsoleRecord::Log(l) => crate::hypothesise::facts::wants(&l.message),
            // A router saw every request: with no load-test input, its access lines are the
            // requests ([`crate::requests::from_router`]).
            ConsoleRecord::Access(a) => a.envelope == Envelope::Platform,
            ConsoleRecord::Traceback(_) => false,
        },
        EventKind::Db(r) => {
            let keep = crate::symptoms::conn_line(r.severity, &r.message).is_some();
            if keep {
                let message = std::mem::take(&mut r.message);
                let (ts, pid, severity) = (r.ts, r.pid, r.severity);
                **r = rootcause_parsers::postgres::PgRecord {
                    ts,
                    pid,
                    severity,
                    message,
                    ..Default::default()
                };
            }
            keep
        }
    }
}
