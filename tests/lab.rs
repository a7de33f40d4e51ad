//! The incident lab's cases (`samples/lab-*`, made by `samples/lab/lab.py`: real servers,
//! a real Postgres, counters kept outside the logs) against their truth.json (issue 10).

use crate::corpus::{check_counts, check_inputs_as, check_signatures, report};
use crate::util::{case, cmd, read_csv, run, truth};

/// The files every lab case has, with their formats.
const COMMON: [(&str, &str); 4] = [
    ("app.log", "json-log"),
    ("hammer.csv", "loadtest-csv"),
    ("stderr.log", "console"),
    ("truth.json", "unknown"),
];

/// Counts, latency, signatures with the top hypothesis, and inputs of case `name`, whose
/// Postgres log is in the files `pg` (with their formats).
fn check_case(name: &str, pg: &[(&str, &str)]) {
    check_counts(name);
    check_latency(name);
    check_signatures(name);
    let mut want: Vec<(&str, &str)> = COMMON.iter().chain(pg).copied().collect();
    want.sort();
    check_inputs_as(name, &want);
    assert!(truth(name)["fault"].is_string(), "{name}: truth names its fault");
}

/// Latency of successful requests per route: count, mean and max as the hammer's own tallies
/// in truth.json say; the median and p95 as the rows of hammer.csv give them, read here
/// without the tool (the truth interpolates between ranks, the report takes the nearest
/// rank, and these runs have few slow requests, so the two differ by a rank's gap).
fn check_latency(name: &str) {
    let (rep, t) = (report(name), truth(name));
    let rows = read_csv(&case(name).join("hammer.csv"));
    for (route, want) in t["hammer_by_route"].as_object().expect("hammer_by_route") {
        let w = &want["latency_200_ms"];
        let got = &rep["latency_ms"]["by_route"][route];
        assert_eq!(got["count"], w["n"], "{name} {route}: n");
        let num = |v: &serde_json::Value| v.as_f64().expect("number");
        assert!((num(&got["mean"]) - num(&w["mean"])).abs() <= 0.051, "{name} {route}: mean");
        assert!((num(&got["max"]) - num(&w["max"])).abs() <= 0.051, "{name} {route}: max");
        let mut ms: Vec<f64> = rows
            .iter()
            .filter(|r| r["route"] == *route && r["status"] == "200")
            .map(|r| r["elapsed_ms"].parse::<f64>().expect("elapsed_ms"))
            .collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        assert_eq!(n as u64, w["n"].as_u64().expect("n"), "{name} {route}: rows");
        let median = if n % 2 == 1 { ms[n / 2] } else { (ms[n / 2 - 1] + ms[n / 2]) / 2.0 };
        let p95 = ms[((0.95 * n as f64).ceil() as usize).max(1) - 1];
        assert!((num(&got["median"]) - median).abs() <= 0.051, "{name} {route}: median");
        assert!(
            (num(&got["p95"]) - p95).abs() <= 0.051,
            "{name} {route}: p95 {} vs {p95}",
            got["p95"]
        );
    }
}

/// The Postgres destinations of one run: the csvlog (else the jsonlog) read, the others
/// listed as its copies, not read.
fn check_copies(name: &str, read: &str, copies: &[&str]) {
    let rep = report(name);
    for i in rep["inputs"].as_array().expect("inputs") {
        let path = i["path"].as_str().expect("path");
        let file = path.rsplit('/').next().expect("file");
        if copies.contains(&file) {
            let of = i["copy_of"].as_str().expect("a copy names what it copies");
            assert!(of.ends_with(read), "{name}: {file} copies {of}");
            assert_eq!(i["lines"], 0, "{name}: {file} is not read");
        } else {
            assert!(i["copy_of"].is_null(), "{name}: {file}");
        }
    }
}

#[test]
fn worker_timeout_gunicorn_sync() {
    let pg = [
        ("postgresql.csv", "postgres-csv"),
        ("postgresql.json", "postgres-json"),
        ("postgresql.log", "postgres"),
    ];
    check_case("lab-worker-timeout", &pg);
    check_copies("lab-worker-timeout", "postgresql.csv", &["postgresql.json", "postgresql.log"]);
    let rep = report("lab-worker-timeout");
    // Every kill is a WORKER TIMEOUT followed by a SIGKILL of the same pid, not an OOM kill.
    let fix = rep["hypotheses"][0]["fix"].as_str().expect("fix");
    let t = truth("lab-worker-timeout");
    let kills = t["signature_line_counts"]["gunicorn_worker_timeout"].as_u64().expect("count");
    assert!(fix.contains(&format!("gunicorn timed out {kills} workers")), "{fix}");
    assert!(fix.contains("for all of them the \"Perhaps out of memory?\" hint is not an OOM kill"));
}

