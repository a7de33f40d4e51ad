//! Tests of masking and mining, on messages from `samples/` and `parsers/tests/fixtures/`.

use std::path::Path;

use rootcause_parsers::text;
use rootcause_parsers::time::{self, TimeOptions};

use super::*;

fn at(source: u32, line: u64, secs: Option<i64>) -> Occurrence {
    Occurrence { source, line, ts: secs.map(|s| s * 1_000_000) }
}

/// gunicorn's `[stamp] [pid] [LEVEL] ` and uWSGI's `ctime - ` (SIGNATURES.md sections 6, 7).
static ENVELOPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:\[[^\]]+\] \[\d+\] \[[A-Z]+\] |\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4} - )",
    )
    .expect("valid")
});

/// A message as the miner is fed: kind, text, occurrence.
type Msg = (&'static str, String, Occurrence);

/// The messages of the samples that have logs, in file order: Postgres messages (prefix and
/// severity cut, time read from the prefix), console lines (ANSI escapes cleaned, untimed),
/// app events and the last line of each exception (time from `created_at`).
fn corpus() -> Vec<Msg> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("app.log").exists())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    let mut source = 0;
    for dir in dirs {
        for (file, kind) in
            [("postgresql.log", "postgres"), ("stderr.log", "console"), ("app.log", "app")]
        {
            let Ok(bytes) = std::fs::read(dir.join(file)) else { continue };
            source += 1;
            for (n, line) in text::lines(&bytes).enumerate() {
                let line_no = n as u64 + 1;
                let clean = text::clean(line);
                let s = String::from_utf8_lossy(&clean).into_owned();
                match kind {
                    "postgres" => {
                        let ts = s
                            .get(..27)
                            .and_then(|p| time::parse(p.as_bytes(), &TimeOptions::default()));
                        let msg = s
                            .split_once("]  ")
                            .or_else(|| s.split_once("] "))
                            .map_or(s.as_str(), |p| p.1);
                        let msg = msg.split_once(":  ").map_or(msg, |p| p.1);
                        out.push((
                            kind,
                            msg.to_owned(),
                            Occurrence { source, line: line_no, ts: ts.map(|t| t.micros) },
                        ));
                    }
                    // The message as the console parser gives it: gunicorn's and uWSGI's
                    // prefixes cut.
                    "console" => {
                        let msg = ENVELOPE.find(&s).map_or(s.as_str(), |m| &s[m.end()..]);
                        out.push((kind, msg.to_owned(), at(source, line_no, None)));
                    }
                    _ => {
                        let Ok(v) = serde_json::from_str::<serde_json::Value>(&s) else { continue };
                        let ts = v["created_at"]
                            .as_str()
                            .and_then(|t| time::parse(t.as_bytes(), &TimeOptions::default()))
                            .map(|t| t.micros);
                        let o = Occurrence { source, line: line_no, ts };
                        if let Some(e) = v["event"].as_str() {
                            out.push(("app", e.to_owned(), o));
                        }
                        if let Some(last) = v["exception"]
                            .as_str()
                            .and_then(|e| e.lines().rfind(|l| !l.starts_with(' ')))
                        {
                            out.push(("exception", last.to_owned(), o));
                        }
                    }
                }
            }
        }
    }
    out
}

fn mine(cfg: MinerConfig, msgs: &[Msg]) -> Miner {
    let mut m = Miner::new(cfg);
    for (kind, text, o) in msgs {
        m.add(kind, text, *o);
    }
    m
}

fn texts(m: &Miner) -> Vec<String> {
    m.templates().into_iter().map(|t| t.text).collect()
}

