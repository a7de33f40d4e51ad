//! The command line: exit codes, error messages, stdin, gzip, determinism, table output.

use std::io::Write;
use std::process::Stdio;

use crate::util::{TempDir, analyze_json, case, cmd, gzip, run};

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn missing_file_exits_2_and_names_it_while_other_inputs_are_analysed() {
    let hammer = case("pool-exhaustion").join("hammer.csv");
    let out =
        run(cmd().args(["analyze", "--format", "json", path(&hammer), "/nonexistent/run.log"]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/run.log"), "{stderr}");
    let rep: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report still printed");
    assert_eq!(rep["funnel"]["sent"], 1050);
    let missing = &rep["inputs"][1];
    assert_eq!(
        missing["path"], "/nonexistent/run.log",
        "the report lists the input it could not read"
    );
    assert!(missing["error"].as_str().is_some_and(|e| e.contains("No such file")), "{missing}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_skipped_with_a_warning_not_an_error() {
    let dir = TempDir::new("loop");
    std::fs::copy(case("pool-exhaustion").join("hammer.csv"), dir.join("hammer.csv"))
        .expect("copy");
    std::os::unix::fs::symlink(&dir.0, dir.join("again")).expect("symlink");
    let out = run(cmd().args(["analyze", "--format", "json", path(&dir.0)]));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning:"));
    let rep: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rep["funnel"]["sent"], 1050, "the loop does not read the file twice");
    assert!(rep["warnings"][0].as_str().is_some_and(|w| w.contains("symlink loop")));
}

#[cfg(unix)]
#[test]
fn unreadable_file_exits_2_and_names_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("unreadable");
    let p = dir.join("secret.log");
    std::fs::write(&p, "x\n").expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&p).is_ok() {
        return; // running as root: permissions do not apply
    }
    let out = run(cmd().args(["analyze", path(&p)]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("secret.log"));
}

#[test]
fn usage_errors_exit_2() {
    let hammer = case("pool-exhaustion").join("hammer.csv");
    let cases: &[&[&str]] = &[
        &["analyze"],
        &["analyze", "--format", "yaml", path(&hammer)],
        &["analyze", "--stage", "hit=(unclosed", path(&hammer)],
        &["analyze", "--stage", "landed=x", path(&hammer)],
        &["analyze", "--tz", "Mars/Olympus", path(&hammer)],
        &["analyze", "--pg-prefix", "%Z [%p] ", path(&hammer)],
        &["analyze", "--input-format", "x=yaml", path(&hammer)],
        &["frobnicate"],
    ];
    for args in cases {
        let out = run(cmd().args(*args));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?} explains itself");
    }
}

