//! `rootcause signatures`: lists the signature catalog or explains one signature.
//!
//! The output is for people (terminal text and tables, Markdown) or programs (JSON, schema
//! `rootcause.signatures/v1`). Text from a catalog file is data: every piece of it goes
//! through [`sanitize`] before it reaches a terminal (user files are refused when they carry
//! control characters, and this is the second guard). Writes to the `&mut dyn Write` it is
//! given, nothing else.
//!
//! ```
//! use rootcause::config::SignaturesConfig;
//! use rootcause::{cli::SignaturesFormat, detect::Catalog, signatures};
//! let catalog = Catalog::builtin().unwrap();
//! let c = SignaturesConfig {
//!     id: Some("queuepool_exhausted".into()),
//!     suggest: None,
//!     format: SignaturesFormat::Table,
//!     width: 100,
//!     catalog: Default::default(),
//! };
//! let mut out = Vec::new();
//! signatures::render(&catalog, &c, &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().starts_with("queuepool_exhausted: SQLAlchemy"));
//! ```

use std::io::{self, Write};

use comfy_table::{Cell, ColumnConstraint};
use serde_json::{Value, json};

use crate::cli::SignaturesFormat;
use crate::config::SignaturesConfig;
use crate::detect::graph::{SYMPTOMS, show_lag};
use crate::detect::{BUILTIN_ORIGIN, Catalog, Edge, Signature};
use crate::report::sanitize;
use crate::report::table::{RenderOptions, table, wrap};

/// The JSON schema name of `signatures -f json`.
pub const SCHEMA: &str = "rootcause.signatures/v1";

/// An unknown signature id, with the closest known ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId(pub String);

impl std::fmt::Display for UnknownId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnknownId {}

/// Renders the list (no id) or one signature.
pub fn render(catalog: &Catalog, c: &SignaturesConfig, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(id) = &c.id else {
        match c.format {
            SignaturesFormat::Table => list_table(catalog, c.width, out)?,
            SignaturesFormat::Json => json_out(catalog, None, out)?,
            SignaturesFormat::Md => list_md(catalog, out)?,
        }
        return Ok(());
    };
    let Some(index) = catalog.index(id) else {
        return Err(UnknownId(unknown(catalog, id)).into());
    };
    match c.format {
        SignaturesFormat::Table => explain_text(catalog, index, c.width, out)?,
        SignaturesFormat::Json => json_out(catalog, Some(index), out)?,
        SignaturesFormat::Md => explain_md(catalog, index, out)?,
    }
    Ok(())
}

/// The error for an unknown id: the closest ids by prefix and edit distance.
fn unknown(catalog: &Catalog, id: &str) -> String {
    let id_l = id.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = catalog
        .signatures
        .iter()
        .map(|s| {
            let d = if s.id.starts_with(&id_l) || id_l.starts_with(&s.id) {
                0
            } else {
                edit_distance(&id_l, &s.id)
            };
            (d, s.id.as_str())
        })
        .filter(|(d, s)| *d <= (s.len().max(id_l.len()) / 3).max(2))
        .collect();
    scored.sort();
    let close: Vec<&str> = scored.iter().take(5).map(|(_, s)| *s).collect();
    let shown = sanitize(id);
    if close.is_empty() {
        format!("no signature has the id '{shown}' (rootcause signatures lists them)")
    } else {
        format!("no signature has the id '{shown}'; closest: {}", close.join(", "))
    }
}

/// Levenshtein distance over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn sources(s: &Signature) -> String {
    s.sources.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The files the catalog came from, in order.
fn loaded(catalog: &Catalog) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for o in &catalog.origins {
        if !v.contains(o) {
            v.push(o.clone());
        }
    }
    v.iter().map(|o| sanitize(o)).collect()
}

fn count_line(catalog: &Catalog) -> String {
    let failures = catalog.signatures.iter().filter(|s| s.failure).count();
    format!(
        "{} signatures ({failures} failure, {} context), {} causal edges; loaded: {}.",
        catalog.signatures.len(),
        catalog.signatures.len() - failures,
        catalog.edges.len(),
        loaded(catalog).join(", ")
    )
}

