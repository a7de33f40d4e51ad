use rootcause_parsers::jsonlog::AppEvent;
use rootcause_parsers::loadtest::Request;
use rootcause_parsers::time::SECOND;

use super::*;

const MS: Micros = 1000;

fn app(
    ts: Micros,
    msg: &str,
    stage: Option<Stage>,
    id: Option<&str>,
    status: Option<u16>,
) -> Event {
    Event {
        ts: Some(ts),
        source: 0,
        line: 1,
        kind: EventKind::app(
            AppEvent {
                ts: Some(ts),
                message: msg.into(),
                route: Some("/r/<id>".into()),
                request_id: id.map(str::to_string),
                status,
                ..AppEvent::default()
            },
            stage,
        ),
    }
}

#[test]
fn events_with_one_request_id_make_one_request_with_its_status() {
    let events = [
        app(0, "function hit", Some(Stage::Hit), Some("a"), None),
        app(5 * MS, "function hit", Some(Stage::Hit), Some("b"), None),
        app(6 * MS, "query started", Some(Stage::Started), Some("a"), None),
        app(7 * MS, "query started", Some(Stage::Started), Some("b"), None),
        app(9 * MS, "query completed", Some(Stage::Completed), Some("b"), None),
        app(2 * SECOND, "Uncaught exception", None, Some("a"), Some(500)),
        app(3 * SECOND, "Uncaught exception", None, Some("zzz"), Some(500)),
    ];
    let reqs = fold::finish(fold::from_events(&events).0, &BTreeMap::new());
    assert_eq!(reqs.len(), 2, "the exception of an unknown request opens none");
    let a = &reqs[0];
    assert_eq!((a.first, a.last, a.furthest, a.status), (0, 2 * SECOND, Stage::Started, Some(500)));
    assert!(a.by_id());
    let b = &reqs[1];
    assert_eq!((b.first, b.last, b.furthest, b.status), (5 * MS, 9 * MS, Stage::Completed, None));
}

#[test]
fn events_without_ids_are_chained_in_time_order() {
    let events = [
        app(0, "function hit", Some(Stage::Hit), None, None),
        app(1, "function hit", Some(Stage::Hit), None, None),
        app(2, "query started", Some(Stage::Started), None, None),
        app(3, "query started", Some(Stage::Started), None, None),
        app(4, "query completed", Some(Stage::Completed), None, None),
    ];
    let reqs = fold::finish(fold::from_events(&events).0, &BTreeMap::new());
    assert_eq!(reqs.len(), 2);
    assert_eq!((reqs[0].first, reqs[0].last, reqs[0].furthest), (0, 4, Stage::Completed));
    assert_eq!((reqs[1].first, reqs[1].last, reqs[1].furthest), (1, 3, Stage::Started));
    assert!(!reqs[0].by_id());
}

fn app_req(first: Micros, last: Micros, furthest: Stage, status: Option<u16>) -> AppRequest {
    AppRequest { first, last, furthest, route: Some("/r/<id>".into()), status, id: None }
}

#[test]
fn a_sent_request_is_24_bytes_and_keeps_its_elapsed_time() {
    assert_eq!(std::mem::size_of::<Sent>(), 24);
    let s = Sent::new(5, Some(-3), Some(200), 2);
    assert_eq!(
        (s.ts, s.elapsed(), s.status, s.group, s.responded()),
        (5, Some(-3), Some(200), 2, true)
    );
    let s = Sent::new(5, None, None, 0);
    assert_eq!((s.elapsed(), s.responded()), (None, false));
    // The one value that marks "none" is read as one microsecond more.
    assert_eq!(Sent::new(0, Some(Micros::MIN), None, 0).elapsed(), Some(Micros::MIN + 1));
    assert_eq!(Sent::new(0, Some(Micros::MAX), None, 0).elapsed(), Some(Micros::MAX));
}

fn sent(ts: Micros, elapsed: Micros, status: Option<u16>) -> Sent {
    Sent::new(ts, Some(elapsed), status, 0)
}

fn groups(apps: &[AppRequest]) -> Groups {
    Groups::new(["/r/"].into_iter(), apps)
}

