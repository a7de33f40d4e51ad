use super::*;
use crate::aggregate::{Aggregate, ErrorOutcome};
use crate::parse_bytes;

const STATS: &[u8] = include_bytes!("../../../samples/loadtools/locust/run_stats.csv");
const HISTORY: &[u8] = include_bytes!("../../../samples/loadtools/locust/run_stats_history.csv");
const FAILURES: &[u8] = include_bytes!("../../../samples/loadtools/locust/run_failures.csv");
const EXCEPTIONS: &[u8] = include_bytes!("../../../samples/loadtools/locust/run_exceptions.csv");

fn parse(input: &[u8]) -> crate::VecSink<Aggregate> {
    let out = parse_bytes(&mut Parser::new(Options::default()), input);
    crate::testutil::assert_contiguous_accounting(&out);
    out
}

fn totals(out: &crate::VecSink<Aggregate>) -> Vec<&Totals> {
    out.records
        .iter()
        .map(|r| match &r.rec {
            Aggregate::Totals { tool: Tool::Locust, totals } => totals.as_ref(),
            other => panic!("not Locust totals: {other:?}"),
        })
        .collect()
}

#[test]
fn headers_name_the_file() {
    let first = |b: &[u8]| header(crate::text::lines(b).next().unwrap_or_default()).map(|h| h.kind);
    assert_eq!(first(STATS), Some(Kind::Stats));
    assert_eq!(first(HISTORY), Some(Kind::History));
    assert_eq!(first(FAILURES), Some(Kind::Failures));
    assert_eq!(first(EXCEPTIONS), Some(Kind::Exceptions));
    assert_eq!(header(b"Method,Name,Error,Occurrences").map(|h| h.kind), Some(Kind::Failures));
    assert!(header(b"sent_at,route,url,request_count,offset_ms,status,elapsed_ms,error").is_none());
    assert!(header(b"Name,Request Count").is_none());
    // The first cell is read as `fields` reads it: quoted, padded, after a BOM.
    assert_eq!(
        header(b"\"Count\",Message,Traceback,Nodes").map(|h| h.kind),
        Some(Kind::Exceptions)
    );
    assert_eq!(header(b" Count ,Message,Traceback,Nodes").map(|h| h.kind), Some(Kind::Exceptions));
    assert_eq!(
        header(b"\xef\xbb\xbfCount,Message,Traceback").map(|h| h.kind),
        Some(Kind::Exceptions)
    );
    assert!(header(b"Counts,Message,Traceback,Nodes").is_none());
    assert!(header(b"1795625997,5,GET,/boom,0.000000").is_none());
}

#[test]
fn stats_rows_are_totals_and_routes_sum_to_the_aggregated_row() {
    let out = parse(STATS);
    assert_eq!(out.consumed, 1);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let t = totals(&out);
    assert_eq!(t.len(), 13);
    // GET,/boom,25,25,1,1.2100186000134272,0.8233470002778631,1.7903899997691042,5.0,
    // 1.783207572033856,1.783207572033856,1,1,1,1,2,2,2,2,2,2,2
    let boom = t[0];
    assert_eq!(boom.method.as_deref(), Some("GET"));
    assert_eq!(boom.route.as_deref(), Some("/boom"));
    assert_eq!((boom.requests, boom.failures), (25, Some(25)));
    assert_eq!(boom.latency.median, Some(1.0));
    assert_eq!(boom.latency.mean, Some(1.2100186000134272));
    assert_eq!(boom.latency.min, Some(0.8233470002778631));
    assert_eq!(boom.latency.max, Some(1.7903899997691042));
    assert_eq!(boom.requests_per_s, Some(1.783207572033856));
    assert_eq!(boom.failures_per_s, Some(1.783207572033856));
    let pcts: Vec<f64> = boom.latency.percentiles.iter().map(|p| p.0).collect();
    assert_eq!(pcts, [50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0]);
    assert_eq!(boom.latency.at(90.0), Some(2.0));
    // GET,/slow,60,0,220,221.67917803335513,152.0026200000757,300.2527500002543,...
    let slow = t.iter().find(|t| t.route.as_deref() == Some("/slow")).unwrap();
    assert_eq!((slow.requests, slow.failures), (60, Some(0)));
    assert_eq!((slow.latency.median, slow.latency.at(99.0)), (Some(220.0), Some(300.0)));
    assert_eq!(slow.latency.max, Some(300.2527500002543));
    // ,Aggregated,878,401,1,25.552730441919838,0.21013600007790956,300.2527500002543,...
    let all = t[12];
    assert_eq!((all.method.as_deref(), all.route.as_deref()), (None, None));
    assert_eq!((all.requests, all.failures), (878, Some(401)));
    assert_eq!(all.latency.mean, Some(25.552730441919838));
    assert_eq!(all.requests_per_s, Some(62.62624992982902));
    assert_eq!((all.latency.at(90.0), all.latency.at(100.0)), (Some(180.0), Some(300.0)));
    let per_route = &t[..12];
    assert_eq!(per_route.iter().map(|t| t.requests).sum::<u64>(), all.requests);
    assert_eq!(per_route.iter().filter_map(|t| t.failures).sum::<u64>(), 401);
    assert!(per_route.iter().all(|t| t.route.is_some() && t.url.is_none()));
}

