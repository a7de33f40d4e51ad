//! Comparing two runs: `rootcause diff` and `rootcause check`.
//!
//! Each side is a folder (or files) of logs, analysed as `analyze` would, or a report saved
//! with `analyze --format json`. Both become the same [`RunSummary`], read from the JSON form
//! of the report, so a saved report and the logs it was written from compare the same. The
//! schema name is checked: only `rootcause.report/v1` is read, with a clear error otherwise.
//!
//! Every row of a diff is judged by a test on the two samples, with a practical threshold so
//! that a significant but negligible change is not an alarm ([`Thresholds`]):
//!
//! - rates (errors, 5xx, no response, each funnel step) by Fisher's exact test, one-sided;
//! - the median latency by Mann-Whitney U on the successful requests' latencies;
//! - p90, p95, p99 by a quantile test (both samples cut at the pooled percentile, the shares
//!   above it compared by Fisher's exact test), with a bootstrap interval of the difference
//!   shown beside it;
//! - signature counts per request by a conditional binomial test; a failure signature that is
//!   new in the candidate is a regression by itself.

pub mod check;
pub mod render;
pub mod stats;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::report::SCHEMA;

/// What a comparison needs of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// The path it was read from.
    pub label: String,
    /// How: `logs` or `report` (a saved JSON report).
    pub from: &'static str,
    /// Requests sent.
    pub total: u64,
    /// Requests with a 5xx.
    pub status_5xx: u64,
    /// Requests without a response.
    pub no_response: u64,
    /// Failed requests (5xx, no response, or failed per an aggregating tool).
    pub failed: u64,
    /// True when an application log gave the funnel's stages.
    pub has_app_log: bool,
    /// sent, hit, started, completed.
    pub funnel: [u64; 4],
    /// Latency percentiles of successful requests: median, p90, p95, p99, mean (ms).
    pub latency: BTreeMap<&'static str, f64>,
    /// Successful requests measured.
    pub latency_n: u64,
    /// The latency sample the tests use.
    pub sample: Vec<f64>,
    /// Signatures: id → (count, is a failure signature).
    pub signatures: BTreeMap<String, (u64, bool)>,
}

/// Why a run could not be read for comparing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

/// How many bytes of a file are looked at to tell a saved report from a log.
const HEAD: usize = 4096;

/// True when `path` is a file that starts like a saved rootcause JSON report.
pub fn is_saved_report(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let mut head = vec![0; HEAD];
    let n = f.read(&mut head).unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]);
    let t = head.trim_start();
    t.starts_with('{') && t.contains("\"schema\"") && t.contains("\"rootcause.")
}

impl RunSummary {
    /// Reads a saved JSON report.
    pub fn from_file(path: &Path) -> Result<RunSummary, ReadError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ReadError(format!("{label}: cannot read: {e}")))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            ReadError(format!("{label}: not a JSON report: {e} (line {})", e.line()))
        })?;
        RunSummary::from_json(&v, &label, "report")
    }

    /// Reads the JSON form of a report (`rootcause.report/v1`).
    pub fn from_json(v: &Value, label: &str, from: &'static str) -> Result<RunSummary, ReadError> {
        let schema = v["schema"].as_str().unwrap_or("");
        if schema == crate::report::RUNS_SCHEMA {
            let n = v["runs"].as_array().map_or(0, Vec::len);
            return Err(ReadError(format!(
                "{label}: holds {n} runs ({schema}); compare one run's report (analyze one run \
                 with --format json)"
            )));
        }
        if schema != SCHEMA {
            let what = if schema.is_empty() { "no schema".to_string() } else { schema.into() };
            return Err(ReadError(format!(
                "{label}: report schema is {what}; this rootcause {} reads {SCHEMA} (re-run \
                 analyze --format json with this version, or compare with the version that \
                 wrote it)",
                env!("CARGO_PKG_VERSION")
            )));
        }
        let u = |x: &Value| x.as_u64().unwrap_or(0);
        let o = &v["outcomes"];
        let status = o["status"].as_object();
        let status_5xx = status
            .map_or(0, |m| m.iter().filter(|(k, _)| k.starts_with('5')).map(|(_, c)| u(c)).sum());
        let f = &v["funnel"];
        let l = &v["latency_ms"];
        let latency = [("median", "median"), ("p90", "p90"), ("p95", "p95"), ("p99", "p99")]
            .into_iter()
            .chain([("mean", "mean")])
            .filter_map(|(name, key)| Some((name, l[key].as_f64()?)))
            .collect();
        let sample = l["sample"]["values"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        let signatures = v["signatures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        let id = s["id"].as_str()?.to_string();
                        Some((id, (u(&s["count"]), s["failure"].as_bool().unwrap_or(false))))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(RunSummary {
            label: label.to_string(),
            from,
            total: u(&o["total"]),
            status_5xx,
            no_response: u(&o["no_response"]),
            failed: u(&o["failed"]),
            has_app_log: f["has_app_log"].as_bool().unwrap_or(false),
            funnel: [u(&f["sent"]), u(&f["hit"]), u(&f["started"]), u(&f["completed"])],
            latency,
            latency_n: u(&l["count"]),
            sample,
            signatures,
        })
    }
}

/// When a change counts: the significance level of the one-sided tests and the practical size
/// a change must also have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// One-sided significance level of each row's test.
    pub alpha: f64,
    /// Smallest relative latency change that matters (0.1 = 10%).
    pub latency: f64,
    /// Smallest change of a rate that matters, in percentage points.
    pub rate_pp: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { alpha: 0.01, latency: 0.10, rate_pp: 1.0 }
    }
}

