use super::*;
use crate::detect::Catalog;
use crate::funnel::Funnel;
use crate::loadtest::LoadTest;
use crate::symptoms::{Symptom, Symptoms};
use rootcause_parsers::time::SECOND;
use std::collections::BTreeSet;

const T0: Micros = 1_764_085_200 * SECOND;

fn at(s: f64) -> Micros {
    T0 + (s * SECOND as f64) as Micros
}

fn finding(cat: &Catalog, id: &str, times: &[f64]) -> Finding {
    let signature = cat.signatures.iter().position(|s| s.id == id).expect("in the catalog");
    let times: Vec<Micros> = times.iter().map(|&t| at(t)).collect();
    Finding {
        signature,
        count: times.len() as u64,
        first_seen: times.iter().min().copied(),
        last_seen: times.iter().max().copied(),
        by_source: Default::default(),
        evidence: Vec::new(),
        captures: Default::default(),
        times,
        request_ids: BTreeSet::new(),
    }
}

fn http_5xx(times: &[f64], total: u64) -> Symptom {
    let times: Vec<Micros> = times.iter().map(|&t| at(t)).collect();
    Symptom {
        id: symptoms::HTTP_5XX,
        count: times.len() as u64,
        of: total,
        onset: times.first().copied(),
        first: times.first().copied(),
        last: times.last().copied(),
        detail: format!("{} answered 5xx", times.len()),
        evidence: Vec::new(),
        times,
        ids: Vec::new(),
        failed_requests: true,
    }
}

fn load(total: u64, five: u64) -> LoadTest {
    let mut lt = LoadTest::default();
    lt.outcomes.total = total;
    lt.outcomes.status.insert(200, total - five);
    if five > 0 {
        lt.outcomes.status.insert(500, five);
    }
    lt
}

fn edge(from: &str, to: &str, lag_s: i64) -> Edge {
    Edge {
        from: from.into(),
        to: to.into(),
        lag: lag_s * SECOND,
        typical: SECOND,
        why: format!("{from} leads to {to}"),
    }
}

fn diagnose(findings: &[Finding], symptoms: &Symptoms, lt: &LoadTest, edges: &[Edge]) -> Diagnosis {
    let cat = Catalog::builtin().expect("catalog");
    hypothesise(&Input {
        lt,
        funnel: &Funnel::default(),
        findings,
        catalog: &cat,
        edges,
        symptoms,
        facts: Facts::default(),
        uncatalogued: &[],
        mined: true,
    })
}

fn node<'a>(
    times: &[Micros],
    occ_ids: Vec<Option<&'a str>>,
    ids: Option<&'a BTreeSet<String>>,
) -> Node<'a> {
    Node {
        id: "n",
        title: "n",
        finding: None,
        uncatalogued: None,
        failure: false,
        failed_requests: false,
        count: times.len() as u64,
        first: times.first().copied(),
        last: times.last().copied(),
        times: times.to_vec(),
        occ_ids,
        ids,
        evidence: &[],
        detail: None,
    }
}

#[test]
fn support_counts_effects_with_a_cause_within_the_lag_before_them() {
    let causes = node(&[at(10.0), at(20.0)], Vec::new(), None);
    // 11 s and 20.5 s follow a cause within 5 s; 16 s does not (6 s after 10 s); 21.9 s does
    // (1.9 s after 20 s); 8.5 s has a cause 1.5 s after it, within the clock tolerance.
    let effects = node(&[at(8.5), at(11.0), at(16.0), at(20.5), at(21.9)], Vec::new(), None);
    let (n, lag) = support(&causes, &effects, 5 * SECOND);
    assert_eq!(n, 4);
    // Lags -1.5 s, 1 s, 0.5 s, 1.9 s: the median of four is the third smallest.
    assert_eq!(lag, Some(SECOND));
    assert_eq!(support(&node(&[], Vec::new(), None), &effects, 5 * SECOND), (0, None));
}

#[test]
fn a_failed_request_is_accounted_for_by_the_signature_its_own_request_logged() {
    let ids: BTreeSet<String> = ["a".to_string(), "c".to_string()].into();
    let causes = node(&[at(10.0), at(12.0)], Vec::new(), Some(&ids));
    // "a" and "c" are its requests, whenever; "b" logged something else, though it is inside
    // the time window; the occurrence without a known request is judged by time.
    let effects = node(
        &[at(10.1), at(12.1), at(30.0), at(12.5)],
        vec![Some("a"), Some("b"), Some("c"), None],
        None,
    );
    assert_eq!(support(&causes, &effects, 5 * SECOND).0, 3);
}

