//! Incidents assembled from real wordings (the seed report's logs and the parsers' fixtures of
//! real server output), so every mission signature goes through the real binary.

use crate::util::{TempDir, analyze_json, cmd, gzip, run};

const PARSERS_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/parsers/tests/fixtures");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{PARSERS_FIXTURES}/{rel}")).expect("fixture")
}

/// The seed's Flask log line: a chained QueuePool traceback and the garbled `created_at`.
fn seed_app_log() -> String {
    let tb = String::from_utf8(fixture("traceback/seed-chained-queuepool.txt")).expect("utf-8");
    let line = serde_json::json!({
        "status": 500, "event": "Uncaught exception", "level": "exception", "service": "ras-party",
        "exception": tb.trim_end(), "created_at": "2019-01-29T15:561548777410"
    });
    let ok = serde_json::json!({
        "route": "/businesses?id=", "event": "function hit", "level": "info",
        "created_at": "2026-11-25T15:39:20.100Z"
    });
    format!("{ok}\n{line}\n")
}

#[test]
fn every_mission_signature_is_found_with_its_evidence_line() {
    let dir = TempDir::new("seed");
    std::fs::write(
        dir.join("hammer.csv"),
        "sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n\
         2026-11-25T15:39:20.000Z,/businesses?id=,http://h/businesses?id=1,100,50,200,120.5,\n\
         2026-11-25T15:39:20.500Z,/businesses?id=,http://h/businesses?id=2,100,50,,3000.0,\"ConnectionError: ('Connection aborted.', RemoteDisconnected('x'))\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("app.log"), seed_app_log()).expect("write");
    std::fs::write(dir.join("stderr.log"), fixture("console/werkzeug-thread-exhaustion.log"))
        .expect("write");
    // The Postgres log gzip-compressed, under a name that says nothing.
    std::fs::write(dir.join("db.bin"), gzip(&fixture("postgres/pgbadger.log"))).expect("write");

    let rep = analyze_json(&[dir.0.to_str().expect("utf-8")]);
    let sig = |id: &str| signature(&rep, id);
    // The RuntimeError line of the socketserver banner block is line 14 of the console.
    let t = sig("thread_start_failed");
    assert_eq!(t["count"], 1);
    assert!(t["evidence"][0]["path"].as_str().expect("path").ends_with("stderr.log"));
    assert_eq!(t["evidence"][0]["line"], 14);
    assert_eq!(t["evidence"][0]["text"], "RuntimeError: can't start new thread");
    // The QueuePool error is the first section of the chain, cited at its JSON line.
    let q = sig("queuepool_exhausted");
    assert_eq!((q["count"].as_u64(), q["evidence"][0]["line"].as_u64()), (Some(1), Some(2)));
    assert_eq!(q["captures"]["timeout"]["30"], 1, "SQLAlchemy 1.2 wording: integer timeout");
    // The garbled `created_at` still holds the epoch seconds: recovered, and counted as such.
    assert_eq!(q["first_seen"], "2019-01-29T15:56:50.000000Z");
    let p = sig("pg_too_many_clients");
    assert_eq!((p["count"].as_u64(), p["evidence"][0]["line"].as_u64()), (Some(1), Some(3)));
    assert_eq!(sig("pg_eof_open_transaction")["evidence"][0]["line"], 2);
    assert!(
        rep["signatures"]
            .as_array()
            .expect("signatures")
            .iter()
            .all(|s| s["id"] != "gunicorn_worker_timeout")
    );

    let input = |name: &str| input_named(&rep, name);
    assert_eq!(input("app.log")["notes"]["timestamp_recovered"], 1);
    assert!(input("app.log")["notes"]["bad_timestamp"].is_null());
    assert_eq!(input("db.bin")["format"], "postgres");
    assert_eq!(input("db.bin")["compression"], "gzip");
    assert_eq!(
        input("db.bin")["detail"],
        "log_line_prefix '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '"
    );
    assert_eq!(input("stderr.log")["format"], "console");
    // The no-response request (sent 15:39:20.5, given up 3 s later) is explained by the
    // thread failure logged just before it (15:39:20, the time of the line above the banner).
    let h = &rep["hypotheses"][0];
    assert_eq!(h["root"], "thread_start_failed", "{}", h["summary"]);
    assert_eq!(h["effects"][0], "no_response");
}

#[test]
fn failures_without_any_signature_are_reported_as_unexplained() {
    let dir = TempDir::new("unexplained");
    std::fs::write(
        dir.join("hammer.csv"),
        "time,name,status_code,latency\n2026-11-25T10:00:00Z,/a,200,5\n2026-11-25T10:00:01Z,/a,503,7\n",
    )
    .expect("write");
    let rep = analyze_json(&[dir.0.to_str().expect("utf-8")]);
    assert_eq!(rep["diagnosis"]["verdict"], "unexplained");
    assert!(rep["hypotheses"].as_array().expect("hypotheses").is_empty());
    assert!(
        rep["diagnosis"]["statement"]
            .as_str()
            .expect("statement")
            .starts_with("1 of 2 requests failed (1 with HTTP 5xx")
    );
    assert_eq!(rep["funnel"]["has_app_log"], false);
    assert!(rep["funnel"]["biggest_loss"].is_null());
}

#[test]
fn signatures_without_load_test_data_say_their_effect_is_unknown() {
    let pg = crate::util::case("eof-open-transaction").join("postgresql.log");
    let rep = analyze_json(&[pg.to_str().expect("utf-8")]);
    assert_eq!(rep["diagnosis"]["verdict"], "signatures_only");
    assert_eq!(rep["signatures"][0]["id"], "pg_eof_open_transaction");
    assert_eq!(rep["signatures"][0]["count"], 24);
    let h = &rep["hypotheses"][0];
    assert_eq!(h["root"], "pg_eof_open_transaction");
    assert!(h["confidence"].as_f64().expect("confidence") < 0.5, "no effect seen: low confidence");
    assert!(
        h["evidence_against"][0].as_str().expect("against").contains("no load-test data"),
        "{}",
        h["evidence_against"]
    );
    assert_eq!(rep["outcomes"]["total"], 0);
    assert!(rep["latency_ms"]["median"].is_null());
}

/// Issue 4: broken timestamps are handled, not dropped, and counted. An app log with a
/// garbled, an unreadable and a missing stamp, two lines out of order, a `CET` stamp and a
/// zone-less one read with `--tz +02:00`; a console that starts with a traceback before its
/// first stamp; and a log with no timestamp at all.
#[test]
fn broken_timestamps_are_recovered_inferred_and_counted() {
    let dir = TempDir::new("timestamps");
    let app = [
        r#"{"event": "starting", "level": "info", "created_at": "2019-01-29T15:561548777410"}"#,
        r#"{"event": "function hit", "route": "/a", "created_at": "2026-11-25T15:39:20.100Z"}"#,
        r#"{"event": "query completed", "route": "/a", "created_at": "2026-13-45T99:00:00Z"}"#,
        r#"{"event": "query started", "route": "/a", "created_at": "2026-11-25T15:39:21Z"}"#,
        r#"{"event": "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30", "level": "error"}"#,
        r#"{"event": "function hit", "route": "/a", "created_at": "2026-11-25T15:39:23Z"}"#,
        r#"{"event": "function hit", "route": "/a", "created_at": "2026-11-25T15:39:22Z"}"#,
        r#"{"event": "function hit", "route": "/a", "created_at": "2026-11-25 16:39:24 CET"}"#,
        r#"{"event": "function hit", "route": "/a", "created_at": "2026-11-25T17:39:25"}"#,
    ];
    std::fs::write(dir.join("app.log"), app.join("\n") + "\n").expect("write");
    std::fs::write(
        dir.join("stderr.log"),
        "Exception occurred during processing of request from ('127.0.0.1', 50330)\n\
         Traceback (most recent call last):\n  \
           File \"/usr/lib/python3.11/socketserver.py\", line 697, in process_request\n    \
             t.start()\n\
         RuntimeError: can't start new thread\n\
         127.0.0.1 - - [25/Nov/2026 17:39:30] \"GET /a HTTP/1.1\" 200 -\n\
         127.0.0.1 - - [25/Nov/2026 17:39:31] \"GET /a HTTP/1.1\" 200 -\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("untimed.log"),
        "{\"event\": \"function hit\", \"route\": \"/b\"}\n\
         {\"event\": \"function hit\", \"route\": \"/b\"}\n",
    )
    .expect("write");
    let path = dir.0.to_str().expect("utf-8");

    let rep = analyze_json(&["--tz", "+02:00", path]);
    assert_eq!(
        rep["timestamps"],
        serde_json::json!({
            "recovered": 1,
            // app.log lines 3 and 5; the console's two records before its first stamp.
            "inferred": 4,
            // app.log line 9 and the console's two werkzeug stamps.
            "zone_assumed": 3,
            "zone_abbreviation": 1,
            "out_of_order": 1,
            "missing": 2,
            "bad_timestamp": 1,
        })
    );
    let input = |name: &str| input_named(&rep, name);
    assert_eq!(input("app.log")["notes"]["out_of_order"], 1);
    assert_eq!(input("app.log")["notes"]["timestamp_inferred"], 2);
    assert_eq!(input("stderr.log")["notes"]["timestamp_inferred"], 2);
    assert!(input("untimed.log")["notes"]["timestamp_inferred"].is_null());
    let sig = |id: &str| signature(&rep, id);
    // The QueuePool line has no stamp: it takes the previous line's (line 4), not the next's.
    let q = sig("queuepool_exhausted");
    assert_eq!(q["first_seen"], "2026-11-25T15:39:21.000000Z");
    assert_eq!(q["evidence"][0]["line"], 5);
    // The traceback opens the console: it takes the next stamp, 17:39:30 at --tz +02:00.
    assert_eq!(sig("thread_start_failed")["first_seen"], "2026-11-25T15:39:30.000000Z");
    // The recovered 2019 stamp is the earliest; the latest is the console's last line, so the
    // CET stamp (16:39:24 CET) and the zone-less one (17:39:25 at +02:00) were both read as
    // 15:39 UTC.
    assert_eq!(rep["run"]["earliest_event"], "2019-01-29T15:56:50.000000Z");
    assert_eq!(rep["run"]["latest_event"], "2026-11-25T15:39:31.000000Z");
    // Only the stage events of the log without any timestamp are unplaceable; the unreadable
    // "query completed" took its neighbour's time.
    assert_eq!(rep["funnel"]["without_timestamp"], 2);
    assert_eq!(rep["funnel"]["completed"], 1);

    let out = run(cmd().args(["analyze", "--tz", "+02:00", "--width", "100", path]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines().skip_while(|l| !l.starts_with("Timestamps: "));
    let mut para = lines.next().expect("a Timestamps line").to_string();
    for more in lines.take_while(|l| l.starts_with("  ")) {
        para = format!("{para} {}", more.trim_start());
    }
    assert_eq!(
        para,
        "Timestamps: 1 recovered from a garbled stamp, 1 unreadable, 4 inferred from neighbouring \
         lines, 3 without a zone (read with --tz, default UTC), 1 with a zone abbreviation such \
         as CET or CST, 1 out of order (sorted), 2 without any time (their input has none)."
    );
}

/// The report's signature `id`; panics when it is missing.
fn signature(rep: &serde_json::Value, id: &str) -> serde_json::Value {
    rep["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not found in {}", rep["signatures"]))
}

/// The report's input whose path ends with `name`; panics when there is none.
fn input_named(rep: &serde_json::Value, name: &str) -> serde_json::Value {
    rep["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .cloned()
        .expect("input")
}
