//! Issue 7 end to end: `diff` and `check` on pairs of runs whose difference is known.

use std::path::Path;

use serde_json::Value;

use crate::util::{TempDir, case, cmd, run};

/// A copy of a case whose hammer.csv latencies are multiplied by `factor` (the app, console
/// and Postgres logs unchanged): the same run, only slower as the client saw it.
fn slower_copy(name: &str, dir: &Path, factor: f64) {
    for f in ["app.log", "stderr.log", "postgresql.log"] {
        std::fs::copy(case(name).join(f), dir.join(f)).expect("copy");
    }
    let text = std::fs::read_to_string(case(name).join("hammer.csv")).expect("hammer.csv");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let col = header.split(',').position(|h| h == "elapsed_ms").expect("elapsed_ms column");
    let mut out = format!("{header}\n");
    for line in lines {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if let Ok(ms) = cells[col].parse::<f64>() {
            cells[col] = format!("{:.1}", ms * factor);
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(dir.join("hammer.csv"), out).expect("write");
}

/// A deterministic generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A hammer CSV of `n` requests from one healthy stack: latencies log-normal around 40 ms,
/// 0.2% 500s; `seed` makes a different run of the same stack.
fn healthy_run(path: &Path, n: usize, seed: u64) {
    let mut rng = Lcg(seed);
    let mut out =
        String::from("sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n");
    for i in 0..n {
        let ms_of_day = 9 * 3_600_000 + i * 50;
        let (h, m, s, ms) = (
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60,
            ms_of_day / 1000 % 60,
            ms_of_day % 1000,
        );
        // Box-Muller: a normal draw, then log-normal latency.
        let z = (-2.0 * rng.unit().max(1e-12).ln()).sqrt()
            * (2.0 * std::f64::consts::PI * rng.unit()).cos();
        let latency = (40f64.ln() + 0.35 * z).exp();
        let status = if rng.unit() < 0.002 { "500" } else { "200" };
        out.push_str(&format!(
            "2026-11-25T{h:02}:{m:02}:{s:02}.{ms:03}Z,/r,http://x/r,100,50,{status},{latency:.1},\n"
        ));
    }
    std::fs::write(path, out).expect("write");
}

fn diff_json(base: &Path, cand: &Path) -> Value {
    let out = run(cmd().args(["diff", "--format", "json"]).arg(base).arg(cand));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn row<'a>(d: &'a Value, metric: &str) -> &'a Value {
    d["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {metric}"))
}

#[test]
fn a_slower_candidate_is_a_latency_regression_and_nothing_else() {
    let dir = TempDir::new("slower");
    slower_copy("healthy-baseline", &dir.0, 1.4);
    let d = diff_json(&case("healthy-baseline"), &dir.0);
    assert_eq!(d["schema"], "rootcause.diff/v1");
    assert_eq!(d["verdict"], "regression");
    assert_eq!(d["regressions"], serde_json::json!(["latency"]), "{}", d["regressions"]);
    let median = row(&d, "median_ms");
    assert_eq!(median["verdict"], "worse");
    assert_eq!(median["test"], "mann_whitney_u");
    assert!(median["p_value"].as_f64().expect("p") < 1e-6);
    let pct = median["delta_pct"].as_f64().expect("delta_pct");
    assert!((35.0..45.0).contains(&pct), "the median moved by the factor: {pct}");
    // The tail moved as much, but 450 requests show a tail shift less surely than a median
    // shift: the row reports its test and interval, whatever its verdict.
    let p95 = row(&d, "p95_ms");
    assert_eq!(p95["test"], "quantile_fisher");
    let pct = p95["delta_pct"].as_f64().expect("delta_pct");
    assert!((35.0..45.0).contains(&pct), "{p95}");
    assert!(p95["p_value"].as_f64().is_some() && p95["interval"].is_array(), "{p95}");
    for r in d["rows"].as_array().expect("rows") {
        if r["section"] == "signatures" {
            assert_ne!(r["verdict"], "new", "no new signature: {r}");
        }
        if r["section"] != "latency" {
            assert_eq!(r["regression"], false, "only latency regressed: {r}");
        }
    }
    // The other way round it is an improvement.
    let back = diff_json(&dir.0, &case("healthy-baseline"));
    assert_eq!(back["verdict"], "improvement");
    assert_eq!(row(&back, "median_ms")["verdict"], "better");
}

