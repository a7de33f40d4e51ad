//! Issue 3 end to end: the seed report's tables, throughput, latency phases and several runs
//! side by side, checked against counts made here from the CSVs themselves.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{analyze_json, case, cmd, read_csv, run};

const CASES: [&str; 4] =
    ["pool-exhaustion", "healthy-baseline", "eof-open-transaction", "latency-phases"];

/// The seed's columns for one hammer row: 200, no response, 404, 500, other.
fn column(status: &str) -> usize {
    match status {
        "" => 1,
        "200" => 0,
        "404" => 2,
        "500" => 3,
        _ => 4,
    }
}

fn counts(row: &Value) -> [u64; 5] {
    let c = &row["counts"];
    ["200", "no_response", "404", "500", "other"].map(|k| c[k].as_u64().expect("count"))
}

fn offset_key(v: &str) -> i64 {
    (v.parse::<f64>().expect("offset") * 1000.0).round() as i64
}

#[test]
fn outcome_tables_match_an_independent_count_of_the_csv() {
    for name in CASES {
        let rows = read_csv(&case(name).join("hammer.csv"));
        let mut by_bo: BTreeMap<(u64, i64), [u64; 5]> = BTreeMap::new();
        let mut by_off: BTreeMap<i64, [u64; 5]> = BTreeMap::new();
        let mut by_route: BTreeMap<String, [u64; 5]> = BTreeMap::new();
        for r in &rows {
            let col = column(&r["status"]);
            let burst: u64 = r["request_count"].parse().expect("burst");
            by_bo.entry((burst, offset_key(&r["offset_ms"]))).or_default()[col] += 1;
            by_off.entry(offset_key(&r["offset_ms"])).or_default()[col] += 1;
            by_route.entry(r["route"].clone()).or_default()[col] += 1;
        }
        let rep = analyze_json(&[case(name).to_str().expect("utf-8 path")]);
        let lt = &rep["loadtest"];
        assert_eq!(lt["basis"], "per_request", "{name}");
        let got_bo: BTreeMap<(u64, i64), [u64; 5]> = lt["by_burst_offset"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                let off = (r["offset_ms"].as_f64().expect("offset") * 1000.0).round() as i64;
                ((r["burst"].as_u64().expect("burst"), off), counts(r))
            })
            .collect();
        assert_eq!(got_bo, by_bo, "{name}: by_burst_offset");
        let got_off: BTreeMap<i64, [u64; 5]> = lt["by_offset"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| ((r["offset_ms"].as_f64().expect("o") * 1000.0).round() as i64, counts(r)))
            .collect();
        assert_eq!(got_off, by_off, "{name}: by_offset");
        let got_route: BTreeMap<String, [u64; 5]> = lt["by_route"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| (r["route"].as_str().expect("route").to_string(), counts(r)))
            .collect();
        assert_eq!(got_route, by_route, "{name}: by_route");
        let all = counts(&lt["all_routes"]);
        assert_eq!(all.iter().sum::<u64>(), rows.len() as u64, "{name}");
        // The bundled corpus cases also carry the hammer's own tallies.
        if let Ok(text) = std::fs::read_to_string(case(name).join("truth.json")) {
            let truth: Value = serde_json::from_str(&text).expect("truth");
            let o = &truth["outcomes"];
            let want = |k: &str| o[k].as_u64().unwrap_or(0);
            assert_eq!([all[0], all[1], all[3]], [want("200"), want("no_response"), want("500")]);
        }
    }
}

#[test]
fn every_row_sums_to_100_percent_in_json_and_in_the_tables() {
    for name in CASES {
        let rep = analyze_json(&[case(name).to_str().expect("path")]);
        let lt = &rep["loadtest"];
        let mut rows: Vec<&Value> = Vec::new();
        for table in ["by_burst_offset", "by_offset", "by_route"] {
            rows.extend(lt[table].as_array().expect("rows"));
        }
        rows.push(&lt["all_routes"]);
        for r in rows {
            let p = &r["percent"];
            let sum: f64 = ["200", "no_response", "404", "500", "other"]
                .iter()
                .map(|k| p[k].as_f64().expect("percent"))
                .sum();
            assert!((sum - 100.0).abs() <= 0.025, "{name}: {r} sums to {sum}");
        }
        // The printed tables: every outcome row has five two-decimal percentages summing to 100.
        let out = run(cmd().args(["analyze", "--width", "200", case(name).to_str().expect("p")]));
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let mut checked = 0;
        let mut in_outcomes = false;
        for line in text.lines() {
            if line.contains("outcomes") {
                in_outcomes = true;
            } else if line.is_empty() {
                in_outcomes = false;
            }
            if !in_outcomes || !line.starts_with('│') {
                continue;
            }
            let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
            let Some(pcts) = cells.get(3..8) else { continue };
            if pcts.iter().all(|c| c.split_once('.').is_some_and(|(_, d)| d.len() == 2)) {
                let sum: f64 = pcts.iter().map(|c| c.parse::<f64>().expect("number")).sum();
                assert!((sum - 100.0).abs() <= 0.025, "{name}: {line}");
                checked += 1;
            }
        }
        assert!(checked >= 3, "{name}: only {checked} outcome rows found in\n{text}");
    }
}

