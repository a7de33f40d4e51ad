use super::*;
use crate::parse_bytes;
use crate::time::format_rfc3339_micros;

fn parse(input: &[u8]) -> crate::VecSink<Request> {
    let out = parse_bytes(&mut Parser::new(Options::default()), input);
    crate::testutil::assert_contiguous_accounting(&out);
    out
}

const V12: &[u8] = include_bytes!("../../tests/fixtures/vegeta/vegeta-12.csv");
const V6: &[u8] = include_bytes!("../../tests/fixtures/vegeta/vegeta-6.csv");

#[test]
fn twelve_columns() {
    let out = parse(V12);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.consumed, 0, "no header");
    assert_eq!(out.records.len(), 7);
    let r: Vec<&Request> = out.records.iter().map(|l| &l.rec).collect();
    assert_eq!(r[0].status, Some(200));
    assert_eq!(r[0].elapsed_ms, Some(1.502331));
    assert_eq!(format_rfc3339_micros(r[0].ts.unwrap()), "2026-11-25T15:22:20.000000Z");
    assert_eq!(r[0].url.as_deref(), Some("http://127.0.0.1:8000/businesses?id=1"));
    assert_eq!(r[0].method.as_deref(), Some("GET"));
    assert_eq!((r[0].route.as_deref(), r[0].error.as_deref()), (None, None));
    assert_eq!(format_rfc3339_micros(r[1].ts.unwrap()), "2026-11-25T15:22:20.020000Z");
    assert_eq!(r[2].status, Some(404));
    assert_eq!(r[2].error.as_deref(), Some("404 Not Found"));
    assert_eq!(r[3].status, Some(500));
    assert_eq!(r[3].method.as_deref(), Some("POST"));
    assert_eq!(r[3].elapsed_ms, Some(231.0045));
    assert_eq!(r[4].status, None, "code 0 is no response");
    assert_eq!(
        r[4].error.as_deref(),
        Some(
            "Get \"http://127.0.0.1:1/businesses?id=3\": dial tcp 127.0.0.1:1: connect: \
             connection refused"
        )
    );
    assert_eq!(r[5].status, None);
    assert_eq!(r[5].elapsed_ms, Some(30_000.981207));
    assert!(r[5].error.as_deref().unwrap().contains("Client.Timeout exceeded"));
    assert_eq!(r[6].url.as_deref(), Some("http://127.0.0.1:8000/businesses?id=1,2"));
    assert!(out.notes.is_empty(), "{:?}", out.notes);
}

#[test]
fn six_columns_of_old_vegeta() {
    let out = parse(V6);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let new = parse(V12);
    assert_eq!(out.records.len(), 7);
    for (old, new) in out.records.iter().zip(&new.records) {
        assert_eq!(
            (old.rec.ts, old.rec.status, old.rec.elapsed_ms, &old.rec.error),
            (new.rec.ts, new.rec.status, new.rec.elapsed_ms, &new.rec.error)
        );
        assert_eq!((&old.rec.url, &old.rec.method), (&None, &None));
    }
    // The 9-column layout of some versions (no method, URL, headers).
    let nine = parse(b"1795620140000000000,503,2000000,0,19,503 Service Unavailable,,atk,0\n");
    assert_eq!(nine.records[0].rec.status, Some(503));
    assert_eq!(nine.records[0].rec.elapsed_ms, Some(2.0));
}

#[test]
fn rows_that_do_not_fit_are_skipped() {
    let input = b"timestamp,code,latency,bytes_out,bytes_in,error\n\
1795620140000000000,200,1502331,0,25\n\
1795620140000000000,200,1502331,0,25,,,\n\
1795620140000000000,200,1502331,0,25,,,,,,,,x\n\
\n\
1795620140000000000,2000,1502331,0,25,\n\
1795620140000000000,200,1.5,0,25,\n\
1795620140000000000,200,1502331,0,0,\"open\n\
17956201400000000001,200,1,0,0,\n\
1795620140000000000,999,1,0,0,\n\
1795620140000000000,200,1,0,0,\r\n";
    let out = parse(input);
    assert_eq!(
        out.skipped,
        vec![
            (1, SkipReason::CsvBadValue),
            (2, SkipReason::CsvTooFewFields),
            (3, SkipReason::CsvTooFewFields),
            (4, SkipReason::CsvTooManyFields),
            (5, SkipReason::Blank),
            (6, SkipReason::CsvBadValue),
            (7, SkipReason::CsvBadValue),
            (8, SkipReason::CsvUnterminatedQuote),
            (9, SkipReason::CsvBadValue),
        ]
    );
    let lines: Vec<LineNo> = out.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![10, 11]);
    assert_eq!(out.records[0].rec.status, None);
    assert_eq!(out.notes, vec![(10, Note::NonNumericStatus)]);
    assert_eq!(out.records[1].rec.status, Some(200));
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = crate::testutil::Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let cut = rng.below(V12.len());
        let mut v = V12[..cut].to_vec();
        v.extend(rng.bytes(b"\",\n\r0123456789 \xff", 300));
        parse(&v);
    }
}

#[test]
fn sniff_vegeta_and_refuse_others() {
    let d = sniff(V12).unwrap();
    assert!(d.score >= 0.99, "{d:?}");
    assert!(d.reason.starts_with("vegeta CSV (12 columns, no header)"), "{}", d.reason);
    let d = sniff(V6).unwrap();
    assert!(d.reason.starts_with("vegeta CSV (6 columns, no header)"), "{}", d.reason);
    // A head cut in the middle of a line still counts the whole lines.
    let d = sniff(&V12[..V12.len() - 40]).unwrap();
    assert!(d.score >= 0.9, "{d:?}");
    assert!(sniff(include_bytes!("../../../samples/pool-exhaustion/hammer.csv")).is_none());
    assert!(sniff(include_bytes!("../../tests/fixtures/k6/k6-default.csv")).is_none());
    assert!(sniff(include_bytes!("../../tests/fixtures/jmeter/jmeter5.jtl")).is_none());
    assert!(sniff(include_bytes!("../../../samples/loadtools/jmeter/out.jtl")).is_none());
    assert!(sniff(b"1,2,3,4,5,6\n7,8,9,10,11,12\n").is_none(), "small numbers are not ns stamps");
}
