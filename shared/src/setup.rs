//! Wiring an existing bucket to the ingest queue: add one queue target to the bucket's
//! notification configuration without dropping the targets already there.
//!
//! S3 replaces the whole configuration on every write and refuses two rules whose event
//! types and key filters overlap, so the merge is planned first ([`plan`], pure) and written
//! only when it is safe ([`setup_notifications`]).

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_s3::Client;

/// The event type the ingest queue is notified of.
pub const INGEST_EVENT: &str = "s3:ObjectCreated:*";

/// Id given to the queue configuration this module adds.
pub const RULE_ID: &str = "s3connector-ingest";

/// The queue target to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTarget {
    /// ARN of the SQS queue (`arn:<partition>:sqs:<region>:<account>:<name>`).
    pub queue_arn: String,
    /// Key prefix filter, if any.
    pub prefix: Option<String>,
    /// Key suffix filter, if any.
    pub suffix: Option<String>,
}

/// What kind of destination an existing rule notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// An SQS queue.
    Queue,
    /// An SNS topic.
    Topic,
    /// A Lambda function.
    Lambda,
}

/// One notification rule already on the bucket, as far as overlap checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRule {
    /// Destination type.
    pub kind: TargetKind,
    /// The rule's Id, if it has one.
    pub id: Option<String>,
    /// Destination ARN.
    pub arn: String,
    /// Event types, such as `s3:ObjectCreated:Put`.
    pub events: Vec<String>,
    /// Prefix filter.
    pub prefix: Option<String>,
    /// Suffix filter.
    pub suffix: Option<String>,
}

impl std::fmt::Display for ExistingRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} {} -> {} events={} prefix={} suffix={}",
            self.kind,
            self.id.as_deref().unwrap_or("(no id)"),
            self.arn,
            self.events.join(","),
            self.prefix.as_deref().unwrap_or("-"),
            self.suffix.as_deref().unwrap_or("-")
        )
    }
}

/// The outcome of planning the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The same queue is already notified with the same filter: nothing to write.
    AlreadyPresent,
    /// The queue target is added; `kept` existing rules stay as they are.
    Add {
        /// How many existing rules are kept.
        kept: usize,
    },
}

/// Why the notification could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The queue ARN is not an SQS ARN.
    #[error(
        "--queue-arn {0:?} is not an SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>)"
    )]
    InvalidQueueArn(String),
    /// An existing rule overlaps: S3 would refuse the configuration.
    #[error(
        "bucket {bucket}: existing rule {rule} overlaps s3:ObjectCreated:* with prefix {new_prefix:?} and suffix \
         {new_suffix:?}; S3 refuses overlapping rules. Choose a --prefix/--suffix that does not overlap, or point \
         that rule at an SNS topic that fans out to both (and subscribe the ingest queue to it); nothing was changed"
    )]
    Overlap {
        /// Bucket name.
        bucket: String,
        /// The overlapping rule.
        rule: Box<ExistingRule>,
        /// The requested prefix.
        new_prefix: Option<String>,
        /// The requested suffix.
        new_suffix: Option<String>,
    },
    /// Reading or writing the bucket's notification configuration failed.
    #[error("bucket {bucket}: {action} failed: {message}")]
    Aws {
        /// Bucket name.
        bucket: String,
        /// The S3 action (IAM name).
        action: &'static str,
        /// The SDK's error, with its code.
        message: String,
    },
}

/// Checks that `arn` is an SQS queue ARN.
pub fn validate_queue_arn(arn: &str) -> Result<(), SetupError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sqs"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty();
    if ok {
        Ok(())
    } else {
        Err(SetupError::InvalidQueueArn(arn.to_string()))
    }
}

fn events_overlap(events: &[String]) -> bool {
    events
        .iter()
        .any(|e| e == INGEST_EVENT || e.starts_with("s3:ObjectCreated:") || e == "s3:*" || e == "*")
}

