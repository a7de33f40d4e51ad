//! `rootcause patterns` (issue 11): templates mined from every input, ranked by their change
//! at the run's onset; the real binary on real sample logs.

use serde_json::Value;

use crate::util::{analyze_json, case, cmd, run};

fn patterns(args: &[&str]) -> Value {
    let out = run(cmd().arg("patterns").args(args).args(["--format", "json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn lines_with(path: &std::path::Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(path).expect("sample");
    text.lines().filter(|l| l.contains(needle)).count() as u64
}

#[test]
fn the_pool_timeout_is_a_new_template_at_the_onset() {
    let dir = case("pool-exhaustion");
    let p = patterns(&[dir.to_str().expect("utf-8")]);
    assert_eq!(p["schema"], "rootcause.patterns/v1");
    assert_eq!(p["onset"]["status"], "onset");
    let templates = p["templates"].as_array().expect("templates");
    let at = templates
        .iter()
        .position(|t| {
            t["template"].as_str().is_some_and(|s| {
                s.contains(
                    "QueuePool limit of size <NUM> overflow <NUM> reached, connection timed out",
                )
            })
        })
        .expect("the QueuePool template");
    assert!(at < 3, "ranked {}: {templates:?}", at + 1);
    let t = &templates[at];
    // Every exception the app logged for it, counted in the file: one per JSON line.
    let logged = lines_with(&dir.join("app.log"), "QueuePool limit of size");
    assert_eq!(t["count"].as_u64(), Some(logged));
    let change = &t["change"];
    assert_eq!(
        (change["new"].as_bool(), change["significant"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(change["before"], 0);
    assert!(change["q_value"].as_f64().is_some_and(|q| q < 1e-6), "{change}");
    assert_eq!(t["kinds"], serde_json::json!(["exception"]));
    // The example is the first such line, cited where it is.
    let example_at = t["example_at"].as_str().expect("example_at");
    let (path, line) = example_at.rsplit_once(':').expect("path:line");
    let line: usize = line.parse().expect("line");
    let text = std::fs::read_to_string(path).expect("example's file");
    assert!(text.lines().nth(line - 1).is_some_and(|l| l.contains("QueuePool limit")));
}

#[test]
fn a_healthy_run_has_no_onset_and_no_change() {
    let p = patterns(&[case("healthy-baseline").to_str().expect("utf-8")]);
    assert_eq!(p["onset"]["status"], "stable");
    let templates = p["templates"].as_array().expect("templates");
    assert!(!templates.is_empty());
    assert!(templates.iter().all(|t| t["change"].is_null()));
    // Without an onset: most frequent first.
    let counts: Vec<u64> = templates.iter().filter_map(|t| t["count"].as_u64()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

#[test]
fn thread_exhaustion_ranks_the_failed_thread_start_first() {
    let dir = case("lab-thread-exhaustion");
    let p = patterns(&[dir.to_str().expect("utf-8"), "--limit", "3"]);
    let top = &p["templates"][0];
    assert_eq!(top["template"], "RuntimeError: can't start new thread");
    let logged = lines_with(&dir.join("stderr.log"), "RuntimeError: can't start new thread");
    assert_eq!(top["count"].as_u64(), Some(logged));
    assert_eq!(top["change"]["significant"], true);
    assert_eq!(p["templates"].as_array().map(Vec::len), Some(3));
}

#[test]
fn by_count_and_as_a_table() {
    let dir = case("pool-exhaustion");
    let p = patterns(&[dir.to_str().expect("utf-8"), "--sort", "count", "--limit", "0"]);
    let templates = p["templates"].as_array().expect("templates");
    assert_eq!(templates.len() as u64, p["total"].as_u64().expect("total"));
    let counts: Vec<u64> = templates.iter().filter_map(|t| t["count"].as_u64()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let out = run(cmd().args(["patterns", "--width", "120", "--limit", "0"]).arg(&dir));
    let text = String::from_utf8_lossy(&out.stdout);
    // Latency rose 2 s before the first timeouts (the pool's checkouts waiting): its onset.
    assert!(text.starts_with("Onset: latency rose at "), "{text}");
    assert!(text.contains("QueuePool"), "{text}");
    assert!(text.contains(&format!("{} templates in all, {} shown.", counts.len(), counts.len())));
    assert!(text.contains("\nExamples\n"), "{text}");
}

#[test]
fn the_runs_onset_is_its_earliest_signal() {
    let onset = |name: &str| analyze_json(&[case(name).to_str().expect("utf-8")])["onset"].clone();
    let signal = |o: &Value, s: &str| -> Value {
        let all = o["signals"].as_array().expect("signals");
        all.iter().find(|x| x["signal"] == s).cloned().expect("searched")
    };
    // Pool exhaustion: checkouts wait before they time out, so latency rises before the 5xx.
    let o = onset("pool-exhaustion");
    assert_eq!((o["status"].as_str(), o["signal"].as_str()), (Some("onset"), Some("latency")));
    let rate = signal(&o, "failure_rate");
    assert_eq!(rate["status"], "onset");
    assert!(o["at"].as_str() < rate["at"].as_str(), "{o}");
    assert_eq!(o["method"], rootcause::onset::LATENCY_METHOD);
    let (m0, m1) = (&o["median_latency_ms"]["before"], &o["median_latency_ms"]["after"]);
    let (m0, m1) = (m0.as_f64().expect("before"), m1.as_f64().expect("after"));
    assert!(m1 >= 1.5 * m0 && m1 - m0 >= 50.0, "{m0} {m1}");
    // The window counts still count the failures, which come after the latency onset.
    assert!(o["after"]["failed"].as_u64() > o["before"]["failed"].as_u64(), "{o}");
    // Too many clients: refused connections fail at once, latency does not rise.
    let o = onset("too-many-clients");
    assert_eq!(
        (o["signal"].as_str(), signal(&o, "latency")["status"].as_str()),
        (Some("failure_rate"), Some("stable"))
    );
    assert_eq!(o["method"], rootcause::onset::RATE_METHOD);
    // Healthy runs, and one uniformly slower: no signal rose.
    for name in ["healthy-baseline", "lab-healthy", "lab-healthy-slower"] {
        let o = onset(name);
        assert_eq!((o["status"].as_str(), &o["signal"]), (Some("stable"), &Value::Null), "{name}");
        let all = o["signals"].as_array().expect("signals");
        assert_eq!(all.len(), 3, "{name}: three signals with an app log");
        assert!(all.iter().all(|s| s["status"] == "stable"), "{name}: {o}");
    }
}

/// A catalog file without any signature: the catalog emptied (the README's example uses it).
fn empty_catalog() -> std::path::PathBuf {
    crate::util::samples().join("empty-catalog.toml")
}

/// The first `limit` templates of sample `name`, with the catalog emptied.
fn emptied_patterns(name: &str, limit: usize) -> Value {
    let empty = empty_catalog();
    patterns(&[
        case(name).to_str().expect("utf-8"),
        "--no-builtin-signatures",
        "--signatures",
        empty.to_str().expect("utf-8"),
        "--limit",
        &limit.to_string(),
    ])
}

#[test]
fn suggested_entries_load_back_and_find_the_uncatalogued_cause() {
    let tmp = crate::util::TempDir::new("suggest");
    let empty = empty_catalog();
    let dir = case("lab-thread-exhaustion");
    let out = run(cmd()
        .args(["signatures", "--no-builtin-signatures", "--signatures"])
        .arg(&empty)
        .arg("--suggest")
        .arg(&dir));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let toml = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(toml.matches("[[signature]]").count(), 1, "{toml}");
    assert!(
        toml.contains("title = \"Uncatalogued pattern: RuntimeError: can't start new thread\"")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 catalog entries suggested"));
    // Saved and loaded as the only catalog, it finds every line of the template.
    let file = tmp.join("suggested.toml");
    std::fs::write(&file, &toml).expect("write");
    let out = run(cmd()
        .args(["analyze", "--format", "json", "--no-builtin-signatures", "--signatures"])
        .arg(&file)
        .arg(&dir));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep: Value = serde_json::from_slice(&out.stdout).expect("json");
    let sig = &rep["signatures"][0];
    let id = sig["id"].as_str().expect("id");
    assert!(id.starts_with("suggested_runtimeerror"), "{id}");
    let logged = lines_with(&dir.join("stderr.log"), "RuntimeError: can't start new thread");
    assert_eq!(sig["count"].as_u64(), Some(logged));
    assert_eq!(rep["hypotheses"][0]["root"], id);
    // With the built-in catalog, the same cause is catalogued: nothing to suggest.
    let out = run(cmd().args(["signatures", "--suggest"]).arg(&dir));
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("[[signature]]"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 catalog entries suggested"));
}

#[test]
fn with_the_catalog_emptied_the_pool_timeout_still_ranks_among_the_top_changes() {
    let p = emptied_patterns("pool-exhaustion", 3);
    let top: Vec<&str> = p["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .filter_map(|t| t["template"].as_str())
        .collect();
    assert!(top.iter().any(|t| t.contains("QueuePool limit of size <NUM>")), "{top:?}");
}

/// The report of `analyze` on `dir` with the catalog emptied (`extra` added to the command).
fn analyze_emptied(dir: &std::path::Path, extra: &[&str]) -> Value {
    let empty = empty_catalog();
    let out = run(cmd()
        .args(["analyze", "--format", "json", "--no-builtin-signatures", "--signatures"])
        .arg(&empty)
        .args(extra)
        .arg(dir));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The first line of `path` that contains `needle` (1-based).
fn first_line_with(path: &std::path::Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(path).expect("sample");
    text.lines().position(|l| l.contains(needle)).expect("a line") as u64 + 1
}

#[test]
fn an_uncatalogued_pattern_that_rose_at_the_onset_is_a_candidate_cause() {
    let dir = case("lab-thread-exhaustion");
    let rep = analyze_emptied(&dir, &[]);
    assert!(rep["signatures"].as_array().expect("signatures").is_empty());
    let top = &rep["hypotheses"][0];
    assert_eq!(top["root_kind"], "uncatalogued_pattern", "{top}");
    assert_eq!(top["root_template"], "RuntimeError: can't start new thread");
    assert!(top["root"].as_str().is_some_and(|r| r.starts_with("uncatalogued:")), "{top}");
    // Its example is the first such line of the console, cited where it is.
    let stderr = dir.join("stderr.log");
    let ev = &top["evidence"][0];
    assert!(ev["path"].as_str().is_some_and(|p| p.ends_with("stderr.log")), "{ev}");
    assert_eq!(ev["line"], first_line_with(&stderr, "RuntimeError: can't start new thread"));
    // It accounts for every request without a response, as the lab counted them.
    let t = crate::util::truth("lab-thread-exhaustion");
    assert_eq!(top["explains_failed"], t["outcomes"]["no_response"]);
    assert_eq!(top["chain"][1], "symptom:no_response");
    // Labelled as what it is: capped confidence, the reason against it, the statement.
    assert!(top["confidence"].as_f64().is_some_and(|c| c <= 0.6), "{top}");
    let against = top["evidence_against"].to_string();
    assert!(against.contains("no catalog entry describes this pattern"), "{against}");
    let statement = rep["diagnosis"]["statement"].as_str().expect("statement");
    assert!(
        statement.contains(
            "Most likely cause: an uncatalogued pattern, \"RuntimeError: can't start new thread\""
        ),
        "{statement}"
    );
    assert!(top["fix"].as_str().is_some_and(|f| f.contains("signatures --suggest")));
    // Without mining there is no candidate, and the statement says why.
    let rep = analyze_emptied(&dir, &["--no-patterns"]);
    assert!(rep["hypotheses"].as_array().expect("hypotheses").is_empty());
    let statement = rep["diagnosis"]["statement"].as_str().expect("statement");
    assert!(statement.contains("--no-patterns"), "{statement}");
}

#[test]
fn the_exception_is_the_candidate_not_the_message_that_carries_it() {
    let rep = analyze_emptied(&case("pool-exhaustion"), &[]);
    let top = &rep["hypotheses"][0];
    let template = top["root_template"].as_str().expect("an uncatalogued root");
    assert!(template.starts_with("sqlalchemy.exc.TimeoutError: QueuePool limit"), "{template}");
    // "Uncaught exception", the message of the same lines, is not a second candidate.
    for h in rep["hypotheses"].as_array().expect("hypotheses") {
        assert_ne!(h["root_template"], "Uncaught exception", "{h}");
    }
    assert_eq!(top["explains_failed"], rep["outcomes"]["failed"]);
}

#[test]
fn with_the_built_in_catalog_no_sample_has_an_uncatalogued_root() {
    let mut checked = 0;
    for entry in std::fs::read_dir(crate::util::samples()).expect("samples") {
        let dir = entry.expect("entry").path();
        if !dir.join("truth.json").exists() {
            continue;
        }
        let rep = crate::util::analyze_json(&[dir.to_str().expect("utf-8")]);
        for h in rep["hypotheses"].as_array().expect("hypotheses") {
            assert_eq!(h["root_kind"], "signature", "{}: {h}", dir.display());
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} samples");
}

/// Point 5 of issue 11: with the catalog emptied, the cascade of a slow database (QueuePool
/// timeouts, workers killed mid-transaction) still shows its two failure messages among the
/// top changes at the onset, both new after it.
#[test]
fn with_the_catalog_emptied_the_pool_timeout_and_the_eof_rank_at_the_top() {
    let dir = case("lab-slow-db");
    let p = emptied_patterns("lab-slow-db", 5);
    assert_eq!(p["onset"]["status"], "onset");
    let top = p["templates"].as_array().expect("templates");
    for (needle, file) in [
        ("QueuePool limit of size <NUM> overflow <NUM> reached", "app.log"),
        ("unexpected EOF on client connection with an open transaction", "postgresql.log"),
    ] {
        let t = top
            .iter()
            .find(|t| t["template"].as_str().is_some_and(|s| s.contains(needle)))
            .unwrap_or_else(|| panic!("{needle} not in the top 5: {top:?}"));
        let raw = needle.split(" <NUM>").next().expect("words");
        assert_eq!(t["count"].as_u64(), Some(lines_with(&dir.join(file), raw)), "{needle}");
        assert_eq!(t["change"]["new"], true, "{needle}");
        assert_eq!(t["change"]["significant"], true, "{needle}");
    }
}

/// Point 3 of issue 11: field values whose rate changed at the onset, with their counts as the
/// files give them.
#[test]
fn field_values_that_changed_at_the_onset() {
    let dir = case("lab-too-many-clients-gevent");
    let p = patterns(&[dir.to_str().expect("utf-8")]);
    let fields = p["fields"].as_array().expect("fields");
    let get = |field: &str, value: &str| {
        fields
            .iter()
            .find(|f| f["field"] == field && f["value"] == value)
            .unwrap_or_else(|| panic!("{field}={value} not among {fields:?}"))
    };
    // The refusals: Postgres' FATAL entries, the app's error events and their exception type,
    // all new after the onset.
    let pg_fatal = lines_with(&dir.join("postgresql.log"), " FATAL: ");
    let app_errors = lines_with(&dir.join("app.log"), "\"level\": \"error\"");
    let operational = lines_with(&dir.join("app.log"), "psycopg2.OperationalError");
    for (field, value, want) in [
        ("pg_severity", "FATAL", pg_fatal),
        ("level", "error", app_errors),
        ("exception", "psycopg2.OperationalError", operational),
    ] {
        let f = get(field, value);
        assert!(want > 0, "{field}={value}: the files have some");
        assert_eq!(f["count"].as_u64(), Some(want), "{field}={value}");
        assert_eq!(f["change"]["new"], true, "{field}={value}");
        assert_eq!(f["change"]["significant"], true, "{field}={value}");
        assert!(f["change"]["q_value"].as_f64().is_some_and(|q| q <= 0.01), "{f}");
    }
    // New values are listed first, then the other significant changes.
    let new: Vec<bool> = fields.iter().map(|f| f["change"]["new"] == true).collect();
    assert!(new.windows(2).all(|w| w[0] || !w[1]), "{new:?}");
    // A healthy run: no onset, no field value listed.
    let p = patterns(&[case("healthy-baseline").to_str().expect("utf-8")]);
    assert!(p["fields"].as_array().expect("fields").is_empty());
}