/// A row's judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Worse, significantly and by at least the threshold.
    Worse,
    /// Better, likewise.
    Better,
    /// No change that is both significant and large enough.
    Same,
    /// A signature the baseline does not have.
    New,
    /// A signature only the baseline has.
    Gone,
    /// Not judged (no data on one side, or a number shown for context).
    NotJudged,
}

impl Verdict {
    /// Its JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Worse => "worse",
            Verdict::Better => "better",
            Verdict::Same => "same",
            Verdict::New => "new",
            Verdict::Gone => "gone",
            Verdict::NotJudged => "not_judged",
        }
    }
}

/// One compared quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// `outcomes`, `funnel`, `latency` or `signatures`.
    pub section: &'static str,
    /// What is compared: `error_rate`, `p95_ms`, a signature id, ...
    pub metric: String,
    /// The baseline's value.
    pub base: Option<f64>,
    /// The candidate's value.
    pub cand: Option<f64>,
    /// `cand − base`.
    pub delta: Option<f64>,
    /// `delta / base` in percent, when the base is not zero.
    pub delta_pct: Option<f64>,
    /// The test used.
    pub test: &'static str,
    /// Its one-sided p-value in the direction of the change, when a p-value applies.
    pub p_value: Option<f64>,
    /// The 95% bootstrap interval of the difference, for percentile rows.
    pub interval: Option<(f64, f64)>,
    /// The judgement.
    pub verdict: Verdict,
    /// True when this row makes the candidate a regression.
    pub regression: bool,
}

/// A comparison of two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// Always `rootcause.diff/v1`.
    pub schema: &'static str,
    /// The baseline's path and how it was read.
    pub base: Side,
    /// The candidate's.
    pub cand: Side,
    /// The thresholds used.
    pub alpha: f64,
    /// Smallest latency change that matters, percent.
    pub min_latency_change_pct: f64,
    /// Smallest rate change that matters, percentage points.
    pub min_rate_change_pp: f64,
    /// `regression`, `improvement` or `no_regression`.
    pub verdict: &'static str,
    /// What regressed: `errors`, `funnel`, `latency`, `new_signature`, `signatures`.
    pub regressions: Vec<&'static str>,
    /// Every compared row.
    pub rows: Vec<Row>,
}

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// The path given.
    pub path: String,
    /// `logs` or `report`.
    pub from: &'static str,
    /// Requests sent.
    pub requests: u64,
}

/// The schema name of `diff --format json`.
pub const DIFF_SCHEMA: &str = "rootcause.diff/v1";

fn pct(k: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| k as f64 * 100.0 / n as f64)
}

fn round(v: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (v * m).round() / m
}

/// The verdict of a change `change` (its sign says which way) with one-sided p-values `up`
/// (the candidate is higher) and `down`: worse or better only when the p-value of its
/// direction is below `alpha` and the change is `big` enough; with that p-value.
fn judge(
    up: Option<f64>,
    down: Option<f64>,
    change: Option<f64>,
    big: bool,
    higher_is_worse: bool,
    alpha: f64,
) -> (Verdict, Option<f64>) {
    let (Some(pu), Some(pd), Some(d)) = (up, down, change) else {
        return (Verdict::NotJudged, None);
    };
    let p = if d >= 0.0 { pu } else { pd };
    let v = match (p < alpha && big, (d > 0.0) == higher_is_worse) {
        (false, _) => Verdict::Same,
        (true, true) => Verdict::Worse,
        (true, false) => Verdict::Better,
    };
    (v, Some(p))
}

