use super::*;
use crate::parse_bytes;
use crate::time::format_rfc3339_micros;

fn parse(input: &[u8]) -> crate::VecSink<Request> {
    let out = parse_bytes(&mut Parser::new(Options::default()), input);
    crate::testutil::assert_contiguous_accounting(&out);
    out
}

const DEFAULT: &[u8] = include_bytes!("../../tests/fixtures/k6/k6-default.csv");
const OLD: &[u8] = include_bytes!("../../tests/fixtures/k6/k6-old-header.csv");

#[test]
fn default_header_one_request_per_http_req_duration_row() {
    let out = parse(DEFAULT);
    assert_eq!(out.lines, 87);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.records.len(), 6);
    // Header + vus + vus_max + 6 × (8 other http_req_* rows + 5 per-iteration rows).
    assert_eq!(out.consumed, 1 + 2 + 6 * (8 + 5));
    let r: Vec<&Request> = out.records.iter().map(|l| &l.rec).collect();
    let lines: Vec<LineNo> = out.records.iter().map(|l| l.line).collect();
    assert_eq!(lines, vec![5, 19, 33, 47, 61, 75]);

    assert_eq!(r[0].status, Some(200));
    assert_eq!(r[0].elapsed_ms, Some(12.3456));
    assert_eq!(format_rfc3339_micros(r[0].ts.unwrap()), "2026-11-25T15:22:20.000000Z");
    assert_eq!(r[0].route, None, "name is the URL: the route is derived from url later");
    assert_eq!(r[0].url.as_deref(), Some("http://127.0.0.1:8000/businesses?id=1"));
    assert_eq!(r[0].method.as_deref(), Some("GET"));
    assert_eq!(r[0].success, Some(true));
    assert_eq!(r[0].error, None);

    assert_eq!(r[1].route.as_deref(), Some("/businesses?id="), "a name tag is the route");
    assert_eq!(r[1].elapsed_ms, Some(8.912));

    assert_eq!(r[2].status, Some(500));
    assert_eq!(r[2].method.as_deref(), Some("POST"));
    assert_eq!(r[2].elapsed_ms, Some(231.0045));
    assert_eq!(r[2].success, Some(false));
    assert_eq!(r[2].error.as_deref(), Some("error_code 1500"));
    assert_eq!(format_rfc3339_micros(r[2].ts.unwrap()), "2026-11-25T15:22:21.000000Z");

    assert_eq!(r[3].status, Some(404));

    assert_eq!(r[4].status, None, "status 0 is no response");
    assert_eq!(r[4].elapsed_ms, Some(0.412));
    assert_eq!(r[4].error.as_deref(), Some("dial tcp 127.0.0.1:1: connect: connection refused"));
    assert_eq!(r[4].url.as_deref(), Some("http://127.0.0.1:1/businesses?id=3"));
    assert!(out.notes.is_empty(), "status 0 is not a bad status: {:?}", out.notes);
}

#[test]
fn old_docs_header_without_expected_response_service_metadata() {
    let out = parse(OLD);
    assert!(out.skipped.is_empty());
    assert_eq!(out.records.len(), 6);
    let r = &out.records[4].rec;
    assert_eq!(r.status, None);
    assert_eq!(r.error.as_deref(), Some("dial tcp 127.0.0.1:1: connect: connection refused"));
    assert_eq!(r.success, None, "no expected_response column");
    assert_eq!(out.records[2].rec.status, Some(500));
    assert_eq!(out.records[5].rec.elapsed_ms, Some(15.25));
    assert_eq!(out.records[5].rec.route.as_deref(), Some("/businesses?id="));
    let h = parse_bytes(&mut Parser::new(Options::default()), OLD);
    assert_eq!(h.records, out.records);
}

