//! The application's stage events in compact form, and what the funnel and the facts read of
//! them.
//!
//! An application log under load is most of a run's lines, and its stage events ("function
//! hit", "query started", "query completed") are most of what an analysis reads: three per
//! request. As [`Event`]s they take 88 bytes each, plus two reference-counted strings. A
//! chunk of events makes them [`AppPoint`]s ([`PointMaker`]), 40 bytes each, their route and
//! request id being numbers in the chunk's table of names, filled once per distinct string.
//! The points are not kept: each is read at once into the application requests
//! ([`crate::requests::fold`]) and into the times the funnel and the facts read
//! ([`StageTimes`]), which during ingest for an analysis is all that is kept of the stage
//! events.

use std::collections::HashMap;
use std::sync::Arc;

use rootcause_parsers::{LineNo, Micros};

use crate::model::{Event, EventKind, FastHash, Shared, SourceId, Stage};

/// An application event that marks a funnel stage or carries a request id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppPoint {
    ts: Micros,
    /// Its first line in its input.
    pub line: LineNo,
    /// The input it came from.
    pub source: SourceId,
    route: u32,
    request_id: u32,
    pid: u32,
    status: u16,
    /// The funnel stage it marks.
    pub stage: Option<Stage>,
    flags: u8,
}

const HAS_TS: u8 = 1;
const HAS_PID: u8 = 2;
const HAS_STATUS: u8 = 4;
/// No name.
const NONE: u32 = u32::MAX;

impl AppPoint {
    /// Its time.
    pub fn ts(&self) -> Option<Micros> {
        (self.flags & HAS_TS != 0).then_some(self.ts)
    }

    /// The process id it was logged by.
    pub fn pid(&self) -> Option<u32> {
        (self.flags & HAS_PID != 0).then_some(self.pid)
    }

    /// The HTTP status it reports.
    pub fn status(&self) -> Option<u16> {
        (self.flags & HAS_STATUS != 0).then_some(self.status)
    }

    /// The number of its route among its chunk's names ([`PointMaker::names`]).
    pub fn route_name(&self) -> Option<u32> {
        (self.route != NONE).then_some(self.route)
    }

    /// The number of its request id among its chunk's names ([`PointMaker::names`]).
    pub fn id_name(&self) -> Option<u32> {
        (self.request_id != NONE).then_some(self.request_id)
    }
}

/// What the funnel and the facts read of the application's stage events: for each input,
/// route and stage, the times of its stage events (sorted) and the durations "query
/// completed" reports; and the process ids. Made from the points while the events are read
/// ([`StageMaker`], chunk by chunk, merged with [`StageTimes::merge`]), so the points need not
/// carry durations and are never kept. Eight bytes per stage
/// event (sixteen more with a duration). The funnel counts are the same whatever the order of
/// the events, so the times are kept per group, each group sorted ([`StageTimes::finish`]); a
/// skew moves a group's times together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageTimes {
    /// Per (input, route, stage): the times of the timed events, ascending once finished, and
    /// how many events have no time.
    pub groups: Vec<StageGroup>,
    /// The process ids of all events that make points.
    pub pids: std::collections::BTreeSet<u32>,
    /// How many events make points (with a stage or with a request id only).
    pub points: usize,
    /// The group of each (input, route, stage).
    index: HashMap<(SourceId, Option<Shared>, Stage), usize, FastHash>,
}

/// The stage events of one input, route and stage ([`StageTimes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StageGroup {
    /// The input.
    pub source: SourceId,
    /// The route, as logged.
    pub route: Option<Shared>,
    /// The stage.
    pub stage: Stage,
    /// Times of the timed events, ascending once finished; freed once counted against the
    /// run's window ([`StageTimes::close`]).
    pub times: Vec<Micros>,
    /// Once closed: the timed events inside the run's window (all of them without one).
    pub inside: u64,
    /// Once closed: the timed events outside the run's window.
    pub outside: u64,
    /// Events without a time.
    pub untimed: u64,
    /// The durations the timed events report, with their times.
    pub durations: Vec<(Micros, f64)>,
    /// The durations the events without a time report.
    pub untimed_durations: Vec<f64>,
}

