use super::*;
use crate::correlate::correlate;
use crate::model::Event;
use rootcause_parsers::console::{ConsoleLog, Envelope};
use rootcause_parsers::jsonlog::AppEvent;
use rootcause_parsers::postgres::{PgRecord, Severity};
use rootcause_parsers::traceback::{ExcLine, Section, Traceback};

fn app_exception(line: LineNo, ts: Micros, sections: &[(&str, &str)]) -> Event {
    let tb = Traceback {
        sections: sections
            .iter()
            .enumerate()
            .map(|(i, (t, m))| Section {
                link: None,
                frames: Vec::new(),
                exception: ExcLine { exc_type: t.to_string(), message: m.to_string() },
                leaves: Vec::new(),
                line_offset: i as u32,
            })
            .collect(),
    };
    let event = AppEvent {
        message: "Uncaught exception".into(),
        exception: Some(tb),
        ..AppEvent::default()
    };
    Event { ts: Some(ts), source: 0, line, kind: EventKind::App { event, stage: None } }
}

fn pg(line: LineNo, ts: Micros, sev: Severity, msg: &str) -> Event {
    let r =
        PgRecord { ts: Some(ts), severity: Some(sev), message: msg.into(), ..PgRecord::default() };
    Event { ts: Some(ts), source: 1, line, kind: EventKind::Db(Box::new(r)) }
}

fn console(line: LineNo, ts: Micros, msg: &str) -> Event {
    let l = ConsoleLog {
        ts: Some(ts),
        ts_inferred: false,
        pid: Some(1),
        level: None,
        message: msg.into(),
        envelope: Envelope::Gunicorn,
    };
    Event { ts: Some(ts), source: 2, line, kind: EventKind::Console(ConsoleRecord::Log(l)) }
}

fn ids(events: Vec<Event>) -> Vec<(String, u64)> {
    let cat = Catalog::builtin().unwrap();
    let tl = correlate(events);
    let mut v: Vec<(String, u64)> = detect(&tl, &cat, 5)
        .into_iter()
        .map(|f| (cat.signatures[f.signature].id.clone(), f.count))
        .collect();
    v.sort();
    v
}

#[test]
fn builtin_catalog_compiles_with_the_stable_ids() {
    let cat = Catalog::builtin().unwrap();
    for id in [
        "queuepool_exhausted",
        "thread_start_failed",
        "pg_eof_open_transaction",
        "pg_too_many_clients",
        "gunicorn_worker_timeout",
    ] {
        assert!(cat.get(id).is_some(), "{id} missing");
    }
}

#[test]
fn real_wordings_across_versions() {
    let cases: Vec<(Event, Option<&str>)> = vec![
        // SQLAlchemy 1.3 (`timeout 30`, no version in the URL) and 2.x (`timeout 2.00`).
        (
            app_exception(
                1,
                1,
                &[(
                    "sqlalchemy.exc.TimeoutError",
                    "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30 (Background on this error at: http://sqlalche.me/e/3o7r)",
                )],
            ),
            Some("queuepool_exhausted"),
        ),
        (
            app_exception(
                1,
                1,
                &[(
                    "sqlalchemy.exc.TimeoutError",
                    "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00 (Background on this error at: https://sqlalche.me/e/21/3o7r)",
                )],
            ),
            Some("queuepool_exhausted"),
        ),
        // The seed's chain: the QueuePool error is the first section, re-raised as another.
        (
            app_exception(
                1,
                1,
                &[
                    (
                        "sqlalchemy.exc.TimeoutError",
                        "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30",
                    ),
                    (
                        "sqlalchemy.exc.SQLAlchemyError",
                        "TimeoutError occurred when committing to database",
                    ),
                ],
            ),
            Some("queuepool_exhausted"),
        ),
        (
            app_exception(1, 1, &[("RuntimeError", "can't start new thread")]),
            Some("thread_start_failed"),
        ),
        (
            app_exception(1, 1, &[("RuntimeError", "can't create new thread")]),
            Some("thread_start_failed"),
        ),
        // 3.12+ shutdown noise is not a load failure.
        (
            app_exception(
                1,
                1,
                &[("RuntimeError", "can't create new thread at interpreter shutdown")],
            ),
            None,
        ),
        (
            pg(1, 1, Severity::Log, "unexpected EOF on client connection with an open transaction"),
            Some("pg_eof_open_transaction"),
        ),
        (pg(1, 1, Severity::Debug(1), "unexpected EOF on client connection"), None),
        (pg(1, 1, Severity::Fatal, "sorry, too many clients already"), Some("pg_too_many_clients")),
        (
            app_exception(
                1,
                1,
                &[(
                    "sqlalchemy.exc.OperationalError",
                    "(psycopg2.OperationalError) connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  sorry, too many clients already",
                )],
            ),
            Some("pg_too_many_clients"),
        ),
        (console(1, 1, "WORKER TIMEOUT (pid:29804)"), Some("gunicorn_worker_timeout")),
        (console(1, 1, "DIRTY WORKER TIMEOUT (pid:29804)"), Some("gunicorn_worker_timeout")),
        (console(1, 1, "Worker (pid:29804) was sent SIGKILL! Perhaps out of memory?"), None),
    ];
    for (ev, want) in cases {
        let got = ids(vec![ev.clone()]);
        let want: Vec<(String, u64)> = want.into_iter().map(|w| (w.to_string(), 1)).collect();
        assert_eq!(got, want, "{ev:?}");
    }
}