/// Nearest-rank percentile.
fn rank(sorted: &[f64], p: f64) -> f64 {
    let k = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[k.clamp(1, sorted.len()) - 1]
}

#[test]
fn latency_and_throughput_match_the_csv() {
    for name in CASES {
        let rows = read_csv(&case(name).join("hammer.csv"));
        let mut ok: Vec<f64> = rows
            .iter()
            .filter(|r| r["status"].starts_with('2'))
            .map(|r| r["elapsed_ms"].parse().expect("ms"))
            .collect();
        ok.sort_by(f64::total_cmp);
        let rep = analyze_json(&[case(name).to_str().expect("path")]);
        let l = &rep["loadtest"]["latency_ms"];
        let close = |k: &str, want: f64| {
            let got = l[k].as_f64().expect(k);
            assert!((got - want).abs() < 0.001, "{name}: {k} {got} != {want}");
        };
        assert_eq!(l["count"].as_u64(), Some(ok.len() as u64));
        close("min", ok[0]);
        close("max", ok[ok.len() - 1]);
        close("p90", rank(&ok, 90.0));
        close("p95", rank(&ok, 95.0));
        close("p99", rank(&ok, 99.0));
        close("mean", (ok.iter().sum::<f64>() / ok.len() as f64 * 1000.0).round() / 1000.0);
        // Sent per second over the send span, as the load tool sent them.
        let secs = |r: &std::collections::HashMap<String, String>| {
            let t = &r["sent_at"]; // 2026-11-25T15:39:20.139Z
            let hms: Vec<f64> =
                t[11..t.len() - 1].split(':').map(|x| x.parse().expect("time")).collect();
            hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
        };
        let (lo, hi) =
            rows.iter().map(secs).fold((f64::MAX, f64::MIN), |(a, b), s| (a.min(s), b.max(s)));
        let sent = rows.len() as f64 / (hi - lo);
        let got = rep["loadtest"]["throughput"]["sent_per_s"].as_f64().expect("sent");
        assert!((got - sent).abs() < 0.006, "{name}: sent/s {got} != {sent}");
        let tp = &rep["loadtest"]["throughput"];
        let completed = tp["completed_per_s"].as_f64().expect("completed");
        let success = tp["success_per_s"].as_f64().expect("success");
        assert!(success <= completed && completed <= sent + 0.01, "{name}: {tp}");
    }
}

#[test]
fn phases_follow_the_known_shape() {
    let shape: Value = serde_json::from_str(
        &std::fs::read_to_string(case("latency-phases").join("shape.json")).expect("shape"),
    )
    .expect("json");
    let rep = analyze_json(&[case("latency-phases").to_str().expect("path")]);
    let lt = &rep["loadtest"];
    let phases = lt["phases"].as_array().expect("phases");
    let names: Vec<&str> = phases.iter().map(|p| p["phase"].as_str().expect("name")).collect();
    assert_eq!(names, ["baseline", "ramp_up", "plateau", "ramp_down", "recovered"]);
    let window = lt["phase_detection"]["window"].as_u64().expect("window");
    for p in phases {
        let want = &shape["phases"][p["phase"].as_str().expect("name")];
        let (first, want_first) =
            (p["first_request"].as_u64().expect("first"), want[0].as_u64().expect("shape"));
        assert!(
            first.abs_diff(want_first) <= window,
            "{} starts at request {first}, designed {want_first} (window {window})",
            p["phase"]
        );
    }
    // The knee itself is exact: the first request of the ramp.
    assert_eq!(phases[1]["first_request"], shape["phases"]["ramp_up"][0]);
    assert_eq!(phases[0]["first_request"], 1);
    assert_eq!(phases[4]["last_request"], shape["requests"]);
    let median = |i: usize| phases[i]["median_ms"].as_f64().expect("median");
    assert!(median(0) < 100.0 && median(4) < 100.0, "sub-100 ms before and after");
    assert!((15_000.0..17_000.0).contains(&median(2)), "plateau of ~16 s: {}", median(2));
    assert!(median(1) > median(0) && median(1) < median(2) && median(3) < median(2));
    // Times: each phase starts when its first request was sent, in order.
    let starts: Vec<f64> =
        phases.iter().map(|p| p["start_offset_s"].as_f64().expect("offset")).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]) && starts[0] == 0.0, "{starts:?}");
    // The table shows them too.
    let out =
        run(cmd().args(["analyze", "--width", "120", case("latency-phases").to_str().expect("p")]));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Latency phases (in send order)"), "{text}");
    assert!(text.contains("│ plateau   ┆ "), "{text}");
    // A healthy run is one steady phase.
    let healthy = analyze_json(&[case("healthy-baseline").to_str().expect("path")]);
    let names: Vec<&str> = healthy["loadtest"]["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|p| p["phase"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["steady"]);
}

