//! End-to-end tests: the real `rootcause` binary on real sample logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod compare;
mod corpus;
mod correlation;
mod destinations;
mod hostile;
mod html;
mod hypotheses;
mod lab;
mod loadtest;
mod patterns;
mod platform;
mod readme;
mod reports;
mod scenarios;
mod servers;
mod signatures;
mod timeline;
mod util;