#[test]
fn other_time_formats_and_reordered_columns() {
    // --system-tags=status,url,method and K6_CSV_TIME_FORMAT variants.
    let input = b"metric_name,timestamp,metric_value,method,status,url\n\
http_req_duration,1795620140139,5.000000,GET,200,http://h/a\n\
http_req_duration,1795620140139123,6.000000,GET,200,http://h/a\n\
http_req_duration,1795620140139123456,7.000000,GET,200,http://h/a\n\
http_req_duration,2026-11-25T16:22:20+01:00,8.000000,GET,,http://h/a\n\
http_req_duration,,9.000000,GET,200,http://h/a\n\
http_req_duration,soon,10.000000,GET,200,http://h/a\n";
    let out = parse(input);
    let ts: Vec<Option<String>> =
        out.records.iter().map(|r| r.rec.ts.map(format_rfc3339_micros)).collect();
    assert_eq!(
        ts,
        vec![
            Some("2026-11-25T15:22:20.139000Z".to_string()),
            Some("2026-11-25T15:22:20.139123Z".to_string()),
            Some("2026-11-25T15:22:20.139123Z".to_string()),
            Some("2026-11-25T15:22:20.000000Z".to_string()),
            None,
            None,
        ]
    );
    assert_eq!(out.records[3].rec.status, None, "an empty status is no response");
    assert_eq!(out.records[3].rec.elapsed_ms, Some(8.0));
    assert!(out.notes.contains(&(6, Note::NoTimestamp)));
    assert!(out.notes.contains(&(7, Note::BadTimestamp)));
    assert!(out.records.iter().all(|r| r.rec.route.is_none()), "no name column");
}

#[test]
fn malformed_rows_are_skipped_with_reasons() {
    let input = b"garbage before the header\n\
metric_name,timestamp,metric_value,status,name\n\
http_req_duration,1795620140,12.5,200\n\
http_req_duration,1795620140,12.5,200,/a,surplus\n\
http_req_duration,1795620140,fast,200,/a\n\
,1795620140,1.0,200,/a\n\
\n\
metric_name,timestamp,metric_value,status,name\n\
http_req_duration,1795620140,\"12.5,200,/a\n\
http_req_duration,1795620140,-3,200,/a\n\
http_req_duration,1795620140,3,abc,/a\n\
http_reqs,1795620140,1,200,/a\n\
http_req_duration,1795620140,4,200,/a,\n";
    let out = parse(input);
    assert_eq!(
        out.skipped,
        vec![
            (1, SkipReason::CsvNoHeader),
            (3, SkipReason::CsvTooFewFields),
            (4, SkipReason::CsvTooManyFields),
            (5, SkipReason::CsvBadValue),
            (6, SkipReason::CsvBadValue),
            (7, SkipReason::Blank),
            (8, SkipReason::CsvRepeatedHeader),
            (9, SkipReason::CsvUnterminatedQuote),
            (10, SkipReason::CsvBadValue),
        ]
    );
    let lines: Vec<LineNo> = out.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![11, 13]);
    assert_eq!(out.records[0].rec.status, None);
    assert!(out.notes.contains(&(11, Note::NonNumericStatus)));
    assert_eq!(out.records[1].rec.elapsed_ms, Some(4.0));
    assert_eq!(out.consumed, 2, "header and the http_reqs row");
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = crate::testutil::Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..300 {
        let mut v = b"metric_name,timestamp,metric_value,status,error\n".to_vec();
        let cut = rng.below(DEFAULT.len());
        v.extend_from_slice(&DEFAULT[..cut]);
        v.extend(rng.bytes(b"\",\n\r0123 http_req_duration\xff", 300));
        parse(&v);
    }
    parse(b"");
    parse(b"\xff\xfe\n,,,\n");
}

#[test]
fn sniff_k6_and_refuse_others() {
    for head in [DEFAULT, OLD] {
        let d = sniff(head).unwrap();
        assert!(d.score >= 0.95, "{d:?}");
        assert!(d.reason.starts_with("k6 CSV header"), "{}", d.reason);
        assert!(d.reason.contains("6 are http_req_duration"), "{}", d.reason);
    }
    let hammer = include_bytes!("../../../samples/pool-exhaustion/hammer.csv");
    assert!(sniff(hammer).is_none());
    assert!(sniff(include_bytes!("../../tests/fixtures/jmeter/jmeter5.jtl")).is_none());
    assert!(sniff(include_bytes!("../../tests/fixtures/vegeta/vegeta-12.csv")).is_none());
    assert!(sniff(b"{\"timestamp\": 1, \"metric_name\": 2, \"metric_value\": 3}\n").is_none());
}
