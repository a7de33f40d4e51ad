use proptest::prelude::*;
use rootcause_parsers::jsonlog::AppEvent;

use super::*;
use crate::model::{AppLog, EventKind, Strings};

thread_local! {
    /// The strings of the events a test makes, shared as a batch of lines shares them (so that
    /// a chunk names an id once).
    static STRINGS: std::cell::RefCell<Strings> = std::cell::RefCell::new(Strings::default());
}

/// An application event of input `source` at `line`.
#[allow(clippy::too_many_arguments)]
fn app(
    source: SourceId,
    line: LineNo,
    ts: Option<Micros>,
    stage: Option<Stage>,
    id: Option<&str>,
    status: Option<u16>,
    route: Option<&str>,
    pid: Option<u32>,
) -> Event {
    let event = AppEvent {
        message: "m".into(),
        route: route.map(str::to_string),
        request_id: id.map(str::to_string),
        status,
        pid,
        ..AppEvent::default()
    };
    let event = STRINGS.with(|s| AppLog::new(event, &mut s.borrow_mut(), true));
    Event { ts, source, line, kind: EventKind::App { event, stage } }
}

/// What the rebuild gave before it was folded, kept as the definition: every point of the run
/// sorted (time, input, line), then read once. A request id opens a request at its first
/// stage point; points without an id are chained per input, process and route.
fn reference(events: &[Event], shifts: &BTreeMap<SourceId, Micros>) -> Vec<AppRequest> {
    struct P<'a> {
        ts: Micros,
        source: SourceId,
        line: LineNo,
        stage: Option<Stage>,
        id: Option<&'a str>,
        status: Option<u16>,
        route: Option<&'a str>,
        pid: Option<u32>,
    }
    let mut points: Vec<P<'_>> = events
        .iter()
        .filter_map(|e| {
            let EventKind::App { event, stage } = &e.kind else { return None };
            let id = event.request_id.as_deref().filter(|s| !s.is_empty());
            if stage.is_none() && id.is_none() {
                return None;
            }
            Some(P {
                ts: e.ts? - shifts.get(&e.source).copied().unwrap_or(0),
                source: e.source,
                line: e.line,
                stage: *stage,
                id,
                status: event.status(),
                route: event.route.as_deref(),
                pid: event.pid(),
            })
        })
        .collect();
    points.sort_by_key(|p| (p.ts, p.source, p.line));
    let mut out: Vec<AppRequest> = Vec::new();
    let mut by_id: HashMap<(SourceId, &str), usize> = HashMap::new();
    let mut chains: HashMap<(SourceId, Option<u32>, Option<&str>), Chain> = HashMap::new();
    for p in &points {
        let open = |stage: Stage| AppRequest {
            first: p.ts,
            last: p.ts,
            furthest: stage,
            route: p.route.map(Shared::from),
            status: None,
            id: p.id.map(ReqId::from),
        };
        let i = match (p.id, p.stage) {
            (Some(id), stage) => match (by_id.get(&(p.source, id)), stage) {
                (Some(&i), _) => i,
                (None, Some(stage)) => {
                    out.push(open(stage));
                    by_id.insert((p.source, id), out.len() - 1);
                    out.len() - 1
                }
                (None, None) => continue,
            },
            (None, Some(stage)) => {
                let chain = chains.entry((p.source, p.pid, p.route)).or_default();
                let found = match stage {
                    Stage::Hit => None,
                    Stage::Started => chain.at_hit.pop_front(),
                    Stage::Completed => {
                        chain.at_started.pop_front().or_else(|| chain.at_hit.pop_front())
                    }
                };
                let i = found.unwrap_or_else(|| {
                    out.push(open(stage));
                    out.len() - 1
                });
                match stage {
                    Stage::Hit => chain.at_hit.push_back(i),
                    Stage::Started => chain.at_started.push_back(i),
                    Stage::Completed => {}
                }
                i
            }
            (None, None) => continue,
        };
        let r = &mut out[i];
        r.last = r.last.max(p.ts);
        if let Some(stage) = p.stage {
            r.furthest = r.furthest.max(stage);
        }
        r.status = r.status.or(p.status);
        if r.route.is_none() {
            r.route = p.route.map(Shared::from);
        }
    }
    out
}

