//! Throughput of template mining (`rootcause::patterns`) on one core: `cargo bench --bench
//! patterns` (`-- --quick` for a short run).
//!
//! The messages are the real ones of `samples/*/`: Postgres messages (`postgresql.log`, the
//! `log_line_prefix` and severity cut), console lines (`stderr.log`, gunicorn's and uWSGI's
//! prefixes cut, ANSI escapes cleaned), and of `app.log` each event name and the last line of
//! each exception, about 25 000 messages of 50 bytes on average. They are fed in file order,
//! repeated until [`TARGET`] messages, each copy an hour later than the one before, so the
//! histograms grow as in a long run. `mask` measures masking alone (into a reused buffer, as the miner does), `mine` a whole
//! [`Miner::add`]; each is reported in messages/s and in MB/s (10^6 bytes of message text a
//! second).

use std::hint::black_box;
use std::path::Path;
use std::sync::LazyLock;

use criterion::{Criterion, Throughput};
use regex::Regex;
use rootcause::patterns::{Masked, Miner, MinerConfig, Occurrence, mask_into};
use rootcause_parsers::text;
use rootcause_parsers::time::{self, TimeOptions};

/// Messages per iteration.
const TARGET: usize = 200_000;

/// gunicorn's `[stamp] [pid] [LEVEL] ` and uWSGI's `ctime - `.
static ENVELOPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[[^\]]+\] \[\d+\] \[[A-Z]+\] |\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4} - )")
        .unwrap_or_else(|e| panic!("{e}"))
});

struct Msg {
    kind: &'static str,
    text: String,
    at: Occurrence,
}

fn corpus() -> Vec<Msg> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("app.log").exists())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    let mut source = 0;
    for dir in dirs {
        for file in ["postgresql.log", "stderr.log", "app.log"] {
            let Ok(bytes) = std::fs::read(dir.join(file)) else { continue };
            source += 1;
            for (n, line) in text::lines(&bytes).enumerate() {
                let s = String::from_utf8_lossy(&text::clean(line)).into_owned();
                let line = n as u64 + 1;
                let stamp = |t: &str| time::parse(t.as_bytes(), &TimeOptions::default());
                match file {
                    "postgresql.log" => {
                        let ts = s.get(..27).and_then(stamp).map(|t| t.micros);
                        let msg = s.split_once("] ").map_or(s.as_str(), |p| p.1);
                        let msg = msg.split_once(":  ").map_or(msg, |p| p.1);
                        let at = Occurrence { source, line, ts };
                        out.push(Msg { kind: "postgres", text: msg.to_owned(), at });
                    }
                    "stderr.log" => {
                        let msg = ENVELOPE.find(&s).map_or(s.as_str(), |m| &s[m.end()..]);
                        let at = Occurrence { source, line, ts: None };
                        out.push(Msg { kind: "console", text: msg.to_owned(), at });
                    }
                    _ => {
                        let Ok(v) = serde_json::from_str::<serde_json::Value>(&s) else { continue };
                        let ts = v["created_at"].as_str().and_then(stamp).map(|t| t.micros);
                        let at = Occurrence { source, line, ts };
                        if let Some(e) = v["event"].as_str() {
                            out.push(Msg { kind: "app", text: e.to_owned(), at });
                        }
                        let last = v["exception"]
                            .as_str()
                            .and_then(|e| e.lines().rfind(|l| !l.starts_with(' ')));
                        if let Some(l) = last {
                            out.push(Msg { kind: "exception", text: l.to_owned(), at });
                        }
                    }
                }
            }
        }
    }
    out
}

fn inputs() -> Vec<Msg> {
    let base = corpus();
    assert!(!base.is_empty(), "no messages in samples/");
    let mut out = Vec::with_capacity(TARGET);
    for copy in 0.. {
        for m in &base {
            if out.len() == TARGET {
                return out;
            }
            let ts = m.at.ts.map(|t| t + copy * 3_600_000_000);
            let at = Occurrence { ts, line: m.at.line + copy as u64 * 1_000_000, ..m.at };
            out.push(Msg { kind: m.kind, text: m.text.clone(), at });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let msgs = inputs();
    let bytes: u64 = msgs.iter().map(|m| m.text.len() as u64).sum();
    let mine = |msgs: &[Msg]| {
        let mut miner = Miner::new(MinerConfig::default());
        for m in msgs {
            miner.add(m.kind, &m.text, m.at);
        }
        miner
    };
    eprintln!(
        "{} messages, {:.1} bytes each on average, {} templates",
        msgs.len(),
        bytes as f64 / msgs.len() as f64,
        mine(&msgs).templates().len()
    );
    for (unit, throughput) in [
        ("msgs", Throughput::Elements(msgs.len() as u64)),
        ("bytes", Throughput::BytesDecimal(bytes)),
    ] {
        let mut g = c.benchmark_group(format!("patterns/{unit}"));
        g.throughput(throughput);
        g.sample_size(10);
        g.bench_function("mask", |b| {
            let mut out = Masked::default();
            b.iter(|| {
                for m in &msgs {
                    mask_into(black_box(&m.text), 64, &mut out);
                    black_box(out.tokens.len());
                }
            })
        });
        g.bench_function("mine", |b| b.iter(|| black_box(mine(&msgs))));
        g.finish();
    }
}

fn main() {
    // What `criterion_group!` and `criterion_main!` expand to, written out: the macros define
    // an undocumented public function, which the workspace's `missing_docs` lint refuses.
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
