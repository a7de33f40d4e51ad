//! `rootcause timeline`: order, clock correction, `--around`, `--limit`, JSON Lines, escapes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::{TempDir, analyze_json, case, cmd, read_csv, run};

const MS: i64 = 1000;
const SECOND: i64 = 1_000_000;

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM:SS[.frac]` as µs after midnight.
fn time_of_day(s: &str) -> i64 {
    let mut it = s.split(':');
    let mut next = || it.next().unwrap_or_else(|| panic!("time {s:?}"));
    let h: i64 = next().parse().expect("hour");
    let m: i64 = next().parse().expect("minute");
    let sec: f64 = next().parse().expect("second");
    (h * 3600 + m * 60) * SECOND + (sec * 1e6).round() as i64
}

/// `YYYY-MM-DD` as µs since the epoch.
fn date(s: &str) -> i64 {
    let p: Vec<i64> = s.split('-').map(|x| x.parse().expect("date")).collect();
    days_from_civil(p[0], p[1], p[2]) * 86_400 * SECOND
}

/// An RFC 3339 time (`Z` or `±HH:MM`) as UTC µs; written here so the tests do not lean on the
/// parser under test.
fn utc(s: &str) -> i64 {
    let (d, rest) = s.split_once('T').unwrap_or_else(|| panic!("no T in {s:?}"));
    let (clock, offset) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-']).unwrap_or_else(|| panic!("no zone in {s:?}"));
        let (c, z) = rest.split_at(at);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (h, m) = z[1..].split_once(':').expect("±HH:MM");
        (c, sign * (h.parse::<i64>().unwrap() * 3600 + m.parse::<i64>().unwrap() * 60) * SECOND)
    };
    date(d) + time_of_day(clock) - offset
}

/// One event line of the text output.
#[derive(Debug, Clone)]
struct Line {
    /// UTC µs (millisecond precision), `None` for `-`.
    ts: Option<i64>,
    /// Marked `*` (clock corrected).
    corrected: bool,
    /// `label:line`.
    loc: String,
    /// The whole printed line.
    text: String,
}

/// The text output split into header lines and event lines.
struct Text {
    headers: Vec<String>,
    events: Vec<Line>,
}

fn parse_text(out: &str) -> Text {
    let day =
        out.lines().find_map(|l| l.strip_prefix("Times are UTC, on ")?.strip_suffix('.')).map(date);
    let mut t = Text { headers: Vec::new(), events: Vec::new() };
    for l in out.lines() {
        let mut tok = l.split_whitespace();
        let first = tok.next().unwrap_or_default();
        let ts = if first == "-" {
            None
        } else if first.contains('T') && first.ends_with('Z') {
            Some(utc(first))
        } else if first.len() == 12 && first.as_bytes()[2] == b':' {
            Some(day.expect("a time of day needs the date line") + time_of_day(first))
        } else {
            t.headers.push(l.to_string());
            continue;
        };
        let mut loc = tok.next().expect("location");
        let corrected = loc == "*";
        if corrected {
            loc = tok.next().expect("location");
        }
        t.events.push(Line { ts, corrected, loc: loc.to_string(), text: l.to_string() });
    }
    t
}

fn timeline(args: &[&str]) -> String {
    let out = run(cmd().arg("timeline").args(args));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The correction printed for `label`, in ms (`None` when none was applied).
fn correction_ms(t: &Text, label: &str) -> Option<f64> {
    t.headers.iter().find_map(|h| {
        let rest = h.strip_prefix(&format!("{label}: clock corrected by "))?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn assert_time_order(events: &[Line]) {
    let mut last = i64::MIN;
    let mut untimed = false;
    for e in events {
        match e.ts {
            Some(t) => {
                assert!(!untimed, "a timed event after an untimed one: {}", e.text);
                assert!(t >= last, "out of order: {}", e.text);
                last = t;
            }
            None => untimed = true,
        }
    }
}

#[test]
fn clock_skew_events_are_in_order_on_the_corrected_clock() {
    let dir = case("clock-skew");
    let text = parse_text(&timeline(&[path(&dir)]));
    let rows = read_csv(&dir.join("hammer.csv"));
    assert!(text.events.len() > rows.len(), "every input's events are printed");
    assert_time_order(&text.events);

    let corr = correction_ms(&text, "hammer.csv").expect("a header reports the correction");
    assert!((corr + 3742.0).abs() < 5.0, "hammer corrected by {corr} ms, expected about -3742");
    for other in ["app.log", "stderr.log", "postgresql.log"] {
        assert_eq!(correction_ms(&text, other), None, "{other} is on the reference clock");
    }

    // Every hammer row, at its sent_at converted to UTC minus 3.742 s.
    let by_loc: BTreeMap<&str, &Line> = text.events.iter().map(|e| (e.loc.as_str(), e)).collect();
    for (i, row) in rows.iter().enumerate() {
        let loc = format!("hammer.csv:{}", i + 2);
        let e = by_loc.get(loc.as_str()).unwrap_or_else(|| panic!("{loc} printed"));
        let want = utc(&row["sent_at"]) - 3742 * MS;
        let got = e.ts.expect("timed");
        assert!((got - want).abs() <= 5 * MS, "{loc}: printed {got}, expected {want}: {}", e.text);
        assert!(e.corrected, "{loc} is marked corrected");
    }
    let app = text.events.iter().find(|e| e.loc.starts_with("app.log:")).expect("app events");
    assert!(!app.corrected, "app.log is not marked: {}", app.text);
}

/// The first failure as an independent scan sees it: the first hammer row by sent_at whose
/// status is 5xx or empty, and the earliest failure signature of the JSON report.
struct Expected {
    ts: i64,
    what: String,
}

fn expected_first_failure(name: &str, hammer_correction_ms: f64) -> Expected {
    let rows = read_csv(&case(name).join("hammer.csv"));
    let (req_ts, req_line, status) = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r["status"].is_empty() || r["status"].parse::<u16>().is_ok_and(|s| s / 100 == 5)
        })
        .map(|(i, r)| {
            let ts = utc(&r["sent_at"]) + (hammer_correction_ms * 1000.0).round() as i64;
            (ts, i + 2, r["status"].clone())
        })
        .min()
        .expect("the sample has a failed request");
    let report = analyze_json(&[path(&case(name))]);
    let sig = report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .filter(|s| s["failure"] == true)
        .map(|s| (utc(s["first_seen"].as_str().expect("first_seen")), s["id"].to_string()))
        .min();
    match sig {
        Some((ts, id)) if ts < req_ts => {
            Expected { ts, what: format!("signature {}", id.trim_matches('"')) }
        }
        _ => {
            let what = if status.is_empty() {
                "request without a response".to_string()
            } else {
                format!("request {status}")
            };
            Expected { ts: req_ts, what: format!("{what} at hammer.csv:{req_line}") }
        }
    }
}

#[test]
fn around_first_failure_shows_the_window_around_what_failed_first() {
    for name in ["eof-open-transaction", "pool-exhaustion"] {
        let dir = case(name);
        let all = parse_text(&timeline(&[path(&dir)]));
        let corr = correction_ms(&all, "hammer.csv").unwrap_or(0.0);
        let want = expected_first_failure(name, corr);

        let text =
            parse_text(&timeline(&[path(&dir), "--around", "first-failure", "--window", "2s"]));
        let around = text
            .headers
            .iter()
            .find(|h| h.starts_with("around "))
            .unwrap_or_else(|| panic!("{name}: an around line: {:?}", text.headers));
        let stated = utc(around.split_whitespace().nth(1).expect("a time"));
        assert!(
            (stated - want.ts).abs() < MS,
            "{name}: around {stated}, expected {} ({})",
            want.ts,
            want.what
        );
        assert!(
            around.contains(&format!("(first failure: {}", want.what)),
            "{name}: {around:?} should name {:?}",
            want.what
        );
        assert!(around.ends_with("±2 s"), "{around}");

        assert!(!text.events.is_empty(), "{name}: events printed");
        assert!(text.events.len() < all.events.len(), "{name}: the window leaves events out");
        let (lo, hi) = (stated - 2 * SECOND, stated + 2 * SECOND);
        for e in &text.events {
            let t = e.ts.unwrap_or_else(|| panic!("{name}: untimed event in a window: {}", e.text));
            // Printed times are cut to the millisecond.
            assert!(t >= lo - MS && t <= hi + MS, "{name}: outside the window: {}", e.text);
        }
        // ... and nothing inside the window is missing.
        let shown: BTreeSet<&str> = text.events.iter().map(|e| e.loc.as_str()).collect();
        for e in &all.events {
            if e.ts.is_some_and(|t| t > lo + MS && t < hi - MS) {
                assert!(shown.contains(e.loc.as_str()), "{name}: missing {}", e.text);
            }
        }
        assert_time_order(&text.events);
    }
}

#[test]
fn limit_keeps_the_events_nearest_the_anchor_and_counts_the_rest() {
    let dir = case("eof-open-transaction");
    let args = [path(&dir), "--around", "first-failure", "--window", "3s"];
    let full = parse_text(&timeline(&args));
    let cut = parse_text(&timeline(&[&args[..], &["--limit", "7"]].concat()));
    assert_eq!(cut.events.len(), 7);
    assert!(cut.events.iter().any(|e| e.loc == "hammer.csv:60"), "the failed request is kept");
    let count = |prefix: &str| -> usize {
        cut.headers
            .iter()
            .find_map(|h| {
                h.strip_prefix("… ")?.strip_suffix(" not shown (--limit 7)")?.strip_suffix(prefix)
            })
            .map_or(0, |n| n.trim().parse().expect("a count"))
    };
    let (earlier, later) = (count(" earlier events"), count(" later events"));
    assert!(earlier > 0 && later > 0, "{:?}", cut.headers);
    assert_eq!(earlier + 7 + later, full.events.len(), "left out + shown = the whole window");
    let locs: Vec<&str> = full.events.iter().map(|e| e.loc.as_str()).collect();
    let kept: Vec<&str> = cut.events.iter().map(|e| e.loc.as_str()).collect();
    assert_eq!(&locs[earlier..earlier + 7], kept.as_slice(), "a contiguous run of the window");
}

#[test]
fn a_healthy_run_has_no_first_failure() {
    let dir = case("healthy-baseline");
    let text = timeline(&[path(&dir), "--around", "first-failure"]);
    assert_eq!(
        text,
        "no failure found: no request failed (5xx or no response) and no failure signature \
         matched\n"
    );
    assert_eq!(timeline(&[path(&dir), "--around", "first-failure", "--format", "json"]), "");
}

#[test]
fn json_lines_point_at_real_lines() {
    let dir = case("clock-skew");
    let out = timeline(&[path(&dir), "--format", "json"]);
    let rows = read_csv(&dir.join("hammer.csv"));
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut last = i64::MIN;
    for l in out.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let source = v["source"].as_str().expect("source").to_string();
        let line = v["line"].as_u64().expect("line") as usize;
        let kind = v["kind"].as_str().expect("kind").to_string();
        let text = v["text"].as_str().expect("text");
        let skew = v["skew_ms"].as_f64().expect("skew_ms");
        let ts = utc(v["ts"].as_str().expect("every event here has a time"));
        assert!(ts >= last, "time order: {l}");
        last = ts;
        *kinds.entry(kind.clone()).or_default() += 1;
        let lines = files.entry(source.clone()).or_insert_with(|| {
            std::fs::read_to_string(&source)
                .expect("source is a readable path")
                .lines()
                .map(String::from)
                .collect()
        });
        let at = lines.get(line - 1).unwrap_or_else(|| panic!("{source}:{line} exists"));
        match kind.as_str() {
            "request" => {
                assert!(source.ends_with("hammer.csv"), "{l}");
                let route = v["route"].as_str().expect("route");
                assert!(at.contains(&format!(",{route},")), "{source}:{line} {at:?} vs {l}");
                let status = v["status"].as_u64().map_or(String::new(), |s| s.to_string());
                assert!(at.contains(&format!(",{status},")), "{at:?} vs {l}");
                // The printed time is the row's own minus the skew.
                let row = &rows[line - 2];
                let own = utc(&row["sent_at"]);
                assert!((own - ts - (skew * 1000.0).round() as i64).abs() <= 10, "{l}");
                assert!((skew - 3742.0).abs() < 5.0, "{l}");
            }
            "app" => {
                assert!(source.ends_with("app.log"), "{l}");
                let id = v["request_id"].as_str().expect("request_id");
                assert!(at.contains(id), "{at:?} vs {l}");
                assert_eq!(skew, 0.0, "{l}");
            }
            "postgres" | "console" => {
                let message = text.split_once(": ").map_or(text, |(_, m)| m);
                let message = message.trim_end_matches('…');
                assert!(at.contains(message), "{source}:{line} {at:?} vs {l}");
                assert_eq!(skew, 0.0, "{l}");
            }
            other => panic!("unexpected kind {other}: {l}"),
        }
    }
    assert_eq!(kinds.get("request"), Some(&rows.len()), "{kinds:?}");
    for k in ["app", "console", "postgres"] {
        assert!(kinds.get(k).is_some_and(|n| *n > 0), "{k} events present: {kinds:?}");
    }
}

#[test]
fn escape_sequences_in_logs_never_reach_the_terminal() {
    let dir = TempDir::new("timeline-escapes");
    let evil = r#"{"timestamp": "2026-11-25T15:42:1N.000Z", "level": "error", "event": "title \u001b]0;pwned\u0007 and \u001b[31mred text\u001b[0m", "route": "/x\u001b[2J", "request_id": "abc"}"#;
    let log: String = (1..=3).map(|n| evil.replace('N', &n.to_string()) + "\n").collect();
    std::fs::write(dir.join("app.log"), log).expect("write");
    let console =
        b"[2026-11-25 15:42:14 +0000] [1] [ERROR] raw \x1b]0;pwned\x07\x1b[31mred text\x1b[0m\n";
    std::fs::write(dir.join("stderr.log"), console).expect("write");
    // Parsers strip ESC sequences; other controls (BEL, the 8-bit CSI U+009B, a right-to-left
    // override) can still reach a cell, and the timeline must drop them too.
    let csv = "sent_at,route,url,status,elapsed_ms,error\n\
               2026-11-25T15:42:13.000Z,/y,http://h/y,,10.0,\u{9b}31mred text\u{7}\u{202e}gnol\n";
    std::fs::write(dir.join("hammer.csv"), csv).expect("write");
    // JSON has the request's error cell as a field of its own as well.
    for (format, lines) in [("text", 5), ("json", 6)] {
        let out = run(cmd().args(["timeline", "--format", format, path(&dir.0)]));
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(
            stdout.matches("red text").count(),
            lines,
            "{format}: every line is printed:\n{stdout}"
        );
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(!stdout.contains(c), "{format}: {c:?} in the output:\n{stdout:?}");
        }
        assert!(!stdout.contains("pwned"), "{format}: OSC payload shown:\n{stdout:?}");
        for escaped in ["\\u001b", "\\u0007", "\\u009b", "\\u202e"] {
            assert!(!stdout.contains(escaped), "{format}: {escaped} in the JSON:\n{stdout}");
        }
    }
}

#[test]
fn a_bad_around_is_a_usage_error() {
    let dir = case("eof-open-transaction");
    for bad in ["soon", "25:00:00", "15:61", "2026-13-45T00:00:00Z", "first_failure"] {
        let out = run(cmd().args(["timeline", path(&dir), "--around", bad]));
        assert_eq!(out.status.code(), Some(2), "--around {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("--around: '{bad}' is not a time")),
            "--around {bad}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "--around {bad}: nothing on stdout");
    }
}