/// Folds `events` as ingest does: cut into chunks at `cuts` (in input order), each chunk's
/// points named by its own maker, the chunks of each input absorbed in the order `order`
/// gives (a permutation of the chunks), then finished with the chunks' partials merged in
/// shards of about `shard`; with `collide`, every id's hash is made the same first.
fn folded(
    events: &[Event],
    cuts: &[usize],
    order: &[usize],
    shifts: &BTreeMap<SourceId, Micros>,
    (shard, collide): (usize, bool),
) -> Vec<AppRequest> {
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(events.len())).collect();
    bounds.push(0);
    bounds.push(events.len());
    bounds.sort_unstable();
    let mut chunks: Vec<BTreeMap<SourceId, ChunkApps>> = Vec::new();
    for w in bounds.windows(2) {
        let mut maker = PointMaker::default();
        let mut chunk: BTreeMap<SourceId, ChunkApps> = BTreeMap::new();
        for e in &events[w[0]..w[1]] {
            if let Some(p) = maker.point(e) {
                chunk.entry(e.source).or_default().add(&p, &maker.names);
            }
        }
        chunks.push(chunk);
    }
    let mut inputs: BTreeMap<SourceId, InputApps> = BTreeMap::new();
    let mut taken: Vec<Option<BTreeMap<SourceId, ChunkApps>>> =
        chunks.into_iter().map(Some).collect();
    let n = taken.len();
    for k in order.iter().copied().chain(0..n) {
        if let Some(chunk) = taken.get_mut(k % n.max(1)).and_then(Option::take) {
            for (source, c) in chunk {
                inputs.entry(source).or_default().absorb(c);
            }
        }
    }
    if collide {
        for apps in inputs.values_mut() {
            let n = apps.hashes.len();
            apps.hashes = Blocks::default();
            apps.hashes.extend(std::iter::repeat_n(7, n));
        }
    }
    finish_sharded(inputs.into_iter().collect(), shifts, shard)
}

#[test]
fn summaries_are_small() {
    // The request id inline (24 bytes) when it is hex or a UUID.
    assert_eq!(std::mem::size_of::<Partial>(), 72);
}

#[test]
fn a_request_cut_across_chunks_that_come_in_any_order_is_one_request() {
    let r = Some("/r");
    let events = [
        // Chunk 1: a's exception, logged (out of order) before its hit, and b's hit.
        app(0, 1, Some(50), None, Some("a"), Some(500), None, None),
        app(0, 2, Some(20), Some(Stage::Hit), Some("b"), None, r, None),
        // Chunk 2: a's hit, then its query, and an exception of an id never opened.
        app(0, 3, Some(10), Some(Stage::Hit), Some("a"), None, None, None),
        app(0, 4, Some(30), Some(Stage::Started), Some("a"), None, r, None),
        app(0, 5, Some(40), None, Some("zzz"), Some(502), r, None),
        // Chunk 3: a's exception again, earlier than the first but after its hit.
        app(0, 6, Some(45), None, Some("a"), Some(503), None, None),
    ];
    let none = BTreeMap::new();
    let want = reference(&events, &none);
    assert_eq!(want.len(), 2);
    assert_eq!((want[0].first, want[0].last, want[0].status), (10, 50, Some(503)));
    assert_eq!((want[0].route.as_deref(), want[0].furthest), (Some("/r"), Stage::Started));
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        assert_eq!(folded(&events, &[2, 5], &order, &none, (SHARD, false)), want, "{order:?}");
    }
    assert_eq!(folded(&events, &[], &[], &none, (1, false)), want);
    // Each event a chunk of its own.
    assert_eq!(folded(&events, &[1, 2, 3, 4, 5], &[5, 3, 1, 0, 2, 4], &none, (1, true)), want);
}

#[test]
fn ids_of_two_inputs_are_two_requests_in_the_order_they_opened() {
    let events = [
        app(0, 1, Some(20), Some(Stage::Hit), Some("x"), None, None, None),
        app(1, 1, Some(10), Some(Stage::Hit), Some("x"), None, None, None),
        app(1, 2, Some(5), None, None, None, None, None),
    ];
    let mut shifts = BTreeMap::new();
    shifts.insert(0, 15);
    let got = folded(&events, &[1], &[1, 0], &shifts, (SHARD, false));
    assert_eq!(got, reference(&events, &shifts));
    // Input 0's request opened at 20 - 15.
    let opened: Vec<Micros> = got.iter().map(|a| a.first).collect();
    assert_eq!(opened, [5, 10]);
}

