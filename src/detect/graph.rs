//! The causal graph's edges (placeholder until the catalog loader lands).

use rootcause_parsers::Micros;

/// A known causal edge: `from` typically precedes and explains `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Cause: a signature id.
    pub from: String,
    /// Effect: a signature id or a symptom id.
    pub to: String,
    /// Longest delay from a cause occurrence to the effect occurrence it causes.
    pub lag: Micros,
    /// The usual delay.
    pub typical: Micros,
    /// Why.
    pub why: String,
}

/// Edges used until the catalog file carries them.
pub fn placeholder_edges() -> Vec<Edge> {
    use rootcause_parsers::time::SECOND;
    let e = |from: &str, to: &str, lag: i64, typical: i64, why: &str| Edge {
        from: from.into(),
        to: to.into(),
        lag: lag * SECOND,
        typical: typical * SECOND,
        why: why.into(),
    };
    vec![
        e(
            "queuepool_exhausted",
            "symptom:http_5xx",
            10,
            1,
            "a request whose checkout timed out fails with HTTP 500",
        ),
        e("queuepool_exhausted", "symptom:funnel_drop", 10, 1, "the request stops at its checkout"),
        e(
            "queuepool_exhausted",
            "symptom:latency_plateau",
            30,
            2,
            "requests wait up to pool_timeout for a connection",
        ),
        e(
            "queuepool_exhausted",
            "thread_start_failed",
            120,
            10,
            "threads blocked on checkouts pile up",
        ),
        e(
            "queuepool_exhausted",
            "gunicorn_worker_timeout",
            60,
            30,
            "pool waits can exceed the worker timeout",
        ),
        e("thread_start_failed", "symptom:no_response", 10, 1, "the connection is dropped"),
        e("gunicorn_worker_timeout", "gu_signal_new", 35, 1, "SIGABRT, then SIGKILL"),
        e(
            "gunicorn_worker_timeout",
            "pg_eof_open_transaction",
            35,
            2,
            "the killed worker's transaction",
        ),
        e("gu_signal_new", "pg_eof_open_transaction", 10, 1, "the killed worker's transaction"),
        e("gunicorn_worker_timeout", "symptom:no_response", 60, 5, "the killed worker's request"),
        e("gu_signal_new", "symptom:no_response", 30, 1, "the killed worker's request"),
        e("gunicorn_worker_timeout", "symptom:funnel_drop", 60, 5, "the killed worker's request"),
        e("pg_too_many_clients", "symptom:http_5xx", 10, 1, "connect fails, 500"),
        e("pg_reserved_slots", "symptom:http_5xx", 10, 1, "connect fails, 500"),
        e("pg_too_many_clients", "symptom:pg_connections_near_max", 60, 1, "refused at the limit"),
    ]
}
