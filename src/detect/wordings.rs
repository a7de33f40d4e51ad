//! The built-in catalog against the real wordings it lists.
//!
//! Every `[[signature.example]]` of `catalog.toml` goes through the real detect path, as an
//! event of each kind of input the signature applies to (an application exception or message,
//! a console traceback or line, a Postgres entry at the example's level), and must light up
//! exactly its own signature and the ids its `also` names: a regex that is too narrow misses
//! its own wording, one that is too broad catches another signature's.

use std::collections::BTreeSet;

use rootcause_parsers::console::{ConsoleLog, ConsoleTraceback, Envelope};
use rootcause_parsers::jsonlog::AppEvent;
use rootcause_parsers::postgres::PgRecord;
use rootcause_parsers::traceback::{ExcLine, Section, Traceback};

use super::*;
use crate::correlate::correlate;

/// An event carrying `text` as a text of kind `on`, from an input of kind `source`.
fn event(source: Source, on: On, text: &str, level: Option<&str>) -> Event {
    let log_level = level.and_then(|l| Level::from_word(l.as_bytes()));
    let traceback = || {
        let (exc_type, message) = text.split_once(": ").unwrap_or((text, ""));
        Traceback {
            sections: vec![Section {
                link: None,
                frames: Vec::new(),
                exception: ExcLine { exc_type: exc_type.into(), message: message.into() },
                leaves: Vec::new(),
                line_offset: 0,
            }],
        }
    };
    let kind = match (source, on) {
        (Source::Postgres, _) | (_, On::Pg) => {
            let severity = level.and_then(pg_severity);
            EventKind::Db(Box::new(PgRecord {
                ts: Some(1),
                severity,
                message: text.into(),
                ..PgRecord::default()
            }))
        }
        (Source::App, On::Exception) => EventKind::app(
            AppEvent {
                level: log_level,
                message: "Uncaught exception".into(),
                exception: Some(traceback()),
                ..AppEvent::default()
            },
            None,
        ),
        (Source::App, On::Message) => EventKind::app(
            AppEvent { level: log_level, message: text.into(), ..AppEvent::default() },
            None,
        ),
        (_, On::Exception) => EventKind::console(ConsoleRecord::Traceback(ConsoleTraceback {
            ts: Some(1),
            ts_inferred: false,
            intro: None,
            client: None,
            traceback: traceback(),
            header_offset: 0,
        })),
        (_, On::Message) => EventKind::console(ConsoleRecord::Log(ConsoleLog {
            ts: Some(1),
            ts_inferred: false,
            pid: None,
            level: log_level,
            message: text.into(),
            envelope: Envelope::Plain,
        })),
    };
    Event { ts: Some(1), source: 0, line: 1, kind }
}

/// The ids (failure and context) the detector finds in one event.
fn found(cat: &Catalog, ev: Event) -> BTreeSet<String> {
    detect(&correlate(vec![ev]), cat, 1)
        .into_iter()
        .map(|f| cat.signatures[f.signature].id.clone())
        .collect()
}