#[test]
fn history_rows_are_samples_with_na_left_out() {
    let out = parse(HISTORY);
    assert_eq!((out.records.len(), out.consumed), (177, 1));
    assert!(out.skipped.is_empty());
    let samples: Vec<&Sample> = out
        .records
        .iter()
        .map(|r| match &r.rec {
            Aggregate::Sample(s) => s.as_ref(),
            other => panic!("{other:?}"),
        })
        .collect();
    // 1795625996,0,,Aggregated,0.000000,0.000000,N/A,...,N/A,0,0,0,0.0,0,0,0
    let s0 = samples[0];
    assert_eq!(s0.ts, 1_795_625_996_000_000);
    assert_eq!((s0.users, s0.route.as_deref(), s0.method.as_deref()), (Some(0), None, None));
    assert!(s0.percentiles.is_empty(), "N/A cells are left out");
    assert_eq!((s0.total_requests, s0.total_failures), (Some(0), Some(0)));
    // 1795625997,5,GET,/boom,0.000000,0.000000,0,...,0,2,2,1.3234380003268598,...
    let s1 = samples[1];
    assert_eq!((s1.route.as_deref(), s1.method.as_deref()), (Some("/boom"), Some("GET")));
    assert_eq!((s1.users, s1.total_requests, s1.total_failures), (Some(5), Some(2), Some(2)));
    assert_eq!(s1.total_median, Some(1.3234380003268598));
    assert_eq!(s1.percentiles.len(), 11);
    // Last row: 1795626010,10,,Aggregated,64.600000,28.900000,1,1,2,5,170,200,240,280,300,...
    let last = samples[176];
    assert_eq!((last.ts, last.route.as_deref()), (1_795_626_010_000_000, None));
    assert_eq!((last.requests_per_s, last.failures_per_s), (Some(64.6), Some(28.9)));
    assert_eq!((last.total_requests, last.total_failures), (Some(878), Some(401)));
    assert_eq!(last.percentiles[4], (90.0, 170.0));
    assert_eq!(samples.iter().filter(|s| s.route.is_none()).count(), 15);
    assert!(samples.windows(2).all(|w| w[0].ts <= w[1].ts));
}

