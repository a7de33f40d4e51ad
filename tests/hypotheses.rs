//! The hypothesis engine end to end: the top root of every sample matches its truth, a healthy
//! run gets none, and of two overlapping faults the one that came first ranks first.

use crate::util::{TempDir, analyze_json, case, truth};

fn samples_with_truth() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(crate::util::samples())
        .expect("samples")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("truth.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_top_root_of_every_sample_is_its_truth() {
    let names = samples_with_truth();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let t = truth(&name);
        let rep = analyze_json(&[case(&name).to_str().expect("utf-8")]);
        let hyps = rep["hypotheses"].as_array().expect("hypotheses");
        match t["primary_signature"].as_str() {
            None => {
                assert!(hyps.is_empty(), "{name}: {hyps:?}");
                assert_eq!(rep["diagnosis"]["verdict"], "no_failure", "{name}");
                let statement = rep["diagnosis"]["statement"].as_str().expect("statement");
                assert!(statement.starts_with("No failure found"), "{name}: {statement}");
            }
            // A root in no log: checked by `lab::slow_db_uwsgi`.
            Some(_) if t["root_in_logs"] == false => {}
            Some(primary) => {
                assert_eq!(hyps[0]["root"], primary, "{name}: {}", hyps[0]["summary"]);
                assert_eq!(hyps[0]["rank"], 1);
                // The chain accounts for the failures the truth counts.
                let o = &t["outcomes"];
                let failed = o["no_response"].as_u64().unwrap_or(0)
                    + o.as_object()
                        .expect("outcomes")
                        .iter()
                        .filter(|(k, _)| k.starts_with('5'))
                        .map(|(_, v)| v.as_u64().unwrap_or(0))
                        .sum::<u64>();
                assert_eq!(hyps[0]["failed"], failed, "{name}");
                assert_eq!(hyps[0]["explains_failed"], failed, "{name}");
            }
        }
    }
}

#[test]
fn the_healthy_run_says_no_failure_found_in_every_format() {
    let dir = case("healthy-baseline");
    let d = dir.to_str().expect("utf-8");
    let table = crate::util::run(crate::util::cmd().args(["analyze", d]));
    let text = String::from_utf8(table.stdout).expect("utf-8");
    assert!(text.starts_with("Diagnosis: No failure found"), "{text}");
    assert!(!text.contains("Hypothesis"), "{text}");
    assert!(text.contains("Symptoms\nNone: no 5xx"), "{text}");
}

/// Writes a run of `secs` seconds, 10 requests a second, with two faults: QueuePool timeouts
/// from `pool_at` s and "too many clients" refusals from `pg_at` s. Each failing request is a
/// 500 in the load test, an "Uncaught exception" with the fault's traceback in the app log,
/// and for the refusals a FATAL in the Postgres log.
fn two_faults(dir: &TempDir, secs: u32, pool_at: u32, pg_at: u32) -> (u64, u64) {
    let (mut pool_failed, mut pg_failed) = (0, 0);
    let t0 = 1_764_085_200_000_000_i64; // 2025-11-25T15:40:00Z
    let iso = |us: i64| {
        let s = us.div_euclid(1_000_000);
        let (h, m, sec) = ((s / 3600) % 24, (s / 60) % 60, s % 60);
        format!("2025-11-25T{h:02}:{m:02}:{sec:02}.{:06}Z", us.rem_euclid(1_000_000))
    };
    let mut hammer =
        String::from("sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n");
    let mut app = String::new();
    let mut pg = String::from(
        "2025-11-25 15:39:59.000 UTC [100] LOG:  database system is ready to accept connections\n",
    );
    for i in 0..secs * 10 {
        let sent = t0 + i64::from(i) * 100_000;
        let s = i / 10;
        let id = format!("r{i:05}");
        let ev = |event: &str, at: i64, extra: &str| {
            format!(
                "{{\"route\": \"/b\", \"request_id\": \"{id}\", \"event\": \"{event}\", \"level\": \"info\", \"created_at\": \"{}\"{extra}}}\n",
                iso(at)
            )
        };
        app.push_str(&ev("function hit", sent + 1_000, ""));
        // Every third request fails once a fault is on, alternating between the faults when
        // both are.
        let pool = s >= pool_at && i % 3 == 0 && (s < pg_at || i % 2 == 0);
        let refused = s >= pg_at && i % 3 == 0 && !pool;
        if pool {
            app.push_str(&ev("query started", sent + 2_000, ""));
            let tb = "Traceback (most recent call last):\\n  File \\\"/srv/app/app.py\\\", line 9, in view\\n    rows = q.all()\\nsqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)";
            let extra = format!(", \"status\": 500, \"exception\": \"{tb}\"");
            app.push_str(
                &ev("Uncaught exception", sent + 2_002_000, &extra)
                    .replace("\"info\"", "\"error\""),
            );
            hammer.push_str(&format!("{},/b,http://h/b?id={i},10,100,500,2010.0,\n", iso(sent)));
            pool_failed += 1;
        } else if refused {
            let at = sent + 5_000;
            let tb = "Traceback (most recent call last):\\n  File \\\"/srv/app/app.py\\\", line 9, in view\\n    rows = q.all()\\nsqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \\\"127.0.0.1\\\", port 5432 failed: FATAL:  sorry, too many clients already\\n\\n(Background on this error at: https://sqlalche.me/e/20/e3q8)";
            let extra = format!(", \"status\": 500, \"exception\": \"{tb}\"");
            app.push_str(&ev("Uncaught exception", at, &extra).replace("\"info\"", "\"error\""));
            pg.push_str(&format!(
                "2025-11-25 {} UTC [{}] FATAL:  sorry, too many clients already\n",
                &iso(at - 1_000)[11..23],
                1000 + i
            ));
            hammer.push_str(&format!("{},/b,http://h/b?id={i},10,100,500,8.0,\n", iso(sent)));
            pg_failed += 1;
        } else {
            app.push_str(&ev("query started", sent + 2_000, ""));
            app.push_str(&ev("query completed", sent + 30_000, ""));
            hammer.push_str(&format!("{},/b,http://h/b?id={i},10,100,200,35.0,\n", iso(sent)));
        }
    }
    std::fs::write(dir.join("hammer.csv"), hammer).expect("write");
    std::fs::write(dir.join("app.log"), app).expect("write");
    std::fs::write(dir.join("postgresql.log"), pg).expect("write");
    (pool_failed, pg_failed)
}

