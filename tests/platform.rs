//! Platform streams end to end: `rootcause analyze` on a Heroku and a Cloud Foundry fixture
//! (`parsers/tests/fixtures/{heroku,cf}/`, described in their README).

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::analyze_json;

fn fixture(rel: &str) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("parsers/tests/fixtures").join(rel);
    let text = std::fs::read_to_string(&path).expect("fixture");
    (path.display().to_string(), text)
}

/// Lines of `text` holding every one of `parts`.
fn lines_with(text: &str, parts: &[&str]) -> u64 {
    text.lines().filter(|l| parts.iter().all(|p| l.contains(p))).count() as u64
}

/// Signature id → count in a report.
fn counts(report: &serde_json::Value) -> BTreeMap<String, u64> {
    report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["count"].as_u64().unwrap()))
        .collect()
}

#[test]
fn heroku_gevent_incident_finds_the_refusals_and_the_router_errors() {
    let (path, text) = fixture("heroku/gevent-too-many-clients.log");
    let r = analyze_json(&[&path]);
    let input = &r["inputs"][0];
    assert_eq!(input["format"], "heroku");
    assert_eq!(input["lines"].as_u64(), Some(text.lines().count() as u64));
    assert_eq!(input["parsed"], input["lines"]);
    assert_eq!(input["skipped"], 0);
    let found = counts(&r);
    // Each Heroku Postgres refusal line, and each traceback ending in the refusal (one record
    // per traceback, whatever its lines).
    let too_many = lines_with(&text, &["app[postgres.", "sorry, too many clients already"])
        + lines_with(&text, &["django.db.utils.OperationalError: FATAL:  sorry, too many"]);
    assert_eq!(found.get("pg_too_many_clients"), Some(&too_many), "{found:?}");
    assert_eq!(too_many, 4);
    let reserved = lines_with(&text, &["app[postgres.", "remaining connection slots"])
        + lines_with(&text, &["django.db.utils.OperationalError: FATAL:  remaining connection"]);
    assert_eq!(found.get("pg_reserved_slots"), Some(&reserved), "{found:?}");
    assert_eq!(found.get("heroku_h12"), Some(&lines_with(&text, &["at=error code=H12"])));
    assert_eq!(found.get("heroku_h13"), Some(&lines_with(&text, &["at=error code=H13"])));
    assert_eq!(
        found.get("gu_error_handling"),
        Some(&lines_with(&text, &["Error handling request"]))
    );
    // The JSON app events inside `app[web.N]` feed the request funnel.
    let funnel = &r["funnel"];
    assert_eq!(funnel["has_app_log"], true);
    assert_eq!(funnel["hit"].as_u64(), Some(lines_with(&text, &["\"event\": \"function hit\""])));
    assert_eq!(
        funnel["started"].as_u64(),
        Some(lines_with(&text, &["\"event\": \"query started\""]))
    );
    assert_eq!(
        funnel["completed"].as_u64(),
        Some(lines_with(&text, &["\"event\": \"query completed\""]))
    );
    // The chain of the Heroku notes: a Postgres refusal first, the OperationalError it raised
    // and gunicorn's Error handling request after it; the fix names the gevent workers that
    // each opened their own connections.
    let hyps = r["hypotheses"].as_array().expect("hypotheses");
    let top = &hyps[0];
    let root = top["root"].as_str().expect("a root");
    assert!(["pg_too_many_clients", "pg_reserved_slots"].contains(&root), "{root}");
    let chain: Vec<&str> =
        top["chain"].as_array().expect("chain").iter().filter_map(|c| c.as_str()).collect();
    for step in ["libpq_server_fatal_at_connect", "gu_error_handling"] {
        assert!(chain.contains(&step), "{chain:?}");
    }
    let fix = top["fix"].as_str().expect("fix");
    assert!(fix.contains("gunicorn ran gevent workers"), "{fix}");
    // No load-test file: the router's lines are the requests, with their statuses, and the
    // chain ends in the 5xx they saw.
    let routed = lines_with(&text, &["heroku[router]:"]);
    assert_eq!(r["outcomes"]["total"].as_u64(), Some(routed));
    assert_eq!(r["funnel"]["sent"].as_u64(), Some(routed));
    let status = |s: &str| lines_with(&text, &["heroku[router]:", &format!("status={s} ")]);
    for s in ["200", "500", "503"] {
        assert_eq!(r["outcomes"]["status"][s].as_u64().unwrap_or(0), status(s), "status {s}");
    }
    assert!(chain.contains(&"symptom:http_5xx"), "{chain:?}");
    let warned = r["warnings"].as_array().expect("warnings").iter().any(|w| {
        w.as_str().is_some_and(|w| {
            w.starts_with(&format!(
                "No load-test input: the {routed} requests counted are the router's"
            ))
        })
    });
    assert!(warned, "{}", r["warnings"]);
}

#[test]
fn router_lines_are_not_requests_beside_a_load_test() {
    let (path, _) = fixture("heroku/gevent-too-many-clients.log");
    let hammer = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/pool-exhaustion/hammer.csv");
    let rows = crate::util::read_csv(&hammer).len() as u64;
    let r = analyze_json(&[&path, hammer.to_str().expect("utf-8")]);
    assert_eq!(r["outcomes"]["total"].as_u64(), Some(rows));
    assert!(!r["warnings"].to_string().contains("No load-test input"), "{}", r["warnings"]);
    // The router's errors are still found.
    assert_eq!(counts(&r).get("heroku_h12"), Some(&1));
}

#[test]
fn cf_router_error_and_crash_are_found() {
    let (path, text) = fixture("cf/gorouter-crash.log");
    let r = analyze_json(&[&path]);
    assert_eq!(r["inputs"][0]["format"], "cf-logs");
    assert_eq!(r["inputs"][0]["parsed"].as_u64(), Some(text.lines().count() as u64));
    let found = counts(&r);
    assert_eq!(found.get("cf_router_error"), Some(&1), "{found:?}");
    assert_eq!(found.get("cf_app_crashed"), Some(&1), "{found:?}");
    assert_eq!(r["funnel"]["hit"], 1);
}

#[test]
fn published_lines_match_the_catalog() {
    // Real `heroku logs` lines: every H12, in the logfmt and the pre-2013 form.
    let (path, text) = fixture("heroku/published.log");
    let r = analyze_json(&[&path]);
    assert_eq!(r["inputs"][0]["format"], "heroku");
    let h12 = lines_with(&text, &["code=H12"]) + lines_with(&text, &["Error H12 ("]);
    assert_eq!(h12, 4);
    assert_eq!(counts(&r).get("heroku_h12"), Some(&h12));
    // Real `cf logs` lines: the crash event of cf-butler#392.
    let (path, _) = fixture("cf/published.log");
    let r = analyze_json(&[&path]);
    assert_eq!(r["inputs"][0]["format"], "cf-logs");
    assert_eq!(counts(&r).get("cf_app_crashed"), Some(&1));
}