#[test]
fn masking_rules_on_real_messages() {
    let cases = [
        (
            "sqlalchemy, samples/lab-pool-exhaustion/app.log",
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
            "QueuePool limit of size <NUM> overflow <NUM> reached, connection timed out, timeout <NUM> (Background on this error at: https://sqlalche.me/e/<NUM>/3o7r)",
        ),
        (
            "postgres, samples/eof-open-transaction",
            "unexpected EOF on client connection with an open transaction",
            "unexpected EOF on client connection with an open transaction",
        ),
        (
            "postgres, fixtures/postgres/pg15-stderr.log",
            "connection authorized: user=postgres database=postgres application_name=psql",
            "connection authorized: user=postgres database=postgres application_name=psql",
        ),
        ("gunicorn", "WORKER TIMEOUT (pid:29804)", "WORKER TIMEOUT (pid:<NUM>)"),
        ("gunicorn", "Booting worker with pid: 29810", "Booting worker with pid: <NUM>"),
        (
            "postgres session time and address",
            "disconnection: session time: 0:00:00.203 user=postgres database=postgres host=127.0.0.1 port=34928",
            "disconnection: session time: <DUR> user=postgres database=postgres host=<IP> port=<NUM>",
        ),
        (
            "gunicorn's whole line: date, time and zone are one stamp",
            "[2026-11-25 15:42:08 +0000] [29804] [INFO] Booting worker with pid: 29804",
            "[<TS>] [<NUM>] [INFO] Booting worker with pid: <NUM>",
        ),
        (
            "werkzeug access line: CLF date with a separate time, quoted request",
            "127.0.0.1 - - [25/Nov/2026 15:39:20] \"GET /businesses?id=2bc9aecd-21da-453b-8f39-73606aead311 HTTP/1.1\" 200 -",
            "<IP> - - [<TS>] <STR> <NUM> -",
        ),
        (
            "postgres: versions, names with digits",
            "starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit",
            "starting PostgreSQL <NUM> (Debian <NUM>+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian <NUM>+deb12u1) <NUM>, <NUM>-bit",
        ),
        (
            "postgres checkpoint: decimals and percentages",
            "checkpoint complete: wrote 1116 buffers (13.6%); 0 WAL file(s) added",
            "checkpoint complete: wrote <NUM> buffers (<NUM>%); <NUM> WAL file(s) added",
        ),
        (
            "postgres: a stamp in the message",
            "database system was shut down at 2026-11-25 15:39:15 UTC",
            "database system was shut down at <TS> UTC",
        ),
        (
            "a stamp with a zone glued to the time (Postgres' timestamptz)",
            "at 2026-11-25 15:39:20.145+00 done",
            "at <TS> done",
        ),
        (
            "psycopg2: a quoted host, a name with a digit kept",
            "psycopg2.OperationalError: connection to server at \"127.0.0.1\", port 40069 failed: FATAL:  sorry, too many clients already",
            "psycopg2.OperationalError: connection to server at <STR>, port <NUM> failed: FATAL: sorry, too many clients already",
        ),
        (
            "socketserver, samples/lab-thread-exhaustion: a repr tuple, an apostrophe that is no quote",
            "Exception occurred during processing of request from ('127.0.0.1', 40444) can't",
            "Exception occurred during processing of request from (<STR>, <NUM>) can't",
        ),
        (
            "Heroku router (SIGNATURES.md section 9): durations, request id, H12 kept",
            "at=error code=H12 desc=\"Request timeout\" request_id=5a8e1f2c-0000-4000-8000-000000000001 dyno=web.1 connect=0ms service=30000ms status=503",
            "at=error code=H12 desc=<STR> request_id=<ID> dyno=web.<NUM> connect=<DUR> service=<DUR> status=<NUM>",
        ),
        (
            "ids: postgres session id, hex request id, 0x, ISO stamp, IPv6 with port, signed numbers",
            "session 6b085998.6de2 id c2861678007d4571a969f2b0a2a1851f at 0x7fff1234 on 2026-11-25T15:39:20.145862Z from [::1]:5432 x=-3 -5 took 2.00s",
            "session <ID> id <ID> at <ID> on <TS> from [<IP>]:<NUM> x=<NUM> <NUM> took <DUR>",
        ),
        (
            "names with digits stay; short hex stays; long random token is an id",
            "e3q8 3o7r H12 57P01 4e99 Zx8Kq2vP9mN4aB7c",
            "e3q8 3o7r H12 57P01 4e99 <ID>",
        ),
        (
            "uWSGI request line (samples/lab-pool-exhaustion/stderr.log): ctime, paths",
            "[pid: 4493|app: 0|req: 1/2] 127.0.0.1 () {34 vars in 412 bytes} [Thu Nov  6 16:41:15 2026] GET /businesses/ref/42 => generated 120 bytes in 1500 msecs (HTTP/1.1 200)",
            "[pid: <NUM>|app: <NUM>|req: <NUM>/<NUM>] <IP> () {<NUM> vars in <NUM> bytes} [<TS>] GET /businesses/ref/<NUM> => generated <NUM> bytes in <NUM> msecs (HTTP/<NUM> <NUM>)",
        ),
        (
            "paths: words stay, numbers go",
            "/srv/app/.gunicorn/gunicorn.ctl /businesses/ref/42",
            "/srv/app/.gunicorn/gunicorn.ctl /businesses/ref/<NUM>",
        ),
        ("whitespace and controls collapse", "  a\t\tb \u{7}c  ", "a b c"),
        ("an unmatched quote is a character", "say \"hello there", "say \"hello there"),
        ("empty", "", ""),
    ];
    for (name, input, want) in cases {
        assert_eq!(mask(input).text, want, "{name}");
    }
    let m = mask("[2026-11-25 15:42:08 +0000] a (b c)");
    assert_eq!(m.token_strs().collect::<Vec<_>>(), ["[<TS>]", "a", "(b", "c)"]);
}