#[test]
fn failures_rows_keep_the_error_text_and_times() {
    let out = parse(FAILURES);
    assert_eq!(out.records.len(), 9);
    let f: Vec<&FailureGroup> = out
        .records
        .iter()
        .map(|r| match &r.rec {
            Aggregate::Failure(f) => f.as_ref(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(f.iter().map(|f| f.occurrences).sum::<u64>(), 401, "= Aggregated failures");
    // GET,/slow?timeout=0.2,"ReadTimeout(ReadTimeoutError(""HTTPConnectionPool(...""))",31,...
    let rt = f[3];
    assert_eq!(rt.route.as_deref(), Some("/slow?timeout=0.2"));
    assert_eq!(
        rt.error,
        "ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', port=18231): \
         Read timed out. (read timeout=0.2)\"))"
    );
    assert_eq!(rt.occurrences, 31);
    assert_eq!(rt.outcome(), ErrorOutcome::NoResponse);
    // 2026-11-25T16:59:57Z .. 2026-11-25T17:00:10Z
    assert_eq!(rt.first_seen, Some(1_795_625_997_000_000));
    assert_eq!(rt.last_seen, Some(1_795_626_010_000_000));
    let outcomes: Vec<(&str, ErrorOutcome)> =
        f.iter().map(|f| (f.route.as_deref().unwrap_or(""), f.outcome())).collect();
    assert_eq!(
        outcomes,
        [
            ("/drop (fast)", ErrorOutcome::NoResponse),
            ("/boom (fast)", ErrorOutcome::Status(500)),
            ("/refused", ErrorOutcome::NoResponse),
            ("/slow?timeout=0.2", ErrorOutcome::NoResponse),
            ("/drop", ErrorOutcome::NoResponse),
            ("/missing (fast)", ErrorOutcome::Status(404)),
            ("/missing", ErrorOutcome::Status(404)),
            ("/ok?check", ErrorOutcome::Unknown),
            ("/boom", ErrorOutcome::Status(500)),
        ]
    );
    assert!(out.notes.is_empty(), "ISO stamps with Z need no assumption: {:?}", out.notes);
}

#[test]
fn old_failures_header_has_no_times() {
    let out =
        parse(b"Method,Name,Error,Occurrences\nGET,/a,\"ConnectionResetError(104, 'x')\",7\n");
    let Aggregate::Failure(f) = &out.records[0].rec else { panic!() };
    assert_eq!((f.occurrences, f.first_seen, f.last_seen), (7, None, None));
    assert_eq!(f.error, "ConnectionResetError(104, 'x')");
}

#[test]
fn exceptions_row_spans_its_traceback_lines() {
    let out = parse(EXCEPTIONS);
    assert_eq!((out.records.len(), out.consumed), (1, 1));
    let r = &out.records[0];
    assert_eq!((r.line, r.lines), (2, 9));
    let Aggregate::Exception(e) = &r.rec else { panic!() };
    assert_eq!((e.count, e.message.as_str()), (13, "task crashed on purpose"));
    assert_eq!(e.nodes.as_deref(), Some("local"));
    assert!(e.traceback.starts_with("  File \"/tmp/locust-venv/lib/python3.11/site-packages/"));
    assert!(e.traceback.ends_with("raise ValueError(\"task crashed on purpose\")"));
    assert_eq!(e.traceback.lines().count(), 8);
}

#[test]
fn concatenated_files_switch_layout_and_bad_rows_are_skipped() {
    let mut input = STATS.to_vec();
    input.extend_from_slice(FAILURES);
    input.extend_from_slice(b"GET,/short,row\n");
    input.extend_from_slice(b"GET,/x,err,not-a-number,2026-11-25T16:59:57Z,2026-11-25T16:59:57Z\n");
    input.extend_from_slice(b"GET,/y,err,1,2026-11-25T16:59:57Z,2026-11-25T16:59:57Z,extra\n");
    input.extend_from_slice(b"\nMethod,Name,Error,Occurrences,First Seen,Last Seen\n");
    input.extend_from_slice(b"GET,/z,\"never closed\n");
    let out = parse(&input);
    assert_eq!(out.records.len(), 13 + 9);
    assert_eq!(out.consumed, 2);
    let reasons: Vec<SkipReason> = out.skipped.iter().map(|s| s.1).collect();
    assert_eq!(
        reasons,
        [
            SkipReason::CsvTooFewFields,
            SkipReason::AggregateBadField,
            SkipReason::CsvTooManyFields,
            SkipReason::Blank,
            SkipReason::CsvRepeatedHeader,
            SkipReason::CsvUnterminatedQuote,
        ]
    );
}

#[test]
fn garbage_and_truncations_are_accounted() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\n\n",
        b"not,a,locust,file\n1,2,3,4\n",
        &STATS[..STATS.len() / 2],
        &EXCEPTIONS[..EXCEPTIONS.len() / 2],
        &HISTORY[..HISTORY.len() / 3],
        b"Count,Message,Traceback,Nodes\nx,y,z,w\n",
    ];
    for input in inputs {
        parse(input);
    }
    let mut rng = crate::testutil::Rng(0x10c5);
    for _ in 0..300 {
        let mut v = STATS[..120].to_vec();
        v.extend(rng.bytes(b"0123456789.,\"\nN/A Aggregated", 200));
        parse(&v);
    }
}

#[test]
fn sniff_names_the_file() {
    for (input, word) in [
        (STATS, "stats CSV"),
        (HISTORY, "stats history CSV"),
        (FAILURES, "failures CSV"),
        (EXCEPTIONS, "exceptions CSV"),
    ] {
        let d = sniff(input).unwrap();
        assert!(d.score >= 0.95, "{}", d.reason);
        assert!(d.reason.starts_with(&format!("Locust {word}")), "{}", d.reason);
    }
    assert!(sniff(b"sent_at,route,status\n").is_none());
}
