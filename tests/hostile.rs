//! Hostile input (issue 8): each case runs the real binary on a folder holding the hostile
//! file(s) next to a normal load-test CSV, and checks that nothing panics, that the exit status
//! is the documented one (0 with skipped lines, 2 only when an input could not be read), that
//! the normal file is still analysed, and that the hostile one gets its own clear message.
//!
//! Cases covered elsewhere: a path that does not exist and a `chmod 000` file as a non-root
//! user (`cli.rs`), a folder symlink loop (`cli.rs`), a gzip input (`cli.rs`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::util::{TempDir, case, cmd, gzip, run};

/// The requests in `samples/healthy-baseline/hammer.csv`.
const HAMMER_REQUESTS: u64 = 450;

/// A fresh folder holding a copy of the healthy baseline's load-test CSV.
fn folder(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    std::fs::copy(case("healthy-baseline").join("hammer.csv"), dir.join("hammer.csv"))
        .expect("copy hammer.csv");
    dir
}

/// What a run left: its exit status, JSON report and stderr.
struct Ran {
    code: Option<i32>,
    report: serde_json::Value,
    stderr: String,
}

impl Ran {
    /// The report's input whose path ends with `/name`.
    fn input(&self, name: &str) -> &serde_json::Value {
        self.report["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(&format!("/{name}"))))
            .unwrap_or_else(|| panic!("no input {name} in {}", self.report["inputs"]))
    }

    /// The error the report gives for input `name`.
    fn error(&self, name: &str) -> &str {
        self.input(name)["error"].as_str().unwrap_or_else(|| panic!("{name} has no error"))
    }
}

/// Runs `analyze --format json ARGS... DIR` and checks what every case must hold: no panic,
/// a JSON report, and the healthy load test still analysed.
fn analyze(dir: &TempDir, args: &[&str]) -> Ran {
    let out = run(cmd().args(["analyze", "--format", "json"]).args(args).arg(&dir.0));
    checked(out)
}

fn checked(out: Output) -> Ran {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stderr: {stderr}"));
    assert_eq!(report["outcomes"]["total"], HAMMER_REQUESTS, "hammer.csv analysed; {stderr}");
    Ran { code: out.status.code(), report, stderr }
}

/// A JSON log line of the app, at second `s` past 15:40:50.
fn app_line(s: u32) -> String {
    format!(
        r#"{{"event": "function hit", "route": "/businesses?id=", "created_at": "2026-11-25T15:40:{:02}Z"}}"#,
        50 + s
    ) + "\n"
}

#[test]
fn an_empty_file_is_listed_as_empty() {
    let dir = folder("empty");
    std::fs::write(dir.join("empty.log"), "").expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let empty = ran.input("empty.log");
    assert_eq!((empty["format"].as_str(), empty["lines"].as_u64()), (Some("unknown"), Some(0)));
    assert_eq!(empty["reason"], "empty input");
    // The table says why it is not analysed.
    let out = run(cmd().args(["analyze", "--width", "120"]).arg(&dir.0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("empty.log ┆ why unknown: empty input"), "{text}");
}

/// What bounds memory: a line is held only up to the limit (32 MiB) while its end is sought,
/// then dropped as it streams past, so one reader holds at most the limit plus one 256 KiB
/// block, whatever the line's length. The peak RSS of the child, run on one thread so that one
/// reader is at work, is measured with GNU `/usr/bin/time` when it is installed (about 70 MiB
/// for a debug build).
#[test]
fn a_128_mib_line_is_skipped_as_too_long_without_being_held() {
    let dir = folder("long-line");
    {
        let file = std::fs::File::create(dir.join("app.log")).expect("create");
        let mut w = std::io::BufWriter::new(file);
        w.write_all(app_line(0).as_bytes()).expect("write");
        w.write_all(br#"{"event": ""#).expect("write");
        let block = vec![b'x'; 1 << 20];
        for _ in 0..128 {
            w.write_all(&block).expect("write");
        }
        w.write_all(b"\"}\n").expect("write");
        w.write_all(app_line(1).as_bytes()).expect("write");
        w.flush().expect("flush");
    }
    // GNU time; others (macOS, some BusyBox builds) lack `-f`/`-o` and are not used.
    let time = Path::new("/usr/bin/time");
    let rss_file = dir.0.with_extension("rss");
    let gnu = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    let mut c = if gnu { timed(time, &rss_file) } else { cmd() };
    let out = run(c.args(["analyze", "-j1", "--format", "json"]).arg(&dir.0));
    let ran = checked(out);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let app = ran.input("app.log");
    assert_eq!(app["skipped_reasons"], serde_json::json!({"line_too_long": 1}));
    assert_eq!(app["skipped_first_lines"], serde_json::json!({"line_too_long": [2]}));
    assert_eq!((app["lines"].as_u64(), app["records"].as_u64()), (Some(3), Some(2)));
    if let Ok(text) = std::fs::read_to_string(&rss_file) {
        let _ = std::fs::remove_file(&rss_file);
        let kib: u64 = text.trim().lines().last().and_then(|l| l.parse().ok()).expect("%M");
        // Reading up to the 32 MiB limit grows the buffer by doubling, and the allocator may
        // keep the smaller buffers for a moment: about 70 MiB in all. Holding the line would
        // take at least its 128 MiB.
        assert!(kib < 100 << 10, "peak RSS {kib} KiB: the 128 MiB line was held");
    }
}

/// `/usr/bin/time -f %M -o RSS rootcause`, in the environment of [`cmd`]: writes the peak
/// resident set size of the run, in KiB, to `rss`.
fn timed(time: &Path, rss: &Path) -> Command {
    let plain = cmd();
    let mut c = Command::new(time);
    c.args(["-f", "%M", "-o"]).arg(rss).arg(plain.get_program()).stdin(Stdio::null());
    for (k, v) in plain.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c
}

/// Bytes that look random, without a dependency: xorshift.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn binary_data_is_recognised_and_counted_as_unknown() {
    let dir = folder("binary");
    std::fs::write(dir.join("core.bin"), noise(1 << 20)).expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let bin = ran.input("core.bin");
    assert_eq!(bin["format"], "unknown");
    assert!(bin["reason"].as_str().is_some_and(|r| r.starts_with("binary data")), "{bin}");
    assert_eq!(bin["skipped_reasons"]["unknown_format"], bin["lines"]);
    assert_eq!(bin["skipped_first_lines"]["unknown_format"], serde_json::json!([1, 2, 3, 4, 5]));
}

#[test]
fn invalid_utf8_inside_a_json_line_is_read_lossily() {
    let dir = folder("utf8");
    let mut log = app_line(0).into_bytes();
    log.extend_from_slice(
        b"{\"event\": \"function hit \xff\xfe\xc3(\", \"route\": \"/businesses?id=\", \
          \"created_at\": \"2026-11-25T15:40:51Z\"}\n",
    );
    log.extend_from_slice(app_line(2).as_bytes());
    std::fs::write(dir.join("app.log"), log).expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let app = ran.input("app.log");
    assert_eq!((app["format"].as_str(), app["records"].as_u64()), (Some("json-log"), Some(3)));
    assert_eq!(app["notes"]["lossy_utf8"], 1);
    assert_eq!(ran.report["funnel"]["hit"], 3, "the damaged line still counts as a hit");
}

/// NUL bytes: a file of nothing else; and an app log rotated with `copytruncate`, so it
/// starts with a hole of NULs longer than the sniffer's 64 KiB, with a crash gap of NULs
/// between two lines and a NUL inside a JSON string.
#[test]
fn nul_bytes_are_padding_or_binary_never_a_lost_log() {
    let dir = folder("nul");
    std::fs::write(dir.join("zeros.log"), vec![0u8; 10_000]).expect("write");
    let mut log = vec![0u8; 200 << 10];
    log.extend_from_slice(app_line(0).as_bytes());
    log.extend_from_slice(app_line(1).as_bytes());
    log.extend_from_slice(&[0; 4096]);
    log.extend_from_slice(app_line(2).as_bytes());
    log.extend_from_slice(b"{\"event\": \"function\0hit\"}\n");
    log.extend_from_slice(app_line(3).as_bytes());
    std::fs::write(dir.join("app.log"), log).expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let zeros = ran.input("zeros.log");
    assert_eq!(zeros["reason"], "10000 NUL bytes and nothing else");
    let app = ran.input("app.log");
    assert_eq!(app["format"], "json-log", "{app}");
    assert_eq!((app["lines"].as_u64(), app["records"].as_u64()), (Some(5), Some(4)));
    assert_eq!(app["notes"]["nul_padding"], 2, "the hole before line 1 and the gap before 3");
    // A NUL inside a string is not JSON: that line alone is skipped.
    assert_eq!(app["skipped_first_lines"], serde_json::json!({"invalid_json": [4]}));
}

/// Every byte of a sample case with `\r\n` line ends: the same report, byte counts aside.
#[test]
fn crlf_line_ends_read_like_lf() {
    let reports: Vec<serde_json::Value> = [false, true]
        .into_iter()
        .map(|crlf| {
            let dir = TempDir::new(if crlf { "crlf" } else { "lf" });
            for f in ["hammer.csv", "app.log", "stderr.log", "postgresql.log"] {
                let text = std::fs::read(case("pool-exhaustion").join(f)).expect("read");
                let text = if crlf {
                    text.split(|&b| b == b'\n').collect::<Vec<_>>().join(&b"\r\n"[..])
                } else {
                    text
                };
                std::fs::write(dir.join(f), text).expect("write");
            }
            let out = run(cmd().args(["analyze", "--format", "json", "."]).current_dir(&dir.0));
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            let mut rep: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            for i in rep["inputs"].as_array_mut().expect("inputs") {
                i["bytes"] = serde_json::Value::Null;
            }
            rep
        })
        .collect();
    assert!(reports[0]["signatures"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(reports[0], reports[1]);
}

/// A gzip of the pool-exhaustion app log, 3150 lines.
fn gzipped_app_log() -> Vec<u8> {
    gzip(&std::fs::read(case("pool-exhaustion").join("app.log")).expect("read"))
}

#[test]
fn a_truncated_gzip_keeps_the_lines_before_the_cut_and_exits_2() {
    let dir = folder("gz-truncated");
    let gz = gzipped_app_log();
    std::fs::write(dir.join("app.log.gz"), &gz[..gz.len() / 2]).expect("write");
    std::fs::write(dir.join("header-only.gz"), &gz[..2]).expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(2), "an input could not be read fully");
    let cut = ran.input("app.log.gz");
    let lines = cut["lines"].as_u64().expect("lines");
    assert!(lines > 1000 && lines < 3150, "{cut}");
    assert_eq!(cut["parsed"], lines, "the lines before the cut are analysed");
    let err = ran.error("app.log.gz");
    assert!(err.starts_with(&format!("stopped after line {lines}: truncated gzip data")), "{err}");
    assert!(ran.error("header-only.gz").starts_with("truncated gzip data"));
    assert!(ran.stderr.contains("app.log.gz: stopped after line"), "{}", ran.stderr);
}

#[test]
fn a_corrupt_gzip_is_an_error_naming_it() {
    let dir = folder("gz-corrupt");
    let mut gz = gzipped_app_log();
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 64] {
        *b ^= 0x55;
    }
    std::fs::write(dir.join("app.log.gz"), gz).expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(2));
    let err = ran.error("app.log.gz");
    assert!(err.contains("corrupt gzip data"), "{err}");
    assert!(ran.stderr.contains("app.log.gz: stopped after line"), "{}", ran.stderr);
}

/// 1 GiB of zeros in 1024 gzip members of 1 MiB (concatenated members are one gzip stream),
/// about 1 MB on disk: built in a blink, and stopped at a small `--max-decompressed`. The
/// default, 4 GiB, is what `--help` shows.
#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    let dir = folder("bomb");
    let member = gzip(&vec![0u8; 1 << 20]);
    let bomb: Vec<u8> = member.iter().copied().cycle().take(member.len() * 1024).collect();
    assert!(bomb.len() < 2 << 20);
    std::fs::write(dir.join("bomb.gz"), bomb).expect("write");
    let ran = analyze(&dir, &["--max-decompressed", "16M"]);
    assert_eq!(ran.code, Some(2), "the bomb was not read fully");
    let bomb = ran.input("bomb.gz");
    assert_eq!(bomb["bytes"], 16 << 20, "reading stopped at the limit");
    assert!(
        ran.error("bomb.gz").starts_with(
            "gzip data decompresses to more than 16 MiB, the --max-decompressed limit"
        ),
        "{bomb}"
    );
    let help = run(cmd().args(["analyze", "--help"]));
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[default: 4G]"), "{help}");
    let bad = run(cmd().args(["analyze", "--max-decompressed", "lots"]).arg(&dir.0));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-decompressed: 'lots'"));
}