#[test]
fn mask_keeps_non_ascii_and_never_splits_a_character() {
    let m = mask("café 42 naïve «12» 日本 3ms");
    assert_eq!(m.text, "café <NUM> naïve «12» 日本 <DUR>");
}

#[test]
fn drain_groups_as_a_person_would() {
    let msgs = corpus();
    let gunicorn: Vec<&Msg> =
        msgs.iter().filter(|m| m.1.contains("Booting worker with pid: ")).collect();
    assert!(gunicorn.len() > 10, "the samples have gunicorn's boot lines");
    let mut m = Miner::new(MinerConfig::default());
    for (k, t, o) in &gunicorn {
        m.add(k, t, *o);
    }
    assert_eq!(texts(&m), ["Booting worker with pid: <NUM>"]);
    assert_eq!(m.templates()[0].count, gunicorn.len() as u64);

    // The QueuePool error as SQLAlchemy 2 writes it (samples/lab-pool-exhaustion/app.log) and as
    // 1.3 did (fixtures/traceback/seed-chained-queuepool.txt: timeout 30, an older link), and
    // the first with a larger pool: one template, `<*>` where the links differ.
    let mut m = Miner::new(MinerConfig::default());
    let q2 = "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00 (Background on this error at: https://sqlalche.me/e/21/3o7r)";
    let q1 = "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30 (Background on this error at: http://sqlalche.me/e/3o7r)";
    let big = q2.replace("size 5 overflow 10", "size 20 overflow 40");
    for (i, q) in [q2, q1, big.as_str()].into_iter().enumerate() {
        m.add("exception", q, at(1, i as u64 + 1, Some(i as i64)));
    }
    assert_eq!(
        texts(&m),
        [
            "sqlalchemy.exc.TimeoutError: QueuePool limit of size <NUM> overflow <NUM> reached, connection timed out, timeout <NUM> (Background on this error at: <*>"
        ]
    );

    // All the samples: Postgres' connection lines, one template each.
    let m = mine(MinerConfig::default(), &msgs);
    let all = m.templates();
    let find =
        |s: &str| all.iter().find(|t| t.text == s).unwrap_or_else(|| panic!("no template {s}"));
    let received = msgs.iter().filter(|m| m.1.starts_with("connection received: ")).count() as u64;
    assert_eq!(find("connection received: host=<IP> port=<NUM>").count, received);
    let eof = "unexpected EOF on client connection with an open transaction";
    let eofs = msgs.iter().filter(|m| m.1 == eof).count() as u64;
    assert!(eofs >= 62, "the samples' EOF lines: {eofs}");
    assert_eq!(find(eof).count, eofs);
    assert_eq!(find("sorry, too many clients already").count, 369);
    assert_eq!(find("WORKER TIMEOUT (pid:<NUM>)").count, 12 + 12 + 7);
    assert_eq!(find("Booting worker with pid: <NUM>").count, 16 + 16 + 2 + 11 + 4);
    // Disconnections of both databases share the shape but differ in one word of nine.
    let disc: Vec<_> = all.iter().filter(|t| t.text.starts_with("disconnection: ")).collect();
    assert_eq!(disc.len(), 1, "{disc:?}");
    assert_eq!(
        disc[0].text,
        "disconnection: session time: <DUR> user=postgres <*> host=<IP> port=<NUM>"
    );
    let disconnections = msgs.iter().filter(|m| m.1.starts_with("disconnection: ")).count();
    assert!(disconnections >= 598, "{disconnections}");
    assert_eq!(disc[0].count, disconnections as u64);
    // Every message is counted once.
    assert_eq!(all.iter().map(|t| t.count).sum::<u64>(), msgs.len() as u64);
    assert!(all.len() < 100, "{} templates from the samples", all.len());
}

