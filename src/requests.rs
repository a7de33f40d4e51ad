//! Per-request correlation: which sent request became which application request, and where
//! each lost request was lost.
//!
//! The application side is rebuilt from its stage events, folded while the logs are read
//! ([`fold`]): events that carry the same request id form one request; without ids, events are
//! chained per input, process and route in time order (a hit opens a request, the oldest open
//! request takes the next "query started", the oldest started one the next "query
//! completed"). A request's furthest stage is the last of hit → started → completed it
//! reached.
//!
//! Sent requests are matched to application requests of the same route ([`Groups`]) in time
//! order ([`match_sent`]): a request can only have been served between the moment it was sent
//! and the moment its response arrived (send time + elapsed), give or take a tolerance for the
//! clocks. Requests that got a response are matched first, each to the earliest free
//! application request whose first event falls in its window and whose last event is not after
//! its response; requests that got none then take what is left within the longest elapsed time
//! of the run.
//!
//! A request is lost when the client saw a 5xx or no response. Its class is where it stopped:
//! it never reached the app, it reached the app but no query started, the query started but
//! never completed, or the query completed and still the client saw a failure.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rootcause_parsers::{LineNo, Micros};
use serde::Serialize;

use crate::funnel::canonical_route;
use crate::model::{Event, EventKind, FastHash, ReqId, Shared, SourceId, Stage};

pub mod fold;

/// One request as the application logged it: 64 bytes, and a run has millions. Where it
/// opened (input and line) orders the run's requests ([`fold::finish`]) and is not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRequest {
    /// Time of its first stage event.
    pub first: Micros,
    /// Time of its last stage event.
    pub last: Micros,
    /// The furthest stage it reached.
    pub furthest: Stage,
    /// Its route, as logged.
    pub route: Option<Shared>,
    /// The HTTP status the app logged for it, if any event carried one.
    pub status: Option<u16>,
    /// Its request id, when its events carry one.
    pub id: Option<ReqId>,
}

impl AppRequest {
    /// True when its events were joined by a request id (else by time order).
    pub fn by_id(&self) -> bool {
        self.id.is_some()
    }
}

/// One sent request, as the matcher sees it: 24 bytes, and a run has millions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sent {
    /// Send time (on the app's clock once skew is applied).
    pub ts: Micros,
    /// How long the client waited ([`Sent::elapsed`]); [`NO_ELAPSED`] when not known.
    elapsed: Micros,
    /// The status the client saw; `None`: no response.
    pub status: Option<u16>,
    /// Its group (route), see [`Groups`].
    pub group: u32,
}

/// [`Sent`]'s elapsed time when there is none.
const NO_ELAPSED: Micros = Micros::MIN;

impl Sent {
    /// A sent request. An elapsed time of [`Micros::MIN`] (an absurd one, read from a cell of
    /// minus 292 000 years) is kept as one microsecond more.
    pub fn new(ts: Micros, elapsed: Option<Micros>, status: Option<u16>, group: u32) -> Sent {
        let elapsed = elapsed.map_or(NO_ELAPSED, |e| e.max(NO_ELAPSED + 1));
        Sent { ts, elapsed, status, group }
    }

    /// How long the client waited: until the response, or until it gave up.
    pub fn elapsed(&self) -> Option<Micros> {
        (self.elapsed != NO_ELAPSED).then_some(self.elapsed)
    }

    /// True when a response (any status) arrived.
    pub fn responded(&self) -> bool {
        self.status.is_some()
    }
}

/// A sent request as the matcher needs it, read from a load-test event ([`SentRow::of`]) each
/// time it is needed rather than kept: a run has millions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentRow<'a> {
    /// Send time.
    pub ts: Micros,
    /// Its route ([`crate::loadtest::route_of`]).
    pub route: &'a str,
    /// The status the client saw; `None`: no response.
    pub status: Option<u16>,
    /// How long the client waited, µs.
    pub elapsed: Option<Micros>,
    /// The request id the client sent, if the load tool wrote it.
    pub id: Option<&'a str>,
    /// Where it was read.
    pub at: (SourceId, LineNo),
}

