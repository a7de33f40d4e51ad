//! The data model shared by the stages: sources, events and evidence references.

use rootcause_parsers::aggregate::Aggregate;
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::jsonlog::AppEvent;
use rootcause_parsers::loadtest::Request;
use rootcause_parsers::postgres::PgRecord;
use rootcause_parsers::{LineNo, Micros};

/// Index of an input in [`crate::ingest::Ingested::sources`].
pub type SourceId = u32;

/// A funnel stage an application event marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The request reached the view function ("function hit").
    Hit,
    /// The view started its database query ("query started").
    Started,
    /// The query returned ("query completed").
    Completed,
}

impl Stage {
    /// Every stage, in funnel order.
    pub const ALL: [Stage; 3] = [Stage::Hit, Stage::Started, Stage::Completed];

    /// The name used by `--stage NAME=PATTERN` and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Hit => "hit",
            Stage::Started => "started",
            Stage::Completed => "completed",
        }
    }
}

/// What an event is.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// One request as the load tool saw it.
    Request(Request),
    /// An application log event, with the funnel stage it marks, if any.
    App {
        /// The parsed event.
        event: AppEvent,
        /// The funnel stage recognised from its message.
        stage: Option<Stage>,
    },
    /// A line or traceback of a server console.
    Console(ConsoleRecord),
    /// A Postgres log entry.
    Db(Box<PgRecord>),
    /// An aggregated load-test result (Locust `--csv`, wrk): totals, a time-series point, a
    /// failure or exception group.
    Aggregate(Aggregate),
}

/// One thing that happened, with where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UTC microseconds: the line's own timestamp, or one inferred from a neighbouring line of
    /// the same input ([`crate::ingest::times`]). `None` only in an input without any
    /// timestamp, and for aggregate results that are not points in time (totals, exception
    /// groups).
    pub ts: Option<Micros>,
    /// The input it came from.
    pub source: SourceId,
    /// Its first line in that input.
    pub line: LineNo,
    /// What it is.
    pub kind: EventKind,
}

/// A place in an input that supports a claim: `path:line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EvidenceRef {
    /// The input.
    pub source: SourceId,
    /// The line.
    pub line: LineNo,
}
