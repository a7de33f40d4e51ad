//! Picks an input's format from the first bytes of its content, never from its name.
//!
//! Each format module has its own `sniff(head) -> Option<Detection>`; this module asks all of
//! them and keeps the most confident answer, with the reasons of every candidate so that
//! `rootcause sniff` can show why. Binary data and whole JSON documents are recognised so
//! the "unknown" answer can say what the file is instead.
//!
//! ```
//! use rootcause_parsers::sniff::{sniff, Format};
//! let s = sniff(b"sent_at,route,status,elapsed_ms\n2026-11-25T15:39:20Z,/a,200,3.5\n");
//! assert_eq!(s.format, Some(Format::LoadTestCsv));
//! ```

use std::fmt;
use std::str::FromStr;

use crate::{Detection, console, jsonlog, k6, loadtest, locust, platform, postgres, vegeta, wrk};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Per-request load-test CSV (hammer, JMeter JTL, ...).
    LoadTestCsv,
    /// JSON-lines application log.
    JsonLog,
    /// Postgres stderr log.
    Postgres,
    /// Postgres `csvlog` destination.
    PostgresCsv,
    /// Postgres `jsonlog` destination (PostgreSQL 15+).
    PostgresJson,
    /// A server's console: gunicorn/werkzeug lines and Python tracebacks.
    Console,
    /// k6 `--out csv` metric samples.
    K6Csv,
    /// vegeta `encode --to csv` rows.
    VegetaCsv,
    /// Locust `--csv` stats, history, failures or exceptions.
    LocustCsv,
    /// wrk or wrk2 text summary.
    WrkText,
    /// A Heroku log stream (`heroku logs`, a logplex drain).
    Heroku,
    /// Cloud Foundry's `cf logs` output.
    CloudFoundry,
}

impl Format {
    /// Every format, in the order they are tried.
    pub const ALL: [Format; 12] = [
        Format::LocustCsv,
        Format::K6Csv,
        Format::VegetaCsv,
        Format::PostgresCsv,
        Format::LoadTestCsv,
        Format::PostgresJson,
        // Before JSON lines and the console: a platform stream carries both inside its
        // envelopes, and wins a tie.
        Format::Heroku,
        Format::CloudFoundry,
        Format::JsonLog,
        Format::Postgres,
        Format::WrkText,
        Format::Console,
    ];

    /// The stable name used in reports and in `--input-format PATH=FORMAT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::LoadTestCsv => "loadtest-csv",
            Format::JsonLog => "json-log",
            Format::Postgres => "postgres",
            Format::PostgresCsv => "postgres-csv",
            Format::PostgresJson => "postgres-json",
            Format::Console => "console",
            Format::K6Csv => "k6-csv",
            Format::VegetaCsv => "vegeta-csv",
            Format::LocustCsv => "locust-csv",
            Format::WrkText => "wrk-text",
            Format::Heroku => "heroku",
            Format::CloudFoundry => "cf-logs",
        }
    }

    /// True for the Postgres server's logs, whatever their destination.
    pub fn is_postgres(self) -> bool {
        matches!(self, Format::Postgres | Format::PostgresCsv | Format::PostgresJson)
    }

    /// True for the outputs of load tools (per-request rows or aggregates).
    pub fn is_loadtest(self) -> bool {
        matches!(
            self,
            Format::LoadTestCsv
                | Format::K6Csv
                | Format::VegetaCsv
                | Format::LocustCsv
                | Format::WrkText
        )
    }

    fn detect(self, head: &[u8]) -> Option<Detection> {
        match self {
            Format::LoadTestCsv => loadtest::sniff(head),
            Format::JsonLog => jsonlog::sniff(head),
            Format::Postgres => postgres::sniff(head),
            Format::PostgresCsv => postgres::csv::sniff(head),
            Format::PostgresJson => postgres::json::sniff(head),
            Format::Console => console::sniff(head),
            Format::K6Csv => k6::sniff(head),
            Format::VegetaCsv => vegeta::sniff(head),
            Format::LocustCsv => locust::sniff(head),
            Format::WrkText => wrk::sniff(head),
            Format::Heroku => platform::sniff(head),
            Format::CloudFoundry => platform::sniff_cf(head),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown format '{s}' (expected one of: {})", names.join(", "))
        })
    }
}

/// The verdict on one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Sniffed {
    /// The chosen format, `None` if nothing fits.
    pub format: Option<Format>,
    /// Why: the winner's reason, or what the content is when nothing fits.
    pub reason: String,
    /// Every format that answered, most confident first.
    pub candidates: Vec<(Format, Detection)>,
}

/// Below this score a candidate is not taken.
pub const MIN_SCORE: f32 = 0.3;

