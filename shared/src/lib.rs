//! s3connector: the library behind the Lambda functions (`ingest`, `scan`,
//! `test-connection`) and the `s3connector` CLI.
//!
//! Every behaviour lives here as plain functions and types; the binaries only read
//! configuration, build clients once and call into this crate.

pub mod aws;
pub mod classify;
pub mod config;
pub mod connection;
pub mod deadline;
pub mod ingest;
pub mod logs;
pub mod names;
pub mod normalize;
pub mod notification;
pub mod object;
pub mod ocsf_check;
pub mod pipeline;
pub mod redact;
pub mod reject;
pub mod scan;
pub mod setup;
pub mod sink;
pub mod telemetry;