fn list_table(catalog: &Catalog, width: u16, out: &mut dyn Write) -> io::Result<()> {
    let o = RenderOptions::plain(width);
    let mut t = table(&o, &["id", "severity", "failure", "component", "sources", "title"]);
    // Ids, severities, the failure flag and components stay whole; sources and titles wrap.
    for col in [0, 1, 2, 3] {
        if let Some(c) = t.column_mut(col) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    for s in &catalog.signatures {
        t.add_row(vec![
            Cell::new(&s.id),
            Cell::new(&s.severity),
            Cell::new(yes_no(s.failure)),
            Cell::new(sanitize(&s.component)),
            Cell::new(s.sources.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",")),
            Cell::new(sanitize(&s.title)),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "{}", wrap(&count_line(catalog), usize::from(width), "  "))?;
    writeln!(out, "Explain one with: rootcause signatures ID")
}

fn md_cell(s: &str) -> String {
    sanitize(s).replace('|', "\\|")
}

fn list_md(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| id | severity | failure | component | sources | title |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for s in &catalog.signatures {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            s.id,
            s.severity,
            yes_no(s.failure),
            md_cell(&s.component),
            sources(s),
            md_cell(&s.title)
        )?;
    }
    writeln!(out, "\n{}", md_cell(&count_line(catalog)))
}

/// A text shown on one line: newlines and tabs as `\n` and `\t`, then sanitised.
fn one_line(s: &str) -> String {
    sanitize(&s.replace('\n', "\\n").replace('\t', "\\t"))
}

/// `A -> B lag 35s (typical 1s): why`, for an edge.
fn edge_line(e: &Edge) -> String {
    format!(
        "{} -> {} lag {} (typical {}): {}",
        e.from,
        e.to,
        show_lag(e.lag),
        show_lag(e.typical),
        sanitize(&e.why)
    )
}

fn explain_text(
    catalog: &Catalog,
    index: usize,
    width: u16,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(s) = catalog.signatures.get(index) else { return Ok(()) };
    let w = usize::from(width);
    let para = |out: &mut dyn Write, text: &str| -> io::Result<()> {
        for p in text.split("\n\n") {
            writeln!(out, "  {}", wrap(&sanitize(p), w.saturating_sub(2), "  "))?;
        }
        Ok(())
    };
    writeln!(out, "{}: {}", s.id, sanitize(&s.title))?;
    let effect = s.effect.as_deref().map_or(String::new(), |e| format!(" (effect: {e})"));
    writeln!(
        out,
        "{}",
        wrap(
            &format!(
                "component: {}; sources: {}; severity: {}; failure: {}{effect}",
                sanitize(&s.component),
                sources(s),
                s.severity,
                yes_no(s.failure)
            ),
            w,
            "  "
        )
    )?;
    let origin = catalog.origins.get(index).map_or(BUILTIN_ORIGIN.to_string(), |o| sanitize(o));
    writeln!(out, "origin: {origin}")?;
    writeln!(out, "\nMeaning")?;
    para(out, &s.meaning)?;
    writeln!(out, "\nRemediation")?;
    para(out, &s.remediation)?;
    writeln!(out, "\nPatterns")?;
    for p in &s.patterns {
        let level = if p.level.is_empty() {
            String::new()
        } else {
            format!(" (level {})", sanitize(&p.level.join(", ")))
        };
        writeln!(out, "  on {}{level}: {}", p.on.as_str(), one_line(&p.regex))?;
    }
    writeln!(out, "\nExamples")?;
    for x in &s.examples {
        let mut tags = vec![x.on.as_str().to_string()];
        if let Some(l) = &x.level {
            tags.push(sanitize(l));
        }
        if let Some(v) = &x.version {
            tags.push(sanitize(v));
        }
        if !x.also.is_empty() {
            tags.push(format!("also {}", x.also.join(", ")));
        }
        writeln!(out, "  [{}]", tags.join("; "))?;
        writeln!(out, "    {}", one_line(&x.text))?;
    }
    if !s.references.is_empty() {
        writeln!(out, "\nReferences")?;
        for r in &s.references {
            writeln!(out, "  - {}", sanitize(r))?;
        }
    }
    let into: Vec<&Edge> = catalog.edges_to(&s.id).collect();
    let from: Vec<&Edge> = catalog.edges_from(&s.id).collect();
    writeln!(out, "\nCaused by ({})", into.len())?;
    for e in into {
        writeln!(out, "  {}", wrap(&edge_line(e), w.saturating_sub(2), "      "))?;
    }
    writeln!(out, "\nLeads to ({})", from.len())?;
    for e in from {
        writeln!(out, "  {}", wrap(&edge_line(e), w.saturating_sub(2), "      "))?;
    }
    Ok(())
}

fn explain_md(catalog: &Catalog, index: usize, out: &mut dyn Write) -> io::Result<()> {
    let Some(s) = catalog.signatures.get(index) else { return Ok(()) };
    let text = |t: &str| sanitize(t);
    writeln!(out, "## `{}`: {}\n", s.id, text(&s.title))?;
    let effect = s.effect.as_deref().map_or(String::new(), |e| format!(", effect `{e}`"));
    let origin = catalog.origins.get(index).map_or(BUILTIN_ORIGIN.to_string(), |o| text(o));
    writeln!(
        out,
        "Component {}; sources {}; severity {}; {}{effect}. Origin: {origin}.\n",
        text(&s.component),
        sources(s),
        s.severity,
        if s.failure { "a failure" } else { "context" },
    )?;
    writeln!(out, "### Meaning\n\n{}\n", text(&s.meaning))?;
    writeln!(out, "### Remediation\n\n{}\n", text(&s.remediation))?;
    writeln!(out, "### Patterns\n\n| on | level | regex |\n|---|---|---|")?;
    for p in &s.patterns {
        writeln!(
            out,
            "| {} | {} | `{}` |",
            p.on.as_str(),
            md_cell(&p.level.join(", ")),
            md_cell(&one_line(&p.regex))
        )?;
    }
    writeln!(out, "\n### Examples\n")?;
    for x in &s.examples {
        let mut tags = vec![x.on.as_str().to_string()];
        tags.extend(x.level.iter().map(|l| text(l)));
        tags.extend(x.version.iter().map(|v| text(v)));
        if !x.also.is_empty() {
            tags.push(format!("also {}", x.also.join(", ")));
        }
        writeln!(out, "- {}:\n\n  ```text\n  {}\n  ```", tags.join("; "), one_line(&x.text))?;
    }
    if !s.references.is_empty() {
        writeln!(out, "\n### References\n")?;
        for r in &s.references {
            writeln!(out, "- {}", text(r))?;
        }
    }
    writeln!(
        out,
        "\n### Causal edges\n\n| from | to | lag | typical | why |\n|---|---|---|---|---|"
    )?;
    for e in catalog.edges_to(&s.id).chain(catalog.edges_from(&s.id)) {
        writeln!(
            out,
            "| `{}` | `{}` | {} | {} | {} |",
            e.from,
            e.to,
            show_lag(e.lag),
            show_lag(e.typical),
            md_cell(&e.why)
        )?;
    }
    Ok(())
}

fn signature_json(catalog: &Catalog, index: usize) -> Value {
    let Some(s) = catalog.signatures.get(index) else { return Value::Null };
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        let origin = catalog.origins.get(index).map_or(BUILTIN_ORIGIN, String::as_str);
        o.insert("origin".into(), json!(origin));
    }
    v
}