#[test]
fn a_candidate_that_gains_a_signature_says_so() {
    let d = diff_json(&case("healthy-baseline"), &case("pool-exhaustion"));
    assert_eq!(d["verdict"], "regression");
    let regs: Vec<&str> =
        d["regressions"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert!(regs.contains(&"new_signature") && regs.contains(&"errors"), "{regs:?}");
    let q = row(&d, "queuepool_exhausted");
    assert_eq!(
        (q["verdict"].as_str(), q["base"].as_f64(), q["cand"].as_f64()),
        (Some("new"), Some(0.0), Some(161.0))
    );
    assert_eq!(q["regression"], true);
    let err = row(&d, "error_rate_pct");
    assert_eq!((err["base"].as_f64(), err["cand"].as_f64()), (Some(0.0), Some(15.33)));
    assert_eq!(err["verdict"], "worse");
    // The terminal shows the verdict and marks the rows.
    let out = run(cmd()
        .args(["diff", "--width", "120"])
        .arg(case("healthy-baseline"))
        .arg(case("pool-exhaustion")));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Verdict: regression (errors, funnel, latency, new_signature)."),
        "{text}"
    );
    assert!(text.contains("queuepool_exhausted") && text.contains("new ◀"), "{text}");
}

#[test]
fn two_runs_of_the_same_healthy_stack_are_no_regression() {
    let dir = TempDir::new("same");
    // Five pairs of independent runs of one stack: not one false alarm.
    for seed in 1..=5u64 {
        let (a, b) = (dir.join(&format!("a{seed}.csv")), dir.join(&format!("b{seed}.csv")));
        healthy_run(&a, 2000, seed);
        healthy_run(&b, 2000, seed + 100);
        let d = diff_json(&a, &b);
        assert_eq!(d["verdict"], "no_regression", "seed {seed}: {:#}", d["rows"]);
        assert!(d["regressions"].as_array().expect("list").is_empty());
    }
    // The real healthy run cut into two interleaved halves.
    let rows = std::fs::read_to_string(case("healthy-baseline").join("hammer.csv")).expect("csv");
    let mut lines = rows.lines();
    let header = lines.next().expect("header");
    let (mut odd, mut even) = (format!("{header}\n"), format!("{header}\n"));
    for (i, l) in lines.enumerate() {
        let half = if i % 2 == 0 { &mut even } else { &mut odd };
        half.push_str(l);
        half.push('\n');
    }
    std::fs::write(dir.join("odd.csv"), odd).expect("write");
    std::fs::write(dir.join("even.csv"), even).expect("write");
    let d = diff_json(&dir.join("odd.csv"), &dir.join("even.csv"));
    assert_eq!(d["verdict"], "no_regression", "{:#}", d["rows"]);
}

