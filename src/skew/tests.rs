use std::path::PathBuf;

use rootcause_parsers::jsonlog::AppEvent;
use rootcause_parsers::loadtest::Request;

use super::*;
use crate::ingest::Input;
use crate::ingest::read::Compression;
use crate::model::Stage;

fn source(id: SourceId, path: &str, format: Format) -> SourceInfo {
    SourceInfo {
        id,
        input: Input::File(PathBuf::from(path)),
        format: Some(format),
        reason: String::new(),
        detail: None,
        dialect: None,
        compression: Compression::None,
        bytes: 0,
        stats: Default::default(),
        error: None,
        copy_of: None,
    }
}

fn sources() -> Vec<SourceInfo> {
    vec![
        source(0, "run/hammer.csv", Format::LoadTestCsv),
        source(1, "run/app.log", Format::JsonLog),
        source(2, "run/postgresql.log", Format::Postgres),
    ]
}

/// A deterministic generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn stage_event(ts: Micros, stage: Stage, id: usize, route: &str) -> Event {
    Event {
        ts: Some(ts),
        source: 1,
        line: 1,
        kind: EventKind::app(
            AppEvent {
                ts: Some(ts),
                message: stage.as_str().into(),
                route: Some(route.into()),
                request_id: Some(format!("r{id}")),
                ..AppEvent::default()
            },
            Some(stage),
        ),
    }
}

/// `n` requests over three routes sent in bursts, as seen by a load tool whose clock is `skew`
/// ahead of the app's; returns the events and the true send times on the app's clock.
fn run(n: usize, skew: Micros, seed: u64) -> (Vec<Event>, Vec<Micros>) {
    let mut rng = Lcg(seed);
    let routes = ["/a/", "/b/<id>", "/c"];
    let mut events = Vec::new();
    let mut truth = Vec::new();
    let mut t: Micros = 1_764_085_000 * SECOND;
    for i in 0..n {
        t += if i % 50 == 0 { 2 * SECOND } else { (20 + rng.below(80)) as Micros * MS };
        let route = routes[(i / 50) % 3];
        let hit = t + (1 + rng.below(30)) as Micros * MS;
        let done = hit + (5 + rng.below(800)) as Micros * MS;
        let end = done + (1 + rng.below(5)) as Micros * MS;
        events.push(stage_event(hit, Stage::Hit, i, route));
        events.push(stage_event(hit + 200, Stage::Started, i, route));
        events.push(stage_event(done, Stage::Completed, i, route));
        events.push(Event {
            ts: Some(t + skew),
            source: 0,
            line: i as u64 + 2,
            kind: EventKind::request(Request {
                ts: Some(t + skew),
                route: Some(route.replace("<id>", "")),
                status: Some(200),
                elapsed_ms: Some((end - t) as f64 / 1000.0),
                ..Request::default()
            }),
        });
        truth.push(t);
    }
    (events, truth)
}

/// Gives every request of `run` the id its app events carry.
fn with_ids(events: &mut [Event]) {
    let mut n = 0;
    for e in events.iter_mut() {
        if let EventKind::Request(r) = &mut e.kind {
            r.set_request_id(&format!("r{n}"));
            n += 1;
        }
    }
}

fn load_times(events: &[Event]) -> Vec<Micros> {
    events.iter().filter(|e| e.source == 0).filter_map(|e| e.ts).collect()
}

#[test]
fn a_skewed_load_tool_is_estimated_and_put_on_the_apps_clock() {
    for (skew, seed) in
        [(2_700 * MS, 1), (-350 * MS, 2), (3_600 * SECOND + 200 * MS, 3), (40 * MS, 4)]
    {
        let (mut events, truth) = run(600, skew, seed);
        let out = correct(&mut events, &sources(), &[]).expect("no overrides");
        let lt = out.iter().find(|s| s.role == "loadtest").expect("load-test entry");
        assert_eq!(lt.method, Method::Estimated);
        assert!((lt.skew - skew).abs() <= 5 * MS, "skew {skew}: estimated {}", lt.skew);
        let err = lt.error.expect("error");
        assert!((lt.skew - skew).abs() <= err + MS, "the error covers the truth: {lt:?}");
        assert!(lt.applied && lt.confidence.expect("confidence") >= 0.9, "{lt:?}");
        assert!(lt.pairs >= 500, "{lt:?}");
        // Corrected times are the true send times, give or take the error.
        for (got, want) in load_times(&events).iter().zip(&truth) {
            assert!((got - want).abs() <= err + MS);
        }
        let roles: Vec<(&str, Method)> = out.iter().map(|s| (s.role, s.method)).collect();
        assert_eq!(
            roles,
            vec![
                ("loadtest", Method::Estimated),
                ("app", Method::Reference),
                ("postgres", Method::Assumed)
            ]
        );
    }
}

