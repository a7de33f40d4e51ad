//! `rootcause check`: rules a run must keep, for CI. Exit 0 when every rule holds, 1 when one
//! is broken, 2 on usage or input errors.
//!
//! Rules come from flags and from a config file (`--config FILE`: one `rule = value` per line,
//! `#` comments, the same names as the flags), flags after the file. A latency rule fails only
//! when the increase is over its limit *and* significant, so noise does not fail a build; an error-rate limit is
//! absolute (a latency rule is significant when its one-sided test, Mann-Whitney U for the
//! median and the quantile test for p95/p99, gives p < 0.01); `fail-on` names a signature id, `new` (a failure signature the baseline does not
//! have) or `any` (any failure signature).

use std::fmt::Write as _;

use super::{RunSummary, stats};

/// Significance level of the latency rules' tests.
pub const ALPHA: f64 = 0.01;

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// The latency percentile (50, 95, 99) may rise by at most this share (0.1 = 10%).
    MaxLatencyIncrease {
        /// Which percentile.
        percentile: u8,
        /// The limit.
        share: f64,
    },
    /// The share of failed requests (5xx, no response) may be at most this (0.01 = 1%).
    MaxErrorRate(f64),
    /// The share of requests without a response may be at most this.
    MaxNoResponseRate(f64),
    /// Fail when this signature is found: an id, `new` or `any`.
    FailOn(String),
}

impl Rule {
    /// The rule as written on the command line.
    pub fn name(&self) -> String {
        match self {
            Rule::MaxLatencyIncrease { percentile, share } => {
                let p = if *percentile == 50 { "p50".into() } else { format!("p{percentile}") };
                format!("max-{p}-increase {}", show_pct(*share))
            }
            Rule::MaxErrorRate(s) => format!("max-error-rate {}", show_pct(*s)),
            Rule::MaxNoResponseRate(s) => format!("max-no-response-rate {}", show_pct(*s)),
            Rule::FailOn(id) => format!("fail-on {id}"),
        }
    }

    /// True when the rule compares with a baseline.
    pub fn needs_baseline(&self) -> bool {
        match self {
            Rule::MaxLatencyIncrease { .. } => true,
            Rule::FailOn(id) => id == "new",
            _ => false,
        }
    }
}

fn show_pct(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-9 { format!("{p:.0}%") } else { format!("{p}%") }
}

/// Reads `10%`, `0.5%` or `0.1` (a share).
pub fn parse_share(v: &str) -> Option<f64> {
    let v = v.trim();
    let share = match v.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => v.parse::<f64>().ok()?,
    };
    (share.is_finite() && share >= 0.0).then_some(share)
}

/// Parses one `name = value` (or flag name and value).
pub fn parse_rule(name: &str, value: &str) -> Result<Rule, String> {
    let share = || {
        parse_share(value)
            .ok_or_else(|| format!("{name}: '{value}' is not a percentage (e.g. 10% or 0.1)"))
    };
    match name.trim().trim_start_matches("--") {
        "max-p50-increase" | "max-median-increase" => {
            Ok(Rule::MaxLatencyIncrease { percentile: 50, share: share()? })
        }
        "max-p95-increase" => Ok(Rule::MaxLatencyIncrease { percentile: 95, share: share()? }),
        "max-p99-increase" => Ok(Rule::MaxLatencyIncrease { percentile: 99, share: share()? }),
        "max-error-rate" => Ok(Rule::MaxErrorRate(share()?)),
        "max-no-response-rate" => Ok(Rule::MaxNoResponseRate(share()?)),
        "fail-on" => {
            let id = value.trim();
            let ok = !id.is_empty()
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if ok {
                Ok(Rule::FailOn(id.to_string()))
            } else {
                Err(format!("fail-on: '{value}' is not a signature id"))
            }
        }
        other => Err(format!(
            "unknown rule '{other}' (known: max-p50-increase, max-p95-increase, \
             max-p99-increase, max-error-rate, max-no-response-rate, fail-on)"
        )),
    }
}

/// Reads a config file's rules; errors name the file and line.
pub fn parse_config(text: &str, file: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{file}:{}: expected 'rule = value', got '{line}'", i + 1))?;
        rules.push(parse_rule(name, value).map_err(|e| format!("{file}:{}: {e}", i + 1))?);
    }
    Ok(rules)
}

