use super::*;
use crate::correlate::correlate;
use crate::model::Event;
use rootcause_parsers::console::{ConsoleLog, Envelope};
use rootcause_parsers::jsonlog::AppEvent;
use rootcause_parsers::postgres::{PgRecord, Severity};
use rootcause_parsers::traceback::{ExcLine, Section, Traceback};

fn app_exception(line: LineNo, ts: Micros, sections: &[(&str, &str)]) -> Event {
    let tb = Traceback {
        sections: sections
            .iter()
            .enumerate()
            .map(|(i, (t, m))| Section {
                link: None,
                frames: Vec::new(),
                exception: ExcLine { exc_type: t.to_string(), message: m.to_string() },
                leaves: Vec::new(),
                line_offset: i as u32,
            })
            .collect(),
    };
    let event = AppEvent {
        message: "Uncaught exception".into(),
        exception: Some(tb),
        ..AppEvent::default()
    };
    Event { ts: Some(ts), source: 0, line, kind: EventKind::app(event, None) }
}

fn pg(line: LineNo, ts: Micros, sev: Severity, msg: &str) -> Event {
    let r =
        PgRecord { ts: Some(ts), severity: Some(sev), message: msg.into(), ..PgRecord::default() };
    Event { ts: Some(ts), source: 1, line, kind: EventKind::Db(Box::new(r)) }
}

fn console(line: LineNo, ts: Micros, msg: &str) -> Event {
    let l = ConsoleLog {
        ts: Some(ts),
        ts_inferred: false,
        pid: Some(1),
        level: None,
        message: msg.into(),
        envelope: Envelope::Gunicorn,
    };
    Event { ts: Some(ts), source: 2, line, kind: EventKind::console(ConsoleRecord::Log(l)) }
}

fn ids(events: Vec<Event>) -> Vec<(String, u64)> {
    let cat = Catalog::builtin().unwrap();
    let tl = correlate(events);
    let mut v: Vec<(String, u64)> = detect(&tl, &cat, 5)
        .into_iter()
        .map(|f| (cat.signatures[f.signature].id.clone(), f.count))
        .collect();
    v.sort();
    v
}

#[test]
fn builtin_catalog_compiles_with_the_stable_ids() {
    let cat = Catalog::builtin().unwrap();
    for id in [
        "queuepool_exhausted",
        "thread_start_failed",
        "pg_eof_open_transaction",
        "pg_too_many_clients",
        "gunicorn_worker_timeout",
    ] {
        assert!(cat.get(id).is_some(), "{id} missing");
    }
}