impl SentRow<'_> {
    /// The row of `e`, when it is a timed request.
    pub fn of(e: &Event) -> Option<SentRow<'_>> {
        match (&e.kind, e.ts) {
            (EventKind::Request(r), Some(ts)) => Some(SentRow {
                ts,
                route: &r.route,
                status: r.status(),
                elapsed: r.elapsed_ms().map(|ms| (ms * 1000.0).round() as Micros),
                id: r.request_id(),
                at: (e.source, e.line),
            }),
            _ => None,
        }
    }

    /// The matcher's view of it, in `groups`.
    pub fn sent(&self, groups: &Groups) -> Sent {
        Sent::new(self.ts, self.elapsed, self.status, groups.of_sent(self.route))
    }
}

/// The matcher's view of the timed requests among `events`, in order, made in parallel (a
/// route string looked up once per run of rows that share it): what [`SentRow::sent`] gives
/// for each. The vector is sized once: pieces of the events are counted, then filled in place
/// side by side, so the run's sent requests are never held twice.
pub fn sent_of<T: std::borrow::Borrow<Event> + Sync>(events: &[T], groups: &Groups) -> Vec<Sent> {
    sent_in_pieces(events, groups, 1 << 14)
}

/// [`sent_of`], the events read in pieces of `piece`.
fn sent_in_pieces<T: std::borrow::Borrow<Event> + Sync>(
    events: &[T],
    groups: &Groups,
    piece: usize,
) -> Vec<Sent> {
    fn rows<T: std::borrow::Borrow<Event>>(piece: &[T]) -> impl Iterator<Item = SentRow<'_>> {
        piece.iter().filter_map(|e| SentRow::of(e.borrow()))
    }
    let piece = piece.max(1);
    let counts: Vec<usize> = events.par_chunks(piece).map(|p| rows(p).count()).collect();
    let mut out = vec![Sent::new(0, None, None, 0); counts.iter().sum()];
    let mut parts: Vec<&mut [Sent]> = Vec::with_capacity(counts.len());
    let mut rest = out.as_mut_slice();
    for &n in &counts {
        let (part, tail) = rest.split_at_mut(n);
        parts.push(part);
        rest = tail;
    }
    events.par_chunks(piece).zip(parts).for_each_init(LastRoute::default, |last, (p, part)| {
        for (slot, r) in part.iter_mut().zip(rows(p)) {
            *slot = Sent::new(r.ts, r.elapsed, r.status, groups.of_sent_in(r.route, last));
        }
    });
    out
}

/// Per sent request, the index of the app request matched to it: 4 bytes each, for a run has
/// millions.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Matches(Vec<u32>);

/// What [`Matches`] holds for a request matched to none.
const UNMATCHED: u32 = u32::MAX;

impl Matches {
    /// `n` requests, none matched.
    fn none(n: usize) -> Matches {
        Matches(vec![UNMATCHED; n])
    }

    /// The app request of request `i`.
    pub fn get(&self, i: usize) -> Option<u32> {
        self.0.get(i).copied().filter(|&j| j != UNMATCHED)
    }

    /// Matches request `i` to app request `j`.
    fn set(&mut self, i: usize, j: u32) {
        if let Some(m) = self.0.get_mut(i) {
            *m = j;
        }
    }

    /// How many requests it covers (none at all when nothing could match).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when it covers no request.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The app request of each request, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<u32>> + '_ {
        self.0.iter().map(|&j| (j != UNMATCHED).then_some(j))
    }
}

impl std::fmt::Debug for Matches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromIterator<Option<u32>> for Matches {
    fn from_iter<I: IntoIterator<Item = Option<u32>>>(items: I) -> Matches {
        Matches(items.into_iter().map(|j| j.unwrap_or(UNMATCHED)).collect())
    }
}

/// Joins sent requests to app requests that carry the same request id (the load tool wrote the
/// id it sent, the app logged it): exact, whatever the clocks say. `None` where either side has
/// no id or the id is not found; one entry per row, or none at all when no row or no app
/// request has an id (a run without ids needs no table of millions of `None`).
pub fn match_ids<'a>(
    rows: impl Iterator<Item = SentRow<'a>> + Clone,
    apps: &[AppRequest],
) -> Matches {
    if !rows.clone().any(|r| r.id.is_some()) {
        return Matches::default();
    }
    let by_id: HashMap<&ReqId, u32, FastHash> =
        matchable(apps).iter().zip(0..).filter_map(|(a, j)| Some((a.id.as_ref()?, j))).collect();
    if by_id.is_empty() {
        return Matches::default();
    }
    let mut used = vec![false; apps.len()];
    rows.map(|r| {
        let j = *by_id.get(&ReqId::from(r.id?))?;
        (!std::mem::replace(&mut used[j as usize], true)).then_some(j)
    })
    .collect()
}

