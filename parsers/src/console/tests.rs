use super::*;
use crate::time::format_rfc3339;
use crate::traceback::Link;
use crate::{VecSink, parse_bytes};

const GUNICORN: &[u8] = include_bytes!("../../tests/fixtures/console/gunicorn-sync-timeout.log");
const WERKZEUG: &[u8] =
    include_bytes!("../../tests/fixtures/console/werkzeug-thread-exhaustion.log");
const EDGE: &[u8] = include_bytes!("../../tests/fixtures/console/edge-cases.log");
const SEED_BANNER: &[u8] =
    include_bytes!("../../tests/fixtures/console/seed-socketserver-banner.log");
const UWSGI_DATE: &[u8] = include_bytes!("../../tests/fixtures/uwsgi/uwsgi-log-date-harakiri.log");
const UWSGI: &[u8] = include_bytes!("../../tests/fixtures/uwsgi/uwsgi-harakiri.log");
const UWSGI_QUEUE: &[u8] = include_bytes!("../../tests/fixtures/uwsgi/uwsgi-listen-queue-full.log");
const NGINX_ERROR: &[u8] = include_bytes!("../../tests/fixtures/nginx/error.log");
const NGINX_ACCESS: &[u8] = include_bytes!("../../tests/fixtures/nginx/access-combined.log");
const DJANGO: &[u8] = include_bytes!("../../tests/fixtures/django/runserver-too-many-clients.log");
const POOL_STDERR: &[u8] = include_bytes!("../../../samples/pool-exhaustion/stderr.log");
const EOF_STDERR: &[u8] = include_bytes!("../../../samples/eof-open-transaction/stderr.log");
const HEALTHY_STDERR: &[u8] = include_bytes!("../../../samples/healthy-baseline/stderr.log");

fn run(input: &[u8]) -> VecSink<ConsoleRecord> {
    let out = parse_bytes(&mut Parser::default(), input);
    crate::testutil::assert_contiguous_accounting(&out);
    out
}

fn ts(s: &str) -> Option<Micros> {
    time::parse(s.as_bytes(), &TimeOptions::default()).map(|st| st.micros)
}

fn log(
    envelope: Envelope,
    ts_: Option<&str>,
    pid: Option<u32>,
    level: Option<Level>,
    message: &str,
) -> ConsoleRecord {
    ConsoleRecord::Log(ConsoleLog {
        ts: ts_.and_then(ts),
        ts_inferred: false,
        pid,
        level,
        message: message.to_string(),
        envelope,
    })
}

fn access(
    envelope: Envelope,
    ts_: &str,
    method: &str,
    path: &str,
    status: Option<u16>,
    bytes: Option<u64>,
) -> ConsoleRecord {
    ConsoleRecord::Access(Access {
        ts: ts(ts_),
        client: "127.0.0.1".to_string(),
        method: method.to_string(),
        path: path.to_string(),
        status,
        bytes,
        envelope,
        ..Access::default()
    })
}

fn plain(message: &str, level: Option<Level>) -> ConsoleRecord {
    ConsoleRecord::Log(ConsoleLog {
        ts: None,
        ts_inferred: false,
        pid: None,
        level,
        message: message.to_string(),
        envelope: Envelope::Plain,
    })
}

/// (name, input, expected records as (line, lines, description), number of skipped lines).
type FlowCase<'a> = (&'a str, &'a [u8], &'a [(LineNo, u32, &'a str)], usize);
/// (name, head, expected (score, reason) or `None`).
type SniffCase<'a> = (&'a str, &'a [u8], Option<(f32, &'a str)>);

/// (name, one line, expected record, expected notes).
type LineCase<'a> = (&'a str, &'a [u8], ConsoleRecord, &'a [Note]);