/// A file listed by the folder walk and gone when its turn comes: the race is not
/// reproducible through the binary, so this drives the two library steps with the deletion
/// in between.
#[test]
fn a_file_that_disappears_after_discovery_is_an_error_for_it_alone() {
    use rootcause::ingest::{self, IngestOptions, discover};
    let dir = folder("vanish");
    std::fs::write(dir.join("gone.log"), app_line(0)).expect("write");
    std::fs::write(dir.join("stays.log"), app_line(1)).expect("write");
    let (inputs, errors) = discover::expand(std::slice::from_ref(&dir.0));
    assert!(errors.is_empty() && inputs.len() == 3);
    std::fs::remove_file(dir.join("gone.log")).expect("remove");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let ing = ingest::ingest(&inputs, &IngestOptions::default(), &pool);
    assert!(ing.had_input_errors());
    let by_name =
        |n: &str| ing.sources.iter().find(|s| s.input.display().ends_with(n)).expect("source");
    let gone = by_name("gone.log").error.as_deref().unwrap_or_default();
    assert!(gone.starts_with("cannot open: No such file"), "{gone}");
    assert_eq!(by_name("stays.log").stats.records, 1);
    assert_eq!(by_name("hammer.csv").stats.records, HAMMER_REQUESTS);
}

/// Unreadable inputs as root, where `chmod 000` does not stop reads: a symlink to nothing,
/// and on Linux a file that opens but fails on read (`/proc/self/mem` at offset 0 is EIO).
#[cfg(unix)]
#[test]
fn unreadable_files_are_errors_naming_them() {
    let dir = folder("unreadable");
    std::os::unix::fs::symlink("nowhere.log", dir.join("dangling.log")).expect("symlink");
    let mem = Path::new("/proc/self/mem");
    if mem.exists() {
        std::os::unix::fs::symlink(mem, dir.join("mem.log")).expect("symlink");
    }
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(2));
    assert_eq!(ran.error("dangling.log"), "broken symlink: its target nowhere.log does not exist");
    assert!(ran.stderr.contains("dangling.log: broken symlink"), "{}", ran.stderr);
    if mem.exists() {
        assert!(ran.error("mem.log").starts_with("cannot read: "), "{}", ran.error("mem.log"));
    }
}