/// Two key filters overlap when some key can match both: each prefix is a prefix of the
/// other (or absent), and each suffix a suffix of the other (or absent).
pub fn filters_overlap(
    a_prefix: Option<&str>,
    a_suffix: Option<&str>,
    b_prefix: Option<&str>,
    b_suffix: Option<&str>,
) -> bool {
    let (ap, bp) = (a_prefix.unwrap_or(""), b_prefix.unwrap_or(""));
    let (as_, bs) = (a_suffix.unwrap_or(""), b_suffix.unwrap_or(""));
    (ap.starts_with(bp) || bp.starts_with(ap)) && (as_.ends_with(bs) || bs.ends_with(as_))
}

/// Plans adding `target` to a bucket whose rules are `existing`.
pub fn plan(
    bucket: &str,
    existing: &[ExistingRule],
    target: &QueueTarget,
) -> Result<Plan, SetupError> {
    validate_queue_arn(&target.queue_arn)?;
    let norm = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
    let (prefix, suffix) = (norm(&target.prefix), norm(&target.suffix));
    for rule in existing {
        if rule.kind == TargetKind::Queue
            && rule.arn == target.queue_arn
            && rule.events.iter().any(|e| e == INGEST_EVENT)
            && norm(&rule.prefix) == prefix
            && norm(&rule.suffix) == suffix
        {
            return Ok(Plan::AlreadyPresent);
        }
    }
    for rule in existing {
        if events_overlap(&rule.events)
            && filters_overlap(
                rule.prefix.as_deref(),
                rule.suffix.as_deref(),
                prefix.as_deref(),
                suffix.as_deref(),
            )
        {
            return Err(SetupError::Overlap {
                bucket: bucket.to_string(),
                rule: Box::new(rule.clone()),
                new_prefix: prefix,
                new_suffix: suffix,
            });
        }
    }
    Ok(Plan::Add {
        kept: existing.len(),
    })
}

fn filter_values(
    filter: Option<&NotificationConfigurationFilter>,
) -> (Option<String>, Option<String>) {
    let mut prefix = None;
    let mut suffix = None;
    for rule in filter
        .and_then(|f| f.key())
        .map(|k| k.filter_rules())
        .unwrap_or_default()
    {
        let value = rule.value().map(str::to_string);
        match rule.name() {
            Some(FilterRuleName::Prefix) => prefix = value,
            Some(FilterRuleName::Suffix) => suffix = value,
            _ => {}
        }
    }
    (prefix, suffix)
}

fn existing_rule(
    kind: TargetKind,
    id: Option<&str>,
    arn: &str,
    events: &[Event],
    filter: Option<&NotificationConfigurationFilter>,
) -> ExistingRule {
    let (prefix, suffix) = filter_values(filter);
    ExistingRule {
        kind,
        id: id.map(str::to_string),
        arn: arn.to_string(),
        events: events.iter().map(|e| e.as_str().to_string()).collect(),
        prefix,
        suffix,
    }
}

/// The rules of a configuration, for [`plan`].
pub fn existing_rules(config: &NotificationConfiguration) -> Vec<ExistingRule> {
    let queues = config.queue_configurations().iter().map(|q| {
        existing_rule(
            TargetKind::Queue,
            q.id(),
            q.queue_arn(),
            q.events(),
            q.filter(),
        )
    });
    let topics = config.topic_configurations().iter().map(|t| {
        existing_rule(
            TargetKind::Topic,
            t.id(),
            t.topic_arn(),
            t.events(),
            t.filter(),
        )
    });
    let lambdas = config.lambda_function_configurations().iter().map(|l| {
        existing_rule(
            TargetKind::Lambda,
            l.id(),
            l.lambda_function_arn(),
            l.events(),
            l.filter(),
        )
    });
    queues.chain(topics).chain(lambdas).collect()
}

