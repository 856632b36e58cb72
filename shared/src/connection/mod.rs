//! Connection tests: can these credentials reach this bucket (and queue) with the
//! permissions ingestion and scans need, and if not, exactly what to change.
//!
//! `request`, `verdict`, `diagnosis`, `role_policy` and `trust` are pure; `steps` makes the AWS
//! calls and feeds their outcomes into them; `http` serves the endpoint.

pub mod diagnosis;
pub mod http;
pub mod queue_policy;
pub mod request;
pub mod role_policy;
pub mod steps;
pub mod trust;
pub mod verdict;

pub use http::{handle as handle_http, HttpReply, HttpRequest};
pub use request::{parse_request, ConnectionTestRequest, ValidatedRequest, ValidationError};
pub use steps::{run, TestSettings};
pub use trust::{AccountScope, EndpointTrust, ExternalIds, Trust};
pub use verdict::{Overall, StepName, StepReport, StepStatus, Verdict};