/// Routes of both sides put into matching groups: per route when the app's routes line up with
/// the load tool's, else one group for everything.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    keys: HashMap<String, u32, FastHash>,
    /// The group (or none) of every route as written that [`Groups::new`] saw: a run has a
    /// few routes and millions of requests, and canonicalising allocates.
    raw: HashMap<String, Option<u32>, FastHash>,
    per_route: bool,
}

impl Groups {
    /// Decides the grouping from the sent routes and the app requests' routes: per route when
    /// at least half of the app requests have a route that matches a sent route.
    pub fn new<'a>(sent_routes: impl Iterator<Item = &'a str>, apps: &[AppRequest]) -> Groups {
        let mut keys: HashMap<String, u32, FastHash> = HashMap::default();
        let mut raw: HashMap<String, Option<u32>, FastHash> = HashMap::default();
        let mut last = LastRoute::default();
        for r in sent_routes {
            last.group(r, |r| {
                if let Some(&g) = raw.get(r) {
                    return g;
                }
                let n = keys.len() as u32;
                let g = Some(*keys.entry(canonical_route(r)).or_insert(n));
                raw.insert(r.to_string(), g);
                g
            });
        }
        let mut aligned = 0;
        let mut last = LastRoute::default();
        for r in apps.iter().filter_map(|a| a.route.as_deref()) {
            let g = last.group(r, |r| {
                if let Some(&g) = raw.get(r) {
                    return g;
                }
                let g = keys.get(&canonical_route(r)).copied();
                raw.insert(r.to_string(), g);
                g
            });
            aligned += usize::from(g.is_some());
        }
        let per_route = !apps.is_empty() && aligned * 2 >= apps.len();
        Groups { keys, raw, per_route }
    }

    /// The group of a route as written, if it has one.
    fn of_route(&self, route: &str) -> Option<u32> {
        match self.raw.get(route) {
            Some(g) => *g,
            None => self.keys.get(&canonical_route(route)).copied(),
        }
    }

    /// True when requests are matched per route.
    pub fn per_route(&self) -> bool {
        self.per_route
    }

    /// The group of a sent request's route.
    pub fn of_sent(&self, route: &str) -> u32 {
        self.of_sent_in(route, &mut LastRoute::default())
    }

    /// [`Groups::of_sent`], the route looked up last remembered in `last`.
    fn of_sent_in(&self, route: &str, last: &mut LastRoute) -> u32 {
        if self.per_route { last.group(route, |r| self.of_route(r)).unwrap_or(0) } else { 0 }
    }

    /// The group of an app request; `None` when its route matches no sent route.
    pub fn of_app(&self, a: &AppRequest) -> Option<u32> {
        self.of_app_in(a, &mut LastRoute::default())
    }

    /// [`Groups::of_app`], the route looked up last remembered in `last`.
    fn of_app_in(&self, a: &AppRequest, last: &mut LastRoute) -> Option<u32> {
        if !self.per_route {
            return Some(0);
        }
        last.group(a.route.as_deref()?, |r| self.of_route(r))
    }
}

/// What [`app_groups`] gives an app request in no group.
pub const NO_GROUP: u32 = u32::MAX;

/// The group of each app request ([`Groups::of_app`]; [`NO_GROUP`] for none), in parallel, a
/// route string looked up once per run of requests that share it.
pub fn app_groups(apps: &[AppRequest], groups: &Groups) -> Vec<u32> {
    apps.par_iter()
        .map_init(LastRoute::default, |last, a| groups.of_app_in(a, last).unwrap_or(NO_GROUP))
        .collect()
}

/// The last route string looked up and the group it gave: rows in a row mostly share one
/// string (by address), so it is hashed once per run of them.
#[derive(Default)]
struct LastRoute {
    at: Option<((*const u8, usize), Option<u32>)>,
}

