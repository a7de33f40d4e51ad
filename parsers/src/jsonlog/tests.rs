use super::*;
use crate::parse_bytes;
use crate::time::format_rfc3339_micros;

fn parse(input: &[u8]) -> crate::VecSink<AppEvent> {
    let out = parse_bytes(&mut Parser::new(Options::default()), input);
    crate::testutil::assert_contiguous_accounting(&out);
    out
}

fn one(input: &str) -> AppEvent {
    let out = parse(input.as_bytes());
    assert_eq!(out.records.len(), 1, "{input}: {:?}", out.skipped);
    out.records[0].rec.clone()
}

#[test]
fn structlog_line() {
    let ev = one(
        r#"{"route": "/businesses?id=", "request_id": "1c66", "duration_ms": 150.6, "event": "query completed", "level": "info", "service": "ras-party", "created_at": "2026-11-25T15:42:12.216371Z"}"#,
    );
    assert_eq!(ev.message, "query completed");
    assert_eq!(ev.level, Some(Level::Info));
    assert_eq!(ev.route.as_deref(), Some("/businesses?id="));
    assert_eq!(ev.request_id.as_deref(), Some("1c66"));
    assert_eq!(ev.duration_ms, Some(150.6));
    assert_eq!(format_rfc3339_micros(ev.ts.unwrap()), "2026-11-25T15:42:12.216371Z");
    assert_eq!(ev.style, Some(Style::Structlog));
}

#[test]
fn python_json_logger_line_with_zone_less_asctime() {
    let input = r#"{"asctime": "2019-01-29 15:56:50,123", "levelname": "ERROR", "name": "ras_party", "message": "Uncaught exception", "exc_info": "Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in f\n    g()\nRuntimeError: can't start new thread"}"#;
    let out = parse(input.as_bytes());
    let ev = &out.records[0].rec;
    assert_eq!(ev.message, "Uncaught exception");
    assert_eq!(ev.level, Some(Level::Error));
    assert_eq!(ev.logger.as_deref(), Some("ras_party"));
    assert_eq!(ev.style, Some(Style::PythonJsonLogger));
    assert_eq!(format_rfc3339_micros(ev.ts.unwrap()), "2019-01-29T15:56:50.123000Z");
    assert!(out.notes.contains(&(1, Note::ZoneAssumed)));
    let tb = ev.exception.as_ref().expect("exc_info is parsed as a traceback");
    assert_eq!(tb.sections.len(), 1);
    assert_eq!(tb.sections[0].frames[0].file, "/app/x.py");
    let last = tb.last().unwrap();
    assert_eq!(
        (last.exc_type.as_str(), last.message.as_str()),
        ("RuntimeError", "can't start new thread")
    );
}

