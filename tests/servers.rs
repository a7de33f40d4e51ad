//! The server consoles other than gunicorn's and werkzeug's (uWSGI, nginx, Django) through the
//! real binary: found as `console`, and their signatures counted once per line that says so.

use std::path::PathBuf;

use crate::util::analyze_json;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("parsers/tests/fixtures").join(rel)
}

/// The 1-based numbers of the fixture's lines that contain `needle`, read without the parser.
fn lines_with(rel: &str, needle: &str) -> Vec<u64> {
    let text = std::fs::read_to_string(fixture(rel)).expect("fixture");
    (1..).zip(text.lines()).filter(|(_, l)| l.contains(needle)).map(|(n, _)| n).collect()
}

/// Analyses one fixture; returns the report after checking it was read as a console, whole.
fn analyze(rel: &str) -> serde_json::Value {
    let path = fixture(rel);
    let report = analyze_json(&[path.to_str().expect("utf-8 path")]);
    let input = &report["inputs"][0];
    assert_eq!(input["format"], "console", "{rel}: {input}");
    assert_eq!(
        input["lines"],
        input["parsed"].as_u64().unwrap() + input["skipped"].as_u64().unwrap(),
        "{rel}"
    );
    report
}

/// The signature `id`'s count and the lines of its evidence.
fn found(report: &serde_json::Value, id: &str) -> (u64, Vec<u64>) {
    let sigs = report["signatures"].as_array().expect("signatures");
    let s = sigs.iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} not found"));
    let lines = s["evidence"].as_array().expect("evidence");
    (s["count"].as_u64().expect("count"), lines.iter().filter_map(|e| e["line"].as_u64()).collect())
}

fn assert_found(report: &serde_json::Value, rel: &str, id: &str, needle: &str) {
    let want = lines_with(rel, needle);
    assert!(!want.is_empty(), "{rel}: no line has {needle:?}");
    let (count, lines) = found(report, id);
    assert_eq!(count, want.len() as u64, "{rel}: {id}");
    // The report cites the first few (at most 5) of them.
    assert!(!lines.is_empty() && lines.len() <= 5, "{rel}: {id}: {lines:?}");
    assert_eq!(lines, want[..lines.len()], "{rel}: {id}");
}

#[test]
fn uwsgi_harakiri_kills_and_respawns() {
    for rel in ["uwsgi/uwsgi-log-date-harakiri.log", "uwsgi/uwsgi-harakiri.log"] {
        let report = analyze(rel);
        assert_found(&report, rel, "uw_harakiri", "*** HARAKIRI ON WORKER ");
        assert_found(&report, rel, "uw_harakiri_detail", "HARAKIRI [core ");
        assert_found(&report, rel, "uw_damn", "DAMN ! worker ");
        assert_found(&report, rel, "uw_respawn", "Respawned uWSGI worker ");
        let input = &report["inputs"][0];
        assert!(
            input["reason"].as_str().unwrap().starts_with("3 uWSGI request lines, "),
            "{input}"
        );
    }
    let rel = "uwsgi/uwsgi-harakiri.log";
    assert_found(&analyze(rel), rel, "uw_lifecycle", "goodbye to uWSGI");
}

#[test]
fn uwsgi_listen_queue_full() {
    let rel = "uwsgi/uwsgi-listen-queue-full.log";
    let report = analyze(rel);
    assert_found(&report, rel, "uw_listen_queue_full", "*** uWSGI listen queue of socket ");
}

#[test]
fn nginx_upstream_errors() {
    let rel = "nginx/error.log";
    let report = analyze(rel);
    assert_found(&report, rel, "ng_upstream_timeout", "upstream timed out (110: ");
    assert_found(&report, rel, "ng_connect_refused", "connect() failed (111: ");
    assert_eq!(report["inputs"][0]["reason"], "19 nginx error lines in the first 19 lines");
    // The evidence is the message, without the envelope or the connection number.
    let sigs = report["signatures"].as_array().expect("signatures");
    let timeout = sigs.iter().find(|s| s["id"] == "ng_upstream_timeout").expect("timeout");
    let text = timeout["evidence"][0]["text"].as_str().expect("text");
    assert!(
        text.starts_with("upstream timed out (110: Connection timed out) while reading"),
        "{text}"
    );
    assert_eq!(timeout["first_seen"], "2026-11-26T16:09:58.000000Z");
}

#[test]
fn django_internal_server_errors() {
    let rel = "django/runserver-too-many-clients.log";
    let report = analyze(rel);
    assert_found(&report, rel, "django_internal_server_error", "Internal Server Error: ");
    // The traceback's exception messages reach the detector whole: one finding per traceback,
    // cited at its first section that says so.
    let (n, lines) = found(&report, "pg_too_many_clients");
    let fatal = lines_with(rel, "FATAL:  sorry, too many clients already");
    assert_eq!((n, lines.as_slice()), (1, &fatal[..1]));
    let (n, _) = found(&report, "libpq_connect_refused");
    assert_eq!(n, 1);
}