#[test]
fn every_example_matches_its_signature_and_no_other() {
    let cat = Catalog::builtin().unwrap();
    let mut problems = Vec::new();
    let mut tried = 0;
    for s in &cat.signatures {
        for x in &s.examples {
            let mut also_seen = BTreeSet::new();
            for &src in s.sources.iter().filter(|src| src.reaches(x.on)) {
                if src == Source::Loadtest {
                    continue; // no load-test text is matched today
                }
                let want: BTreeSet<String> = std::iter::once(s.id.clone())
                    .chain(
                        x.also
                            .iter()
                            .filter(|a| cat.get(a).is_some_and(|o| o.sources.contains(&src)))
                            .cloned(),
                    )
                    .collect();
                let got = found(&cat, event(src, x.on, &x.text, x.level.as_deref()));
                tried += 1;
                also_seen.extend(got.iter().filter(|g| x.also.contains(g)).cloned());
                if got != want {
                    problems.push(format!(
                        "{} ({} as {}, {:?}): got {got:?}, want {want:?}\n    {:?}",
                        s.id,
                        x.on.as_str(),
                        src.as_str(),
                        x.version.as_deref().unwrap_or("-"),
                        x.text
                    ));
                }
            }
            for a in x.also.iter().filter(|a| !also_seen.contains(*a)) {
                problems.push(format!("{}: 'also' names {a}, never matched: {:?}", s.id, x.text));
            }
        }
    }
    assert!(tried > 200, "{tried} examples tried");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_pattern_kind_has_an_example_with_a_version() {
    let cat = Catalog::builtin().unwrap();
    let mut problems = Vec::new();
    for s in &cat.signatures {
        if s.examples.is_empty() {
            problems.push(format!("{}: no example", s.id));
        }
        for on in On::ALL {
            let has_pattern = s.patterns.iter().any(|p| p.on == on);
            let has_example = s.examples.iter().any(|x| x.on == on);
            if has_pattern && !has_example {
                problems.push(format!("{}: patterns on {} but no example", s.id, on.as_str()));
            }
            if has_example && !has_pattern {
                problems.push(format!("{}: an example on {} but no pattern", s.id, on.as_str()));
            }
        }
        for x in s.examples.iter().filter(|x| x.version.is_none()) {
            problems.push(format!("{}: example without a version: {:?}", s.id, x.text));
        }
        if s.references.is_empty() {
            problems.push(format!("{}: no reference", s.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every id `../shared/SIGNATURES.md` defines in sections 1-11, typed out from the file, and
/// the ids the catalog gives its headings and messages that have none there.
const SIGNATURES_MD: &[&str] = &[
    // 1. SQLAlchemy
    "queuepool_exhausted",
    "sqla_error_code_url",
    "sqla_dbapi_wrapper",
    "sqla_cant_reconnect_invalid_txn",
    "sqla_session_rolled_back_previous_flush",
    "sqla_session_state",
    "sqla_disconnect_detected",
    "sqla_pool_reset_exception",
    // 2. PostgreSQL server
    "pg_eof_open_transaction",
    "pg_eof",
    "pg_recv_reset",
    "pg_send_fail",
    "pg_incomplete_startup",
    "pg_too_many_clients",
    "pg_reserved_slots",
    "pg_too_many_for_role_db",
    "pg_admin_terminate",
    "pg_stmt_timeout",
    "pg_lock_timeout",
    "pg_user_cancel",
    "pg_deadlock",
    "pg_lock_wait",
    "pg_serialization",
    "pg_idle_in_txn_timeout",
    "pg_idle_session_timeout",
    "pg_oom",
    "pg_fork_fail",
    "pg_accept_fail",
    "pg_starting_up",
    "pg_shutting_down",
    "pg_in_recovery",
    "pg_not_consistent",
    "pg_not_available",
    "pg_backend_crash",
    "pg_shutdown_req",
    "pg_checkpoint_freq",
    "pg_checkpoint_done",
    "pg_conn_received",
    "pg_conn_authorized",
    "pg_disconnection",
    "pg_duration",
    "pg_temp_file",
    "pg_obtain_lock",
    // 3. libpq / psycopg2
    "libpq_connect_refused",
    "libpq_server_fatal_at_connect",
    "libpq_server_closed",
    "libpq_ssl_syscall_eof",
    "libpq_other_io",
    "psycopg2_closed_objects",
    // 4. Python runtime, socketserver/werkzeug, waitress
    "thread_start_failed",
    "py_emfile",
    "py_memoryerror",
    "py_broken_pipe",
    "py_conn_reset",
    "py_conn_refused",
    "py_timeout",
    "py_recursion",
    "socketserver_exception",
    "werkzeug_error_on_request",
    "waitress_queue_depth",
    "waitress_exception",
    "waitress_client_disconnected",
    "waitress_connection_limit",
    // 6. gunicorn
    "gunicorn_worker_timeout",
    "gu_signal_old",
    "gu_signal_new",
    "gu_exit_code",
    "gu_booting",
    "gu_exiting",
    "gu_shutdown",
    "gu_boot_fail",
    "gu_exc_worker",
    "gu_error_handling",
    "gu_invalid_request",
    "gu_signal",
    "gu_listen",
    "gu_autorestart",
    "gu_graceful_timeout",
    "gu_bind_fail",
    // 7. uWSGI
    "uw_listen_queue_full",
    "uw_harakiri",
    "uw_harakiri_detail",
    "uw_killed_ok",
    "uw_damn",
    "uw_respawn",
    "uw_seeya",
    "uw_graceful",
    "uw_bad_block",
    "uw_write_error",
    "uw_lifecycle",
    // 8. nginx
    "ng_upstream_timeout",
    "ng_connect_refused",
    "ng_connect_eagain",
    "ng_no_live",
    "ng_premature",
    "ng_recv_reset",
    "ng_worker_conns",
    "ng_accept_emfile",
    "ng_client_closed",
    "ng_big_header",
    // 9. Platform routers
    "heroku_h10",
    "heroku_h11",
    "heroku_h12",
    "heroku_h13",
    "heroku_h18",
    "heroku_h19",
    "heroku_h20",
    "heroku_h21",
    "heroku_h27",
    "heroku_h28",
    "heroku_r10",
    "heroku_r14",
    "heroku_r15",
    "cf_router_error",
    "cf_app_crashed",
    // 10. Linux kernel OOM killer
    "oom_kill",
    // 11. Load tools and Django
    "wrk_socket_errors",
    "wrk_non_2xx",
    "locust_error",
    "django_atomic_block",
    "django_internal_server_error",
];

#[test]
fn the_catalog_covers_signatures_md() {
    let cat = Catalog::builtin().unwrap();
    let missing: Vec<&str> =
        SIGNATURES_MD.iter().copied().filter(|id| cat.get(id).is_none()).collect();
    assert!(missing.is_empty(), "missing from catalog.toml: {missing:?}");
    for id in SIGNATURES_MD {
        let s = cat.get(id).unwrap();
        assert!(!s.examples.is_empty(), "{id} has no example");
        assert_eq!(cat.origins[cat.index(id).unwrap()], BUILTIN_ORIGIN);
    }
    assert!(cat.signatures.len() >= SIGNATURES_MD.len());
}

#[test]
fn the_mission_signatures_keep_their_contract() {
    let cat = Catalog::builtin().unwrap();
    let want = [
        ("queuepool_exhausted", "http_5xx", &["size", "overflow", "timeout"][..]),
        ("thread_start_failed", "no_response", &[][..]),
        ("pg_eof_open_transaction", "footprint", &[][..]),
        ("pg_too_many_clients", "http_5xx", &[][..]),
        ("gunicorn_worker_timeout", "no_response", &["pid"][..]),
    ];
    for (id, effect, captures) in want {
        let s = cat.get(id).unwrap();
        assert!(s.failure, "{id}");
        assert_eq!(s.effect.as_deref(), Some(effect), "{id}");
        for c in captures {
            let named = s.patterns.iter().all(|p| p.regex.contains(&format!("(?P<{c}>")));
            assert!(named, "{id}: every pattern names the capture {c}");
        }
    }
    let gu = cat.get("gu_signal_new").unwrap();
    assert!(gu.failure && gu.effect.as_deref() == Some("no_response"));
}

#[test]
fn every_builtin_pattern_compiles_under_the_user_limits() {
    // The built-in catalog skips this at start-up (its patterns compile within the sets and one
    // by one on their first match): check it here.
    let cat = Catalog::builtin().unwrap();
    for s in &cat.signatures {
        for p in &s.patterns {
            crate::pattern::user_regex(&s.id, &p.regex).unwrap();
        }
    }
}

#[test]
fn the_builtin_edges_follow_the_guidance() {
    let cat = Catalog::builtin().unwrap();
    assert!(cat.edges.len() >= 150, "{} edges", cat.edges.len());
    let edge = |from: &str, to: &str| {
        cat.edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .map(|e| (graph::show_lag(e.lag), graph::show_lag(e.typical)))
            .unwrap_or_else(|| panic!("no edge {from} -> {to}"))
    };
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(edge("queuepool_exhausted", "symptom:http_5xx"), s("10s", "1s"));
    assert_eq!(edge("gunicorn_worker_timeout", "gu_signal_new"), s("35s", "1s"));
    assert_eq!(edge("gunicorn_worker_timeout", "pg_eof_open_transaction"), s("35s", "2s"));
    assert_eq!(edge("gunicorn_worker_timeout", "symptom:no_response"), s("1m", "5s"));
    for anchor in ["pg_stmt_timeout", "pg_lock_wait", "pg_lock_timeout"] {
        assert_eq!(edge(anchor, "queuepool_exhausted").0, "2m");
        edge(anchor, "symptom:latency_plateau");
    }
    assert_eq!(edge("queuepool_exhausted", "thread_start_failed").0, "2m");
    assert_eq!(edge("queuepool_exhausted", "gunicorn_worker_timeout").0, "1m");
    assert_eq!(edge("pg_too_many_clients", "symptom:http_5xx").0, "10s");
    assert_eq!(edge("pg_reserved_slots", "symptom:http_5xx").0, "10s");
    edge("queuepool_exhausted", "symptom:latency_plateau");
    for stopper in ["queuepool_exhausted", "gunicorn_worker_timeout", "thread_start_failed"] {
        edge(stopper, "symptom:funnel_drop");
    }
    // Symptoms are sinks; every edge explains itself.
    for e in &cat.edges {
        assert!(!graph::is_symptom(&e.from), "{e:?}");
        assert!(e.typical <= e.lag && !e.why.is_empty(), "{e:?}");
    }
    // Every failure that fails requests has an edge into the symptom it causes.
    for sig in cat.signatures.iter().filter(|s| s.failure) {
        let symptom = match sig.effect.as_deref() {
            Some("http_5xx") => "symptom:http_5xx",
            Some("no_response" | "refused") => "symptom:no_response",
            _ => continue,
        };
        assert!(
            cat.edges_from(&sig.id).any(|e| e.to == symptom),
            "{} (effect {:?}) has no edge to {symptom}",
            sig.id,
            sig.effect
        );
    }
}
