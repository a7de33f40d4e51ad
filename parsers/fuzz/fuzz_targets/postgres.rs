//! The Postgres stderr log, read two ways: with the `log_line_prefix` inferred from the input
//! (the generic shape when none fits), and with a prefix given by the user, taken from the
//! input's first line. Checks the folded-line accounting, the field size cap, that no control
//! character reaches the text kept, that a record without a time says why, that a compiled
//! prefix keeps its spec, and that the lean parser an analysis uses gives the full parser's
//! records (without the prefix strings it does not keep), skips and notes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::postgres::{Parser, PgRecord, Prefix, infer_prefix};
use rootcause_parsers::time::TimeOptions;
use rootcause_parsers_fuzz::{
    Ledger, assert_detection, assert_folded, assert_pg_texts, assert_untimed_noted, feed,
};

fn check(ledger: &Ledger<PgRecord>) {
    assert_folded(ledger);
    assert_untimed_noted(ledger, |r| r.ts.is_none());
    assert_pg_texts(ledger, false);
}

/// Reads `data` with the full parser and with the lean one, checks both, and that they agree.
fn both(prefix: Prefix, time: TimeOptions, data: &[u8]) {
    let full = feed(&mut Parser::new(prefix.clone(), time), data);
    check(&full);
    let lean = feed(&mut Parser::new(prefix, time).lean(), data);
    assert_eq!((&lean.skipped, &lean.notes, lean.lines), (&full.skipped, &full.notes, full.lines));
    assert_eq!(lean.records.len(), full.records.len());
    for ((l, ln, lr), (f, fln, fr)) in lean.records.iter().zip(&full.records) {
        let want = fr.lean();
        assert_eq!((l, ln, lr), (f, fln, &want));
    }
}

fuzz_target!(|data: &[u8]| {
    let time = TimeOptions::default();
    let prefix = match infer_prefix(data, &time) {
        Some((p, found)) => {
            assert_detection(Some(&found));
            p
        }
        None => Prefix::generic(),
    };
    both(prefix, time, data);

    let (spec, log) = match data.iter().position(|&c| c == b'\n') {
        Some(k) => (&data[..k], &data[k + 1..]),
        None => (data, &data[data.len()..]),
    };
    if let Ok(spec) = std::str::from_utf8(spec)
        && let Ok(p) = Prefix::compile(spec)
    {
        assert_eq!(p.spec(), spec);
        assert!(!p.is_generic());
        both(p, time, log);
    }
});