#[test]
fn single_lines() {
    use Envelope::{Flask, Gunicorn, Werkzeug};
    let cases: Vec<LineCase<'_>> = vec![
        (
            "gunicorn worker timeout",
            b"[2026-11-25 15:42:18 +0000] [29798] [CRITICAL] WORKER TIMEOUT (pid:29804)",
            log(Gunicorn, Some("2026-11-25T15:42:18Z"), Some(29798), Some(Level::Critical), "WORKER TIMEOUT (pid:29804)"),
            &[],
        ),
        (
            "gunicorn sigkill, other offset",
            b"[2026-11-25 16:42:19 +0100] [29798] [ERROR] Worker (pid:29804) was sent SIGKILL! Perhaps out of memory?",
            log(Gunicorn, Some("2026-11-25T15:42:19Z"), Some(29798), Some(Level::Error), "Worker (pid:29804) was sent SIGKILL! Perhaps out of memory?"),
            &[],
        ),
        (
            "werkzeug access",
            b"127.0.0.1 - - [25/Nov/2026 15:40:52] \"GET /businesses?id=b2117449-05e2-4884-80a3-2a92cb1bfc8d HTTP/1.1\" 200 -",
            access(Werkzeug, "2026-11-25T15:40:52Z", "GET", "/businesses?id=b2117449-05e2-4884-80a3-2a92cb1bfc8d", Some(200), None),
            &[Note::ZoneAssumed],
        ),
        (
            "werkzeug access in ansi colours",
            b"127.0.0.1 - - [25/Nov/2026 15:39:59] \"\x1b[35m\x1b[1mGET /businesses/ref/49900004071 HTTP/1.1\x1b[0m\" 500 -",
            access(Werkzeug, "2026-11-25T15:39:59Z", "GET", "/businesses/ref/49900004071", Some(500), None),
            &[Note::ZoneAssumed],
        ),
        (
            "werkzeug other message",
            b"127.0.0.1 - - [25/Nov/2026 15:40:01] code 400, message Bad request version ('\\x16\\x03')",
            log(Werkzeug, Some("2026-11-25T15:40:01Z"), None, None, "code 400, message Bad request version ('\\x16\\x03')"),
            &[Note::ZoneAssumed],
        ),
        (
            "werkzeug error on request with nothing after it",
            b"127.0.0.1 - - [25/Nov/2026 15:40:01] Error on request:",
            log(Werkzeug, Some("2026-11-25T15:40:01Z"), None, None, "Error on request:"),
            &[Note::ZoneAssumed],
        ),
        (
            "gunicorn access, common log format",
            b"10.0.0.7 - - [25/Nov/2026:15:40:52 +0000] \"POST /api/v1/x?y=1 HTTP/1.1\" 201 1234 \"-\" \"hammer/1.0\"",
            ConsoleRecord::Access(Access {
                ts: ts("2026-11-25T15:40:52Z"),
                client: "10.0.0.7".to_string(),
                method: "POST".to_string(),
                path: "/api/v1/x?y=1".to_string(),
                status: Some(201),
                bytes: Some(1234),
                envelope: Gunicorn,
                ..Access::default()
            }),
            &[],
        ),
        (
            "access with a bad request line",
            b"127.0.0.1 - - [25/Nov/2026:15:40:52 +0000] \"-\" 400 0 \"-\" \"-\"",
            access(Gunicorn, "2026-11-25T15:40:52Z", "-", "", Some(400), Some(0)),
            &[],
        ),
        (
            "flask default handler",
            b"[2026-11-25 15:42:08,123] WARNING in app: slow query",
            log(Flask, Some("2026-11-25T15:42:08.123Z"), None, Some(Level::Warning), "slow query"),
            &[Note::ZoneAssumed],
        ),
        (
            "werkzeug warning in colours",
            b"\x1b[31m\x1b[1mWARNING: This is a development server. Do not use it in a production deployment. Use a production WSGI server instead.\x1b[0m",
            plain("WARNING: This is a development server. Do not use it in a production deployment. Use a production WSGI server instead.", Some(Level::Warning)),
            &[Note::NoTimestamp],
        ),
        (
            "python logging default format",
            b"ERROR:waitress:Task queue depth is 4",
            plain("ERROR:waitress:Task queue depth is 4", Some(Level::Error)),
            &[Note::NoTimestamp],
        ),
        (
            "control characters dropped",
            b"a\x07b\x00c\td\x1b]0;title\x07 e\x7f",
            plain("abc\td e", None),
            &[Note::NoTimestamp],
        ),
        (
            "invalid utf-8",
            b"caf\xe9 \xff",
            plain("caf\u{FFFD} \u{FFFD}", None),
            &[Note::LossyUtf8, Note::NoTimestamp],
        ),
        (
            "postgres line is not an envelope",
            b"2026-11-25 15:42:07.355 UTC [29780] LOG:  unexpected EOF on client connection with an open transaction",
            plain("2026-11-25 15:42:07.355 UTC [29780] LOG:  unexpected EOF on client connection with an open transaction", None),
            &[Note::NoTimestamp],
        ),
        (
            "bracketed epoch is not a gunicorn stamp",
            b"[1764085160] [1] [INFO] x",
            plain("[1764085160] [1] [INFO] x", None),
            &[Note::NoTimestamp],
        ),
        (
            "bad month in stamp",
            b"[2026-13-25 15:42:18 +0000] [29798] [INFO] x",
            plain("[2026-13-25 15:42:18 +0000] [29798] [INFO] x", None),
            &[Note::NoTimestamp],
        ),
        (
            "unknown level word",
            b"[2026-11-25 15:42:18 +0000] [29798] [VERBOSE] x",
            plain("[2026-11-25 15:42:18 +0000] [29798] [VERBOSE] x", None),
            &[Note::NoTimestamp],
        ),
        ("trailing whitespace trimmed", b" * Debug mode: off  \r", plain(" * Debug mode: off", None), &[Note::NoTimestamp]),
    ];
    for (name, line, want, notes) in cases {
        let out = run(line);
        assert_eq!(out.records.len(), 1, "{name}");
        assert_eq!(out.records[0].rec, want, "{name}");
        let got: Vec<Note> = out.notes.iter().map(|(_, n)| *n).collect();
        assert_eq!(got, notes, "{name}");
    }
}

#[test]
fn zone_less_stamps_use_the_default_offset() {
    let line = b"127.0.0.1 - - [25/Nov/2026 16:40:52] \"GET / HTTP/1.1\" 200 -";
    let out = parse_bytes(&mut Parser::new(TimeOptions { default_offset_secs: 3600 }), line);
    let ConsoleRecord::Access(a) = &out.records[0].rec else { panic!("not access") };
    assert_eq!(format_rfc3339(a.ts.unwrap()), "2026-11-25T15:40:52.000Z");
    assert_eq!(out.notes, vec![(1, Note::ZoneAssumed)]);
}

/// (first line, lines, short description of the record).
fn shape(out: &VecSink<ConsoleRecord>) -> Vec<(LineNo, u32, String)> {
    out.records
        .iter()
        .map(|r| {
            let what = match &r.rec {
                ConsoleRecord::Log(l) => format!("log {:?}", l.envelope),
                ConsoleRecord::Access(a) => format!("access {:?}", a.status),
                ConsoleRecord::Traceback(t) => {
                    format!("traceback {}", t.traceback.last().map_or("", |e| e.exc_type.as_str()))
                }
            };
            (r.line, r.lines, what)
        })
        .collect()
}

fn tracebacks(out: &VecSink<ConsoleRecord>) -> Vec<(LineNo, &ConsoleTraceback)> {
    out.records
        .iter()
        .filter_map(|r| match &r.rec {
            ConsoleRecord::Traceback(t) => Some((r.line, t)),
            _ => None,
        })
        .collect()
}

fn owned(v: &[(LineNo, u32, &str)]) -> Vec<(LineNo, u32, String)> {
    v.iter().map(|&(l, n, s)| (l, n, s.to_string())).collect()
}