#[test]
fn real_wordings_across_versions() {
    let cases: Vec<(Event, Option<&str>)> = vec![
        // SQLAlchemy 1.3 (`timeout 30`, no version in the URL) and 2.x (`timeout 2.00`).
        (
            app_exception(
                1,
                1,
                &[(
                    "sqlalchemy.exc.TimeoutError",
                    "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30 (Background on this error at: http://sqlalche.me/e/3o7r)",
                )],
            ),
            Some("queuepool_exhausted"),
        ),
        (
            app_exception(
                1,
                1,
                &[(
                    "sqlalchemy.exc.TimeoutError",
                    "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00 (Background on this error at: https://sqlalche.me/e/21/3o7r)",
                )],
            ),
            Some("queuepool_exhausted"),
        ),
        // The seed's chain: the QueuePool error is the first section, re-raised as another.
        (
            app_exception(
                1,
                1,
                &[
                    (
                        "sqlalchemy.exc.TimeoutError",
                        "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30",
                    ),
                    (
                        "sqlalchemy.exc.SQLAlchemyError",
                        "TimeoutError occurred when committing to database",
                    ),
                ],
            ),
            Some("queuepool_exhausted"),
        ),
        (
            app_exception(1, 1, &[("RuntimeError", "can't start new thread")]),
            Some("thread_start_failed"),
        ),
        (
            app_exception(1, 1, &[("RuntimeError", "can't create new thread")]),
            Some("thread_start_failed"),
        ),
        // 3.12+ shutdown noise is not a load failure.
        (
            app_exception(
                1,
                1,
                &[("RuntimeError", "can't create new thread at interpreter shutdown")],
            ),
            None,
        ),
        (
            pg(1, 1, Severity::Log, "unexpected EOF on client connection with an open transaction"),
            Some("pg_eof_open_transaction"),
        ),
        // The plain EOF (DEBUG1) is its own context signature, not the open-transaction one.
        (pg(1, 1, Severity::Debug(1), "unexpected EOF on client connection"), Some("pg_eof")),
        (pg(1, 1, Severity::Fatal, "sorry, too many clients already"), Some("pg_too_many_clients")),
        (
            app_exception(
                1,
                1,
                &[(
                    "sqlalchemy.exc.OperationalError",
                    "(psycopg2.OperationalError) connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  sorry, too many clients already",
                )],
            ),
            Some("pg_too_many_clients"),
        ),
        (console(1, 1, "WORKER TIMEOUT (pid:29804)"), Some("gunicorn_worker_timeout")),
        (console(1, 1, "DIRTY WORKER TIMEOUT (pid:29804)"), Some("gunicorn_worker_timeout")),
        // The kill that follows a timeout: a failure of its own since the catalog has it.
        (
            console(1, 1, "Worker (pid:29804) was sent SIGKILL! Perhaps out of memory?"),
            Some("gu_signal_new"),
        ),
        // A graceful stop is not a kill.
        (console(1, 1, "Worker (pid:29804) was sent SIGTERM!"), None),
    ];
    // The catalog grew around the five mission signatures (wrappers such as
    // sqla_dbapi_wrapper and libpq_server_fatal_at_connect match the same texts, and each has
    // its own tests in wordings.rs): compare the five, plus the ids a case names.
    const MISSION: [&str; 5] = [
        "queuepool_exhausted",
        "thread_start_failed",
        "pg_eof_open_transaction",
        "pg_too_many_clients",
        "gunicorn_worker_timeout",
    ];
    for (ev, want) in cases {
        let got: Vec<(String, u64)> = ids(vec![ev.clone()])
            .into_iter()
            .filter(|(id, _)| MISSION.contains(&id.as_str()) || want == Some(id.as_str()))
            .collect();
        let want: Vec<(String, u64)> = want.into_iter().map(|w| (w.to_string(), 1)).collect();
        assert_eq!(got, want, "{ev:?}");
    }
}

#[test]
fn counts_first_last_evidence_and_captures() {
    let cat = Catalog::builtin().unwrap();
    let mut events = Vec::new();
    for k in 0..7 {
        let msg =
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00"
                .to_string();
        events.push(app_exception(
            10 + k,
            1_000 + k as i64 * 10,
            &[("sqlalchemy.exc.TimeoutError", &msg)],
        ));
    }
    events.push(console(3, 500, "WORKER TIMEOUT (pid:42)"));
    let found = detect(&correlate(events), &cat, 3);
    assert_eq!(found.len(), 2);
    let qp = &found[0];
    assert_eq!(cat.signatures[qp.signature].id, "queuepool_exhausted");
    assert_eq!((qp.count, qp.first_seen, qp.last_seen), (7, Some(1_000), Some(1_060)));
    assert_eq!(qp.evidence.iter().map(|e| e.line).collect::<Vec<_>>(), vec![10, 11, 12]);
    assert_eq!(qp.top_capture("size"), Some("5"));
    assert_eq!(qp.top_capture("overflow"), Some("10"));
    assert_eq!(qp.top_capture("timeout"), Some("2.00"));
    assert_eq!(found[1].top_capture("pid"), Some("42"));
}

#[test]
fn parallel_chunks_give_the_same_findings() {
    let cat = Catalog::builtin().unwrap();
    let events: Vec<Event> = (0..(CHUNK as u64 * 2 + 17))
        .map(|k| {
            if k % 3 == 0 {
                console(k + 1, k as i64, "WORKER TIMEOUT (pid:1)")
            } else {
                console(k + 1, k as i64, "ok")
            }
        })
        .collect();
    let tl = correlate(events);
    let found = detect(&tl, &cat, 5);
    let serial = scan(&cat, &tl.events, 5);
    let s = serial.into_iter().find(|f| f.count > 0).unwrap();
    assert_eq!(found[0], s);
}