impl LastRoute {
    /// The group of `r`, from `look` unless `r` is the string looked up last.
    fn group(&mut self, r: &str, look: impl FnOnce(&str) -> Option<u32>) -> Option<u32> {
        let this = (r.as_ptr(), r.len());
        match self.at {
            Some((at, g)) if at == this => g,
            _ => {
                let g = look(r);
                self.at = Some((this, g));
                g
            }
        }
    }
}

/// Union-find over slots `0..n` that finds the nearest free slot in one direction; slot `n`
/// (forward) or `0` (backward, with slots shifted by one) is a sentinel that is never taken.
struct Free {
    next: Vec<u32>,
}

impl Free {
    fn new(n: usize) -> Free {
        Free { next: (0..=n as u32).collect() }
    }

    /// The nearest free slot at or after (forward) / at or before (backward) `i`.
    fn find(&mut self, mut i: usize) -> usize {
        while self.next[i] as usize != i {
            self.next[i] = self.next[self.next[i] as usize];
            i = self.next[i] as usize;
        }
        i
    }

    /// Marks slot `k` taken: its search goes on at `to`.
    fn take(&mut self, k: usize, to: usize) {
        self.next[k] = to as u32;
    }
}

/// How many candidates a request checks past the first one in its window.
const MAX_PROBES: usize = 16;

/// True when a client's status and the app's own logged status do not contradict each other.
pub fn compatible(client: Option<u16>, app: Option<u16>) -> bool {
    match (client, app) {
        (Some(c), Some(a)) => c == a,
        _ => true,
    }
}

/// Matches sent requests to app requests, see the module documentation. `lag` is added to send
/// times (the app's clock minus the load tool's, zero once skew is applied), `tol` is the clock
/// tolerance and `fallback_elapsed` the elapsed time assumed for a request whose row has none
/// (the longest of the run). `preset` holds pairs already known (joined by request id,
/// [`match_ids`]); it may be empty. Returns, per sent request, the index of its app request.
///
/// Requests that got a response are matched by when it arrived: the app's last event for a
/// request precedes the response by little, even when the request waited long in a queue
/// before the app saw it. Each takes, in order of arrival, the free app request whose last event
/// is the latest not after the response (plus `tol`) and whose first event is not before the
/// send (minus `tol`), skipping ones whose logged status contradicts the client's. Requests
/// without a response (or without an elapsed time) then take, in send order, the earliest free
/// app request that began within their wait.
pub fn match_sent(
    sent: &[Sent],
    apps: &[AppRequest],
    groups: &Groups,
    lag: Micros,
    tol: Micros,
    fallback_elapsed: Micros,
    preset: &Matches,
) -> Matches {
    if sent.is_empty() {
        // An application log read alone: nothing to match, and no table worth building.
        return Matches::default();
    }
    let sent = matchable(sent);
    let by_group = group_apps(apps, groups);
    let (mut out, used) = match_responded(sent, apps, &by_group, lag, tol, preset);
    // Pass 2: the others by send time, against what is left by first event.
    let left =
        |i: usize| out.get(i).is_none() && (!sent[i].responded() || sent[i].elapsed().is_none());
    let mut order: Vec<u32> = indices(sent.len(), left);
    order.par_sort_unstable_by_key(|&i| (sent[i as usize].ts, i));
    let take = |i: u32, list: &[Slot], free: &mut Free| {
        let s = sent[i as usize];
        let lo = s.ts + lag - tol;
        let hi = s.ts + s.elapsed().unwrap_or(fallback_elapsed) + lag + tol;
        let mut k = free.find(list.partition_point(|x| x.first < lo));
        for _ in 0..MAX_PROBES {
            let x = list.get(k)?;
            if x.first > hi {
                return None;
            }
            if compatible(s.status, x.status) {
                free.take(k, k + 1);
                return Some(x.app);
            }
            k = free.find(k + 1);
        }
        None
    };
    per_group(&order, sent, apps, &by_group, &used, |x| x.first, take, |i, j| out.set(i, j));
    out
}

/// Most requests of a side the matcher takes: their indices are `u32`s, which keeps its tables
/// half the size. A run past four billion requests (some 500 GB of load-test rows) is matched
/// on its first ones only.
const MATCHABLE: usize = u32::MAX as usize - 1;

/// The first [`MATCHABLE`] of `items`.
fn matchable<T>(items: &[T]) -> &[T] {
    &items[..items.len().min(MATCHABLE)]
}

