//! The application's stage events in compact form: what the analysis after ingest reads of
//! them (the rebuilt application requests and the skew), 40 bytes each.
//!
//! An application log under load is most of a run's lines, and its stage events ("function
//! hit", "query started", "query completed") are most of what an analysis keeps: three per
//! request. As [`Event`]s they take 112 bytes each, plus two reference-counted strings.
//! As [`AppPoint`]s they take 40, their route and request id being numbers in a table of names
//! (the names of [`AppPoints`]) that each chunk of an input fills once per distinct string.
//!
//! During ingest for an analysis, each chunk's stage events become points
//! ([`PointMaker`]) and leave the events; a run kept whole makes its points from its events
//! ([`AppPoints::from_events`]). Either way the stages after ingest read the same points.
//! What the funnel and the facts read of the same events is kept apart ([`StageTimes`]), so
//! that the points can be freed once the application requests are rebuilt.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
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

    /// Moves it by `delta` µs (a skew correction).
    fn shift(&mut self, delta: Micros) {
        if self.flags & HAS_TS != 0 {
            self.ts -= delta;
        }
    }

    /// The order of the timeline: timed points first, by time, input and line.
    fn key(&self) -> (bool, Micros, SourceId, LineNo) {
        (self.flags & HAS_TS == 0, self.ts, self.source, self.line)
    }
}

/// The points of a run and the names their routes and request ids refer to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppPoints {
    /// The points, in the order of the timeline once [`AppPoints::sort`] has run.
    pub points: Vec<AppPoint>,
    /// Routes and request ids (the same string may appear more than once).
    names: Vec<Shared>,
}

impl AppPoints {
    /// The points made from the stage events among `events`, sorted.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> AppPoints {
        let mut maker = PointMaker::default();
        let points = events.into_iter().filter_map(|e| maker.point(e)).collect();
        let mut out = AppPoints { points, names: maker.names };
        out.sort();
        out
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Sorts the points in the order of the timeline: timed ones first, by time, input and
    /// line (unique: an input's line holds one application event).
    pub fn sort(&mut self) {
        self.points.par_sort_unstable_by_key(AppPoint::key);
    }

    /// The route of `p`.
    pub fn route(&self, p: &AppPoint) -> Option<&Shared> {
        self.names.get(p.route as usize)
    }

    /// The request id of `p`.
    pub fn request_id(&self, p: &AppPoint) -> Option<&Shared> {
        self.names.get(p.request_id as usize)
    }

    /// The number of `p`'s request id in the table of names: equal numbers are equal ids (not
    /// the reverse: an id seen in two chunks has two numbers). Below [`AppPoints::names_len`].
    pub fn request_id_number(&self, p: &AppPoint) -> Option<usize> {
        (p.request_id != NONE).then_some(p.request_id as usize)
    }

    /// How many names there are.
    pub fn names_len(&self) -> usize {
        self.names.len()
    }

    /// Subtracts each input's skew from its points' times; true when one moved (their order
    /// may then have changed).
    pub fn shift(&mut self, skews: &std::collections::BTreeMap<SourceId, Micros>) -> bool {
        let mut moved = false;
        for p in &mut self.points {
            if let Some(&skew) = skews.get(&p.source).filter(|&&k| k != 0) {
                p.shift(skew);
                moved = true;
            }
        }
        moved
    }

    /// Appends `chunk`, whose names are numbered from 0 in `names`.
    pub fn append(
        &mut self,
        chunk: impl IntoIterator<Item = AppPoint>,
        names: impl IntoIterator<Item = Shared>,
    ) {
        let base = self.names.len() as u32;
        self.names.extend(names);
        self.points.extend(chunk.into_iter().map(|p| p.rebased(base)));
    }
}

impl AppPoint {
    /// The point with its names numbered from `base` rather than 0 (its chunk's names are
    /// appended after `base` others).
    pub fn rebased(mut self, base: u32) -> AppPoint {
        for n in [&mut self.route, &mut self.request_id] {
            if *n != NONE {
                *n += base;
            }
        }
        self
    }
}

/// What the funnel and the facts read of the application's stage events: for each input,
/// route and stage, the times of its stage events (sorted) and the durations "query
/// completed" reports; and the process ids. Made from the points while the events are read
/// ([`StageMaker`], chunk by chunk, merged with [`StageTimes::merge`]), so the points need not
/// carry durations and can be freed before the load test is matched. Eight bytes per stage
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
    /// Times of the timed events, ascending once finished.
    pub times: Vec<Micros>,
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
            EventKind::App { event, .. } if stage == Stage::Completed => event.duration_ms,
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
        set(HAS_PID, event.pid.is_some());
        set(HAS_STATUS, event.status.is_some());
        Some(AppPoint {
            ts: e.ts.unwrap_or(0),
            line: e.line,
            source: e.source,
            route: event.route.as_ref().map_or(NONE, |r| self.name(r)),
            request_id: id.map_or(NONE, |r| self.name(r)),
            pid: event.pid.unwrap_or(0),
            status: event.status.unwrap_or(0),
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
        let events = vec![
            app(3, Some(30), Some(Stage::Completed), "a"),
            app(1, Some(10), Some(Stage::Hit), "a"),
            app(2, None, Some(Stage::Started), ""),
            app(4, Some(40), None, "b"),
            app(5, Some(50), None, ""),
        ];
        let p = AppPoints::from_events(&events);
        // The last event has neither stage nor id; the others are sorted, untimed last.
        let lines: Vec<LineNo> = p.points.iter().map(|x| x.line).collect();
        assert_eq!(lines, [1, 3, 4, 2]);
        let first = &p.points[1];
        assert_eq!((first.ts(), first.pid()), (Some(30), Some(7)));
        assert_eq!(p.request_id(first).map(|s| &**s), Some("a"));
        assert_eq!(p.route(first).map(|s| &**s), Some("/r"));
        assert_eq!(p.request_id(&p.points[3]), None);
        assert_eq!((p.points[3].ts(), p.points[2].stage), (None, None));
    }

    #[test]
    fn appended_chunks_keep_their_names() {
        let mut all = AppPoints::default();
        for id in ["x", "y"] {
            let chunk = AppPoints::from_events(&[app(1, Some(1), Some(Stage::Hit), id)]);
            all.append(chunk.points, chunk.names);
        }
        let ids: Vec<&str> =
            all.points.iter().filter_map(|p| all.request_id(p)).map(|s| &**s).collect();
        assert_eq!(ids, ["x", "y"]);
        let mut skews = std::collections::BTreeMap::new();
        skews.insert(1, 5);
        assert!(all.shift(&skews));
        assert_eq!(all.points[0].ts(), Some(-4));
    }
}
