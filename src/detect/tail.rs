//! Patterns that end by capturing the rest of the line, read without walking it.
//!
//! `duration: (?P<ms>\d+\.\d{3}) ms(?:  (?P<kind>statement|...)(?: [^:]*)?: (?P<sql>.*))?`
//! captures a statement's whole text: a one-pass search walks every byte of it to record where
//! the group ends, and on a Postgres log of `duration:` lines that was a third of the run. A
//! greedy `.*` at the very end of a pattern always takes the rest of the line, so its group
//! needs no search at all: the pattern is compiled with that group emptied, which keeps where
//! it starts, and the group is given its end afterwards (the next `\n`, or the end of the
//! text when `.` matches it).
//!
//! The groups before it are unchanged: the emptied tail, like `.*`, always matches, so the
//! same paths succeed in the same order of preference. Checked against the `regex` crate on
//! every catalog example by the detector's tests, and here.

use regex_automata::meta::Regex as MetaRegex;
use regex_syntax::hir::{Capture, Class, Dot, Hir, HirKind, Repetition};

/// A group that runs to the end of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tail {
    /// The group's index.
    pub group: usize,
    /// True when it runs to the end of the text (`.` matches `\n`), else to the next `\n`.
    pub to_end: bool,
}

impl Tail {
    /// Where the group that starts at `start` in `text` ends.
    pub fn end(&self, text: &str, start: usize) -> usize {
        match self.to_end {
            true => text.len(),
            false => text
                .as_bytes()
                .get(start..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
                .map_or(text.len(), |i| start + i),
        }
    }
}

/// `pattern` compiled for the detector, with its rest-of-line group emptied when it has one.
pub(crate) fn compile(pattern: &str) -> Result<(MetaRegex, Option<Tail>), String> {
    let plain = || crate::pattern::meta_regex(pattern).map(|re| (re, None));
    let Ok(hir) = regex_automata::util::syntax::parse_with(pattern, &crate::pattern::meta_syntax())
    else {
        return plain();
    };
    match cut(&hir) {
        Some((hir, tail)) => match crate::pattern::meta_builder().build_from_hir(&hir) {
            Ok(re) => Ok((re, Some(tail))),
            Err(_) => plain(),
        },
        None => plain(),
    }
}

/// `h` with its last named group emptied, when that group is a greedy `.*` at the very end of
/// every match, and that group.
fn cut(h: &Hir) -> Option<(Hir, Tail)> {
    match h.kind() {
        HirKind::Capture(c) => {
            if let (Some(_), Some(to_end)) = (&c.name, rest_of_line(&c.sub)) {
                let tail = Tail { group: c.index as usize, to_end };
                let emptied = Capture { sub: Box::new(Hir::empty()), ..c.clone() };
                return Some((Hir::capture(emptied), tail));
            }
            let (sub, tail) = cut(&c.sub)?;
            Some((Hir::capture(Capture { sub: Box::new(sub), ..c.clone() }), tail))
        }
        HirKind::Concat(parts) => {
            let (last, tail) = cut(parts.last()?)?;
            let mut parts = parts.clone();
            parts.pop();
            parts.push(last);
            Some((Hir::concat(parts), tail))
        }
        // An optional part, `(...)?`.
        HirKind::Repetition(r) if r.min == 0 && r.max == Some(1) => {
            let (sub, tail) = cut(&r.sub)?;
            Some((Hir::repetition(Repetition { sub: Box::new(sub), ..r.clone() }), tail))
        }
        _ => None,
    }
}

/// For a greedy `.*`: whether it runs to the end of the text (`(?s)`) rather than of the line.
fn rest_of_line(h: &Hir) -> Option<bool> {
    let HirKind::Repetition(r) = h.kind() else { return None };
    if r.min != 0 || r.max.is_some() || !r.greedy {
        return None;
    }
    let HirKind::Class(class) = r.sub.kind() else { return None };
    let same = |dot: Dot| matches!(Hir::dot(dot).kind(), HirKind::Class(c) if c == class);
    match class {
        Class::Unicode(_) if same(Dot::AnyCharExceptLF) => Some(false),
        Class::Unicode(_) if same(Dot::AnyChar) => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The named groups of `pattern` on `text`, as the tail-cut regex gives them.
    fn groups(pattern: &str, text: &str) -> Option<Vec<(String, String)>> {
        let (re, tail) = compile(pattern).unwrap();
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        if !caps.is_match() {
            return None;
        }
        let names = caps.group_info().pattern_names(regex_automata::PatternID::ZERO);
        let mut out = Vec::new();
        for (g, name) in names.enumerate() {
            let (Some(name), Some(span)) = (name, caps.get_group(g)) else { continue };
            let end = match tail {
                Some(t) if t.group == g => t.end(text, span.start),
                _ => span.end,
            };
            out.push((name.to_string(), text[span.start..end].to_string()));
        }
        Some(out)
    }

    /// The same, by the `regex` crate on the pattern as written.
    fn plain(pattern: &str, text: &str) -> Option<Vec<(String, String)>> {
        let re = regex::Regex::new(pattern).unwrap();
        let caps = re.captures(text)?;
        Some(
            re.capture_names()
                .flatten()
                .filter_map(|n| caps.name(n).map(|m| (n.to_string(), m.as_str().to_string())))
                .collect(),
        )
    }

    #[test]
    fn a_trailing_rest_of_line_group_is_cut_and_read_to_the_line_end() {
        let cases = [
            (r"a(?P<x>.*)", "za b\ncd", true),
            (r"(?s)a(?P<x>.*)", "za b\ncd", true),
            (
                r"d: (?P<ms>\d+)(?: ms(?:  (?P<k>s|e)(?: [^:]*)?: (?P<sql>.*))?)?",
                "d: 12 ms  s x: SELECT 1\nx",
                true,
            ),
            (r"d: (?P<ms>\d+)(?: ms(?:  (?P<k>s|e)(?: [^:]*)?: (?P<sql>.*))?)?", "d: 12 msX", true),
            (r"a(?P<x>.*)é", "aébé", false),
            (r"a(?P<x>.+)", "ab", false),
            (r"a(?P<x>.*?)", "ab", false),
            (r"a(?P<x>[^b]*)", "acb", false),
        ];
        for (pattern, text, cut) in cases {
            let (_, tail) = compile(pattern).unwrap();
            assert_eq!(tail.is_some(), cut, "{pattern}");
            assert_eq!(groups(pattern, text), plain(pattern, text), "{pattern} on {text:?}");
        }
        assert_eq!(groups(r"a(?P<x>.*)", "za b\ncd").unwrap()[0].1, " b");
    }
}