#[test]
fn queued_requests_are_matched_by_when_their_response_arrived() {
    // One worker: each request waits for the one before; the app sees them late, in order.
    let apps: Vec<AppRequest> = (0..5)
        .map(|k| app_req(k * 100 * MS + 3 * MS, (k + 1) * 100 * MS, Stage::Completed, None))
        .collect();
    let sends: Vec<Sent> =
        (0..5).map(|k| sent(k * MS, (k + 1) * 100 * MS + MS - k * MS, Some(200))).collect();
    let g = groups(&apps);
    assert!(g.per_route(), "the app's template lines up with the load tool's route");
    let m = match_sent(&sends, &apps, &g, 0, 5 * MS, 10 * SECOND, &Matches::default());
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
    // A lag of a second moves every window past the app requests: nothing fits.
    let m = match_sent(&sends, &apps, &g, SECOND, 5 * MS, 10 * SECOND, &Matches::default());
    assert!(m.iter().all(|x| x.is_none()), "{m:?}");
}

#[test]
fn a_quick_failure_does_not_take_the_next_requests_app_request() {
    let apps = vec![app_req(60 * MS, 80 * MS, Stage::Completed, None)];
    // Refused at once (never reached the app), then a request that was served.
    let sends = vec![sent(0, 2 * MS, None), sent(55 * MS, 30 * MS, Some(200))];
    let m = match_sent(&sends, &apps, &groups(&apps), 0, 5 * MS, 10 * SECOND, &Matches::default());
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![None, Some(0)]);
}

#[test]
fn a_5xx_prefers_the_app_request_that_logged_it() {
    let apps = vec![
        app_req(10 * MS, 2000 * MS, Stage::Started, Some(500)),
        app_req(20 * MS, 1990 * MS, Stage::Completed, None),
    ];
    let sends = vec![sent(0, 2005 * MS, Some(500)), sent(15 * MS, 1980 * MS, Some(200))];
    let m = match_sent(&sends, &apps, &groups(&apps), 0, 20 * MS, 10 * SECOND, &Matches::default());
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![Some(0), Some(1)]);
    assert!(!compatible(Some(200), Some(500)));
    assert!(compatible(Some(200), None) && compatible(None, Some(500)));
}

#[test]
fn a_request_without_response_takes_what_is_left_within_its_wait() {
    let apps = vec![
        app_req(10 * MS, 50 * MS, Stage::Completed, None),
        app_req(30 * MS, 40 * MS, Stage::Started, None),
    ];
    // The client gave up after 3 s; its app request is the one no answered request claims.
    let sends = vec![sent(5 * MS, 50 * MS, Some(200)), sent(20 * MS, 3 * SECOND, None)];
    let m = match_sent(&sends, &apps, &groups(&apps), 0, 5 * MS, 10 * SECOND, &Matches::default());
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![Some(0), Some(1)]);
    assert_eq!(LostClass::of(Some(apps[1].furthest)), LostClass::QueryNotCompleted);
}

#[test]
fn routes_that_do_not_line_up_are_pooled() {
    let mut apps = vec![app_req(0, 1, Stage::Hit, None)];
    apps[0].route = Some("/elsewhere".into());
    let g = Groups::new(["/r/"].into_iter(), &apps);
    assert!(!g.per_route());
    assert_eq!(g.of_app(&apps[0]), Some(0));
    assert_eq!(g.of_sent("/anything"), 0);
    let r = Request { route: Some("/r/".into()), ..Request::default() };
    assert_eq!(crate::loadtest::route_of(&r), "/r/");
}

