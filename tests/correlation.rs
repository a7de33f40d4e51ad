//! Issue 4 end to end: clock skew estimated and applied, lost requests classed, the funnel over
//! time and the loss onset, checked against truth.json and against counts made here.

use std::path::Path;

use serde_json::Value;

use crate::util::{TempDir, analyze_json, case, cmd, read_csv, run, truth};

/// Milliseconds of the day of a hammer stamp `2026-11-25T15:39:20.139Z` (the corpus format).
fn ms_of_day(stamp: &str) -> i64 {
    let time = &stamp[11..23];
    let h: i64 = time[0..2].parse().expect("hour");
    let m: i64 = time[3..5].parse().expect("minute");
    let s: i64 = time[6..8].parse().expect("second");
    let ms: i64 = time[9..12].parse().expect("millisecond");
    ((h * 60 + m) * 60 + s) * 1000 + ms
}

/// The stamp `skew_ms` later, written at `offset_min` east of UTC; the day must not change.
fn shifted(stamp: &str, skew_ms: i64, offset_min: i64) -> String {
    let local = ms_of_day(stamp) + skew_ms + offset_min * 60_000;
    assert!((0..86_400_000).contains(&local), "a shift that stays on the day");
    let (h, m, s, ms) = (local / 3_600_000, local / 60_000 % 60, local / 1000 % 60, local % 1000);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.abs();
    format!("{}T{h:02}:{m:02}:{s:02}.{ms:03}{sign}{:02}:{:02}", &stamp[..10], off / 60, off % 60)
}

/// Copies a case into `dir` with the hammer's clock moved by `skew_ms` and written at
/// `offset_min`.
fn shifted_case(name: &str, dir: &Path, skew_ms: i64, offset_min: i64) {
    for f in ["app.log", "stderr.log", "postgresql.log"] {
        std::fs::copy(case(name).join(f), dir.join(f)).expect("copy");
    }
    let text = std::fs::read_to_string(case(name).join("hammer.csv")).expect("hammer.csv");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let (stamp, rest) = line.split_once(',').expect("a row");
            out.push_str(&shifted(stamp, skew_ms, offset_min));
            out.push(',');
            out.push_str(rest);
        }
        out.push('\n');
    }
    std::fs::write(dir.join("hammer.csv"), out).expect("write hammer.csv");
}

fn loadtest_skew(r: &Value) -> &Value {
    let skews = r["correlation"]["skew"].as_array().expect("skew[]");
    skews.iter().find(|s| s["role"] == "loadtest").expect("a load-test skew entry")
}

fn funnel(r: &Value) -> [u64; 4] {
    ["sent", "hit", "started", "completed"].map(|k| r["funnel"][k].as_u64().expect("count"))
}

#[test]
fn the_bundled_skewed_sample_is_estimated_within_250_ms_and_changes_no_count() {
    let t = truth("clock-skew");
    let want = t["clock_skew_ms"].as_f64().expect("clock_skew_ms");
    assert!(want.abs() > 1000.0, "the sample is skewed by more than the slack of the window");
    let skewed = analyze_json(&[case("clock-skew").to_str().expect("path")]);
    let s = loadtest_skew(&skewed);
    let got = s["skew_ms"].as_f64().expect("skew_ms");
    assert!((got - want).abs() <= 250.0, "estimated {got} ms, truth {want} ms");
    assert_eq!(s["method"], "estimated");
    assert_eq!(s["applied"], true);
    assert!(s["confidence"].as_f64().expect("confidence") >= 0.9, "{s}");
    assert!(s["error_ms"].as_f64().expect("error_ms") < 50.0, "{s}");
    // The same run on one clock gives the same counts and the same lost requests.
    let original = analyze_json(&[case("eof-open-transaction").to_str().expect("path")]);
    assert_eq!(funnel(&skewed), funnel(&original));
    let counts = &t["counts"];
    assert_eq!(
        funnel(&skewed),
        ["sent", "hit", "started", "completed"].map(|k| counts[k].as_u64().expect("truth"))
    );
    for k in ["lost", "lost_by_class", "lost_by_route"] {
        assert_eq!(skewed["correlation"][k], original["correlation"][k], "{k}");
    }
    assert_eq!(skewed["outcomes"], original["outcomes"]);
}

#[test]
fn shifts_in_either_direction_and_any_offset_are_recovered() {
    // (case, skew ms, written at this offset east of UTC, minutes)
    let shifts = [
        ("pool-exhaustion", 2_700, 330),
        ("pool-exhaustion", -45_123, -300),
        ("eof-open-transaction", -1_300, 60),
        ("eof-open-transaction", 7_200_000, -240),
        ("healthy-baseline", 999, -480),
    ];
    for (name, skew, offset) in shifts {
        let dir = TempDir::new("skew");
        shifted_case(name, &dir.0, skew, offset);
        let r = analyze_json(&[dir.0.to_str().expect("path")]);
        let got = loadtest_skew(&r)["skew_ms"].as_f64().expect("skew_ms");
        assert!((got - skew as f64).abs() <= 250.0, "{name} {skew}: estimated {got}");
        let t = truth(name);
        let want = ["sent", "hit", "started", "completed"]
            .map(|k| t["counts"][k].as_u64().expect("truth count"));
        assert_eq!(funnel(&r), want, "{name} shifted by {skew} ms");
        let lost = &r["correlation"]["lost_by_class"];
        assert_eq!(
            lost["query_not_completed"].as_u64(),
            Some(want[2] - want[3]),
            "{name} {skew}: {lost}"
        );
    }
}

