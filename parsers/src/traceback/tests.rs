use super::*;
use crate::testutil::Rng;

/// (link, exception type, message, number of frames, line offset of the exception line).
type Sec = (Option<Link>, &'static str, &'static str, usize, u32);
/// (name, block, expected sections or `None`).
type BlockCase<'a> = (&'a str, &'a [u8], Option<&'a [Sec]>);
/// (name, line, expected (type, message)).
type ExcCase<'a> = (&'a str, &'a [u8], Option<(&'a [u8], &'a [u8])>);
/// (name, lines fed after a header, expected steps).
type StepCase<'a> = (&'a str, &'a [&'a [u8]], &'a [Step]);

fn summary(tb: &Traceback) -> Vec<(Option<Link>, String, String, usize, u32)> {
    tb.sections
        .iter()
        .map(|s| {
            let e = &s.exception;
            (s.link, e.exc_type.clone(), e.message.clone(), s.frames.len(), s.line_offset)
        })
        .collect()
}

fn owned(want: &[Sec]) -> Vec<(Option<Link>, String, String, usize, u32)> {
    want.iter().map(|&(l, t, m, f, o)| (l, t.to_string(), m.to_string(), f, o)).collect()
}

const SEED_CHAINED: &[u8] =
    include_bytes!("../../tests/fixtures/traceback/seed-chained-queuepool.txt");
const SEED_BANNER: &[u8] =
    include_bytes!("../../tests/fixtures/console/seed-socketserver-banner.log");
const GROUP_NESTED: &[u8] = include_bytes!("../../tests/fixtures/traceback/group-nested.txt");
const GROUP_AFTER_CONTEXT: &[u8] =
    include_bytes!("../../tests/fixtures/traceback/group-after-context.txt");
const FRAMELESS_CAUSE: &[u8] = include_bytes!("../../tests/fixtures/traceback/frameless-cause.txt");
const RECURSION: &[u8] = include_bytes!("../../tests/fixtures/traceback/recursion.txt");
const CARETS_NOTES: &[u8] = include_bytes!("../../tests/fixtures/traceback/carets-notes.txt");
const SYNTAX_ERROR: &[u8] = include_bytes!("../../tests/fixtures/traceback/syntax-error.txt");
const SQLA_LIBPQ: &[u8] =
    include_bytes!("../../tests/fixtures/traceback/sqlalchemy-libpq-cause.txt");

const SIMPLE: &[u8] = b"Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\nKeyError: 'x'\n";

const QUEUEPOOL_30: &str = "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30 (Background on this error at: http://sqlalche.me/e/3o7r)";
const LIBPQ: &str = "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.";

