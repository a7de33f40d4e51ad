//! Tests of the Postgres parser: prefixes, inference, folding, real samples, bad input.

use super::*;
use crate::testutil::Rng;
use crate::time::format_rfc3339;
use crate::{VecSink, parse_bytes};

const EOF_SAMPLE: &[u8] = include_bytes!("../../../samples/eof-open-transaction/postgresql.log");
const HEALTHY_SAMPLE: &[u8] = include_bytes!("../../../samples/healthy-baseline/postgresql.log");
const POOL_SAMPLE: &[u8] = include_bytes!("../../../samples/pool-exhaustion/postgresql.log");
const PGBADGER: &[u8] = include_bytes!("../../tests/fixtures/postgres/pgbadger.log");
const DEBIAN: &[u8] = include_bytes!("../../tests/fixtures/postgres/debian.log");
const RDS: &[u8] = include_bytes!("../../tests/fixtures/postgres/rds.log");
const MALFORMED: &[u8] = include_bytes!("../../tests/fixtures/postgres/malformed.log");

const PGBADGER_T: &str = "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ";
const PGBADGER_M: &str = "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ";
const DEBIAN_Q: &str = "%m [%p] %q%u@%d ";
const RDS_SPEC: &str = "%t:%r:%u@%d:[%p]:";

fn utc() -> TimeOptions {
    TimeOptions::default()
}

