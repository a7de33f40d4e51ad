//! Correlate: merges every source's events on one timeline and finds the run window.
//!
//! Events are ordered by (timestamp, source, line); events without a timestamp go last, in
//! input order. The run window is the load test's span, from the first request sent to the
//! last response (send time + elapsed), widened by a slack so that server-side events logged
//! just after a request ended still count. Without a load-test source the window is open.

use rayon::prelude::*;
use rootcause_parsers::Micros;
use rootcause_parsers::time::SECOND;

use crate::model::{Event, EventKind};
use crate::points::StageTimes;

/// Slack added on both sides of the load test's span.
pub const WINDOW_SLACK: Micros = 5 * SECOND;

/// The span of the load test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First request sent, minus the slack.
    pub start: Micros,
    /// Last response received, plus the slack.
    pub end: Micros,
}

/// All events on one timeline.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Events in time order.
    pub events: Vec<Event>,
    /// What the funnel and the facts read of the application's stage events (when the run was
    /// read for an analysis, they are not among `events`).
    pub stages: StageTimes,
    /// The run window, when a load-test source gave one.
    pub window: Option<Window>,
    /// Earliest and latest timestamp of any event.
    pub span: Option<(Micros, Micros)>,
}

impl Timeline {
    /// True when `ts` falls inside the run window (always, without one).
    pub fn in_window(&self, ts: Micros) -> bool {
        self.window.is_none_or(|w| (w.start..=w.end).contains(&ts))
    }
}

/// Orders events by time and computes the window; the points are made from the events.
pub fn correlate(events: Vec<Event>) -> Timeline {
    let stages = StageTimes::from_events(&events);
    correlate_with(events, stages)
}

/// [`correlate`] with the stage times of the points made during ingest (as
/// [`crate::skew::correct_with_apps`] gives them).
pub fn correlate_with(mut events: Vec<Event>, mut stages: StageTimes) -> Timeline {
    // In place: a stable sort would need a second copy of the events. (ts, source, line) is
    // unique but for records read from one line, which no parser makes.
    events.par_sort_unstable_by_key(|e| (e.ts.is_none(), e.ts, e.source, e.line));
    let mut window: Option<(Micros, Micros)> = None;
    let mut span: Option<(Micros, Micros)> = None;
    for e in &events {
        let Some(ts) = e.ts else { continue };
        span = Some(span.map_or((ts, ts), |(a, b)| (a.min(ts), b.max(ts))));
        if let EventKind::Request(r) = &e.kind {
            let end = ts + r.elapsed_ms().map_or(0, |ms| (ms * 1000.0) as Micros);
            window = Some(window.map_or((ts, end), |(a, b)| (a.min(ts), b.max(end))));
        }
    }
    let window = window.map(|(a, b)| Window { start: a - WINDOW_SLACK, end: b + WINDOW_SLACK });
    stages.close(window.map(|w| (w.start, w.end)));
    Timeline { events, stages, window, span }
}
