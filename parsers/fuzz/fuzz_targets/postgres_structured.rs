//! The Postgres csvlog and jsonlog destinations, each read by the full parser and by the lean
//! one an analysis uses. Checks that every line is in exactly one record or skip (records span
//! contiguous lines), the field size cap, that no control character reaches a kept text (only
//! the long fields may hold the newlines of a multi-line message), that a record without a time
//! says why, and that the lean parser gives the full parser's records without the strings it
//! does not keep, with the same skips and notes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::LineParser;
use rootcause_parsers::postgres::{PgRecord, csv, json};
use rootcause_parsers_fuzz::{
    Ledger, assert_contiguous, assert_pg_texts, assert_untimed_noted, feed,
};

fn check(ledger: &Ledger<PgRecord>) {
    assert_contiguous(ledger);
    assert_untimed_noted(ledger, |r| r.ts.is_none());
    assert_pg_texts(ledger, true);
}

/// Reads `data` with `full` and `lean`, checks both, and that they agree.
fn both<P: LineParser<Record = PgRecord>>(mut full: P, mut lean: P, data: &[u8]) {
    let full = feed(&mut full, data);
    check(&full);
    let lean = feed(&mut lean, data);
    assert_eq!((&lean.skipped, &lean.notes, lean.lines), (&full.skipped, &full.notes, full.lines));
    assert_eq!(lean.records.len(), full.records.len());
    for ((l, ln, lr), (f, fln, fr)) in lean.records.iter().zip(&full.records) {
        assert_eq!((l, ln, lr), (f, fln, &fr.lean()));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(d) = csv::sniff(data) {
        rootcause_parsers_fuzz::assert_detection(Some(&d));
    }
    if let Some(d) = json::sniff(data) {
        rootcause_parsers_fuzz::assert_detection(Some(&d));
    }
    both(csv::Parser::default(), csv::Parser::default().lean(), data);
    both(json::Parser::default(), json::Parser::default().lean(), data);
});
