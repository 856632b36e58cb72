//! Does a queue policy let S3 deliver this bucket's notifications? A pure reading of the
//! policy document, so the verdict can say which statement to add.

use serde_json::Value;

use super::role_policy::glob_matches as glob;

/// What the queue policy allows for S3 notifications from one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueuePolicyCheck {
    /// An Allow for `s3.amazonaws.com` to `sqs:SendMessage`, scoped to the bucket.
    AllowsBucket,
    /// An Allow exists but is not scoped by `aws:SourceArn`/`aws:SourceAccount`, so any
    /// bucket in any account could send: it works, but is wider than it should be.
    AllowsUnscoped,
    /// The queue has no policy at all.
    NoPolicy,
    /// The policy has no statement that lets this bucket send.
    DoesNotAllow,
    /// The policy is not valid JSON.
    Unreadable,
}

/// Checks `policy` (the queue's `Policy` attribute) for this bucket and queue.
pub fn check(policy: Option<&str>, queue_arn: &str, bucket_arn: &str) -> QueuePolicyCheck {
    let Some(text) = policy.filter(|p| !p.trim().is_empty()) else {
        return QueuePolicyCheck::NoPolicy;
    };
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return QueuePolicyCheck::Unreadable;
    };
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => vec![],
    };
    let denied = statements.iter().any(|s| {
        s["Effect"] == "Deny"
            && lets_s3_send(s, queue_arn)
            && condition_matches(s, bucket_arn) != Scope::OtherSource
    });
    if denied {
        return QueuePolicyCheck::DoesNotAllow;
    }
    let mut best = QueuePolicyCheck::DoesNotAllow;
    for s in statements
        .iter()
        .filter(|s| s["Effect"] == "Allow" && lets_s3_send(s, queue_arn))
    {
        match condition_matches(s, bucket_arn) {
            Scope::ThisBucket => return QueuePolicyCheck::AllowsBucket,
            Scope::Unscoped => best = QueuePolicyCheck::AllowsUnscoped,
            Scope::OtherSource => {}
        }
    }
    best
}

/// The account S3 sends notifications from: the bucket owner's, which `aws:SourceAccount`
/// must name (Amazon S3 User Guide, "Granting permissions to publish event notification
/// messages to a destination").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceAccount {
    /// The caller named the owner (`expected_bucket_owner`), and S3 confirmed it.
    Known(String),
    /// Unknown: the statement holds a placeholder naming the bucket.
    OwnerOf(String),
}

impl SourceAccount {
    /// The owner when known, else a placeholder for the owner of `bucket`.
    pub fn for_bucket(bucket: &str, owner: Option<&str>) -> Self {
        match owner {
            Some(account) => SourceAccount::Known(account.to_string()),
            None => SourceAccount::OwnerOf(bucket.to_string()),
        }
    }

    fn value(&self) -> String {
        match self {
            SourceAccount::Known(account) => account.clone(),
            SourceAccount::OwnerOf(bucket) => format!("<ID of the account that owns {bucket}>"),
        }
    }

    /// Words to put after a statement holding the placeholder, if it holds one.
    pub fn note(&self) -> &'static str {
        match self {
            SourceAccount::Known(_) => "",
            SourceAccount::OwnerOf(_) => {
                " (aws:SourceAccount is the 12-digit ID of the account that owns the bucket, which is not always the queue's; send expected_bucket_owner to have it filled in)"
            }
        }
    }
}

/// The statement to add to the queue policy, as JSON text: `s3.amazonaws.com` may call
/// `sqs:SendMessage` on the queue for this bucket (`aws:SourceArn`) and owner
/// (`aws:SourceAccount`), followed by [`SourceAccount::note`].
pub fn statement_for(queue_arn: &str, bucket_arn: &str, account: &SourceAccount) -> String {
    let statement = serde_json::json!({
        "Sid": "AllowS3Notifications",
        "Effect": "Allow",
        "Principal": { "Service": "s3.amazonaws.com" },
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {
            "ArnLike": { "aws:SourceArn": bucket_arn },
            "StringEquals": { "aws:SourceAccount": account.value() },
        },
    });
    format!("{statement}{}", account.note())
}

