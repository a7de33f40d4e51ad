//! Property tests of every parser (issue 8): for any input, every line read is accounted for.
//!
//! Inputs come from [`inputs`]: real lines of the fixtures and samples, the same lines mutated
//! (bytes flipped, cut, duplicated, spliced, NUL, invalid UTF-8, CR, very long) and random
//! bytes, with `\n`, `\r\n`, lone `\r` or missing line ends. For each parser:
//!
//! - `lines in records + lines consumed + lines skipped = lines read`;
//! - every line number from 1 to the number of lines read is covered exactly once, by a record
//!   (`line .. line + lines`), a consumed span or a skip; records come in line order and every
//!   note points at a line read. Postgres may fold a tab continuation that follows a foreign
//!   line (see `Sink::record`), so there each record's lines are checked to lie before the next
//!   record's first line, none of them skipped.
//!
//! Each parser also gets every other family's inputs, and the traceback sections a block or a
//! console record holds lie inside it.
//!
//! 256 cases per property by default; `PROPTEST_CASES=10000 cargo test -p rootcause-parsers
//! --test properties` searches harder. A failure prints the shrunk input as a list of byte
//! strings (and the joined bytes), ready to paste into a regression test.

mod inputs;

use inputs::{Family, doc};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use rootcause_parsers::postgres::{self, Prefix};
use rootcause_parsers::time::TimeOptions;
use rootcause_parsers::{
    LineNo, LineParser, Note, Sink, SkipReason, console, jsonlog, k6, loadtest, locust, text,
    traceback, vegeta, wrk,
};

/// Where a parser put each line, in the order it said so.
#[derive(Debug, Default)]
struct Cover {
    records: Vec<(LineNo, u32)>,
    consumed: Vec<(LineNo, u32)>,
    skipped: Vec<LineNo>,
    notes: Vec<LineNo>,
    /// Lines fed.
    lines: u64,
}

impl<R> Sink<R> for Cover {
    fn record(&mut self, line: LineNo, lines: u32, _rec: R) {
        self.records.push((line, lines));
    }
    fn skip(&mut self, line: LineNo, _reason: SkipReason) {
        self.skipped.push(line);
    }
    fn consumed(&mut self, line: LineNo, lines: u32) {
        self.consumed.push((line, lines));
    }
    fn note(&mut self, line: LineNo, _note: Note) {
        self.notes.push(line);
    }
}

/// Feeds every line of `bytes` to `p`, as `parse_bytes` does, and returns where they went.
fn feed<P: LineParser>(p: &mut P, bytes: &[u8]) -> Cover
where
    Cover: Sink<P::Record>,
{
    let mut cover = Cover::default();
    for line in text::lines(bytes) {
        cover.lines += 1;
        p.line(line, cover.lines, &mut cover);
    }
    p.finish(&mut cover);
    cover
}

/// How many times each line number (index 1..=lines) is covered by consumed spans and skips.
fn structure_and_skips(c: &Cover) -> Result<Vec<u32>, TestCaseError> {
    let n = usize::try_from(c.lines).unwrap_or(usize::MAX);
    let mut seen = vec![0u32; n + 1];
    let mut mark = |l: LineNo, what: &str| -> Result<(), TestCaseError> {
        match usize::try_from(l).ok().filter(|&i| i >= 1).and_then(|i| seen.get_mut(i)) {
            Some(k) => {
                *k += 1;
                Ok(())
            }
            None => Err(TestCaseError::fail(format!("{what} line {l} outside 1..={}", c.lines))),
        }
    };
    for &(l, k) in &c.consumed {
        prop_assert!(k >= 1, "empty consumed span at {}", l);
        for i in l..l + u64::from(k) {
            mark(i, "consumed")?;
        }
    }
    for &l in &c.skipped {
        mark(l, "skipped")?;
    }
    Ok(seen)
}

/// The common part: the totals add up, records are in line order, notes point at lines read.
fn totals(c: &Cover) -> Result<(), TestCaseError> {
    let in_records: u64 = c.records.iter().map(|r| u64::from(r.1)).sum();
    let consumed: u64 = c.consumed.iter().map(|r| u64::from(r.1)).sum();
    prop_assert_eq!(
        in_records + consumed + c.skipped.len() as u64,
        c.lines,
        "in records {} + consumed {} + skipped {} != lines read",
        in_records,
        consumed,
        c.skipped.len()
    );
    prop_assert!(c.records.windows(2).all(|w| w[0].0 < w[1].0), "records out of line order");
    for &l in &c.notes {
        prop_assert!((1..=c.lines).contains(&l), "note on line {} of {}", l, c.lines);
    }
    Ok(())
}

/// Every line is in exactly one record, consumed span or skip (all formats but Postgres).
fn contiguous(c: &Cover) -> Result<(), TestCaseError> {
    totals(c)?;
    let mut seen = structure_and_skips(c)?;
    for &(l, k) in &c.records {
        prop_assert!(k >= 1, "empty record at {}", l);
        for i in l..l + u64::from(k) {
            match usize::try_from(i).ok().filter(|&i| i >= 1).and_then(|i| seen.get_mut(i)) {
                Some(n) => *n += 1,
                None => prop_assert!(false, "record {l}+{k} runs past line {}", c.lines),
            }
        }
    }
    for (l, n) in seen.iter().enumerate().skip(1) {
        prop_assert_eq!(*n, 1, "line {} accounted {} times", l, n);
    }
    Ok(())
}

