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
    fn raw(s: &str) -> &RawValue {
        serde_json::from_str(s).unwrap()
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
