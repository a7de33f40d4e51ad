//! End-to-end tests: the real `rootcause` binary on real sample logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod compare;
mod corpus;
mod correlation;
mod hostile;
mod html;
mod hypotheses;
mod loadtest;
mod platform;
mod readme;
mod reports;
mod scenarios;
mod signatures;
mod timeline;
mod util;
