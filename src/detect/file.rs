//! Catalog files: TOML, schema `rootcause.catalog/v1` (documented in `docs/catalog.md`).
//!
//! [`build`] reads files given as (name, text) in order, checks each, merges them (a signature
//! whose id is already known replaces it where it stands; an edge with a known `from` and `to`
//! replaces that edge) and compiles the result. Every error names the file and the line (and
//! column, for syntax errors): TOML spans locate the entry at fault, so a semantic error
//! found after deserialising still points at its line. No I/O: [`super::Catalog::load`]
//! reads the files.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::graph::{self, Edge};
use super::{
    BUILTIN_ORIGIN, CATALOG_SCHEMA, Catalog, EFFECTS, Example, LevelFilter, On, Pattern,
    SEVERITIES, Signature, Source, is_snake_case,
};

/// The name of the built-in signatures in errors.
pub const BUILTIN_CATALOG_NAME: &str = "built-in catalog.toml";
/// The name of the built-in edges in errors.
pub const BUILTIN_EDGES_NAME: &str = "built-in causal.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    schema: Spanned<String>,
    #[serde(default)]
    signature: Vec<RawSignature>,
    #[serde(default)]
    edge: Vec<RawEdge>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    id: Spanned<String>,
    title: Spanned<String>,
    component: Spanned<String>,
    sources: Spanned<Vec<Source>>,
    severity: Spanned<String>,
    failure: bool,
    #[serde(default)]
    effect: Option<Spanned<String>>,
    meaning: Spanned<String>,
    remediation: Spanned<String>,
    #[serde(default)]
    references: Vec<Spanned<String>>,
    #[serde(default)]
    pattern: Vec<RawPattern>,
    #[serde(default)]
    example: Vec<RawExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    on: Spanned<On>,
    regex: Spanned<String>,
    #[serde(default)]
    level: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    on: Spanned<On>,
    text: Spanned<String>,
    #[serde(default)]
    level: Option<Spanned<String>>,
    #[serde(default)]
    version: Option<Spanned<String>>,
    #[serde(default)]
    also: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    from: Spanned<String>,
    to: Spanned<String>,
    lag: Spanned<String>,
    typical: Spanned<String>,
    why: Spanned<String>,
}

/// Line numbers of one file.
struct Lines<'a> {
    name: &'a str,
    text: &'a str,
    /// The byte offset where each line starts: every place is looked up here, where counting
    /// the newlines before it each time took a quarter of the start-up (the built-in catalog
    /// has a few hundred places).
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(name: &'a str, text: &'a str) -> Lines<'a> {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
        let starts = std::iter::once(0).chain(newlines.map(|(i, _)| i + 1)).collect();
        Lines { name, text, starts }
    }

    /// (line, column), both from 1, of a byte offset.
    fn at(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let col = self.text.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    fn line(&self, span: Range<usize>) -> usize {
        self.at(span.start).0
    }

    /// `NAME: line N: MESSAGE`.
    fn err(&self, span: Range<usize>, msg: impl std::fmt::Display) -> String {
        format!("{}: line {}: {msg}", self.name, self.line(span))
    }
}

/// Where a signature's parts are, for errors found after merging.
struct Located {
    /// The file's name in errors.
    name: String,
    /// From a built-in file.
    builtin: bool,
    /// Line of its `id`.
    id_line: usize,
    /// Line of each pattern's `regex`.
    pattern_lines: Vec<usize>,
    /// Line of each example's `text` and of its `also`.
    example_lines: Vec<(usize, usize)>,
}

/// An edge with where it was written.
struct LocatedEdge {
    edge: Edge,
    name: String,
    line: usize,
}

/// One checked file.
struct Parsed {
    signatures: Vec<(Signature, Located)>,
    edges: Vec<LocatedEdge>,
}