#[test]
fn skew_given_on_the_command_line_replaces_the_estimate() {
    let dir = case("clock-skew");
    let r = analyze_json(&[dir.to_str().expect("path"), "--skew", "hammer.csv=+3742ms"]);
    let s = loadtest_skew(&r);
    assert_eq!(s["method"], "override");
    assert_eq!(s["skew_ms"].as_f64(), Some(3742.0));
    assert_eq!(s["applied"], true);
    let t = truth("clock-skew");
    assert_eq!(r["funnel"]["completed"], t["counts"]["completed"]);
    // A wrong override moves the load test out of line with the app: the funnel says so.
    let wrong = analyze_json(&[dir.to_str().expect("path"), "--skew", "loadtest=-60s"]);
    assert_eq!(loadtest_skew(&wrong)["skew_ms"].as_f64(), Some(-60_000.0));
    assert!(wrong["funnel"]["hit"].as_u64() < t["counts"]["hit"].as_u64(), "{}", wrong["funnel"]);
    // Naming no input is a usage error.
    let out = run(cmd().args(["analyze", dir.to_str().expect("path"), "--skew", "nosuch.csv=1s"]));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--skew: 'nosuch.csv' names no input"), "{err}");
    let out = run(cmd().args(["analyze", dir.to_str().expect("path"), "--skew", "loadtest=soon"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn same_host_runs_have_no_skew_to_correct() {
    for name in ["pool-exhaustion", "healthy-baseline", "eof-open-transaction"] {
        let r = analyze_json(&[case(name).to_str().expect("path")]);
        let s = loadtest_skew(&r);
        let want = truth(name)["clock_skew_ms"].as_f64().expect("clock_skew_ms");
        let got = s["skew_ms"].as_f64().expect("skew_ms");
        assert!((got - want).abs() <= 10.0, "{name}: {got}");
        assert_eq!(s["applied"], false, "{name}: within its error of zero: {s}");
        let roles: Vec<&str> = r["correlation"]["skew"]
            .as_array()
            .expect("skew")
            .iter()
            .filter_map(|s| s["role"].as_str())
            .collect();
        assert!(roles.contains(&"app") && roles.contains(&"postgres"), "{roles:?}");
        assert_eq!(
            r["correlation"]["reference"].as_str().map(|p| p.ends_with("app.log")),
            Some(true)
        );
    }
}

#[test]
fn lost_requests_are_classed_where_the_truth_says_they_stopped() {
    for name in ["pool-exhaustion", "eof-open-transaction", "healthy-baseline"] {
        let t = truth(name);
        let r = analyze_json(&[case(name).to_str().expect("path")]);
        let c = &r["correlation"];
        let count = |k: &str| t["counts"][k].as_u64().expect("truth count");
        let outcome = |k: &str| t["outcomes"][k].as_u64().unwrap_or(0);
        let lost = outcome("500") + outcome("no_response");
        assert_eq!(c["lost"].as_u64(), Some(lost), "{name}");
        let classes = &c["lost_by_class"];
        // Every request reached the app and started its query in these runs; the ones lost
        // are exactly those whose query never completed.
        assert_eq!(classes["never_reached_app"].as_u64(), Some(count("sent") - count("hit")));
        assert_eq!(classes["no_query_started"].as_u64(), Some(count("hit") - count("started")));
        assert_eq!(
            classes["query_not_completed"].as_u64(),
            Some(count("started") - count("completed")),
            "{name}: {classes}"
        );
        assert_eq!(classes["completed_but_failed"].as_u64(), Some(0), "{name}");
        let by_outcome = &c["lost_by_outcome"];
        let total = |k: &str| {
            by_outcome[k]
                .as_object()
                .expect("classes")
                .values()
                .filter_map(Value::as_u64)
                .sum::<u64>()
        };
        assert_eq!(total("status_5xx"), outcome("500"), "{name}");
        assert_eq!(total("no_response"), outcome("no_response"), "{name}");
        // Per route, against the truth's per-route funnel.
        for (route, f) in t["funnel_by_route"].as_object().expect("funnel_by_route") {
            let rl = &c["lost_by_route"][route];
            let lost =
                f["started"].as_u64().expect("started") - f["completed"].as_u64().expect("c");
            assert_eq!(rl["query_not_completed"].as_u64(), Some(lost), "{name} {route}: {rl}");
            assert_eq!(rl["sent"], f["sent"], "{name} {route}");
        }
        assert_eq!(c["matching"]["app_events_joined_by"], "request_id");
        assert_eq!(c["matching"]["per_route"], true);
    }
}

#[test]
fn buckets_add_up_to_the_hammer_csv_and_name_the_onset() {
    for name in ["pool-exhaustion", "eof-open-transaction", "healthy-baseline"] {
        let rows = read_csv(&case(name).join("hammer.csv"));
        let r = analyze_json(&[case(name).to_str().expect("path")]);
        let c = &r["correlation"];
        let buckets = c["buckets"].as_array().expect("buckets");
        assert!(buckets.len() <= 60, "auto-sized to at most 60 buckets");
        let sum = |k: &str| buckets.iter().map(|b| b[k].as_u64().expect(k)).sum::<u64>();
        let count =
            |f: &dyn Fn(&str) -> bool| rows.iter().filter(|r| f(&r["status"])).count() as u64;
        assert_eq!(sum("sent"), rows.len() as u64, "{name}");
        assert_eq!(sum("status_2xx"), count(&|s| s.starts_with('2')), "{name}");
        assert_eq!(sum("status_5xx"), count(&|s| s.starts_with('5')), "{name}");
        assert_eq!(sum("no_response"), count(&|s| s.is_empty()), "{name}");
        assert_eq!(sum("lost"), c["lost"].as_u64().expect("lost"), "{name}");
        let t = truth(name);
        assert_eq!(sum("completed"), t["counts"]["completed"].as_u64().expect("c"), "{name}");
        // Each bucket holds the rows sent in it.
        let width = c["bucket_ms"].as_f64().expect("bucket_ms") as i64;
        for b in buckets {
            let start = ms_of_day(b["start"].as_str().expect("start"));
            let n = rows
                .iter()
                .filter(|r| (start..start + width).contains(&ms_of_day(&r["sent_at"])))
                .count() as u64;
            assert_eq!(b["sent"].as_u64(), Some(n), "{name} {}", b["start"]);
        }
        // The onset: the first failed request, found here by scanning the CSV.
        let first_failed = rows
            .iter()
            .filter(|r| r["status"].is_empty() || r["status"].starts_with('5'))
            .map(|r| r["sent_at"].clone())
            .min();
        match first_failed {
            None => assert!(c["loss_onset"].is_null(), "{name}: {}", c["loss_onset"]),
            Some(first) => {
                let on = &c["loss_onset"];
                assert_eq!(
                    ms_of_day(on["first_lost"].as_str().expect("first_lost")),
                    ms_of_day(&first)
                );
                assert_eq!(ms_of_day(on["at"].as_str().expect("at")), ms_of_day(&first), "{name}");
                let sig = on["signature"]["id"].as_str().expect("a signature near the onset");
                assert_eq!(Some(sig), t["primary_signature"].as_str(), "{name}");
                let offset = on["signature"]["offset_s"].as_f64().expect("offset_s");
                assert!(offset.abs() <= 10.0, "{name}: {offset}");
            }
        }
    }
}

#[test]
fn bucket_width_can_be_given() {
    let r =
        analyze_json(&[case("eof-open-transaction").to_str().expect("path"), "--bucket", "500ms"]);
    let c = &r["correlation"];
    assert_eq!(c["bucket_ms"].as_f64(), Some(500.0));
    assert_eq!(c["bucket_auto"], false);
    let starts: Vec<i64> = c["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| ms_of_day(b["start"].as_str().expect("start")))
        .collect();
    assert!(starts.windows(2).all(|w| w[1] - w[0] == 500), "contiguous 500 ms buckets");
    assert!(starts.iter().all(|s| s % 500 == 0), "aligned to the width");
    let dir = case("eof-open-transaction");
    let out = run(cmd().args(["analyze", dir.to_str().expect("path"), "--bucket", "0s"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_table_names_the_skew_the_lost_classes_and_the_onset() {
    let out =
        run(cmd().args(["analyze", "--width", "120", case("clock-skew").to_str().expect("p")]));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let r = analyze_json(&[case("clock-skew").to_str().expect("path")]);
    let s = loadtest_skew(&r);
    let skew = format!("hammer.csv: {:+.1} ms against app.log", s["skew_ms"].as_f64().expect("ms"));
    assert!(text.contains(&skew), "{skew}\n{text}");
    assert!(text.contains("Lost requests (client saw a 5xx or no response)"), "{text}");
    assert!(text.contains("Funnel over time (2 s buckets, by send time)"), "{text}");
    let at = &r["correlation"]["loss_onset"]["at"].as_str().expect("at")[11..23];
    let line = format!("Requests start being lost at {at}");
    assert!(text.contains(&line), "{line}\n{text}");
    assert!(text.contains("First signature around it: gunicorn_worker_timeout"), "{text}");
}
