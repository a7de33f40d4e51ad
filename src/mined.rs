//! What `rootcause patterns` reports: the templates mined from every input's texts
//! ([`crate::patterns`]), each with its count, first and last seen, kinds of source and an
//! example with its location, and, when the run has an onset ([`crate::onset`]), how its rate
//! changed between the time before the onset and the bad window ([`crate::changes`]).
//!
//! A template's occurrences are split at the onset by its per-second histogram: a bucket
//! counts before the onset when it starts before it, in the bad window when it starts in it
//! (buckets are one second wide unless the run is long, see [`crate::patterns::MAX_BUCKETS`]).
//! The windows are the run's span up to the onset, and the bad window up to its end (or the
//! run's end). Templates whose rate changed are ranked as [`crate::changes::changes`] ranks
//! them: new ones first, then significant rises, then falls.

use serde::Serialize;

use crate::changes::{self, Change, Item, Windows};
use crate::patterns::{FieldValue, Template};
use crate::report::OnsetReport;
use rootcause_parsers::Micros;

/// How the templates are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Most frequent first.
    Count,
    /// Most changed at the onset first (most frequent when there is no onset).
    Changed,
}

/// One template as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateOut {
    /// The template's id (the order of its example).
    pub id: u32,
    /// Its text, variable parts masked (`<NUM>`, `<ID>`, `<*>`...).
    pub template: String,
    /// Messages it groups.
    pub count: u64,
    /// Of those, messages without a time.
    pub untimed: u64,
    /// Of those, messages of events where a failure signature of the catalog in use matched
    /// a text (the template is then explained by the catalog, mostly).
    pub on_failure_lines: u64,
    /// First seen, RFC 3339.
    pub first_seen: Option<String>,
    /// Last seen, RFC 3339.
    pub last_seen: Option<String>,
    /// Kinds of text it came from: `app`, `console`, `exception`, `postgres`.
    pub kinds: Vec<&'static str>,
    /// The inputs it came from.
    pub sources: Vec<String>,
    /// The earliest message, as logged (cut to 500 bytes).
    pub example: String,
    /// Where the example is: `path:line`.
    pub example_at: String,
    /// Its change at the onset; null without an onset.
    pub change: Option<Change>,
}

/// The patterns report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Patterns {
    /// `rootcause.patterns/v1`.
    pub schema: &'static str,
    /// The onset the changes are measured at.
    pub onset: OnsetReport,
    /// Templates found in all, the overflow template included.
    pub total: usize,
    /// The templates listed, in the order asked.
    pub templates: Vec<TemplateOut>,
    /// The field values whose rate changed significantly at the onset, ranked as the
    /// templates' changes are (empty without an onset).
    pub fields: Vec<FieldOut>,
}

/// A field value whose rate changed at the onset.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldOut {
    /// `route`, `level`, `pid`, `pg_user`, `pg_app`, `pg_severity` or `exception`.
    pub field: &'static str,
    /// The value.
    pub value: String,
    /// Events that had it.
    pub count: u64,
    /// First seen, RFC 3339.
    pub first_seen: Option<String>,
    /// Where it was first seen: `path:line`.
    pub first_at: String,
    /// Its change at the onset.
    pub change: Change,
}

/// The schema name of [`Patterns`].
pub const SCHEMA: &str = "rootcause.patterns/v1";