/// Text fields must not carry control characters (escape sequences could rewrite the
/// terminal of whoever lists the catalog) nor bidirectional overrides; multi-line fields may
/// hold newlines and tabs.
fn check_text(field: &str, text: &str, multiline: bool) -> Result<(), String> {
    let bad = text.chars().find(|&c| {
        let allowed = multiline && (c == '\n' || c == '\t');
        (c.is_control() && !allowed)
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    match bad {
        Some(c) => Err(format!("{field} holds the control character U+{:04X}", c as u32)),
        None if text.trim().is_empty() && field != "text" => Err(format!("{field} is empty")),
        None => Ok(()),
    }
}

fn is_builtin(name: &str) -> bool {
    name == BUILTIN_CATALOG_NAME || name == BUILTIN_EDGES_NAME
}

/// Reads and checks one file.
fn parse(name: &str, text: &str) -> Result<Parsed, String> {
    let lines = Lines::new(name, text);
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().replace('`', "'");
        match e.span() {
            Some(span) => {
                let (line, col) = lines.at(span.start);
                format!("{name}: line {line}, column {col}: {msg}")
            }
            None => format!("{name}: {msg}"),
        }
    })?;
    if raw.schema.get_ref() != CATALOG_SCHEMA {
        return Err(lines.err(
            raw.schema.span(),
            format!("schema is '{}', expected '{CATALOG_SCHEMA}'", raw.schema.get_ref()),
        ));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut signatures = Vec::new();
    for rs in raw.signature {
        let id = rs.id.get_ref().clone();
        let at =
            |span: Range<usize>, msg: String| lines.err(span, format!("signature '{id}': {msg}"));
        if !is_snake_case(&id) {
            return Err(lines.err(
                rs.id.span(),
                format!("signature id '{id}' is not snake_case (a-z, 0-9, _)"),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), lines.line(rs.id.span())) {
            return Err(at(
                rs.id.span(),
                format!("the id appears twice in this file (line {first})"),
            ));
        }
        for (field, value, multiline) in [
            ("title", &rs.title, false),
            ("component", &rs.component, false),
            ("meaning", &rs.meaning, true),
            ("remediation", &rs.remediation, true),
        ] {
            check_text(field, value.get_ref(), multiline).map_err(|e| at(value.span(), e))?;
        }
        for r in &rs.references {
            check_text("a reference", r.get_ref(), false).map_err(|e| at(r.span(), e))?;
        }
        let severity = rs.severity.get_ref().to_ascii_lowercase();
        if !SEVERITIES.contains(&severity.as_str()) {
            return Err(at(
                rs.severity.span(),
                format!(
                    "severity '{}' is not one of {}",
                    rs.severity.get_ref(),
                    SEVERITIES.join(", ")
                ),
            ));
        }
        let effect = match &rs.effect {
            Some(e) if !EFFECTS.contains(&e.get_ref().as_str()) => {
                return Err(at(
                    e.span(),
                    format!("effect '{}' is not one of {}", e.get_ref(), EFFECTS.join(", ")),
                ));
            }
            Some(e) => Some(e.get_ref().clone()),
            None => None,
        };
        let mut sources = rs.sources.get_ref().clone();
        if sources.is_empty() {
            return Err(at(
                rs.sources.span(),
                "sources is empty: name the inputs it applies to".into(),
            ));
        }
        sources.dedup();
        if rs.pattern.is_empty() {
            return Err(at(rs.id.span(), "no [[signature.pattern]]: give at least one".into()));
        }
        let mut patterns = Vec::new();
        let mut pattern_lines = Vec::new();
        for p in &rs.pattern {
            let on = *p.on.get_ref();
            if !sources.iter().any(|s| s.reaches(on)) {
                return Err(at(
                    p.on.span(),
                    format!(
                        "a pattern on '{}' never sees text from its sources ({}): pg needs \
                         postgres, exception needs app or console",
                        on.as_str(),
                        sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let level = p.level.as_ref().map_or_else(Vec::new, |l| l.get_ref().clone());
            if let Some(l) = &p.level {
                LevelFilter::new(on, &level).map_err(|e| at(l.span(), e))?;
            }
            patterns.push(Pattern { on, regex: p.regex.get_ref().clone(), level });
            pattern_lines.push(lines.line(p.regex.span()));
        }
        let mut examples = Vec::new();
        let mut example_lines = Vec::new();
        for x in &rs.example {
            let on = *x.on.get_ref();
            check_text("text", x.text.get_ref(), true).map_err(|e| at(x.text.span(), e))?;
            if let Some(l) = &x.level {
                LevelFilter::new(on, std::slice::from_ref(l.get_ref()))
                    .map_err(|e| at(l.span(), e))?;
            }
            if let Some(v) = &x.version {
                check_text("version", v.get_ref(), false).map_err(|e| at(v.span(), e))?;
            }
            let also = x.also.as_ref().map_or_else(Vec::new, |a| a.get_ref().clone());
            let text_line = lines.line(x.text.span());
            let also_line = x.also.as_ref().map_or(text_line, |a| lines.line(a.span()));
            examples.push(Example {
                on,
                text: x.text.get_ref().clone(),
                level: x.level.as_ref().map(|l| l.get_ref().clone()),
                version: x.version.as_ref().map(|v| v.get_ref().clone()),
                also,
            });
            example_lines.push((text_line, also_line));
        }
        let located = Located {
            name: name.to_string(),
            builtin: is_builtin(name),
            id_line: lines.line(rs.id.span()),
            pattern_lines,
            example_lines,
        };
        let signature = Signature {
            id: id.clone(),
            title: rs.title.get_ref().trim().to_string(),
            component: rs.component.get_ref().trim().to_string(),
            sources,
            severity,
            failure: rs.failure,
            effect,
            patterns,
            meaning: rs.meaning.get_ref().trim().to_string(),
            remediation: rs.remediation.get_ref().trim().to_string(),
            references: rs.references.iter().map(|r| r.get_ref().trim().to_string()).collect(),
            examples,
        };
        signatures.push((signature, located));
    }
    let mut edges: Vec<LocatedEdge> = Vec::new();
    for re in raw.edge {
        let field_span = |field: &str| match field {
            "lag" => re.lag.span(),
            "typical" => re.typical.span(),
            "why" => re.why.span(),
            "to" => re.to.span(),
            _ => re.from.span(),
        };
        check_text("why", re.why.get_ref(), false).map_err(|e| lines.err(re.why.span(), e))?;
        let edge = graph::check_edge(
            re.from.get_ref(),
            re.to.get_ref(),
            re.lag.get_ref(),
            re.typical.get_ref(),
            re.why.get_ref(),
        )
        .map_err(|e| {
            lines.err(
                field_span(e.field),
                format!("edge {} -> {}: {}", re.from.get_ref(), re.to.get_ref(), e.message),
            )
        })?;
        let line = lines.line(re.from.span());
        if let Some(prev) = edges.iter().find(|p| p.edge.from == edge.from && p.edge.to == edge.to)
        {
            return Err(lines.err(
                re.from.span(),
                format!(
                    "edge {} -> {} appears twice in this file (line {})",
                    edge.from, edge.to, prev.line
                ),
            ));
        }
        edges.push(LocatedEdge { edge, name: name.to_string(), line });
    }
    Ok(Parsed { signatures, edges })
}

/// Reads, checks, merges and compiles catalog files given as (name, text), in order. Names
/// [`BUILTIN_CATALOG_NAME`] and [`BUILTIN_EDGES_NAME`] mark the built-in files (origin
/// `built-in`); any other name is the path of a user file and is the origin of its
/// signatures.
pub fn build(files: &[(&str, &str)]) -> Result<super::Catalog, String> {
    let mut merged: Vec<(Signature, Located, String)> = Vec::new();
    let mut edges: Vec<LocatedEdge> = Vec::new();
    for (name, text) in files {
        let parsed = parse(name, text)?;
        let origin = if is_builtin(name) { BUILTIN_ORIGIN.to_string() } else { name.to_string() };
        for (s, loc) in parsed.signatures {
            match merged.iter_mut().find(|(m, _, _)| m.id == s.id) {
                // A user file overrides a known id where it stands: reports keep their order.
                Some(slot) => *slot = (s, loc, origin.clone()),
                None => merged.push((s, loc, origin.clone())),
            }
        }
        for e in parsed.edges {
            match edges.iter_mut().find(|p| p.edge.from == e.edge.from && p.edge.to == e.edge.to) {
                Some(slot) => *slot = e,
                None => edges.push(e),
            }
        }
    }
    let ids: std::collections::HashSet<String> =
        merged.iter().map(|(s, _, _)| s.id.clone()).collect();
    let has = |id: &str| ids.contains(id);
    for e in &edges {
        graph::check_endpoints(&e.edge, &has)
            .map_err(|m| format!("{}: line {}: {m}", e.name, e.line))?;
    }
    for (s, loc, _) in &merged {
        for (x, (_, also_line)) in s.examples.iter().zip(&loc.example_lines) {
            if let Some(unknown) = x.also.iter().find(|a| !has(a)) {
                return Err(format!(
                    "{}: line {also_line}: signature '{}': example 'also' names '{unknown}', \
                     which no signature has",
                    loc.name, s.id
                ));
            }
        }
    }
    let mut signatures = Vec::with_capacity(merged.len());
    let mut origins = Vec::with_capacity(merged.len());
    let mut located = Vec::with_capacity(merged.len());
    for (s, loc, origin) in merged {
        signatures.push(s);
        origins.push(origin);
        located.push(loc);
    }
    let names: Vec<String> = signatures.iter().map(|s| s.id.clone()).collect();
    let what = |si: usize, pi: usize| match (located.get(si), names.get(si)) {
        (Some(l), Some(id)) => format!(
            "{}: line {}: signature '{id}'",
            l.name,
            l.pattern_lines.get(pi).copied().unwrap_or(l.id_line),
        ),
        _ => "a signature".to_string(),
    };
    let user: Vec<bool> = located.iter().map(|l| !l.builtin).collect();
    let catalog = Catalog::compile(
        signatures,
        origins,
        edges.into_iter().map(|e| e.edge).collect(),
        &what,
        &|si| user.get(si).copied().unwrap_or(true),
    )?;
    // Each example of a user file must be matched by its own signature: a wording that does
    // not match is a pattern (or an example) that is wrong. The built-in examples are checked
    // by the unit tests (src/detect/wordings.rs), more strictly, and not at every start.
    for (s, loc) in catalog.signatures.iter().zip(&located).filter(|(_, l)| !l.builtin) {
        for (x, (text_line, _)) in s.examples.iter().zip(&loc.example_lines) {
            let matched = s.source_for(x.on).is_some_and(|src| {
                catalog.matching(src, x.on, &x.text, x.level.as_deref()).contains(&s.id.as_str())
            });
            if !matched {
                return Err(format!(
                    "{}: line {text_line}: signature '{}': the example is not matched by any of \
                     its patterns on '{}'{}",
                    loc.name,
                    s.id,
                    x.on.as_str(),
                    x.level.as_deref().map_or(String::new(), |l| format!(" at level {l}"))
                ));
            }
        }
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn places_are_lines_and_columns_from_one() {
        let l = Lines::new("f", "ab\nçd\n\nx");
        assert_eq!(l.at(0), (1, 1));
        assert_eq!(l.at(2), (1, 3), "the newline ends its line");
        assert_eq!(l.at(3), (2, 1));
        assert_eq!(l.at(5), (2, 2), "columns count characters, not bytes");
        assert_eq!(l.at(7), (3, 1));
        assert_eq!(l.at(8), (4, 1));
        assert_eq!(l.at(99), (4, 2), "past the end is the end");
    }
}