fn prefix(spec: &str) -> Prefix {
    Prefix::compile(spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"))
}

/// Parses with `spec` and checks that every line is accounted for.
fn run_with(p: Prefix, time: TimeOptions, input: &[u8]) -> VecSink<PgRecord> {
    let out = parse_bytes(&mut Parser::new(p, time), input);
    crate::testutil::assert_accounting(&out);
    out
}

fn run(spec: &str, input: &[u8]) -> VecSink<PgRecord> {
    run_with(prefix(spec), utc(), input)
}

fn rfc(ts: Option<Micros>) -> Option<String> {
    ts.map(format_rfc3339)
}

fn s(v: Option<&[u8]>) -> Option<&str> {
    v.map(|b| std::str::from_utf8(b).unwrap_or("<non-utf8>"))
}

#[test]
fn compiles_prefixes() {
    // (spec, number of tokens, number of tokens before %q)
    let ok: &[(&str, usize, Option<usize>)] = &[
        ("", 0, None),
        ("%m [%p] ", 4, None),
        (DEBIAN_Q, 8, Some(4)),
        (PGBADGER_T, 14, None),
        (RDS_SPEC, 10, None),
        ("%%%m%%", 3, None),
        ("%-10u %10p|", 4, None),
        ("%a%u%d%r%h%L%b%p%P%t%m%n%i%e%c%l%s%v%x%Q", 20, None),
        ("%m %q%q[%p]", 5, Some(2)),
        ("plain text", 1, None),
    ];
    for (spec, n, q) in ok {
        let p = prefix(spec);
        assert_eq!(p.spec(), *spec);
        assert_eq!(p.tokens.len(), *n, "{spec:?}: {:?}", p.tokens);
        assert_eq!(p.q_at, *q, "{spec:?}");
        assert!(!p.is_generic());
    }
    assert_eq!(prefix("%-10u").tokens, vec![Token::Esc { esc: Esc::User, pad: -10 }]);
    assert_eq!(prefix("%%%m%%").tokens[0], Token::Lit(b"%".to_vec()));
    assert!(prefix("%m").has_time() && prefix("%n").has_time() && !prefix("[%p] ").has_time());
}

#[test]
fn refuses_bad_prefixes() {
    // (spec, words the message must contain)
    let bad: &[(&str, &[&str])] = &[
        ("%m [%p] %z ", &["unknown", "'%z'", "byte 8"]),
        ("%y", &["unknown", "'%y'"]),
        ("%-5Z", &["unknown", "'%Z'"]),
        ("%m [%p] %", &["incomplete escape", "'%'"]),
        ("%m %-", &["unknown", "'%-'"]),
        ("%12", &["incomplete escape"]),
        ("%99999999999u", &["padding", "too large"]),
    ];
    for (spec, words) in bad {
        let err = Prefix::compile(spec).expect_err(spec);
        for w in *words {
            assert!(err.message.contains(w), "{spec:?}: {err} lacks {w:?}");
        }
        assert_eq!(err.to_string(), err.message);
    }
}

type Check = fn(&PrefixMatch<'_>);

#[test]
fn matches_lines_against_explicit_prefixes() {
    let cases: &[(&str, &[u8], Check)] = &[
        ("%m [%p] ", b"2026-11-25 15:42:07.355 UTC [29780] LOG:  starting", |m| {
            assert_eq!(rfc(m.ts.map(|t| t.micros)).as_deref(), Some("2026-11-25T15:42:07.355Z"));
            assert_eq!(m.pid, Some(29780));
            assert_eq!(m.rest, b"LOG:  starting");
            assert!(!m.short && !m.bad_ts);
        }),
        ("%m [%p] ", b"2026-11-25 18:42:07.355 +03 [7] LOG:  x", |m| {
            let t = m.ts.unwrap_or_else(|| panic!("no ts"));
            assert_eq!(format_rfc3339(t.micros), "2026-11-25T15:42:07.355Z");
            assert_eq!(t.zone, ZoneKind::Explicit);
        }),
        (DEBIAN_Q, b"2026-11-25 15:42:19.989 UTC [29844] app@party LOG:  unexpected EOF", |m| {
            assert_eq!((s(m.user), s(m.db), m.short), (Some("app"), Some("party"), false));
            assert_eq!(m.rest, b"LOG:  unexpected EOF");
        }),
        (DEBIAN_Q, b"2026-11-25 15:42:07.355 UTC [29780] LOG:  mail me at a@b c", |m| {
            assert_eq!((m.user, m.db, m.short), (None, None, true));
            assert_eq!(m.rest, b"LOG:  mail me at a@b c");
        }),
        (
            DEBIAN_Q,
            b"2026-11-25 15:42:20.101 UTC [29901] [unknown]@[unknown] LOG:  connection received",
            |m| assert_eq!((s(m.user), s(m.db)), (Some("[unknown]"), Some("[unknown]"))),
        ),
        (
            PGBADGER_T,
            b"2026-11-25 15:42:19 UTC [29844]: [3-1] user=app,db=party,app=[unknown],client=127.0.0.1 LOG:  unexpected EOF on client connection with an open transaction",
            |m| {
                assert_eq!(rfc(m.ts.map(|t| t.micros)).as_deref(), Some("2026-11-25T15:42:19.000Z"));
                assert_eq!((m.pid, m.session_line), (Some(29844), Some(3)));
                assert_eq!(s(m.user), Some("app"));
                assert_eq!(s(m.db), Some("party"));
                assert_eq!(s(m.app), Some("[unknown]"));
                assert_eq!(s(m.client), Some("127.0.0.1"));
                assert!(m.rest.starts_with(b"LOG:  unexpected EOF"));
            },
        ),
        (
            PGBADGER_T,
            b"2026-11-25 15:42:07 UTC [29780]: [1-1] user=,db=,app=,client= LOG:  ready",
            |m| {
                assert_eq!((m.user, m.db, m.app, m.client), (None, None, None, None));
                assert_eq!(m.rest, b"LOG:  ready");
            },
        ),
        (
            PGBADGER_M,
            b"2026-11-25 15:42:21.5 UTC [1]: [7-1] user=app,db=party,app=my app, v2,client=::1 ERROR:  x",
            |m| {
                assert_eq!(s(m.app), Some("my app, v2"));
                assert_eq!(s(m.client), Some("::1"));
            },
        ),
        (RDS_SPEC, b"2026-11-25 15:42:19 UTC:10.0.0.5(51234):app@party:[29844]:LOG:  x", |m| {
            assert_eq!((s(m.client), m.port), (Some("10.0.0.5"), Some(51234)));
            assert_eq!((s(m.user), s(m.db), m.pid), (Some("app"), Some("party"), Some(29844)));
            assert_eq!(m.rest, b"LOG:  x");
        }),
        (RDS_SPEC, b"2026-11-25 15:42:07 UTC::@:[29780]:LOG:  ready", |m| {
            assert_eq!((m.client, m.port, m.user, m.db), (None, None, None, None));
        }),
        (RDS_SPEC, b"2026-11-25 15:42:07 UTC:[local]:app@party:[29780]:LOG:  x", |m| {
            assert_eq!((s(m.client), m.port), (Some("[local]"), None));
        }),
        ("%n [%p] ", b"1764085327.355 [29780] LOG:  x", |m| {
            let t = m.ts.unwrap_or_else(|| panic!("no ts"));
            assert_eq!(format_rfc3339(t.micros), "2025-11-25T15:42:07.355Z");
        }),
        (
            "%m [%p] %e %c %v %x %Q ",
            b"2026-11-25 15:42:20.102 UTC [29901] 53300 6926d2af.7465 3/12 0 -4215218521925457922 FATAL:  sorry",
            |m| {
                assert_eq!(s(m.sqlstate), Some("53300"));
                assert_eq!(s(m.session_id), Some("6926d2af.7465"));
                assert_eq!(s(m.vxid), Some("3/12"));
                assert_eq!((m.xid, m.query_id), (Some(0), Some(-4_215_218_521_925_457_922)));
                assert_eq!(m.rest, b"FATAL:  sorry");
            },
        ),
        ("%m [%p] %v|", b"2026-11-25 15:42:20.102 UTC [29783] |LOG:  checkpoint", |m| {
            assert_eq!(m.vxid, None);
        }),
        ("%m [%p/%P] ", b"2026-11-25 15:42:20.102 UTC [300/] LOG:  x", |m| {
            assert_eq!((m.pid, m.leader_pid), (Some(300), None));
        }),
        ("%m [%p/%P] ", b"2026-11-25 15:42:20.102 UTC [301/300] LOG:  x", |m| {
            assert_eq!((m.pid, m.leader_pid), (Some(301), Some(300)));
        }),
        (
            "%m [%p] %b [%i] ",
            b"2026-11-25 15:42:20.102 UTC [29850] client backend [idle in transaction] LOG:  x",
            |m| {
                assert_eq!(s(m.backend_type), Some("client backend"));
                assert_eq!(s(m.command_tag), Some("idle in transaction"));
            },
        ),
        ("%-10u|%5p|", b"app       |  123|LOG:  padded", |m| {
            assert_eq!((s(m.user), m.pid, m.rest), (Some("app"), Some(123), &b"LOG:  padded"[..]));
        }),
        ("%-6p %u ", b"42     app LOG:  padded pid", |m| {
            assert_eq!((m.pid, s(m.user)), (Some(42), Some("app")));
        }),
        ("%10u: ", b"       app: LOG:  x", |m| assert_eq!(s(m.user), Some("app"))),
        ("%m %s [%p] ", b"2026-11-25 15:42:20.102 UTC 2026-11-25 15:42:19 UTC [1] LOG:  x", |m| {
            assert_eq!(s(m.session_start), Some("2026-11-25 15:42:19 UTC"));
        }),
        ("", b"LOG:  no prefix at all", |m| assert_eq!(m.rest, b"LOG:  no prefix at all")),
        // A free-width escape that ends the prefix stops where the severity starts.
        (
            "%m [%p] %a",
            b"2026-11-25 15:42:07.355 UTC [1] a long application name, version 2: x  LOG:  m",
            |m| {
                assert_eq!(s(m.app), Some("a long application name, version 2: x  "));
                assert_eq!(m.rest, b"LOG:  m");
            },
        ),
        ("%m [%p] %a", b"2026-11-25 15:42:07.355 UTC [1] LOG:  no app", |m| {
            assert_eq!((m.app, m.rest), (None, &b"LOG:  no app"[..]));
        }),
        ("%m [%p] ", b"2026-02-30 12:00:00.000 UTC [9] LOG:  impossible date", |m| {
            assert!(m.bad_ts);
            assert_eq!((m.ts, m.pid), (None, Some(9)));
        }),
        ("%m [%p] ", b"2026-11-25 15:42:07.355 UTC [1] no severity here", |m| {
            assert_eq!(m.rest, b"no severity here");
        }),
        (DEBIAN_Q, b"2026-11-25 15:42:07.355 UTC [1] app@db cut", |m| {
            assert_eq!((s(m.user), m.rest), (Some("app"), &b"cut"[..]));
        }),
    ];
    for (spec, line, check) in cases {
        let p = prefix(spec);
        match p.match_line(line, &utc()) {
            Some(m) => check(&m),
            None => panic!("{spec:?} does not match {:?}", String::from_utf8_lossy(line)),
        }
    }
}

#[test]
fn refuses_lines_that_do_not_fit() {
    let cases: &[(&str, &[u8])] = &[
        // %t never has milliseconds and %m always has them.
        ("%t [%p] ", b"2026-11-25 15:42:07.355 UTC [1] LOG:  x"),
        ("%m [%p] ", b"2026-11-25 15:42:07 UTC [1] LOG:  x"),
        ("%m [%p] ", b"2026-11-25 15:42:07.355 UTC [29844]: [3-1] LOG:  x"),
        ("%m [%p] ", b"[2026-11-25 15:42:08 +0000] [29798] [INFO] Booting worker"),
        ("%m [%p] ", b"2026-11-25 15:42:07.355 UTC [abc] LOG:  x"),
        ("%m [%p] ", b"2026-11-25 15:42:07.355 UTC [99999999999] LOG:  x"),
        ("%m [%p] ", b"garbage 15:42 [1] LOG:  x"),
        ("%m [%p] %e ", b"2026-11-25 15:42:07.355 UTC [1] 5330 LOG:  x"),
        (RDS_SPEC, b"2026-11-25 15:42:19 UTC:10.0.0.5(51234):app@party:[29844]LOG:  x"),
        ("%n [%p] ", b"2026-11-25 15:42:07.355 UTC [1] LOG:  x"),
        ("", b""),
        ("%m", b""),
    ];
    for (spec, line) in cases {
        let m = prefix(spec).match_line(line, &utc());
        if spec.is_empty() {
            // The empty prefix matches everything, even an empty line.
            assert!(m.is_some());
            continue;
        }
        assert!(
            m.is_none(),
            "{spec:?} should not match {:?}: {m:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn infers_each_candidate() {
    // (name, log text, expected spec or None)
    let cases: &[(&str, &[u8], Option<&str>)] = &[
        ("pg default", b"2026-11-25 15:42:07.355 UTC [29780] LOG:  starting\n2026-11-25 15:42:07.390 UTC [29780] LOG:  ready\n", Some("%m [%p] ")),
        ("debian with sessions", DEBIAN, Some(DEBIAN_Q)),
        ("pgbadger %t", PGBADGER, Some(PGBADGER_T)),
        ("pgbadger %m", b"2026-11-25 15:42:19.989 UTC [29844]: [3-1] user=app,db=party,app=[unknown],client=127.0.0.1 LOG:  unexpected EOF on client connection with an open transaction\n2026-11-25 15:42:20.001 UTC [29901]: [1-1] user=app,db=party,app=[unknown],client=127.0.0.1 FATAL:  sorry, too many clients already\n", Some(PGBADGER_M)),
        ("pgbadger without %l", b"2026-11-25 15:42:19 UTC [29844]: user=app,db=party,app=psql,client=[local] LOG:  x\n", Some("%t [%p]: user=%u,db=%d,app=%a,client=%h ")),
        ("pgbadger old", b"2026-11-25 15:42:19 UTC [29844]: [3-1] LOG:  x\n2026-11-25 15:42:19 UTC [29844]: [4-1] DETAIL:  y\n", Some("%t [%p]: [%l-1] ")),
        ("%t [%p]: ", b"2026-11-25 15:42:19 UTC [29844]: LOG:  x\n2026-11-25 15:42:20 UTC [29845]: FATAL:  sorry, too many clients already\n", Some("%t [%p]: ")),
        ("%m [%p]: ", b"2026-11-25 15:42:19.100 UTC [29844]: LOG:  x\n", Some("%m [%p]: ")),
        ("%t [%p] ", b"2026-11-25 15:42:19 CET [29844] LOG:  x\n", Some("%t [%p] ")),
        ("old ubuntu", b"2026-11-25 15:42:19 UTC [29844-1] app@party LOG:  x\n2026-11-25 15:42:19 UTC [29780-3] LOG:  checkpoint starting: time\n", Some("%t [%p-%l] %q%u@%d ")),
        ("rds", RDS, Some(RDS_SPEC)),
        ("numeric zone", b"2026-11-25 18:42:07.355 +03 [29780] LOG:  x\n", Some("%m [%p] ")),
        ("generic", b"2026-11-25 15:42:19.989 UTC [29844] 0 xid=0 LOG:  custom prefix\n2026-11-25 15:42:20.989 UTC [29845] 0 xid=0 FATAL:  sorry, too many clients already\n", Some(GENERIC_SPEC)),
        ("syslog-ish generic", b"2026-11-25T15:42:19.989Z db1 postgres[29844]: [3-1] LOG:  x\n", Some(GENERIC_SPEC)),
        ("continuations do not count", b"2026-11-25 15:42:07.355 UTC [1] ERROR:  x\n\tmore\n\tmore\n\tmore\n", Some("%m [%p] ")),
        ("half is enough", b"2026-11-25 15:42:07.355 UTC [1] LOG:  x\nnoise\n", Some("%m [%p] ")),
        ("less than half", b"2026-11-25 15:42:07.355 UTC [1] LOG:  x\nnoise\nmore noise\n", None),
        ("cut last line ignored", b"2026-11-25 15:42:07.355 UTC [1] LOG:  x\n2026-11-25 15:4", Some("%m [%p] ")),
        ("empty", b"", None),
        ("blank", b"\n  \n\t\n", None),
        ("gunicorn", b"[2026-11-25 15:42:08 +0000] [29798] [INFO] Starting gunicorn 27.0.1\n[2026-11-25 15:42:08 +0000] [29798] [INFO] Listening at: http://127.0.0.1:35739 (29798)\n[2026-11-25 15:42:11 +0000] [29798] [CRITICAL] WORKER TIMEOUT (pid:29801)\n", None),
        ("json", b"{\"event\": \"query started\", \"level\": \"info\", \"created_at\": \"2026-11-25T15:42:12.064971Z\"}\n", None),
        ("csv", b"sent_at,route,status\n2026-11-25T15:42:10.920Z,/a,200\n", None),
        ("csvlog", b"2026-11-25 15:42:07.355 UTC,\"app\",\"party\",29844,\"127.0.0.1:5\",6926d2af.7464,3,\"idle\",2026-11-25 15:42:07 UTC,3/0,0,LOG,08006,\"unexpected EOF\",,,,,,,,,\"\",\"client backend\",,0\n", None),
        ("python logging", b"2026-11-25 15:42:08,123 ERROR app: OperationalError: connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  sorry, too many clients already\n", None),
        ("not english", b"2026-11-25 15:42:07.355 CET [1] FEHLER:  Relation existiert nicht\n", None),
    ];
    for (name, text, want) in cases {
        let got = infer_prefix(text, &utc());
        assert_eq!(got.as_ref().map(|(p, _)| p.spec()), *want, "{name}: {got:?}");
        if let Some((p, d)) = got {
            assert!(d.score > 0.0 && d.score <= 1.0, "{name}: {d:?}");
            assert!(d.reason.contains(" of "), "{name}: {d:?}");
            assert_eq!(sniff(text), Some(d.clone()), "{name}: sniff agrees");
            assert_eq!(p.is_generic(), p.spec() == GENERIC_SPEC);
            // Whatever was inferred parses the text it was inferred from without unknown lines
            // when every (complete) line matched.
            if d.score >= 1.0 && text.ends_with(b"\n") {
                let out = run_with(p, utc(), text);
                assert!(
                    !out.skipped.iter().any(|(_, r)| *r == SkipReason::PgUnknownPrefix),
                    "{name}: {:?}",
                    out.skipped
                );
            }
        }
    }
}

#[test]
fn detection_reasons_read_well() {
    let (_, d) = infer_prefix(EOF_SAMPLE, &utc()).unwrap_or_else(|| panic!("eof sample"));
    assert_eq!(d.reason, "35 of 35 lines match log_line_prefix '%m [%p] '");
    assert!((d.score - 1.0).abs() < f32::EPSILON);
    let generic = b"2026-11-25 15:42:19.989 UTC [29844] 0 LOG:  a\nnoise\n";
    let (p, d) = infer_prefix(generic, &utc()).unwrap_or_else(|| panic!("generic"));
    assert!(p.is_generic());
    assert!(d.reason.starts_with("1 of 2 lines look like Postgres log lines"), "{}", d.reason);
    assert!((d.score - 0.45).abs() < 1e-6, "{}", d.score);
}

#[test]
fn real_samples() {
    // (sample, records, EOF-in-transaction records)
    let samples: &[(&str, &[u8], usize, usize)] = &[
        ("eof-open-transaction", EOF_SAMPLE, 35, 24),
        ("healthy-baseline", HEALTHY_SAMPLE, 11, 0),
        ("pool-exhaustion", POOL_SAMPLE, 11, 0),
    ];
    for (name, bytes, n, eof) in samples {
        let (p, d) = infer_prefix(bytes, &utc()).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(p.spec(), "%m [%p] ", "{name}");
        assert_eq!(d.reason, format!("{n} of {n} lines match log_line_prefix '%m [%p] '"));
        let out = run_with(p, utc(), bytes);
        assert_eq!(out.lines, *n as u64, "{name}");
        assert!(out.skipped.is_empty(), "{name}: {:?}", out.skipped);
        assert!(out.notes.is_empty(), "{name}: {:?}", out.notes);
        assert_eq!(out.records.len(), *n, "{name}");
        assert!(out.records.iter().all(|r| r.lines == 1 && r.rec.ts.is_some()), "{name}");
        assert!(out.records.iter().all(|r| r.rec.severity == Some(Severity::Log)), "{name}");
        let eofs = out
            .records
            .iter()
            .filter(|r| {
                r.rec
                    .message
                    .starts_with("unexpected EOF on client connection with an open transaction")
            })
            .count();
        assert_eq!(eofs, *eof, "{name}");
        let cp: Vec<_> = out
            .records
            .iter()
            .filter(|r| r.rec.message.starts_with("checkpoint complete: wrote"))
            .collect();
        assert_eq!(cp.len(), 1, "{name}");
        assert_eq!(cp[0].lines, 1);
        assert!(cp[0].rec.message.ends_with(" kB"), "{name}: {}", cp[0].rec.message);
    }
    let out = run("%m [%p] ", EOF_SAMPLE);
    let first = &out.records[0];
    assert_eq!((first.line, first.rec.pid), (1, Some(29780)));
    assert_eq!(rfc(first.rec.ts).as_deref(), Some("2026-11-25T15:42:07.355Z"));
    let eof = &out.records[4];
    assert_eq!((eof.line, eof.rec.pid), (5, Some(29844)));
    assert_eq!(rfc(eof.rec.ts).as_deref(), Some("2026-11-25T15:42:19.989Z"));
    // Non-PG inputs of the same samples are not taken for Postgres.
    let others: &[&[u8]] = &[
        include_bytes!("../../../samples/eof-open-transaction/app.log"),
        include_bytes!("../../../samples/eof-open-transaction/stderr.log"),
        include_bytes!("../../../samples/eof-open-transaction/hammer.csv"),
        include_bytes!("../../../samples/pool-exhaustion/stderr.log"),
        include_bytes!("../../../samples/healthy-baseline/stderr.log"),
    ];
    for o in others {
        assert_eq!(sniff(o), None);
    }
}

#[test]
fn folds_pgbadger_entries() {
    let out = run(PGBADGER_T, PGBADGER);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    let got: Vec<(LineNo, u32, Option<Severity>, &str)> = out
        .records
        .iter()
        .map(|r| (r.line, r.lines, r.rec.severity, r.rec.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, Some(Severity::Log), "database system is ready to accept connections"),
            (
                2,
                1,
                Some(Severity::Log),
                "unexpected EOF on client connection with an open transaction"
            ),
            (3, 1, Some(Severity::Fatal), "sorry, too many clients already"),
            (
                4,
                1,
                Some(Severity::Fatal),
                "remaining connection slots are reserved for non-replication superuser connections"
            ),
            (
                5,
                5,
                Some(Severity::Error),
                "duplicate key value violates unique constraint \"guests_pkey\""
            ),
            (10, 2, Some(Severity::Error), "canceling statement due to statement timeout"),
            (12, 1, Some(Severity::Log), "checkpoint starting: time"),
        ]
    );
    let bg = &out.records[0].rec;
    assert_eq!((&bg.user, &bg.db, &bg.app, &bg.client), (&None, &None, &None, &None));
    assert_eq!((bg.pid, bg.session_line), (Some(29780), Some(1)));
    let eof = &out.records[1].rec;
    assert_eq!(eof.user.as_deref(), Some("app"));
    assert_eq!(eof.db.as_deref(), Some("party"));
    assert_eq!(eof.app.as_deref(), Some("[unknown]"));
    assert_eq!(eof.client.as_deref(), Some("127.0.0.1"));
    assert_eq!(rfc(eof.ts).as_deref(), Some("2026-11-25T15:42:19.000Z"));
    let dup = &out.records[4].rec;
    assert_eq!(dup.app.as_deref(), Some("flask app, v2"));
    assert_eq!(dup.detail.as_deref(), Some("Key (id)=(42) already exists."));
    assert_eq!(
        dup.statement.as_deref(),
        Some("INSERT INTO guests (id, name)\nVALUES (42, 'Ada')\nRETURNING id")
    );
    assert_eq!(dup.session_line, Some(7), "the first line's %l");
    let timeout = &out.records[5].rec;
    assert_eq!(timeout.client.as_deref(), Some("[local]"));
    assert_eq!(timeout.statement.as_deref(), Some("SELECT pg_sleep(60);"));
    assert_eq!(timeout.detail, None);
}

#[test]
fn folds_debian_entries_with_and_without_user_at_db() {
    let out = run(DEBIAN_Q, DEBIAN);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let got: Vec<(LineNo, u32, Option<&str>, Option<&str>)> = out
        .records
        .iter()
        .map(|r| (r.line, r.lines, r.rec.user.as_deref(), r.rec.db.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, None, None),
            (2, 1, None, None),
            (3, 1, Some("app"), Some("party")),
            (4, 1, Some("[unknown]"), Some("[unknown]")),
            (5, 1, Some("app"), Some("party")),
            (6, 2, Some("app"), Some("party")),
            (8, 1, None, None),
        ]
    );
    assert!(out.records[0].rec.message.starts_with("starting PostgreSQL 15.18 (Debian"));
    assert_eq!(out.records[4].rec.message, "sorry, too many clients already");
    assert_eq!(out.records[5].rec.statement.as_deref(), Some("SELECT * FROM guests2"));
    // The plain default prefix reads the same file, minus the user@db lines' fields.
    let plain = run("%m [%p] ", DEBIAN);
    assert_eq!(plain.records.len(), 8, "the STATEMENT line after app@party is not one");
    assert_eq!(plain.records[2].rec.severity, None);
    assert_eq!(
        plain.records[2].rec.message,
        "app@party LOG:  unexpected EOF on client connection with an open transaction"
    );
}

#[test]
fn folds_rds_entries() {
    let out = run(RDS_SPEC, RDS);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.records.len(), 4);
    let dl = &out.records[3];
    assert_eq!((dl.line, dl.lines), (4, 7));
    assert_eq!(dl.rec.message, "deadlock detected");
    assert_eq!((dl.rec.client.as_deref(), dl.rec.port), (Some("10.0.0.6"), Some(40022)));
    assert_eq!(
        dl.rec.detail.as_deref(),
        Some(
            "Process 29850 waits for ShareLock on transaction 1234; blocked by process 29851.\n\
             Process 29851 waits for ShareLock on transaction 1235; blocked by process 29850.\n\
             Process 29850: UPDATE guests SET n = n + 1 WHERE id = 1"
        )
    );
    assert_eq!(dl.rec.hint.as_deref(), Some("See server log for query details."));
    assert_eq!(
        dl.rec.context.as_deref(),
        Some("while updating tuple (0,1) in relation \"guests\"")
    );
    assert_eq!(dl.rec.statement.as_deref(), Some("UPDATE guests SET n = n + 1 WHERE id = 2"));
    assert_eq!(out.records[2].rec.severity, Some(Severity::Fatal));
}

#[test]
fn survives_a_messy_file() {
    let out = run("%m [%p] ", MALFORMED);
    assert_eq!(out.lines, 14);
    assert_eq!(
        out.skipped,
        vec![
            (1, SkipReason::PgOrphanContinuation),
            (2, SkipReason::PgOrphanContinuation),
            (5, SkipReason::PgUnknownPrefix),
            (6, SkipReason::Blank),
            (7, SkipReason::Blank),
            (9, SkipReason::PgOrphanContinuation),
            (14, SkipReason::PgUnknownPrefix),
        ]
    );
    let got: Vec<(LineNo, u32, &str)> =
        out.records.iter().map(|r| (r.line, r.lines, r.rec.message.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (3, 1, "crlf line"),
            (4, 1, "caf\u{fffd} au lait \u{fffd}\u{fffd}"),
            (8, 4, "syntax error at or near \"SELEC\" at character 1"),
            (13, 1, "coloured text"),
        ]
    );
    assert_eq!(out.records[2].rec.statement.as_deref(), Some("SELEC 1;\n\n-- after an empty line"));
    assert_eq!(out.records[2].rec.detail, None, "a DETAIL of another pid is not folded in");
    assert_eq!(out.notes, vec![(4, Note::LossyUtf8)]);
}

/// (name, spec, input, records, skipped reasons, notes)
type Case =
    (&'static str, &'static str, &'static [u8], usize, &'static [SkipReason], &'static [Note]);

#[test]
fn malformed_inputs() {
    use Note as N;
    use SkipReason as R;
    let cases: &[Case] = &[
        ("empty", "%m [%p] ", b"", 0, &[], &[]),
        ("only newline", "%m [%p] ", b"\n", 0, &[R::Blank], &[]),
        ("unknown prefix", "%m [%p] ", b"hello world\n", 0, &[R::PgUnknownPrefix], &[]),
        ("truncated in the stamp", "%m [%p] ", b"2026-11-25 15:42:19.9", 0, &[R::PgUnknownPrefix], &[]),
        ("truncated in the pid", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [298", 0, &[R::PgUnknownPrefix], &[]),
        ("truncated in the severity", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [29844] LO", 1, &[], &[]),
        ("truncated after the severity", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [29844] LOG:", 1, &[], &[]),
        ("orphan detail", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] DETAIL:  x\n", 0, &[R::PgOrphanContinuation], &[]),
        ("orphan tab", "%m [%p] ", b"\tSELECT 1\n", 0, &[R::PgOrphanContinuation], &[]),
        ("orphan lone tab", "%m [%p] ", b"\t\n", 0, &[R::Blank], &[]),
        ("crlf", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] LOG:  a\r\n2026-11-25 15:42:19.989 UTC [1] LOG:  b\r\n", 2, &[], &[]),
        ("non utf8", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] LOG:  \xc3\x28\n", 1, &[], &[N::LossyUtf8]),
        ("non utf8 continuation", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] LOG:  a\n\t\xff\n", 1, &[], &[N::LossyUtf8]),
        ("non utf8 in a field", DEBIAN_Q, b"2026-11-25 15:42:19.989 UTC [1] \xffapp@db LOG:  a\n", 1, &[], &[N::LossyUtf8]),
        ("non utf8 prefix", "%m [%p] ", b"\xff\xfe 15:42:19.989 UTC [1] LOG:  a\n", 0, &[R::PgUnknownPrefix], &[]),
        ("zone assumed", "%m [%p] ", b"2026-11-25 15:42:19.989 [1] LOG:  a\n", 1, &[], &[N::ZoneAssumed]),
        ("zone abbreviation", "%m [%p] ", b"2026-11-25 16:42:19.989 CET [1] LOG:  a\n", 1, &[], &[N::ZoneAbbreviation]),
        ("unknown zone word", "%m [%p] ", b"2026-11-25 15:42:19.989 XYZT [1] LOG:  a\n", 1, &[], &[N::ZoneAssumed]),
        ("bad stamp", "%m [%p] ", b"2026-13-45 15:42:19.989 UTC [1] LOG:  a\n", 1, &[], &[N::BadTimestamp]),
        ("no stamp in prefix", "[%p] ", b"[1] LOG:  a\n", 1, &[], &[N::NoTimestamp]),
        ("secondary of another pid", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] ERROR:  a\n2026-11-25 15:42:19.989 UTC [2] HINT:  b\n", 1, &[R::PgOrphanContinuation], &[]),
        ("secondary without pids", "%m ", b"2026-11-25 15:42:19.989 UTC ERROR:  a\n2026-11-25 15:42:19.989 UTC HINT:  b\n", 1, &[], &[]),
        ("foreign line inside an entry", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] ERROR:  a\nnoise\n\tstill the message\n", 1, &[R::PgUnknownPrefix], &[]),
        ("nul and controls", "%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] LOG:  a\x00b\x7fc\x1b", 1, &[], &[]),
    ];
    for (name, spec, input, records, skipped, notes) in cases {
        let out = run(spec, input);
        assert_eq!(out.records.len(), *records, "{name}: {:?}", out.records);
        let reasons: Vec<SkipReason> = out.skipped.iter().map(|(_, r)| *r).collect();
        assert_eq!(&reasons, skipped, "{name}");
        let got: Vec<Note> = out.notes.iter().map(|(_, n)| *n).collect();
        assert_eq!(&got, notes, "{name}");
        for r in &out.records {
            assert!(!r.rec.message.contains(['\r', '\0', '\x7f', '\x1b']), "{name}: {:?}", r.rec);
        }
    }
}

#[test]
fn fields_of_odd_lines() {
    let one = |spec: &str, input: &[u8]| -> PgRecord {
        let mut out = run(spec, input);
        assert_eq!(out.records.len(), 1, "{spec:?}");
        out.records.remove(0).rec
    };
    let r = one("%m [%p] ", b"2026-11-25 15:42:19.989 UTC [29844] LO");
    assert_eq!((r.severity, r.message.as_str()), (None, "LO"));
    let r = one("%m [%p] ", b"2026-11-25 15:42:19.989 UTC [29844] LOG:");
    assert_eq!((r.severity, r.message.as_str()), (Some(Severity::Log), ""));
    let r = one("%m [%p] ", b"2026-13-45 15:42:19.989 UTC [7] LOG:  a");
    assert_eq!((r.ts, r.pid), (None, Some(7)));
    let r = one(
        "%m [%p] ",
        b"2026-11-25 15:42:19.989 UTC [1] LOG:  \x1b[31mred\x1b[0m and\x07bell\tkept",
    );
    assert_eq!(r.message, "red andbell\tkept");
    // Zone-less stamps take the default offset.
    let out = run_with(
        prefix("%m [%p] "),
        TimeOptions { default_offset_secs: 3600 },
        b"2026-11-25 16:42:19.989 [1] LOG:  a",
    );
    assert_eq!(rfc(out.records[0].rec.ts).as_deref(), Some("2026-11-25T15:42:19.989Z"));
    // Severities, DEBUG included.
    for (word, sev) in [
        ("DEBUG", Severity::Debug(0)),
        ("DEBUG1", Severity::Debug(1)),
        ("DEBUG5", Severity::Debug(5)),
        ("INFO", Severity::Info),
        ("NOTICE", Severity::Notice),
        ("WARNING", Severity::Warning),
        ("PANIC", Severity::Panic),
    ] {
        let line = format!("2026-11-25 15:42:19.989 UTC [1] {word}:  m");
        let r = one("%m [%p] ", line.as_bytes());
        assert_eq!(r.severity, Some(sev), "{word}");
        assert_eq!(sev.as_str(), word.trim_end_matches(char::is_numeric));
    }
    let r = one("%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] DEBUG6:  m");
    assert_eq!(r.severity, None);
    // log_error_verbosity = verbose: the SQLSTATE before the message, and LOCATION lines.
    let r = one(
        "%m [%p] ",
        b"2026-11-25 15:42:19.989 UTC [1] ERROR:  42P01: relation \"x\" does not exist\n\
          2026-11-25 15:42:19.989 UTC [1] LOCATION:  parserOpenTable, parse_relation.c:1384\n",
    );
    assert_eq!(r.sqlstate.as_deref(), Some("42P01"));
    assert_eq!(r.message, "relation \"x\" does not exist");
    assert_eq!(r.location.as_deref(), Some("parserOpenTable, parse_relation.c:1384"));
    let r = one("%m [%p] ", b"2026-11-25 15:42:19.989 UTC [1] NOTICE:  DEBUG: not a code");
    assert_eq!((r.sqlstate, r.message.as_str()), (None, "DEBUG: not a code"));
    let r = one(
        "%m [%p] %e ",
        b"2026-11-25 15:42:19.989 UTC [1] 53300 FATAL:  sorry, too many clients already",
    );
    assert_eq!(r.sqlstate.as_deref(), Some("53300"));
    // Repeated secondary lines are joined; QUERY and CONTEXT go to their own fields.
    let r = one(
        "%m [%p] ",
        b"2026-11-25 15:42:19.989 UTC [1] ERROR:  a\n\
          2026-11-25 15:42:19.989 UTC [1] DETAIL:  d1\n\
          2026-11-25 15:42:19.989 UTC [1] DETAIL:  d2\n\
          2026-11-25 15:42:19.989 UTC [1] QUERY:  SELECT 1\n\
          2026-11-25 15:42:19.989 UTC [1] CONTEXT:  PL/pgSQL function f() line 3\n\
          \tSQL statement \"x\"\n",
    );
    assert_eq!(r.detail.as_deref(), Some("d1\nd2"));
    assert_eq!(r.query.as_deref(), Some("SELECT 1"));
    assert_eq!(r.context.as_deref(), Some("PL/pgSQL function f() line 3\nSQL statement \"x\""));
    // All prefix fields reach the record.
    let r = one(
        "%m [%p] %r %u %d %a %e %c %l %b %i %v %x %Q ",
        b"2026-11-25 15:42:19.989 UTC [9] 10.0.0.5(5) u d a 53300 6926d2af.9 4 client_backend SELECT 3/7 12 77 LOG:  m",
    );
    assert_eq!((r.client.as_deref(), r.port), (Some("10.0.0.5"), Some(5)));
    assert_eq!(
        (r.user.as_deref(), r.db.as_deref(), r.app.as_deref()),
        (Some("u"), Some("d"), Some("a"))
    );
    assert_eq!((r.session_id.as_deref(), r.session_line), (Some("6926d2af.9"), Some(4)));
    assert_eq!(
        (r.backend_type.as_deref(), r.command_tag.as_deref()),
        (Some("client_backend"), Some("SELECT"))
    );
    assert_eq!((r.vxid.as_deref(), r.xid, r.query_id), (Some("3/7"), Some(12), Some(77)));
}

#[test]
fn long_lines_are_capped_not_fatal() {
    let mut line = b"2026-11-25 15:42:19.989 UTC [1] ERROR:  ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 100_000));
    line.push(b'\n');
    for _ in 0..50_000 {
        line.extend_from_slice(b"\tcontinuation of a very long message\n");
    }
    let out = run("%m [%p] ", &line);
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].lines, 50_001);
    let msg = &out.records[0].rec.message;
    assert!(msg.len() <= MAX_FIELD_BYTES + '…'.len_utf8(), "{}", msg.len());
    assert!(msg.ends_with('…'));
    // A 100k-character line of multi-byte characters is cut on a character boundary.
    let mut wide = b"2026-11-25 15:42:19.989 UTC [1] LOG:  ".to_vec();
    for _ in 0..100_000 {
        wide.extend_from_slice("é".as_bytes());
    }
    let out = run("%m [%p] ", &wide);
    assert!(out.notes.is_empty(), "a clean cut is not lossy: {:?}", out.notes);
    assert!(out.records[0].rec.message.ends_with("éé…"));
    // 100k characters with many '@' and spaces: the %q backtracking stays bounded.
    let mut noisy = b"2026-11-25 15:42:19.989 UTC [1] ".to_vec();
    for _ in 0..20_000 {
        noisy.extend_from_slice(b"a@b ");
    }
    let out = run(DEBIAN_Q, &noisy);
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].rec.severity, None);
    let out = run(PGBADGER_T, &noisy);
    assert_eq!(out.skipped, vec![(1, SkipReason::PgUnknownPrefix)]);
    assert!(infer_prefix(&noisy, &utc()).is_none());
}

#[test]
fn random_input_never_panics() {
    let mut specs: Vec<Prefix> = CANDIDATES.iter().map(|s| prefix(s)).collect();
    specs.push(Prefix::generic());
    specs.push(prefix("%m [%p] %e %c %v %x %Q %P %n %s %L %b %i "));
    specs.push(prefix("%u%d%a"));
    specs.push(prefix("%-5u %5p "));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Raw random bytes.
    let raw: Vec<u8> =
        (0..64 * 1024).map(|_| if rng.below(40) == 0 { b'\n' } else { rng.next() as u8 }).collect();
    // Plausible fragments shuffled together, to reach deep into the matcher.
    let pieces: &[&[u8]] = &[
        b"2026-11-25 15:42:19.989 UTC",
        b"2026-11-25 15:42:19 UTC",
        b"1764085327.355",
        b" [",
        b"29844",
        b"] ",
        b"]: ",
        b"[3-1] ",
        b"user=",
        b",db=",
        b",app=",
        b",client=",
        b"app@party ",
        b"@",
        b":",
        b" ",
        b"LOG:  ",
        b"ERROR:  ",
        b"DETAIL:  ",
        b"STATEMENT:  ",
        b"\t",
        b"\n",
        b"\r\n",
        b"\xff",
        b"\x1b[31m",
        b"(5432)",
        b"53300 ",
        b"6926d2af.7464 ",
        b"3/12 ",
    ];
    let mut mixed = Vec::new();
    for _ in 0..20_000 {
        mixed.extend_from_slice(pieces[rng.below(pieces.len())]);
    }
    for input in [&raw, &mixed] {
        for p in &specs {
            let out = run_with(p.clone(), utc(), input);
            for r in &out.records {
                assert!(r.lines >= 1);
            }
        }
        let _ = infer_prefix(input, &utc());
        let _ = sniff(input);
        // Every prefix of the input, too: cuts at any byte.
        for cut in (0..input.len().min(4096)).step_by(97) {
            let _ = infer_prefix(&input[..cut], &utc());
        }
    }
}

/// Rough throughput in release mode:
/// `cargo test --release -p rootcause-parsers throughput -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run by hand in release mode"]
fn throughput() {
    let cases: &[(&str, &[u8])] = &[
        ("%m [%p] ", EOF_SAMPLE),
        (DEBIAN_Q, DEBIAN),
        (PGBADGER_T, PGBADGER),
        (RDS_SPEC, RDS),
        (GENERIC_SPEC, EOF_SAMPLE),
    ];
    for (spec, sample) in cases {
        let mut data = Vec::new();
        while data.len() < 100 << 20 {
            data.extend_from_slice(sample);
        }
        let p = if *spec == GENERIC_SPEC { Prefix::generic() } else { prefix(spec) };
        let mut parser = Parser::new(p, utc());
        struct Count(u64, u64);
        impl Sink<PgRecord> for Count {
            fn record(&mut self, _: LineNo, lines: u32, _: PgRecord) {
                self.0 += u64::from(lines);
            }
            fn skip(&mut self, _: LineNo, _: SkipReason) {
                self.1 += 1;
            }
        }
        let mut sink = Count(0, 0);
        let t = std::time::Instant::now();
        for (k, line) in text::lines(&data).enumerate() {
            parser.line(line, k as u64 + 1, &mut sink);
        }
        parser.finish(&mut sink);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{spec:?}: {:.0} MB/s ({} lines in records, {} skipped)",
            data.len() as f64 / secs / 1e6,
            sink.0,
            sink.1
        );
    }
}

#[test]
fn occurrences_are_memmem_find_iter() {
    // Every haystack of up to 8 bytes and needle of up to 3 over a two-letter alphabet.
    let words = |max: usize| {
        let mut all = vec![Vec::new()];
        for len in 1..=max {
            for n in 0..1u32 << len {
                all.push((0..len).map(|k| if n >> k & 1 == 1 { b'a' } else { b',' }).collect());
            }
        }
        all
    };
    let needles = words(3);
    for hay in words(8) {
        for needle in &needles {
            let got: Vec<usize> = occurrences(&hay, needle).collect();
            let want: Vec<usize> = memchr::memmem::find_iter(&hay, needle).collect();
            assert_eq!(got, want, "{:?} in {:?}", needle.escape_ascii(), hay.escape_ascii());
        }
    }
}

/// A lean parser gives the records, skips and notes of a full one, without the prefix's
/// strings other than the SQLSTATE; on real logs, malformed lines and invalid UTF-8 in a
/// prefix field (the lossy note must still be made).
#[test]
fn a_lean_parser_keeps_what_an_analysis_reads_and_notes_the_same() {
    let mut bad_user = b"2026-11-25 15:42:19 UTC [29844]: [3-1] user=ap\xffp,db=party,app=psql,client=10.0.0.1 LOG:  x\n".to_vec();
    bad_user.extend_from_slice(b"2026-11-25 15:42:19 UTC [29844]: [4-1] user=app,db=party,app=psql,client=10.0.0.1 DETAIL:  y\n");
    let cases: [(&str, &[u8]); 6] = [
        (PGBADGER_T, PGBADGER),
        (DEBIAN_Q, DEBIAN),
        (RDS_SPEC, RDS),
        ("%m [%p] ", MALFORMED),
        ("%m [%p] ", EOF_SAMPLE),
        (PGBADGER_T, &bad_user),
    ];
    let mut dropped = 0;
    for (spec, input) in cases {
        let full = parse_bytes(&mut Parser::new(prefix(spec), utc()), input);
        let lean = parse_bytes(&mut Parser::new(prefix(spec), utc()).lean(), input);
        assert!(!full.records.is_empty(), "{spec}");
        assert_eq!(
            (&lean.skipped, &lean.notes, lean.lines),
            (&full.skipped, &full.notes, full.lines)
        );
        assert_eq!(lean.records.len(), full.records.len());
        for (l, f) in lean.records.iter().zip(&full.records) {
            let r = &f.rec;
            dropped += usize::from(r.user.is_some() || r.db.is_some() || r.client.is_some());
            let expected = r.lean();
            assert_eq!((l.line, l.lines, &l.rec), (f.line, f.lines, &expected), "{spec}");
        }
    }
    assert!(dropped > 10, "the fixtures have prefix fields: {dropped}");
    let lossy = parse_bytes(&mut Parser::new(prefix(PGBADGER_T), utc()).lean(), &bad_user);
    assert!(lossy.notes.iter().any(|(n, note)| (*n, *note) == (1, Note::LossyUtf8)));
}