/// A rate row: `k/n` in percent, judged by Fisher's exact test; `higher_is_worse` says which
/// way is bad.
fn rate_row(
    section: &'static str,
    metric: &str,
    (k1, n1): (u64, u64),
    (k2, n2): (u64, u64),
    higher_is_worse: bool,
    t: &Thresholds,
) -> Row {
    let (base, cand) = (pct(k1, n1), pct(k2, n2));
    let delta = base.zip(cand).map(|(b, c)| c - b);
    let up = stats::fisher_greater(k1, n1, k2, n2);
    let down = stats::fisher_greater(n1 - k1.min(n1), n1, n2 - k2.min(n2), n2);
    let big = delta.is_some_and(|d| d.abs() >= t.rate_pp);
    let (verdict, p) = judge(up, down, delta, big, higher_is_worse, t.alpha);
    Row {
        section,
        metric: metric.to_string(),
        base: base.map(|v| round(v, 2)),
        cand: cand.map(|v| round(v, 2)),
        delta: delta.map(|v| round(v, 2)),
        delta_pct: None,
        test: "fisher_exact",
        p_value: p,
        interval: None,
        verdict,
        regression: verdict == Verdict::Worse,
    }
}

fn latency_rows(b: &RunSummary, c: &RunSummary, t: &Thresholds) -> Vec<Row> {
    let mut rows = Vec::new();
    for (metric, p) in [("median", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0)] {
        let (base, cand) = (b.latency.get(metric).copied(), c.latency.get(metric).copied());
        let delta = base.zip(cand).map(|(x, y)| y - x);
        let rel = base.zip(delta).and_then(|(x, d)| (x > 0.0).then(|| d / x));
        let mut row = Row {
            section: "latency",
            metric: format!("{metric}_ms"),
            base,
            cand,
            delta: delta.map(|v| round(v, 1)),
            delta_pct: rel.map(|r| round(r * 100.0, 1)),
            test: "",
            p_value: None,
            interval: None,
            verdict: Verdict::NotJudged,
            regression: false,
        };
        let big = rel.is_some_and(|r| r.abs() >= t.latency);
        let (up, down) = if metric == "median" {
            row.test = "mann_whitney_u";
            (
                stats::mann_whitney_greater(&b.sample, &c.sample),
                stats::mann_whitney_greater(&c.sample, &b.sample),
            )
        } else {
            row.test = "quantile_fisher";
            row.interval = stats::bootstrap_diff(&b.sample, &c.sample, p)
                .map(|(lo, hi)| (round(lo, 1), round(hi, 1)));
            (
                stats::quantile_greater(&b.sample, &c.sample, p),
                stats::quantile_greater(&c.sample, &b.sample, p),
            )
        };
        (row.verdict, row.p_value) = judge(up, down, rel, big, true, t.alpha);
        row.regression = row.verdict == Verdict::Worse;
        rows.push(row);
    }
    if let (Some(x), Some(y)) = (b.latency.get("mean"), c.latency.get("mean")) {
        rows.push(Row {
            section: "latency",
            metric: "mean_ms".into(),
            base: Some(*x),
            cand: Some(*y),
            delta: Some(round(y - x, 1)),
            delta_pct: (*x > 0.0).then(|| round((y - x) / x * 100.0, 1)),
            test: "",
            p_value: None,
            interval: None,
            verdict: Verdict::NotJudged,
            regression: false,
        });
    }
    rows
}