/// `config` with the queue target appended; every existing rule (queue, topic, Lambda,
/// EventBridge) is kept as it is.
pub fn with_queue(
    config: &NotificationConfiguration,
    target: &QueueTarget,
) -> NotificationConfiguration {
    let mut rules = Vec::new();
    if let Some(p) = target.prefix.as_deref().filter(|p| !p.is_empty()) {
        rules.push(
            FilterRule::builder()
                .name(FilterRuleName::Prefix)
                .value(p)
                .build(),
        );
    }
    if let Some(s) = target.suffix.as_deref().filter(|s| !s.is_empty()) {
        rules.push(
            FilterRule::builder()
                .name(FilterRuleName::Suffix)
                .value(s)
                .build(),
        );
    }
    let mut queue = QueueConfiguration::builder()
        .id(RULE_ID)
        .queue_arn(&target.queue_arn)
        .events(Event::from(INGEST_EVENT));
    if !rules.is_empty() {
        queue = queue.filter(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                .build(),
        );
    }
    let mut queues = config.queue_configurations().to_vec();
    queues.push(queue.build().expect("queue ARN and events are set"));
    NotificationConfiguration::builder()
        .set_queue_configurations(Some(queues))
        .set_topic_configurations(Some(config.topic_configurations().to_vec()))
        .set_lambda_function_configurations(Some(config.lambda_function_configurations().to_vec()))
        .set_event_bridge_configuration(config.event_bridge_configuration().cloned())
        .build()
}

/// What [`setup_notifications`] did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The plan that was applied.
    pub plan: Plan,
    /// The rules found on the bucket.
    pub existing: Vec<ExistingRule>,
    /// Whether the configuration was written.
    pub written: bool,
}

