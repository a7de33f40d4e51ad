//! `rootcause signatures` and `--signatures FILE`: the catalog as the real binary loads it.

use crate::util::{TempDir, analyze_json, case, cmd, run};

fn stdout_ok(args: &[&str]) -> String {
    let out = run(cmd().args(args));
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn signatures_lists_the_catalog() {
    let json: serde_json::Value =
        serde_json::from_str(&stdout_ok(&["signatures", "-f", "json"])).expect("json");
    assert_eq!(json["schema"], "rootcause.signatures/v1");
    let sigs = json["signatures"].as_array().expect("signatures");
    assert!(sigs.len() >= 90, "{} signatures", sigs.len());
    let ids: Vec<&str> = sigs.iter().filter_map(|s| s["id"].as_str()).collect();
    for id in [
        "queuepool_exhausted",
        "thread_start_failed",
        "pg_eof_open_transaction",
        "pg_too_many_clients",
        "gunicorn_worker_timeout",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    assert!(json["edges"].as_array().expect("edges").len() >= 150);
    let table = stdout_ok(&["signatures"]);
    assert!(table.contains("│ gunicorn_worker_timeout "), "{table}");
    assert!(table.contains(&format!("{} signatures (", sigs.len())), "{table}");
    assert!(table.contains("loaded: built-in."), "{table}");
}

#[test]
fn signatures_id_explains_one() {
    let text = stdout_ok(&["signatures", "queuepool_exhausted"]);
    assert!(text.starts_with("queuepool_exhausted: SQLAlchemy QueuePool exhausted\n"), "{text}");
    assert!(
        text.contains(
            "  on exception: QueuePool limit of size (?P<size>\\d+) overflow (?P<overflow>-?\\d+)"
        ),
        "{text}"
    );
    assert!(text.contains("[exception; SQLAlchemy 2.0; also sqla_error_code_url]"), "{text}");
    assert!(
        text.contains("timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)")
    );
    assert!(
        text.contains("queuepool_exhausted -> symptom:http_5xx lag 10s (typical 1s)"),
        "{text}"
    );
    assert!(text.contains("origin: built-in"));
    let md = stdout_ok(&["signatures", "-f", "md", "pg_reserved_slots"]);
    assert!(md.contains("| pg |  | `remaining connection slots are reserved for"), "{md}");
    // An unknown id: exit 2 and the closest ids.
    let out = run(cmd().args(["signatures", "gunicorn_worker_timout"]));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("closest: gunicorn_worker_timeout"), "{err}");
}

/// A user catalog that adds a signature for the app's `query started` events.
const USER: &str = r#"schema = "rootcause.catalog/v1"

# A made-up signature: every query the app starts.
[[signature]]
id = "query_started"
title = "The app started a query"
component = "labapp"
sources = ["app"]
severity = "info"
failure = false
meaning = "Context: one event per query."
remediation = "Nothing to do."

[[signature.pattern]]
on = "message"
regex = '^query started$'

[[signature.example]]
on = "message"
text = 'query started'
version = "labapp"

[[edge]]
from = "query_started"
to = "queuepool_exhausted"
lag = "2s"
typical = "2s"
why = "a started query waits for a pool connection"
"#;

#[test]
fn a_user_signature_is_found_with_its_count() {
    let dir = TempDir::new("user-signatures");
    let file = dir.join("mine.toml");
    std::fs::write(&file, USER).expect("write");
    let sample = case("pool-exhaustion");
    // The expected count, read from the log independently of the parser.
    let log = std::fs::read_to_string(sample.join("app.log")).expect("app.log");
    let want = log.lines().filter(|l| l.contains(r#""event": "query started""#)).count() as u64;
    assert!(want > 0);
    let path = file.to_str().expect("utf-8 path");
    let report = analyze_json(&["--signatures", path, sample.to_str().expect("utf-8 path")]);
    let sigs = report["signatures"].as_array().expect("signatures");
    let mine = sigs.iter().find(|s| s["id"] == "query_started").expect("query_started found");
    assert_eq!(mine["count"].as_u64(), Some(want));
    assert_eq!(mine["failure"], false);
    // The built-in ones are still there; the hypothesis is unchanged.
    let qp = sigs.iter().find(|s| s["id"] == "queuepool_exhausted").expect("queuepool");
    assert_eq!(qp["count"].as_u64(), Some(161));
    assert_eq!(report["hypotheses"][0]["root"], "queuepool_exhausted");
    // The listing names the file; the signature's origin is the file.
    let list = stdout_ok(&["signatures", "--signatures", path]);
    assert!(list.contains(&format!("loaded: built-in, {path}.")), "{list}");
    let one = stdout_ok(&["signatures", "--signatures", path, "query_started"]);
    assert!(one.contains(&format!("origin: {path}")), "{one}");
    assert!(one.contains("query_started -> queuepool_exhausted lag 2s (typical 2s)"), "{one}");
    // Without the built-in catalog the file's edge has no target: an error naming its line.
    let out = run(cmd().args(["signatures", "--no-builtin-signatures", "--signatures", path]));
    assert_eq!(out.status.code(), Some(2));
    let line = USER.lines().position(|l| l == "[[edge]]").expect("edge") + 2;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{path}: line {line}: edge to 'queuepool_exhausted'")), "{err}");
    // Only the file's signatures.
    let alone = dir.join("alone.toml");
    std::fs::write(&alone, &USER[..USER.find("[[edge]]").expect("edge")]).expect("write");
    let alone = alone.to_str().expect("utf-8 path");
    let only =
        stdout_ok(&["signatures", "-f", "json", "--no-builtin-signatures", "--signatures", alone]);
    assert!(only.contains("query_started") && !only.contains("gunicorn_worker_timeout"), "{only}");
}

#[test]
fn a_bad_signature_file_exits_2_naming_its_line() {
    let dir = TempDir::new("bad-signatures");
    let file = dir.join("bad.toml");
    let bad = USER.replace("regex = '^query started$'", "regex = '^query (started$'");
    std::fs::write(&file, &bad).expect("write");
    let line = bad.lines().position(|l| l.contains("(started")).expect("line") + 1;
    let path = file.to_str().expect("utf-8 path");
    for args in [
        vec!["analyze", "--signatures", path, "samples/pool-exhaustion"],
        vec!["signatures", "--signatures", path],
        vec!["timeline", "--signatures", path, "samples/pool-exhaustion"],
        vec!["check", "--fail-on", "any", "--signatures", path, "samples/pool-exhaustion"],
    ] {
        let out = run(cmd().current_dir(env!("CARGO_MANIFEST_DIR")).args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        let want = format!("{path}: line {line}: signature 'query_started': bad pattern");
        assert!(err.contains(&want), "{args:?}: {err}");
    }
    // A syntax error names the line and column.
    std::fs::write(&file, "schema = \"rootcause.catalog/v1\"\n[[signature]\n").expect("write");
    let out = run(cmd().args(["signatures", "--signatures", path]));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{path}: line 2, column ")), "{err}");
}

#[test]
fn catalog_text_is_escaped_on_the_terminal() {
    // Escape sequences in a user file are refused with the line; nothing reaches stdout.
    let dir = TempDir::new("escape-signatures");
    let file = dir.join("esc.toml");
    std::fs::write(&file, USER.replace("The app started a query", "\\u001b]0;pwned\\u0007"))
        .expect("write");
    let out = run(cmd().args(["signatures", "--signatures", file.to_str().expect("path")]));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("title holds the control character U+001B") && !err.contains('\u{1b}'));
}

#[test]
fn the_docs_example_file_loads() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/catalog.md"))
        .expect("docs/catalog.md");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("block closes");
    let dir = TempDir::new("docs-catalog");
    let file = dir.join("my-signatures.toml");
    std::fs::write(&file, &doc[start..end]).expect("write");
    let text = stdout_ok(&[
        "signatures",
        "--signatures",
        file.to_str().expect("path"),
        "payments_timeout",
    ]);
    assert!(text.contains("payments_timeout -> symptom:http_5xx lag 10s (typical 1s)"), "{text}");
}