/// Issue 9: past the limit, which capture values were named depended on where the input was
/// cut into chunks, and a named value's count missed the chunks that had run out of room.
#[test]
fn capture_values_named_are_the_first_met_counted_exactly_however_the_input_is_cut() {
    let cat = Catalog::builtin().unwrap();
    // 1500 pids (7 is prime to 1500), each killed twice, 1500 lines apart.
    let pid = |k: u64| 10_000 + (k * 7) % 1500;
    let events: Vec<Event> = (0..3000u64)
        .map(|k| console(k + 1, k as i64, &format!("WORKER TIMEOUT (pid:{})", pid(k))))
        .collect();
    let tl = correlate(events);
    let mut whole = Vec::new();
    merge_partial(&mut whole, scan(&cat, &tl.events, 5), 5);
    // At 1200, the second chunk meets pids the first one named past its own first thousand.
    for cut in [1, 7, 500, 1200, 1499, 2999] {
        let mut total = Vec::new();
        for c in tl.events.chunks(cut) {
            merge_partial(&mut total, scan(&cat, c, 5), 5);
        }
        assert!(total == whole, "cut every {cut} events");
    }
    let f = whole.iter().find(|f| f.count > 0).expect("worker timeouts found");
    let pids = &f.captures["pid"];
    assert_eq!(pids.len(), MAX_CAPTURE_VALUES + 1);
    assert_eq!(pids.iter().map(|(_, t)| t.count).sum::<u64>(), f.count);
    for k in 0..MAX_CAPTURE_VALUES as u64 {
        assert_eq!(pids.get(&pid(k).to_string()).map(|t| t.count), Some(2), "pid {}", pid(k));
    }
    assert_eq!(pids.get(OTHER_VALUES).map(|t| t.count), Some(1000));
}

/// A minimal user catalog file: `sigs` and `edges` are TOML put after the schema line.
fn file(body: &str) -> String {
    format!("schema = \"rootcause.catalog/v1\"\n{body}")
}

/// One signature with a message pattern and an example.
fn sig(id: &str, regex: &str, example: &str) -> String {
    format!(
        r#"
[[signature]]
id = "{id}"
title = "t"
component = "c"
sources = ["console"]
severity = "error"
failure = true
meaning = "m"
remediation = "r"

[[signature.pattern]]
on = "message"
regex = '{regex}'

[[signature.example]]
on = "message"
text = '{example}'
version = "v1"
"#
    )
}

fn user(text: &str) -> Result<Catalog, String> {
    Catalog::load_texts(&[("my.toml", text)])
}

/// The line (1-based) of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap()
}