#[test]
fn clocks_that_agree_are_left_alone() {
    let (mut events, truth) = run(300, 0, 7);
    let out = correct(&mut events, &sources(), &[]).expect("no overrides");
    let lt = &out[0];
    assert!(lt.skew.abs() <= lt.error.expect("error"), "{lt:?}");
    assert!(!lt.applied, "{lt:?}");
    assert_eq!(load_times(&events), truth, "not shifted");
}

#[test]
fn overrides_name_inputs_by_kind_file_or_path() {
    for target in ["loadtest", "hammer.csv", "run/hammer.csv", "loadtest-csv"] {
        let (mut events, truth) = run(100, 5 * SECOND, 9);
        let out = correct(&mut events, &sources(), &[(target.into(), 5 * SECOND)]).expect("ok");
        assert_eq!(
            (out[0].method, out[0].applied, out[0].skew),
            (Method::Override, true, 5 * SECOND)
        );
        assert_eq!(load_times(&events), truth, "{target}");
    }
    let (mut events, _) = run(10, 0, 9);
    let err = correct(&mut events, &sources(), &[("nope.log".into(), SECOND)]).unwrap_err();
    assert!(err.contains("'nope.log' names no input"), "{err}");
    // An app clock said to be a second behind is moved a second ahead; the load test, on the
    // true clock, is then a second behind it.
    let (mut events, _) = run(300, 0, 11);
    let out = correct(&mut events, &sources(), &[("app".into(), -SECOND)]).expect("ok");
    assert_eq!(out[1].method, Method::Override);
    assert!((out[0].skew + SECOND).abs() <= 5 * MS, "{:?}", out[0]);
}

#[test]
fn nothing_to_compare_with_is_said() {
    let (events, _) = run(50, SECOND, 5);
    let mut only_load: Vec<Event> = events.into_iter().filter(|e| e.source == 0).collect();
    let out = correct(&mut only_load, &sources(), &[]).expect("ok");
    assert_eq!(out[0].method, Method::Unknown);
    assert!(!out[0].applied);
    assert_eq!(out[0].note.as_deref(), Some("no application stage events to compare with"));
}

#[test]
fn timestamp_resolution_widens_the_tolerance() {
    assert_eq!(resolution([3 * SECOND, 7 * SECOND].into_iter()), SECOND);
    assert_eq!(resolution([3 * SECOND, 7 * SECOND + MS].into_iter()), MS);
    assert_eq!(resolution([3 * SECOND + 1].into_iter()), 0);
    let (mut events, _) = run(20, 0, 5);
    let out = correct(&mut events, &sources(), &[]).expect("ok");
    assert!(tolerance(&out) >= 50 * MS);
}

#[test]
fn the_bracket_is_where_most_intervals_agree() {
    // Nine intervals around 10, one stray far away.
    let mut edges: Vec<(Micros, i32)> = (0..9).flat_map(|k| [(k, 1), (10 + k, -1)]).collect();
    edges.extend([(100, 1), (200, -1)]);
    assert_eq!(deepest(&mut edges), Some((8, 10)));
    assert_eq!(deepest(&mut []), None);
}

#[test]
fn request_ids_on_both_sides_give_the_skew_directly() {
    let (mut events, _) = run(200, -7 * SECOND - 250 * MS, 21);
    with_ids(&mut events);
    let out = correct(&mut events, &sources(), &[]).expect("ok");
    let lt = &out[0];
    assert_eq!(lt.note.as_deref(), Some("joined by request id"), "{lt:?}");
    assert_eq!(lt.pairs, 200);
    assert!((lt.skew + 7 * SECOND + 250 * MS).abs() <= 3 * MS, "{lt:?}");
    assert!(lt.applied);
}