#[test]
fn slow_db_uwsgi() {
    check_case("lab-slow-db", &[("postgresql.log", "postgres")]);
    let (rep, t) = (report("lab-slow-db"), truth("lab-slow-db"));
    // The run turned bad when the lock was taken: the onset is in the lock's window.
    let (lock_start, lock_end) = (
        t["db_lock"]["start_utc"].as_str().expect("start"),
        t["db_lock"]["end_utc"].as_str().expect("end"),
    );
    assert_eq!(rep["onset"]["status"], "onset");
    let at = rep["onset"]["at"].as_str().expect("at");
    // Bucket starts are whole seconds: the onset's bucket holds the lock's start or follows it.
    assert!(at[..19] >= lock_start[..19] && at[..19] <= lock_end[..19], "{at}");
}

#[test]
fn thread_exhaustion_werkzeug() {
    check_case("lab-thread-exhaustion", &[("postgresql.log", "postgres")]);
    let rep = report("lab-thread-exhaustion");
    // The requests that could not get a thread never reached the app: no response.
    let t = truth("lab-thread-exhaustion");
    assert_eq!(rep["outcomes"]["no_response"], t["outcomes"]["no_response"]);
    assert_eq!(rep["funnel"]["hit"], t["counts"]["hit"]);
}

#[test]
fn pool_exhaustion_uwsgi() {
    check_case(
        "lab-pool-exhaustion",
        &[("postgresql.csv", "postgres-csv"), ("postgresql.log", "postgres")],
    );
    check_copies("lab-pool-exhaustion", "postgresql.csv", &["postgresql.log"]);
    let rep = report("lab-pool-exhaustion");
    let fix = rep["hypotheses"][0]["fix"].as_str().expect("fix");
    let t = truth("lab-pool-exhaustion");
    let (size, overflow) = (&t["config"]["pool_size"], &t["config"]["max_overflow"]);
    assert!(fix.contains(&format!("pool_size {size} + max_overflow {overflow}")), "{fix}");
}

#[test]
fn too_many_clients_gunicorn_gevent() {
    check_case(
        "lab-too-many-clients-gevent",
        &[("postgresql.json", "postgres-json"), ("postgresql.log", "postgres")],
    );
    check_copies("lab-too-many-clients-gevent", "postgresql.json", &["postgresql.log"]);
    // The chain of the Heroku notes: gevent workers, each request its own connection,
    // Postgres refuses new clients, the requests fail with 500.
    let rep = report("lab-too-many-clients-gevent");
    let top = &rep["hypotheses"][0];
    assert!(top["chain"].as_array().expect("chain").iter().any(|c| c == "symptom:http_5xx"));
    let fix = top["fix"].as_str().expect("fix");
    assert!(fix.contains("gunicorn ran gevent workers: a greenlet serving a request opens its own database connection"), "{fix}");
    let t = truth("lab-too-many-clients-gevent");
    let refused = t["outcomes"]["500"].as_u64().expect("500s");
    assert!(fix.contains(&format!("Postgres refused new clients {refused} times")), "{fix}");
}

#[test]
fn healthy_waitress() {
    check_case("lab-healthy", &[("postgresql.log", "postgres")]);
}

#[test]
fn healthy_but_slower_waitress_is_healthy_and_fails_a_latency_check() {
    check_case("lab-healthy-slower", &[("postgresql.log", "postgres")]);
    let t = truth("lab-healthy-slower");
    let baseline = t["baseline_case"].as_str().expect("baseline_case");
    let (slow, base) = (report("lab-healthy-slower"), report(baseline));
    let p50 = |r: &serde_json::Value| r["latency_ms"]["median"].as_f64().expect("median");
    assert!(p50(&slow) > 2.0 * p50(&base), "{} vs {}", p50(&slow), p50(&base));
    // Nothing failed, yet a CI latency rule against the baseline breaks: exit 1.
    let out = run(cmd()
        .args(["check", "--max-p50-increase", "50%", "--baseline"])
        .arg(case(baseline))
        .arg(case("lab-healthy-slower")));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let same = run(cmd()
        .args(["check", "--max-p50-increase", "50%", "--baseline"])
        .arg(case(baseline))
        .arg(case(baseline)));
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));
}

#[test]
fn pool_exhaustion_waitress() {
    check_case("lab-pool-exhaustion-waitress", &[("postgresql.log", "postgres")]);
    // waitress's queue warnings say its threads were all busy, waiting on the pool.
    let rep = report("lab-pool-exhaustion-waitress");
    let stderr = std::fs::read_to_string(case("lab-pool-exhaustion-waitress").join("stderr.log"))
        .expect("stderr.log");
    let queued = stderr.lines().filter(|l| l.contains("Task queue depth is ")).count() as u64;
    let found = rep["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .find(|s| s["id"] == "waitress_queue_depth")
        .map_or(0, |s| s["count"].as_u64().expect("count"));
    assert!(queued > 0);
    assert_eq!(found, queued);
}