#[test]
fn bad_catalogs_are_refused_with_their_location() {
    // Syntax error: file, line and column.
    let text = file("\n[[signature]]\nid = \"a\nbroken = 1\n");
    let err = user(&text).unwrap_err();
    assert!(err.starts_with("my.toml: line 4, column "), "{err}");
    // Unknown field, with the line of the key.
    let text = file(&sig("mine", "x", "x").replace("regex = 'x'", "regx = 'x'"));
    let err = user(&text).unwrap_err();
    let want = format!("my.toml: line {}, column 1: unknown field 'regx'", line_of(&text, "regx"));
    assert!(err.starts_with(&want), "{err}");
    // Unknown `on`.
    let text = file(&sig("mine", "x", "x").replacen("on = \"message\"", "on = \"stderr\"", 1));
    let err = user(&text).unwrap_err();
    assert!(err.contains(&format!("line {}", line_of(&text, "\"stderr\""))), "{err}");
    assert!(err.contains("unknown variant 'stderr'"), "{err}");
    // Bad regex: the line of the regex, the signature, the pattern.
    let text = file(&sig("mine", "(open", "x"));
    let err = user(&text).unwrap_err();
    let want =
        format!("my.toml: line {}: signature 'mine': bad pattern '(open'", line_of(&text, "(open"));
    assert!(err.starts_with(&want), "{err}");
    // Too large a regex: user limits.
    let err = user(&file(&sig("mine", "a{1000}{1000}", "a"))).unwrap_err();
    assert!(err.contains("is too large"), "{err}");
    // Duplicate id in one file: the second one's line, and the first's.
    let text = file(&format!("{}{}", sig("mine", "x", "x"), sig("mine", "y", "y")));
    let err = user(&text).unwrap_err();
    let second = text
        .match_indices("id = \"mine\"")
        .nth(1)
        .map(|(i, _)| text[..i].lines().count() + 1)
        .unwrap();
    assert!(
        err.starts_with(&format!("my.toml: line {second}: signature 'mine': the id appears twice")),
        "{err}"
    );
    // Not snake_case.
    let err = user(&file(&sig("Bad-Id", "x", "x"))).unwrap_err();
    assert!(err.contains("is not snake_case"), "{err}");
    // Wrong schema.
    let err = user("schema = \"rootcause.catalog/v2\"\n").unwrap_err();
    assert_eq!(
        err,
        "my.toml: line 1: schema is 'rootcause.catalog/v2', expected 'rootcause.catalog/v1'"
    );
    // An example its own patterns do not match.
    let text = file(&sig("mine", "needle", "haystack"));
    let err = user(&text).unwrap_err();
    let want = format!(
        "my.toml: line {}: signature 'mine': the example is not matched",
        line_of(&text, "haystack")
    );
    assert!(err.starts_with(&want), "{err}");
    // Unknown severity, effect and level.
    let text = file(&sig("mine", "x", "x").replace("severity = \"error\"", "severity = \"fatal\""));
    let err = user(&text).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "my.toml: line {}: signature 'mine': severity 'fatal'",
            line_of(&text, "fatal")
        )),
        "{err}"
    );
    let text =
        file(&sig("mine", "x", "x").replace("failure = true", "failure = true\neffect = \"slow\""));
    assert!(user(&text).unwrap_err().contains("effect 'slow' is not one of"));
    let text =
        file(&sig("mine", "x", "x").replace("regex = 'x'", "regex = 'x'\nlevel = [\"LOUD\"]"));
    let err = user(&text).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "my.toml: line {}: signature 'mine': level 'LOUD'",
            line_of(&text, "LOUD")
        )),
        "{err}"
    );
    // A pattern its sources never feed.
    let text = file(&sig("mine", "x", "x").replace("on = \"message\"", "on = \"pg\""));
    let err = user(&text).unwrap_err();
    assert!(err.contains("never sees text from its sources (console)"), "{err}");
    // Control characters in text a person reads.
    let text = file(&sig("mine", "x", "x").replace("title = \"t\"", "title = \"t\\u001b[31m\""));
    let err = user(&text).unwrap_err();
    assert!(err.contains("title holds the control character U+001B"), "{err}");
}