fn edge_json(e: &Edge) -> Value {
    json!({
        "from": e.from,
        "to": e.to,
        "lag": show_lag(e.lag),
        "lag_us": e.lag,
        "typical": show_lag(e.typical),
        "typical_us": e.typical,
        "why": e.why,
    })
}

fn json_out(catalog: &Catalog, index: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    let (signatures, edges): (Vec<Value>, Vec<Value>) = match index {
        None => (
            (0..catalog.signatures.len()).map(|i| signature_json(catalog, i)).collect(),
            catalog.edges.iter().map(edge_json).collect(),
        ),
        Some(i) => {
            let id = catalog.signatures.get(i).map_or("", |s| s.id.as_str());
            (
                vec![signature_json(catalog, i)],
                catalog
                    .edges
                    .iter()
                    .filter(|e| e.from == id || e.to == id)
                    .map(edge_json)
                    .collect(),
            )
        }
    };
    let symptoms: Vec<Value> =
        SYMPTOMS.iter().map(|(id, title)| json!({"id": id, "title": title})).collect();
    let v = json!({
        "schema": SCHEMA,
        "signatures": signatures,
        "edges": edges,
        "symptoms": symptoms,
        "loaded": loaded(catalog),
    });
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_str(id: Option<&str>, format: SignaturesFormat) -> Result<String, String> {
        let catalog = Catalog::builtin()?;
        let c = SignaturesConfig {
            id: id.map(str::to_string),
            suggest: None,
            format,
            width: 100,
            catalog: Default::default(),
        };
        let mut out = Vec::new();
        render(&catalog, &c, &mut out).map_err(|e| e.to_string())?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    #[test]
    fn lists_and_explains() {
        let list = render_str(None, SignaturesFormat::Table).unwrap();
        assert!(list.contains("│ queuepool_exhausted "), "{list}");
        assert!(list.contains("causal edges; loaded: built-in."), "{list}");
        let one = render_str(Some("gunicorn_worker_timeout"), SignaturesFormat::Table).unwrap();
        assert!(one.starts_with("gunicorn_worker_timeout: gunicorn killed a worker"), "{one}");
        assert!(one.contains("  on message: \\bWORKER TIMEOUT \\(pid:(?P<pid>\\d+)\\)"), "{one}");
        assert!(one.contains("gunicorn_worker_timeout -> gu_signal_new lag 35s (typical 1s)"));
        let md = render_str(Some("queuepool_exhausted"), SignaturesFormat::Md).unwrap();
        assert!(md.starts_with("## `queuepool_exhausted`: SQLAlchemy QueuePool exhausted"));
        let json: Value =
            serde_json::from_str(&render_str(None, SignaturesFormat::Json).unwrap()).unwrap();
        assert_eq!(json["schema"], SCHEMA);
        assert!(json["signatures"].as_array().unwrap().len() >= 90);
        assert_eq!(json["signatures"][0]["origin"], "built-in");
        assert_eq!(json["signatures"][0]["patterns"][0]["on"], "exception");
    }

    #[test]
    fn unknown_ids_name_the_closest() {
        let err = render_str(Some("queuepool_exausted"), SignaturesFormat::Table).unwrap_err();
        assert!(err.contains("closest: queuepool_exhausted"), "{err}");
        let err = render_str(Some("gu_sig"), SignaturesFormat::Table).unwrap_err();
        assert!(err.contains("gu_signal"), "{err}");
        let err =
            render_str(Some("\u{1b}[2Jzzzzzzzzzzzzzzzzzz"), SignaturesFormat::Json).unwrap_err();
        assert!(
            !err.contains('\u{1b}') && err.contains("rootcause signatures lists them"),
            "{err}"
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