/// The indices below `n` (at most [`MATCHABLE`]) where `keep` holds, in a vector sized once.
fn indices(n: usize, keep: impl Fn(usize) -> bool) -> Vec<u32> {
    let n = n.min(MATCHABLE);
    let mut out = Vec::with_capacity((0..n).filter(|&i| keep(i)).count());
    out.extend((0..n as u32).filter(|&i| keep(i as usize)));
    out
}

/// What the matcher reads of an app request, side by side with the others of its group: a
/// search over a group reads these, not the requests they came from, scattered in memory.
#[derive(Debug, Clone, Copy)]
struct Slot {
    first: Micros,
    last: Micros,
    status: Option<u16>,
    /// Its index among the app requests.
    app: u32,
}

/// Runs `take` on each request of `order` (indices of `sent`, in that order) against the free
/// app requests of its group, sorted by `key` (and index): each group on its own, in
/// parallel, for a request only takes app requests of its group. Then gives each pair taken
/// to `found` (request, app request), group by group.
#[allow(clippy::too_many_arguments)]
fn per_group<K: Ord>(
    order: &[u32],
    sent: &[Sent],
    apps: &[AppRequest],
    by_group: &BTreeMap<u32, Vec<u32>>,
    used: &[bool],
    key: impl Fn(&Slot) -> K + Sync,
    take: impl Fn(u32, &[Slot], &mut Free) -> Option<u32> + Sync,
    mut found: impl FnMut(usize, u32),
) {
    let orders = split_by_group(order, sent);
    // Per group, what each of its requests took, in the group's order.
    let taken: Vec<(&[u32], Vec<u32>)> = by_group
        .par_iter()
        .map(|(g, l)| {
            let slot = |j: u32| {
                let a = &apps[j as usize];
                Slot { first: a.first, last: a.last, status: a.status, app: j }
            };
            let free_apps = l.iter().copied().filter(|&j| !used[j as usize]);
            let mut list: Vec<Slot> = free_apps.map(slot).collect();
            list.sort_unstable_by_key(|x| (key(x), x.app));
            let mut free = Free::new(list.len());
            let requests = orders.get(g).map_or(&[][..], Vec::as_slice);
            let took = requests.iter().map(|&i| take(i, &list, &mut free).unwrap_or(UNMATCHED));
            (requests, took.collect())
        })
        .collect();
    for (requests, took) in taken {
        for (&i, j) in requests.iter().zip(took).filter(|(_, j)| *j != UNMATCHED) {
            found(i as usize, j);
        }
    }
}

/// `order` (indices of `sent`) split by the requests' groups, each in the order given.
fn split_by_group(order: &[u32], sent: &[Sent]) -> BTreeMap<u32, Vec<u32>> {
    let mut by: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &i in order {
        by.entry(sent[i as usize].group).or_default().push(i);
    }
    by
}

/// App request indices per group, each list sorted by last event.
pub fn group_apps(apps: &[AppRequest], groups: &Groups) -> BTreeMap<u32, Vec<u32>> {
    let apps = matchable(apps);
    let mut by_group: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, g) in (0..).zip(app_groups(apps, groups)).filter(|&(_, g)| g != NO_GROUP) {
        by_group.entry(g).or_default().push(i);
    }
    // In the order [`match_responded`] wants them, so its sort has nothing left to do.
    // The index makes the key unique: an unstable sort gives the stable order.
    by_group
        .par_iter_mut()
        .for_each(|(_, l)| l.sort_unstable_by_key(|&j| (apps[j as usize].last, j)));
    by_group
}

/// How many responded requests [`match_sent`] matches at `lag`: the score of a lag.
pub fn count_responded(
    sent: &[Sent],
    apps: &[AppRequest],
    groups: &Groups,
    lag: Micros,
    tol: Micros,
) -> (usize, Matches) {
    count_responded_grouped(sent, apps, &group_apps(apps, groups), lag, tol)
}

/// [`count_responded`] with the app requests already grouped by [`group_apps`]: a scan over
/// many lags groups them once, not once per lag (with 100k app requests, regrouping was most
/// of the run's time).
pub fn count_responded_grouped(
    sent: &[Sent],
    apps: &[AppRequest],
    by_group: &BTreeMap<u32, Vec<u32>>,
    lag: Micros,
    tol: Micros,
) -> (usize, Matches) {
    let (out, _) = match_responded(matchable(sent), apps, by_group, lag, tol, &Matches::default());
    (out.iter().filter(|m| m.is_some()).count(), out)
}

