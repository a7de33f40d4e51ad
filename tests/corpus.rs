//! The bundled real-log cases against their truth.json (counters kept outside the logs).

use serde_json::Value;

use crate::util::{analyze_json, case, truth};

const FAILURE_SIGNATURES: [&str; 5] = [
    "queuepool_exhausted",
    "thread_start_failed",
    "pg_eof_open_transaction",
    "pg_too_many_clients",
    "gunicorn_worker_timeout",
];

pub(crate) fn report(name: &str) -> Value {
    analyze_json(&[case(name).to_str().expect("utf-8 path")])
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// Funnel, outcomes and per-route numbers equal the truth's counters.
pub(crate) fn check_counts(name: &str) {
    let (rep, t) = (report(name), truth(name));
    for stage in ["sent", "hit", "started", "completed"] {
        assert_eq!(rep["funnel"][stage], t["counts"][stage], "{name}: funnel.{stage}");
    }
    let outcomes = &rep["outcomes"];
    for (key, want) in t["outcomes"].as_object().expect("outcomes") {
        let got = if key == "no_response" {
            u(&outcomes["no_response"])
        } else {
            outcomes["status"][key].as_u64().unwrap_or(0)
        };
        assert_eq!(got, u(want), "{name}: outcomes.{key}");
    }
    assert_eq!(u(&outcomes["total"]), u(&t["counts"]["sent"]), "{name}: outcomes.total");
    for (route, want) in t["funnel_by_route"].as_object().expect("funnel_by_route") {
        let got = &rep["funnel"]["by_route"][route];
        for stage in ["sent", "hit", "started", "completed"] {
            assert_eq!(got[stage], want[stage], "{name}: funnel.by_route[{route}].{stage}");
        }
        let oc = &rep["outcomes"]["by_route"][route];
        for (key, n) in want["outcomes"].as_object().expect("route outcomes") {
            let got = if key == "no_response" {
                u(&oc["no_response"])
            } else {
                oc["status"][key].as_u64().unwrap_or(0)
            };
            assert_eq!(got, u(n), "{name}: outcomes.by_route[{route}].{key}");
        }
    }
}

/// Latency of successful requests per route agrees with the hammer's own tallies.
pub(crate) fn check_latency(name: &str) {
    let (rep, t) = (report(name), truth(name));
    for (route, want) in t["hammer_by_route"].as_object().expect("hammer_by_route") {
        let w = &want["latency_200_ms"];
        let got = &rep["latency_ms"]["by_route"][route];
        assert_eq!(got["count"], w["n"], "{name} {route}: n");
        let close = |field: &str, truth_field: &str, tol: f64| {
            let (g, t) =
                (got[field].as_f64().expect("number"), w[truth_field].as_f64().expect("number"));
            assert!((g - t).abs() <= tol, "{name} {route}: {field} {g} vs truth {t}");
        };
        // The truth rounds to 0.1 ms. Count, mean and max are definition-free: exact.
        close("mean", "mean", 0.051);
        close("max", "max", 0.051);
        // The hammer's tallies take the sample at index floor(p*n) for a percentile and the
        // upper middle for the median; rootcause uses nearest rank (index ceil(p*n)-1) and the
        // mean of the two middles. They differ by at most one rank, which is under 1% here.
        let rank_tol = |v: f64| (v * 0.01).max(1.0);
        close("median", "p50", rank_tol(w["p50"].as_f64().expect("p50")));
        close("p95", "p95", rank_tol(w["p95"].as_f64().expect("p95")));
    }
}

/// Signature ids, counts and the top hypothesis match the truth.
pub(crate) fn check_signatures(name: &str) {
    let (rep, t) = (report(name), truth(name));
    let found: Vec<(&str, u64)> = rep["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| (s["id"].as_str().expect("id"), u(&s["count"])))
        .collect();
    let expected: Vec<&str> = t["expected_signatures"]
        .as_array()
        .expect("expected")
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| *s != "none")
        .collect();
    for id in FAILURE_SIGNATURES {
        let got = found.iter().find(|(f, _)| *f == id).map_or(0, |(_, n)| *n);
        assert_eq!(got, u(&t["signature_line_counts"][id]), "{name}: count of {id}");
        assert_eq!(
            got > 0,
            expected.contains(&id),
            "{name}: {id} expected={}",
            expected.contains(&id)
        );
    }
    for s in rep["signatures"].as_array().expect("signatures") {
        let first = s["evidence"][0].clone();
        assert!(
            first["path"].as_str().is_some_and(|p| !p.is_empty()),
            "{name}: evidence has a path"
        );
        assert!(u(&first["line"]) >= 1, "{name}: evidence has a line");
        // Both times, in order; or neither, for a signature found only in an input without
        // any timestamp (waitress's console in Python logging's default format).
        match (s["first_seen"].as_str(), s["last_seen"].as_str()) {
            (Some(f), Some(l)) => assert!(f <= l, "{name}: {s}"),
            (None, None) => assert!(s["evidence"][0]["ts"].is_null(), "{name}: {s}"),
            _ => panic!("{name}: one of first_seen and last_seen: {s}"),
        }
    }
    let hyps = rep["hypotheses"].as_array().expect("hypotheses");
    match t["primary_signature"].as_str() {
        None => {
            assert!(hyps.is_empty(), "{name}: healthy run, yet hypotheses {hyps:?}");
            assert_eq!(rep["diagnosis"]["verdict"], "no_failure");
            assert!(
                rep["diagnosis"]["statement"]
                    .as_str()
                    .expect("statement")
                    .starts_with("No failure found")
            );
        }
        // The root is in no log (a table lock): the effects are roots of their own, the
        // expected failure signatures all in some chain, none of them with high confidence.
        Some(primary) if t["root_in_logs"] == false => {
            let roots: Vec<&Value> = hyps.iter().map(|h| &h["root"]).collect();
            assert!(roots.iter().any(|r| *r == primary), "{name}: {roots:?}");
            for id in &expected {
                let in_chain =
                    |h: &Value| h["chain"].as_array().is_some_and(|c| c.iter().any(|c| c == id));
                assert!(hyps.iter().any(in_chain), "{name}: no chain has {id}");
            }
            let c = hyps[0]["confidence"].as_f64().expect("confidence");
            assert!(c < 0.75, "{name}: confidence {c} with the root in no log");
            let explained: u64 = hyps.iter().map(|h| u(&h["explains_failed"])).sum();
            assert!(explained < u(&rep["outcomes"]["failed"]), "{name}: all explained?");
        }
        Some(primary) => {
            let top = &hyps[0];
            assert_eq!(top["rank"], 1);
            assert_eq!(top["root"], primary, "{name}: top hypothesis root");
            assert_eq!(top["chain"][0], primary);
            for id in &expected {
                assert!(
                    top["chain"].as_array().expect("chain").iter().any(|c| c == id),
                    "{name}: chain lacks {id}"
                );
            }
            let c = top["confidence"].as_f64().expect("confidence");
            assert!((0.75..1.0).contains(&c), "{name}: confidence {c}");
            assert_eq!(rep["diagnosis"]["verdict"], "explained");
            let summary = top["summary"].as_str().expect("summary");
            let failed = u(&rep["outcomes"]["failed"]);
            // Every failed request of these runs follows a step of the chain.
            assert!(
                summary.contains(&format!("accounts for {failed} of the {failed} failed requests")),
                "{summary}"
            );
            assert_eq!((u(&top["explains_failed"]), u(&top["failed"])), (failed, failed));
            // The root is the first step that is not context, and every step after it names
            // the step it follows from.
            let steps = top["steps"].as_array().expect("steps");
            let root_at = steps.iter().position(|s| s["role"] == "root").expect("a root step");
            assert_eq!(steps[root_at]["id"], primary);
            for s in &steps[root_at + 1..] {
                assert_eq!(s["role"], "effect");
                let cause = s["cause"].as_str().expect("cause");
                assert!(
                    steps[..root_at + 1]
                        .iter()
                        .chain(&steps[root_at + 1..])
                        .any(|x| x["id"] == cause)
                );
                assert!(s["supported"].as_u64().expect("supported") > 0, "{s}");
            }
            assert!(summary.contains(primary), "{summary}");
        }
    }
}

/// Every line of every log is accounted for, and the logs are read as the right formats.
fn check_inputs(name: &str) {
    let want = [
        ("app.log", "json-log"),
        ("hammer.csv", "loadtest-csv"),
        ("postgresql.log", "postgres"),
        ("stderr.log", "console"),
        ("truth.json", "unknown"),
    ];
    check_inputs_as(name, &want);
}

/// Every line of every log read is accounted for, and the files of case `name` are read as
/// the formats `want` gives (file name, format).
pub(crate) fn check_inputs_as(name: &str, want: &[(&str, &str)]) {
    let rep = report(name);
    let formats: Vec<(String, String)> = rep["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            let path = i["path"].as_str().expect("path");
            let file = path.rsplit('/').next().expect("file").to_string();
            (file, i["format"].as_str().expect("format").to_string())
        })
        .collect();
    let want: Vec<(String, String)> =
        want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(formats, want, "{name}");
    for i in rep["inputs"].as_array().expect("inputs") {
        let (lines, parsed, skipped) = (u(&i["lines"]), u(&i["parsed"]), u(&i["skipped"]));
        assert_eq!(parsed + skipped, lines, "{name}: {} accounts for every line", i["path"]);
        let reasons: u64 = i["skipped_reasons"].as_object().expect("reasons").values().map(u).sum();
        assert_eq!(reasons, skipped, "{name}: {}", i["path"]);
        if i["format"] != "unknown" {
            // Logs written by real software: nothing is left unread but blank lines.
            let non_blank = skipped - i["skipped_reasons"]["blank"].as_u64().unwrap_or(0);
            assert_eq!(non_blank, 0, "{name}: {} skipped {}", i["path"], i["skipped_reasons"]);
        }
    }
}