#[test]
fn gunicorn_error_handling_request() {
    let out = run(GUNICORN);
    assert_eq!(out.lines, 25);
    let g = "log Gunicorn";
    assert_eq!(
        shape(&out),
        owned(&[
            (1, 1, g),
            (2, 1, g),
            (3, 1, g),
            (4, 1, g),
            (5, 1, "access Some(200)"),
            (6, 1, g),
            (7, 15, "traceback SystemExit"),
            (22, 1, g),
            (23, 1, g),
            (24, 1, g),
            (25, 1, "access Some(500)"),
        ])
    );
    let tbs = tracebacks(&out);
    let (line, tb) = tbs[0];
    assert_eq!(tb.intro.as_deref(), Some("Error handling request /businesses?id=c27fe210"));
    assert_eq!(tb.ts, ts("2026-11-25T15:42:18Z"));
    assert!(!tb.ts_inferred);
    assert_eq!(tb.header_offset, 1);
    assert_eq!(tb.client, None);
    let s = &tb.traceback.sections[0];
    assert_eq!(s.frames.len(), 5);
    assert_eq!(s.exception.message, "1");
    assert_eq!(line + u64::from(s.line_offset), 21, "offsets count from the record's first line");
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    assert!(out.skipped.is_empty());
}

#[test]
fn werkzeug_banner_and_error_on_request() {
    let out = run(WERKZEUG);
    assert_eq!(out.lines, 29);
    let p = "log Plain";
    assert_eq!(
        shape(&out),
        owned(&[
            (1, 1, p),
            (2, 1, p),
            (3, 1, p),
            (4, 1, p),
            (5, 1, p),
            (6, 1, "access Some(200)"),
            (7, 9, "traceback RuntimeError"),
            (16, 1, "access Some(500)"),
            (17, 11, "traceback BrokenPipeError"),
            (29, 1, "access Some(200)"),
        ])
    );
    assert_eq!(out.skipped, vec![(28, SkipReason::Blank)]);
    let tbs = tracebacks(&out);
    let (line, banner) = tbs[0];
    assert_eq!(banner.client.as_deref(), Some("127.0.0.1:50330"));
    assert_eq!(banner.intro, None);
    assert_eq!(banner.header_offset, 2);
    assert!(banner.ts_inferred);
    assert_eq!(banner.ts, ts("2026-11-25T15:39:20Z"));
    let last = banner.traceback.last().unwrap();
    assert_eq!(
        (last.exc_type.as_str(), last.message.as_str()),
        ("RuntimeError", "can't start new thread")
    );
    assert_eq!(line + u64::from(banner.traceback.sections[0].line_offset), 14);
    let (_, err) = tbs[1];
    assert_eq!(err.intro.as_deref(), Some("Error on request:"));
    assert_eq!(err.ts, ts("2026-11-25T15:40:01Z"));
    assert!(!err.ts_inferred);
    assert_eq!(err.traceback.last().unwrap().message, "[Errno 32] Broken pipe");
    assert_eq!(err.traceback.sections[0].frames.len(), 4);
    // Plain start-up lines have no stamp before them; the banner's infers one.
    assert!(out.notes.contains(&(1, Note::NoTimestamp)));
    assert!(out.notes.contains(&(7, Note::TimestampInferred)));
    let ConsoleRecord::Log(l) = &out.records[4].rec else { panic!() };
    assert_eq!(l.message, "Press CTRL+C to quit");
}

#[test]
fn seed_socketserver_banner() {
    let out = run(SEED_BANNER);
    assert_eq!(shape(&out), owned(&[(1, 11, "traceback RuntimeError")]));
    let (_, tb) = tracebacks(&out)[0];
    assert_eq!(tb.client.as_deref(), Some("127.0.0.1:50330"));
    assert_eq!(tb.ts, None);
    assert_eq!(out.notes, vec![(1, Note::NoTimestamp)]);
    assert_eq!(tb.traceback.sections[0].frames[2].func, "start");
}

#[test]
fn edge_cases() {
    let out = run(EDGE);
    assert_eq!(out.lines, 23);
    let p = "log Plain";
    assert_eq!(
        shape(&out),
        owned(&[
            (1, 1, "log Gunicorn"),
            (2, 1, "log Gunicorn"),
            (3, 1, p),
            (4, 1, p),
            (5, 1, p),
            (6, 1, p),
            (7, 1, p),
            (8, 11, "traceback KeyError"),
            (21, 1, p),
            (22, 2, "traceback "),
        ])
    );
    assert_eq!(out.skipped, vec![(19, SkipReason::Blank), (20, SkipReason::Blank)]);
    let tbs = tracebacks(&out);
    let chained = &tbs[0].1.traceback;
    assert_eq!(chained.sections.len(), 2);
    assert_eq!(chained.sections[1].link, Some(Link::Context));
    assert_eq!(chained.root().unwrap().exc_type, "ValueError");
    assert!(tbs[0].1.ts_inferred);
    assert_eq!(tbs[0].1.ts, ts("2026-11-25T15:42:08Z"));
    let truncated = &tbs[1].1.traceback;
    assert!(truncated.is_truncated());
    assert_eq!(truncated.sections[0].frames[0].func, "run");
    // The intro that no traceback followed is an ordinary log line.
    let ConsoleRecord::Log(l) = &out.records[0].rec else { panic!() };
    assert_eq!(l.message, "Error handling request /x");
    // The banner announcement that no traceback followed is plain text too.
    let ConsoleRecord::Log(l) = &out.records[5].rec else { panic!() };
    assert!(l.message.starts_with("Exception happened during processing"));
    assert!(l.ts_inferred);
}