/// The outcome of one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The rule as written.
    pub rule: String,
    /// True when it holds.
    pub passed: bool,
    /// Why, with the numbers.
    pub reason: String,
}

fn rate(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// Judges every rule on `run` against `base`.
pub fn check(rules: &[Rule], run: &RunSummary, base: Option<&RunSummary>) -> Vec<Outcome> {
    rules
        .iter()
        .map(|rule| {
            let (passed, reason) = judge(rule, run, base);
            Outcome { rule: rule.name(), passed, reason }
        })
        .collect()
}

fn judge(rule: &Rule, run: &RunSummary, base: Option<&RunSummary>) -> (bool, String) {
    match rule {
        Rule::MaxErrorRate(limit) | Rule::MaxNoResponseRate(limit) => {
            let (k, what) = match rule {
                Rule::MaxErrorRate(_) => (run.failed, "failed"),
                _ => (run.no_response, "got no response"),
            };
            let r = rate(k, run.total);
            let passed = r <= *limit;
            let reason = format!(
                "{k} of {} requests {what} ({:.2}%; limit {})",
                run.total,
                r * 100.0,
                show_pct(*limit)
            );
            (passed, reason)
        }
        Rule::MaxLatencyIncrease { percentile, share } => {
            let Some(base) = base else {
                return (false, "needs --baseline".into());
            };
            let key = match percentile {
                50 => "median",
                95 => "p95",
                _ => "p99",
            };
            let (Some(b), Some(c)) = (base.latency.get(key), run.latency.get(key)) else {
                return (false, "no latency on one side: nothing to compare".into());
            };
            let rel = if *b > 0.0 { (c - b) / b } else { 0.0 };
            let interval = stats::bootstrap_diff(&base.sample, &run.sample, f64::from(*percentile));
            let p = if *percentile == 50 {
                stats::mann_whitney_greater(&base.sample, &run.sample)
            } else {
                stats::quantile_greater(&base.sample, &run.sample, f64::from(*percentile))
            };
            let significant = p.is_some_and(|p| p < ALPHA);
            let over = rel > *share;
            let mut reason = format!(
                "p{percentile} {c:.1} ms against {b:.1} ms ({:+.1}%; limit +{})",
                rel * 100.0,
                show_pct(*share)
            );
            if let Some(p) = p {
                let _ = write!(reason, "; one-sided p = {p:.4}");
            }
            if let Some((lo, hi)) = interval {
                let _ = write!(reason, "; 95% interval of the difference {lo:+.1}..{hi:+.1} ms");
            }
            if over && !significant {
                let _ = write!(
                    reason,
                    "; over the limit, but not significant at {ALPHA} with these samples: not \
                     failed"
                );
            }
            (!(over && significant), reason)
        }
        Rule::FailOn(id) => {
            let found: Vec<(&String, u64)> = run
                .signatures
                .iter()
                .filter(|(sid, (n, failure))| {
                    *n > 0
                        && match id.as_str() {
                            "any" => *failure,
                            "new" => {
                                *failure
                                    && base.is_some_and(|b| {
                                        b.signatures.get(*sid).is_none_or(|(m, _)| *m == 0)
                                    })
                            }
                            other => sid.as_str() == other,
                        }
                })
                .map(|(sid, (n, _))| (sid, *n))
                .collect();
            if id == "new" && base.is_none() {
                return (false, "needs --baseline".into());
            }
            if found.is_empty() {
                (true, "not found".into())
            } else {
                let list: Vec<String> = found.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
                (false, format!("found: {}", list.join(", ")))
            }
        }
    }
}

/// Escapes text for XML.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per rule.
pub fn junit(outcomes: &[Outcome], run: &str) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"rootcause check\" tests=\"{}\" failures=\"{failures}\">",
        outcomes.len()
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"rootcause check {}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        xml(run),
        outcomes.len()
    );
    for o in outcomes {
        let _ = write!(s, "    <testcase classname=\"rootcause.check\" name=\"{}\"", xml(&o.rule));
        if o.passed {
            let _ = writeln!(
                s,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                xml(&o.reason)
            );
        } else {
            let _ = writeln!(
                s,
                ">\n      <failure message=\"{}\" type=\"rule\">{}</failure>\n    </testcase>",
                xml(&o.reason),
                xml(&o.reason)
            );
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_flags_and_files() {
        assert_eq!(
            parse_rule("--max-p95-increase", "10%"),
            Ok(Rule::MaxLatencyIncrease { percentile: 95, share: 0.1 })
        );
        assert_eq!(parse_rule("max-error-rate", "0.5%"), Ok(Rule::MaxErrorRate(0.005)));
        assert_eq!(parse_rule("max-error-rate", "0.02"), Ok(Rule::MaxErrorRate(0.02)));
        assert!(parse_rule("max-error-rate", "lots").is_err());
        assert!(parse_rule("max-speed", "1").unwrap_err().contains("unknown rule 'max-speed'"));
        assert!(parse_rule("fail-on", "a b").is_err());
        let text = "# CI limits\nmax-p95-increase = 10%\n\nfail-on = queuepool_exhausted # pool\n";
        let rules = parse_config(text, "ci.conf").expect("parses");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1], Rule::FailOn("queuepool_exhausted".into()));
        let err = parse_config("max-p95-increase 10%\n", "ci.conf").unwrap_err();
        assert!(err.starts_with("ci.conf:1: expected 'rule = value'"), "{err}");
        let err = parse_config("\nmax-error-rate = x\n", "ci.conf").unwrap_err();
        assert!(err.starts_with("ci.conf:2: max-error-rate"), "{err}");
        assert_eq!(
            Rule::MaxLatencyIncrease { percentile: 95, share: 0.1 }.name(),
            "max-p95-increase 10%"
        );
    }

    fn run(failed: u64, sigs: &[(&str, u64, bool)], sample: Vec<f64>) -> RunSummary {
        let mut r = RunSummary { total: 100, failed, ..RunSummary::default() };
        r.signatures = sigs.iter().map(|(s, n, f)| (s.to_string(), (*n, *f))).collect();
        let mut v = sample.clone();
        r.latency.insert("p95", stats::percentile(&mut v, 95.0).unwrap_or(0.0));
        r.latency.insert("median", stats::percentile(&mut v, 50.0).unwrap_or(0.0));
        r.sample = sample;
        r
    }

    #[test]
    fn rules_judge_runs() {
        let fast: Vec<f64> = (0..400).map(|i| 100.0 + (i % 40) as f64).collect();
        let slow: Vec<f64> = fast.iter().map(|v| v * 1.5).collect();
        let base = run(0, &[("gunicorn_worker_timeout", 2, true)], fast.clone());
        let cand =
            run(3, &[("queuepool_exhausted", 5, true), ("gunicorn_worker_timeout", 1, true)], slow);
        let rules = [
            Rule::MaxLatencyIncrease { percentile: 95, share: 0.1 },
            Rule::MaxErrorRate(0.05),
            Rule::MaxErrorRate(0.01),
            Rule::FailOn("new".into()),
            Rule::FailOn("pg_too_many_clients".into()),
        ];
        let out = check(&rules, &cand, Some(&base));
        let passed: Vec<bool> = out.iter().map(|o| o.passed).collect();
        assert_eq!(passed, [false, true, false, false, true], "{out:#?}");
        assert!(out[3].reason.contains("queuepool_exhausted ×5"), "{}", out[3].reason);
        assert!(!out[3].reason.contains("gunicorn"), "not new");
        // The same distribution: a latency rule holds.
        let same = run(0, &[], fast.iter().rev().copied().collect());
        assert!(check(&rules[..1], &same, Some(&base))[0].passed);
        // Rules that need a baseline fail without one, saying so.
        assert_eq!(check(&rules[..1], &cand, None)[0].reason, "needs --baseline");
    }

    #[test]
    fn junit_has_one_case_per_rule_and_escapes() {
        let out = vec![
            Outcome { rule: "max-error-rate 1%".into(), passed: true, reason: "ok".into() },
            Outcome {
                rule: "fail-on x".into(),
                passed: false,
                reason: "found: <x> & \"y\"".into(),
            },
        ];
        let x = junit(&out, "runs/a&b");
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(x.contains("failures=\"1\""));
        assert!(x.contains("found: &lt;x&gt; &amp; &quot;y&quot;"));
        assert!(x.contains("runs/a&amp;b"));
    }
}
