//! The application requests of a run, folded from their stage points chunk by chunk while the
//! logs are read: the points are never gathered, sorted or held whole.
//!
//! What is rebuilt is defined on each input's points in time order (time, then line; points
//! without a time take no part):
//! - the points that carry a request id make one request per id, opened by its first stage
//!   point. It starts there (time and line), ends at the latest point from there on, reached
//!   the furthest stage of its stage points, and takes the status and the route of the first
//!   point from there on that has one. Points of the id before the opening one give nothing.
//! - the stage points without an id are chained per process and route in time order: a hit
//!   opens a request, the oldest open request takes the next "query started", the oldest
//!   started one the next "query completed".
//!
//! The run's requests come in the order they opened: time, input, line.
//!
//! Requests by id need no order. The points of an id seen so far are summed up: the opening
//! point, the furthest stage, the latest time, the status and the route with the place of the
//! point that gave each, and the points seen before the opening one. Two summaries of the same
//! id's points merge into the summary of all of them, whatever order the points came in. So
//! each chunk folds its own points on its thread ([`ChunkApps`]), its input gathers the
//! chunks' summaries ([`InputApps`]), and [`finish`] merges those of one id into one per
//! request. A summary takes 72 bytes, its request id included when the id is hex or a UUID
//! ([`ReqId`]); the rare parts (a status, a route not given by the opening point, points
//! before it) are kept aside. Chained points depend on the order of the others: they are
//! kept, and chained per input at the end ([`finish`]).

use std::collections::{BTreeMap, HashMap, VecDeque};

use rayon::prelude::*;
use rootcause_parsers::{LineNo, Micros};

use super::AppRequest;
use crate::model::{Blocks, Event, FastHash, ReqId, Shared, SourceId, Stage};
use crate::points::{AppPoint, PointMaker, StageMaker, StageTimes};

/// Where a point stands in its input's order: its time, then its line (unique in an input).
type Key = (Micros, LineNo);

/// A point of an id seen before the id's opening point: what it gives the request if an
/// earlier stage point of the same id turns up.
#[derive(Debug, Clone, PartialEq)]
struct Pre {
    key: Key,
    status: Option<u16>,
    route: Option<Shared>,
}

/// The points of one request id seen so far, summed up ([`Full`] without its rare parts).
#[derive(Debug, Clone, PartialEq)]
struct Partial {
    id: ReqId,
    /// The route of the first point from the opening one on that has one.
    route: Option<Shared>,
    /// The opening point (the first stage point), when `opened`.
    open: Key,
    /// The latest time of the points from the opening one on.
    last: Micros,
    /// The status of the first point from the opening one on that has one.
    status: Option<u16>,
    furthest: Stage,
    opened: bool,
    /// True when its [`Extra`] is kept aside.
    extra: bool,
}

/// The rare parts of a [`Partial`]: where its status and route came from when not from the
/// opening point, and the points before it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Extra {
    status_key: Option<Key>,
    route_key: Option<Key>,
    pre: Vec<Pre>,
}

/// The summary of a set of points of one id.
#[derive(Debug, Clone, PartialEq)]
struct Full {
    /// The first stage point.
    open: Option<Key>,
    /// Of the stage points (when `open`).
    furthest: Stage,
    /// Of the points from `open` on.
    last: Micros,
    /// The first from `open` on with a status, and with a route.
    status: Option<(Key, u16)>,
    route: Option<(Key, Shared)>,
    /// The points before `open` (all of them without it), none a stage point.
    pre: Vec<Pre>,
}