/// Symlinks to files that lead back to themselves are skipped with a warning, like a folder
/// loop (`cli.rs`), not an error.
#[cfg(unix)]
#[test]
fn file_symlink_loops_are_warnings() {
    let dir = folder("file-loop");
    std::os::unix::fs::symlink("b.log", dir.join("a.log")).expect("symlink");
    std::os::unix::fs::symlink("a.log", dir.join("b.log")).expect("symlink");
    std::os::unix::fs::symlink("self.log", dir.join("self.log")).expect("symlink");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let warnings = ran.report["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.iter().all(|w| w.as_str().is_some_and(|w| w.contains("symlink loop"))));
}

/// 100,000 one-line app logs in 100 folders: all read and counted. Sniffing each file used
/// to recompile the Postgres prefixes and zero a 256 KiB buffer; see the CHANGELOG.
///
/// Creating and deleting 100k files measures the file system more than rootcause (minutes on
/// an ext4 mounted with `discard`), so on Linux they go to RAM, `/dev/shm`, when it exists.
#[test]
fn a_hundred_thousand_tiny_files_are_all_counted() {
    const FILES: u64 = 100_000;
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        let p = shm.join(format!("rootcause-test-{}-many", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        std::fs::copy(case("healthy-baseline").join("hammer.csv"), p.join("hammer.csv"))
            .expect("copy hammer.csv");
        TempDir(p)
    } else {
        folder("many")
    };
    for d in 0..100 {
        let sub = dir.join(&format!("d{d:02}"));
        std::fs::create_dir(&sub).expect("mkdir");
        for f in 0..FILES / 100 {
            std::fs::write(sub.join(format!("{f:04}.log")), app_line((f % 10) as u32))
                .expect("write");
        }
    }
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let inputs = ran.report["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len() as u64, FILES + 1);
    assert!(inputs.iter().all(|i| i["error"].is_null()));
    let records: u64 = inputs.iter().filter_map(|i| i["records"].as_u64()).sum();
    assert_eq!(records, FILES + HAMMER_REQUESTS);
}

/// Catastrophic backtracking cannot happen (the regex crate is linear); what is too large to
/// compile is refused before any input is read.
#[test]
fn user_patterns_run_in_linear_time_or_are_refused() {
    let dir = folder("regex");
    let long = "a".repeat(1 << 20);
    // The short line first: the sniffer sees only complete lines of the first 64 KiB.
    let mut log = r#"{"event": "aaab", "created_at": "2026-11-25T15:40:55Z"}"#.to_string();
    log.push('\n');
    for s in 0..4 {
        log += &format!(r#"{{"event": "{long}", "created_at": "2026-11-25T15:40:5{s}Z"}}"#);
        log.push('\n');
    }
    std::fs::write(dir.join("app.log"), log).expect("write");
    // (a*)*b over 1 MiB of `a` without a `b`: exponential for a backtracker.
    let ran = analyze(&dir, &["--stage", "hit=(a*)*b"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.input("app.log")["records"], 5, "every long message was matched");
    assert_eq!(ran.report["funnel"]["hit"], 1);

    let alternation: Vec<String> = (0..10_000).map(|i| format!(r"w{i}\d+")).collect();
    let alternation = format!("hit={}", alternation.join("|"));
    let nested = format!("hit={}x{}", "(".repeat(65), ")".repeat(65));
    for (pattern, want) in [
        ("hit=a{1000}{1000}", "--stage hit: pattern 'a{1000}{1000}' is too large"),
        (alternation.as_str(), r"--stage hit: pattern 'w0\d+|w1\d+|"),
        (nested.as_str(), "nested"),
    ] {
        let out = run(cmd().args(["analyze", "--stage", pattern]).arg(&dir.0));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with("rootcause: usage error: ") && stderr.contains(want),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "refused before any work");
    }
}

/// `--strict`: skipped lines make the status 1 and stderr names each input, reason and first
/// lines; an input that cannot be read still makes it 2; nothing skipped leaves it 0.
#[test]
fn strict_turns_skips_into_exit_1() {
    let dir = folder("strict");
    std::fs::write(
        dir.join("app.log"),
        app_line(0) + "{\"event\": \"cut\n" + &app_line(1) + "[1]\n",
    )
    .expect("write");
    let ran = analyze(&dir, &[]);
    assert_eq!(ran.code, Some(0), "skips alone do not fail a run: {}", ran.stderr);
    let ran = analyze(&dir, &["--strict"]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "app.log: json_not_object 1 (first at line 4); truncated_json 1 (first at line 2)"
        ),
        "{}",
        ran.stderr
    );
    // The table lists each class with its count and first lines.
    let out = run(cmd().args(["analyze", "--width", "120", "--strict"]).arg(&dir.0));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for row in ["app.log ┆ json_not_object ┆     1 ┆ 4", "app.log ┆ truncated_json  ┆     1 ┆ 2"]
    {
        assert!(text.contains(row), "{row:?} in\n{text}");
    }

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("nowhere", dir.join("dangling.log")).expect("symlink");
        assert_eq!(analyze(&dir, &["--strict"]).code, Some(2), "unreadable input wins");
    }

    let clean = folder("strict-clean");
    assert_eq!(analyze(&clean, &["--strict"]).code, Some(0));
}
