//! `setup notifications` against the emulator: the ingest queue is added to a bucket that
//! already notifies a Lambda function and an SNS topic, and both keep their rules.

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, LambdaFunctionConfiguration, NotificationConfiguration,
    NotificationConfigurationFilter, S3KeyFilter, TopicConfiguration,
};
use integration_tests::{create_queue, unique_name, Emulator};
use s3connector::setup::{self, Plan, QueueTarget, SetupError};

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:thumbnails";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:deletions";

fn prefix_filter(prefix: &str) -> NotificationConfigurationFilter {
    NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value(prefix)
                        .build(),
                )
                .build(),
        )
        .build()
}

async fn bucket_with_existing_targets(
    s3: &aws_sdk_s3::Client,
    lambda_prefix: Option<&str>,
) -> String {
    let bucket = unique_name("it-setup");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut lambda = LambdaFunctionConfiguration::builder()
        .id("thumbnails")
        .lambda_function_arn(LAMBDA)
        .events(Event::from("s3:ObjectCreated:*"));
    if let Some(p) = lambda_prefix {
        lambda = lambda.filter(prefix_filter(p));
    }
    let config = NotificationConfiguration::builder()
        .lambda_function_configurations(lambda.build().unwrap())
        .topic_configurations(
            TopicConfiguration::builder()
                .id("deletions")
                .topic_arn(TOPIC)
                .events(Event::from("s3:ObjectRemoved:*"))
                .build()
                .unwrap(),
        )
        .build();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(config)
        .send()
        .await
        .unwrap();
    bucket
}

#[tokio::test]
async fn queue_is_added_and_existing_lambda_and_sns_targets_are_kept() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = clients.s3();
    let bucket = bucket_with_existing_targets(&s3, Some("images/")).await;
    let (_, queue_arn) = create_queue(&clients, &unique_name("it-setup-q"))
        .await
        .unwrap();
    let target = QueueTarget {
        queue_arn: queue_arn.clone(),
        prefix: Some("AWSLogs/".into()),
        suffix: Some(".gz".into()),
    };

    let dry = setup::setup_notifications(&s3, &bucket, None, &target, true)
        .await
        .unwrap();
    assert_eq!(dry.plan, Plan::Add { kept: 2 });
    assert!(!dry.written);
    let before = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(
        before.queue_configurations().is_empty(),
        "a dry run writes nothing"
    );

    let change = setup::setup_notifications(&s3, &bucket, None, &target, false)
        .await
        .unwrap();
    assert!(change.written);
    let after = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(after.lambda_function_configurations().len(), 1);
    assert_eq!(
        after.lambda_function_configurations()[0].lambda_function_arn(),
        LAMBDA
    );
    assert_eq!(after.topic_configurations().len(), 1);
    assert_eq!(after.topic_configurations()[0].topic_arn(), TOPIC);
    assert_eq!(after.queue_configurations().len(), 1);
    assert_eq!(after.queue_configurations()[0].queue_arn(), queue_arn);

    let again = setup::setup_notifications(&s3, &bucket, None, &target, false)
        .await
        .unwrap();
    assert_eq!(again.plan, Plan::AlreadyPresent);
    assert!(!again.written);
}

#[tokio::test]
async fn overlapping_rule_is_refused_and_nothing_changes() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = clients.s3();
    // The Lambda target takes every created object: any queue rule for created objects overlaps.
    let bucket = bucket_with_existing_targets(&s3, None).await;
    let (_, queue_arn) = create_queue(&clients, &unique_name("it-setup-q"))
        .await
        .unwrap();
    let target = QueueTarget {
        queue_arn,
        prefix: Some("AWSLogs/".into()),
        suffix: None,
    };
    let err = setup::setup_notifications(&s3, &bucket, None, &target, false)
        .await
        .unwrap_err();
    assert!(matches!(err, SetupError::Overlap { .. }), "{err}");
    assert!(err.to_string().contains("thumbnails"), "{err}");
    let after = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(after.queue_configurations().is_empty());
    assert_eq!(after.lambda_function_configurations().len(), 1);
}