/// The one of two candidates (a value and where it came from) that came first.
fn earliest<T>(a: Option<(Key, T)>, b: Option<(Key, T)>) -> Option<(Key, T)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl Full {
    /// The summary of one point.
    fn point(key: Key, stage: Option<Stage>, status: Option<u16>, route: Option<Shared>) -> Full {
        match stage {
            Some(stage) => Full {
                open: Some(key),
                furthest: stage,
                last: key.0,
                status: status.map(|s| (key, s)),
                route: route.map(|r| (key, r)),
                pre: Vec::new(),
            },
            None => Full {
                open: None,
                furthest: Stage::Hit,
                last: key.0,
                status: None,
                route: None,
                pre: vec![Pre { key, status, route }],
            },
        }
    }

    /// The summary of the points of `self` and `other` (disjoint sets of one id's points).
    fn merge(self, other: Full) -> Full {
        let open = match (self.open, other.open) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(start) = open else {
            let mut pre = self.pre;
            pre.extend(other.pre);
            return Full { pre, ..self };
        };
        let mut out = Full {
            open,
            furthest: Stage::Hit,
            last: start.0,
            status: None,
            route: None,
            pre: Vec::new(),
        };
        for x in [self, other] {
            if x.open.is_some() {
                out.furthest = out.furthest.max(x.furthest);
                out.last = out.last.max(x.last);
                out.status = earliest(out.status, x.status);
                out.route = earliest(out.route, x.route);
            }
            for q in x.pre {
                if q.key > start {
                    out.last = out.last.max(q.key.0);
                    out.status = earliest(out.status, q.status.map(|s| (q.key, s)));
                    out.route = earliest(out.route, q.route.map(|r| (q.key, r)));
                } else {
                    out.pre.push(q);
                }
            }
        }
        out
    }
}

/// Where a value came from, kept only when not from the opening point.
fn split<T>(x: Option<(Key, T)>, open: Key) -> (Option<T>, Option<Key>) {
    match x {
        Some((k, v)) => (Some(v), (k != open).then_some(k)),
        None => (None, None),
    }
}

impl Partial {
    /// Its summary, with its rare parts (when it has any).
    fn full(&self, extra: Option<Extra>) -> Full {
        let x = extra.unwrap_or_default();
        Full {
            open: self.opened.then_some(self.open),
            furthest: self.furthest,
            last: self.last,
            status: self.status.map(|s| (x.status_key.unwrap_or(self.open), s)),
            route: self.route.clone().map(|r| (x.route_key.unwrap_or(self.open), r)),
            pre: x.pre,
        }
    }

    /// The partial of `id` summed up by `f`, and its rare parts.
    fn of(id: ReqId, f: Full) -> (Partial, Option<Extra>) {
        let open = f.open.unwrap_or_default();
        let (status, status_key) = split(f.status, open);
        let (route, route_key) = split(f.route, open);
        let extra = Extra { status_key, route_key, pre: f.pre };
        let extra = (extra != Extra::default()).then_some(extra);
        let partial = Partial {
            id,
            route,
            open,
            last: f.last,
            status,
            furthest: f.furthest,
            opened: f.open.is_some(),
            extra: extra.is_some(),
        };
        (partial, extra)
    }

    /// Adds a point of its id when the point comes after the opening one and can change
    /// neither the status nor the route (the common case: a request's later stage events);
    /// false, with nothing done, when the point needs [`Full::merge`].
    fn add_plain(
        &mut self,
        key: Key,
        stage: Option<Stage>,
        status: Option<u16>,
        route: bool,
    ) -> bool {
        // Without rare parts, the route came from the opening point: nothing after it can
        // give another.
        let plain = self.opened
            && !self.extra
            && key > self.open
            && status.is_none()
            && (!route || self.route.is_some());
        if plain {
            self.last = self.last.max(key.0);
            if let Some(stage) = stage {
                self.furthest = self.furthest.max(stage);
            }
        }
        plain
    }
}

/// The rare parts of a set of partials, by index.
type Extras = HashMap<u32, Extra, FastHash>;

/// Adds the points `other` sums up to the partial `p` (number `i` in `extras`).
fn merge_into(p: &mut Partial, extras: &mut Extras, i: u32, other: Full) {
    let mine = if p.extra { extras.remove(&i) } else { None };
    let merged = p.full(mine).merge(other);
    let (partial, extra) = Partial::of(p.id.clone(), merged);
    *p = partial;
    if let Some(x) = extra {
        extras.insert(i, x);
    }
}