/// Reads the bucket's notification configuration, adds the queue target and writes it back
/// (unless `dry_run`, or the target is already there).
pub async fn setup_notifications(
    s3: &Client,
    bucket: &str,
    expected_owner: Option<&str>,
    target: &QueueTarget,
    dry_run: bool,
) -> Result<Change, SetupError> {
    validate_queue_arn(&target.queue_arn)?;
    fn aws<E: std::error::Error>(bucket: &str, action: &'static str) -> impl Fn(E) -> SetupError {
        let bucket = bucket.to_string();
        move |e| SetupError::Aws {
            bucket: bucket.clone(),
            action,
            message: format!("{}", aws_sdk_s3::error::DisplayErrorContext(e)),
        }
    }
    let current = s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .set_expected_bucket_owner(expected_owner.map(str::to_string))
        .send()
        .await
        .map_err(aws(bucket, "s3:GetBucketNotification"))?;
    let config = NotificationConfiguration::builder()
        .set_queue_configurations(current.queue_configurations.clone())
        .set_topic_configurations(current.topic_configurations.clone())
        .set_lambda_function_configurations(current.lambda_function_configurations.clone())
        .set_event_bridge_configuration(current.event_bridge_configuration.clone())
        .build();
    let existing = existing_rules(&config);
    let plan = plan(bucket, &existing, target)?;
    let write = matches!(plan, Plan::Add { .. }) && !dry_run;
    if write {
        s3.put_bucket_notification_configuration()
            .bucket(bucket)
            .set_expected_bucket_owner(expected_owner.map(str::to_string))
            .notification_configuration(with_queue(&config, target))
            .send()
            .await
            .map_err(aws(bucket, "s3:PutBucketNotification"))?;
    }
    Ok(Change {
        plan,
        existing,
        written: write,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:s3connector-ingest";

    fn target(prefix: Option<&str>, suffix: Option<&str>) -> QueueTarget {
        QueueTarget {
            queue_arn: QUEUE.into(),
            prefix: prefix.map(Into::into),
            suffix: suffix.map(Into::into),
        }
    }

    fn rule(
        kind: TargetKind,
        events: &[&str],
        prefix: Option<&str>,
        suffix: Option<&str>,
    ) -> ExistingRule {
        ExistingRule {
            kind,
            id: Some("existing".into()),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:thumbnails".into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            prefix: prefix.map(Into::into),
            suffix: suffix.map(Into::into),
        }
    }

    #[test]
    fn empty_bucket_gets_the_queue() {
        assert_eq!(
            plan("b", &[], &target(None, None)).unwrap(),
            Plan::Add { kept: 0 }
        );
    }

    #[test]
    fn disjoint_prefixes_keep_the_existing_rule() {
        let existing = [rule(
            TargetKind::Lambda,
            &["s3:ObjectCreated:Put"],
            Some("images/"),
            None,
        )];
        assert_eq!(
            plan("b", &existing, &target(Some("AWSLogs/"), None)).unwrap(),
            Plan::Add { kept: 1 }
        );
    }

    #[test]
    fn other_event_types_never_overlap() {
        let existing = [rule(TargetKind::Topic, &["s3:ObjectRemoved:*"], None, None)];
        assert_eq!(
            plan("b", &existing, &target(None, None)).unwrap(),
            Plan::Add { kept: 1 }
        );
    }

    #[test]
    fn nested_prefix_with_created_events_is_refused_with_the_rule_named() {
        let existing = [rule(
            TargetKind::Lambda,
            &["s3:ObjectCreated:*"],
            Some("AWSLogs/"),
            None,
        )];
        let err = plan("logs", &existing, &target(Some("AWSLogs/123/"), None)).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SetupError::Overlap { .. }));
        assert!(
            text.contains("function:thumbnails") && text.contains("nothing was changed"),
            "{text}"
        );
    }

    #[test]
    fn different_suffixes_do_not_overlap_but_nested_ones_do() {
        let existing = [rule(
            TargetKind::Queue,
            &["s3:ObjectCreated:Put"],
            None,
            Some(".jpg"),
        )];
        assert!(plan("b", &existing, &target(None, Some(".gz"))).is_ok());
        assert!(plan("b", &existing, &target(None, None)).is_err());
        let gz = [rule(
            TargetKind::Queue,
            &["s3:ObjectCreated:Put"],
            None,
            Some(".json.gz"),
        )];
        assert!(plan("b", &gz, &target(None, Some(".gz"))).is_err());
    }

    #[test]
    fn the_same_queue_and_filter_is_already_present() {
        let mut same = rule(TargetKind::Queue, &[INGEST_EVENT], Some("AWSLogs/"), None);
        same.arn = QUEUE.into();
        assert_eq!(
            plan("b", &[same], &target(Some("AWSLogs/"), None)).unwrap(),
            Plan::AlreadyPresent
        );
    }

    #[test]
    fn queue_arn_is_validated() {
        let mut t = target(None, None);
        t.queue_arn = "https://sqs.us-east-1.amazonaws.com/123456789012/q".into();
        assert!(matches!(
            plan("b", &[], &t),
            Err(SetupError::InvalidQueueArn(_))
        ));
    }

    #[test]
    fn merge_keeps_topic_lambda_and_eventbridge_targets() {
        use aws_sdk_s3::types::{
            EventBridgeConfiguration, LambdaFunctionConfiguration, TopicConfiguration,
        };
        let config = NotificationConfiguration::builder()
            .topic_configurations(
                TopicConfiguration::builder()
                    .topic_arn("arn:aws:sns:us-east-1:123456789012:t")
                    .events(Event::from("s3:ObjectRemoved:*"))
                    .build()
                    .unwrap(),
            )
            .lambda_function_configurations(
                LambdaFunctionConfiguration::builder()
                    .lambda_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f")
                    .events(Event::from("s3:ObjectCreated:Put"))
                    .build()
                    .unwrap(),
            )
            .event_bridge_configuration(EventBridgeConfiguration::builder().build())
            .build();
        let merged = with_queue(&config, &target(Some("AWSLogs/"), Some(".gz")));
        assert_eq!(merged.topic_configurations().len(), 1);
        assert_eq!(merged.lambda_function_configurations().len(), 1);
        assert!(merged.event_bridge_configuration().is_some());
        let q = &merged.queue_configurations()[0];
        assert_eq!(q.queue_arn(), QUEUE);
        assert_eq!(
            filter_values(q.filter()),
            (Some("AWSLogs/".into()), Some(".gz".into()))
        );
    }
}