/// The report of `templates` (mined over a run that spans `span`, whose onset search found
/// `onset`), ordered by `sort`, at most `limit` of them (0: all). `path_of` names an input.
pub fn build(
    templates: &[Template],
    fields: &[FieldValue],
    onset: &OnsetReport,
    span: Option<(Micros, Micros)>,
    sort: Sort,
    limit: usize,
    path_of: &dyn Fn(u32) -> String,
) -> Patterns {
    let windows = match (onset.at_us, span) {
        (Some(at), Some((start, end))) => Some((start, at, onset.until_us.unwrap_or(end).max(at))),
        _ => None,
    };
    let changes = windows.map(|(start, at, until)| {
        let series: Vec<_> =
            templates.iter().filter(|t| !t.overflow).map(|t| (&t.per_second, t.first)).collect();
        // The keys are indexes of `templates`: the overflow template comes last.
        changes_at(&series, start, at, until)
    });
    let field_changes = windows.map(|(start, at, until)| {
        let series: Vec<_> = fields.iter().map(|f| (&f.per_second, f.first)).collect();
        changes_at(&series, start, at, until)
    });
    let mut order: Vec<usize> = (0..templates.len()).collect();
    match (&changes, sort) {
        (Some(c), Sort::Changed) => {
            // `changes` ranks its items (the keys are the templates' indexes); the templates
            // it did not judge (none in either window, the overflow) follow by count.
            let judged: Vec<usize> = c.iter().filter_map(|ch| ch.key.parse().ok()).collect();
            let mut seen = vec![false; templates.len()];
            for &i in &judged {
                if let Some(s) = seen.get_mut(i) {
                    *s = true;
                }
            }
            let mut rest: Vec<usize> = order.into_iter().filter(|&i| !seen[i]).collect();
            rest.sort_by_key(|&i| (std::cmp::Reverse(templates[i].count), templates[i].id));
            order = judged.into_iter().chain(rest).collect();
        }
        _ => order.sort_by_key(|&i| (std::cmp::Reverse(templates[i].count), templates[i].id)),
    }
    if limit > 0 {
        order.truncate(limit);
    }
    let by_index: std::collections::HashMap<usize, &Change> =
        changes.iter().flatten().filter_map(|c| Some((c.key.parse::<usize>().ok()?, c))).collect();
    let change_of = |i: usize| by_index.get(&i).map(|&c| c.clone());
    let out = order
        .into_iter()
        .map(|i| {
            let t = &templates[i];
            TemplateOut {
                id: t.id,
                template: crate::report::sanitize(&t.text),
                count: t.count,
                untimed: t.untimed,
                on_failure_lines: t.matched,
                first_seen: t.first.map(rootcause_parsers::time::format_rfc3339_micros),
                last_seen: t.last.map(rootcause_parsers::time::format_rfc3339_micros),
                kinds: t.kinds.iter().copied().collect(),
                sources: t.sources.iter().map(|&s| path_of(s)).collect(),
                example: crate::report::sanitize(&t.example),
                example_at: format!("{}:{}", path_of(t.example_at.source), t.example_at.line),
                change: change_of(i),
            }
        })
        .collect();
    let fields = field_changes
        .into_iter()
        .flatten()
        .filter(|c| c.significant)
        .filter_map(|c| {
            let f = fields.get(c.key.parse::<usize>().ok()?)?;
            Some(FieldOut {
                field: f.field,
                value: crate::report::sanitize(&f.value),
                count: f.count,
                first_seen: f.first.map(rootcause_parsers::time::format_rfc3339_micros),
                first_at: format!("{}:{}", path_of(f.first_at.source), f.first_at.line),
                change: c,
            })
        })
        .collect();
    Patterns {
        schema: SCHEMA,
        onset: onset.clone(),
        total: templates.len(),
        templates: out,
        fields,
    }
}

/// The changes of series (each a histogram by second and its first time; keys are their
/// indexes) between `[start, onset)` and `[onset, until)`.
fn changes_at(
    series: &[(&std::collections::BTreeMap<i64, u64>, Option<Micros>)],
    start: Micros,
    onset: Micros,
    until: Micros,
) -> Vec<Change> {
    let second = 1_000_000;
    let (onset_s, until_s) = (onset.div_euclid(second), until.div_euclid(second));
    let items: Vec<Item> = series
        .iter()
        .enumerate()
        .map(|(i, (per_second, first))| {
            let (mut before, mut after) = (0, 0);
            for (&k, &n) in per_second.iter() {
                if k < onset_s {
                    before += n;
                } else if k <= until_s {
                    after += n;
                }
            }
            let item = Item::new(i.to_string(), before, after);
            match *first {
                Some(f) => item.first_at(f),
                None => item,
            }
        })
        .collect();
    let w = Windows {
        before_s: ((onset - start) as f64 / 1e6).max(1.0),
        after_s: ((until - onset) as f64 / 1e6).max(1.0),
        onset_us: onset,
    };
    changes::changes(&items, &w, &changes::Options::default())
}

