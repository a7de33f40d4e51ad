//! The load tools' own outputs: k6 `--out csv`, vegeta `encode --to csv`, Locust `--csv` and
//! the wrk/wrk2 text summary. One target for the four, since each is small: every parser and
//! sniffer sees every input, with the line accounting checked for each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::aggregate::{Aggregate, classify_error};
use rootcause_parsers::loadtest::{Options, Request};
use rootcause_parsers::{k6, locust, text, vegeta, wrk};
use rootcause_parsers_fuzz::{
    Ledger, assert_contiguous, assert_detection, assert_untimed_noted, feed,
};

fn requests(ledger: &Ledger<Request>) {
    assert_contiguous(ledger);
    assert_untimed_noted(ledger, |r| r.ts.is_none());
    for (line, _, r) in &ledger.records {
        assert!(r.status.is_none_or(|s| (100..=599).contains(&s)), "line {line}: {r:?}");
        assert!(r.elapsed_ms.is_none_or(f64::is_finite), "line {line}: {r:?}");
    }
}

fn aggregates(ledger: &Ledger<Aggregate>) {
    assert_contiguous(ledger);
    for (_, _, a) in &ledger.records {
        match a {
            Aggregate::Totals { totals, .. } => {
                for p in [50.0, 90.0, 99.0, 100.0] {
                    let _ = totals.latency.at(p);
                }
            }
            Aggregate::Failure(f) => {
                let _ = f.outcome();
            }
            Aggregate::Sample(_) | Aggregate::Exception(_) => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let o = Options::default();
    requests(&feed(&mut k6::Parser::new(o), data));
    requests(&feed(&mut vegeta::Parser::new(o), data));
    aggregates(&feed(&mut locust::Parser::new(o), data));
    aggregates(&feed(&mut wrk::Parser::new(o), data));
    for sniff in [k6::sniff, vegeta::sniff, locust::sniff, wrk::sniff] {
        assert_detection(sniff(data).as_ref());
    }
    let first = text::lines(data).next().unwrap_or_default();
    let _ = classify_error(&text::lossy(first));
    let _ = (wrk::duration_ms(first), wrk::metric(first));
});
