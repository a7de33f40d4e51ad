//! Hypothesise: from failure signatures and the failures the load tool saw, a first causal
//! explanation, or an honest "no failure found".
//!
//! The root is the earliest failure signature that is active when requests start failing: its
//! first occurrence is no later than the first observed failure (plus a tolerance for
//! second-resolution timestamps), and it still occurs at most [`ACTIVE_BEFORE`] before it. The
//! chain is the root followed by the other failure signatures in order of first occurrence.
//! Confidence combines temporal precedence, how many of the failures the chain's effects
//! account for, and the number of occurrences; it is never 1.
//!
//! Pure: no I/O. Every sentence of a summary is built from counts and times of the run.

use std::collections::BTreeSet;

use rootcause_parsers::Micros;
use rootcause_parsers::time::{SECOND, format_rfc3339};

use crate::detect::{Catalog, Finding};
use crate::funnel::Funnel;
use crate::loadtest::{FailureKind, LoadTest};

/// How much later than the first observed failure a cause may be logged (clocks of one
/// machine, second-resolution stamps such as gunicorn's).
pub const TOLERANCE: Micros = 2 * SECOND;
/// A signature that stopped this long before the failures began is not their cause.
pub const ACTIVE_BEFORE: Micros = 60 * SECOND;

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No failed request and no failure signature.
    NoFailure,
    /// Failures, and a hypothesis that explains them.
    Explained,
    /// Requests failed, but no catalogued signature explains them.
    Unexplained,
    /// Failure signatures in the logs, but the load tool saw no failure (or there is no load
    /// tool data).
    SignaturesOnly,
}

impl Verdict {
    /// Stable name for the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NoFailure => "no_failure",
            Verdict::Explained => "explained",
            Verdict::Unexplained => "unexplained",
            Verdict::SignaturesOnly => "signatures_only",
        }
    }
}

/// One ranked explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// 1 for the most likely.
    pub rank: u32,
    /// Index (into the findings) of the root signature.
    pub root: usize,
    /// Indices of the findings in the chain, root first, in order of first occurrence.
    pub chain: Vec<usize>,
    /// The failure kinds the chain accounts for.
    pub effects: Vec<FailureKind>,
    /// 0..1.
    pub confidence: f64,
    /// One paragraph with the counts and times behind it.
    pub summary: String,
    /// The fix it implies, with the run's own numbers where the logs give them.
    pub fix: String,
    /// Facts that weaken it.
    pub against: Vec<String>,
}

/// The verdict and the hypotheses.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The verdict.
    pub verdict: Verdict,
    /// One sentence for the top of a report.
    pub statement: String,
    /// Ranked hypotheses (empty unless there are failure signatures).
    pub hypotheses: Vec<Hypothesis>,
}

/// A confidence as a word.
pub fn confidence_label(c: f64) -> &'static str {
    if c >= 0.75 {
        "high"
    } else if c >= 0.5 {
        "medium"
    } else {
        "low"
    }
}

fn hms(ts: Micros) -> String {
    // 2026-11-25T15:39:43.109Z -> 15:39:43.109
    let s = format_rfc3339(ts);
    s.get(11..23).map_or(s.clone(), str::to_string)
}

fn when(ts: Option<Micros>) -> String {
    ts.map_or_else(|| "an unknown time".to_string(), hms)
}

