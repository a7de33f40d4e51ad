//! Causal edges between catalog signatures and the symptoms a run shows.
//!
//! An [`Edge`] `A → B` says that A typically precedes and explains B: a slow query holds a pool
//! connection (`pg_stmt_timeout → queuepool_exhausted`), a pool timeout fails the request
//! (`queuepool_exhausted → symptom:http_5xx`). Its `lag` is the longest plausible delay from
//! an occurrence of A to the occurrence of B it causes, `typical` the usual one. B is a
//! signature id or one of the fixed [`SYMPTOMS`]; symptoms are sinks, never a `from`.
//!
//! Edges are written as `[[edge]]` tables in catalog files (the built-in ones in
//! `src/detect/causal.toml`); this module checks one edge at a time ([`check_edge`]) and the
//! endpoints once the catalog is merged ([`check_endpoints`]). No I/O.

use rootcause_parsers::Micros;
use serde::Serialize;

/// The symptom nodes: (id, what it means). Fixed: the analysis measures them from the
/// load-test and Postgres data, not from a log pattern.
pub const SYMPTOMS: &[(&str, &str)] = &[
    ("symptom:http_5xx", "requests answered with HTTP 5xx"),
    ("symptom:no_response", "requests that got no response"),
    ("symptom:latency_plateau", "latency rose to a plateau"),
    ("symptom:funnel_drop", "requests lost at one funnel stage"),
    ("symptom:pg_connections_near_max", "Postgres connection count near max_connections"),
];

/// True for one of the [`SYMPTOMS`] ids.
pub fn is_symptom(id: &str) -> bool {
    SYMPTOMS.iter().any(|(s, _)| *s == id)
}

/// A causal edge: `from` typically precedes and explains `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The cause: a signature id.
    pub from: String,
    /// The effect: a signature id or a symptom id.
    pub to: String,
    /// Longest plausible delay from an occurrence of `from` to the one of `to` it causes, µs.
    pub lag: Micros,
    /// The usual delay, µs (at most `lag`).
    pub typical: Micros,
    /// Why `from` leads to `to`, one sentence.
    pub why: String,
}

/// What is wrong with an edge, and in which field (`from`, `to`, `lag`, `typical`, `why`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Reads and checks an edge's own fields: the lags parse (`10s`, `500ms`, `2m`), are not
/// negative, `typical <= lag`, `from` is not a symptom and differs from `to`, `why` is given.
/// Endpoints are checked against the merged catalog by [`check_endpoints`].
pub fn check_edge(
    from: &str,
    to: &str,
    lag: &str,
    typical: &str,
    why: &str,
) -> Result<Edge, EdgeError> {
    let fail = |field: &'static str, message: String| Err(EdgeError { field, message });
    if is_symptom(from) {
        return fail(
            "from",
            format!("'{from}' is a symptom: symptoms are effects only, never a 'from'"),
        );
    }
    if from == to {
        return fail("to", format!("'{from}' cannot cause itself"));
    }
    let duration = |text: &str| crate::config::parse_duration(text).filter(|d| *d >= 0);
    let Some(lag_us) = duration(lag) else {
        return fail("lag", format!("lag '{lag}' is not a duration (e.g. 10s, 500ms, 2m)"));
    };
    let Some(typical_us) = duration(typical) else {
        return fail(
            "typical",
            format!("typical '{typical}' is not a duration (e.g. 10s, 500ms, 2m)"),
        );
    };
    if lag_us == 0 {
        return fail("lag", "lag must be more than 0".into());
    }
    if typical_us > lag_us {
        return fail("typical", format!("typical '{typical}' is longer than lag '{lag}'"));
    }
    if why.trim().is_empty() {
        return fail("why", "'why' is empty: say why the cause leads to the effect".into());
    }
    Ok(Edge {
        from: from.to_string(),
        to: to.to_string(),
        lag: lag_us,
        typical: typical_us,
        why: why.trim().to_string(),
    })
}

/// Checks that `from` is a signature id of the catalog and `to` a signature or symptom id.
pub fn check_endpoints(edge: &Edge, has_signature: &dyn Fn(&str) -> bool) -> Result<(), String> {
    if !has_signature(&edge.from) {
        return Err(format!("edge from '{}': no signature has this id", edge.from));
    }
    if !has_signature(&edge.to) && !is_symptom(&edge.to) {
        let symptoms: Vec<&str> = SYMPTOMS.iter().map(|(s, _)| *s).collect();
        return Err(format!(
            "edge to '{}': no signature has this id, and it is not a symptom ({})",
            edge.to,
            symptoms.join(", ")
        ));
    }
    Ok(())
}

/// Formats a lag for people: `35s`, `1.5s`, `500ms`, `2m`.
pub fn show_lag(us: Micros) -> String {
    const S: Micros = 1_000_000;
    if us % (60 * S) == 0 && us >= 60 * S {
        format!("{}m", us / (60 * S))
    } else if us % S == 0 {
        format!("{}s", us / S)
    } else if us % 1000 == 0 && us < S {
        format!("{}ms", us / 1000)
    } else {
        format!("{}s", us as f64 / S as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_checked() {
        let e = check_edge("a", "symptom:http_5xx", "10s", "1s", "because").unwrap();
        assert_eq!((e.lag, e.typical), (10_000_000, 1_000_000));
        let err = |f: &str, t: &str, lag: &str, typ: &str, why: &str| {
            let e = check_edge(f, t, lag, typ, why).unwrap_err();
            format!("{}: {}", e.field, e.message)
        };
        assert!(err("symptom:http_5xx", "a", "1s", "1s", "w").starts_with("from: 'symptom:"));
        assert!(err("a", "a", "1s", "1s", "w").contains("itself"));
        assert!(err("a", "b", "soon", "1s", "w").starts_with("lag: lag 'soon'"));
        assert!(err("a", "b", "-1s", "1s", "w").starts_with("lag: lag '-1s'"));
        assert!(err("a", "b", "1s", "x", "w").starts_with("typical: typical 'x'"));
        assert!(err("a", "b", "1s", "2s", "w").starts_with("typical: typical '2s' is longer"));
        assert!(err("a", "b", "0s", "0s", "w").contains("more than 0"));
        assert!(err("a", "b", "1s", "1s", " ").starts_with("why: "));
        let has = |id: &str| id == "a" || id == "b";
        assert!(check_endpoints(&e, &has).is_ok());
        let bad = Edge { to: "symptom:nope".into(), ..e.clone() };
        assert!(check_endpoints(&bad, &has).unwrap_err().contains("not a symptom"));
        let bad = Edge { from: "z".into(), ..e };
        assert!(check_endpoints(&bad, &has).unwrap_err().contains("from 'z'"));
    }

    #[test]
    fn lags_read_back() {
        assert_eq!(show_lag(35_000_000), "35s");
        assert_eq!(show_lag(120_000_000), "2m");
        assert_eq!(show_lag(500_000), "500ms");
        assert_eq!(show_lag(1_500_000), "1.5s");
    }
}