#[test]
fn counts_first_last_evidence_and_captures() {
    let cat = Catalog::builtin().unwrap();
    let mut events = Vec::new();
    for k in 0..7 {
        let msg =
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00"
                .to_string();
        events.push(app_exception(
            10 + k,
            1_000 + k as i64 * 10,
            &[("sqlalchemy.exc.TimeoutError", &msg)],
        ));
    }
    events.push(console(3, 500, "WORKER TIMEOUT (pid:42)"));
    let found = detect(&correlate(events), &cat, 3);
    assert_eq!(found.len(), 2);
    let qp = &found[0];
    assert_eq!(cat.signatures[qp.signature].id, "queuepool_exhausted");
    assert_eq!((qp.count, qp.first_seen, qp.last_seen), (7, Some(1_000), Some(1_060)));
    assert_eq!(qp.evidence.iter().map(|e| e.line).collect::<Vec<_>>(), vec![10, 11, 12]);
    assert_eq!(qp.top_capture("size"), Some("5"));
    assert_eq!(qp.top_capture("overflow"), Some("10"));
    assert_eq!(qp.top_capture("timeout"), Some("2.00"));
    assert_eq!(found[1].top_capture("pid"), Some("42"));
}

#[test]
fn parallel_chunks_give_the_same_findings() {
    let cat = Catalog::builtin().unwrap();
    let events: Vec<Event> = (0..(CHUNK as u64 * 2 + 17))
        .map(|k| {
            if k % 3 == 0 {
                console(k + 1, k as i64, "WORKER TIMEOUT (pid:1)")
            } else {
                console(k + 1, k as i64, "ok")
            }
        })
        .collect();
    let tl = correlate(events);
    let found = detect(&tl, &cat, 5);
    let serial = scan(&cat, &tl.events, 5);
    let s = serial.into_iter().find(|f| f.count > 0).unwrap();
    assert_eq!(found[0], s);
}

#[test]
fn bad_catalogs_are_refused_with_their_location() {
    let err = Catalog::from_json(
        "{\n  \"schema\": \"rootcause.catalog/v1\",\n  \"signatures\": [\n    {\"id\": 3}\n  ]\n}",
        "mine.json",
    )
    .unwrap_err();
    assert!(err.starts_with("mine.json: line 4"), "{err}");
    let err = Catalog::from_json(r#"{"schema": "other", "signatures": []}"#, "x").unwrap_err();
    assert!(err.contains("expected 'rootcause.catalog/v1'"));
    let sig = |id: &str, re: &str| {
        format!(
            r#"{{"id": "{id}", "title": "t", "component": "c", "severity": "error", "failure": true, "patterns": [{{"on": "message", "regex": "{re}"}}], "meaning": "m", "remediation": "r"}}"#
        )
    };
    let two = format!(
        r#"{{"schema": "rootcause.catalog/v1", "signatures": [{}, {}]}}"#,
        sig("a", "x"),
        sig("a", "y")
    );
    assert!(Catalog::from_json(&two, "x").unwrap_err().contains("appears twice"));
    let bad =
        format!(r#"{{"schema": "rootcause.catalog/v1", "signatures": [{}]}}"#, sig("a", "(open"));
    assert!(
        Catalog::from_json(&bad, "x").unwrap_err().starts_with("x: signature 'a': bad pattern")
    );
    let huge = format!(
        r#"{{"schema": "rootcause.catalog/v1", "signatures": [{}]}}"#,
        sig("a", "a{1000}{1000}")
    );
    assert!(Catalog::from_json(&huge, "x").unwrap_err().contains("is too large"));
    let upper =
        format!(r#"{{"schema": "rootcause.catalog/v1", "signatures": [{}]}}"#, sig("Bad-Id", "x"));
    assert!(Catalog::from_json(&upper, "x").unwrap_err().contains("snake_case"));
}
