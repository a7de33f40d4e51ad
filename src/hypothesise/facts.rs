//! Facts the logs state about the system under test, for fixes with real numbers: the pool's
//! size, overflow and timeout (from the QueuePool message), how many server processes ran
//! (gunicorn's boot lines, the application log's pids, or werkzeug's banner), which workers
//! gunicorn killed and why, and the Postgres connection counts.
//!
//! Every fact names the message it came from; a fact the logs do not state stays `None` and the
//! fix says so instead of guessing.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use rootcause_parsers::Micros;
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::time::SECOND;

use crate::correlate::Timeline;
use crate::detect::{Catalog, Finding};
use crate::model::EventKind;
use crate::symptoms::PgConnections;

/// SQLAlchemy's pool, as its QueuePool message states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// `pool_size`.
    pub size: i64,
    /// `max_overflow` (-1: unlimited).
    pub overflow: i64,
    /// `pool_timeout`, seconds, as printed (`30` or `30.00`).
    pub timeout: String,
    /// Checkouts that timed out.
    pub timeouts: u64,
}

impl Pool {
    /// Connections one process may hold; `None` with an unlimited overflow.
    pub fn per_process(&self) -> Option<i64> {
        (self.overflow >= 0).then_some(self.size + self.overflow)
    }
}

/// How many server processes served the run, and how that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processes {
    /// Processes at once.
    pub count: u64,
    /// Where the number comes from.
    pub how: String,
    /// The server's worker class, when it says (`sync`, `gthread`, ...).
    pub worker_class: Option<String>,
}

/// gunicorn's worker kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkerKills {
    /// `WORKER TIMEOUT (pid:N)` lines.
    pub timeouts: u64,
    /// `Worker (pid:N) was sent SIGKILL!` lines.
    pub sigkills: u64,
    /// SIGKILLs that followed a WORKER TIMEOUT of the same pid within [`KILL_AFTER_TIMEOUT`].
    pub sigkills_after_timeout: u64,
    /// Distinct pids that timed out.
    pub pids: u64,
}

/// How long after a WORKER TIMEOUT the SIGKILL of the same pid counts as its follow-up
/// (gunicorn sends SIGABRT, then SIGKILL on the next arbiter check).
pub const KILL_AFTER_TIMEOUT: Micros = 35 * SECOND;

/// Everything the logs state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// The pool.
    pub pool: Option<Pool>,
    /// Server processes.
    pub processes: Option<Processes>,
    /// gunicorn's kills.
    pub kills: Option<WorkerKills>,
    /// Postgres connection counts.
    pub pg: Option<PgConnections>,
    /// Requests that could not start a thread.
    pub threads_failed: u64,
}

struct Patterns {
    boot: Regex,
    exit: Regex,
    timeout: Regex,
    sigkill: Regex,
    worker_class: Regex,
    werkzeug: Regex,
}

fn patterns() -> Option<Patterns> {
    Some(Patterns {
        boot: Regex::new(r"^Booting worker with pid: (\d+)").ok()?,
        exit: Regex::new(
            r"^(?:Worker exiting \(pid: (\d+)\)|Worker \(pid:(\d+)\) (?:was sent|exited with code))",
        )
        .ok()?,
        timeout: Regex::new(r"WORKER TIMEOUT \(pid:(\d+)\)").ok()?,
        sigkill: Regex::new(r"Worker \(pid:(\d+)\) was sent SIGKILL!").ok()?,
        worker_class: Regex::new(r"^Using worker: (\S+)").ok()?,
        werkzeug: Regex::new(r"^\s*\* (?:Running on http|Serving Flask app)").ok()?,
    })
}

/// Whether a console line is one [`gather`] reads (a worker booted, timed out, was killed or
/// exited; the worker class; werkzeug's banner): ingest keeps only those of a console log.
pub fn wants(message: &str) -> bool {
    static P: std::sync::LazyLock<Option<Patterns>> = std::sync::LazyLock::new(patterns);
    P.as_ref().is_none_or(|p| {
        [&p.boot, &p.exit, &p.timeout, &p.sigkill, &p.worker_class, &p.werkzeug]
            .iter()
            .any(|r| r.is_match(message))
    })
}