fn seconds(d: Micros) -> String {
    if d.abs() < SECOND {
        format!("{} ms", d / 1000)
    } else {
        format!("{:.1} s", d as f64 / SECOND as f64)
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Builds the diagnosis.
pub fn hypothesise(
    lt: &LoadTest,
    funnel: &Funnel,
    findings: &[Finding],
    catalog: &Catalog,
) -> Diagnosis {
    let failing: Vec<usize> = (0..findings.len())
        .filter(|&i| catalog.signatures.get(findings[i].signature).is_some_and(|s| s.failure))
        .collect();
    let failed = lt.outcomes.failed();
    let onset = lt.failures.values().map(|f| f.first_observed).min();
    let failure_sentence = || {
        let (first, last) = (
            lt.failures.values().map(|f| f.first_observed).min(),
            lt.failures.values().map(|f| f.last_observed).max(),
        );
        let unknown = match lt.outcomes.failed_unknown {
            0 => String::new(),
            n => format!(", {n} failed with a status the load tool did not record"),
        };
        let when_seen = match (first, last) {
            (Some(_), Some(_)) => format!(", observed from {} to {} UTC", when(first), when(last)),
            _ => ". The load tool's aggregates give no times".to_string(),
        };
        format!(
            "{failed} of {} requests failed ({} with HTTP 5xx, {} without a response{unknown}){}.",
            lt.outcomes.total,
            lt.outcomes.range(500, 599),
            lt.outcomes.no_response,
            when_seen,
        )
    };

    if failing.is_empty() {
        return if failed == 0 {
            let statement = if lt.outcomes.total > 0 {
                format!(
                    "No failure found: all {} requests got a response, none of them a 5xx, and \
                     no failure signature appears in the logs.",
                    lt.outcomes.total
                )
            } else {
                "No failure found: no failure signature appears in the logs (no load-test data \
                 was given)."
                    .to_string()
            };
            Diagnosis { verdict: Verdict::NoFailure, statement, hypotheses: Vec::new() }
        } else {
            Diagnosis {
                verdict: Verdict::Unexplained,
                statement: format!(
                    "{} No catalogued failure signature appears in the logs, so rootcause has no \
                     hypothesis; check that the server and database logs of the run were given.",
                    failure_sentence()
                ),
                hypotheses: Vec::new(),
            }
        };
    }

    // Order failure findings by first occurrence (untimed last).
    let mut by_time = failing.clone();
    by_time.sort_by_key(|&i| {
        (findings[i].first_seen.is_none(), findings[i].first_seen, findings[i].signature)
    });
    let active = |i: usize| -> bool {
        let f = &findings[i];
        match (onset, f.first_seen, f.last_seen) {
            (Some(on), Some(first), Some(last)) => {
                first <= on + TOLERANCE && last >= on - ACTIVE_BEFORE
            }
            _ => false,
        }
    };
    let (root, precedes) = match by_time.iter().copied().find(|&i| active(i)) {
        Some(i) => (i, true),
        None => (by_time[0], onset.is_none()),
    };
    let mut chain = vec![root];
    chain.extend(by_time.iter().copied().filter(|&i| i != root));

    let sig = |i: usize| &catalog.signatures[findings[i].signature];
    let effects: BTreeSet<FailureKind> = chain
        .iter()
        .filter_map(|&i| match sig(i).effect.as_deref() {
            Some("http_5xx") => Some(FailureKind::Http5xx),
            Some("no_response") => Some(FailureKind::NoResponse),
            _ => None,
        })
        .filter(|k| lt.failures.contains_key(k))
        .collect();
    let explained: u64 = effects.iter().filter_map(|k| lt.failures.get(k)).map(|f| f.count).sum();
    let coverage = if failed > 0 { explained as f64 / failed as f64 } else { 0.5 };
    let rootf = &findings[root];
    let volume = if rootf.count >= 3 { 1.0 } else { 0.5 };
    let temporal = if precedes { 1.0 } else { 0.3 };
    let mut confidence = 0.2 + 0.4 * temporal + 0.3 * coverage + 0.1 * volume;
    if failed == 0 {
        confidence = confidence.min(0.45);
    }
    let confidence = (confidence.min(0.95) * 100.0).round() / 100.0;

    let mut against = Vec::new();
    if !precedes {
        if let (Some(on), Some(first)) = (onset, rootf.first_seen) {
            against.push(format!(
                "{} is first seen at {}, {} after the first failure was observed ({})",
                sig(root).id,
                hms(first),
                seconds(first - on),
                hms(on)
            ));
        }
    }
    if failed > 0 && explained < failed {
        let unexplained: Vec<String> = lt
            .failures
            .iter()
            .filter(|(k, _)| !effects.contains(k))
            .map(|(k, f)| format!("{} {}", f.count, k.as_str()))
            .collect();
        if !unexplained.is_empty() {
            against.push(format!(
                "no signature in the chain explains {} of the failures",
                unexplained.join(" and ")
            ));
        }
    }
    if failed == 0 {
        against.push(if lt.outcomes.total > 0 {
            format!("the load tool saw no failure in {} requests", lt.outcomes.total)
        } else {
            "no load-test data was given, so the effect on requests is unknown".to_string()
        });
    }

    // The summary paragraph.
    let mut s = String::new();
    if failed > 0 {
        s.push_str(&failure_sentence());
        s.push(' ');
    }
    let r = sig(root);
    s.push_str(&format!(
        "The earliest failure signature {} is {} ({}): {} from {} to {} UTC",
        if failed > 0 { "around that time" } else { "in the logs" },
        r.id,
        r.title,
        plural(rootf.count, "occurrence", "occurrences"),
        when(rootf.first_seen),
        when(rootf.last_seen),
    ));
    if let (Some(on), Some(first)) = (onset, rootf.first_seen) {
        let d = first - on;
        if d <= 0 {
            s.push_str(&format!(
                ", first seen {} before the first failure was observed",
                seconds(-d)
            ));
        } else {
            s.push_str(&format!(
                ", first seen {} after the first failure was observed",
                seconds(d)
            ));
        }
    }
    s.push_str(". ");
    s.push_str(first_sentence(&r.meaning));
    for &i in chain.iter().skip(1) {
        let f = &findings[i];
        s.push_str(&format!(
            " It was followed by {} ({}, {} from {} to {}).",
            sig(i).id,
            sig(i).title,
            plural(f.count, "occurrence", "occurrences"),
            when(f.first_seen),
            when(f.last_seen)
        ));
    }
    for k in &effects {
        if let Some(f) = lt.failures.get(k) {
            let by: Vec<String> = chain
                .iter()
                .filter(|&&i| sig(i).effect.as_deref() == Some(k.as_str()))
                .map(|&i| format!("{} × {}", findings[i].count, sig(i).id))
                .collect();
            s.push_str(&format!(
                " The {} {} failures line up with {}.",
                f.count,
                k.as_str(),
                by.join(" and ")
            ));
        }
    }
    if funnel.has_app_log && funnel.overall.sent > 0 {
        let c = funnel.overall;
        s.push_str(&format!(
            " Funnel: {} sent, {} reached the app, {} started a query, {} completed it",
            c.sent, c.hit, c.started, c.completed
        ));
        match c.biggest_loss() {
            Some((from, to, lost)) => {
                s.push_str(&format!("; most requests were lost between {from} and {to} ({lost})."))
            }
            None => s.push('.'),
        }
    }

    let fix = fix_for(r.id.as_str(), rootf, &r.remediation, lt, funnel);
    let hypothesis = Hypothesis {
        rank: 1,
        root,
        chain,
        effects: effects.into_iter().collect(),
        confidence,
        summary: s,
        fix,
        against,
    };
    let (verdict, statement) = if failed > 0 {
        (
            Verdict::Explained,
            format!(
                "{} Most likely cause: {} ({} confidence).",
                failure_sentence(),
                r.id,
                confidence_label(confidence)
            ),
        )
    } else {
        (
            Verdict::SignaturesOnly,
            format!(
                "Failure signatures were found ({} first), but {}.",
                r.id,
                if lt.outcomes.total > 0 {
                    "the load tool saw no failed request"
                } else {
                    "there is no load-test data to show their effect"
                }
            ),
        )
    };
    Diagnosis { verdict, statement, hypotheses: vec![hypothesis] }
}

fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// The remediation, prefixed with the numbers the logs give for this signature.
fn fix_for(id: &str, f: &Finding, remediation: &str, lt: &LoadTest, funnel: &Funnel) -> String {
    let facts = match id {
        "queuepool_exhausted" => {
            match (f.top_capture("size"), f.top_capture("overflow"), f.top_capture("timeout")) {
                (Some(size), Some(overflow), Some(timeout)) => {
                    let total = size
                        .parse::<i64>()
                        .ok()
                        .zip(overflow.parse::<i64>().ok())
                        .map(|(a, b)| a + b.max(0));
                    let mut facts = format!(
                        "The pool allows pool_size {size} + max_overflow {overflow}{} connections \
                         per process and waits {timeout} s for one (pool_timeout).",
                        total.map_or(String::new(), |t| format!(" = {t}"))
                    );
                    let median = funnel.query_ms.as_ref().map(|q| q.median).filter(|m| *m > 0.0);
                    if let (Some(total), Some(median)) = (total, median) {
                        let capacity = total as f64 * 1000.0 / median;
                        facts.push_str(&format!(
                            " At the median query time of {median:.0} ms, {total} connections \
                             complete at most about {capacity:.0} queries per second per process"
                        ));
                        match lt.send_rate {
                            Some(r) => facts.push_str(&format!(
                                "; the load tool sent up to {} requests in one second (from {} UTC).",
                                r.peak_per_s,
                                hms(r.peak_at)
                            )),
                            None => facts.push('.'),
                        }
                    }
                    Some(facts)
                }
                _ => None,
            }
        }
        "gunicorn_worker_timeout" => {
            let pids = f.captures.get("pid").map_or(0, |v| v.len()) as u64;
            Some(format!(
                "gunicorn killed {} for exceeding its timeout ({}).",
                plural(f.count, "worker", "workers"),
                plural(pids, "distinct pid", "distinct pids")
            ))
        }
        _ => None,
    };
    match facts {
        Some(facts) => format!("{facts} {remediation}"),
        None => remediation.to_string(),
    }
}
