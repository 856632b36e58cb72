//! The connection test's response: one report per step and an overall status.
//!
//! The JSON names and status strings here are a public contract (API, CLI `--json`):
//! change them only together with every consumer.

use serde::{Deserialize, Serialize};

use super::request::ValidatedRequest;

/// Overall outcome of a connection test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Overall {
    /// No mandatory step failed.
    Successful,
    /// At least one mandatory step failed.
    Failed,
}

/// Outcome of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepStatus {
    /// The step did what it tests.
    Passed,
    /// The step could not do what it tests.
    Failed,
    /// The step found something worth fixing that does not stop the connector.
    Warning,
    /// The step did not run, because a step it depends on failed or it does not apply.
    Skipped,
}

/// The steps of a connection test, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    /// Resolve base credentials and learn who they belong to.
    Credentials,
    /// Assume the configured role.
    AssumeRole,
    /// Reach the bucket (existence, region, access).
    Bucket,
    /// List objects under the prefix.
    List,
    /// Read one listed object.
    Read,
    /// Read the bucket's security settings (encryption, public access block).
    Posture,
    /// Write and delete a beacon object.
    WriteTest,
    /// Reach the notification queue.
    Queue,
}

impl StepName {
    /// Every step, in run order.
    pub const ALL: [StepName; 8] = [
        StepName::Credentials,
        StepName::AssumeRole,
        StepName::Bucket,
        StepName::List,
        StepName::Read,
        StepName::Posture,
        StepName::WriteTest,
        StepName::Queue,
    ];

    /// The name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Credentials => "credentials",
            StepName::AssumeRole => "assume_role",
            StepName::Bucket => "bucket",
            StepName::List => "list",
            StepName::Read => "read",
            StepName::Posture => "posture",
            StepName::WriteTest => "write_test",
            StepName::Queue => "queue",
        }
    }

    /// Steps whose failure makes this one pointless.
    pub fn depends_on(self) -> &'static [StepName] {
        use StepName::*;
        match self {
            Credentials => &[],
            AssumeRole => &[Credentials],
            // Every AWS call after the first uses the assumed role's credentials, when there is one.
            Bucket | Queue => &[Credentials, AssumeRole],
            List | Posture | WriteTest => &[Bucket],
            // The object to read comes from the listing.
            Read => &[List],
        }
    }
}

/// A step the test will run, and whether its failure fails the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedStep {
    /// Which step.
    pub name: StepName,
    /// Whether a failure fails the whole test.
    pub mandatory: bool,
}

/// The steps a request calls for, in run order.
pub fn planned_steps(request: &ValidatedRequest) -> Vec<PlannedStep> {
    StepName::ALL
        .into_iter()
        .filter(|name| match name {
            StepName::AssumeRole => request.role.is_some(),
            StepName::WriteTest => request.write_test,
            StepName::Queue => request.queue.is_some(),
            _ => true,
        })
        .map(|name| PlannedStep {
            name,
            // Posture settings are advice: missing read access to them does not stop ingestion.
            mandatory: name != StepName::Posture,
        })
        .collect()
}

/// What one step found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Which step.
    pub name: StepName,
    /// Whether a failure of this step fails the test.
    pub mandatory: bool,
    /// The step's outcome.
    pub status: StepStatus,
    /// What happened, in one or two sentences.
    pub message: String,
    /// What the user should change, when something is wrong.
    pub remediation: Option<String>,
    /// The AWS error code behind a failure.
    pub error_code: Option<String>,
    /// The IAM action the step exercised, such as `s3:ListBucket`.
    pub action: Option<String>,
    /// How long the step took.
    pub duration_ms: u64,
}

impl StepReport {
    /// A report with the given outcome and message; add the rest with the `with_` methods.
    pub fn new(
        name: StepName,
        mandatory: bool,
        status: StepStatus,
        message: impl Into<String>,
    ) -> Self {
        StepReport {
            name,
            mandatory,
            status,
            message: message.into(),
            remediation: None,
            error_code: None,
            action: None,
            duration_ms: 0,
        }
    }

    /// Sets the remediation.
    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = Some(remediation.into());
        self
    }

    /// Sets the AWS error code.
    pub fn with_error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Sets the IAM action exercised.
    pub fn with_action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Sets the duration.
    pub fn with_duration_ms(mut self, duration_ms: u64) -> Self {
        self.duration_ms = duration_ms;
        self
    }
}

/// The response of a connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `Failed` exactly when a mandatory step failed.
    pub status: Overall,
    /// One report per planned step, in run order.
    pub steps: Vec<StepReport>,
}

