//! Which patterns of a set can match a text, found with one pass of Aho-Corasick over it.
//!
//! Most catalog patterns contain words every match must contain: a match of
//! `QueuePool limit of size \d+` starts with `QueuePool limit of size `. Such required
//! literals are read off each pattern's syntax (its prefix literals, as `regex-syntax`
//! extracts them); one Aho-Corasick automaton over all of them finds, in one pass over a
//! text, the patterns worth running. Only those run, each its own regex, plus one
//! `RegexSet` over the patterns with no usable literal. A `RegexSet` over all the patterns
//! of a kind, in overlapping mode, must instead scan every text to its end with a large
//! automaton: on a Postgres log of `duration:` lines it was a fifth of the run.
//!
//! The literals are *prefix* literals: every match of the pattern begins with one of them. So
//! the automaton also says where a match can begin, and each candidate regex runs anchored at
//! those positions only, in order (the first that matches is where the unanchored, leftmost
//! search would have found it). An anchored search runs the one-pass automaton that reads the
//! groups straight away, where an unanchored one scans forward to find the end, backward to
//! find the start, and then reads the groups: on a Postgres log of `duration:` lines that was
//! a fifth of the run.
//!
//! The candidates are a superset of the patterns that match (a literal of a pattern occurs
//! wherever it matches); the patterns' own regexes decide. Checked against the `regex` crate's
//! unanchored search by the wordings test and by this module's tests.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Shortest literal worth looking for: shorter ones occur nearly everywhere.
const MIN_LITERAL: usize = 3;
/// Most literals taken from one pattern (a case-insensitive word has one per case variant).
const MAX_LITERALS: usize = 64;

/// The literals one of which begins every match of `pattern`, or `None` when there is no
/// such set worth using (a match may begin with anything, or the set is too large).
pub(crate) fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new().build().parse(pattern).ok()?;
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix).limit_total(MAX_LITERALS * 4);
    let seq = ex.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > MAX_LITERALS {
        return None;
    }
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(lits.len());
    for l in lits {
        // Exact or not, a literal is a prefix of a match, so the text contains it.
        if l.as_bytes().len() < MIN_LITERAL {
            return None;
        }
        out.push(l.as_bytes().to_vec());
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// The candidates finder of one set of patterns.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    ac: Option<AhoCorasick>,
    /// For each literal of `ac` (by pattern id), the patterns that begin with it.
    owners: Vec<Vec<u32>>,
    /// The patterns without usable literals, always candidates.
    pub always: Vec<u32>,
}

impl Prefilter {
    /// The finder over `patterns` (regexes).
    pub fn new(patterns: &[&str]) -> Prefilter {
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut always = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match required_literals(p) {
                Some(ls) => {
                    for l in ls {
                        let at = *index.entry(l.clone()).or_insert_with(|| {
                            lits.push(l);
                            owners.push(Vec::new());
                            lits.len() - 1
                        });
                        owners[at].push(i as u32);
                    }
                }
                None => always.push(i as u32),
            }
        }
        let ac = if lits.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&lits)
                .ok()
        };
        if ac.is_none() {
            // Without the automaton every pattern is a candidate.
            always = (0..patterns.len() as u32).collect();
            owners.clear();
        }
        Prefilter { ac, owners, always }
    }

    /// Where the patterns' literals occur in `text`: each candidate pattern (not those in
    /// [`Prefilter::always`]) with every position where one of its literals starts, sorted by
    /// pattern then position, without repeats, into `out` (cleared first). A match of a
    /// pattern can only begin at one of its positions.
    pub fn candidates(&self, text: &str, out: &mut Vec<(u32, usize)>) {
        out.clear();
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(text.as_bytes()) {
            for &p in &self.owners[m.pattern().as_usize()] {
                out.push((p, m.start()));
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_read_off_the_pattern() {
        let got = required_literals(r"QueuePool limit of size (?P<size>\d+)").unwrap();
        assert_eq!(got, vec![b"QueuePool limit of size ".to_vec()]);
        let got = required_literals(r"(?:sorry, too many clients|remaining connection slots)");
        assert_eq!(got.map(|v| v.len()), Some(2));
        // Nothing required: a class, a short literal, an optional prefix that may be empty.
        assert_eq!(required_literals(r"\d+ ms"), None);
        assert_eq!(required_literals(r"ab"), None);
        assert_eq!(required_literals(r"(?:x+)?"), None);
    }

    #[test]
    fn every_match_of_the_builtin_catalog_is_a_candidate() {
        let catalog = crate::detect::Catalog::builtin().unwrap();
        let mut literal = 0;
        let mut total = 0;
        for s in &catalog.signatures {
            for p in &s.patterns {
                total += 1;
                let Some(lits) = required_literals(&p.regex) else { continue };
                literal += 1;
                let re = regex::Regex::new(&p.regex).unwrap();
                for x in s.examples.iter().filter(|x| x.on == p.on) {
                    if let Some(m) = re.find(&x.text) {
                        let t = m.as_str().as_bytes();
                        assert!(
                            lits.iter().any(|l| t.windows(l.len()).any(|w| w == l.as_slice())),
                            "{}: {:?} matches {:?} without any of {lits:?}",
                            s.id,
                            p.regex,
                            x.text
                        );
                    }
                }
            }
        }
        // Most patterns have literals: the prefilter is worth it.
        assert!(literal * 10 >= total * 8, "{literal} of {total} patterns with literals");
    }
}
