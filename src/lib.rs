//! rootcause: turns the logs saved from a load test or an incident into a root-cause report.
//!
//! Data flows one way through stages, each a module with one entry function:
//!
//! ```text
//! paths ─▶ ingest ─▶ Ingested ─▶ skew ─▶ correlate ─▶ Timeline ─▶ loadtest / funnel / flow / detect
//!                                                         ─▶ hypothesise ─▶ Report ─▶ render
//! ```
//!
//! - [`ingest`] is the only stage that reads input: it walks folders, decompresses, sniffs
//!   formats from content and parses every file in parallel (rayon), accounting for every line.
//! - [`skew`] estimates each input's clock skew against the application's and corrects it.
//! - [`correlate`] merges events on one timeline and finds the run window.
//! - [`flow`] matches sent requests to application requests ([`requests`]) and finds where and
//!   when requests are lost.
//! - [`loadtest`] computes outcomes and latency from the load tool's rows.
//! - [`funnel`] counts requests through sent → hit → started → completed.
//! - [`detect`] matches the signature catalog.
//! - [`onset`] finds when the run turned bad (change points in the bad rate or latency), and
//!   [`changes`] which templates and field values changed rate at that moment (both pure
//!   statistics, not wired into the analysis yet).
//! - [`hypothesise`] turns findings into a ranked causal explanation.
//! - [`signatures`] lists and explains the catalog (`rootcause signatures`).
//! - [`report`] builds the one [`report::Report`] value and renders it (tables, JSON); it is the
//!   only stage that writes output.
//!
//! Parsing itself lives in the pure `rootcause-parsers` crate.

pub mod changes;
pub mod cli;
pub mod compare;
pub mod config;
pub mod correlate;
pub mod detect;
pub mod flow;
pub mod funnel;
pub mod hypothesise;
pub mod ingest;
pub mod loadtest;
pub mod mined;
pub mod model;
pub mod onset;
pub mod pattern;
pub mod patterns;
pub mod phases;
pub mod points;
pub mod report;
pub mod requests;
pub mod run;
pub mod signatures;
pub mod skew;
pub mod stats;
pub mod suggest;
pub mod symptoms;
#[cfg(test)]
mod testrng;
pub mod timeline;