#[test]
fn bad_edges_are_refused_with_their_line() {
    let edge = |from: &str, to: &str, lag: &str, typical: &str| {
        format!(
            "\n[[edge]]\nfrom = \"{from}\"\nto = \"{to}\"\nlag = \"{lag}\"\ntypical = \"{typical}\"\nwhy = \"because\"\n"
        )
    };
    let base = sig("mine", "x", "x");
    // Unknown endpoint: the edge's line.
    let text = file(&format!("{base}{}", edge("mine", "nobody", "10s", "1s")));
    let err = user(&text).unwrap_err();
    let want = format!("my.toml: line {}: edge to 'nobody'", line_of(&text, "from = \"mine\""));
    assert!(err.starts_with(&want), "{err}");
    let text = file(&format!("{base}{}", edge("ghost", "mine", "10s", "1s")));
    assert!(user(&text).unwrap_err().contains("edge from 'ghost': no signature has this id"));
    // Bad lag: the lag's line.
    let text = file(&format!("{base}{}", edge("mine", "symptom:http_5xx", "soon", "1s")));
    let err = user(&text).unwrap_err();
    let want = format!(
        "my.toml: line {}: edge mine -> symptom:http_5xx: lag 'soon'",
        line_of(&text, "lag =")
    );
    assert!(err.starts_with(&want), "{err}");
    // typical > lag: the typical's line.
    let text = file(&format!("{base}{}", edge("mine", "symptom:http_5xx", "1s", "5s")));
    let err = user(&text).unwrap_err();
    let want = format!(
        "my.toml: line {}: edge mine -> symptom:http_5xx: typical '5s' is longer than lag '1s'",
        line_of(&text, "typical =")
    );
    assert!(err.starts_with(&want), "{err}");
    // A symptom as a cause.
    let text = file(&format!("{base}{}", edge("symptom:http_5xx", "mine", "1s", "1s")));
    assert!(user(&text).unwrap_err().contains("symptoms are effects only"));
    // The same edge twice in one file.
    let text = file(&format!(
        "{base}{}{}",
        edge("mine", "symptom:http_5xx", "1s", "1s"),
        edge("mine", "symptom:http_5xx", "2s", "1s")
    ));
    assert!(user(&text).unwrap_err().contains("appears twice in this file"));
    // Unknown field of an edge.
    let text = file(&format!(
        "{base}{}",
        edge("mine", "symptom:http_5xx", "1s", "1s").replace("why", "because")
    ));
    let err = user(&text).unwrap_err();
    assert!(err.contains("unknown field 'because'"), "{err}");
}

#[test]
fn a_user_file_adds_and_overrides() {
    let builtin = Catalog::builtin().unwrap();
    let n = builtin.signatures.len();
    let text = file(&format!(
        "{}{}\n[[edge]]\nfrom = \"my_timeout\"\nto = \"queuepool_exhausted\"\nlag = \"30s\"\ntypical = \"2s\"\nwhy = \"slow upstream calls hold pool connections\"\n",
        sig(
            "my_timeout",
            "upstream call timed out after (?P<ms>\\d+) ms",
            "upstream call timed out after 5000 ms"
        ),
        sig("gunicorn_worker_timeout", "worker (?P<pid>\\d+) killed", "worker 42 killed"),
    ));
    let cat = user(&text).unwrap();
    assert_eq!(cat.signatures.len(), n + 1, "one added, one replaced");
    // The new one is appended, the replaced one keeps its place.
    assert_eq!(cat.signatures[n].id, "my_timeout");
    assert_eq!(cat.origins[n], "my.toml");
    let gi = builtin.index("gunicorn_worker_timeout").unwrap();
    assert_eq!(cat.index("gunicorn_worker_timeout"), Some(gi));
    assert_eq!(cat.origins[gi], "my.toml");
    assert_eq!(cat.signatures[gi].title, "t");
    assert_eq!(cat.origins[0], BUILTIN_ORIGIN);
    // The user edge is added; built-in edges stay.
    assert_eq!(cat.edges.len(), builtin.edges.len() + 1);
    let e = cat.edges_from("my_timeout").next().unwrap();
    assert_eq!((e.to.as_str(), e.lag, e.typical), ("queuepool_exhausted", 30_000_000, 2_000_000));
    // The replaced pattern is the one that matches now.
    let got = ids(vec![console(1, 1, "worker 42 killed"), console(2, 2, "WORKER TIMEOUT (pid:7)")]);
    assert!(got.contains(&("gunicorn_worker_timeout".to_string(), 1)));
    let found = detect(&correlate(vec![console(1, 1, "worker 42 killed")]), &cat, 5);
    assert_eq!(cat.signatures[found[0].signature].id, "gunicorn_worker_timeout");
    assert_eq!(found[0].top_capture("pid"), Some("42"));
    // Without the built-in catalog, only the file's signatures.
    let only = Catalog::from_toml(&text, "my.toml");
    assert!(only.is_err(), "its edge names queuepool_exhausted, which it lacks");
    let alone = file(&sig("my_timeout", "x", "x"));
    let cat = Catalog::from_toml(&alone, "my.toml").unwrap();
    assert_eq!(cat.signatures.len(), 1);
    assert!(cat.edges.is_empty());
}