impl StageTimes {
    /// The stage times of `events`, finished.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> StageTimes {
        let (mut points, mut maker) = (PointMaker::default(), StageMaker::default());
        for e in events {
            if let Some(p) = points.point(e) {
                maker.add(e, &p, &points);
            }
        }
        let mut out = maker.done();
        out.finish();
        out
    }

    /// The group of `key`, made when new.
    fn group(&mut self, key: (SourceId, Option<Shared>, Stage)) -> usize {
        if let Some(&g) = self.index.get(&key) {
            return g;
        }
        let (source, route, stage) = key.clone();
        self.groups.push(StageGroup {
            source,
            route,
            stage,
            times: Vec::new(),
            inside: 0,
            outside: 0,
            untimed: 0,
            durations: Vec::new(),
            untimed_durations: Vec::new(),
        });
        self.index.insert(key, self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// Adds the stage times of `other` (of later events: order does not matter).
    pub fn merge(&mut self, other: StageTimes) {
        self.points += other.points;
        self.pids.extend(other.pids);
        for g in other.groups {
            let k = self.group((g.source, g.route, g.stage));
            let mine = &mut self.groups[k];
            if mine.times.is_empty() {
                mine.times = g.times;
            } else {
                mine.times.extend(g.times);
            }
            mine.untimed += g.untimed;
            mine.durations.extend(g.durations);
            mine.untimed_durations.extend(g.untimed_durations);
        }
    }

    /// Sorts each group's times, once every event is in.
    pub fn finish(&mut self) {
        for g in &mut self.groups {
            g.times.sort_unstable();
            g.times.shrink_to_fit();
            g.durations.shrink_to_fit();
        }
    }

    /// Counts each group's times inside and outside the run's window (`start..=end`; all
    /// inside without one) and frees them: what the funnel reads of them, a run's timed stage
    /// events being millions.
    pub fn close(&mut self, window: Option<(Micros, Micros)>) {
        for g in &mut self.groups {
            let inside = match window {
                Some((start, end)) => {
                    let from = g.times.partition_point(|&t| t < start);
                    let to = g.times.partition_point(|&t| t <= end);
                    to.saturating_sub(from)
                }
                None => g.times.len(),
            };
            g.inside += inside as u64;
            g.outside += (g.times.len() - inside) as u64;
            g.times = Vec::new();
        }
    }

    /// Subtracts each input's skew from its times.
    pub fn shift(&mut self, skews: &std::collections::BTreeMap<SourceId, Micros>) {
        for g in &mut self.groups {
            if let Some(&skew) = skews.get(&g.source) {
                g.times.iter_mut().for_each(|t| *t -= skew);
                g.durations.iter_mut().for_each(|(t, _)| *t -= skew);
            }
        }
    }
}

/// Makes the [`StageTimes`] of a chunk of events from the points a [`PointMaker`] makes of
/// them, a group per input, route name and stage.
#[derive(Debug, Default)]
pub struct StageMaker {
    out: StageTimes,
    by_name: HashMap<(SourceId, u32, Stage), usize, FastHash>,
    /// The last group of each stage, with its input and route name: consecutive points mostly
    /// share them.
    last: [Option<(SourceId, u32, usize)>; 3],
    pids: std::collections::HashSet<u32, FastHash>,
    last_pid: Option<u32>,
}

impl StageMaker {
    /// Adds the point `p` that `maker` made of `e`.
    pub fn add(&mut self, e: &Event, p: &AppPoint, maker: &PointMaker) {
        self.out.points += 1;
        if p.pid().is_some() && p.pid() != self.last_pid {
            self.last_pid = p.pid();
            self.pids.extend(p.pid());
        }
        let Some(stage) = p.stage else { return };
        let slot = stage as usize;
        let g = match self.last[slot] {
            Some((source, route, g)) if source == p.source && route == p.route => g,
            _ => {
                let key = (p.source, p.route, stage);
                let g = match self.by_name.get(&key) {
                    Some(&g) => g,
                    None => {
                        let route = maker.names.get(p.route as usize).cloned();
                        let g = self.out.group((p.source, route, stage));
                        self.by_name.insert(key, g);
                        g
                    }
                };
                self.last[slot] = Some((p.source, p.route, g));
                g
            }
        };
        let group = &mut self.out.groups[g];
        // Read by the funnel of "query completed" only.
        let ms = match &e.kind {
            EventKind::App { event, .. } if stage == Stage::Completed => event.duration_ms(),
            _ => None,
        };
        match p.ts() {
            Some(ts) => {
                group.times.push(ts);
                group.durations.extend(ms.map(|ms| (ts, ms)));
            }
            None => {
                group.untimed += 1;
                group.untimed_durations.extend(ms);
            }
        }
    }

    /// The stage times made (not yet [`StageTimes::finish`]ed).
    pub fn done(mut self) -> StageTimes {
        self.out.pids = self.pids.into_iter().collect();
        self.out
    }
}

/// Makes the points of a chunk of events, naming each distinct route and id string once
/// (strings shared by reference are recognised by address: a batch's events share theirs).
#[derive(Debug, Default)]
pub struct PointMaker {
    /// The names so far, numbered from 0.
    pub names: Vec<Shared>,
    by_address: HashMap<usize, u32, FastHash>,
}

impl PointMaker {
    /// The point `e` makes, if it is an application event with a stage or a request id.
    pub fn point(&mut self, e: &Event) -> Option<AppPoint> {
        let EventKind::App { event, stage } = &e.kind else { return None };
        let id = event.request_id.as_ref().filter(|s| !s.is_empty());
        if stage.is_none() && id.is_none() {
            return None;
        }
        let mut flags = 0;
        let mut set = |bit: u8, present: bool| {
            if present {
                flags |= bit;
            }
        };
        set(HAS_TS, e.ts.is_some());
        set(HAS_PID, event.pid().is_some());
        set(HAS_STATUS, event.status().is_some());
        Some(AppPoint {
            ts: e.ts.unwrap_or(0),
            line: e.line,
            source: e.source,
            route: event.route.as_ref().map_or(NONE, |r| self.name(r)),
            request_id: id.map_or(NONE, |r| self.name(r)),
            pid: event.pid().unwrap_or(0),
            status: event.status().unwrap_or(0),
            stage: *stage,
            flags,
        })
    }

    fn name(&mut self, s: &Shared) -> u32 {
        let address = Arc::as_ptr(s) as *const u8 as usize;
        *self.by_address.entry(address).or_insert_with(|| {
            self.names.push(s.clone());
            (self.names.len() - 1) as u32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootcause_parsers::jsonlog::AppEvent;

    fn app(line: LineNo, ts: Option<Micros>, stage: Option<Stage>, id: &str) -> Event {
        let event = AppEvent {
            message: "m".into(),
            route: Some("/r".into()),
            request_id: (!id.is_empty()).then(|| id.to_string()),
            pid: Some(7),
            duration_ms: (stage == Some(Stage::Completed)).then_some(2.5),
            ..AppEvent::default()
        };
        Event { ts, source: 1, line, kind: EventKind::app(event, stage) }
    }

    #[test]
    fn points_keep_what_the_analysis_reads_and_are_small() {
        assert_eq!(std::mem::size_of::<AppPoint>(), 40);
        let events = [
            app(3, Some(30), Some(Stage::Completed), "a"),
            app(2, None, Some(Stage::Started), ""),
            app(4, Some(40), None, "b"),
            app(5, Some(50), None, ""),
        ];
        let mut maker = PointMaker::default();
        let points: Vec<AppPoint> = events.iter().filter_map(|e| maker.point(e)).collect();
        // The last event has neither stage nor id.
        let lines: Vec<LineNo> = points.iter().map(|x| x.line).collect();
        assert_eq!(lines, [3, 2, 4]);
        let name = |n: Option<u32>| n.and_then(|n| maker.names.get(n as usize)).map(|s| &**s);
        let first = &points[0];
        assert_eq!(
            (first.ts(), first.pid(), first.stage),
            (Some(30), Some(7), Some(Stage::Completed))
        );
        assert_eq!((name(first.id_name()), name(first.route_name())), (Some("a"), Some("/r")));
        // An empty id is no id; an untimed point says so.
        assert_eq!((points[1].id_name(), points[1].ts()), (None, None));
        assert_eq!((name(points[2].id_name()), points[2].stage), (Some("b"), None));
    }
}
