//! `rootcause signatures --suggest PATH...` (issue 11): catalog entries for the templates
//! that rose at the run's onset and that no signature of the catalog in use matches.
//!
//! A candidate is a template of [`crate::mined`] whose change at the onset is significant and
//! upward (new, or rising), whose example no signature matches ([`Catalog::matching`] for each
//! kind of text it came from). Each becomes a `[[signature]]` in the catalog file format
//! (`docs/catalog.md`): an id `suggested_` and the template's first words, the template's
//! kinds as `sources` and pattern kinds, a pattern made from the template (its literal parts
//! escaped, `<STR>` as `.+?`, the other placeholders and `<*>` as `\S+`, spaces as `\s+`),
//! the example as a `[[signature.example]]`, and in `meaning` what the data showed (rates
//! before and after, q-value, first seen). Its `meaning` and `remediation` are for a person to
//! finish. The file loads as it is: every suggested pattern matches its example (checked here
//! before it is printed), so `--signatures FILE` then finds the template's lines.

use std::fmt::Write as _;

use crate::changes::Change;
use crate::detect::{Catalog, On, Source};
use crate::mined::{Patterns, TemplateOut};

/// The catalog entries for `p`'s uncatalogued rising templates, at most `limit` (0: all), as
/// a TOML file; the count of entries with it.
pub fn suggest(p: &Patterns, catalog: &Catalog, limit: usize) -> (String, usize) {
    let mut out = String::from(
        "# Suggested by rootcause signatures --suggest: templates that rose at the\n# run's onset and that no signature of the catalog in use matches. Finish\n# each meaning and remediation, then load the file with --signatures FILE.\nschema = \"rootcause.catalog/v1\"\n",
    );
    let mut ids: Vec<String> = Vec::new();
    for (t, c) in candidates(p, catalog) {
        if limit > 0 && ids.len() >= limit {
            break;
        }
        let Some(regex) = pattern(&t.template).filter(|r| matches_example(r, &t.example)) else {
            continue;
        };
        let id = unique(slug(&t.template), &ids);
        let on: Vec<&str> = ons(t);
        let sources = sources(t);
        let first = c.first_after_onset_us.map_or(String::new(), |us| {
            format!(" First seen {:+.1} s from the onset.", us as f64 / 1e6)
        });
        let _ = write!(
            out,
            "\n[[signature]]\nid = \"{id}\"\ntitle = {}\ncomponent = \"unknown\"\nsources = [{}]\nseverity = \"error\"\nfailure = true\nmeaning = {}\nremediation = \"Unknown: fill in what to do.\"\n",
            toml_str(&format!("Uncatalogued pattern: {}", cut(&t.template, 80))),
            sources.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", "),
            toml_str(&format!(
                "Found by rootcause patterns in {}: {} {} times ({:.3}/s before the onset, \
                 {:.3}/s after; q = {:.1e}).{first} Describe its cause and effect.",
                t.example_at,
                if c.new { "new after the onset," } else { "rose at the onset," },
                t.count,
                c.rate_before,
                c.rate_after,
                c.q_value.unwrap_or(f64::NAN),
            )),
        );
        for on in &on {
            let _ = write!(
                out,
                "\n[[signature.pattern]]\non = \"{on}\"\nregex = {}\n",
                toml_str(&regex)
            );
        }
        for on in &on {
            let _ = write!(
                out,
                "\n[[signature.example]]\non = \"{on}\"\ntext = {}\n",
                toml_str(&t.example)
            );
        }
        ids.push(id);
    }
    (out, ids.len())
}

/// The templates of `p` (in its order) that rose significantly at the onset, first appeared at
/// most [`STARTED_WITHIN_US`] before it (or after it), that no signature of `catalog` matches
/// and whose messages mostly come from events no failure signature matched: a template that
/// was there long before and only grew with the load (a stage event) is not a cause, and a
/// catalogued one, or one logged beside a catalogued failure (an app's `Uncaught exception`
/// carrying the traceback a signature read), is already known.
pub fn candidates<'a>(
    p: &'a Patterns,
    catalog: &'a Catalog,
) -> impl Iterator<Item = (&'a TemplateOut, &'a Change)> + 'a {
    p.templates.iter().filter_map(move |t| {
        let c = t.change.as_ref()?;
        let started_near = c.first_after_onset_us.is_some_and(|us| us >= -STARTED_WITHIN_US);
        let beside_known = t.on_failure_lines * 2 > t.count;
        (c.significant && c.increased() && started_near && !beside_known && !catalogued(t, catalog))
            .then_some((t, c))
    })
}

/// The pattern kinds of a template's texts.
fn ons(t: &TemplateOut) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = t
        .kinds
        .iter()
        .map(|k| match *k {
            "exception" => "exception",
            "postgres" => "pg",
            _ => "message",
        })
        .collect();
    v.dedup();
    v
}