#[test]
fn check_exits_by_its_rules_and_writes_junit() {
    let dir = TempDir::new("check");
    slower_copy("healthy-baseline", &dir.0, 2.0);
    let junit = dir.join("junit.xml");
    let out = run(cmd()
        .args(["check", "--max-p95-increase", "10%", "--max-error-rate", "1%", "--fail-on", "new"])
        .arg(&dir.0)
        .arg("--baseline")
        .arg(case("healthy-baseline"))
        .arg("--junit")
        .arg(&junit));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  max-p95-increase 10%: p95"), "{text}");
    assert!(text.contains("PASS  max-error-rate 1%: 0 of 450 requests failed"), "{text}");
    assert!(text.contains("PASS  fail-on new: not found"), "{text}");
    assert!(text.contains("failed: 1 of 3 rules broken"), "{text}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert!(xml.contains("name=\"max-p95-increase 10%\""));

    // 40% slower: the median rule fails; the p95 rule is over its limit but 450 requests do
    // not show a tail shift beyond noise, and it says so.
    let mild = TempDir::new("mild");
    slower_copy("healthy-baseline", &mild.0, 1.4);
    let out = run(cmd()
        .args(["check", "--max-p50-increase", "10%", "--max-p95-increase", "10%"])
        .arg(&mild.0)
        .arg("--baseline")
        .arg(case("healthy-baseline")));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  max-p50-increase 10%: p50"), "{text}");
    assert!(text.contains("PASS  max-p95-increase 10%"), "{text}");
    assert!(text.contains("over the limit, but not significant at 0.01"), "{text}");

    // The same run against itself holds every rule.
    let ok = run(cmd()
        .args(["check", "--max-p95-increase", "10%", "--max-error-rate", "1%"])
        .arg(case("healthy-baseline"))
        .arg("--baseline")
        .arg(case("healthy-baseline")));
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));

    // Rules from a checked-in file; a signature rule breaks on the pool-exhaustion run.
    let conf = dir.join("rootcause-check.conf");
    std::fs::write(&conf, "# CI limits\nmax-error-rate = 20%\nfail-on = queuepool_exhausted\n")
        .expect("write");
    let out = run(cmd().arg("check").arg(case("pool-exhaustion")).arg("--config").arg(&conf));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("PASS  max-error-rate 20%: 161 of 1050 requests failed (15.33%"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  fail-on queuepool_exhausted: found: queuepool_exhausted ×161"),
        "{text}"
    );

    // Usage and input errors exit 2.
    std::fs::write(&conf, "max-error-rate 20%\n").expect("write");
    let bad = run(cmd().arg("check").arg(case("pool-exhaustion")).arg("--config").arg(&conf));
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("rootcause-check.conf:1: expected 'rule = value'")
    );
    let bad = run(cmd().args(["check", "--max-p95-increase", "10%"]).arg(case("pool-exhaustion")));
    assert_eq!(bad.status.code(), Some(2), "a latency rule needs a baseline");
    let bad = run(cmd().args(["check", "--max-error-rate", "1%", "/no/such/run"]));
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn saved_reports_are_read_back_and_their_schema_checked() {
    let dir = TempDir::new("saved");
    let save = |name: &str| {
        let file = dir.join(&format!("{name}.json"));
        let out = run(cmd().args(["analyze", "--format", "json", "-o"]).arg(&file).arg(case(name)));
        assert!(out.status.success());
        file
    };
    let (base, cand) = (save("healthy-baseline"), save("pool-exhaustion"));
    let from_reports = diff_json(&base, &cand);
    let from_logs = diff_json(&case("healthy-baseline"), &case("pool-exhaustion"));
    assert_eq!(from_reports["base"]["from"], "report");
    assert_eq!(from_logs["base"]["from"], "logs");
    assert_eq!(from_reports["rows"], from_logs["rows"], "a saved report compares as its logs");
    assert_eq!(from_reports["verdict"], from_logs["verdict"]);

    // Another schema version: a clear error, exit 2.
    let text = std::fs::read_to_string(&base).expect("read");
    let v2 = dir.join("v2.json");
    std::fs::write(&v2, text.replacen("rootcause.report/v1", "rootcause.report/v2", 1)).expect("w");
    let out = run(cmd().arg("diff").arg(&v2).arg(&cand));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("report schema is rootcause.report/v2; this rootcause"), "{err}");
    assert!(err.contains("reads rootcause.report/v1"), "{err}");
    // A report of several runs names the problem too.
    let runs = dir.join("runs.json");
    let out = run(cmd()
        .args(["analyze", "--format", "json", "-o"])
        .arg(&runs)
        .args(["--run", &format!("a={}", case("healthy-baseline").display())])
        .args(["--run", &format!("b={}", case("pool-exhaustion").display())]));
    assert!(out.status.success());
    let out = run(cmd().arg("diff").arg(&runs).arg(&cand));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds 2 runs"));
    // Two PATHs or nothing.
    let out = run(cmd().arg("diff").arg(&base));
    assert_eq!(out.status.code(), Some(2));
}