/// Sniffs the head of an input (the first few dozen kilobytes are plenty).
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.is_empty() {
        return Sniffed { format: None, reason: "empty input".into(), candidates: Vec::new() };
    }
    if looks_binary(head) {
        return Sniffed {
            format: None,
            reason: "binary data (NUL or many control bytes in the first block)".into(),
            candidates: Vec::new(),
        };
    }
    let mut candidates: Vec<(Format, Detection)> =
        Format::ALL.into_iter().filter_map(|f| f.detect(head).map(|d| (f, d))).collect();
    // Highest score first; on a tie, the earlier (more specific) format in `Format::ALL`.
    let rank = |f: &Format| Format::ALL.iter().position(|g| g == f);
    candidates.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(rank(&a.0).cmp(&rank(&b.0))));
    match candidates.first() {
        Some((f, d)) if d.score >= MIN_SCORE => {
            Sniffed { format: Some(*f), reason: d.reason.clone(), candidates }
        }
        _ => Sniffed { format: None, reason: describe_unknown(head), candidates },
    }
}

/// True when more than 10% of the first 8 KiB are NUL or control bytes (other than
/// whitespace and ESC, which colourised consoles use). A stray NUL in a text log (a corrupt
/// line) does not make it binary, and neither does a run of 16 NULs or more: that is the hole a
/// crash or a `copytruncate` rotation leaves in a text log, so it is left out of the count.
/// Nothing but such runs is binary.
pub fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    let (mut controls, mut counted) = (0, 0);
    for run in sample.chunk_by(|a, b| (*a == 0) == (*b == 0)) {
        if run.len() >= 16 && run.first() == Some(&0) {
            continue;
        }
        counted += run.len();
        controls += run
            .iter()
            .filter(|&&c| c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x1b | 0x0c))
            .count();
    }
    counted == 0 || controls * 10 > counted
}

