//! Postgres's three log destinations: one real run written as stderr, csvlog and jsonlog at
//! once (PostgreSQL 15.18, `parsers/tests/fixtures/postgres/make-pg15.sh`) gives one report.

use std::path::PathBuf;

use crate::util::analyze_json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("parsers/tests/fixtures/postgres").join(name)
}

/// Lines of the stderr log whose message (after `SEVERITY:  `) starts with `text`: counted
/// from the file, not from the tool.
fn stderr_count(severity: &str, text: &str) -> u64 {
    let log = std::fs::read_to_string(fixture("pg15-stderr.log")).expect("fixture");
    let needle = format!("] {severity}:  {text}");
    log.lines().filter(|l| l.contains(&needle)).count() as u64
}

fn signature_counts(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                s["count"].as_u64().unwrap_or_default(),
                s["first_seen"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn csvlog_and_jsonlog_give_the_report_of_the_stderr_log() {
    let runs: Vec<(&str, serde_json::Value)> = [
        ("pg15-stderr.log", "postgres"),
        ("pg15.csv", "postgres-csv"),
        ("pg15.json", "postgres-json"),
    ]
    .into_iter()
    .map(|(file, format)| {
        let path = fixture(file);
        let report = analyze_json(&[path.to_str().expect("utf-8 path")]);
        let input = &report["inputs"][0];
        assert_eq!(input["format"], format, "{file}: {input}");
        // Every line read into an entry, none skipped.
        assert_eq!(input["skipped"], 0, "{file}: {input}");
        assert_eq!(input["parsed"], input["lines"], "{file}: {input}");
        (file, report)
    })
    .collect();
    let (_, stderr) = &runs[0];
    let sigs = signature_counts(stderr);
    let count = |id: &str| sigs.iter().find(|s| s.0 == id).map_or(0, |s| s.1);
    assert_eq!(count("pg_too_many_clients"), stderr_count("FATAL", "sorry, too many clients"));
    assert_eq!(count("pg_reserved_slots"), stderr_count("FATAL", "remaining connection slots"));
    assert_eq!(count("pg_eof_open_transaction"), stderr_count("LOG", "unexpected EOF on client"));
    assert_eq!(count("pg_conn_received"), stderr_count("LOG", "connection received"));
    assert!(count("pg_too_many_clients") > 0 && count("pg_eof_open_transaction") > 0, "{sigs:?}");
    assert!(stderr["hypotheses"][0]["root"].is_string(), "{}", stderr["hypotheses"]);
    for (file, report) in &runs[1..] {
        assert_eq!(signature_counts(report), sigs, "{file}");
        assert_eq!(report["facts"]["pg_connections"], stderr["facts"]["pg_connections"], "{file}");
        for key in ["root", "chain", "summary", "confidence"] {
            assert_eq!(report["hypotheses"][0][key], stderr["hypotheses"][0][key], "{file}: {key}");
        }
        assert_eq!(report["inputs"][0]["records"], stderr["inputs"][0]["records"], "{file}");
    }
}

#[test]
fn a_log_written_to_several_destinations_is_read_once() {
    // A log directory as `log_destination = 'stderr,csvlog,jsonlog'` leaves it.
    let dir = crate::util::TempDir::new("destinations");
    for f in ["pg15-stderr.log", "pg15.csv", "pg15.json"] {
        std::fs::copy(fixture(f), dir.join(f)).expect("copy");
    }
    let all = analyze_json(&[dir.0.to_str().expect("utf-8 path")]);
    let one = analyze_json(&[fixture("pg15.csv").to_str().expect("utf-8 path")]);
    assert_eq!(signature_counts(&all), signature_counts(&one));
    assert_eq!(all["facts"]["pg_connections"], one["facts"]["pg_connections"]);
    let inputs = all["inputs"].as_array().expect("inputs");
    let read: Vec<&str> = inputs
        .iter()
        .filter(|i| i["copy_of"].is_null())
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert_eq!(read.len(), 1, "{inputs:?}");
    assert!(read[0].ends_with("pg15.csv"), "the csvlog is the one read: {read:?}");
    for i in inputs.iter().filter(|i| !i["copy_of"].is_null()) {
        assert!(i["copy_of"].as_str().is_some_and(|p| p.ends_with("pg15.csv")), "{i}");
        assert_eq!(i["lines"], 0, "{i}");
        assert!(i["reason"].as_str().is_some_and(|r| r.starts_with("not read: the same")), "{i}");
    }
    let warnings = all["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.iter().filter(|w| w.to_string().contains("Not read: ")).count(), 2);
    let table = crate::util::run(crate::util::cmd().args(["analyze"]).arg(&dir.0));
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.contains("Not read: ") && !table.contains("Skipped while walking"), "{table}");
    // Two stderr logs of different servers are both read.
    let other = dir.join("other.log");
    std::fs::write(
        &other,
        "2026-11-26 17:00:00.001 UTC [1] LOG:  database system is ready to accept connections\n",
    )
    .expect("write");
    let both = analyze_json(&[
        fixture("pg15-stderr.log").to_str().expect("utf-8"),
        other.to_str().expect("utf-8"),
    ]);
    assert!(both["inputs"].as_array().expect("inputs").iter().all(|i| i["copy_of"].is_null()));
}