#[test]
fn embedded_tracebacks_under_every_key() {
    let tb =
        r#""Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: boom""#;
    for key in ["exception", "exc_info", "stack", "stack_trace", "traceback", "exc_text"] {
        let ev = one(&format!(r#"{{"event": "x", "{key}": {tb}}}"#));
        let last = ev.exception.as_ref().and_then(|t| t.last().cloned());
        assert_eq!(last.map(|l| l.exc_type), Some("ValueError".to_string()), "{key}");
    }
    // `exc_info: true` (not yet formatted) is not a traceback, and not an error.
    assert!(one(r#"{"event": "x", "exc_info": true}"#).exception.is_none());
}

#[test]
fn generic_keys_by_name_and_shape() {
    let ev = one(r#"{"@timestamp": "2026-11-25T15:42:12Z", "severity": "WARNING", "msg": "slow"}"#);
    assert_eq!((ev.message.as_str(), ev.level), ("slow", Some(Level::Warning)));
    assert!(ev.ts.is_some());
    // No known key at all: time, level and message found by value shape.
    let ev = one(
        r#"{"when": "2026-11-25 15:42:12.5+01:00", "sev": "error", "what": "pool timeout hit", "n": 3}"#,
    );
    assert_eq!(format_rfc3339_micros(ev.ts.unwrap()), "2026-11-25T14:42:12.500000Z");
    assert_eq!(ev.level, Some(Level::Error));
    assert_eq!(ev.message, "pool timeout hit");
    assert_eq!(ev.style, Some(Style::Generic));
    // Epoch seconds in python logging's `created`.
    let ev = one(r#"{"created": 1764085160.139, "message": "x"}"#);
    assert_eq!(format_rfc3339_micros(ev.ts.unwrap()), "2025-11-25T15:39:20.139000Z");
    // A non-string message is kept as its JSON text; escapes and controls are removed.
    let ev = one(r#"{"event": {"a": 1}, "level": "info"}"#);
    assert_eq!(ev.message, r#"{"a": 1}"#);
    let ev = one(r#"{"event": "\u001b[31mred\u001b[0m\u0007 bell", "level": "info"}"#);
    assert_eq!(ev.message, "red bell");
}

#[test]
fn garbled_timestamp_is_recovered_and_noted() {
    // The seed's `%M%s` formatting bug: the epoch seconds 1548777410 are inside the stamp.
    let out = parse(br#"{"status": 500, "event": "Uncaught exception", "level": "exception", "created_at": "2019-01-29T15:561548777410"}"#);
    assert_eq!(out.records.len(), 1);
    let ev = &out.records[0].rec;
    assert_eq!(ev.ts, Some(1_548_777_410_000_000));
    assert_eq!(ev.status, Some(500));
    assert_eq!(ev.level, Some(Level::Error));
    assert_eq!(out.notes, vec![(1, Note::TimestampRecovered)]);
    // Beyond repair: noted as a bad timestamp, the event kept without a time.
    let out = parse(br#"{"event": "x", "created_at": "2019-01-29T15:571548777410"}"#);
    assert_eq!(out.records[0].rec.ts, None);
    assert_eq!(out.notes, vec![(1, Note::BadTimestamp)]);
}

#[test]
fn malformed_lines_are_skipped_with_reasons() {
    let input = b"{\"event\": \"a\", \"level\": \"info\"\n\
not json at all\n\
[1, 2, 3]\n\
\n\
{\"event\": \"a\"} trailing\n\
{\"event\": \"caf\xe9\", \"level\": \"info\"}\r\n\
{\"event\": \"ok\"}";
    let out = parse(input);
    assert_eq!(
        out.skipped,
        vec![
            (1, SkipReason::TruncatedJson),
            (2, SkipReason::InvalidJson),
            (3, SkipReason::JsonNotObject),
            (4, SkipReason::Blank),
            (5, SkipReason::InvalidJson),
        ]
    );
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.records[0].rec.message, "caf\u{fffd}");
    assert!(out.notes.contains(&(6, Note::LossyUtf8)));
    assert_eq!(out.records[1].line, 7);
}

#[test]
fn issue_8_non_string_message_keeps_no_control_characters() {
    // cargo-fuzz `json_log`: a `\r` between array items reached the message.
    let ev = one("{\"message\": [1,\r2], \"request_id\": {\"a\":\r1}}");
    assert_eq!(ev.message, "[1,2]");
    assert_eq!(ev.request_id.as_deref(), Some("{\"a\":1}"));
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = crate::testutil::Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..500 {
        let v = rng.bytes(b"{}[]\":,\n\\ue1a\xff", 300);
        parse(&v);
    }
}

#[test]
fn real_samples() {
    let cases: &[(&[u8], usize, usize, usize)] = &[
        (include_bytes!("../../../samples/pool-exhaustion/app.log"), 3150, 1050, 161),
        (include_bytes!("../../../samples/eof-open-transaction/app.log"), 798, 270, 0),
        (include_bytes!("../../../samples/healthy-baseline/app.log"), 1350, 450, 0),
    ];
    for &(bytes, lines, hits, exceptions) in cases {
        let out = parse(bytes);
        assert_eq!(out.records.len(), lines);
        assert!(out.skipped.is_empty() && out.notes.is_empty());
        assert_eq!(out.records.iter().filter(|r| r.rec.message == "function hit").count(), hits);
        let with_exc = out.records.iter().filter(|r| r.rec.message == "Uncaught exception").count();
        assert_eq!(with_exc, exceptions);
        let det = sniff(bytes).unwrap();
        assert!(det.score > 0.9, "{det:?}");
        assert!(det.reason.contains("structlog"), "{}", det.reason);
    }
}

#[test]
fn sniff_refuses_other_formats() {
    assert!(sniff(b"sent_at,route,status\n2026-11-25T15:42:15Z,/a,200\n").is_none());
    assert!(sniff(b"2026-11-25 15:42:07.355 UTC [29780] LOG:  starting PostgreSQL\n").is_none());
    // A pretty-printed JSON document is not JSON lines.
    assert!(
        sniff(b"{\n  \"fault\": \"none\",\n  \"counts\": {\n    \"sent\": 450\n  }\n}\n").is_none()
    );
}

#[test]
fn string_values_are_unescaped_and_plain_ones_borrowed() {
    fn raw(s: &str) -> &str {
        serde_json::from_str::<&RawValue>(s).unwrap().get()
    }
    for (json, want, borrowed) in [
        (r#""query started""#, Some("query started"), true),
        (r#""""#, Some(""), true),
        (r#""caf\u00e9 \"x\"\\n""#, Some("café \"x\"\\n"), false),
        (r#""a\nb""#, Some("a\nb"), false),
        ("\"caf\u{e9}\"", Some("café"), true),
        ("42", None, false),
        ("null", None, false),
        (r#"["a"]"#, None, false),
    ] {
        let got = string(raw(json));
        assert_eq!(got.as_deref(), want, "{json}");
        assert_eq!(matches!(got, Some(Cow::Borrowed(_))), borrowed, "{json}");
    }
}

/// The fast scan ([`scan::object`]) against serde_json (issue 9): generated JSON-ish lines —
/// objects with role keys and random keys, strings with escapes, unicode and control
/// characters, numbers of every shape, literals good and bad, nested arrays and objects —
/// and the same lines corrupted (cut, a byte inserted, removed or replaced, garbage
/// appended, invalid UTF-8). Whenever the scan accepts a line, serde_json accepts it with the
/// same pairs; and the parser gives the same records, skips and notes as the serde-only one.
mod fast_path {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};

    const ROLE_KEYS: &[&str] = &[
        "event",
        "message",
        "msg",
        "@message",
        "log",
        "text",
        "body",
        "level",
        "levelname",
        "severity",
        "log.level",
        "loglevel",
        "log_level",
        "lvl",
        "timestamp",
        "created_at",
        "@timestamp",
        "time",
        "asctime",
        "ts",
        "datetime",
        "created",
        "date",
        "t",
        "exception",
        "exc_info",
        "exc_text",
        "stack_trace",
        "stacktrace",
        "traceback",
        "stack",
        "error.stack",
        "error.stack_trace",
        "route",
        "url_rule",
        "http.route",
        "path",
        "endpoint",
        "request_path",
        "url.path",
        "request_id",
        "requestid",
        "req_id",
        "x_request_id",
        "status",
        "status_code",
        "http_status",
        "http.status_code",
        "duration_ms",
        "elapsed_ms",
        "response_time_ms",
        "pid",
        "process",
        "logger",
        "name",
        "logger_name",
    ];

    /// Pieces of string text as JSON writes them (`\ud800` is a valid escape in JSON text,
    /// only its decoding fails).
    const STRING_PIECES: &[&str] = &[
        "a",
        "query started",
        " ",
        "info",
        "ERROR",
        "warning",
        "Exception",
        "debug ",
        "2026-11-25T15:42:12.064971Z",
        "2026-11-25 15:42:12,123",
        "2019-01-29T15:561548777410",
        "25/Nov/2026 15:40:52",
        "1764085160.139",
        "/businesses?id=",
        "200",
        " 503 ",
        "12.5",
        "-1",
        "1e3",
        "4483",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0041",
        "\\u00e9",
        "\\u001b[31m",
        "\\u007f",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\uDC00x",
        "é",
        "😀",
        "\u{2028}",
        "\x7f",
        "Traceback (most recent call last):\\n  File \\\"a.py\\\", line 1, in f\\nValueError: boom",
    ];

    /// Pieces JSON refuses inside a string.
    const BAD_PIECES: &[&str] =
        &["\\uZZZZ", "\\u12", "\\x", "\\", "\\'", "\x01", "\t", "\u{1b}[0m", "\""];

    /// `good`, or now and then `bad` when `bad_too`.
    fn some<T: std::fmt::Debug + Clone + 'static>(
        bad_too: bool,
        good: impl Strategy<Value = T> + 'static,
        bad: impl Strategy<Value = T> + 'static,
    ) -> BoxedStrategy<T> {
        if bad_too { prop_oneof![12 => good, 1 => bad].boxed() } else { good.boxed() }
    }

    /// Whitespace, JSON's (not `\n`: that would end the line) and, if `bad`, others.
    fn ws(bad: bool) -> BoxedStrategy<String> {
        const JSON: &[&str] = &["", "", "", "", " ", " ", "  ", "\t", "\r", " \r \t"];
        some(bad, select(JSON), select(&["\x0c", "\u{a0}"][..])).prop_map(str::to_string).boxed()
    }

    fn string(bad: bool) -> BoxedStrategy<String> {
        let piece = some(bad, select(STRING_PIECES), select(BAD_PIECES));
        prop::collection::vec(piece, 0..6).prop_map(|v| format!("\"{}\"", v.concat())).boxed()
    }

    fn key(bad: bool) -> BoxedStrategy<String> {
        let role = (select(ROLE_KEYS), 0..4u8).prop_map(|(k, case)| {
            let k = match case {
                0 => k.to_uppercase(),
                1 => k[..1].to_uppercase() + &k[1..],
                _ => k.to_string(),
            };
            format!("\"{k}\"")
        });
        let other = select(&["service", "", "n", "é", "x y", "a\\\"b", "\\u0065vent"][..])
            .prop_map(|k| format!("\"{k}\""));
        prop_oneof![8 => role, 2 => other, 1 => string(bad)].boxed()
    }

    fn number(bad: bool) -> BoxedStrategy<String> {
        let sign = select(&["", "", "-"][..]);
        let int = select(&["0", "1", "12", "599", "200", "1764085160", "18446744073709551616"][..]);
        let frac = select(&["", "", "", ".5", ".000", ".139"][..]);
        let exp = select(&["", "", "", "", "E5", "e+3", "e-2", "e400", "E-0"][..]);
        let shaped = (sign, int, frac, exp).prop_map(|(s, i, f, e)| format!("{s}{i}{f}{e}"));
        let good = prop_oneof![
            6 => shaped,
            1 => any::<i64>().prop_map(|n| n.to_string()),
            1 => any::<f64>().prop_map(|f| format!("{f:?}")),
            1 => any::<f64>().prop_map(|f| format!("{f:e}")),
        ];
        const BAD: &[&str] =
            &["+1", "--1", "00", "0123", "1.", ".5", "1.e3", "1e", "E+", "-", "1e0x"];
        some(bad, good, select(BAD).prop_map(str::to_string))
    }

    fn literal(bad: bool) -> BoxedStrategy<String> {
        const GOOD: &[&str] = &["true", "false", "null"];
        const BAD: &[&str] =
            &["tru", "nul", "True", "nulll", "falsey", "NaN", "Infinity", "undefined", "t"];
        some(bad, select(GOOD), select(BAD)).prop_map(str::to_string).boxed()
    }

    fn value(bad: bool) -> BoxedStrategy<String> {
        let leaf = prop_oneof![4 => string(bad), 3 => number(bad), 2 => literal(bad)];
        leaf.prop_recursive(3, 12, 4, move |inner| {
            let item = (ws(bad), inner.clone(), ws(bad)).prop_map(|(a, v, b)| format!("{a}{v}{b}"));
            let array =
                prop::collection::vec(item, 0..4).prop_map(|v| format!("[{}]", v.join(",")));
            let pair = (ws(bad), key(bad), ws(bad), ws(bad), inner, ws(bad))
                .prop_map(|(a, k, b, c, v, d)| format!("{a}{k}{b}:{c}{v}{d}"));
            let object =
                prop::collection::vec(pair, 0..4).prop_map(|v| format!("{{{}}}", v.join(",")));
            prop_oneof![array, object]
        })
        .boxed()
    }

    /// Brackets nested around the scan's limit.
    fn deep() -> impl Strategy<Value = String> {
        let max = scan::MAX_DEPTH as usize;
        (max - 2..max + 3, any::<bool>()).prop_map(|(n, arrays)| {
            let (open, close) = if arrays { ("[", "]") } else { ("{\"a\":", "}") };
            format!("{}1{}", open.repeat(n), close.repeat(n))
        })
    }

    /// One line: an object of generated pairs, now and then another JSON value; with JSON's
    /// tokens only or, one line in three, now and then a bad one.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![2 => Just(false), 1 => Just(true)].prop_flat_map(|bad| {
            let v = prop_oneof![40 => value(bad), 1 => deep()];
            let pair = (key(bad), ws(bad), ws(bad), v, ws(bad))
                .prop_map(|(k, a, b, v, c)| format!("{k}{a}:{b}{v}{c}"));
            let object = (ws(bad), ws(bad), prop::collection::vec(pair, 0..9), ws(bad))
                .prop_map(|(a, b, pairs, c)| format!("{a}{{{b}{}}}{c}", pairs.join(", ")));
            prop_oneof![12 => object, 1 => value(bad)]
        })
    }

    #[derive(Debug, Clone)]
    enum Corruption {
        None,
        Cut(Index),
        Insert(Index, u8),
        Remove(Index),
        Replace(Index, u8),
        Append(&'static str),
        /// A comma before a `,`, `]` or `}`.
        StrayComma(Index),
    }

    fn corruption() -> impl Strategy<Value = Corruption> {
        let bytes = b"\"',}{[]:\\ x0-.e\t\r\x00\x01\x7f\xff\xc3\xa9";
        let byte = select(&bytes[..]);
        prop_oneof![
            12 => Just(Corruption::None),
            1 => any::<Index>().prop_map(Corruption::Cut),
            1 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| Corruption::Insert(i, b)),
            1 => any::<Index>().prop_map(Corruption::Remove),
            1 => (any::<Index>(), byte).prop_map(|(i, b)| Corruption::Replace(i, b)),
            1 => select(&[",", "}", " x", "{}", "\u{0}", "\r"][..]).prop_map(Corruption::Append),
            2 => any::<Index>().prop_map(Corruption::StrayComma),
        ]
    }

    fn corrupt(line: String, c: &Corruption) -> Vec<u8> {
        let mut b = line.into_bytes();
        let at = |i: &Index, n: usize| if n == 0 { 0 } else { i.index(n) };
        match c {
            Corruption::None => {}
            Corruption::Cut(i) => b.truncate(at(i, b.len())),
            Corruption::Insert(i, x) => b.insert(at(i, b.len() + 1), *x),
            Corruption::Remove(i) if !b.is_empty() => {
                b.remove(at(i, b.len()));
            }
            Corruption::Replace(i, x) if !b.is_empty() => {
                let i = at(i, b.len());
                b[i] = *x;
            }
            Corruption::Remove(_) | Corruption::Replace(..) => {}
            Corruption::Append(s) => b.extend_from_slice(s.as_bytes()),
            Corruption::StrayComma(i) => {
                let at: Vec<usize> = (0..b.len()).filter(|&j| b",]}".contains(&b[j])).collect();
                if !at.is_empty() {
                    b.insert(at[i.index(at.len())], b',');
                }
            }
        }
        b
    }

    fn input() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec((line(), corruption()), 1..6).prop_map(|lines| {
            let mut out = Vec::new();
            for (l, c) in lines {
                out.extend(corrupt(l, &c));
                out.push(b'\n');
            }
            out
        })
    }

    fn config() -> ProptestConfig {
        let cases = ProptestConfig::default().cases.max(2048);
        ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
    }

    /// The scan's pairs as serde_json gives them.
    fn borrowed(pairs: Vec<scan::Pair<'_>>) -> Vec<Pair<'_>> {
        pairs.into_iter().map(|(k, v)| (String::from_utf8_lossy(k), v)).collect()
    }

    /// serde_json's pairs of a line, values as text.
    fn serde_pairs(line: &[u8]) -> Option<Vec<Pair<'_>>> {
        serde_json::from_slice::<Pairs<'_>>(line).ok().map(Pairs::into_text)
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn scan_accepts_only_what_serde_accepts_with_the_same_pairs(input in input()) {
            for line in crate::text::lines(&input) {
                let mut fast = Vec::new();
                if let Some(scanned) = scan::object(line, &mut fast) {
                    // `plain`: no top-level string value with a backslash or a DEL.
                    let plain = !fast.iter().any(|(_, v)| {
                        v.starts_with('"') && v.bytes().any(|c| c == b'\\' || c == 0x7f)
                    });
                    prop_assert_eq!(scanned.plain, plain, "{:?}", String::from_utf8_lossy(line));
                    let serde = serde_pairs(line);
                    let text = String::from_utf8_lossy(line);
                    prop_assert_eq!(Some(borrowed(fast)), serde, "{:?}", text);
                }
            }
        }

        #[test]
        fn fast_parser_matches_the_serde_only_one(input in input()) {
            let fast = parse_bytes(&mut Parser::new(Options::default()), &input);
            let serde = parse_bytes(&mut Parser::serde_only(Options::default()), &input);
            prop_assert_eq!(fast, serde, "{:?}", String::from_utf8_lossy(&input));
        }
    }

    /// The generated lines exercise both paths: most valid objects take the scan.
    #[test]
    fn generated_lines_take_both_paths() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut scanned, mut serde_ok, mut total) = (0, 0, 0);
        for _ in 0..2000 {
            let Ok(tree) = input().new_tree(&mut runner) else { continue };
            for line in crate::text::lines(&tree.current()) {
                total += 1;
                scanned += usize::from(scan::object(line, &mut Vec::new()).is_some());
                serde_ok += usize::from(serde_pairs(line).is_some());
            }
        }
        assert!(scanned * 10 > total * 2, "{scanned} of {total} lines scanned");
        assert!(scanned * 10 > serde_ok * 6, "{scanned} scanned, {serde_ok} parsed by serde_json");
        assert!(serde_ok > scanned, "{serde_ok} parsed by serde_json, {scanned} scanned");
    }

    /// Every line of the sample app logs takes the fast path, with serde_json's pairs.
    #[test]
    fn sample_lines_take_the_fast_path() {
        for bytes in [
            &include_bytes!("../../../samples/pool-exhaustion/app.log")[..],
            include_bytes!("../../../samples/healthy-baseline/app.log"),
            include_bytes!("../../../samples/eof-open-transaction/app.log"),
        ] {
            for line in crate::text::lines(bytes) {
                let mut fast = Vec::new();
                assert!(
                    scan::object(line, &mut fast).is_some(),
                    "{}",
                    String::from_utf8_lossy(line)
                );
                assert_eq!(Some(borrowed(fast)), serde_pairs(line));
            }
        }
    }

    #[test]
    fn scan_edge_cases() {
        let accepted: &[&str] = &[
            "{}",
            " \t{ }\r ",
            "{\n\"a\"\n:\n[\n1\n]\n}\n",
            r#"{"a":1,"a":2}"#,
            r#"{"a": -0.5e+3, "b": [1, {"c": [true, false, null]}], "d": "\u00e9\n"}"#,
            r#"{"a": "x\u001by", "b": {}, "c": []}"#,
        ];
        for s in accepted {
            let mut fast = Vec::new();
            assert!(scan::object(s.as_bytes(), &mut fast).is_some(), "{s}");
            assert_eq!(Some(borrowed(fast)), serde_pairs(s.as_bytes()), "{s}");
        }
        // Left to serde_json: escaped keys, and everything it refuses.
        let declined: &[&[u8]] = &[
            br#"{"\u0065vent": "x"}"#,
            br#"{"a": 01}"#,
            br#"{"a": 1.}"#,
            br#"{"a": .5}"#,
            br#"{"a": 1e}"#,
            br#"{"a": -}"#,
            br#"{"a": tru}"#,
            br#"{"a": 1,}"#,
            br#"{"a": [1,]}"#,
            br#"{"a": "\x"}"#,
            br#"{"a": "\u12"}"#,
            b"{\"a\": \"\x01\"}",
            b"{\"a\": \"\xff\"}",
            br#"{"a": 1} x"#,
            br#"{"a": 1"#,
            br#"{"a" 1}"#,
            b"\x0c{}",
            br#"[1]"#,
        ];
        for s in declined {
            assert!(scan::object(s, &mut Vec::new()).is_none(), "{}", String::from_utf8_lossy(s));
        }
    }
}

/// Every key name with its role, as the chain of comparisons `role` replaced had them.
const ROLES: &[(&str, Role)] = &[
    ("event", Role::Message(0)),
    ("message", Role::Message(1)),
    ("msg", Role::Message(2)),
    ("@message", Role::Message(2)),
    ("log", Role::Message(3)),
    ("text", Role::Message(3)),
    ("body", Role::Message(3)),
    ("level", Role::Level(0)),
    ("levelname", Role::Level(0)),
    ("severity", Role::Level(1)),
    ("log.level", Role::Level(1)),
    ("loglevel", Role::Level(1)),
    ("log_level", Role::Level(1)),
    ("lvl", Role::Level(1)),
    ("timestamp", Role::Time(0)),
    ("created_at", Role::Time(0)),
    ("@timestamp", Role::Time(0)),
    ("time", Role::Time(1)),
    ("asctime", Role::Time(1)),
    ("ts", Role::Time(1)),
    ("datetime", Role::Time(1)),
    ("created", Role::Time(2)),
    ("date", Role::Time(2)),
    ("t", Role::Time(2)),
    ("exception", Role::Exception(0)),
    ("exc_info", Role::Exception(0)),
    ("exc_text", Role::Exception(1)),
    ("stack_trace", Role::Exception(1)),
    ("stacktrace", Role::Exception(1)),
    ("traceback", Role::Exception(1)),
    ("stack", Role::Exception(2)),
    ("error.stack", Role::Exception(2)),
    ("error.stack_trace", Role::Exception(2)),
    ("route", Role::Route(0)),
    ("url_rule", Role::Route(0)),
    ("http.route", Role::Route(0)),
    ("path", Role::Route(1)),
    ("endpoint", Role::Route(1)),
    ("request_path", Role::Route(1)),
    ("url.path", Role::Route(1)),
    ("request_id", Role::RequestId),
    ("requestid", Role::RequestId),
    ("req_id", Role::RequestId),
    ("x_request_id", Role::RequestId),
    ("status", Role::Status),
    ("status_code", Role::Status),
    ("http_status", Role::Status),
    ("http.status_code", Role::Status),
    ("duration_ms", Role::Duration),
    ("elapsed_ms", Role::Duration),
    ("response_time_ms", Role::Duration),
    ("pid", Role::Pid),
    ("process", Role::Pid),
    ("logger", Role::Logger),
    ("name", Role::Logger),
    ("logger_name", Role::Logger),
];

/// `role` gives each name its role in any case, and nothing to other keys.
#[test]
fn roles_by_name_in_any_case() {
    for &(name, r) in ROLES {
        assert_eq!(role(name.as_bytes()), Some(r), "{name}");
        assert_eq!(role(name.to_uppercase().as_bytes()), Some(r), "{name}");
        let mixed: String = name
            .chars()
            .enumerate()
            .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c })
            .collect();
        assert_eq!(role(mixed.as_bytes()), Some(r), "{mixed}");
        for other in
            [format!("{name}\0"), format!("{name}x"), format!("_{name}"), name[1..].to_string()]
        {
            let want = ROLES.iter().find(|(n, _)| n.eq_ignore_ascii_case(&other)).map(|p| p.1);
            assert_eq!(role(other.as_bytes()), want, "{other:?}");
        }
    }
    for key in ["", "service", "EVENT\u{0}", "évent", "a_very_long_key_of_many_bytes", "Event "] {
        assert_eq!(role(key.as_bytes()), None, "{key:?}");
    }
}

#[test]
fn word_helpers() {
    let bytes: Vec<u8> = (1..=20).chain([0x7f, b'\\', 0, 0xff]).collect();
    for start in 0..bytes.len() {
        for end in start..=bytes.len() {
            let b = &bytes[start..end];
            let mut want = [0u8; 8];
            for (w, c) in want.iter_mut().zip(b) {
                *w = *c;
            }
            assert_eq!(load_le(b), u64::from_le_bytes(want), "{b:?}");
            for (x, y) in [(b'\\', b'\\'), (b'\\', 0x7f), (5, 17), (0xff, 0xff), (20, 21)] {
                let want = b.iter().any(|&c| c == x || c == y);
                assert_eq!(has_either(b, x, y), want, "{b:?} {x} {y}");
            }
        }
    }
}