/// A stage point without a request id, kept to be chained.
#[derive(Debug, Clone, PartialEq)]
struct ChainPoint {
    key: Key,
    stage: Stage,
    pid: Option<u32>,
    status: Option<u16>,
    route: Option<Shared>,
}

/// The application requests of one chunk of an input, folded from its points.
#[derive(Debug, Default)]
pub struct ChunkApps {
    partials: Vec<Partial>,
    /// The hash of each partial's id ([`id_hash`]), worked out on the chunk's thread.
    hashes: Vec<u32>,
    extras: Extras,
    /// The partial of each id, by the number of its name in the chunk's [`PointMaker`].
    by_name: Vec<u32>,
    chained: Vec<ChainPoint>,
}

/// No partial.
const NONE: u32 = u32::MAX;

impl ChunkApps {
    /// Moves the line of every point it holds `by` lines down (a batch's points numbered
    /// from its first line, renumbered in the input): the same summaries, for a shift keeps
    /// the points' order.
    pub fn shift(&mut self, by: LineNo) {
        let move_key = |k: &mut Key| k.1 += by;
        for p in &mut self.partials {
            move_key(&mut p.open);
        }
        for x in self.extras.values_mut() {
            x.status_key.iter_mut().chain(x.route_key.iter_mut()).for_each(move_key);
            x.pre.iter_mut().for_each(|q| move_key(&mut q.key));
        }
        self.chained.iter_mut().for_each(|c| move_key(&mut c.key));
    }

    /// Adds the point `p`, whose names are numbered in `names`.
    pub fn add(&mut self, p: &AppPoint, names: &[Shared]) {
        let Some(ts) = p.ts() else { return };
        let key = (ts, p.line);
        let route = p.route_name().and_then(|n| names.get(n as usize));
        let Some((n, id)) = p.id_name().and_then(|n| Some((n as usize, names.get(n as usize)?)))
        else {
            if let Some(stage) = p.stage {
                let (pid, status, route) = (p.pid(), p.status(), route.cloned());
                self.chained.push(ChainPoint { key, stage, pid, status, route });
            }
            return;
        };
        if self.by_name.len() <= n {
            self.by_name.resize(n + 1, NONE);
        }
        let status = p.status();
        match self.by_name[n] {
            NONE => {
                let i = self.partials.len() as u32;
                let full = Full::point(key, p.stage, status, route.cloned());
                let (partial, extra) = Partial::of(ReqId::of_shared(id), full);
                if let Some(x) = extra {
                    self.extras.insert(i, x);
                }
                self.hashes.push(id_hash(id));
                self.partials.push(partial);
                self.by_name[n] = i;
            }
            i => {
                let Some(partial) = self.partials.get_mut(i as usize) else { return };
                if !partial.add_plain(key, p.stage, status, route.is_some()) {
                    let full = Full::point(key, p.stage, status, route.cloned());
                    merge_into(partial, &mut self.extras, i, full);
                }
            }
        }
    }
}

/// The hash of a request id, the same in every chunk and input of a run: [`InputApps`] keeps
/// it (4 bytes) beside each request's index, so that growing its table and looking for an id
/// that is not there read neither the requests nor their ids.
fn id_hash(id: &str) -> u32 {
    static SEED: std::sync::OnceLock<FastHash> = std::sync::OnceLock::new();
    let h = std::hash::BuildHasher::hash_one(SEED.get_or_init(FastHash::default), id);
    (h >> 32) as u32 ^ h as u32
}