#[test]
fn several_folders_are_compared_side_by_side() {
    let dirs = ["pool-exhaustion", "healthy-baseline", "eof-open-transaction"]
        .map(|n| case(n).to_str().expect("path").to_string());
    let args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let both = analyze_json(&args);
    assert_eq!(both["schema"], "rootcause.runs/v1");
    let runs = both["runs"].as_array().expect("runs");
    let names: Vec<&str> = runs.iter().map(|r| r["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["pool-exhaustion", "healthy-baseline", "eof-open-transaction"]);
    for (r, dir) in runs.iter().zip(&dirs) {
        // Each run's report is the report of that folder alone.
        let alone = analyze_json(&[dir]);
        assert_eq!(r["report"]["loadtest"], alone["loadtest"], "{dir}");
        assert_eq!(r["report"]["diagnosis"], alone["diagnosis"], "{dir}");
    }
    // The table: a legend, and the combined row with one group of numbers per run.
    let out = run(cmd().args(["analyze", "--width", "160"]).args(&args));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("Runs: A = pool-exhaustion, B = healthy-baseline, C = eof-open-transaction."),
        "{text}"
    );
    let combined = text.lines().find(|l| l.contains("All routes combined")).expect("combined row");
    let cells: Vec<&str> =
        combined.split(['│', '┆']).map(str::trim).filter(|c| !c.is_empty()).collect();
    // 404 and other are 0 in every run, so each group is n, 200, no resp, 500.
    assert_eq!(
        cells,
        [
            "All routes combined",
            "1050",
            "84.67",
            "0.00",
            "15.33",
            "450",
            "100.00",
            "0.00",
            "0.00",
            "270",
            "95.56",
            "4.44",
            "0.00"
        ]
    );
    for want in ["══ Run pool-exhaustion", "══ Run healthy-baseline", "══ Run eof-open-transaction"]
    {
        assert!(text.contains(want), "{want}");
    }

    // --run names runs; --merge reads everything as one run.
    let a = format!("before={}", dirs[0]);
    let b = format!("after={}", dirs[1]);
    let named = analyze_json(&["--run", &a, "--run", &b]);
    let names: Vec<&str> = named["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["name"].as_str().expect("n"))
        .collect();
    assert_eq!(names, ["before", "after"]);
    let merged = analyze_json(&["--merge", &dirs[0], &dirs[1]]);
    assert_eq!(merged["schema"], "rootcause.report/v1");
    assert_eq!(merged["loadtest"]["all_routes"]["total"], 1500);
    // A folder and a file are one run.
    let file = case("healthy-baseline").join("hammer.csv");
    let one = analyze_json(&[&dirs[0], file.to_str().expect("path")]);
    assert_eq!(one["schema"], "rootcause.report/v1");
    // Both PATHs and --run is a usage error.
    let bad = run(cmd().args(["analyze", &dirs[0], "--run", &a]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--run"));
}

/// `{route → [200, no response, 404, 500, other]}` from a report's `loadtest.by_route`.
fn by_route(rep: &Value) -> BTreeMap<String, [u64; 5]> {
    rep["loadtest"]["by_route"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["route"].as_str().expect("route").to_string(), counts(r)))
        .collect()
}

/// The path of a URL, as the report names routes without a label.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path).to_string()
}

#[test]
fn jmeter_k6_and_vegeta_files_feed_the_same_tables() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // JMeter: the real 2.13 run, comma and tab; label is the route, a non-numeric code no
    // response.
    for file in ["out.jtl", "out-tab.jtl"] {
        let p = root.join("samples/loadtools/jmeter").join(file);
        let text = std::fs::read_to_string(&p).expect("jtl");
        let delim = if file.contains("tab") { '\t' } else { ',' };
        let mut want: BTreeMap<String, [u64; 5]> = BTreeMap::new();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(delim).collect();
        let col = |n: &str| header.iter().position(|h| *h == n).expect(n);
        let (label, code) = (col("label"), col("responseCode"));
        for l in lines {
            let cells: Vec<&str> = l.split(delim).collect();
            let c = cells[code];
            let k = if c.chars().all(|ch| ch.is_ascii_digit()) { column(c) } else { 1 };
            want.entry(cells[label].to_string()).or_default()[k] += 1;
        }
        let rep = analyze_json(&[p.to_str().expect("path")]);
        assert_eq!(by_route(&rep), want, "{file}");
        assert_eq!(rep["inputs"][0]["format"], "loadtest-csv");
        assert!(rep["inputs"][0]["reason"].as_str().expect("reason").starts_with("JMeter JTL"));
        assert_eq!(rep["inputs"][0]["dialect"], "JMeter JTL");
        assert_eq!(rep["loadtest"]["all_routes"]["counts"]["no_response"], 10);
    }
    // k6: one request per http_req_duration row, status 0 is no response.
    let p = root.join("parsers/tests/fixtures/k6/k6-default.csv");
    let mut want: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    let mut latencies: Vec<f64> = Vec::new();
    for r in read_csv(&p).iter().filter(|r| r["metric_name"] == "http_req_duration") {
        let route = if r["name"] != r["url"] && !r["name"].contains("://") {
            r["name"].clone()
        } else {
            path_of(&r["url"])
        };
        let status = if r["status"] == "0" { "" } else { r["status"].as_str() };
        want.entry(route).or_default()[column(status)] += 1;
        if status.starts_with('2') {
            latencies.push(r["metric_value"].parse().expect("ms"));
        }
    }
    let rep = analyze_json(&[p.to_str().expect("path")]);
    assert_eq!(rep["inputs"][0]["format"], "k6-csv");
    assert!(rep["inputs"][0]["dialect"].is_null());
    assert_eq!(by_route(&rep), want, "k6");
    let max = latencies.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(
        rep["loadtest"]["latency_ms"]["max"].as_f64(),
        Some((max * 1000.0).round() / 1000.0)
    );
    // vegeta: no header; code 0 is no response; latency in ns.
    let p = root.join("parsers/tests/fixtures/vegeta/vegeta-12.csv");
    let rep = analyze_json(&[p.to_str().expect("path")]);
    assert_eq!(rep["inputs"][0]["format"], "vegeta-csv");
    let all = counts(&rep["loadtest"]["all_routes"]);
    let text = std::fs::read_to_string(&p).expect("vegeta");
    let mut want = [0u64; 5];
    for l in text.lines() {
        let code = l.split(',').nth(1).expect("code");
        want[column(if code == "0" { "" } else { code })] += 1;
    }
    assert_eq!(all, want, "vegeta");
    assert_eq!(rep["inputs"][0]["skipped"], 0);
}

#[test]
fn locust_csvs_feed_the_tables_they_can_and_say_which_they_cannot() {
    let dir = crate::util::samples().join("loadtools/locust");
    let stats = read_csv(&dir.join("run_stats.csv"));
    let rep = analyze_json(&[dir.to_str().expect("path")]);
    let lt = &rep["loadtest"];
    assert_eq!(lt["basis"], "aggregate");
    assert_eq!(lt["tools"], serde_json::json!(["locust"]));
    let got = by_route(&rep);
    let mut per_route_total = 0;
    for r in stats.iter().filter(|r| r["Name"] != "Aggregated") {
        let n: u64 = r["Request Count"].parse().expect("count");
        let failed: u64 = r["Failure Count"].parse().expect("failures");
        let row = got.get(&r["Name"]).unwrap_or_else(|| panic!("route {}", r["Name"]));
        assert_eq!(row.iter().sum::<u64>(), n, "{}", r["Name"]);
        assert_eq!(
            row[0],
            n - failed,
            "{}: successes are the requests Locust did not fail",
            r["Name"]
        );
        per_route_total += n;
    }
    let agg = stats.iter().find(|r| r["Name"] == "Aggregated").expect("Aggregated row");
    assert_eq!(lt["all_routes"]["total"].as_u64(), Some(per_route_total));
    assert_eq!(agg["Request Count"].parse::<u64>().ok(), Some(per_route_total));
    // Failures are spread by what their error text says.
    assert_eq!(got["/boom (fast)"][3], 87, "LocustBadStatusCode(code=500)");
    assert_eq!(got["/missing"][2], 40, "HTTPError('404 Client Error ...')");
    assert_eq!(got["/drop"][1], 20, "RemoteDisconnected is no response");
    assert_eq!(got["/ok?check"][4], 17, "a failed assertion has no status: other");
    // Latency as Locust reported it.
    let l = &lt["latency_ms"];
    assert_eq!(l["p95"].as_f64(), agg["95%"].parse::<f64>().ok());
    assert_eq!(l["p99"].as_f64(), agg["99%"].parse::<f64>().ok());
    let rps: f64 = agg["Requests/s"].parse().expect("rps");
    assert_eq!(lt["throughput"]["completed_per_s"].as_f64(), Some((rps * 100.0).round() / 100.0));
    assert!(lt["throughput"]["sent_per_s"].is_null());
    // What it cannot feed, and why.
    let unavailable: Vec<&str> = lt["unavailable"]
        .as_array()
        .expect("unavailable")
        .iter()
        .map(|u| u["table"].as_str().expect("table"))
        .collect();
    for t in ["by_burst_offset", "by_offset", "funnel_sent", "phases"] {
        assert!(unavailable.contains(&t), "{t} missing from {unavailable:?}");
    }
    assert!(lt["by_burst_offset"].as_array().expect("rows").is_empty());
    let out = run(cmd().args(["analyze", "--width", "120", dir.to_str().expect("path")]));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Not shown: by burst offset: locust writes aggregates"), "{text}");
    assert!(text.contains("Failures reported by the load tool"), "{text}");
}

/// The last number on the wrk line holding `before` and `after`, read before `before` (`59575
/// requests in`) or after `after` (`Non-2xx or 3xx responses: 3`); 0 without such a line.
fn wrk_number(text: &str, before: &str, after: &str) -> u64 {
    let line = text.lines().find(|l| l.contains(after) && l.contains(before)).unwrap_or("");
    let i = line.find(after).map_or(0, |i| i + after.len());
    let rest = if before.is_empty() { &line[i..] } else { &line[..line.find(before).unwrap_or(0)] };
    rest.split(|c: char| !c.is_ascii_digit())
        .rfind(|s| !s.is_empty())
        .map_or(0, |n| n.parse().expect("number"))
}

#[test]
fn wrk_summaries_feed_outcomes_latency_and_throughput() {
    let dir = crate::util::samples().join("loadtools/wrk");
    for file in ["boom.txt", "slow-timeout.txt", "clean.txt"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("wrk");
        let requests = wrk_number(&text, " requests in", "");
        let non2xx = wrk_number(&text, "", "Non-2xx or 3xx responses:");
        // A timeout is a late response, counted in the requests; the others never answered.
        let socket: u64 = ["connect ", "read ", "write "]
            .iter()
            .map(|k| {
                let line = text.lines().find(|l| l.contains("Socket errors")).unwrap_or("");
                line.split(k)
                    .nth(1)
                    .and_then(|r| r.split(',').next())
                    .map_or(0, |n| n.trim().parse().expect("n"))
            })
            .sum();
        let rep = analyze_json(&[dir.join(file).to_str().expect("path")]);
        let lt = &rep["loadtest"];
        assert_eq!(rep["inputs"][0]["format"], "wrk-text", "{file}");
        let all = counts(&lt["all_routes"]);
        assert_eq!(all, [requests - non2xx, socket, 0, 0, non2xx], "{file}");
        let rps: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("Requests/sec:"))
            .expect("Requests/sec")
            .trim()
            .parse()
            .expect("rps");
        assert_eq!(
            lt["throughput"]["completed_per_s"].as_f64(),
            Some((rps * 100.0).round() / 100.0)
        );
        assert!(lt["latency_ms"]["min"].is_null() && lt["latency_ms"]["p95"].is_null(), "{file}");
    }
    // --latency percentiles: clean.txt prints 50% 70.00us and 99% 2.78ms.
    let rep = analyze_json(&[dir.join("clean.txt").to_str().expect("path")]);
    assert_eq!(rep["loadtest"]["latency_ms"]["median"].as_f64(), Some(0.07));
    assert_eq!(rep["loadtest"]["latency_ms"]["p99"].as_f64(), Some(2.78));
}