#[test]
fn success_exits_0_with_tables() {
    let out = run(cmd().args(["analyze", "--width", "120", path(&case("pool-exhaustion"))]));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for want in [
        "Inputs",
        "Per route: outcomes (% of requests)",
        "Request count 200: outcomes by offset",
        "Latency phases",
        "Funnel",
        "Signatures",
        "queuepool_exhausted",
        "All routes combined ┆     1050 ┆         84.67 ┆        0.00 ┆ 0.00 ┆ 15.33 ┆  0.00",
        "Hypothesis 1",
    ] {
        assert!(text.contains(want), "table output lacks {want:?}:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no escape sequences when not a terminal");
}

#[test]
fn stdin_is_read_with_dash() {
    let bytes = std::fs::read(case("pool-exhaustion").join("hammer.csv")).expect("read");
    let mut child = cmd()
        .args(["analyze", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(&bytes).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let rep: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rep["inputs"][0]["path"], "-");
    assert_eq!(rep["funnel"]["sent"], 1050);
    assert_eq!(rep["outcomes"]["status"]["500"], 161);
}

#[test]
fn gzip_inputs_are_read_from_content_not_name() {
    let dir = TempDir::new("gz");
    for f in ["hammer.csv", "app.log"] {
        let bytes = std::fs::read(case("pool-exhaustion").join(f)).expect("read");
        // Misleading names: the content decides.
        std::fs::write(dir.join(&format!("{f}.data")), gzip(&bytes)).expect("write");
    }
    let rep = analyze_json(&[path(&dir.0)]);
    assert_eq!(rep["funnel"]["sent"], 1050);
    assert_eq!(rep["funnel"]["completed"], 889);
    for i in rep["inputs"].as_array().expect("inputs") {
        assert_eq!(i["compression"], "gzip");
    }
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let c = case("eof-open-transaction");
    let one = run(cmd().args(["analyze", "--format", "json", "-j", "1", path(&c)]));
    let four = run(cmd().args(["analyze", "--format", "json", "-j", "4", path(&c)]));
    assert!(one.status.success() && four.status.success());
    assert_eq!(one.stdout, four.stdout);
    let t1 = run(cmd().args(["analyze", "-j", "1", path(&c)]));
    let t4 = run(cmd().args(["analyze", "-j", "4", path(&c)]));
    assert_eq!(t1.stdout, t4.stdout);
}

#[test]
fn sniff_names_each_format_and_why() {
    let out = run(cmd().args(["sniff", path(&case("eof-open-transaction"))]));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let verdict = |file: &str| {
        text.lines()
            .find(|l| l.contains(file) && !l.starts_with(' '))
            .unwrap_or_else(|| panic!("{file} in\n{text}"))
            .to_string()
    };
    assert!(verdict("hammer.csv").contains(": loadtest-csv: CSV header"), "{text}");
    assert!(verdict("app.log").contains(": json-log: "), "{text}");
    assert!(verdict("postgresql.log").contains(": postgres: "), "{text}");
    assert!(verdict("stderr.log").contains(": console: "), "{text}");
    assert!(verdict("truth.json").contains(": unknown: a JSON document"), "{text}");
    let out = run(cmd().args([
        "sniff",
        "--format",
        "json",
        path(&case("eof-open-transaction").join("hammer.csv")),
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["inputs"][0]["format"], "loadtest-csv");
}

#[test]
fn input_format_override_and_stage_override() {
    let dir = TempDir::new("override");
    // An app log whose stage events use other words, as JSON lines with a .txt name.
    let lines = [
        r#"{"event": "landed in view", "route": "/a", "level": "info", "created_at": "2026-11-25T15:42:12.000Z"}"#,
        r#"{"event": "sql begin", "route": "/a", "level": "info", "created_at": "2026-11-25T15:42:12.001Z"}"#,
        r#"{"event": "sql end", "route": "/a", "level": "info", "created_at": "2026-11-25T15:42:12.002Z"}"#,
    ];
    std::fs::write(dir.join("app.txt"), lines.join("\n")).expect("write");
    let p = dir.join("app.txt");
    let rep = analyze_json(&[path(&p)]);
    assert_eq!(
        (
            rep["funnel"]["hit"].as_u64(),
            rep["funnel"]["started"].as_u64(),
            rep["funnel"]["completed"].as_u64()
        ),
        (Some(0), Some(1), Some(0))
    );
    let rep = analyze_json(&[
        "--stage",
        "hit=^landed in view$",
        "--stage",
        "completed=^sql end$",
        path(&p),
    ]);
    assert_eq!(
        (
            rep["funnel"]["hit"].as_u64(),
            rep["funnel"]["started"].as_u64(),
            rep["funnel"]["completed"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let forced = format!("{}=console", path(&p));
    let rep = analyze_json(&["--input-format", &forced, path(&p)]);
    assert_eq!(rep["inputs"][0]["format"], "console");
    assert_eq!(rep["inputs"][0]["reason"], "given with --input-format");
}

#[test]
fn pg_prefix_given_explicitly_and_lines_that_do_not_match_it() {
    let dir = TempDir::new("pgprefix");
    let log = dir.join("pg.txt");
    std::fs::write(
        &log,
        "2026-11-25 15:42:20 UTC [29901]: [1-1] user=app,db=party,app=x,client=127.0.0.1 FATAL:  sorry, too many clients already\n\
         garbage that is not a postgres line\n\
         2026-11-25 15:42:21 UTC [29902]: [1-1] user=app,db=party,app=x,client=127.0.0.1 FATAL:  sorry, too many clients already\n",
    )
    .expect("write");
    let prefix = "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ";
    let rep = analyze_json(&["--pg-prefix", prefix, path(&log)]);
    let input = &rep["inputs"][0];
    assert_eq!(input["format"], "postgres");
    assert_eq!(input["detail"], format!("log_line_prefix '{prefix}'"));
    assert_eq!((input["lines"].as_u64(), input["parsed"].as_u64()), (Some(3), Some(2)));
    assert_eq!(input["skipped_reasons"]["pg_unknown_prefix"], 1);
    assert_eq!(input["skipped_first_lines"]["pg_unknown_prefix"][0], 2);
    assert_eq!(rep["signatures"][0]["id"], "pg_too_many_clients");
    assert_eq!(rep["signatures"][0]["count"], 2);
    // A prefix that does not fit: every line is accounted for as not understood.
    let forced = format!("{}=postgres", path(&log));
    let rep = analyze_json(&["--input-format", &forced, "--pg-prefix", "%m [%p] ", path(&log)]);
    assert_eq!(rep["inputs"][0]["skipped_reasons"]["pg_unknown_prefix"], 3);
    assert!(rep["signatures"].as_array().expect("signatures").is_empty());
}