/// Postgres: a record folds its first line and `lines - 1` later lines, all before the next
/// record's first line and none of them skipped; every other line is skipped once.
fn folded(c: &Cover) -> Result<(), TestCaseError> {
    totals(c)?;
    let seen = structure_and_skips(c)?;
    for (l, n) in seen.iter().enumerate().skip(1) {
        prop_assert!(*n <= 1, "line {} skipped {} times", l, n);
    }
    let first = c.records.first().map_or(c.lines + 1, |r| r.0);
    for l in 1..first.min(c.lines + 1) {
        prop_assert_eq!(seen[l as usize], 1, "line {} before any record is not skipped", l);
    }
    for (i, &(start, k)) in c.records.iter().enumerate() {
        prop_assert!(k >= 1 && (1..=c.lines).contains(&start), "record {start}+{k}");
        prop_assert_eq!(seen[start as usize], 0, "line {} starts a record and is skipped", start);
        let next = c.records.get(i + 1).map_or(c.lines + 1, |r| r.0);
        let free = (start + 1..next).filter(|&l| seen[l as usize] == 0).count() as u64;
        prop_assert_eq!(
            free,
            u64::from(k) - 1,
            "record at {} folds {} lines but {} lines before the next record are unskipped",
            start,
            k,
            free + 1
        );
    }
    Ok(())
}

fn lt() -> loadtest::Options {
    loadtest::Options::default()
}

fn config() -> ProptestConfig {
    // Failures are kept as named regression tests instead of proptest-regressions files.
    ProptestConfig { failure_persistence: None, ..ProptestConfig::default() }
}

/// Prefixes for the Postgres parser: every candidate the inference tries, and the generic one.
fn prefixes() -> Vec<Prefix> {
    let mut v: Vec<Prefix> =
        postgres::CANDIDATES.iter().filter_map(|s| Prefix::compile(s).ok()).collect();
    v.push(Prefix::generic());
    v
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn loadtest_accounts_for_every_line(d in doc(Family::LoadTest)) {
        contiguous(&feed(&mut loadtest::Parser::new(lt()), &d.bytes()))?;
    }

    #[test]
    fn k6_accounts_for_every_line(d in doc(Family::K6)) {
        contiguous(&feed(&mut k6::Parser::new(lt()), &d.bytes()))?;
    }

    #[test]
    fn vegeta_accounts_for_every_line(d in doc(Family::Vegeta)) {
        contiguous(&feed(&mut vegeta::Parser::new(lt()), &d.bytes()))?;
    }

    #[test]
    fn locust_accounts_for_every_line(d in doc(Family::Locust)) {
        contiguous(&feed(&mut locust::Parser::new(lt()), &d.bytes()))?;
    }

    #[test]
    fn wrk_accounts_for_every_line(d in doc(Family::Wrk)) {
        contiguous(&feed(&mut wrk::Parser::new(lt()), &d.bytes()))?;
    }

    #[test]
    fn jsonlog_accounts_for_every_line(d in doc(Family::JsonLog)) {
        let opts = jsonlog::Options::default();
        contiguous(&feed(&mut jsonlog::Parser::new(opts), &d.bytes()))?;
    }

    #[test]
    fn console_accounts_for_every_line(d in doc(Family::Console)) {
        let bytes = d.bytes();
        contiguous(&feed(&mut console::Parser::new(TimeOptions::default()), &bytes))?;
        // A traceback record's sections lie inside the record.
        let mut parser = console::Parser::new(TimeOptions::default());
        let out = rootcause_parsers::parse_bytes(&mut parser, &bytes);
        for r in &out.records {
            if let console::ConsoleRecord::Traceback(t) = &r.rec {
                let at = r.line;
                prop_assert!(t.header_offset < r.lines, "header outside the record at {}", at);
                for s in &t.traceback.sections {
                    prop_assert!(s.line_offset < r.lines, "section outside the record at {}", at);
                }
            }
        }
    }

    #[test]
    fn postgres_accounts_for_every_line(
        d in doc(Family::Postgres),
        prefix in select(prefixes()),
        inferred in any::<bool>(),
    ) {
        let bytes = d.bytes();
        let time = TimeOptions::default();
        let prefix = match postgres::infer_prefix(&bytes, &time) {
            Some((p, _)) if inferred => p,
            _ => prefix,
        };
        folded(&feed(&mut postgres::Parser::new(prefix, time), &bytes))?;
    }

    #[test]
    fn traceback_sections_lie_inside_the_block(d in doc(Family::Console)) {
        let block = d.bytes();
        let lines = text::lines(&block).count();
        if let Some(tb) = traceback::parse(&block) {
            prop_assert!(!tb.sections.is_empty());
            prop_assert!(tb.sections[0].link.is_none(), "the first section has a link");
            for s in &tb.sections {
                prop_assert!((s.line_offset as usize) < lines, "section at line {}", s.line_offset);
            }
        }
    }

    /// Any parser on any family's input: foreign formats are accounted for too.
    #[test]
    fn every_parser_accounts_for_foreign_input(d in inputs::any_doc()) {
        let bytes = d.bytes();
        let time = TimeOptions::default();
        contiguous(&feed(&mut loadtest::Parser::new(lt()), &bytes))?;
        contiguous(&feed(&mut k6::Parser::new(lt()), &bytes))?;
        contiguous(&feed(&mut vegeta::Parser::new(lt()), &bytes))?;
        contiguous(&feed(&mut locust::Parser::new(lt()), &bytes))?;
        contiguous(&feed(&mut wrk::Parser::new(lt()), &bytes))?;
        contiguous(&feed(&mut jsonlog::Parser::new(jsonlog::Options::default()), &bytes))?;
        contiguous(&feed(&mut console::Parser::new(time), &bytes))?;
        folded(&feed(&mut postgres::Parser::new(Prefix::generic(), time), &bytes))?;
        let _ = rootcause_parsers::sniff::sniff(&bytes);
    }
}
