use super::*;
use crate::console::ConsoleTraceback;
use crate::time::format_rfc3339_micros;
use crate::{Located, parse_bytes, sniff as sniffer};

const HEROKU: &[u8] = include_bytes!("../../tests/fixtures/heroku/published.log");
const GEVENT: &[u8] = include_bytes!("../../tests/fixtures/heroku/gevent-too-many-clients.log");
const CF: &[u8] = include_bytes!("../../tests/fixtures/cf/published.log");
const CF_CRASH: &[u8] = include_bytes!("../../tests/fixtures/cf/gorouter-crash.log");

/// Parses `input`, checks the line accounting and that records' first lines are distinct
/// and not skipped (their other lines may interleave with other instances').
fn run(input: &[u8]) -> VecSink<PlatformRecord> {
    let out = parse_bytes(&mut Parser::default(), input);
    crate::testutil::assert_counted(&out);
    let mut firsts: Vec<LineNo> = out.records.iter().map(|r| r.line).collect();
    firsts.extend(out.skipped.iter().map(|s| s.0));
    let n = firsts.len();
    firsts.sort_unstable();
    firsts.dedup();
    assert_eq!(firsts.len(), n, "a line starts two records or skips");
    out
}

fn at(out: &VecSink<PlatformRecord>, line: LineNo) -> &Located<PlatformRecord> {
    out.records.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no record at {line}"))
}

fn ts(r: &Located<PlatformRecord>) -> String {
    let t = match &r.rec {
        PlatformRecord::App(e) => e.ts,
        PlatformRecord::Console(ConsoleRecord::Log(l)) => l.ts,
        PlatformRecord::Console(ConsoleRecord::Access(a)) => a.ts,
        PlatformRecord::Console(ConsoleRecord::Traceback(t)) => t.ts,
    };
    format_rfc3339_micros(t.expect("a time"))
}

fn log(r: &Located<PlatformRecord>) -> &ConsoleLog {
    match &r.rec {
        PlatformRecord::Console(ConsoleRecord::Log(l)) => l,
        other => panic!("line {}: not a log: {other:?}", r.line),
    }
}

fn access(r: &Located<PlatformRecord>) -> &Access {
    match &r.rec {
        PlatformRecord::Console(ConsoleRecord::Access(a)) => a,
        other => panic!("line {}: not an access line: {other:?}", r.line),
    }
}

fn traceback(r: &Located<PlatformRecord>) -> &ConsoleTraceback {
    match &r.rec {
        PlatformRecord::Console(ConsoleRecord::Traceback(t)) => t,
        other => panic!("line {}: not a traceback: {other:?}", r.line),
    }
}

fn app(r: &Located<PlatformRecord>) -> &AppEvent {
    match &r.rec {
        PlatformRecord::App(e) => e,
        other => panic!("line {}: not an app event: {other:?}", r.line),
    }
}

#[test]
fn heroku_router_errors_are_requests_with_the_error_the_catalog_reads() {
    let out = run(HEROKU);
    assert_eq!((out.lines, out.records.len()), (11, 11));
    for line in [1, 2, 6] {
        let a = access(at(&out, line));
        assert_eq!(a.envelope, Envelope::Platform);
        assert_eq!(a.status, Some(503), "line {line}");
        assert!(a.elapsed_ms.is_some_and(|ms| ms >= 30000.0), "line {line}: {a:?}");
        let e = a.error.as_deref().expect("the router's error");
        assert!(e.starts_with("at=error code=H12 desc=\"Request timeout\""), "{a:?}");
    }
    assert_eq!(ts(at(&out, 1)), "2016-01-15T16:13:56.982182Z");
    // The pre-2013 form, with a whole-second stamp: its request after `->`.
    let old = access(at(&out, 3));
    let e = old.error.as_deref().expect("the router's error");
    assert!(e.starts_with("Error H12 (Request timeout) -> POST "), "{old:?}");
    assert_eq!(old.method, "POST");
    assert!(old.path.starts_with('/'), "{old:?}");
    assert_eq!(ts(at(&out, 3)), "2012-01-20T02:10:47.000000Z");
    // `at=info` with a code and empty values: an access line without size or time.
    let a = access(at(&out, 4));
    assert_eq!((a.method.as_str(), a.path.as_str(), a.status), ("POST", "/javascript/", Some(503)));
    assert_eq!((a.bytes, a.elapsed_ms), (None, None));
    assert_eq!(a.request_id.as_deref(), Some("56ab5cb4-b1ad-49de-950b-c3e5f9b095e9"));
    assert_eq!(a.client, "203.0.113.2");
    // Platform and app lines are the platform's plain logs.
    let state = log(at(&out, 11));
    assert_eq!(state.message, "State changed from starting to crashed");
    assert_eq!((state.envelope, state.level), (Envelope::Platform, None));
    assert_eq!(ts(at(&out, 11)), "2014-09-03T14:51:26.341514Z");
}