#[test]
fn lookahead_at_end_of_input() {
    let cases: &[FlowCase<'_>] = &[
        ("intro at eof", b"[2026-11-25 15:42:08 +0000] [1] [ERROR] Exception in worker process", &[(1, 1, "log Gunicorn")], 0),
        ("dashes at eof", b"x\n----------------------------------------", &[(1, 1, "log Plain"), (2, 1, "log Plain")], 0),
        ("banner at eof", b"----------------------------------------\nException occurred during processing of request from ('127.0.0.1', 1)\n", &[(1, 1, "log Plain"), (2, 1, "log Plain")], 0),
        ("held blanks at eof", b"Traceback (most recent call last):\nValueError: v\n\n\n", &[(1, 2, "traceback ValueError")], 2),
        ("header at eof", b"Traceback (most recent call last):", &[(1, 1, "traceback ")], 0),
        ("banner without closing rule", b"----------------------------------------\nException occurred during processing of request from ('127.0.0.1', 1)\nTraceback (most recent call last):\nOSError: x", &[(1, 4, "traceback OSError")], 0),
        ("intro, header, then envelope", b"[2026-11-25 15:42:08 +0000] [1] [ERROR] Exception in worker process\nTraceback (most recent call last):\n  File \"a.py\", line 1, in f\n[2026-11-25 15:42:09 +0000] [1] [INFO] Worker exiting (pid: 1)\n", &[(1, 3, "traceback "), (4, 1, "log Gunicorn")], 0),
        ("blank between intro and header", b"127.0.0.1 - - [25/Nov/2026 15:40:01] Error on request:\n\nTraceback (most recent call last):\nValueError: v\n", &[(1, 1, "log Werkzeug"), (3, 2, "traceback ValueError")], 1),
        ("two tracebacks back to back", b"Traceback (most recent call last):\nValueError: v\nTraceback (most recent call last):\nKeyError: k\n", &[(1, 2, "traceback ValueError"), (3, 2, "traceback KeyError")], 0),
        ("crlf", b"Traceback (most recent call last):\r\n  File \"a.py\", line 1, in f\r\nValueError: v\r\n\r\nnext\r\n", &[(1, 3, "traceback ValueError"), (5, 1, "log Plain")], 1),
        ("only blanks", b"\n \n\t\n", &[], 3),
        ("ansi-only line is blank", b"\x1b[0m\n", &[], 1),
    ];
    for (name, input, want, skipped) in cases {
        let out = run(input);
        assert_eq!(shape(&out), owned(want), "{name}");
        assert_eq!(out.skipped.len(), *skipped, "{name}");
    }
}

#[test]
fn flask_exception_intro_and_sqlalchemy_message() {
    let input = include_bytes!("../../tests/fixtures/console/flask-sqlalchemy-chain.log");
    let out = run(input);
    assert_eq!(
        shape(&out),
        owned(&[(1, 16, "traceback sqlalchemy.exc.OperationalError"), (17, 1, "access Some(500)")])
    );
    let (_, tb) = tracebacks(&out)[0];
    assert_eq!(tb.intro.as_deref(), Some("Exception on /businesses [GET]"));
    assert_eq!(tb.ts, ts("2026-11-25T15:42:08.123Z"));
    assert_eq!(tb.traceback.sections[1].link, Some(Link::Cause));
    assert!(
        tb.traceback
            .last()
            .unwrap()
            .message
            .ends_with("(Background on this error at: https://sqlalche.me/e/20/e3q8)")
    );
    assert_eq!(tb.traceback.root().unwrap().exc_type, "psycopg2.OperationalError");
    assert!(out.notes.contains(&(1, Note::ZoneAssumed)));
}