/// The inputs a template's texts come from, as catalog `sources`.
fn sources(t: &TemplateOut) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for k in &t.kinds {
        let s: &[&'static str] = match *k {
            "app" => &["app"],
            "console" => &["console"],
            "postgres" => &["postgres"],
            _ => &["app", "console"],
        };
        for s in s {
            if !v.contains(s) {
                v.push(s);
            }
        }
    }
    v
}

/// True when a signature of `catalog` matches the template's example as any of its kinds.
fn catalogued(t: &TemplateOut, catalog: &Catalog) -> bool {
    t.kinds.iter().any(|k| {
        let checks: &[(Source, On)] = match *k {
            "app" => &[(Source::App, On::Message)],
            "console" => &[(Source::Console, On::Message)],
            "postgres" => &[(Source::Postgres, On::Pg)],
            _ => &[(Source::App, On::Exception), (Source::Console, On::Exception)],
        };
        checks.iter().any(|&(s, on)| !catalog.matching(s, on, &t.example, None).is_empty())
    })
}

/// How long before the onset a suggested template may first appear: 10 s.
pub const STARTED_WITHIN_US: i64 = 10_000_000;

/// The placeholders of a template and what each becomes in a pattern.
const HOLES: [(&str, &str); 9] = [
    ("<STR>", ".+?"),
    ("<...>", ".*"),
    ("<*>", r"\S+"),
    ("<NUM>", r"\S+"),
    ("<DUR>", r"\S+"),
    ("<ID>", r"\S+"),
    ("<IP>", r"\S+"),
    ("<TS>", r"\S+(?: \S+)?"),
    ("<overflow>", r"\S+"),
];

/// A regex for `template`: anchored at the start, literal parts escaped, placeholders as
/// [`HOLES`] says, runs of spaces as `\s+`; `None` when nothing literal is left to match.
fn pattern(template: &str) -> Option<String> {
    let mut out = String::from("^");
    let mut literal = 0usize;
    let mut rest = template;
    while !rest.is_empty() {
        if let Some((hole, re)) = HOLES.iter().find(|(h, _)| rest.starts_with(h)) {
            out.push_str(re);
            rest = &rest[hole.len()..];
            continue;
        }
        let c = rest.chars().next()?;
        if c.is_whitespace() {
            out.push_str(r"\s+");
            rest = rest.trim_start();
            continue;
        }
        out.push_str(&regex::escape(&c.to_string()));
        literal += usize::from(c.is_alphanumeric());
        rest = &rest[c.len_utf8()..];
    }
    (literal >= 3).then_some(out)
}

fn matches_example(regex: &str, example: &str) -> bool {
    regex::Regex::new(regex).is_ok_and(|r| r.is_match(example))
}

/// `suggested_` and the template's first literal words (placeholders left out), snake_case,
/// at most 48 characters.
fn slug(template: &str) -> String {
    let mut literal = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if let Some((hole, _)) = HOLES.iter().find(|(h, _)| rest.starts_with(h)) {
            literal.push(' ');
            rest = &rest[hole.len()..];
            continue;
        }
        literal.push(if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { ' ' });
        rest = &rest[c.len_utf8()..];
    }
    let mut s = String::from("suggested");
    for word in literal.split_whitespace().take(5) {
        if s.len() + word.len() + 1 > 48 {
            break;
        }
        s.push('_');
        s.push_str(word);
    }
    s
}

fn unique(id: String, taken: &[String]) -> String {
    if !taken.contains(&id) {
        return id;
    }
    (2..).map(|n| format!("{id}_{n}")).find(|c| !taken.contains(c)).unwrap_or(id)
}

fn cut(s: &str, n: usize) -> String {
    let mut c: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        c.push('…');
    }
    c
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_literals_and_open_the_holes() {
        let re = pattern("Booting worker with pid: <NUM>").expect("a pattern");
        assert_eq!(re, r"^Booting\s+worker\s+with\s+pid:\s+\S+");
        assert!(matches_example(&re, "Booting worker with pid: 29810"));
        let re = pattern("listening on IPv4 address <STR>, port <NUM> (x)").expect("a pattern");
        assert!(matches_example(&re, "listening on IPv4 address \"127.0.0.1\", port 5432 (x)"));
        assert!(!matches_example(&re, "listening on IPv6 address \"::1\", port 5432 (x)"));
        assert_eq!(pattern("<NUM> <*>"), None);
        assert_eq!(
            slug("connection authorized: user=<STR>> x"),
            "suggested_connection_authorized_user_x"
        );
        assert_eq!(
            slug("RuntimeError: can't start new thread"),
            "suggested_runtimeerror_can_t_start_new"
        );
        assert_eq!(unique("a".into(), &["a".into(), "a_2".into()]), "a_3");
        assert_eq!(toml_str("a \"b\"\n\u{1b}"), "\"a \\\"b\\\"\\n\\u001B\"");
    }
}
