use super::*;
use crate::aggregate::Totals;
use crate::parse_bytes;

const CLEAN: &[u8] = include_bytes!("../../../samples/loadtools/wrk/clean.txt");
const NO_LATENCY: &[u8] = include_bytes!("../../../samples/loadtools/wrk/clean-no-latency.txt");
const BOOM: &[u8] = include_bytes!("../../../samples/loadtools/wrk/boom.txt");
const SLOW: &[u8] = include_bytes!("../../../samples/loadtools/wrk/slow-timeout.txt");
const MIXED: &[u8] = include_bytes!("../../../samples/loadtools/wrk/mixed.txt");
const DROP: &[u8] = include_bytes!("../../../samples/loadtools/wrk/drop.txt");
const WRK2: &[u8] = include_bytes!("../../tests/fixtures/wrk/wrk2-latency.txt");
const WRK2_PLAIN: &[u8] = include_bytes!("../../tests/fixtures/wrk/wrk2-plain.txt");

fn parse(input: &[u8]) -> crate::VecSink<Aggregate> {
    let out = parse_bytes(&mut Parser::new(Default::default()), input);
    crate::testutil::assert_contiguous_accounting(&out);
    out
}

fn runs(out: &crate::VecSink<Aggregate>) -> Vec<(Tool, &Totals)> {
    out.records
        .iter()
        .map(|r| match &r.rec {
            Aggregate::Totals { tool, totals } => (*tool, totals.as_ref()),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// The one run of a file that is exactly one run.
fn one(input: &[u8]) -> (Tool, Totals) {
    let out = parse(input);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.records.len(), 1);
    assert_eq!((out.records[0].line, u64::from(out.records[0].lines)), (1, out.lines));
    let (tool, t) = runs(&out)[0];
    (tool, t.clone())
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[track_caller]
fn assert_close(a: Option<f64>, b: f64) {
    assert!(close(a, b), "{a:?} != {b}");
}

#[test]
fn units_are_read_to_milliseconds() {
    assert_eq!(duration_ms(b"5.90ms"), Some(5.9));
    assert_close(duration_ms(b"160.58us"), 0.16058);
    assert_eq!(duration_ms(b"3.11s"), Some(3110.0));
    assert_eq!(duration_ms(b"1.50m"), Some(90_000.0));
    assert_eq!(duration_ms(b"2.00h"), Some(7_200_000.0));
    assert_eq!(duration_ms(b"5.90"), None);
    assert_eq!(metric(b"1.36k"), Some(1360.0));
    assert_eq!(metric(b"2.5M"), Some(2_500_000.0));
    assert_eq!(metric(b"470.00"), Some(470.0));
}

#[test]
fn clean_run_with_latency_distribution() {
    let (tool, t) = one(CLEAN);
    assert_eq!(tool, Tool::Wrk);
    assert_eq!(t.url.as_deref(), Some("http://127.0.0.1:18233/ok"));
    assert_eq!((t.threads, t.connections), (Some(1), Some(2)));
    // Latency   160.58us  447.97us   5.54ms   95.90%
    assert_close(t.latency.mean, 0.16058);
    assert_close(t.latency.stdev, 0.44797);
    assert_close(t.latency.max, 5.54);
    let p = &t.latency.percentiles;
    assert_eq!(p.iter().map(|p| p.0).collect::<Vec<_>>(), [50.0, 75.0, 90.0, 99.0]);
    assert_close(t.latency.at(50.0), 0.07);
    assert_close(t.latency.at(90.0), 0.125);
    assert_close(t.latency.at(99.0), 2.78);
    // 70028 requests in 3.01s, 9.35MB read / Requests/sec:  23279.88
    assert_eq!((t.requests, t.duration_s, t.requests_per_s), (70028, Some(3.01), Some(23279.88)));
    assert_eq!((t.socket_errors, t.non_2xx_3xx), (Some(SocketErrors::default()), Some(0)));
    assert_eq!((t.route, t.failures, t.target_rate), (None, None, None));
}

#[test]
fn run_without_latency_flag_has_no_percentiles() {
    let (tool, t) = one(NO_LATENCY);
    assert_eq!(tool, Tool::Wrk);
    assert!(t.latency.percentiles.is_empty());
    // Latency     5.46ms   30.01ms 277.40ms   96.84%
    assert_eq!(
        (t.latency.mean, t.latency.stdev, t.latency.max),
        (Some(5.46), Some(30.01), Some(277.4))
    );
    assert_eq!((t.requests, t.requests_per_s), (55889, Some(18605.37)));
}

#[test]
fn error_lines_fill_socket_errors_and_non_2xx() {
    let (_, boom) = one(BOOM);
    assert_eq!((boom.requests, boom.non_2xx_3xx), (59575, Some(59575)));
    assert_eq!(boom.socket_errors, Some(SocketErrors::default()));
    assert_eq!((boom.threads, boom.connections), (Some(2), Some(4)));

    let (_, slow) = one(SLOW);
    assert_eq!(slow.url.as_deref(), Some("http://127.0.0.1:18233/slow?ms=1500"));
    let timeouts = SocketErrors { timeout: 8, ..SocketErrors::default() };
    assert_eq!((slow.requests, slow.socket_errors, slow.non_2xx_3xx), (8, Some(timeouts), Some(0)));
    // Latency 0.00us with "-nan%": read as printed.
    assert_eq!(slow.latency.mean, Some(0.0));

    let (_, mixed) = one(MIXED);
    assert_eq!((mixed.requests, mixed.non_2xx_3xx), (31, Some(12)));
    assert_eq!(mixed.socket_errors, Some(timeouts));
    assert_close(mixed.latency.at(99.0), 1.65);
    assert_eq!(mixed.requests_per_s, Some(10.31));

    let (_, drop) = one(DROP);
    let reads = SocketErrors { read: 7806, ..SocketErrors::default() };
    assert_eq!(
        (drop.requests, drop.socket_errors, drop.requests_per_s),
        (0, Some(reads), Some(0.0))
    );
}

#[test]
fn wrk2_hdr_block_spectrum_and_footer() {
    let (tool, t) = one(WRK2);
    assert_eq!(tool, Tool::Wrk2);
    assert_eq!((t.threads, t.connections), (Some(2), Some(20)));
    // From "#[Mean    =        3.983, StdDeviation   =       76.427]" and
    // "#[Max     =     3107.027, Total count    =        29040]" of the Recorded block, not the
    // rounded row (3.98ms 76.43ms 3.11s) nor the Uncorrected block (1.321, 1.442, 59.217).
    assert_eq!(
        (t.latency.mean, t.latency.stdev, t.latency.max),
        (Some(3.983), Some(76.427), Some(3107.027))
    );
    let p: Vec<f64> = t.latency.percentiles.iter().map(|p| p.0).collect();
    assert_eq!(p, [50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0]);
    assert_close(t.latency.at(50.0), 1.2);
    assert_close(t.latency.at(99.0), 2.74);
    assert_close(t.latency.at(99.9), 1420.0);
    assert_close(t.latency.at(100.0), 3110.0);
    assert_eq!((t.requests, t.duration_s, t.requests_per_s), (29980, Some(30.01), Some(999.0)));
    let e = SocketErrors { timeout: 12, ..SocketErrors::default() };
    assert_eq!((t.socket_errors, t.non_2xx_3xx), (Some(e), Some(31)));

    let (tool, t) = one(WRK2_PLAIN);
    assert_eq!(tool, Tool::Wrk2, "told apart by its Thread calibration line");
    assert_eq!((t.latency.mean, t.latency.max), (Some(0.92), Some(1.86)));
    assert_close(t.latency.stdev, 0.18648);
    assert_eq!((t.requests, t.requests_per_s), (9996, Some(999.6)));
}

#[test]
fn concatenated_runs_are_separate_records_and_noise_is_skipped() {
    let mut input = b"$ wrk -t1 -c2 -d3s --latency http://127.0.0.1:18233/ok\n\n".to_vec();
    for part in [CLEAN, WRK2, BOOM] {
        input.extend_from_slice(part);
        input.extend_from_slice(b"\n");
    }
    input.extend_from_slice(b"done() says hello\n");
    let out = parse(&input);
    let r = runs(&out);
    assert_eq!(
        r.iter().map(|(tool, t)| (*tool, t.requests)).collect::<Vec<_>>(),
        [(Tool::Wrk, 70028), (Tool::Wrk2, 29980), (Tool::Wrk, 59575)]
    );
    let lines: Vec<(u64, u32)> = out.records.iter().map(|r| (r.line, r.lines)).collect();
    assert_eq!(lines, [(3, 13), (17, 199), (217, 14)]);
    let reasons: Vec<(u64, SkipReason)> = out.skipped.clone();
    assert_eq!(
        reasons,
        [
            (1, SkipReason::Unrecognised),
            (2, SkipReason::Blank),
            (16, SkipReason::Blank),
            (216, SkipReason::Blank),
            (231, SkipReason::Blank),
            (232, SkipReason::Unrecognised),
        ]
    );
}

#[test]
fn cut_runs_keep_what_was_read_once_requests_are_known() {
    // Cut after the requests line: a record without Requests/sec.
    let cut: Vec<&[u8]> = crate::text::lines(MIXED).collect();
    let head = cut[..13].join(&b'\n');
    let out = parse(&head);
    let r = runs(&out);
    assert_eq!((r.len(), out.records[0].lines), (1, 13));
    assert_eq!((r[0].1.requests, r[0].1.requests_per_s), (31, None));
    assert_eq!(r[0].1.socket_errors.map(|e| e.timeout), Some(8));
    // Cut before it: every line skipped as a truncated summary.
    let head = cut[..8].join(&b'\n');
    let out = parse(&head);
    assert!(out.records.is_empty());
    assert_eq!(out.skipped.len(), 8);
    assert!(out.skipped.iter().all(|s| s.1 == SkipReason::TruncatedSummary));
    // A foreign line inside a run cuts it there; the rest is not a run.
    let mut v = cut[..5].join(&b'\n');
    v.extend_from_slice(b"\nsomething else\n");
    v.extend_from_slice(&cut[5..].join(&b'\n'));
    let out = parse(&v);
    assert!(out.records.is_empty());
    assert_eq!(out.skipped[..5].iter().filter(|s| s.1 == SkipReason::TruncatedSummary).count(), 5);
    assert_eq!(out.skipped[5], (6, SkipReason::Unrecognised));
}

#[test]
fn garbage_and_truncations_are_accounted() {
    for input in [CLEAN, WRK2, MIXED, DROP] {
        for cut in (0..input.len()).step_by(37) {
            parse(&input[..cut]);
        }
    }
    let mut rng = crate::testutil::Rng(0x3a7f);
    for _ in 0..300 {
        let mut v = b"Running 3s test @ http://x/\n".to_vec();
        v.extend(rng.bytes(b"0123456789.%usmk \n#[=,]-Latency requests in read", 300));
        parse(&v);
    }
}

#[test]
fn sniff_wrk_and_wrk2() {
    let d = sniff(CLEAN).unwrap();
    assert!(d.score >= 0.95 && d.reason.starts_with("wrk text summary"), "{}", d.reason);
    let d = sniff(WRK2).unwrap();
    assert!(d.score >= 0.95 && d.reason.starts_with("wrk2 "), "{}", d.reason);
    assert!(sniff(b"Running on http://127.0.0.1:5000\nPress CTRL+C to quit\n").is_none());
}