/// Pass 1 of [`match_sent`]: responded requests by arrival, against app requests by last event.
fn match_responded(
    sent: &[Sent],
    apps: &[AppRequest],
    by_group: &BTreeMap<u32, Vec<u32>>,
    lag: Micros,
    tol: Micros,
    preset: &Matches,
) -> (Matches, Vec<bool>) {
    let mut out = Matches::none(sent.len());
    let mut used = vec![false; apps.len()];
    for (i, j) in preset.iter().enumerate().filter_map(|(i, j)| Some((i, j?))) {
        if let (true, Some(u)) = (i < out.len(), used.get_mut(j as usize)) {
            out.set(i, j);
            *u = true;
        }
    }
    let end = |s: &Sent| s.elapsed().map(|e| s.ts + e);
    let mut order: Vec<u32> = indices(sent.len(), |i| {
        sent[i].responded() && out.get(i).is_none() && end(&sent[i]).is_some()
    });
    order.par_sort_unstable_by_key(|&i| (end(&sent[i as usize]), i));
    let take = |i: u32, list: &[Slot], free: &mut Free| {
        let s = sent[i as usize];
        respond(&s, end(&s)?, s.ts + lag - tol, lag, tol, list, free)
    };
    let mut taken: Vec<u32> = Vec::new();
    per_group(
        &order,
        sent,
        apps,
        by_group,
        &used,
        |x| x.last,
        take,
        |i, j| {
            out.set(i, j);
            taken.push(j);
        },
    );
    for j in taken {
        used[j as usize] = true;
    }
    (out, used)
}

/// The app request of `list` (sorted by last event, free slots in `free`) that responded
/// request `s`, ended at `e`, takes: the one that ended last before the response arrived;
/// failing that, one that ended within the tolerance after it. An app request that logged the
/// client's status is preferred to one that logged none.
fn respond(
    s: &Sent,
    e: Micros,
    lo: Micros,
    lag: Micros,
    tol: Micros,
    list: &[Slot],
    free: &mut Free,
) -> Option<u32> {
    let arrived = e + lag;
    // Slots are shifted by one so that slot 0 is the "none left" sentinel.
    let tries = [
        (arrived, lo, true),
        (arrived + tol, arrived + 1, true),
        (arrived, lo, false),
        (arrived + tol, arrived + 1, false),
    ];
    for (top, floor, strict) in tries {
        if strict && s.status.is_none() {
            continue;
        }
        let mut k = free.find(list.partition_point(|x| x.last <= top));
        for _ in 0..MAX_PROBES {
            if k == 0 {
                break;
            }
            let x = list[k - 1];
            if x.last < floor {
                break;
            }
            let fits = if strict { x.status == s.status } else { compatible(s.status, x.status) };
            if x.first >= lo && fits {
                free.take(k, k - 1);
                return Some(x.app);
            }
            k = free.find(k - 1);
        }
    }
    None
}

/// Where a lost request was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LostClass {
    /// No application event matches it.
    NeverReachedApp,
    /// It reached the view, but no query started.
    NoQueryStarted,
    /// Its query started but never completed.
    QueryNotCompleted,
    /// Its query completed, yet the client saw a 5xx or no response.
    CompletedButFailed,
}

impl LostClass {
    /// Every class, in pipeline order.
    pub const ALL: [LostClass; 4] = [
        LostClass::NeverReachedApp,
        LostClass::NoQueryStarted,
        LostClass::QueryNotCompleted,
        LostClass::CompletedButFailed,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            LostClass::NeverReachedApp => "never_reached_app",
            LostClass::NoQueryStarted => "no_query_started",
            LostClass::QueryNotCompleted => "query_not_completed",
            LostClass::CompletedButFailed => "completed_but_failed",
        }
    }

    /// A phrase for people.
    pub fn describe(self) -> &'static str {
        match self {
            LostClass::NeverReachedApp => "never reached the app",
            LostClass::NoQueryStarted => "reached the app, no query started",
            LostClass::QueryNotCompleted => "query started, never completed",
            LostClass::CompletedButFailed => "query completed, client saw a failure",
        }
    }

    /// The class of a lost request whose app request reached `furthest` (`None`: unmatched).
    pub fn of(furthest: Option<Stage>) -> LostClass {
        match furthest {
            None => LostClass::NeverReachedApp,
            Some(Stage::Hit) => LostClass::NoQueryStarted,
            Some(Stage::Started) => LostClass::QueryNotCompleted,
            Some(Stage::Completed) => LostClass::CompletedButFailed,
        }
    }
}