impl Verdict {
    /// Builds the verdict, deriving the overall status from the steps.
    pub fn from_steps(steps: Vec<StepReport>) -> Self {
        let failed = steps
            .iter()
            .any(|s| s.mandatory && s.status == StepStatus::Failed);
        Verdict {
            status: if failed {
                Overall::Failed
            } else {
                Overall::Successful
            },
            steps,
        }
    }
}

/// `Skipped` reports for the steps in `remaining` that depend, directly or not, on `failed`.
///
/// Steps that do not depend on it are left out: the runner still runs them.
pub fn skipped_dependents(failed: StepName, remaining: &[PlannedStep]) -> Vec<StepReport> {
    let mut ordered = remaining.to_vec();
    ordered.sort_by_key(|s| s.name);
    let mut down = vec![failed];
    let mut reports = Vec::new();
    for step in ordered {
        if step.name == failed || !step.name.depends_on().iter().any(|d| down.contains(d)) {
            continue;
        }
        down.push(step.name);
        reports.push(StepReport::new(
            step.name,
            step.mandatory,
            StepStatus::Skipped,
            format!("skipped: {} failed", failed.as_str()),
        ));
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::request::parse_request;
    use serde_json::json;

    fn plan(names: &[(StepName, bool)]) -> Vec<PlannedStep> {
        names
            .iter()
            .map(|&(name, mandatory)| PlannedStep { name, mandatory })
            .collect()
    }

    fn full_plan() -> Vec<PlannedStep> {
        StepName::ALL
            .into_iter()
            .map(|name| PlannedStep {
                name,
                mandatory: name != StepName::Posture,
            })
            .collect()
    }

    fn skipped_names(failed: StepName, remaining: &[PlannedStep]) -> Vec<StepName> {
        skipped_dependents(failed, remaining)
            .into_iter()
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn verdict_serializes_with_the_contract_field_names_and_strings() {
        let verdict = Verdict::from_steps(vec![
            StepReport::new(StepName::Credentials, true, StepStatus::Passed, "ok")
                .with_action("sts:GetCallerIdentity")
                .with_duration_ms(12),
            StepReport::new(StepName::List, true, StepStatus::Failed, "denied")
                .with_remediation("Allow s3:ListBucket on arn:aws:s3:::b")
                .with_error_code("AccessDenied")
                .with_action("s3:ListBucket")
                .with_duration_ms(40),
            StepReport::new(
                StepName::Read,
                true,
                StepStatus::Skipped,
                "skipped: list failed",
            ),
            StepReport::new(
                StepName::Posture,
                false,
                StepStatus::Warning,
                "no encryption",
            ),
        ]);
        let expected = json!({
            "status": "Failed",
            "steps": [
                {"name": "credentials", "mandatory": true, "status": "Passed", "message": "ok",
                 "remediation": null, "error_code": null, "action": "sts:GetCallerIdentity",
                 "duration_ms": 12},
                {"name": "list", "mandatory": true, "status": "Failed", "message": "denied",
                 "remediation": "Allow s3:ListBucket on arn:aws:s3:::b",
                 "error_code": "AccessDenied", "action": "s3:ListBucket", "duration_ms": 40},
                {"name": "read", "mandatory": true, "status": "Skipped",
                 "message": "skipped: list failed", "remediation": null, "error_code": null,
                 "action": null, "duration_ms": 0},
                {"name": "posture", "mandatory": false, "status": "Warning",
                 "message": "no encryption", "remediation": null, "error_code": null,
                 "action": null, "duration_ms": 0}
            ]
        });
        assert_eq!(serde_json::to_value(&verdict).unwrap(), expected);
        let back: Verdict = serde_json::from_value(expected).unwrap();
        assert_eq!(back, verdict);
    }

    #[test]
    fn successful_verdict_says_successful() {
        let verdict = Verdict::from_steps(vec![StepReport::new(
            StepName::Credentials,
            true,
            StepStatus::Passed,
            "ok",
        )]);
        assert_eq!(
            serde_json::to_value(&verdict).unwrap()["status"],
            "Successful"
        );
    }

    #[test]
    fn step_statuses_serialize_as_capitalised_words() {
        let strings: Vec<_> = [
            StepStatus::Passed,
            StepStatus::Failed,
            StepStatus::Warning,
            StepStatus::Skipped,
        ]
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
        assert_eq!(strings, ["Passed", "Failed", "Warning", "Skipped"]);
    }

    #[test]
    fn step_names_serialize_in_snake_case_in_run_order() {
        let names: Vec<_> = StepName::ALL
            .iter()
            .map(|s| serde_json::to_value(s).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "credentials",
                "assume_role",
                "bucket",
                "list",
                "read",
                "posture",
                "write_test",
                "queue"
            ]
        );
        for name in StepName::ALL {
            assert_eq!(serde_json::to_value(name).unwrap(), name.as_str());
        }
        let mut sorted = StepName::ALL;
        sorted.sort();
        assert_eq!(sorted, StepName::ALL);
    }

    #[test]
    fn only_a_failed_mandatory_step_fails_the_verdict() {
        let step = |mandatory, status| StepReport::new(StepName::Posture, mandatory, status, "");
        let cases = [
            (vec![], Overall::Successful),
            (vec![step(false, StepStatus::Failed)], Overall::Successful),
            (vec![step(true, StepStatus::Warning)], Overall::Successful),
            (vec![step(true, StepStatus::Skipped)], Overall::Successful),
            (
                vec![
                    step(false, StepStatus::Passed),
                    step(true, StepStatus::Failed),
                ],
                Overall::Failed,
            ),
        ];
        for (steps, expected) in cases {
            assert_eq!(
                Verdict::from_steps(steps.clone()).status,
                expected,
                "{steps:?}"
            );
        }
    }

    #[test]
    fn failed_credentials_skip_every_later_step() {
        let remaining = &full_plan()[1..];
        let reports = skipped_dependents(StepName::Credentials, remaining);
        assert_eq!(reports.len(), remaining.len());
        for report in &reports {
            assert_eq!(report.status, StepStatus::Skipped);
            assert_eq!(report.message, "skipped: credentials failed");
        }
    }

    #[test]
    fn failed_bucket_skips_bucket_steps_but_not_the_queue() {
        let remaining = &full_plan()[3..];
        assert_eq!(
            skipped_names(StepName::Bucket, remaining),
            [
                StepName::List,
                StepName::Read,
                StepName::Posture,
                StepName::WriteTest
            ]
        );
    }

    #[test]
    fn failed_list_skips_read_only_and_names_list_as_reason() {
        let remaining = &full_plan()[4..];
        let reports = skipped_dependents(StepName::List, remaining);
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].name, StepName::Read);
        assert_eq!(reports[0].message, "skipped: list failed");
    }

    #[test]
    fn transitive_dependents_name_the_step_that_failed_first() {
        let remaining = plan(&[(StepName::List, true), (StepName::Read, true)]);
        let reports = skipped_dependents(StepName::Bucket, &remaining);
        assert_eq!(reports[1].name, StepName::Read);
        assert_eq!(reports[1].message, "skipped: bucket failed");
    }

    #[test]
    fn failed_assume_role_skips_the_queue_too() {
        let remaining = plan(&[(StepName::Bucket, true), (StepName::Queue, true)]);
        assert_eq!(
            skipped_names(StepName::AssumeRole, &remaining),
            [StepName::Bucket, StepName::Queue]
        );
    }

    #[test]
    fn skipped_reports_keep_the_planned_mandatory_flag() {
        let remaining = plan(&[(StepName::Posture, false), (StepName::WriteTest, true)]);
        let reports = skipped_dependents(StepName::Bucket, &remaining);
        assert!(!reports[0].mandatory);
        assert!(reports[1].mandatory);
    }

    #[test]
    fn steps_given_out_of_order_are_still_skipped_transitively() {
        let remaining = plan(&[(StepName::Read, true), (StepName::List, true)]);
        assert_eq!(
            skipped_names(StepName::Bucket, &remaining),
            [StepName::List, StepName::Read]
        );
    }

    #[test]
    fn plan_for_a_bare_bucket_runs_core_steps_with_posture_optional() {
        let request = parse_request(r#"{"bucket": "my-bucket"}"#)
            .unwrap()
            .validate()
            .unwrap();
        let steps = planned_steps(&request);
        assert_eq!(
            steps,
            plan(&[
                (StepName::Credentials, true),
                (StepName::Bucket, true),
                (StepName::List, true),
                (StepName::Read, true),
                (StepName::Posture, false),
            ])
        );
    }

    #[test]
    fn plan_adds_role_write_test_and_queue_steps_when_requested() {
        let request = parse_request(
            r#"{"bucket": "my-bucket", "role_arn": "arn:aws:iam::123456789012:role/r",
                "write_test": true,
                "queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}"#,
        )
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(planned_steps(&request), full_plan());
    }
}