#[test]
fn load_reads_files_in_order_and_names_unreadable_ones() {
    let dir = std::env::temp_dir().join(format!("rootcause-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.toml");
    let b = dir.join("b.toml");
    std::fs::write(&a, file(&sig("mine", "first", "first"))).unwrap();
    std::fs::write(&b, file(&sig("mine", "second", "second"))).unwrap();
    let cat = Catalog::load(true, &[a.clone(), b.clone()]).unwrap();
    let s = cat.get("mine").unwrap();
    assert_eq!(s.patterns[0].regex, "second", "the later file wins");
    assert_eq!(cat.origins[cat.index("mine").unwrap()], b.display().to_string());
    let cat = Catalog::load(false, std::slice::from_ref(&a)).unwrap();
    assert_eq!(cat.signatures.len(), 1);
    let missing = dir.join("missing.toml");
    let err = Catalog::load(true, std::slice::from_ref(&missing)).unwrap_err();
    assert!(err.starts_with(&format!("cannot read {}", missing.display())), "{err}");
    std::fs::write(&a, b"schema = \"\xff\"").unwrap();
    assert!(Catalog::load(true, &[a]).unwrap_err().contains("not UTF-8"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn level_filters_apply_to_pg_severities_and_log_levels() {
    let text = file(
        r#"
[[signature]]
id = "fatal_only"
title = "t"
component = "c"
sources = ["postgres", "console"]
severity = "error"
failure = true
meaning = "m"
remediation = "r"

[[signature.pattern]]
on = "pg"
regex = 'boom'
level = ["fatal", "PANIC"]

[[signature.pattern]]
on = "message"
regex = 'boom'
level = ["error"]

[[signature.example]]
on = "pg"
text = 'boom'
level = "FATAL"
version = "v"
"#,
    );
    let cat = Catalog::from_toml(&text, "x").unwrap();
    let count = |ev: Event| detect(&correlate(vec![ev]), &cat, 1).len();
    assert_eq!(count(pg(1, 1, Severity::Fatal, "boom")), 1);
    assert_eq!(count(pg(1, 1, Severity::Log, "boom")), 0);
    let mut c = console(1, 1, "boom");
    assert_eq!(count(c.clone()), 0, "no level: a level filter does not admit it");
    if let EventKind::Console(b) = &mut c.kind {
        if let ConsoleRecord::Log(l) = &mut **b {
            l.level = Some(rootcause_parsers::Level::Error);
        }
    }
    assert_eq!(count(c), 1);
    assert_eq!(cat.matching(Source::Postgres, On::Pg, "boom", Some("panic")), vec!["fatal_only"]);
    assert!(cat.matching(Source::App, On::Pg, "boom", Some("FATAL")).is_empty(), "sources filter");
    assert!(pg_word_is("DEBUG", Severity::Debug(2)) && pg_word_is("DEBUG2", Severity::Debug(2)));
    assert!(!pg_word_is("DEBUG1", Severity::Debug(2)));
}

#[test]
fn sources_filter_the_inputs_a_signature_applies_to() {
    // pg_eof_open_transaction applies to Postgres only: the same words in a console line do
    // not count.
    let got =
        ids(vec![console(1, 1, "unexpected EOF on client connection with an open transaction")]);
    assert!(got.is_empty(), "{got:?}");
    // A console traceback's intro line is a message.
    let tb = rootcause_parsers::console::ConsoleTraceback {
        ts: Some(1),
        ts_inferred: false,
        intro: Some("Error handling request /businesses".into()),
        client: None,
        traceback: Traceback { sections: Vec::new() },
        header_offset: 1,
    };
    let ev = Event {
        ts: Some(1),
        source: 2,
        line: 7,
        kind: EventKind::console(ConsoleRecord::Traceback(tb)),
    };
    assert_eq!(ids(vec![ev]), vec![("gu_error_handling".to_string(), 1)]);
}

#[test]
fn patterns_with_and_without_literals_match_as_a_set_would() {
    // `lit` has a literal the prefilter finds; `digits` and `nocase` have none it can use
    // (a class, too many case variants) and run in the set of the rest.
    let body = [
        sig("lit", r"QueuePool limit of size (?P<size>\d+)", "QueuePool limit of size 5"),
        sig("digits", r"^\d+ boom$", "12 boom"),
        sig("nocase", r"(?i)too many open files", "TOO MANY OPEN FILES"),
        sig("both", r"(?:limit|\d\d\d) reached", "999 reached"),
    ]
    .concat();
    let cat = Catalog::from_toml(&file(&body), "x").unwrap();
    let m = |t: &str| cat.matching(Source::Console, On::Message, t, None);
    assert_eq!(m("QueuePool limit of size 5 overflow"), vec!["lit"]);
    assert_eq!(m("12 boom"), vec!["digits"]);
    assert_eq!(m("x Too Many Open Files y"), vec!["nocase"]);
    assert_eq!(m("limit reached; 123 reached"), vec!["both"]);
    assert_eq!(m("999 reached and QueuePool limit of size 9"), vec!["lit", "both"]);
    assert!(m("QueuePool limit of size x; 12 boom!").is_empty());
    // Groups are read in the same search: the size is tallied.
    let found = detect(&correlate(vec![console(1, 1, "QueuePool limit of size 7")]), &cat, 1);
    assert_eq!(found[0].top_capture("size"), Some("7"));
}

/// Every text a test below tries for a set: the catalog's examples on its kind, alone, after
/// other text, twice over, after another example, and cut in half.
fn texts_for(catalog: &Catalog, on: On) -> Vec<String> {
    let examples: Vec<&str> = catalog
        .signatures
        .iter()
        .flat_map(|s| s.examples.iter().filter(|x| x.on == on).map(|x| x.text.as_str()))
        .collect();
    let mut texts = Vec::new();
    for (i, x) in examples.iter().enumerate() {
        let other = examples[(i * 7 + 3) % examples.len()];
        texts.push(x.to_string());
        texts.push(format!("noise {x} and {x}"));
        texts.push(format!("{other} {x}"));
        texts.push(x.chars().take(x.chars().count() / 2).collect());
    }
    texts
}

#[test]
fn anchored_searches_at_the_literals_find_what_unanchored_searches_find() {
    let catalog = Catalog::builtin().unwrap();
    let (mut compared, mut grouped) = (0, 0);
    for ps in &catalog.sets {
        let plain: Vec<regex::Regex> =
            ps.each.iter().map(|c| regex::Regex::new(&c.pattern).unwrap()).collect();
        let (mut scratch, mut found) = (Scratch::default(), Vec::new());
        for t in texts_for(&catalog, ps.on) {
            ps.matches(&t, &mut scratch, &mut found);
            let got: Vec<usize> = found.iter().map(|&(pi, _)| pi).collect();
            let want: Vec<usize> = (0..plain.len()).filter(|&pi| plain[pi].is_match(&t)).collect();
            assert_eq!(got, want, "{:?} on {t:?}", ps.on);
            compared += 1;
            for &(pi, groups) in &found {
                let caps = plain[pi].captures(&t).unwrap();
                assert_eq!(groups, caps.len() > 1, "{}", ps.each[pi].pattern);
                let mut read = Vec::new();
                let tail = ps.each[pi].tail();
                scratch.groups(pi, tail, &t, |name, value| {
                    read.push((name.to_string(), value.to_string()))
                });
                let want: Vec<(String, String)> = plain[pi]
                    .capture_names()
                    .flatten()
                    .filter_map(|n| caps.name(n).map(|m| (n.to_string(), m.as_str().to_string())))
                    .collect();
                assert_eq!(read, want, "{} on {t:?}", ps.each[pi].pattern);
                grouped += usize::from(!want.is_empty());
            }
        }
    }
    assert!(compared > 1000 && grouped > 100, "{compared} texts, {grouped} with groups");
    // Among them the patterns whose last group is read to the end of the line (see `tail`).
    let cut: Vec<&str> = catalog
        .sets
        .iter()
        .flat_map(|ps| &ps.each)
        .filter(|c| c.tail().is_some())
        .map(|c| catalog.signatures[c.signature].id.as_str())
        .collect();
    assert!(cut.contains(&"pg_duration"), "{cut:?}");
}