#[test]
fn request_ids_on_both_sides_join_exactly_whatever_the_times() {
    let mut apps: Vec<AppRequest> =
        (0..3).map(|k| app_req(k * 10 * MS, k * 10 * MS + MS, Stage::Completed, None)).collect();
    for (k, a) in apps.iter_mut().enumerate() {
        a.id = Some(ReqId::from(format!("id{k}").as_str()));
    }
    let row = |id: Option<&'static str>| SentRow {
        ts: 0,
        route: "/r/",
        status: Some(200),
        elapsed: Some(MS),
        id,
        at: (0, 1),
    };
    // Served last-in first-out: by time the rows would pair the other way round.
    let rows = [row(Some("id2")), row(Some("id0")), row(None), row(Some("nope")), row(Some("id0"))];
    let preset = match_ids(rows.iter().copied(), &apps);
    let want: Matches = [Some(2), Some(0), None, None, None].into_iter().collect();
    assert_eq!(preset, want, "an id joins once");
    assert_eq!((preset.get(0), preset.get(2), preset.get(9)), (Some(2), None, None));
    // Without an id on either side there is no table to build.
    assert!(match_ids([row(None), row(None)].into_iter(), &apps).is_empty());
    let anonymous: Vec<AppRequest> =
        apps.iter().map(|a| AppRequest { id: None, ..a.clone() }).collect();
    assert!(match_ids(rows.iter().copied(), &anonymous).is_empty());
    let sent: Vec<Sent> = rows.iter().map(|r| r.sent(&groups(&apps))).collect();
    let m = match_sent(&sent, &apps, &groups(&apps), 0, 5 * MS, 10 * SECOND, &preset);
    let m: Vec<Option<u32>> = m.iter().collect();
    assert_eq!(&m[..2], &[Some(2), Some(0)]);
    assert!(!m[2..].contains(&Some(2)) && !m[2..].contains(&Some(0)), "taken apps stay taken");
}

#[test]
fn lost_counts_add_up_and_name_the_dominant_class() {
    let mut c = LostCounts::default();
    assert_eq!(c.dominant(), None);
    for k in
        [LostClass::QueryNotCompleted, LostClass::NeverReachedApp, LostClass::QueryNotCompleted]
    {
        c.add(k);
    }
    assert_eq!(c.total(), 3);
    assert_eq!(c.dominant(), Some(LostClass::QueryNotCompleted));
    assert_eq!(LostClass::of(None), LostClass::NeverReachedApp);
    assert_eq!(LostClass::of(Some(Stage::Hit)), LostClass::NoQueryStarted);
    assert_eq!(LostClass::of(Some(Stage::Completed)), LostClass::CompletedButFailed);
}

/// The parallel view of the sent requests is, row for row, what each row gives: routes that
/// line up (per route) or not (one group), requests without a time left out.
#[test]
fn the_sent_requests_made_in_parallel_are_the_rows_in_order() {
    let routes = ["/r/", "/s/", "/r/", "/t/", "/r/"];
    let events: Vec<Event> = (0..2000)
        .map(|k| {
            let route = routes[k % routes.len()];
            let r = Request {
                route: Some(route.into()),
                status: (k % 7 != 0).then_some(200 + (k % 2) as u16 * 300),
                elapsed_ms: Some(k as f64 / 10.0),
                ..Request::default()
            };
            let ts = (k % 11 != 0).then_some(k as Micros * MS);
            Event { ts, source: 0, line: k as u64 + 1, kind: EventKind::request(r) }
        })
        .collect();
    let rows = || events.iter().filter_map(SentRow::of);
    for apps in [vec![app_req(0, 1, Stage::Hit, None)], Vec::new()] {
        let g = Groups::new(rows().map(|r| r.route), &apps);
        let want: Vec<Sent> = rows().map(|r| r.sent(&g)).collect();
        assert_eq!(sent_of(&events, &g), want);
        let refs: Vec<&Event> = events.iter().collect();
        assert_eq!(sent_of(&refs, &g), want);
        for piece in [1, 7, 100, 1 << 20] {
            assert_eq!(sent_in_pieces(&events, &g, piece), want, "pieces of {piece}");
        }
        assert!(want.len() > 1500 && want.len() < 2000);
    }
    let g = Groups::new(rows().map(|r| r.route), &[app_req(0, 1, Stage::Hit, None)]);
    assert!(g.per_route() && sent_of(&events, &g).iter().any(|s| s.group > 0));
    // App requests' groups, looked up with the same memory of the last route, in runs of
    // shared route strings and without a route.
    let routes: Vec<Option<Shared>> = vec![Some("/r/<id>".into()), Some("/nowhere".into()), None];
    let apps: Vec<AppRequest> = (0..60)
        .map(|k| AppRequest { route: routes[k / 7 % 3].clone(), ..app_req(0, 1, Stage::Hit, None) })
        .collect();
    let want: Vec<u32> = apps.iter().map(|a| g.of_app(a).unwrap_or(NO_GROUP)).collect();
    assert!(want.contains(&NO_GROUP) && want.iter().any(|&x| x != NO_GROUP));
    assert_eq!(app_groups(&apps, &g), want);
}