#[test]
fn router_access_lines_carry_time_elapsed_request_id_and_client() {
    let out = run(GEVENT);
    let a = access(at(&out, 4));
    assert_eq!(ts(at(&out, 4)), "2026-11-25T15:40:01.142311Z");
    assert_eq!((a.method.as_str(), a.path.as_str()), ("GET", "/businesses"));
    assert_eq!((a.status, a.bytes, a.elapsed_ms), (Some(200), Some(512), Some(41.0)));
    assert_eq!(a.request_id.as_deref(), Some("0c6f3a52-8e1d-4c35-9a55-1f0e2b7d4a01"));
    assert_eq!((a.client.as_str(), a.envelope), ("203.0.113.7", Envelope::Platform));
    let statuses: Vec<u16> = out
        .records
        .iter()
        .filter_map(|r| match &r.rec {
            PlatformRecord::Console(ConsoleRecord::Access(a)) => a.status,
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [200, 200, 500, 500, 500, 503, 503]);
    let errors: Vec<&str> = out
        .records
        .iter()
        .filter_map(|r| match &r.rec {
            PlatformRecord::Console(ConsoleRecord::Access(a)) => a.error.as_deref(),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 2);
    assert!(errors[0].starts_with("at=error code=H12 "), "{errors:?}");
    assert!(errors[1].starts_with("at=error code=H13 "), "{errors:?}");
}

#[test]
fn gorouter_lines_old_and_new() {
    // Swisscom's published sample: `[29/05/2016:13:58:44 +0000]`, bare remote address and
    // request id, response time in seconds.
    let out = run(CF);
    let a = access(at(&out, 3));
    assert_eq!(ts(at(&out, 3)), "2016-05-29T13:58:44.800000Z");
    assert_eq!((a.method.as_str(), a.path.as_str(), a.status), ("GET", "/", Some(200)));
    assert_eq!(a.bytes, Some(83));
    assert!((a.elapsed_ms.unwrap() - 172.195463).abs() < 1e-9, "{a:?}");
    assert_eq!(a.request_id.as_deref(), Some("7d4a0666-baa2-4513-44fa-54adea9fc874"));
    assert_eq!(a.client, "203.0.113.216:58977");
    // The current schema: quoted fields, x_cf_routererror "-" is no error.
    let out = run(CF_CRASH);
    let a = access(at(&out, 3));
    assert_eq!((a.status, a.bytes), (Some(200), Some(512)));
    assert!((a.elapsed_ms.unwrap() - 41.503).abs() < 1e-9, "{a:?}");
    assert_eq!(a.request_id.as_deref(), Some("0a1b2c3d-4e5f-6789-abcd-ef0123456789"));
    assert_eq!(a.client, "10.0.0.7:51230");
    // A router error is a request with the gorouter line as its error.
    let e = access(at(&out, 14));
    assert_eq!((e.method.as_str(), e.path.as_str(), e.status), ("GET", "/businesses", Some(502)));
    let text = e.error.as_deref().expect("the router's error");
    assert!(text.starts_with("app.example.com - [2026-11-25T15:42:18"), "{e:?}");
    assert!(text.ends_with("x_cf_routererror:\"endpoint_failure\""), "{e:?}");
    // The crash event has the error level, and the padded / bracketed old forms read.
    let crash = log(at(&out, 16));
    assert!(crash.message.starts_with("App instance exited with guid "), "{crash:?}");
    assert_eq!(crash.level, Some(Level::Error));
    let out = run(CF);
    assert_eq!(
        log(at(&out, 13)).message,
        "Instance (index 0) failed to start accepting connections"
    );
    assert_eq!(ts(at(&out, 13)), "2015-03-24T14:30:00.590000Z");
    assert_eq!(log(at(&out, 14)).message, "Process has crashed with type: \"web\"");
    assert_eq!(ts(at(&out, 14)), "2017-08-07T12:05:15.590000Z");
    // The banner is consumed, the blank line after it skipped.
    assert_eq!((out.consumed, out.skipped.as_slice()), (1, &[(2, SkipReason::Blank)][..]));
}

#[test]
fn interleaved_tracebacks_are_stitched_per_instance() {
    let out = run(GEVENT);
    let web1 = traceback(at(&out, 21));
    let web2 = traceback(at(&out, 22));
    assert_eq!((at(&out, 21).lines, at(&out, 22).lines), (16, 16));
    for t in [web1, web2] {
        assert_eq!(t.intro.as_deref(), Some("Error handling request /businesses"));
        assert_eq!(t.traceback.sections.len(), 2, "{t:?}");
        // gunicorn's own stamp, to the second.
        assert_eq!(format_rfc3339_micros(t.ts.unwrap()), "2026-11-25T15:41:00.000000Z");
    }
    let last = |t: &ConsoleTraceback| t.traceback.last().map(|e| e.message.clone());
    assert_eq!(last(web1).as_deref(), Some("FATAL:  sorry, too many clients already"));
    assert_eq!(
        last(web2).as_deref(),
        Some(
            "FATAL:  remaining connection slots are reserved for non-replication superuser \
connections"
        )
    );
    assert_eq!(web1.traceback.sections[0].exception.exc_type, "psycopg2.OperationalError");
    assert_eq!(web1.traceback.last().unwrap().exc_type, "django.db.utils.OperationalError");
    let third = traceback(at(&out, 57));
    assert_eq!(at(&out, 57).lines, 5);
    assert_eq!(last(third).as_deref(), Some("FATAL:  sorry, too many clients already"));
    // Cloud Foundry: two instances' tracebacks, line by line in turn.
    let out = run(CF_CRASH);
    let (a, b) = (traceback(at(&out, 4)), traceback(at(&out, 5)));
    assert_eq!((at(&out, 4).lines, at(&out, 5).lines), (5, 5));
    assert_eq!(a.intro.as_deref(), Some("Error handling request /businesses"));
    assert_eq!(a.traceback.last().unwrap().exc_type, "MemoryError");
    assert_eq!(b.intro.as_deref(), Some("Error handling request /report"));
    assert_eq!(b.traceback.last().unwrap().exc_type, "KeyError");
    assert_eq!(b.traceback.sections[0].frames[0].func, "report");
}

#[test]
fn json_payloads_are_app_events_with_the_envelope_time() {
    let out = run(GEVENT);
    let e = app(at(&out, 1));
    assert_eq!(e.message, "function hit");
    assert_eq!(e.request_id.as_deref(), Some("0c6f3a52-8e1d-4c35-9a55-1f0e2b7d4a01"));
    assert_eq!(ts(at(&out, 1)), "2026-11-25T15:40:01.101200Z");
    assert!(!out.notes.iter().any(|(l, _)| *l == 1), "{:?}", out.notes);
    // An event with its own time keeps it.
    assert_eq!(ts(at(&out, 5)), "2026-11-25T15:40:01.205000Z");
    assert_eq!(app(at(&out, 3)).duration_ms, Some(36.5));
    let events = out.records.iter().filter(|r| matches!(r.rec, PlatformRecord::App(_))).count();
    assert_eq!(events, 11);
    // In `cf logs` too.
    let out = run(CF_CRASH);
    assert_eq!(app(at(&out, 1)).route.as_deref(), Some("/businesses"));
    assert_eq!(ts(at(&out, 1)), "2026-11-25T15:42:08.120000Z");
    assert_eq!(ts(at(&out, 2)), "2026-11-25T15:42:08.149000Z");
}

#[test]
fn platform_lines_get_their_levels_and_gunicorn_lines_their_envelope() {
    let out = run(GEVENT);
    let pg = log(at(&out, 19));
    assert_eq!(
        pg.message,
        "[DATABASE] [7-1] sql_error_code = 53300 FATAL:  sorry, too many clients already"
    );
    assert_eq!((pg.level, pg.envelope), (Some(Level::Critical), Envelope::Platform));
    assert_eq!(ts(at(&out, 19)), "2026-11-25T15:41:00.318842Z");
    let boot = log(at(&out, 14));
    assert_eq!((boot.envelope, boot.pid), (Envelope::Gunicorn, Some(4)));
    assert_eq!(boot.message, "Using worker: gevent");
    let r14 =
        b"2026-11-25T15:42:08.123456+00:00 heroku[web.1]: Error R14 (Memory quota exceeded)\n";
    let out = run(r14);
    assert_eq!(log(at(&out, 1)).level, Some(Level::Error));
}

#[test]
fn syslog_drains_ansi_and_foreign_lines() {
    let input =
        b"<158>1 2026-11-25T15:42:08.123456+00:00 host heroku router - - at=info method=GET \
path=\"/x\" host=app.herokuapp.com request_id=r1 fwd=\"1.2.3.4\" dyno=web.1 connect=1ms \
service=23ms status=200 bytes=512 protocol=https\n\
<190>1 2026-11-25T15:42:09.000000+00:00 host app web.1 - - \x1b[31mboom\x1b[0m\x07\n\
not a platform line\n\
\n";
    let out = run(input);
    let a = access(at(&out, 1));
    assert_eq!(
        (a.path.as_str(), a.elapsed_ms, a.request_id.as_deref()),
        ("/x", Some(23.0), Some("r1"))
    );
    assert_eq!(ts(at(&out, 1)), "2026-11-25T15:42:08.123456Z");
    assert_eq!(log(at(&out, 2)).message, "boom");
    assert_eq!(out.skipped, [(3, SkipReason::Unrecognised), (4, SkipReason::Blank)]);
}

#[test]
fn instance_state_is_capped() {
    // Many instances, each with a traceback left open: at most MAX_INSTANCES parsers.
    let mut input = Vec::new();
    for k in 0..(MAX_INSTANCES * 3) {
        input.extend_from_slice(
            format!("2026-11-25T15:42:08.123456+00:00 app[web.{k}]: Traceback (most recent call last):\n")
                .as_bytes(),
        );
    }
    let mut p = Parser::default();
    let mut sink = VecSink::default();
    for (no, line) in text::lines(&input).enumerate() {
        p.line(line, no as LineNo + 1, &mut sink);
        assert!(p.instances.len() <= MAX_INSTANCES);
    }
    p.finish(&mut sink);
    sink.lines = (MAX_INSTANCES * 3) as u64;
    assert!(sink.accounts_for_every_line());
    assert_eq!(sink.records.len(), MAX_INSTANCES * 3);
    // One instance's endless traceback: the map of its lines stays bounded.
    let mut p = Parser::default();
    let mut sink = VecSink::default();
    let head = b"2026-11-25T15:42:08.123456+00:00 app[web.1]: Traceback (most recent call last):";
    let frame = b"2026-11-25T15:42:08.123456+00:00 app[web.1]:   File \"a.py\", line 1, in f";
    p.line(head, 1, &mut sink);
    let n = MAX_HELD_LINES as u64 + 500;
    for no in 2..=n {
        p.line(frame, no, &mut sink);
    }
    assert!(p.instances.iter().all(|i| i.held.len() <= MAX_HELD_LINES));
    p.finish(&mut sink);
    sink.lines = n;
    assert!(sink.accounts_for_every_line());
}

#[test]
fn sniff_tells_the_platforms_apart_and_steals_nothing() {
    for (bytes, want) in [
        (HEROKU, sniffer::Format::Heroku),
        (GEVENT, sniffer::Format::Heroku),
        (CF, sniffer::Format::CloudFoundry),
        (CF_CRASH, sniffer::Format::CloudFoundry),
    ] {
        let s = sniffer::sniff(bytes);
        assert_eq!(s.format, Some(want), "{} / {:?}", s.reason, s.candidates);
    }
    assert!(sniffer::sniff(GEVENT).reason.starts_with("66 of 66 lines in the Heroku"));
    for other in [
        &include_bytes!("../../../samples/pool-exhaustion/app.log")[..],
        include_bytes!("../../../samples/pool-exhaustion/stderr.log"),
        include_bytes!("../../../samples/pool-exhaustion/postgresql.log"),
        include_bytes!("../../../samples/pool-exhaustion/hammer.csv"),
        include_bytes!("../../tests/fixtures/console/gunicorn-sync-timeout.log"),
        include_bytes!("../../tests/fixtures/postgres/rds.log"),
    ] {
        let head = &other[..other.len().min(64 * 1024)];
        assert_eq!(sniff(head), None);
        assert_eq!(sniff_cf(head), None);
    }
    assert_eq!(sniff(CF), None);
    assert_eq!(sniff_cf(GEVENT), None);
}