fn describe_unknown(head: &[u8]) -> String {
    let first = crate::text::lines(head).find(|l| !crate::text::is_blank(l)).unwrap_or_default();
    let trimmed = first.trim_ascii();
    if trimmed == b"{" || trimmed == b"[" || (trimmed.starts_with(b"{") && !trimmed.ends_with(b"}"))
    {
        return "a JSON document spread over several lines, not JSON lines".into();
    }
    let shown: String = crate::text::lossy(&first[..first.len().min(60)])
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!("no known format; first line starts {shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_formats_and_explains_unknowns() {
        let csv = b"sent_at,route,status,elapsed_ms\n2026-11-25T15:39:20Z,/a,200,3.5\n";
        assert_eq!(sniff(csv).format, Some(Format::LoadTestCsv));
        let json = b"{\"event\": \"function hit\", \"level\": \"info\", \"created_at\": \"2026-11-25T15:42:12Z\"}\n";
        assert_eq!(sniff(json).format, Some(Format::JsonLog));
        let doc = sniff(b"{\n  \"fault\": \"none\"\n}\n");
        assert_eq!(doc.format, None);
        assert!(doc.reason.contains("JSON document"), "{}", doc.reason);
        let bin = sniff(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03");
        assert_eq!(bin.format, None);
        assert!(bin.reason.contains("binary"));
        // One corrupt line with a NUL among JSON lines: still JSON lines.
        let mixed = b"{\"event\": \"function hit\", \"created_at\": \"2026-11-25T15:42:12Z\"}\n\
{\"event\": \"query started\"\n\xff\xfe\x00garbage\n{\"event\": \"query completed\"}\n";
        assert_eq!(sniff(mixed).format, Some(Format::JsonLog));
        // A hole of NULs between JSON lines (a crash, a copytruncate rotation): still JSON.
        let mut holed = json.to_vec();
        holed.extend_from_slice(&[0; 4096]);
        holed.extend_from_slice(json);
        holed.extend_from_slice(json);
        assert_eq!(sniff(&holed).format, Some(Format::JsonLog));
        assert!(sniff(&[0; 4096]).reason.contains("binary"));
        assert_eq!(sniff(b"").reason, "empty input");
        assert_eq!("postgres".parse::<Format>(), Ok(Format::Postgres));
        assert!("pg".parse::<Format>().is_err());
    }

    #[test]
    fn load_tool_dialects_win_and_steal_nothing() {
        let cases: &[(&[u8], Format, &str)] = &[
            (include_bytes!("../tests/fixtures/k6/k6-default.csv"), Format::K6Csv, "k6 CSV"),
            (include_bytes!("../tests/fixtures/k6/k6-old-header.csv"), Format::K6Csv, "k6 CSV"),
            (
                include_bytes!("../tests/fixtures/vegeta/vegeta-12.csv"),
                Format::VegetaCsv,
                "vegeta CSV (12 columns",
            ),
            (
                include_bytes!("../tests/fixtures/vegeta/vegeta-6.csv"),
                Format::VegetaCsv,
                "vegeta CSV (6 columns",
            ),
            (
                include_bytes!("../tests/fixtures/jmeter/jmeter5.jtl"),
                Format::LoadTestCsv,
                "JMeter JTL CSV",
            ),
            (
                include_bytes!("../../samples/loadtools/jmeter/out.jtl"),
                Format::LoadTestCsv,
                "JMeter JTL CSV",
            ),
            (
                include_bytes!("../../samples/loadtools/jmeter/out-tab.jtl"),
                Format::LoadTestCsv,
                "JMeter JTL CSV",
            ),
            (
                include_bytes!("../../samples/pool-exhaustion/hammer.csv"),
                Format::LoadTestCsv,
                "CSV header",
            ),
            (include_bytes!("../../samples/pool-exhaustion/app.log"), Format::JsonLog, ""),
            (include_bytes!("../../samples/pool-exhaustion/postgresql.log"), Format::Postgres, ""),
            (include_bytes!("../../samples/pool-exhaustion/stderr.log"), Format::Console, ""),
            (include_bytes!("../tests/fixtures/postgres/rds.log"), Format::Postgres, ""),
        ];
        for (i, &(bytes, want, reason)) in cases.iter().enumerate() {
            let head = &bytes[..bytes.len().min(64 * 1024)];
            let s = sniff(head);
            assert_eq!(s.format, Some(want), "case {i}: {} / {:?}", s.reason, s.candidates);
            assert!(s.reason.starts_with(reason), "case {i}: {}", s.reason);
            for (f, d) in &s.candidates {
                if [Format::K6Csv, Format::VegetaCsv].contains(f) && *f != want {
                    panic!("case {i}: {f} answered {d:?}");
                }
            }
        }
    }

    #[test]
    fn locust_headers_beat_the_generic_load_test_csv() {
        let files: [(&[u8], &str); 4] = [
            (include_bytes!("../../samples/loadtools/locust/run_stats.csv"), "stats"),
            (include_bytes!("../../samples/loadtools/locust/run_stats_history.csv"), "history"),
            (include_bytes!("../../samples/loadtools/locust/run_failures.csv"), "failures"),
            (include_bytes!("../../samples/loadtools/locust/run_exceptions.csv"), "exceptions"),
        ];
        for (head, what) in files {
            let s = sniff(head);
            assert_eq!(s.format, Some(Format::LocustCsv), "{what}: {:?}", s.candidates);
            assert!(s.reason.starts_with("Locust"), "{}", s.reason);
        }
        // The history header also reads as a generic CSV (Timestamp, Name): Locust must win.
        let history = sniff(files[1].0);
        assert!(history.candidates.iter().any(|(f, _)| *f == Format::LoadTestCsv));
        // Headers alone, and the old 4-column failures header.
        for header in [
            &b"Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,\
90%,95%,98%,99%,99.9%,99.99%,100%\n"[..],
            b"Method,Name,Error,Occurrences\nGET,/a,\"ConnectionResetError(104, 'x')\",3\n",
            b"Count,Message,Traceback,Nodes\n",
        ] {
            assert_eq!(sniff(header).format, Some(Format::LocustCsv));
        }
        let hammer = b"sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error\n\
2026-11-25T15:39:20.139Z,/a,http://127.0.0.1/a,10,0,200,12.5,\n";
        assert_eq!(sniff(hammer).format, Some(Format::LoadTestCsv));
        let real = include_bytes!("../../samples/pool-exhaustion/hammer.csv");
        assert_eq!(sniff(&real[..16_384]).format, Some(Format::LoadTestCsv));
    }

    #[test]
    fn wrk_summaries_are_found_and_logs_are_not_stolen() {
        let wrk = sniff(include_bytes!("../../samples/loadtools/wrk/mixed.txt"));
        assert_eq!(wrk.format, Some(Format::WrkText));
        assert!(wrk.reason.starts_with("wrk text summary"), "{}", wrk.reason);
        let wrk2 = sniff(include_bytes!("../tests/fixtures/wrk/wrk2-latency.txt"));
        assert_eq!(wrk2.format, Some(Format::WrkText));
        assert!(wrk2.reason.starts_with("wrk2 "), "{}", wrk2.reason);
        // werkzeug prints " * Running on http://...": a console, not wrk.
        let console = include_bytes!("../../samples/pool-exhaustion/stderr.log");
        assert_eq!(sniff(&console[..16_384]).format, Some(Format::Console));
        let pg = include_bytes!("../../samples/pool-exhaustion/postgresql.log");
        assert_eq!(sniff(pg).format, Some(Format::Postgres));
        for log in [
            &include_bytes!("../tests/fixtures/console/gunicorn-sync-timeout.log")[..],
            &include_bytes!("../tests/fixtures/postgres/debian.log")[..],
        ] {
            let s = sniff(&log[..log.len().min(16_384)]);
            assert!(s.candidates.iter().all(|(f, _)| *f != Format::WrkText), "{:?}", s.candidates);
            assert!(s.candidates.iter().all(|(f, _)| *f != Format::LocustCsv));
        }
    }
}
