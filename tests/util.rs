//! Helpers: run the built binary in a clean environment, temporary folders, sample paths.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The folder of bundled samples.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// A sample case folder.
pub fn case(name: &str) -> PathBuf {
    samples().join(name)
}

/// The case's truth.json.
pub fn truth(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(case(name).join("truth.json")).expect("truth.json");
    serde_json::from_str(&text).expect("truth.json parses")
}

/// A `rootcause` command with `ROOTCAUSE_*`, `NO_COLOR` and `TERM` cleared.
pub fn cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rootcause"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ROOTCAUSE_") {
            c.env_remove(k);
        }
    }
    c.env_remove("NO_COLOR").env_remove("TERM").stdin(Stdio::null());
    c
}

/// Runs and returns the output.
pub fn run(c: &mut Command) -> Output {
    c.output().expect("rootcause runs")
}

/// Runs `analyze --format json ARGS...`, expects exit 0, returns the report.
pub fn analyze_json(args: &[&str]) -> serde_json::Value {
    let out = run(cmd().args(["analyze", "--format", "json"]).args(args));
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// A fresh temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TempDir {
    /// Creates it under the system temp folder.
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("rootcause-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// A path inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// Reads a CSV with a header into maps, independently of the parser under test (quotes with
/// `""` escapes; no multi-line cells).
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("read csv");
    let split = |line: &str| -> Vec<String> {
        let (mut cells, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => cells.push(std::mem::take(&mut cur)),
                (c, _) => cur.push(c),
            }
        }
        cells.push(cur);
        cells
    };
    let mut lines = text.lines();
    let header = split(lines.next().expect("header"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| header.iter().cloned().zip(split(l)).collect())
        .collect()
}
