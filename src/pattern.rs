//! Regexes given by users (`--stage`, and `--signatures` to come), compiled with limits.
//!
//! The `regex` crate matches in time linear in the input whatever the pattern (it uses finite
//! automata, never backtracking), so `(a*)*b` cannot blow up at match time. What a pattern
//! can still do is blow up at *compile* time: `a{1000}{1000}` asks for a million states, a
//! huge alternation or deeply nested groups for a large program. [`user_regex`] caps the
//! compiled size, the lazy DFA's cache and the nesting depth, and names the flag and the
//! pattern in its error, so such a pattern is a usage error (exit 2) before any input is read,
//! not minutes of work or gigabytes of memory.
//!
//! No I/O here.
//!
//! ```
//! use rootcause::pattern::user_regex;
//! assert!(user_regex("--stage hit", "(a*)*b").is_ok());
//! let err = user_regex("--stage hit", "a{1000}{1000}").unwrap_err();
//! assert!(err.contains("--stage hit") && err.contains("too large"));
//! ```

use regex::{Regex, RegexBuilder};

/// Largest compiled program of a user pattern, in bytes (the `regex` default is 10 MiB):
/// thousands of literal alternatives fit; `a{1000}{1000}`, `\w{1000}` (Unicode classes are
/// large) and 10,000 alternatives like `w1\d+` do not.
pub const SIZE_LIMIT: usize = 1 << 20;
/// Largest cache of the lazy DFA per pattern and thread, in bytes (the `regex` default). Past
/// it the matcher falls back to a slower automaton, still linear in the input.
pub const DFA_SIZE_LIMIT: usize = 2 << 20;
/// Deepest nesting of groups and repetitions (the `regex` default is 250); deeper patterns are
/// refused before they are compiled.
pub const NEST_LIMIT: u32 = 64;

/// `pattern` as a `regex-automata` meta regex configured as [`user_regex`] configures the
/// `regex` crate's (same limits, leftmost-first, UTF-8), for what that crate does not offer: a
/// search anchored at a given position, which the catalog's detector makes where its prefilter
/// found a pattern's leading literal. Call it on a pattern [`user_regex`] accepted, or on a
/// built-in one, for the error is only the library's.
pub fn meta_regex(pattern: &str) -> Result<regex_automata::meta::Regex, String> {
    meta_builder().build(pattern).map_err(|e| format!("pattern '{}': {e}", shown(pattern)))
}

/// The builder of [`meta_regex`] (for a pattern given as its syntax tree, parsed with
/// [`meta_syntax`]).
pub fn meta_builder() -> regex_automata::meta::Builder {
    use regex_automata::{MatchKind, meta};
    let mut b = meta::Builder::new();
    b.configure(
        meta::Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .utf8_empty(true)
            .nfa_size_limit(Some(SIZE_LIMIT))
            .hybrid_cache_capacity(DFA_SIZE_LIMIT),
    )
    .syntax(meta_syntax());
    b
}

/// The syntax settings of [`meta_regex`].
pub fn meta_syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new().utf8(true).nest_limit(NEST_LIMIT)
}

/// Longest part of a pattern quoted in an error message.
const SHOWN: usize = 80;

/// Compiles `pattern` under [`SIZE_LIMIT`], [`DFA_SIZE_LIMIT`] and [`NEST_LIMIT`]. `origin`
/// says where it was given (`--stage hit`, or a catalog file and signature id); the error starts
/// with it, quotes the pattern (its first 80 characters) and says what is wrong.
pub fn user_regex(origin: &str, pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map_err(|e| {
            let shown = shown(pattern);
            match e {
                regex::Error::CompiledTooBig(limit) => format!(
                    "{origin}: pattern '{shown}' is too large: it compiles to more than {} KiB \
                     (the limit for patterns given by users); use fewer or smaller \
                     repetitions and alternatives (Unicode classes such as \\w are large: \
                     (?-u:\\w) is ASCII-only)",
                    limit >> 10
                ),
                regex::Error::Syntax(msg) => {
                    // The message quotes the pattern with a caret under the error over several
                    // lines, which do not survive one-line error output; keep its last line,
                    // `error: ...`.
                    let msg = msg.lines().last().unwrap_or_default().to_string();
                    format!("{origin}: bad pattern '{shown}': {msg}")
                }
                other => format!("{origin}: bad pattern '{shown}': {other}"),
            }
        })
}

/// The pattern as quoted in messages: at most [`SHOWN`] characters, control characters
/// replaced.
fn shown(pattern: &str) -> String {
    let mut s: String =
        pattern.chars().take(SHOWN).map(|c| if c.is_control() { '?' } else { c }).collect();
    if pattern.chars().count() > SHOWN {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathological_patterns_compile_or_fail_clearly() {
        // Catastrophic for a backtracking engine, linear here.
        let re = user_regex("--stage hit", "(a*)*b").unwrap();
        assert!(!re.is_match(&"a".repeat(100_000)));
        let err = user_regex("--stage hit", "a{1000}{1000}").unwrap_err();
        assert!(err.starts_with("--stage hit: pattern 'a{1000}{1000}' is too large"), "{err}");
        assert!(err.contains("1024 KiB"), "{err}");
        // 10,000 alternatives of 9 bytes on average: 88 KB, short enough for a command line.
        let alternation: Vec<String> = (0..10_000).map(|i| format!(r"w{i}\d+")).collect();
        let err = user_regex("--stage hit", &alternation.join("|")).err().unwrap_or_default();
        assert!(err.contains("too large") && err.contains(r"w0\d+|w1\d+|"), "{err}");
        assert!(err.contains('…'), "a long pattern is cut: {err}");
        let nested = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        let err = user_regex("--stage hit", &nested).unwrap_err();
        assert!(
            err.contains("nested") && err.contains("(64)") && err.lines().count() == 1,
            "{err}"
        );
        let err = user_regex("--stage hit", "(unclosed").unwrap_err();
        assert!(err.starts_with("--stage hit: bad pattern '(unclosed': "), "{err}");
    }
}