/// Lost requests per class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LostCounts {
    /// See [`LostClass::NeverReachedApp`].
    pub never_reached_app: u64,
    /// See [`LostClass::NoQueryStarted`].
    pub no_query_started: u64,
    /// See [`LostClass::QueryNotCompleted`].
    pub query_not_completed: u64,
    /// See [`LostClass::CompletedButFailed`].
    pub completed_but_failed: u64,
}

impl LostCounts {
    /// Counts one lost request.
    pub fn add(&mut self, c: LostClass) {
        *self.slot(c) += 1;
    }

    fn slot(&mut self, c: LostClass) -> &mut u64 {
        match c {
            LostClass::NeverReachedApp => &mut self.never_reached_app,
            LostClass::NoQueryStarted => &mut self.no_query_started,
            LostClass::QueryNotCompleted => &mut self.query_not_completed,
            LostClass::CompletedButFailed => &mut self.completed_but_failed,
        }
    }

    /// The count of one class.
    pub fn get(&self, c: LostClass) -> u64 {
        match c {
            LostClass::NeverReachedApp => self.never_reached_app,
            LostClass::NoQueryStarted => self.no_query_started,
            LostClass::QueryNotCompleted => self.query_not_completed,
            LostClass::CompletedButFailed => self.completed_but_failed,
        }
    }

    /// All lost requests.
    pub fn total(&self) -> u64 {
        LostClass::ALL.iter().map(|c| self.get(*c)).sum()
    }

    /// The class with the most requests (the earliest in pipeline order on a tie).
    pub fn dominant(&self) -> Option<LostClass> {
        let best = LostClass::ALL.into_iter().max_by_key(|c| (self.get(*c), std::cmp::Reverse(*c)));
        best.filter(|c| self.get(*c) > 0)
    }
}

#[cfg(test)]
mod tests;

/// With no load-test input, a platform router's access lines (Heroku, Cloud Foundry) are the
/// requests: the router passed every request on to the app and logged its status, the time the
/// app took (`service=`, `response_time:`) and its request id. Each becomes a request sent at
/// its line's time minus that time (the router logs when the response is done), its route
/// from the path, the router's error (`at=error code=H12 ...`) as its error text. With a
/// load-test input they are dropped: the load tool's rows are the requests, and the router's
/// would count each twice. Returns how many requests each input's lines became.
pub fn from_router(events: &mut Vec<Event>, has_loadtest: bool) -> BTreeMap<SourceId, u64> {
    use rootcause_parsers::console::{ConsoleRecord, Envelope};
    let is_router = |e: &Event| {
        matches!(&e.kind, EventKind::Console(c)
            if matches!(&**c, ConsoleRecord::Access(a) if a.envelope == Envelope::Platform))
    };
    let mut made = BTreeMap::new();
    if has_loadtest {
        events.retain(|e| !is_router(e));
        return made;
    }
    let mut strings = crate::model::Strings::default();
    for e in events.iter_mut().filter(|e| is_router(e)) {
        let EventKind::Console(c) = &mut e.kind else { continue };
        let ConsoleRecord::Access(a) = &mut **c else { continue };
        let elapsed = a.elapsed_ms.filter(|ms| ms.is_finite() && *ms >= 0.0);
        let sent = e.ts.map(|t| t - elapsed.map_or(0, |ms| (ms * 1000.0).round() as Micros));
        let request = rootcause_parsers::loadtest::Request {
            ts: sent,
            url: Some(std::mem::take(&mut a.path)),
            status: a.status,
            elapsed_ms: elapsed,
            error: a.error.take(),
            method: Some(std::mem::take(&mut a.method)),
            request_id: a.request_id.take(),
            ..Default::default()
        };
        e.ts = sent;
        e.kind = EventKind::Request(crate::model::Req::new(request, &mut strings, false));
        *made.entry(e.source).or_default() += 1;
    }
    made
}