/// Gathers the facts.
pub fn gather(
    tl: &Timeline,
    findings: &[Finding],
    catalog: &Catalog,
    pg: Option<PgConnections>,
) -> Facts {
    let find = |id: &str| findings.iter().find(|f| catalog.signatures[f.signature].id == id);
    let pool = find("queuepool_exhausted").and_then(|f| {
        Some(Pool {
            size: f.top_capture("size")?.parse().ok()?,
            overflow: f.top_capture("overflow")?.parse().ok()?,
            timeout: f.top_capture("timeout")?.to_string(),
            timeouts: f.count,
        })
    });
    let threads_failed = find("thread_start_failed").map_or(0, |f| f.count);
    let Some(p) = patterns() else {
        return Facts { pool, pg, threads_failed, ..Facts::default() };
    };

    let mut live: BTreeSet<u64> = BTreeSet::new();
    let mut peak = 0u64;
    let mut worker_class = None;
    let mut werkzeug = false;
    let mut timed_out: BTreeMap<u64, Micros> = BTreeMap::new();
    let mut kills = WorkerKills::default();
    let mut app_pids: BTreeSet<u32> = BTreeSet::new();
    let pid_of = |c: &regex::Captures<'_>| {
        c.iter().skip(1).flatten().next().and_then(|m| m.as_str().parse::<u64>().ok())
    };
    app_pids.extend(tl.stages.pids.iter().copied());
    for ev in &tl.events {
        match &ev.kind {
            EventKind::App { event, .. } => {
                if let Some(pid) = event.pid() {
                    app_pids.insert(pid);
                }
            }
            EventKind::Console(c) => {
                let ConsoleRecord::Log(l) = &**c else { continue };
                let m = l.message.as_str();
                if let Some(pid) = p.boot.captures(m).as_ref().and_then(pid_of) {
                    live.insert(pid);
                    peak = peak.max(live.len() as u64);
                } else if let Some(c) = p.timeout.captures(m) {
                    if let Some(pid) = pid_of(&c) {
                        kills.timeouts += 1;
                        if let Some(t) = ev.ts {
                            timed_out.insert(pid, t);
                        }
                    }
                } else if let Some(c) = p.worker_class.captures(m) {
                    worker_class = c.get(1).map(|x| x.as_str().to_string());
                } else if p.werkzeug.is_match(m) {
                    werkzeug = true;
                }
                if let Some(pid) = p.sigkill.captures(m).as_ref().and_then(pid_of) {
                    kills.sigkills += 1;
                    let after = timed_out
                        .get(&pid)
                        .zip(ev.ts)
                        .is_some_and(|(t0, t)| (0..=KILL_AFTER_TIMEOUT).contains(&(t - t0)));
                    kills.sigkills_after_timeout += u64::from(after);
                }
                if let Some(pid) = p.exit.captures(m).as_ref().and_then(pid_of) {
                    live.remove(&pid);
                }
            }
            _ => {}
        }
    }
    kills.pids = timed_out.len() as u64;
    let processes = if peak > 0 {
        Some(Processes {
            count: peak,
            how: format!(
                "gunicorn booted {peak} worker{} at once",
                if peak == 1 { "" } else { "s" }
            ),
            worker_class,
        })
    } else if !app_pids.is_empty() {
        let n = app_pids.len() as u64;
        Some(Processes {
            count: n,
            how: format!(
                "the application log names {n} distinct pid{}",
                if n == 1 { "" } else { "s" }
            ),
            worker_class: None,
        })
    } else if werkzeug {
        Some(Processes {
            count: 1,
            how: "werkzeug's development server runs one process".to_string(),
            worker_class: Some("threaded".to_string()),
        })
    } else {
        None
    };
    let kills = (kills.timeouts + kills.sigkills > 0).then_some(kills);
    Facts { pool, processes, kills, pg, threads_failed }
}
