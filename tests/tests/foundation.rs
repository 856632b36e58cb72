//! Wiring tests against the emulator: S3 notification -> SQS -> ingest entry point,
//! and bucket listing for scans.

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::{create_queue, notify_queue, receive_as_sqs_event, unique_name, Emulator};
use s3connector::{ingest, scan};

#[tokio::test]
async fn object_put_reaches_ingest_through_s3_notification_and_sqs() {
    let emu = Emulator::start();
    let clients = emu.clients().await;
    let s3 = clients.s3();
    let bucket = unique_name("it-logs");
    let queue = unique_name("it-ingest");

    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let (queue_url, queue_arn) = create_queue(&clients, &queue).await.unwrap();
    notify_queue(&clients, &bucket, &queue_arn).await.unwrap();

    // A key that exercises the notification's URL encoding: spaces, '+', '%' and unicode.
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/23/my file+1 100% café.json.gz";
    let body = b"{\"Records\":[]}".to_vec();
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();

    // S3 may send s3:TestEvent first when the configuration is saved; it is acknowledged.
    let event = receive_as_sqs_event(&clients, &queue_url, &queue_arn, 1)
        .await
        .unwrap();
    let outcome = ingest::announce(event);
    assert!(outcome.from_sqs);
    assert!(outcome.failed_message_ids.is_empty());
    assert_eq!(outcome.counts.rejected, 0);
    assert_eq!(outcome.objects.len(), 1, "{:?}", outcome);
    let object = &outcome.objects[0];
    assert_eq!(object.bucket, bucket);
    assert_eq!(object.key, key);
    assert_eq!(object.size, Some(body.len() as u64));
    assert!(object.event_name.contains("ObjectCreated"));

    // The decoded key is the real one: S3 finds the object under it.
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(&object.key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(body.len() as i64));
}

#[tokio::test]
async fn scan_lists_buckets_it_can_see() {
    let emu = Emulator::start();
    let s3 = emu.clients().await.s3();
    let names = [unique_name("it-scan-a"), unique_name("it-scan-b")];
    for n in &names {
        s3.create_bucket().bucket(n).send().await.unwrap();
    }
    let listed = scan::list_buckets(&s3).await.unwrap();
    for n in &names {
        assert!(listed.iter().any(|b| &b.name == n), "{n} not listed");
    }
}