#[test]
fn parses_blocks() {
    let sqla_msg = format!(
        "(psycopg2.OperationalError) {LIBPQ}\n\n[SQL: SELECT businesses.id AS businesses_id, businesses.ref AS businesses_ref\nFROM businesses\nWHERE businesses.id = %(id_1)s]\n[parameters: {{'id_1': 'b2117449-05e2-4884-80a3-2a92cb1bfc8d'}}]\n(Background on this error at: https://sqlalche.me/e/20/e3q8)"
    );
    let sqla_msg: &'static str = Box::leak(sqla_msg.into_boxed_str());
    let cases: &[BlockCase<'_>] = &[
        ("simple", SIMPLE, Some(&[(None, "KeyError", "'x'", 1, 3)])),
        ("crlf", b"Traceback (most recent call last):\r\n  File \"app.py\", line 3, in <module>\r\n    main()\r\nKeyError: 'x'\r\n", Some(&[(None, "KeyError", "'x'", 1, 3)])),
        ("no trailing newline", b"Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nKeyError", Some(&[(None, "KeyError", "", 1, 2)])),
        ("ansi and controls", b"\x1b[31mTraceback (most recent call last):\x1b[0m\n  File \"a.py\", line 1, in f\n\x1b[1mValueError\x1b[0m: bad\x07 value\n", Some(&[(None, "ValueError", "bad value", 1, 2)])),
        ("indented whole", b"    Traceback (most recent call last):\n      File \"a.py\", line 1, in f\n        f()\n    ValueError: v\n", Some(&[(None, "ValueError", "v", 1, 3)])),
        ("text before header ignored", b"ERROR:root:boom\nsomething: else\nTraceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: v\n", Some(&[(None, "ValueError", "v", 1, 4)])),
        ("seed json chained", SEED_CHAINED, Some(&[
            (None, "sqlalchemy.exc.TimeoutError", QUEUEPOOL_30, 15, 31),
            (Some(Link::Context), "sqlalchemy.exc.SQLAlchemyError", "TimeoutError occurred when committing to database (Background on this error at: http://sqlalche.me/e/3o7r)", 5, 46),
        ])),
        ("seed banner: rules and banner line around the traceback ignored", SEED_BANNER, Some(&[(None, "RuntimeError", "can't start new thread", 3, 9)])),
        ("frameless cause", FRAMELESS_CAUSE, Some(&[
            (None, "ValueError", "never raised cause", 0, 0),
            (Some(Link::Cause), "RuntimeError", "db unavailable", 1, 7),
        ])),
        ("recursion", RECURSION, Some(&[(None, "RecursionError", "maximum recursion depth exceeded", 4, 13)])),
        ("carets and notes", CARETS_NOTES, Some(&[(None, "TypeError", "'NoneType' object is not subscriptable\nwhile rendering /businesses\nsecond note", 3, 9)])),
        ("syntax error", SYNTAX_ERROR, Some(&[(None, "SyntaxError", "invalid syntax", 1, 6)])),
        ("libpq cause", SQLA_LIBPQ, Some(&[
            (None, "psycopg2.OperationalError", LIBPQ, 2, 5),
            (Some(Link::Cause), "sqlalchemy.exc.OperationalError", sqla_msg, 3, 20),
        ])),
        ("group nested", GROUP_NESTED, Some(&[(None, "ExceptionGroup", "many failures (3 sub-exceptions)", 2, 5)])),
        ("group after context", GROUP_AFTER_CONTEXT, Some(&[
            (None, "KeyError", "'x'", 1, 4),
            (Some(Link::Context), "ExceptionGroup", "eg (1 sub-exception)", 1, 11),
        ])),
        ("headerless exception", b"RuntimeError: can't start new thread\n", Some(&[(None, "RuntimeError", "can't start new thread", 0, 0)])),
        ("headerless dotted with libpq detail", b"psycopg2.OperationalError: could not connect to server: Connection refused\n\tIs the server running on host \"db\"?\n", Some(&[(None, "psycopg2.OperationalError", "could not connect to server: Connection refused\n\tIs the server running on host \"db\"?", 0, 0)])),
        ("headerless after text", b"some context\n\nsocket.timeout: timed out", Some(&[(None, "socket.timeout", "timed out", 0, 2)])),
        ("headerless but last line is not an exception", b"RuntimeError: x\nand then more text\n", None),
        ("headerless non-credible type", b"Reason: Worker failed to boot.\n", None),
        ("headerless bare Error word", b"Error: something\n", None),
        ("plain text", b"hello world\nnot a traceback\n", None),
        ("empty", b"", None),
        ("blank lines", b"\n\n  \n", None),
        ("truncated after frames", b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n    f()\n  File \"b.py\", line 2, in g\n", Some(&[(None, "", "", 2, 0)])),
        ("header only", b"Traceback (most recent call last):", Some(&[(None, "", "", 0, 0)])),
        ("separator then garbage", b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: a\n\nDuring handling of the above exception, another exception occurred:\n\n%%% garbage &&&\nmore garbage\n", Some(&[(None, "ValueError", "a", 1, 2)])),
        ("separator, garbage, then header", b"Traceback (most recent call last):\nValueError: a\n\nThe above exception was the direct cause of the following exception:\n\n%%% garbage\nTraceback (most recent call last):\n  File \"a.py\", line 1, in f\nKeyError: b\n", Some(&[(None, "ValueError", "a", 0, 1), (Some(Link::Cause), "KeyError", "b", 1, 8)])),
        ("truncated first section then chained", b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\nKeyError: b\n", Some(&[(None, "", "", 1, 0), (Some(Link::Context), "KeyError", "b", 0, 6)])),
        ("two tracebacks without separator", b"Traceback (most recent call last):\nValueError: a\nTraceback (most recent call last):\nKeyError: b\n", Some(&[(None, "ValueError", "a", 0, 1), (None, "KeyError", "b", 0, 3)])),
        ("unreadable exception line kept whole", b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nFatal Python error: Segmentation fault\n", Some(&[(None, "", "Fatal Python error: Segmentation fault", 1, 2)])),
        ("module-qualified local class", b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\napp.views.<locals>.Boom: x\n", Some(&[(None, "app.views.<locals>.Boom", "x", 1, 2)])),
        ("trailing text after blank ends the message", b"Traceback (most recent call last):\nValueError: a\n\nunrelated text\n", Some(&[(None, "ValueError", "a", 0, 1)])),
        ("frame with bad line number is ignored", b"Traceback (most recent call last):\n  File \"a.py\", line 99999999999, in f\n  File \"a.py\", line 7, in g\nValueError: a\n", Some(&[(None, "ValueError", "a", 1, 3)])),
    ];
    for (name, input, want) in cases {
        let got = parse(input);
        match want {
            None => assert_eq!(got, None, "{name}"),
            Some(want) => {
                let got = got.unwrap_or_else(|| panic!("{name}: no traceback"));
                assert_eq!(summary(&got), owned(want), "{name}");
            }
        }
    }
}

#[test]
fn frames_are_read_in_order() {
    let tb = parse(SEED_CHAINED).unwrap();
    let first = &tb.sections[0].frames;
    assert_eq!(first[0].func, "handle_session");
    assert_eq!(first[0].line, 19);
    assert!(first[0].file.ends_with("ras_party/support/session_decorator.py"));
    assert_eq!(first.last().unwrap().func, "_do_get");
    assert_eq!(first.last().unwrap().line, 1186);
    let tb = parse(RECURSION).unwrap();
    let funcs: Vec<&str> = tb.sections[0].frames.iter().map(|f| f.func.as_str()).collect();
    assert_eq!(funcs, ["<module>", "r", "r", "r"]);
    assert_eq!(tb.root().unwrap().short_type(), "RecursionError");
    let tb = parse(b"Traceback (most recent call last):\n  File \"<frozen importlib._bootstrap>\", line 1176, in _find_and_load\nImportError: x").unwrap();
    assert_eq!(tb.sections[0].frames[0].file, "<frozen importlib._bootstrap>");
}

#[test]
fn exception_group_leaves() {
    let leaves = |tb: &Traceback, i: usize| -> Vec<(String, String)> {
        tb.sections[i].leaves.iter().map(|l| (l.exc_type.clone(), l.message.clone())).collect()
    };
    let tb = parse(GROUP_NESTED).unwrap();
    let want = [
        ("ValueError", "bad value"),
        ("KeyError", "'k'"),
        ("TypeError", "wrong type"),
        ("OSError", "disk full"),
        ("RuntimeError", "can't start new thread"),
    ];
    let want: Vec<(String, String)> =
        want.iter().map(|(t, m)| (t.to_string(), m.to_string())).collect();
    assert_eq!(leaves(&tb, 0), want);
    assert_eq!(tb.sections[0].frames[1].func, "main");
    let tb = parse(GROUP_AFTER_CONTEXT).unwrap();
    assert_eq!(leaves(&tb, 1), vec![("ValueError".to_string(), "v".to_string())]);
    assert!(tb.sections[0].leaves.is_empty());
    // Truncated groups: `and N more exceptions` is not a leaf.
    let block = b"  + Exception Group Traceback (most recent call last):\n  |   File \"a.py\", line 1, in f\n  | ExceptionGroup: eg (20 sub-exceptions)\n  +-+---------------- 1 ----------------\n    | ValueError: 1\n    +---------------- ... ----------------\n    | and 19 more exceptions\n    +------------------------------------\n";
    let tb = parse(block).unwrap();
    assert_eq!(tb.sections[0].leaves.len(), 1);
    assert_eq!(tb.sections[0].exception.message, "eg (20 sub-exceptions)");
    // A group that is the context of a later exception.
    let block = b"  + Exception Group Traceback (most recent call last):\n  | ExceptionGroup: eg (1 sub-exception)\n  +-+---------------- 1 ----------------\n    | ValueError: 1\n    +------------------------------------\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"a.py\", line 9, in g\nKeyError: 2\n";
    let tb = parse(block).unwrap();
    assert_eq!(
        summary(&tb),
        owned(&[
            (None, "ExceptionGroup", "eg (1 sub-exception)", 0, 1),
            (Some(Link::Context), "KeyError", "2", 1, 10),
        ])
    );
}

#[test]
fn headers() {
    let cases: &[(&str, &[u8], bool)] = &[
        ("plain", b"Traceback (most recent call last):", true),
        ("indented", b"    Traceback (most recent call last):", true),
        ("trailing space and cr", b"Traceback (most recent call last): \r", true),
        ("group", b"  + Exception Group Traceback (most recent call last):", true),
        ("group flush left", b"Exception Group Traceback (most recent call last):", true),
        (
            "nested group line is not a header",
            b"    | Exception Group Traceback (most recent call last):",
            false,
        ),
        ("prefix", b"ERROR Traceback (most recent call last):", false),
        ("suffix", b"Traceback (most recent call last): x", false),
        ("lowercase", b"traceback (most recent call last):", false),
        ("empty", b"", false),
        ("not utf8", b"\xffTraceback (most recent call last):", false),
    ];
    for (name, line, want) in cases {
        assert_eq!(is_header(line), *want, "{name}");
    }
    assert_eq!(chain_link(CAUSE), Some(Link::Cause));
    assert_eq!(
        chain_link(b"  During handling of the above exception, another exception occurred:"),
        Some(Link::Context)
    );
    assert_eq!(chain_link(b"During handling"), None);
}

#[test]
fn exception_lines() {
    let cases: &[ExcCase<'_>] = &[
        (
            "qualified",
            b"sqlalchemy.exc.TimeoutError: QueuePool limit",
            Some((b"sqlalchemy.exc.TimeoutError", b"QueuePool limit")),
        ),
        ("bare", b"KeyboardInterrupt", Some((b"KeyboardInterrupt", b""))),
        ("colon only", b"ValueError:", Some((b"ValueError", b""))),
        ("trailing space", b"MemoryError  ", Some((b"MemoryError", b""))),
        (
            "message with colons",
            b"OSError: [Errno 24] Too many open files: 'x'",
            Some((b"OSError", b"[Errno 24] Too many open files: 'x'")),
        ),
        ("spaces in type", b"Error handling request /x", None),
        ("no space after colon", b"ERROR:root:message", None),
        ("trailing dot", b"Done.", None),
        ("leading dot", b".hidden: x", None),
        ("digit first", b"3Error: x", None),
        ("indented", b"  ValueError: x", None),
        ("empty", b"", None),
    ];
    for (name, line, want) in cases {
        assert_eq!(exception_line(line), *want, "{name}");
    }
    assert!(credible_type(b"RuntimeError"));
    assert!(credible_type(b"psycopg2.OperationalError"));
    assert!(credible_type(b"KeyboardInterrupt"));
    assert!(!credible_type(b"Error"));
    assert!(!credible_type(b"Reason"));
    assert!(!credible_type(b"WARNING"));
}

#[test]
fn continuation_forms() {
    let cases: &[(&[u8], bool)] = &[
        (b"\tThis probably means the server terminated abnormally", true),
        (b"[SQL: SELECT 1]", true),
        (b"[parameters: {'id_1': 1}]", true),
        (b"(Background on this error at: https://sqlalche.me/e/20/e3q8)", true),
        (b"DETAIL:  Key (id)=(1) already exists.", true),
        (b"LINE 1: SELECT x y", true),
        (b"127.0.0.1 - - [25/Nov/2026 15:40:01] \"GET / HTTP/1.1\" 500 -", false),
        (b"Worker exiting", false),
    ];
    for (line, want) in cases {
        assert_eq!(is_continuation(line), *want, "{}", String::from_utf8_lossy(line));
    }
}

#[test]
fn messy_input_is_tolerated() {
    // Invalid UTF-8 is replaced, never an error.
    let tb = parse(b"Traceback (most recent call last):\n  File \"caf\xe9.py\", line 1, in f\xff\nValueError: \xff\xfe bytes\n").unwrap();
    assert_eq!(tb.sections[0].frames[0].file, "caf\u{FFFD}.py");
    assert_eq!(tb.sections[0].frames[0].func, "f\u{FFFD}");
    assert_eq!(tb.last().unwrap().message, "\u{FFFD}\u{FFFD} bytes");
    // A 100k-character message.
    let mut block =
        b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: ".to_vec();
    block.extend(std::iter::repeat_n(b'x', 100_000));
    let tb = parse(&block).unwrap();
    assert_eq!(tb.last().unwrap().message.len(), 100_000);
    // A 100k-character line that is not a traceback.
    assert_eq!(parse(&vec![b'a'; 100_000]), None);
    assert!(parse(&vec![b'\n'; 100_000]).is_none());
    assert!(tb.sections[0].exception.message.starts_with("xxx"));
    assert!(!tb.is_truncated());
    assert!(
        parse(b"Traceback (most recent call last):\n  File \"a.py\", line 1, in f")
            .unwrap()
            .is_truncated()
    );
}

const FRAGMENTS: &[&[u8]] = &[
    b"Traceback (most recent call last):",
    b"  File \"a.py\", line 1, in f",
    b"    f()",
    b"    ^^^^~~~",
    b"  [Previous line repeated 996 more times]",
    b"ValueError: v",
    b"sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached",
    b"RuntimeError",
    b"",
    b"   ",
    CAUSE,
    CONTEXT,
    b"  + Exception Group Traceback (most recent call last):",
    b"  |   File \"a.py\", line 1, in f",
    b"  | ExceptionGroup: eg (2 sub-exceptions)",
    b"  +-+---------------- 1 ----------------",
    b"    | Traceback (most recent call last):",
    b"    | Exception Group Traceback (most recent call last):",
    b"    | KeyError: 1",
    b"    | ",
    b"    +---------------- ... ----------------",
    b"    | and 3 more exceptions",
    b"    +------------------------------------",
    b"|",
    b"+",
    b"\tThis probably means",
    b"[SQL: SELECT 1",
    b"FROM x]",
    b"(Background on this error at: https://sqlalche.me/e/20/e3q8)",
    b"garbage here",
    b"\xff\xfe\x00\x1b[31m\x1b",
    b"----------------------------------------",
    b"  File \"a.py\", line 1",
    b"  File \"",
];

#[test]
fn never_panics_on_generated_blocks() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let mut block = Vec::new();
        let n = rng.below(40);
        for _ in 0..n {
            if round % 5 == 0 {
                // Raw random bytes, sometimes.
                let len = rng.below(30);
                block.extend((0..len).map(|_| rng.next() as u8));
            } else {
                block.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
            block.extend_from_slice(if rng.below(4) == 0 { b"\r\n" } else { b"\n" });
        }
        let lines = text::lines(&block).count();
        if let Some(tb) = parse(&block) {
            assert!(!tb.sections.is_empty());
            for s in &tb.sections {
                assert!((s.line_offset as usize) < lines.max(1), "round {round}");
            }
            assert!(tb.sections[0].link.is_none(), "round {round}");
        }
        // The collector never panics either, from any header on.
        if let Some(mut c) = Collector::start(FRAGMENTS[0]) {
            for line in text::lines(&block) {
                let _ = c.step(&crate::text::clean(line));
            }
        }
    }
}

#[test]
fn collector_steps() {
    use Step::{Hold, Stop, Take};
    let cases: &[StepCase<'_>] = &[
        (
            "frames then exception then envelope-less text",
            &[b"  File \"a.py\", line 1, in f", b"    f()", b"ValueError: v", b"Worker exiting"],
            &[Take, Take, Take, Stop],
        ),
        (
            "blank then separator",
            &[
                b"ValueError: v",
                b"",
                CONTEXT,
                b"",
                b"Traceback (most recent call last):",
                b"  File \"a.py\", line 2, in g",
                b"KeyError: k",
                b"",
                b"after",
            ],
            &[Take, Hold, Take, Hold, Take, Take, Take, Hold, Stop],
        ),
        (
            "two blanks before separator (libpq message ends with a newline)",
            &[b"psycopg2.OperationalError: x", b"\tdetail", b"", b"", CAUSE],
            &[Take, Take, Hold, Hold, Take],
        ),
        (
            "sqlalchemy message over lines",
            &[
                b"sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) x",
                b"",
                b"[SQL: SELECT a ",
                b"FROM b ",
                b"WHERE c]",
                b"[parameters: {}]",
                b"(Background on this error at: https://sqlalche.me/e/20/e3q8)",
                b"next",
            ],
            &[Take, Hold, Take, Take, Take, Take, Take, Stop],
        ),
        (
            "new header without separator",
            &[b"ValueError: v", b"Traceback (most recent call last):"],
            &[Take, Stop],
        ),
        (
            "header while still in frames",
            &[b"  File \"a.py\", line 1, in f", b"Traceback (most recent call last):"],
            &[Take, Stop],
        ),
        (
            "dashes end the message",
            &[b"RuntimeError: can't start new thread", b"----------------------------------------"],
            &[Take, Stop],
        ),
        (
            "plain line in frames",
            &[b"  File \"a.py\", line 1, in f", b"Starting gunicorn"],
            &[Take, Stop],
        ),
        (
            "blank inside frames then exception",
            &[b"  File \"a.py\", line 1, in f", b"", b"ValueError: v"],
            &[Take, Hold, Stop],
        ),
        (
            "separator then garbage",
            &[b"ValueError: v", b"", CONTEXT, b"", b"%%% garbage"],
            &[Take, Hold, Take, Hold, Stop],
        ),
        (
            "separator then frameless exception",
            &[b"ValueError: v", b"", CAUSE, b"", b"KeyError: k"],
            &[Take, Hold, Take, Hold, Take],
        ),
        (
            "notes flush left are not taken",
            &[b"TypeError: t", b"while rendering /businesses"],
            &[Take, Stop],
        ),
    ];
    for (name, lines, want) in cases {
        let mut c = Collector::start(b"Traceback (most recent call last):").unwrap();
        let got: Vec<Step> = lines.iter().map(|l| c.step(l)).collect();
        assert_eq!(&got, want, "{name}");
    }
    // Exception groups: every margin line is taken, the group ends at a flush-left line.
    let mut c =
        Collector::start(b"  + Exception Group Traceback (most recent call last):").unwrap();
    for line in text::lines(GROUP_NESTED).skip(1) {
        assert_eq!(c.step(line), Take, "{}", String::from_utf8_lossy(line));
    }
    assert_eq!(c.step(b"next"), Stop);
    assert!(Collector::start(b"not a header").is_none());
}

#[test]
fn collector_and_parse_agree_on_fixtures() {
    // Fed a whole fixture, the collector takes every line of it: a console block is the same
    // text the parser would see.
    for (name, block) in [
        ("seed chained", SEED_CHAINED),
        ("libpq cause", SQLA_LIBPQ),
        ("recursion", RECURSION),
        ("syntax error", SYNTAX_ERROR),
        ("group after context", GROUP_AFTER_CONTEXT),
    ] {
        let mut lines = text::lines(block);
        let mut c = Collector::start(lines.next().unwrap()).unwrap();
        for line in lines {
            assert_ne!(c.step(line), Step::Stop, "{name}: {}", String::from_utf8_lossy(line));
        }
    }
}

/// Every `exception` of the pool-exhaustion app log is a QueuePool timeout.
#[test]
fn pool_exhaustion_app_log_exceptions() {
    let log = include_bytes!("../../../samples/pool-exhaustion/app.log");
    let mut n = 0;
    for line in text::lines(log) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let Some(exc) = v.get("exception").and_then(|e| e.as_str()) else {
            continue;
        };
        n += 1;
        let tb = parse(exc.as_bytes()).unwrap();
        let last = tb.last().unwrap();
        assert_eq!(last.exc_type, "sqlalchemy.exc.TimeoutError");
        assert!(
            last.message.starts_with("QueuePool limit of size 5 overflow 10 reached"),
            "{}",
            last.message
        );
        assert!(
            last.message.ends_with("(Background on this error at: https://sqlalche.me/e/21/3o7r)")
        );
        assert_eq!(tb.sections.len(), 1);
        let frames = &tb.sections[0].frames;
        assert_eq!(frames.last().unwrap().func, "_do_get");
        assert!(frames.last().unwrap().file.ends_with("sqlalchemy/pool/impl.py"));
        assert!(frames.iter().any(|f| f.file == "/srv/app/labapp.py"));
    }
    assert_eq!(n, 161);
}