#[derive(Debug, PartialEq, Eq)]
enum Scope {
    ThisBucket,
    Unscoped,
    OtherSource,
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

fn lets_s3_send(statement: &Value, queue_arn: &str) -> bool {
    let principal = &statement["Principal"];
    let principal_ok = principal == "*"
        || strings(&principal["Service"]).contains(&"s3.amazonaws.com")
        || strings(&principal["AWS"]).contains(&"*");
    let action_ok = strings(&statement["Action"])
        .iter()
        .any(|a| glob(&a.to_ascii_lowercase(), "sqs:sendmessage"));
    let resource = &statement["Resource"];
    let resource_ok = resource.is_null() || strings(resource).iter().any(|r| glob(r, queue_arn));
    principal_ok && action_ok && resource_ok
}

fn condition_matches(statement: &Value, bucket_arn: &str) -> Scope {
    let Some(conditions) = statement["Condition"].as_object() else {
        return Scope::Unscoped;
    };
    let mut scoped = false;
    for (operator, keys) in conditions {
        let Some(keys) = keys.as_object() else {
            continue;
        };
        for (key, values) in keys {
            if key.eq_ignore_ascii_case("aws:SourceArn") {
                scoped = true;
                let matches = strings(values).iter().any(|v| {
                    if operator.starts_with("ArnLike") || operator.starts_with("StringLike") {
                        glob(v, bucket_arn)
                    } else {
                        *v == bucket_arn
                    }
                });
                if !matches {
                    return Scope::OtherSource;
                }
            }
        }
    }
    if scoped {
        Scope::ThisBucket
    } else {
        Scope::Unscoped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:ingest";
    const BUCKET: &str = "arn:aws:s3:::example-logs";

    fn policy(statement: Value) -> String {
        serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
    }

    #[test]
    fn documented_s3_notification_policy_allows_the_bucket() {
        let p = statement_for(QUEUE, BUCKET, &SourceAccount::Known("123456789012".into()));
        let doc = policy(serde_json::from_str(&p).unwrap());
        assert_eq!(
            check(Some(&doc), QUEUE, BUCKET),
            QueuePolicyCheck::AllowsBucket
        );
    }

    #[test]
    fn wildcard_source_arn_covers_the_bucket() {
        let doc = policy(serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": ["s3.amazonaws.com"]},
            "Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:*:123456789012:*",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::example-*"}}
        }));
        assert_eq!(
            check(Some(&doc), QUEUE, BUCKET),
            QueuePolicyCheck::AllowsBucket
        );
    }

    #[test]
    fn policy_for_another_bucket_does_not_allow() {
        let doc = policy(serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": QUEUE,
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::other-bucket"}}
        }));
        assert_eq!(
            check(Some(&doc), QUEUE, BUCKET),
            QueuePolicyCheck::DoesNotAllow
        );
    }

    #[test]
    fn unconditioned_allow_is_reported_as_unscoped() {
        let doc = policy(serde_json::json!({
            "Effect": "Allow", "Principal": "*", "Action": "SQS:*", "Resource": QUEUE
        }));
        assert_eq!(
            check(Some(&doc), QUEUE, BUCKET),
            QueuePolicyCheck::AllowsUnscoped
        );
    }

    #[test]
    fn explicit_deny_for_s3_wins() {
        let allow = serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": QUEUE,
            "Condition": {"ArnLike": {"aws:SourceArn": BUCKET}}
        });
        let deny = serde_json::json!({
            "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE
        });
        let doc = serde_json::json!({"Statement": [allow, deny]}).to_string();
        assert_eq!(
            check(Some(&doc), QUEUE, BUCKET),
            QueuePolicyCheck::DoesNotAllow
        );
    }

    #[test]
    fn missing_and_broken_policies_are_told_apart() {
        assert_eq!(check(None, QUEUE, BUCKET), QueuePolicyCheck::NoPolicy);
        assert_eq!(check(Some(""), QUEUE, BUCKET), QueuePolicyCheck::NoPolicy);
        assert_eq!(
            check(Some("{not json"), QUEUE, BUCKET),
            QueuePolicyCheck::Unreadable
        );
    }

    #[test]
    fn policy_for_another_action_does_not_allow() {
        let doc = policy(serde_json::json!({
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:ReceiveMessage", "Resource": QUEUE
        }));
        assert_eq!(
            check(Some(&doc), QUEUE, BUCKET),
            QueuePolicyCheck::DoesNotAllow
        );
    }

    #[test]
    fn statement_names_the_bucket_owner_as_source_account_or_says_it_is_unknown() {
        let known = statement_for(
            QUEUE,
            BUCKET,
            &SourceAccount::for_bucket("example-logs", Some("210987654321")),
        );
        let doc: Value = serde_json::from_str(&known).unwrap();
        assert_eq!(
            doc["Condition"]["StringEquals"]["aws:SourceAccount"],
            "210987654321"
        );
        let unknown = statement_for(
            QUEUE,
            BUCKET,
            &SourceAccount::for_bucket("example-logs", None),
        );
        assert!(
            unknown.contains(r#""aws:SourceAccount":"<ID of the account that owns example-logs>""#),
            "{unknown}"
        );
        assert!(
            unknown.ends_with("send expected_bucket_owner to have it filled in)"),
            "{unknown}"
        );
        // Never the queue's own account, which is not always the bucket owner's.
        assert!(
            !unknown.contains(r#""aws:SourceAccount":"123456789012""#),
            "{unknown}"
        );
    }
}
