//! The per-request load-test CSV (hammer, JMeter JTL, any CSV with known columns): the header,
//! rows, quoted cells that span lines, repeated headers. Checks the line accounting, that
//! a record's cells match its header, that a record without a time says why, and the sniffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::loadtest::{Options, Parser, sniff};
use rootcause_parsers_fuzz::{assert_contiguous, assert_detection, assert_untimed_noted, feed};

fuzz_target!(|data: &[u8]| {
    let mut parser = Parser::new(Options::default());
    let ledger = feed(&mut parser, data);
    assert_contiguous(&ledger);
    assert_untimed_noted(&ledger, |r| r.ts.is_none());
    let extra = parser.schema().map_or(0, |s| s.extra_names.len());
    for (line, _, r) in &ledger.records {
        assert!(r.status.is_none_or(|s| (100..=599).contains(&s)), "line {line}: {r:?}");
        assert!(r.elapsed_ms.is_none_or(f64::is_finite), "line {line}: {r:?}");
        assert!(r.offset_ms.is_none_or(f64::is_finite), "line {line}: {r:?}");
        assert_eq!(r.extra.len(), extra, "line {line}: extra cells do not match the header");
    }
    assert_detection(sniff(data).as_ref());
});