#[test]
fn a_healthy_run_gets_no_hypothesis() {
    let d = diagnose(&[], &Symptoms::default(), &load(500, 0), &[]);
    assert_eq!(d.verdict, Verdict::NoFailure);
    assert!(d.hypotheses.is_empty());
    assert!(d.statement.starts_with("No failure found: all 500 requests"), "{}", d.statement);
}

#[test]
fn failures_without_signatures_are_unexplained() {
    let s = Symptoms { list: vec![http_5xx(&[10.0, 11.0], 100)], ..Symptoms::default() };
    let d = diagnose(&[], &s, &load(100, 2), &[]);
    assert_eq!(d.verdict, Verdict::Unexplained);
    assert!(d.hypotheses.is_empty());
}

#[test]
fn an_effect_signature_is_not_a_root_and_the_chain_is_in_time_order() {
    let cat = Catalog::builtin().expect("catalog");
    let kills = finding(&cat, "gunicorn_worker_timeout", &[10.0, 20.0, 30.0]);
    let eof = finding(&cat, "pg_eof_open_transaction", &[11.5, 21.2, 31.9]);
    let s = Symptoms {
        list: vec![Symptom { id: symptoms::NO_RESPONSE, ..http_5xx(&[12.0, 22.0, 32.0], 90) }],
        ..Symptoms::default()
    };
    let mut lt = load(90, 0);
    lt.outcomes.no_response = 3;
    lt.outcomes.status.insert(200, 87);
    let edges = [
        edge("gunicorn_worker_timeout", "pg_eof_open_transaction", 35),
        edge("gunicorn_worker_timeout", "symptom:no_response", 60),
    ];
    let d = diagnose(&[kills, eof], &s, &lt, &edges);
    assert_eq!(d.verdict, Verdict::Explained);
    assert_eq!(d.hypotheses.len(), 1, "pg_eof is explained by the kills: no root of its own");
    let h = &d.hypotheses[0];
    assert_eq!(h.root_id, "gunicorn_worker_timeout");
    assert_eq!(
        h.chain(),
        ["gunicorn_worker_timeout", "pg_eof_open_transaction", "symptom:no_response"]
    );
    assert_eq!(h.explains, (3, 3));
    let eof_step = &h.steps[1];
    assert_eq!(eof_step.cause.as_deref(), Some("gunicorn_worker_timeout"));
    assert_eq!((eof_step.supported, eof_step.observed_lag), (3, Some(1_500_000)));
    assert!(h.confidence >= 0.9, "{}", h.confidence);
    assert!(h.against.is_empty(), "{:?}", h.against);
}

#[test]
fn a_link_out_of_time_order_is_not_admitted() {
    let cat = Catalog::builtin().expect("catalog");
    // The EOFs come 40 s and more after the last kill: beyond the 35 s lag, so they are not
    // its effect and stand as a root of their own.
    let kills = finding(&cat, "gunicorn_worker_timeout", &[10.0, 20.0, 30.0]);
    let eof = finding(&cat, "pg_eof_open_transaction", &[70.0, 80.0, 90.0]);
    let edges = [edge("gunicorn_worker_timeout", "pg_eof_open_transaction", 35)];
    let d = diagnose(&[kills, eof], &Symptoms::default(), &load(0, 0), &edges);
    let roots: Vec<&str> = d.hypotheses.iter().map(|h| h.root_id.as_str()).collect();
    assert_eq!(roots.len(), 2, "{roots:?}");
    assert!(d.hypotheses.iter().all(|h| h.steps.len() == 1));
    // Without load-test data nothing failed as far as we know: capped, and said.
    assert_eq!(d.verdict, Verdict::SignaturesOnly);
    assert!(d.hypotheses.iter().all(|h| h.confidence <= 0.45));
    assert!(d.hypotheses[0].against.iter().any(|a| a.contains("no load-test data")));
}

