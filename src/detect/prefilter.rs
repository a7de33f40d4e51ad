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
    finder: Option<Finder>,
    /// For each literal (by pattern id in the finder), the patterns that begin with it.
    owners: Vec<Vec<u32>>,
    /// The patterns without usable literals, always candidates.
    pub always: Vec<u32>,
}

/// How the literals are found.
#[derive(Debug, Clone)]
enum Finder {
    /// Teddy (SIMD, a few dozen literals at most), leftmost-first: after each match the search
    /// resumes one byte further, and every literal that starts where the match starts is
    /// checked there (those sharing its first byte), which finds every occurrence of every
    /// literal, as an overlapping search does, without stepping an automaton over each byte.
    Packed {
        searcher: aho_corasick::packed::Searcher,
        literals: Vec<Vec<u8>>,
        /// The literals by their first byte.
        by_first: Vec<Vec<u32>>,
    },
    /// An Aho-Corasick DFA in overlapping mode (too many literals for Teddy, or no SIMD).
    Automaton(AhoCorasick),
}

/// Most literals given to Teddy: past a few dozen it slows down (more false candidates per
/// bucket) and the automaton is as fast.
const MAX_PACKED: usize = 64;

impl Prefilter {
    /// The finder over `patterns` (regexes).
    pub fn new(patterns: &[&str]) -> Prefilter {
        Prefilter::build(patterns, true)
    }

    /// [`Prefilter::new`], with Teddy when `packed` and the literals allow it.
    fn build(patterns: &[&str], packed: bool) -> Prefilter {
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
        let finder = if lits.is_empty() {
            None
        } else {
            let teddy = (packed && lits.len() <= MAX_PACKED)
                .then(|| {
                    aho_corasick::packed::Config::new()
                        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                        .builder()
                        .extend(&lits)
                        .build()
                })
                .flatten();
            match teddy {
                Some(searcher) => {
                    let mut by_first = vec![Vec::new(); 256];
                    for (k, l) in lits.iter().enumerate() {
                        if let Some(&b) = l.first() {
                            by_first[usize::from(b)].push(k as u32);
                        }
                    }
                    Some(Finder::Packed { searcher, literals: lits, by_first })
                }
                None => AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&lits)
                    .ok()
                    .map(Finder::Automaton),
            }
        };
        if finder.is_none() {
            // Without a finder every pattern is a candidate.
            always = (0..patterns.len() as u32).collect();
            owners.clear();
        }
        Prefilter { finder, owners, always }
    }

    /// Where the patterns' literals occur in `text`: each candidate pattern (not those in
    /// [`Prefilter::always`]) with every position where one of its literals starts, sorted by
    /// pattern then position, without repeats, into `out` (cleared first). A match of a
    /// pattern can only begin at one of its positions.
    pub fn candidates(&self, text: &str, out: &mut Vec<(u32, usize)>) {
        out.clear();
        let hay = text.as_bytes();
        match &self.finder {
            None => return,
            Some(Finder::Automaton(ac)) => {
                for m in ac.find_overlapping_iter(hay) {
                    for &p in &self.owners[m.pattern().as_usize()] {
                        out.push((p, m.start()));
                    }
                }
            }
            Some(Finder::Packed { searcher, literals, by_first }) => {
                let mut at = 0;
                while at < hay.len() {
                    let span = aho_corasick::Span::from(at..hay.len());
                    let Some(m) = searcher.find_in(hay, span) else { break };
                    let start = m.start();
                    let here = &hay[start..];
                    let first = here.first().map_or(0, |&b| usize::from(b));
                    for &k in &by_first[first] {
                        if here.starts_with(&literals[k as usize]) {
                            out.extend(self.owners[k as usize].iter().map(|&p| (p, start)));
                        }
                    }
                    at = start + 1;
                }
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

    /// Teddy, resumed after each match, finds what the overlapping automaton finds: every
    /// pattern with every position one of its literals starts at, literals overlapping, one a
    /// prefix of another, several at one place, at the ends of the text.
    #[test]
    fn the_packed_finder_finds_what_the_automaton_finds() {
        let patterns = [
            r"QueuePool limit",
            r"Queue(?:Pool)? ",
            r"(?:too many clients|too many connections)",
            r"many \w+",
            r"abcabc",
            r"bcab",
            r"\d+ ms",
        ];
        let packed = Prefilter::build(&patterns, true);
        let dfa = Prefilter::build(&patterns, false);
        assert!(matches!(packed.finder, Some(Finder::Packed { .. })));
        assert!(matches!(dfa.finder, Some(Finder::Automaton(_))));
        assert_eq!(packed.always, [6]);
        let words =
            ["QueuePool limit", "Queue ", "too many clients", "many ", "abcabcab", "x", "é"];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut seen = 0;
        // Every text of up to four words, each word at every place.
        let mut texts: Vec<String> = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> =
                texts.iter().flat_map(|t| words.iter().map(move |w| format!("{t}{w}"))).collect();
            texts.extend(next.into_iter().filter(|t| t.len() < 48));
            texts.sort();
            texts.dedup();
        }
        for t in &texts {
            packed.candidates(t, &mut a);
            dfa.candidates(t, &mut b);
            assert_eq!(a, b, "{t:?}");
            seen += usize::from(a.len() > 1);
        }
        assert!(seen > 100, "texts with several candidates: {seen}");
    }
}