fn roots(rep: &serde_json::Value) -> Vec<String> {
    rep["hypotheses"]
        .as_array()
        .expect("hypotheses")
        .iter()
        .map(|h| h["root"].as_str().expect("root").to_string())
        .collect()
}

#[test]
fn of_two_overlapping_faults_the_first_ranks_first() {
    for (pool_at, pg_at, first, second) in [
        (10, 25, "queuepool_exhausted", "pg_too_many_clients"),
        (25, 10, "pg_too_many_clients", "queuepool_exhausted"),
    ] {
        let dir = TempDir::new("two-faults");
        let (pool_failed, pg_failed) = two_faults(&dir, 60, pool_at, pg_at);
        let rep = analyze_json(&[dir.0.to_str().expect("utf-8")]);
        assert_eq!(roots(&rep), [first, second], "pool at {pool_at} s, pg at {pg_at} s");
        let h = rep["hypotheses"].as_array().expect("hypotheses");
        let c = |i: usize| h[i]["confidence"].as_f64().expect("confidence");
        assert!(c(0) > c(1), "{} > {}", c(0), c(1));
        // The later fault began after the failures did: that is said against it.
        let against = h[1]["evidence_against"].as_array().expect("against");
        assert!(
            against.iter().any(|a| a.as_str().expect("text").contains("after the failures began")),
            "{against:?}"
        );
        // Each failed request is the 500 of an app request whose own exception names its fault:
        // each root accounts for exactly its own, though their times interleave.
        let n = |i: usize| h[i]["explains_failed"].as_u64().expect("n");
        let mine = |root: &str| if root == "queuepool_exhausted" { pool_failed } else { pg_failed };
        assert_eq!((n(0), n(1)), (mine(first), mine(second)));
        assert_eq!(n(0) + n(1), rep["outcomes"]["failed"].as_u64().expect("failed"));
        assert_eq!(rep["diagnosis"]["verdict"], "explained");
    }
}

#[test]
fn too_many_clients_counts_postgres_connections_and_names_the_limit() {
    let name = "too-many-clients";
    let t = truth(name);
    let rep = analyze_json(&[case(name).to_str().expect("utf-8")]);
    let pg = &rep["facts"]["pg_connections"];
    let lines = &t["other_line_counts"];
    assert_eq!(pg["received"], lines["pg_connection_received"]);
    assert_eq!(pg["refused"], lines["pg_fatal"]);
    // The app connects as a superuser, so the limit it met is max_connections itself.
    assert_eq!(pg["limit_observed"], t["config"]["postgres"]["max_connections"]);
    let near = rep["symptoms"]
        .as_array()
        .expect("symptoms")
        .iter()
        .find(|s| s["id"] == "symptom:pg_connections_near_max")
        .expect("near-max symptom");
    // It began before the first refusal, and the hypothesis shows it before its root.
    assert!(near["onset"].as_str() < pg["first_refusal"].as_str(), "{near}");
    let h = &rep["hypotheses"][0];
    let steps = h["steps"].as_array().expect("steps");
    let at = |id: &str| steps.iter().position(|s| s["id"] == id).expect(id);
    let root = at("pg_too_many_clients");
    assert_eq!(steps[root]["role"], "root");
    let near = at("symptom:pg_connections_near_max");
    assert!(near < root);
    assert_eq!(steps[near]["role"], "context");
    assert_eq!(steps[near]["cause"], "pg_too_many_clients");
    // The fix carries the numbers: processes from gunicorn's boot lines, the limit, the budget.
    let workers = t["config"]["gunicorn"]["workers"].as_u64().expect("workers");
    assert_eq!(rep["facts"]["processes"]["count"], workers);
    let limit = pg["limit_observed"].as_u64().expect("limit");
    let fix = h["fix"].as_str().expect("fix");
    assert!(
        fix.contains(&format!(
            "To stay under {limit}, {workers} processes can hold at most {} connections each",
            limit / workers
        )),
        "{fix}"
    );
}