fn signature_rows(b: &RunSummary, c: &RunSummary, t: &Thresholds) -> Vec<Row> {
    let ids: std::collections::BTreeSet<&String> =
        b.signatures.keys().chain(c.signatures.keys()).collect();
    ids.into_iter()
        .map(|id| {
            let (cb, fb) = b.signatures.get(id).copied().unwrap_or((0, false));
            let (cc, fc) = c.signatures.get(id).copied().unwrap_or((0, false));
            let failure = fb || fc;
            let (nb, nc) = (b.total.max(1), c.total.max(1));
            let up = stats::rate_greater(cb, nb, cc, nc);
            let down = stats::rate_greater(cc, nc, cb, nb);
            let (verdict, p) = match (cb, cc) {
                (0, n) if n > 0 => (Verdict::New, up),
                (n, 0) if n > 0 => (Verdict::Gone, down),
                _ => {
                    let (rb, rc) = (cb as f64 / nb as f64, cc as f64 / nc as f64);
                    let big = (rc - rb).abs() >= t.latency * rb.max(1e-12);
                    judge(up, down, Some(rc - rb), big, true, t.alpha)
                }
            };
            Row {
                section: "signatures",
                metric: id.clone(),
                base: Some(cb as f64),
                cand: Some(cc as f64),
                delta: Some(cc as f64 - cb as f64),
                delta_pct: (cb > 0).then(|| round((cc as f64 - cb as f64) / cb as f64 * 100.0, 1)),
                test: "binomial_rate",
                p_value: p,
                interval: None,
                verdict,
                regression: failure && matches!(verdict, Verdict::New | Verdict::Worse),
            }
        })
        .collect()
}

/// Compares a candidate with its baseline.
pub fn diff(b: &RunSummary, c: &RunSummary, t: &Thresholds) -> Diff {
    let mut rows = vec![
        rate_row("outcomes", "error_rate_pct", (b.failed, b.total), (c.failed, c.total), true, t),
        rate_row(
            "outcomes",
            "5xx_rate_pct",
            (b.status_5xx, b.total),
            (c.status_5xx, c.total),
            true,
            t,
        ),
        rate_row(
            "outcomes",
            "no_response_rate_pct",
            (b.no_response, b.total),
            (c.no_response, c.total),
            true,
            t,
        ),
    ];
    if b.has_app_log && c.has_app_log {
        let names = ["reached_app_pct", "query_started_pct", "query_completed_pct"];
        for (i, name) in names.iter().enumerate() {
            let (kb, nb) = (b.funnel[i + 1], b.funnel[i]);
            let (kc, nc) = (c.funnel[i + 1], c.funnel[i]);
            rows.push(rate_row("funnel", name, (kb.min(nb), nb), (kc.min(nc), nc), false, t));
        }
    }
    rows.extend(latency_rows(b, c, t));
    rows.extend(signature_rows(b, c, t));
    let mut regressions: Vec<&'static str> = Vec::new();
    for r in rows.iter().filter(|r| r.regression) {
        let kind = match (r.section, r.verdict) {
            ("outcomes", _) => "errors",
            ("signatures", Verdict::New) => "new_signature",
            (s, _) => s,
        };
        if !regressions.contains(&kind) {
            regressions.push(kind);
        }
    }
    let better = rows.iter().any(|r| matches!(r.verdict, Verdict::Better | Verdict::Gone));
    let verdict = match (regressions.is_empty(), better) {
        (false, _) => "regression",
        (true, true) => "improvement",
        (true, false) => "no_regression",
    };
    Diff {
        schema: DIFF_SCHEMA,
        base: Side { path: b.label.clone(), from: b.from, requests: b.total },
        cand: Side { path: c.label.clone(), from: c.from, requests: c.total },
        alpha: t.alpha,
        min_latency_change_pct: round(t.latency * 100.0, 2),
        min_rate_change_pp: t.rate_pp,
        verdict,
        regressions,
        rows,
    }
}

/// Reads one side: a saved JSON report, or logs analysed as `analyze` would. An input that
/// cannot be read is an error here (a comparison on partial logs would mislead).
pub fn load(
    path: &Path,
    input: &crate::config::InputConfig,
    corr: &crate::config::CorrelateConfig,
    pool: &rayon::ThreadPool,
    catalog: &crate::detect::Catalog,
) -> Result<RunSummary, ReadError> {
    let label = path.display().to_string();
    if path.is_file() && is_saved_report(path) {
        return RunSummary::from_file(path);
    }
    let (rep, ingested) = crate::run::report(&[path.to_path_buf()], input, corr, 5, pool, catalog)
        .map_err(|e| ReadError(format!("{label}: {e}")))?;
    if let Some(e) = ingested.discover_errors.iter().find(|e| e.fatal) {
        return Err(ReadError(format!("{}: {}", e.path, e.message)));
    }
    if let Some(s) = ingested.sources.iter().find(|s| s.error.is_some()) {
        let e = s.error.as_deref().unwrap_or("");
        return Err(ReadError(format!("{}: {e}", s.input.display())));
    }
    let v = serde_json::to_value(&rep).map_err(|e| ReadError(format!("{label}: {e}")))?;
    RunSummary::from_json(&v, &label, "logs")
}