/// The table's 64-bit hash of an [`id_hash`]: its bits spread by a multiplication (the table
/// reads the top bits and the bottom ones).
fn spread(h: u32) -> u64 {
    (u64::from(h) | u64::from(h) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The application requests of one input, gathered from its chunks' ([`InputApps::absorb`]).
///
/// A chunk folds each id it met into one partial; an id met in several chunks (a request
/// whose events straddle a chunk's end) has one partial in each until [`finish`] merges them
/// (by a partitioned hash join over the threads). Absorbing a chunk only appends: looking
/// every id up in one table of the whole input as it was read cost a cache miss per request,
/// most of the time spent absorbing (8 % of a one-thread run on a JSON log).
#[derive(Debug, Clone, Default)]
pub struct InputApps {
    /// The partials of each chunk, the chunks in the order they were absorbed.
    partials: Blocks<Partial>,
    /// The hash of each partial's id ([`id_hash`]), by the same index.
    hashes: Blocks<u32>,
    extras: Extras,
    chained: Blocks<ChainPoint>,
}

/// The partials of one id merged by [`InputApps::merge_chunks`]: the one kept, its new summary
/// and the ones merged into it.
struct Merged {
    keep: u32,
    partial: Partial,
    extra: Option<Extra>,
    gone: Vec<u32>,
}

/// Partials per shard of [`InputApps::merge_chunks`]: a shard's table (8 bytes an entry)
/// stays in the core's cache.
const SHARD: usize = 4096;

impl InputApps {
    /// Adds the requests of the input's next chunk (chunks may come in any order).
    pub fn absorb(&mut self, chunk: ChunkApps) {
        let ChunkApps { partials, hashes, extras, chained, .. } = chunk;
        let base = self.partials.len() as u32;
        self.extras.extend(extras.into_iter().map(|(j, x)| (base + j, x)));
        self.partials.extend(partials);
        self.hashes.extend(hashes);
        self.chained.extend(chained);
    }

    /// Merges the partials of each id into the first one absorbed, and returns the indexes of
    /// the others, ascending, for [`finish`] to drop (they are left as they were). Summaries
    /// merge in any order, so which partial is kept changes nothing.
    ///
    /// A partitioned hash join: the partials' indexes are grouped by the top bits of their
    /// hash into shards of about `shard` (a counting sort), and the shards are searched for
    /// equal ids over the threads, each with a table of its own that stays in the core's
    /// cache. The merged summaries are made there too; only writing them back (one request in
    /// thirty or so, those cut by a chunk's end) is left to this thread, in the order of the
    /// partials (each write is most often a cache miss).
    fn merge_chunks(&mut self, shard: usize) -> Vec<u32> {
        let n = self.partials.len();
        if n < 2 {
            return Vec::new();
        }
        let bits = n.div_ceil(shard.max(1)).next_power_of_two().trailing_zeros().min(16);
        let shard_of = |h: u32| h.checked_shr(32 - bits).unwrap_or(0) as usize;
        let mut starts = vec![0usize; (1 << bits) + 1];
        for &h in self.hashes.iter() {
            starts[shard_of(h) + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        // Each partial's index and hash, by shard, the indexes of a shard ascending.
        let mut fill = starts.clone();
        let mut order = vec![(0u32, 0u32); n];
        for (i, &h) in self.hashes.iter().enumerate() {
            let at = &mut fill[shard_of(h)];
            order[*at] = (i as u32, h);
            *at += 1;
        }
        // The order holds the hashes now.
        self.hashes = Blocks::default();
        let (partials, extras) = (&self.partials, &self.extras);
        let full = |i: u32| {
            let p = partials.get(i as usize)?;
            Some(p.full(if p.extra { extras.get(&i).cloned() } else { None }))
        };
        let mut merged: Vec<Merged> = starts
            .par_windows(2)
            // One table per thread, emptied for each shard.
            .map_init(hashbrown::HashTable::<(u32, u32)>::new, |table, w| {
                let mine = order.get(w[0]..w[1]).unwrap_or_default();
                let id = |i: u32| partials.get(i as usize).map(|p| &p.id);
                table.clear();
                table.reserve(mine.len(), |&(_, g)| spread(g));
                // (kept, merged into it), grouped by the kept one below.
                let mut pairs = Vec::new();
                for &(i, h) in mine {
                    let same = |&(j, g): &(u32, u32)| g == h && id(j) == id(i);
                    match table.entry(spread(h), same, |&(_, g)| spread(g)) {
                        hashbrown::hash_table::Entry::Occupied(e) => pairs.push((e.get().0, i)),
                        hashbrown::hash_table::Entry::Vacant(e) => {
                            e.insert((i, h));
                        }
                    }
                }
                pairs.sort_unstable();
                pairs
                    .chunk_by(|a, b| a.0 == b.0)
                    .filter_map(|group| {
                        let keep = group.first()?.0;
                        let gone: Vec<u32> = group.iter().map(|&(_, g)| g).collect();
                        let all =
                            gone.iter().try_fold(full(keep)?, |f, &g| Some(f.merge(full(g)?)));
                        let (partial, extra) = Partial::of(id(keep)?.clone(), all?);
                        Some(Merged { keep, partial, extra, gone })
                    })
                    .collect::<Vec<_>>()
            })
            .flatten_iter()
            .collect();
        drop(order);
        merged.sort_unstable_by_key(|m| m.keep);
        let mut dead = Vec::new();
        for m in merged {
            dead.extend(m.gone);
            self.extras.remove(&m.keep);
            if let Some(x) = m.extra {
                self.extras.insert(m.keep, x);
            }
            if let Some(p) = self.partials.get_mut(m.keep as usize) {
                *p = m.partial;
            }
        }
        dead.sort_unstable();
        dead
    }

    /// How many requests (at most) it holds.
    pub fn len(&self) -> usize {
        self.partials.len() + self.chained.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The application requests of `events` (any order), per input, and their stage times
/// (finished): what ingest folds chunk by chunk, for a run kept whole, in one pass over the
/// events' points.
pub fn from_events<'a>(
    events: impl IntoIterator<Item = &'a Event>,
) -> (Vec<(SourceId, InputApps)>, StageTimes) {
    let (mut maker, mut stages) = (PointMaker::default(), StageMaker::default());
    let mut chunks: BTreeMap<SourceId, ChunkApps> = BTreeMap::new();
    for e in events {
        if let Some(p) = maker.point(e) {
            stages.add(e, &p, &maker);
            chunks.entry(e.source).or_default().add(&p, &maker.names);
        }
    }
    let whole = |c: ChunkApps| {
        let mut apps = InputApps::default();
        apps.absorb(c);
        apps
    };
    let mut stages = stages.done();
    stages.finish();
    (chunks.into_iter().map(|(source, c)| (source, whole(c))).collect(), stages)
}

/// The requests of a run's inputs, each input's times moved back by its skew in `shifts`, in
/// the order they opened (time, input, line).
///
/// Where each opened (its input and line in one number) is kept aside while they are sorted
/// by their first time and that, so that a request need not hold it; the requests are then
/// put in that order in place.
pub fn finish(
    inputs: Vec<(SourceId, InputApps)>,
    shifts: &BTreeMap<SourceId, Micros>,
) -> Vec<AppRequest> {
    finish_sharded(inputs, shifts, SHARD)
}

/// [`finish`], each input's partials merged in shards of about `shard`.
fn finish_sharded(
    inputs: Vec<(SourceId, InputApps)>,
    shifts: &BTreeMap<SourceId, Micros>,
    shard: usize,
) -> Vec<AppRequest> {
    let inputs: Vec<(SourceId, InputApps, Vec<u32>)> = inputs
        .into_par_iter()
        .map(|(source, mut apps)| {
            let dead = apps.merge_chunks(shard);
            (source, apps, dead)
        })
        .collect();
    let total = inputs.iter().map(|(_, a, _)| a.len()).sum();
    let mut out: Vec<AppRequest> = Vec::with_capacity(total);
    let mut opened_at: Vec<u64> = Vec::with_capacity(total);
    for (source, apps, dead) in inputs {
        let k = shifts.get(&source).copied().unwrap_or(0);
        // Only the partials and the chained points are read from here on.
        let InputApps { partials, mut chained, hashes, extras } = apps;
        drop((hashes, extras));
        // The index of each partial, and the next one merged into another.
        let (mut at, mut dead) = (0u32, dead.into_iter().peekable());
        // A block at a time over the threads: written once into memory fresh from the system,
        // the requests cost page faults more than copying.
        for mut block in partials.into_blocks() {
            block.retain(|p| {
                let merged = dead.next_if_eq(&at).is_some();
                at += 1;
                p.opened && !merged
            });
            let mut both = (std::mem::take(&mut out), std::mem::take(&mut opened_at));
            both.par_extend(block.into_par_iter().map(|p| {
                let request = AppRequest {
                    first: p.open.0 - k,
                    last: p.last - k,
                    furthest: p.furthest,
                    route: p.route,
                    status: p.status,
                    id: Some(p.id),
                };
                (request, position(source, p.open.1))
            }));
            (out, opened_at) = both;
        }
        let mut points = Vec::with_capacity(chained.len());
        chained.drain_into(&mut points);
        chain(source, points, k, &mut out, &mut opened_at);
    }
    let mut order: Vec<u32> = (0..out.len() as u32).collect();
    let key = |&i: &u32| (out[i as usize].first, opened_at[i as usize], i);
    // One input written in time order is in order already: checking takes a fifth of sorting,
    // and then nothing moves.
    if !order.is_sorted_by_key(key) {
        order.par_sort_unstable_by_key(key);
        drop(opened_at);
        permute(&mut out, order);
    }
    out
}

/// An input and a line in one number that orders them: the input above bit 40, the line below.
/// Past the 16 millionth input or the trillionth line, the two are cut to the largest the
/// number holds; requests that open at the same microsecond there keep the order they were
/// read in.
fn position(source: SourceId, line: LineNo) -> u64 {
    const LINE_BITS: u32 = 40;
    let source = u64::from(source).min((1 << (64 - LINE_BITS)) - 1);
    source << LINE_BITS | line.min((1 << LINE_BITS) - 1)
}

/// Puts `items` in the order `order` gives (`items[k]` becomes the item at `order[k]`), in
/// place: each cycle of the permutation followed once, with swaps.
fn permute<T>(items: &mut [T], mut order: Vec<u32>) {
    const DONE: u32 = u32::MAX;
    for i in 0..items.len().min(order.len()) {
        let mut at = i;
        loop {
            let from = std::mem::replace(&mut order[at], DONE);
            if from == DONE || from as usize == i {
                break;
            }
            items.swap(at, from as usize);
            at = from as usize;
        }
    }
}

/// Open requests of one chain (process, route) waiting for their next stage, by index.
#[derive(Default)]
struct Chain {
    at_hit: VecDeque<usize>,
    at_started: VecDeque<usize>,
}

/// Chains the id-less stage points of input `source` into requests (see the module's
/// documentation), moved back by `k`, at the end of `out`, where each opened at the end of
/// `opened_at`.
fn chain(
    source: SourceId,
    mut points: Vec<ChainPoint>,
    k: Micros,
    out: &mut Vec<AppRequest>,
    opened_at: &mut Vec<u64>,
) {
    points.sort_unstable_by_key(|p| p.key);
    let base = out.len();
    let mut chains: HashMap<(Option<u32>, Option<&str>), Chain, FastHash> = HashMap::default();
    for p in &points {
        let chain = chains.entry((p.pid, p.route.as_deref())).or_default();
        let found = match p.stage {
            Stage::Hit => None,
            Stage::Started => chain.at_hit.pop_front(),
            Stage::Completed => chain.at_started.pop_front().or_else(|| chain.at_hit.pop_front()),
        };
        let i = found.unwrap_or_else(|| {
            opened_at.push(position(source, p.key.1));
            out.push(AppRequest {
                first: p.key.0 - k,
                last: p.key.0 - k,
                furthest: p.stage,
                route: p.route.clone(),
                status: None,
                id: None,
            });
            out.len() - 1 - base
        });
        match p.stage {
            Stage::Hit => chain.at_hit.push_back(i),
            Stage::Started => chain.at_started.push_back(i),
            Stage::Completed => {}
        }
        let Some(r) = out.get_mut(base + i) else { continue };
        r.last = r.last.max(p.key.0 - k);
        r.furthest = r.furthest.max(p.stage);
        r.status = r.status.or(p.status);
        if r.route.is_none() {
            r.route = p.route.clone();
        }
    }
}

#[cfg(test)]
mod tests;