#[test]
fn of_two_faults_the_one_active_when_the_failures_began_ranks_first() {
    let cat = Catalog::builtin().expect("catalog");
    let edges = [
        edge("queuepool_exhausted", "symptom:http_5xx", 10),
        edge("pg_too_many_clients", "symptom:http_5xx", 10),
    ];
    let fails: Vec<f64> = (0..40).map(|i| 10.0 + f64::from(i)).collect();
    let pool: Vec<f64> = fails.iter().map(|t| t - 0.5).collect();
    let late: Vec<f64> = fails.iter().filter(|&&t| t >= 30.0).map(|t| t - 0.2).collect();
    for swap in [false, true] {
        let (a, b) = if swap {
            ("pg_too_many_clients", "queuepool_exhausted")
        } else {
            ("queuepool_exhausted", "pg_too_many_clients")
        };
        let findings = [finding(&cat, b, &late), finding(&cat, a, &pool)];
        let s = Symptoms { list: vec![http_5xx(&fails, 400)], ..Symptoms::default() };
        let d = diagnose(&findings, &s, &load(400, 40), &edges);
        let roots: Vec<&str> = d.hypotheses.iter().map(|h| h.root_id.as_str()).collect();
        assert_eq!(roots, [a, b]);
        let (first, second) = (&d.hypotheses[0], &d.hypotheses[1]);
        assert_eq!(first.scores.precedence, 1.0);
        assert_eq!(second.scores.precedence, 0.3);
        // The later fault accounts for the failures from 30 s on, and for the two before it
        // within the clock tolerance (28 s and 29 s: its first message is at 29.8 s).
        assert_eq!((first.explains.0, second.explains.0), (40, 22));
        assert!(second.against.iter().any(|x| x.contains("after the failures began")));
        assert!(first.against.iter().any(|x| x.contains(&format!("another root, {b}"))));
    }
}

#[test]
fn a_root_that_stopped_long_before_the_failures_loses_precedence() {
    let cat = Catalog::builtin().expect("catalog");
    let old = finding(&cat, "thread_start_failed", &[1.0, 2.0, 3.0]);
    let s = Symptoms { list: vec![http_5xx(&[100.0, 101.0], 100)], ..Symptoms::default() };
    let d = diagnose(&[old], &s, &load(100, 2), &[]);
    let h = &d.hypotheses[0];
    assert_eq!(h.scores.precedence, 0.3);
    assert!(
        h.against.iter().any(|a| a.contains("was last seen") && a.contains("97.0 s before")),
        "{:?}",
        h.against
    );
    assert!(
        h.against.iter().any(|a| a.contains("2 of the 2 failed requests follow no step")),
        "{:?}",
        h.against
    );
    assert!(h.confidence < 0.5, "{}", h.confidence);
}

#[test]
fn refusals_under_gevent_workers_name_the_connection_per_greenlet() {
    let cat = Catalog::builtin().expect("catalog");
    let edges = [edge("pg_too_many_clients", "symptom:http_5xx", 10)];
    let fails: Vec<f64> = (0..20).map(|i| 10.0 + f64::from(i)).collect();
    let refusals: Vec<f64> = fails.iter().map(|t| t - 0.1).collect();
    let findings = [finding(&cat, "pg_too_many_clients", &refusals)];
    let s = Symptoms { list: vec![http_5xx(&fails, 200)], ..Symptoms::default() };
    let lt = load(200, 20);
    let fix_with = |class: &str| {
        let facts = Facts {
            processes: Some(facts::Processes {
                count: 2,
                how: "gunicorn booted 2 workers at once".into(),
                worker_class: Some(class.into()),
            }),
            ..Facts::default()
        };
        let d = hypothesise(&Input {
            lt: &lt,
            funnel: &Funnel::default(),
            findings: &findings,
            catalog: &cat,
            edges: &edges,
            symptoms: &s,
            facts,
            uncatalogued: &[],
            mined: true,
        });
        assert_eq!(d.hypotheses[0].root_id, "pg_too_many_clients");
        d.hypotheses[0].fix.clone()
    };
    let gevent = fix_with("gevent");
    assert!(gevent.contains("gunicorn ran gevent workers: a greenlet serving a request opens its own database connection"), "{gevent}");
    // Threads share the process's pool: no such sentence for them.
    let gthread = fix_with("gthread");
    assert!(!gthread.contains("greenlet"), "{gthread}");
    assert!(gthread.contains("2 server processes"), "{gthread}");
}