#[test]
fn counts_times_sources_and_the_earliest_example() {
    let mut m = Miner::new(MinerConfig::default());
    m.add("console", "WORKER TIMEOUT (pid:29804)", at(3, 10, Some(1_000)));
    m.add("console", "WORKER TIMEOUT (pid:29805)", at(3, 11, None));
    m.add("console", "WORKER TIMEOUT (pid:29700)", at(2, 50, Some(990)));
    m.add("app", "WORKER TIMEOUT (pid:29806)", at(1, 1, Some(1_005)));
    m.add("console", "WORKER TIMEOUT (pid:29807)", at(3, 12, Some(990)));
    let t = &m.templates()[0];
    assert_eq!(t.text, "WORKER TIMEOUT (pid:<NUM>)");
    assert_eq!((t.count, t.untimed), (5, 1));
    assert_eq!((t.first, t.last), (Some(990_000_000), Some(1_005_000_000)));
    assert_eq!(t.kinds.iter().copied().collect::<Vec<_>>(), ["app", "console"]);
    assert_eq!(t.sources.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
    // Earliest time, then the lower source: not the first added.
    assert_eq!(t.example, "WORKER TIMEOUT (pid:29700)");
    assert_eq!(t.example_at, at(2, 50, Some(990)));
    assert_eq!(
        t.per_second.iter().map(|(&k, &n)| (k, n)).collect::<Vec<_>>(),
        [(990, 2), (1_000, 1), (1_005, 1)]
    );
    assert_eq!(t.bucket_secs, 1);
    assert!(!t.overflow);
}

#[test]
fn untimed_examples_come_after_timed_ones_and_examples_are_capped() {
    let mut m = Miner::new(MinerConfig::default());
    let long = format!("payload {}", "é".repeat(400));
    m.add("console", &long, at(0, 1, None));
    m.add("console", &long, at(0, 2, Some(5)));
    let t = &m.templates()[0];
    assert_eq!(t.example_at.line, 2);
    assert!(t.example.len() <= EXAMPLE_CAP && t.example.len() > EXAMPLE_CAP - 2);
    assert!(long.starts_with(&t.example));
}

#[test]
fn threshold_decides_between_joining_and_a_new_group() {
    let msgs = ["task alpha finished ok", "task alpha crashed badly"];
    let half = mine(MinerConfig::default(), &msgs.map(|t| ("app", t.to_owned(), at(0, 1, None))));
    assert_eq!(texts(&half), ["task alpha <*> <*>"]);
    let strict = MinerConfig { sim_th: 0.6, ..MinerConfig::default() };
    let apart = mine(strict, &msgs.map(|t| ("app", t.to_owned(), at(0, 1, None))));
    assert_eq!(apart.len(), 2);
}

#[test]
fn variable_leading_tokens_and_full_nodes_take_the_wildcard_child() {
    let cfg = MinerConfig { max_children: 2, ..MinerConfig::default() };
    let mut m = Miner::new(cfg);
    for (i, t) in ["alpha done", "beta done", "gamma done", "delta done", "v2 done", "v3 done"]
        .iter()
        .enumerate()
    {
        m.add("app", t, at(0, i as u64, Some(i as i64)));
    }
    let mut got: Vec<(String, u64)> =
        m.templates().into_iter().map(|t| (t.text, t.count)).collect();
    got.sort();
    // gamma and delta find the node full; v2 and v3 hold digits: all four share the wildcard leaf.
    assert_eq!(
        got,
        [("<*> done".to_owned(), 4), ("alpha done".to_owned(), 1), ("beta done".to_owned(), 1)]
    );
}

#[test]
fn long_messages_are_cut_and_marked() {
    let words: Vec<String> =
        (0..100).map(|i| format!("w{}", char::from(b'a' + (i % 26) as u8))).collect();
    let a = words.join(" ");
    let mut b = words.clone();
    b[90] = "different".to_owned();
    let mut m = Miner::new(MinerConfig::default());
    m.add("app", &a, at(0, 1, None));
    m.add("app", &b.join(" "), at(0, 2, None));
    m.add("app", &words[..64].join(" "), at(0, 3, None));
    let t = m.templates();
    assert_eq!(t.len(), 2, "64 tokens exactly is another length class");
    assert_eq!(t[0].count, 2);
    assert!(t[0].text.ends_with(" <...>"));
    assert_eq!(t[0].text.split(' ').count(), 65);
    assert_eq!(t[1].text, words[..64].join(" "));
}

#[test]
fn overflow_counts_what_the_cap_refuses() {
    let cfg = MinerConfig { max_templates: 2, ..MinerConfig::default() };
    let mut m = Miner::new(cfg);
    let lines =
        ["alpha one", "beta two three", "gamma four five six", "alpha one", "delta x y z w"];
    for (i, l) in lines.iter().enumerate() {
        m.add("console", l, at(7, i as u64 + 1, Some(100 + i as i64)));
    }
    let t = m.templates();
    assert_eq!(
        t.iter().map(|t| (t.text.as_str(), t.count, t.overflow)).collect::<Vec<_>>(),
        [("alpha one", 2, false), ("beta two three", 1, false), (OVERFLOW, 2, true),]
    );
    assert_eq!(t[2].example, "gamma four five six");
    assert_eq!((t[2].first, t[2].last), (Some(102_000_000), Some(104_000_000)));
    assert_eq!(m.len(), 2);

    // Merged into a full miner, templates it cannot hold go to its overflow, with their counts.
    let mut other = Miner::new(MinerConfig::default());
    other.add("app", "epsilon only here", at(8, 1, Some(1)));
    other.add("app", "epsilon only here", at(8, 2, Some(2)));
    m.merge(other);
    let t = m.templates();
    assert_eq!(t.last().map(|t| (t.count, t.example.as_str())), Some((4, "epsilon only here")));
}

#[test]
fn histogram_coarsens_past_its_cap_and_merges_to_the_same_buckets() {
    let n = MAX_BUCKETS as i64 * 3;
    let all: Vec<Msg> =
        (0..n).map(|s| ("app", "tick".to_owned(), at(0, s as u64, Some(s)))).collect();
    let one = mine(MinerConfig::default(), &all).templates();
    assert_eq!(one[0].bucket_secs, 4);
    assert!(one[0].per_second.len() <= MAX_BUCKETS);
    assert_eq!(one[0].per_second.values().sum::<u64>(), n as u64);
    assert_eq!(one[0].per_second.get(&4), Some(&4));
    let (a, b) = all.split_at(100);
    let mut left = mine(MinerConfig::default(), a);
    left.merge(mine(MinerConfig::default(), b));
    assert_eq!(left.templates(), one);
}

/// The templates with what ingest would keep: a canonical form to compare miners by.
fn chunked(msgs: &[Msg], cuts: &[usize], reverse: bool) -> Vec<Template> {
    let mut parts: Vec<Miner> = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain([&msgs.len()]) {
        parts.push(mine(MinerConfig::default(), &msgs[start..c]));
        start = c;
    }
    if reverse {
        parts.reverse();
    }
    let mut it = parts.into_iter();
    let mut acc = it.next().unwrap_or_else(|| Miner::new(MinerConfig::default()));
    for p in it {
        acc.merge(p);
    }
    acc.templates()
}

#[test]
fn merge_of_chunks_equals_one_miner_whatever_the_chunking() {
    let msgs = corpus();
    let n = msgs.len();
    let whole = chunked(&msgs, &[], false);
    assert!(whole.len() > 10);
    for (cuts, reverse) in [
        (vec![n / 2], false),
        (vec![n / 2], true),
        (vec![n / 7, 2 * n / 7, 3 * n / 7, 4 * n / 7, 5 * n / 7, 6 * n / 7], false),
        (vec![1, 2, 3, n / 3, n - 1], true),
        ((1..40).map(|i| i * n / 40).collect(), true),
    ] {
        let got = chunked(&msgs, &cuts, reverse);
        let brief = |t: &[Template]| {
            t.iter()
                .map(|t| format!("{} x{} {:?}", t.text, t.count, t.example_at))
                .collect::<Vec<_>>()
        };
        assert_eq!(brief(&got), brief(&whole), "cuts {cuts:?} reverse {reverse}");
        assert_eq!(got, whole, "cuts {cuts:?} reverse {reverse}");
    }
    // Messages dealt round-robin to four miners (as a thread pool might), merged.
    let mut parts: Vec<Miner> = (0..4).map(|_| Miner::new(MinerConfig::default())).collect();
    for (i, (k, t, o)) in msgs.iter().enumerate() {
        parts[i % 4].add(k, t, *o);
    }
    let mut acc = Miner::new(MinerConfig::default());
    for p in parts {
        acc.merge(p);
    }
    assert_eq!(acc.templates(), whole);
}

#[test]
fn merging_empty_miners_changes_nothing() {
    let msgs: Vec<Msg> = corpus().into_iter().take(500).collect();
    let whole = mine(MinerConfig::default(), &msgs);
    let mut a = whole.clone();
    a.merge(Miner::new(MinerConfig::default()));
    assert_eq!(a.templates(), whole.templates());
    let mut b = Miner::new(MinerConfig::default());
    assert!(b.is_empty());
    b.merge(whole.clone());
    assert_eq!(b.templates(), whole.templates());
}

proptest::proptest! {
    /// Any text masks without panicking into non-empty tokens without whitespace, joined by
    /// single spaces; and the miner counts every message once.
    #[test]
    fn any_text_masks_and_counts(
        lines in proptest::collection::vec("[ -~é\u{1b}\t0-9a-f:.\"'-]{0,80}", 1..20),
    ) {
        let mut m = Miner::new(MinerConfig { max_tokens: 8, max_templates: 5, ..MinerConfig::default() });
        for (i, l) in lines.iter().enumerate() {
            let k = mask(l);
            let toks: Vec<&str> = k.token_strs().collect();
            proptest::prop_assert_eq!(toks.join(" "), k.text.clone());
            proptest::prop_assert!(toks.iter().all(|t| !t.is_empty() && !t.bytes().any(|c| c <= b' ')));
            m.add("app", l, at(0, i as u64, Some(i as i64)));
        }
        proptest::prop_assert_eq!(m.templates().iter().map(|t| t.count).sum::<u64>(), lines.len() as u64);
    }
}

/// Copying plain tokens as they are ([`mask::plain_token`]) masks exactly as reading their
/// atoms does: every message of the samples, and tokens made to sit on the rules' edges.
#[test]
fn plain_tokens_mask_as_the_rules_would() {
    let mut edge: Vec<String> = [
        "Thu Nov 26 16:41:15 2026 - worker 1 ready",
        "[Thu Nov 26 16:41:15 2026] GET /x",
        "on Thu, at noon: dead::beef and fe80::1",
        "x=Thu Nov 26 16:41:15 2026 y",
        "app 'labapp' said \"hi\" (pid:29804) <NUM> <*> ok",
        "SELECT businesses.id AS businesses_id FROM businesses WHERE businesses.id = 'a1'::uuid",
        "deadbeefcafe deadbeef1 abcdefabcdefabcd Zx8Kq2vP9mN4aB7c -x +y ..",
        "ünïcödé wörds und Straße ∞ 15.18-0 30000ms 2.00s",
        "\u{1b}[31mred\u{1b}[0m\ttab\u{7f}del",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    edge.extend(corpus().into_iter().map(|m| m.1));
    let (mut fast, mut slow) = (Masked::default(), Masked::default());
    for text in &edge {
        for max in [usize::MAX, 3] {
            mask::mask_with(text, max, &mut fast, true);
            mask::mask_with(text, max, &mut slow, false);
            assert_eq!(fast.text, slow.text, "{text:?}");
            assert_eq!(fast.tokens, slow.tokens, "{text:?}");
            assert_eq!(fast.truncated, slow.truncated, "{text:?}");
        }
    }
    assert!(edge.len() > 1000, "{} messages", edge.len());
}