/// A random point: input, time (often tied), stage, id, status, route, process.
fn point()
-> impl Strategy<Value = (SourceId, Option<Micros>, Option<Stage>, usize, usize, usize, usize)> {
    let stage = prop_oneof![
        Just(None),
        Just(Some(Stage::Hit)),
        Just(Some(Stage::Started)),
        Just(Some(Stage::Completed)),
    ];
    let ts = prop_oneof![1 => Just(None), 9 => (0..30i64).prop_map(Some)];
    (0..2u32, ts, stage, 0..6usize, 0..5usize, 0..3usize, 0..3usize)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// However the points are cut into chunks and whatever order the chunks are absorbed in,
    /// the folded requests are those of the sorted rebuild.
    #[test]
    fn folding_in_chunks_gives_what_the_sorted_rebuild_gives(
        points in prop::collection::vec(point(), 0..40),
        cuts in prop::collection::vec(0..40usize, 0..6),
        order in prop::collection::vec(0..8usize, 0..8),
        shift in -20..20i64,
    ) {
        // Ids as text and in the two packed forms.
        let ids = [
            None,
            Some(""),
            Some("a"),
            Some("63ca828dd5f4b3b2e4b06ce60741c7a8"),
            Some("05805975-ed2f-49d9-4a2f-20aaf3c64af7"),
            Some("d"),
        ];
        let statuses = [None, None, None, Some(500), Some(502)];
        let routes = [None, Some("/x"), Some("/y")];
        let pids = [None, Some(1), Some(2)];
        let mut lines: BTreeMap<SourceId, LineNo> = BTreeMap::new();
        let events: Vec<Event> = points
            .iter()
            .map(|&(source, ts, stage, id, status, route, pid)| {
                let line = lines.entry(source).or_insert(0);
                *line += 1;
                app(source, *line, ts, stage, ids[id], statuses[status], routes[route], pids[pid])
            })
            .collect();
        let mut shifts = BTreeMap::new();
        shifts.insert(1, shift);
        let want = reference(&events, &shifts);
        prop_assert_eq!(folded(&events, &cuts, &order, &shifts, (SHARD, false)), want.clone());
        // Merged in shards of one or two partials (ids spread over up to 64 shards), and with
        // every hash the same (only equal ids merge).
        for how in [(1, false), (2, false), (1, true), (SHARD, true)] {
            prop_assert_eq!(folded(&events, &cuts, &order, &shifts, how), want.clone());
        }
        // A run kept whole folds its events in one go, in any order.
        prop_assert_eq!(finish(from_events(&events).0, &shifts), want.clone());
        prop_assert_eq!(finish(from_events(events.iter().rev()).0, &shifts), want);
        // Its stage times, made in the same pass, are the stage times of the events.
        prop_assert_eq!(from_events(&events).1, StageTimes::from_events(&events));
    }
}

#[test]
fn positions_order_inputs_then_lines() {
    let cases = [(0, 0), (0, 1), (0, (1 << 40) - 1), (1, 0), (7, 12), ((1 << 24) - 1, 5)];
    for (a, b) in cases.iter().zip(&cases[1..]) {
        assert!(position(a.0, a.1) < position(b.0, b.1), "{a:?} < {b:?}");
    }
    // Past what the number holds, lines and inputs are cut to the largest it holds.
    assert_eq!(position(0, u64::MAX), position(0, (1 << 40) - 1));
    assert_eq!(position(u32::MAX, 3), position((1 << 24) - 1, 3));
}

proptest! {
    /// Putting items in a sorted order in place gives what gathering them in that order gives.
    #[test]
    fn permuting_in_place_gathers(keys in prop::collection::vec(0..20u32, 0..200)) {
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_by_key(|&i| (keys[i as usize], i));
        let want: Vec<(u32, usize)> = order.iter().map(|&i| (keys[i as usize], i as usize)).collect();
        let mut items: Vec<(u32, usize)> = keys.iter().copied().zip(0..).collect();
        permute(&mut items, order);
        prop_assert_eq!(items, want);
    }
}