#[test]
fn pool_exhaustion_counts() {
    check_counts("pool-exhaustion");
}

#[test]
fn pool_exhaustion_latency() {
    check_latency("pool-exhaustion");
}

#[test]
fn pool_exhaustion_signatures_and_hypothesis() {
    check_signatures("pool-exhaustion");
}

#[test]
fn pool_exhaustion_inputs() {
    check_inputs("pool-exhaustion");
}

#[test]
fn eof_open_transaction_counts() {
    check_counts("eof-open-transaction");
}

#[test]
fn eof_open_transaction_latency() {
    check_latency("eof-open-transaction");
}

#[test]
fn eof_open_transaction_signatures_and_hypothesis() {
    check_signatures("eof-open-transaction");
}

#[test]
fn eof_open_transaction_inputs() {
    check_inputs("eof-open-transaction");
}

#[test]
fn healthy_baseline_counts() {
    check_counts("healthy-baseline");
}

#[test]
fn healthy_baseline_latency() {
    check_latency("healthy-baseline");
}

#[test]
fn healthy_baseline_has_no_failure_and_no_hypothesis() {
    check_signatures("healthy-baseline");
    let rep = report("healthy-baseline");
    assert!(
        rep["signatures"].as_array().expect("signatures").iter().all(|s| s["failure"] == false)
    );
}

#[test]
fn healthy_baseline_inputs() {
    check_inputs("healthy-baseline");
}

#[test]
fn pool_exhaustion_fix_quotes_the_pool_numbers() {
    let rep = report("pool-exhaustion");
    let fix = rep["hypotheses"][0]["fix"].as_str().expect("fix");
    assert!(fix.contains("pool_size 5 + max_overflow 10 = 15"), "{fix}");
    assert!(fix.contains("2.00 s"), "{fix}");
    assert_eq!(rep["signatures"][0]["captures"]["size"]["5"], 161);
}