#[test]
fn real_samples_whole() {
    // pool-exhaustion: werkzeug dev server, 5 start-up lines and 1050 request lines.
    let out = run(POOL_STDERR);
    assert_eq!(out.lines, 1055);
    let accesses: Vec<&Access> = out
        .records
        .iter()
        .filter_map(|r| match &r.rec {
            ConsoleRecord::Access(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(accesses.len(), 1050);
    assert_eq!(accesses.iter().filter(|a| a.status == Some(500)).count(), 161);
    assert_eq!(accesses.iter().filter(|a| a.status == Some(200)).count(), 889);
    assert!(accesses.iter().all(|a| a.envelope == Envelope::Werkzeug && a.method == "GET"));
    assert!(accesses.iter().all(|a| a.path.starts_with("/businesses")));
    assert_eq!(out.records.len(), 1055);
    assert!(out.skipped.is_empty());
    assert_eq!(out.notes.iter().filter(|(_, n)| *n == Note::ZoneAssumed).count(), 1050);
    assert_eq!(out.notes.iter().filter(|(_, n)| *n == Note::NoTimestamp).count(), 5);
    for r in &out.records {
        if let ConsoleRecord::Log(l) = &r.rec {
            assert!(!l.message.contains('\u{1b}'), "escape in {:?}", l.message);
        }
    }

    // healthy-baseline: the same server, all 200.
    let out = run(HEALTHY_STDERR);
    assert_eq!(out.lines, 455);
    assert_eq!(
        out.records.iter().filter(|r| matches!(r.rec, ConsoleRecord::Access(_))).count(),
        450
    );

    // eof-open-transaction: gunicorn error log only, 12 worker timeouts.
    let out = run(EOF_STDERR);
    assert_eq!(out.lines, 62);
    assert_eq!(out.records.len(), 62);
    let logs: Vec<&ConsoleLog> = out
        .records
        .iter()
        .filter_map(|r| match &r.rec {
            ConsoleRecord::Log(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(logs.len(), 62);
    assert!(
        logs.iter().all(|l| l.envelope == Envelope::Gunicorn && l.ts.is_some() && !l.ts_inferred)
    );
    let timeouts: Vec<&&ConsoleLog> =
        logs.iter().filter(|l| l.message.starts_with("WORKER TIMEOUT (pid:")).collect();
    assert_eq!(timeouts.len(), 12);
    assert!(timeouts.iter().all(|l| l.level == Some(Level::Critical) && l.pid == Some(29798)));
    assert_eq!(logs.iter().filter(|l| l.message.contains("SIGKILL")).count(), 12);
    assert_eq!(logs.iter().filter(|l| l.message.starts_with("Booting worker")).count(), 16);
    assert_eq!(format_rfc3339(logs[0].ts.unwrap()), "2026-11-25T15:42:08.000Z");
    assert!(out.notes.is_empty());
}

#[test]
fn long_lines_and_random_input_never_panic() {
    let mut long =
        b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 100_000));
    long.extend_from_slice(b"\n");
    long.extend(std::iter::repeat_n(b'y', 100_000));
    let out = run(&long);
    assert_eq!(out.records.len(), 2);
    assert_eq!(tracebacks(&out)[0].1.traceback.last().unwrap().message.len(), 100_000);

    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: &[&[u8]] = &[
        b"Traceback (most recent call last):",
        b"  File \"a.py\", line 1, in f",
        b"ValueError: v",
        b"",
        b"During handling of the above exception, another exception occurred:",
        b"----------------------------------------",
        b"Exception happened during processing of request from ('127.0.0.1', 50330)",
        b"[2026-11-25 15:42:18 +0000] [1] [ERROR] Error handling request /x",
        b"127.0.0.1 - - [25/Nov/2026 15:40:01] Error on request:",
        b"127.0.0.1 - - [25/Nov/2026 15:39:59] \"\x1b[35mGET / HTTP/1.1\x1b[0m\" 500 -",
        b"  + Exception Group Traceback (most recent call last):",
        b"  | ValueError: x",
        b"\tdetail",
        b"[SQL: SELECT",
        b"\xff\x00\x1b[",
        b"plain text",
    ];
    for round in 0..2000 {
        let mut input = Vec::new();
        for _ in 0..(next() % 50) {
            if round % 4 == 0 {
                input.extend((0..next() % 20).map(|_| next() as u8));
            } else {
                input.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
            input.extend_from_slice(if next() % 5 == 0 { b"\r\n" } else { b"\n" });
        }
        let out = run(&input);
        for (line, tb) in tracebacks(&out) {
            let r = out.records.iter().find(|r| r.line == line).unwrap();
            assert!(tb.header_offset < r.lines, "round {round}");
            for s in &tb.traceback.sections {
                assert!(s.line_offset < r.lines, "round {round}");
            }
        }
    }
}

#[test]
fn block_size_is_capped() {
    let mut input = b"Traceback (most recent call last):\n".to_vec();
    for _ in 0..(MAX_BLOCK_LINES + 10) {
        input.extend_from_slice(b"    x\n");
    }
    let out = run(&input);
    assert_eq!(out.records[0].lines, MAX_BLOCK_LINES);
    assert_eq!(out.records.len(), 1 + 11);
}

#[test]
fn sniffing() {
    let cases: &[SniffCase<'_>] = &[
        (
            "werkzeug console",
            POOL_STDERR,
            Some((
                1.0,
                "195 werkzeug access lines, 5 server start-up lines in the first 200 lines",
            )),
        ),
        (
            "gunicorn console",
            EOF_STDERR,
            Some((1.0, "62 gunicorn error-log lines in the first 62 lines")),
        ),
        (
            "gunicorn with a traceback",
            GUNICORN,
            Some((
                1.0,
                "8 gunicorn error-log lines, 2 access-log lines (common log format), 1 traceback in the first 25 lines",
            )),
        ),
        (
            "uWSGI with --log-date",
            UWSGI_DATE,
            Some((
                1.0,
                "3 uWSGI request lines, 46 uWSGI log lines, 1 traceback in the first 53 lines",
            )),
        ),
        (
            "uWSGI without --log-date",
            UWSGI,
            Some((
                1.0,
                "3 uWSGI request lines, 5 uWSGI log lines, 46 unprefixed uWSGI lines, 1 traceback in the first 58 lines",
            )),
        ),
        (
            "uWSGI listen queue full",
            UWSGI_QUEUE,
            Some((
                1.0,
                "3 uWSGI request lines, 15 uWSGI log lines, 39 unprefixed uWSGI lines in the first 57 lines",
            )),
        ),
        ("nginx error log", NGINX_ERROR, Some((1.0, "19 nginx error lines in the first 19 lines"))),
        (
            "nginx access log",
            NGINX_ACCESS,
            Some((1.0, "4 access-log lines (common log format) in the first 4 lines")),
        ),
        (
            "Django runserver",
            DJANGO,
            Some((
                147.0 / 152.0,
                "5 Django request lines, 6 server start-up lines, 2 tracebacks in the first 157 lines",
            )),
        ),
        (
            "waitress, Python logging's default format",
            b"INFO:waitress:Serving on http://127.0.0.1:35791\n",
            Some((1.0, "1 server start-up line in the first 1 lines")),
        ),
        (
            "waitress's queue warnings",
            b"INFO:waitress:Serving on http://127.0.0.1:56933\n\
              WARNING:waitress.queue:Task queue depth is 1\n\
              WARNING:waitress.queue:Task queue depth is 2\n",
            Some((
                1.0,
                "1 server start-up line, 2 lines in Python logging's default format in the first 3 lines",
            )),
        ),
        ("postgres log", include_bytes!("../../../samples/pool-exhaustion/postgresql.log"), None),
        ("json lines", include_bytes!("../../../samples/pool-exhaustion/app.log"), None),
        ("csv", include_bytes!("../../../samples/pool-exhaustion/hammer.csv"), None),
        ("empty", b"", None),
        ("blank", b"\n\n", None),
        ("plain prose", b"hello\nworld\n", None),
    ];
    for (name, head, want) in cases {
        let got = sniff(head);
        match want {
            None => assert_eq!(got, None, "{name}"),
            Some((score, reason)) => {
                let got = got.unwrap_or_else(|| panic!("{name}: not sniffed"));
                assert!((got.score - score).abs() < 1e-6, "{name}: {}", got.score);
                assert_eq!(got.reason, *reason, "{name}");
            }
        }
    }
    // A head cut in the middle of a line does not count the cut line.
    let cut = &POOL_STDERR[..POOL_STDERR.len().min(700)];
    let got = sniff(cut).unwrap();
    assert!(got.score > 0.99, "{}", got.score);
    // A few recognised lines among prose score low.
    let mixed = b"hello\nworld\nmore\n[2026-11-25 15:42:18 +0000] [1] [INFO] x\n";
    assert!((sniff(mixed).unwrap().score - 0.25).abs() < 1e-6);
}

/// The records of a parse, by kind.
fn logs(out: &VecSink<ConsoleRecord>) -> Vec<(LineNo, &ConsoleLog)> {
    out.records
        .iter()
        .filter_map(|r| match &r.rec {
            ConsoleRecord::Log(l) => Some((r.line, l)),
            _ => None,
        })
        .collect()
}

fn accesses(out: &VecSink<ConsoleRecord>) -> Vec<(LineNo, &Access)> {
    out.records
        .iter()
        .filter_map(|r| match &r.rec {
            ConsoleRecord::Access(a) => Some((r.line, a)),
            _ => None,
        })
        .collect()
}

fn count_notes(out: &VecSink<ConsoleRecord>, note: Note) -> usize {
    out.notes.iter().filter(|(_, n)| *n == note).count()
}

#[test]
fn uwsgi_with_log_date() {
    // uWSGI 2.0.31 --log-date: every line of its own has the ctime prefix; the request log
    // lines and Python's traceback do not.
    let out = run(UWSGI_DATE);
    assert_eq!(out.lines, 53);
    let mut want: Vec<(LineNo, u32, &str)> = (1..=39).map(|l| (l, 1, "log Uwsgi")).collect();
    want.extend([(40, 1, "access Some(200)"), (41, 4, "traceback RuntimeError")]);
    want.push((45, 1, "access Some(500)"));
    want.extend((46..=52).map(|l| (l, 1, "log Uwsgi")));
    want.push((53, 1, "access Some(200)"));
    assert_eq!(shape(&out), owned(&want));
    assert!(out.skipped.is_empty());

    let ls = logs(&out);
    let (_, first) = ls[0];
    assert_eq!(
        first.message,
        "*** Starting uWSGI 2.0.31 (64bit) on [Thu Nov 26 16:09:09 2026] ***"
    );
    assert_eq!(first.ts, ts("2026-11-26T16:09:09Z"));
    assert!(!first.ts_inferred);
    let (line, harakiri) = ls[39];
    assert_eq!(line, 46);
    assert_eq!(
        harakiri.message,
        "*** HARAKIRI ON WORKER 1 (pid: 28352, try: 1, graceful: yes) ***"
    );
    assert_eq!(harakiri.ts, ts("2026-11-26T16:09:13Z"));
    assert_eq!((harakiri.pid, harakiri.level), (None, None));
    let (_, damn) = ls[44];
    assert_eq!(
        damn.message,
        "DAMN ! worker 1 (pid: 28352) died, killed by signal 9 :( trying respawn ..."
    );
    assert_eq!(damn.ts, ts("2026-11-26T16:09:14Z"));
    assert_eq!(ls[45].1.message, "Respawned uWSGI worker 1 (new pid: 28390)");

    let acc = accesses(&out);
    assert_eq!(
        *acc[1].1,
        Access {
            ts: ts("2026-11-26T16:09:11Z"),
            client: "127.0.0.1".to_string(),
            method: "GET".to_string(),
            path: "/boom".to_string(),
            status: Some(500),
            bytes: Some(0),
            elapsed_ms: Some(0.0),
            pid: Some(28353),
            envelope: Envelope::Uwsgi,
            ..Access::default()
        }
    );
    assert_eq!(acc[0].1.pid, Some(28352));
    assert_eq!(
        (acc[2].1.status, acc[2].1.bytes, acc[2].1.path.as_str()),
        (Some(200), Some(12), "/")
    );

    // The traceback uWSGI printed between two request lines is stitched, its time inferred.
    let (line, tb) = tracebacks(&out)[0];
    assert_eq!(line, 41);
    assert_eq!(tb.intro, None);
    assert!(tb.ts_inferred);
    assert_eq!(tb.ts, ts("2026-11-26T16:09:11Z"));
    let last = tb.traceback.last().unwrap();
    assert_eq!((last.exc_type.as_str(), last.message.as_str()), ("RuntimeError", "boom in /boom"));

    // No stamp has a zone: each timestamped line says so.
    assert_eq!(count_notes(&out, Note::ZoneAssumed), 49);
    assert_eq!(
        out.notes.iter().find(|(_, n)| *n == Note::TimestampInferred),
        Some(&(41, Note::TimestampInferred))
    );
    assert_eq!(out.notes.len(), 50);
}

#[test]
fn uwsgi_without_log_date() {
    // Without --log-date only the master's HARAKIRI lines carry the prefix; --log-micros.
    let out = run(UWSGI);
    assert_eq!(out.lines, 58);
    let mut want: Vec<(LineNo, u32, &str)> = (1..=39).map(|l| (l, 1, "log Plain")).collect();
    want.extend([(40, 1, "access Some(200)"), (41, 4, "traceback RuntimeError")]);
    want.push((45, 1, "access Some(500)"));
    want.extend((46..=50).map(|l| (l, 1, "log Uwsgi")));
    want.extend([(51, 1, "log Plain"), (52, 1, "log Plain"), (53, 1, "access Some(200)")]);
    want.extend((54..=58).map(|l| (l, 1, "log Plain")));
    assert_eq!(shape(&out), owned(&want));

    let ls = logs(&out);
    // Before the first stamp there is no time to infer.
    assert!(ls[..39].iter().all(|(_, l)| l.ts.is_none() && !l.ts_inferred));
    assert_eq!(count_notes(&out, Note::NoTimestamp), 39);
    let (line, damn) = ls[44];
    assert_eq!(line, 51);
    assert_eq!(
        damn.message,
        "DAMN ! worker 2 (pid: 28677) died, killed by signal 9 :( trying respawn ..."
    );
    assert_eq!(damn.envelope, Envelope::Plain);
    assert!(damn.ts_inferred);
    assert_eq!(damn.ts, ts("2026-11-26T16:09:38Z"));
    assert_eq!(ls[45].1.message, "Respawned uWSGI worker 2 (new pid: 28737)");
    let (_, goodbye) = ls.last().unwrap();
    assert_eq!(goodbye.message, "goodbye to uWSGI.");
    assert_eq!(goodbye.ts, ts("2026-11-26T16:09:39Z"));

    let acc = accesses(&out);
    let elapsed: Vec<Option<f64>> = acc.iter().map(|(_, a)| a.elapsed_ms).collect();
    assert_eq!(elapsed, vec![Some(0.163), Some(0.336), Some(0.118)], "micros read as ms");
    let pids: Vec<Option<u32>> = acc.iter().map(|(_, a)| a.pid).collect();
    assert_eq!(pids, vec![Some(28677), Some(28676), Some(28676)]);
    assert_eq!(tracebacks(&out)[0].1.traceback.last().unwrap().exc_type, "RuntimeError");
}

#[test]
fn uwsgi_listen_queue_full() {
    // One worker busy 5 s per request, --listen 2: the master says the queue is full each second.
    let out = run(UWSGI_QUEUE);
    assert_eq!(out.lines, 57);
    assert_eq!(out.records.len(), 57);
    let full: Vec<&ConsoleLog> = logs(&out)
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| {
            l.message.starts_with(
                "*** uWSGI listen queue of socket \"127.0.0.1:18933\" (fd: 3) full !!! (",
            )
        })
        .collect();
    assert_eq!(full.len(), 15);
    assert!(full.iter().all(|l| l.envelope == Envelope::Uwsgi && !l.ts_inferred));
    assert_eq!(full[0].ts, ts("2026-11-26T16:18:01Z"));
    let acc = accesses(&out);
    let got: Vec<(LineNo, Option<f64>, Option<Micros>)> =
        acc.iter().map(|(l, a)| (*l, a.elapsed_ms, a.ts)).collect();
    // The request line is written at the end, stamped with the request's start.
    assert_eq!(
        got,
        vec![
            (42, Some(5001.0), ts("2026-11-26T16:18:01Z")),
            (48, Some(5000.0), ts("2026-11-26T16:18:06Z")),
            (54, Some(5001.0), ts("2026-11-26T16:18:11Z")),
        ]
    );
    assert!(acc.iter().all(|(_, a)| a.pid == Some(31268) && a.path == "/slow"));
}

#[test]
fn uwsgi_request_lines() {
    let o = TimeOptions::default();
    // Not request lines: nothing is read from them.
    for line in [
        &b"[pid: 1|app: 0|req: 1/1] 127.0.0.1 () {28 vars in 286 bytes} [Thu Nov 26 16:09:36 2026] GET / => generated 12 bytes in 163 seconds (HTTP/1.1 200)"[..],
        b"[pid: x|app: 0|req: 1/1]",
        b"[pid: 1|app: 0|req: 1/1] 127.0.0.1 () {28 vars in 286 bytes} [Thu Nov 26 16:09:36 2026] GET / => generated 12 bytes in 163 msecs (HTTP/1.1 2000)",
    ] {
        assert_eq!(uwsgi_request(line, &o), None, "{}", String::from_utf8_lossy(line));
    }
    // A request stamp that does not read leaves the time unknown, not the line.
    let line = b"[pid: 1|app: -1|req: -1/9] 127.0.0.1 () {28 vars in 286 bytes} [Thu Nov 36 16:09:36 2026] GET / => generated 12 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 65 bytes (1 switches on core 0)";
    let (a, stamp) = uwsgi_request(line, &o).unwrap();
    assert_eq!((a.ts, stamp.is_none(), a.elapsed_ms, a.status), (None, true, Some(3.0), Some(200)));
    assert_eq!(run(line).notes, vec![(1, Note::NoTimestamp)]);
    // The ctime prefix needs its ` - ` at column 24 and a stamp that reads.
    assert!(uwsgi_ctime(b"Thu Nov 26 16:09:38 2026 - x", &o).is_some());
    assert!(uwsgi_ctime(b"Thu Nov 26 16:09:38 2026 -x", &o).is_none());
    assert!(uwsgi_ctime(b"Thu Nov 36 16:09:38 2026 - x", &o).is_none());
    assert!(uwsgi_ctime(b"The quick brown fox jumps - over", &o).is_none());
}

#[test]
fn nginx_error_log() {
    let out = run(NGINX_ERROR);
    assert_eq!(out.lines, 19);
    let ls = logs(&out);
    assert_eq!(ls.len(), 19);
    assert!(ls.iter().all(|(_, l)| l.envelope == Envelope::Nginx && !l.ts_inferred));
    assert_eq!(count_notes(&out, Note::ZoneAssumed), 19);
    assert_eq!(out.notes.len(), 19);
    let (_, first) = ls[0];
    assert_eq!(
        (first.ts, first.pid, first.level, first.message.as_str()),
        (
            ts("2026-11-26T16:09:56Z"),
            Some(29021),
            Some(Level::Info),
            "using the \"epoll\" event method"
        )
    );
    let errors: Vec<&ConsoleLog> =
        ls.iter().map(|(_, l)| *l).filter(|l| l.level == Some(Level::Error)).collect();
    assert_eq!(errors.len(), 3);
    // The connection number `*2 ` is not part of the message.
    assert_eq!(
        errors[0].message,
        "upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: _, request: \"GET /slow?id=7 HTTP/1.1\", upstream: \"http://127.0.0.1:18941/slow?id=7\", host: \"127.0.0.1:18940\""
    );
    assert_eq!(errors[0].pid, Some(29027));
    assert_eq!(errors[0].ts, ts("2026-11-26T16:09:58Z"));
    assert!(errors[1].message.starts_with("connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1,"));
    assert!(errors[1].message.ends_with(", referrer: \"http://127.0.0.1/start\""));
    assert_eq!(ls[6].1.message, "client 127.0.0.1 closed keepalive connection");
    assert_eq!(ls[18].1.message, "exit");

    // Local time: the default offset applies.
    let line = b"2026/11/26 17:09:58 [error] 29027#29027: *2 upstream timed out";
    let out = parse_bytes(&mut Parser::new(TimeOptions { default_offset_secs: 3600 }), line);
    let (_, l) = logs(&out)[0];
    assert_eq!(l.ts, ts("2026-11-26T16:09:58Z"));
    assert_eq!(l.message, "upstream timed out");
}

#[test]
fn nginx_levels_and_non_lines() {
    let o = TimeOptions::default();
    for (word, level) in [
        ("emerg", Level::Critical),
        ("alert", Level::Critical),
        ("crit", Level::Critical),
        ("error", Level::Error),
        ("warn", Level::Warning),
        ("notice", Level::Info),
        ("info", Level::Info),
        ("debug", Level::Debug),
    ] {
        let line = format!("2026/11/26 16:09:56 [{word}] 1#0: x");
        let e = nginx_error(line.as_bytes(), &o).unwrap();
        assert_eq!((e.level, e.pid, e.message), (level, Some(1), &b"x"[..]), "{word}");
    }
    for line in [
        &b"2026/11/26 16:09:56 [warning] 1#0: x"[..],
        b"2026/11/26 16:09:56 [error] 1: x",
        b"2026/11/26 16:09:56 [error] 1#0 x",
        b"2026/13/26 16:09:56 [error] 1#0: x",
        b"2026/11/26",
        b"1234/",
    ] {
        assert!(nginx_error(line, &o).is_none(), "{}", String::from_utf8_lossy(line));
    }
    // `*` not followed by a connection number stays in the message.
    let e = nginx_error(b"2026/11/26 16:09:56 [error] 1#0: *x y", &o).unwrap();
    assert_eq!(e.message, b"*x y");
}

#[test]
fn nginx_combined_access_log() {
    let out = run(NGINX_ACCESS);
    let acc = accesses(&out);
    assert_eq!(acc.len(), 4);
    assert_eq!(
        *acc[2].1,
        Access {
            ts: ts("2026-11-26T16:09:58Z"),
            client: "127.0.0.1".to_string(),
            method: "GET".to_string(),
            path: "/down".to_string(),
            status: Some(502),
            bytes: Some(157),
            envelope: Envelope::Gunicorn,
            ..Access::default()
        }
    );
    let statuses: Vec<Option<u16>> = acc.iter().map(|(_, a)| a.status).collect();
    assert_eq!(statuses, vec![Some(200), Some(504), Some(502), Some(504)]);
    assert_eq!(acc[1].1.path, "/slow?id=7");
    assert!(out.notes.is_empty(), "the stamp has its zone");
}

#[test]
fn django_runserver() {
    let out = run(DJANGO);
    assert_eq!(out.lines, 157);
    let p = "log Plain";
    let db_error = "traceback django.db.utils.OperationalError";
    assert_eq!(
        shape(&out),
        owned(&[
            (1, 1, p),
            (3, 1, p),
            (5, 1, p),
            (6, 1, p),
            (7, 1, p),
            (8, 1, p),
            (9, 1, p),
            (10, 1, p),
            (12, 1, p),
            (13, 1, p),
            (14, 1, "access Some(200)"),
            (15, 1, "access Some(200)"),
            (16, 67, db_error),
            (84, 1, "access Some(500)"),
            (85, 69, db_error),
            (155, 1, "access Some(500)"),
            (156, 1, p),
            (157, 1, "access Some(404)"),
        ])
    );
    let blanks: Vec<LineNo> = out.skipped.iter().map(|(l, _)| *l).collect();
    assert_eq!(blanks, vec![2, 4, 11, 83, 154]);

    let tbs = tracebacks(&out);
    let (_, clients) = tbs[0];
    assert_eq!(clients.intro.as_deref(), Some("Internal Server Error: /businesses/"));
    assert_eq!(clients.header_offset, 1);
    assert!(clients.ts_inferred);
    assert_eq!(clients.ts, ts("2026-11-26T16:10:15Z"));
    assert_eq!(clients.traceback.sections.len(), 2);
    assert_eq!(clients.traceback.sections[1].link, Some(Link::Cause));
    let last = clients.traceback.last().unwrap();
    assert_eq!(last.exc_type, "django.db.utils.OperationalError");
    assert_eq!(
        last.message,
        "connection to server at \"127.0.0.1\", port 18950 failed: FATAL:  sorry, too many clients already"
    );
    assert_eq!(clients.traceback.root().unwrap().exc_type, "psycopg2.OperationalError");
    let (_, refused) = tbs[1];
    assert_eq!(refused.intro.as_deref(), Some("Internal Server Error: /down/"));
    assert_eq!(
        refused.traceback.last().unwrap().message,
        "connection to server at \"127.0.0.1\", port 18959 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"
    );

    let acc = accesses(&out);
    assert_eq!(
        *acc[2].1,
        Access {
            ts: ts("2026-11-26T16:10:17Z"),
            client: String::new(),
            method: "GET".to_string(),
            path: "/businesses/".to_string(),
            status: Some(500),
            bytes: Some(138_387),
            envelope: Envelope::Django,
            ..Access::default()
        }
    );
    assert!(acc.iter().all(|(_, a)| a.envelope == Envelope::Django));
    assert_eq!(count_notes(&out, Note::ZoneAssumed), 5);
    let (_, not_found) = logs(&out).pop().unwrap();
    assert_eq!(not_found.message, "Not Found: /missing");
}

#[test]
fn django_server_lines() {
    let o = TimeOptions::default();
    // What django.server logs besides requests is a Django log line.
    let out = run(b"[26/Nov/2026 16:10:17] code 400, message Bad request syntax ('x')");
    let (_, l) = logs(&out)[0];
    assert_eq!(
        (l.envelope, l.ts, l.message.as_str()),
        (
            Envelope::Django,
            ts("2026-11-26T16:10:17Z"),
            "code 400, message Bad request syntax ('x')"
        )
    );
    assert!(django_server(b"[2026-11-26 16:10:17] x", &o).is_none());
    assert!(django_server(b"[26/Nov/2026 16:10:17", &o).is_none());
    assert!(django_server(b"[1/Nov", &o).is_none());
}