/// The patterns report as terminal text: a sentence on the onset, then one table row per
/// template (its change when there is an onset), then each template's example and location.
pub fn render(p: &Patterns, width: usize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use crate::report::table::{RenderOptions, table, wrap};
    let o = &p.onset;
    let onset = match (o.status, &o.at, o.before, o.after) {
        ("onset", Some(at), Some(b), Some(a)) => {
            let what = match o.signal {
                Some("latency") => "latency rose",
                Some("funnel_loss") => "the funnel loss rose",
                _ => "the failure rate rose",
            };
            let slower = match (o.signal, o.median_latency_ms) {
                (Some("latency"), Some(m)) => {
                    format!("median {:.0} ms before, {:.0} ms after; ", m.before, m.after)
                }
                _ => String::new(),
            };
            format!(
                "Onset: {what} at {at} ({slower}{} of {} requests failed before, {} of {} \
                 after; p = {:.1e}). Templates are ranked by their change there.",
                b.failed,
                b.requests,
                a.failed,
                a.requests,
                o.p_value.unwrap_or(f64::NAN)
            )
        }
        ("from_start", ..) => {
            "Onset: none, the run failed from its start; templates by count.".to_string()
        }
        ("too_few", ..) => "Onset: too few requests to find one; templates by count.".to_string(),
        _ => "Onset: none, neither failures nor latency rose; templates by count.".to_string(),
    };
    writeln!(out, "{}", wrap(&onset, width, "  "))?;
    writeln!(out, "{} templates in all, {} shown.", p.total, p.templates.len())?;
    let w = u16::try_from(width).unwrap_or(u16::MAX);
    let changed = p.templates.iter().any(|t| t.change.is_some());
    let header: &[&str] = if changed {
        &["#", "count", "before/s", "after/s", "q", "first vs onset", "kinds", "template"]
    } else {
        &["#", "count", "first seen", "last seen", "kinds", "template"]
    };
    let mut t = table(&RenderOptions::plain(w), header);
    for (k, row) in p.templates.iter().enumerate() {
        let kinds = row.kinds.join(",");
        let mut cells: Vec<String> = vec![(k + 1).to_string(), row.count.to_string()];
        match &row.change {
            Some(c) if changed => {
                let mark = if c.new && c.significant {
                    " new"
                } else if c.significant {
                    " *"
                } else {
                    ""
                };
                cells.push(format!("{:.3}", c.rate_before));
                cells.push(format!("{:.3}{mark}", c.rate_after));
                cells.push(c.q_value.map_or("-".to_string(), |q| format!("{q:.1e}")));
                let first = c.first_after_onset_us.map(|us| us as f64 / 1e6);
                cells.push(first.map_or("-".to_string(), |s| format!("{s:+.1} s")));
            }
            None if changed => cells.extend(["-", "-", "-", "-"].map(String::from)),
            _ => {
                let hms = |t: &Option<String>| {
                    t.as_deref().and_then(|t| t.get(11..23)).unwrap_or("-").to_string()
                };
                cells.push(hms(&row.first_seen));
                cells.push(hms(&row.last_seen));
            }
        }
        cells.push(kinds);
        cells.push(row.template.clone());
        t.add_row(cells);
    }
    writeln!(out, "{t}")?;
    if changed {
        writeln!(
            out,
            "{}",
            wrap(
                "Rates per second before the onset and in the bad window; q: the two-sided \
                 conditional binomial test's p-value, Benjamini-Hochberg adjusted; * significant \
                 at q <= 0.01, new: none before the onset.",
                width,
                ""
            )
        )?;
    }
    if !p.fields.is_empty() {
        writeln!(out, "\nField values that changed at the onset")?;
        let mut t = table(
            &RenderOptions::plain(w),
            &["field", "value", "count", "before/s", "after/s", "q", "first vs onset", "first at"],
        );
        for f in &p.fields {
            let c = &f.change;
            let first = c.first_after_onset_us.map(|us| us as f64 / 1e6);
            t.add_row(vec![
                f.field.to_string(),
                f.value.clone(),
                f.count.to_string(),
                format!("{:.3}", c.rate_before),
                format!("{:.3}{}", c.rate_after, if c.new { " new" } else { "" }),
                c.q_value.map_or("-".to_string(), |q| format!("{q:.1e}")),
                first.map_or("-".to_string(), |s| format!("{s:+.1} s")),
                f.first_at.clone(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    writeln!(out, "\nExamples")?;
    for (k, row) in p.templates.iter().enumerate() {
        writeln!(out, "  {:>3}. {}  {}", k + 1, row.example_at, row.example)?;
    }
    Ok(())
}
