//! `s3connector classify s3://bucket/prefix` against the emulator: which keys a URI names
//! (an exact key, or every object under a prefix across ListObjectsV2 pages, folder markers
//! left out), and each object classified from its streamed body (gzip, CSV by column) with
//! only masked samples.

use std::sync::Arc;

use integration_tests::{samples, unique_name, Emulator};
use s3connector::classify::s3::{classify_s3_object, object_keys, S3ClassifyError};
use s3connector::classify::{Classifier, ClassifyConfig, ObjectStatus, SampleLimits};

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_prefix_names_every_object_under_it_across_pages_and_an_exact_key_only_itself() {
    let emu = Emulator::start();
    let s3 = emu.clients().await.s3();
    let bucket = unique_name("it-classify-s3");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let under: Vec<String> = (0..7)
        .map(|i| format!("exports/2026/part-{i}.csv"))
        .collect();
    for key in &under {
        put(&s3, &bucket, key, b"id,host\n1,web-1\n".to_vec()).await;
    }
    // A folder marker, an object whose key is the prefix of others, and one outside.
    put(&s3, &bucket, "exports/2026/", Vec::new()).await;
    put(&s3, &bucket, "exports/2026/part-1", b"x\n".to_vec()).await;
    put(&s3, &bucket, "other/file.txt", b"x\n".to_vec()).await;

    // Pages of 2 keys: 5 pages, every key once, listing (UTF-8 binary) order.
    let keys = object_keys(&s3, &bucket, "exports/2026/", 2).await.unwrap();
    let mut expected = under.clone();
    expected.push("exports/2026/part-1".into());
    expected.sort();
    assert_eq!(keys, expected);

    // A key that names an object is that object alone, though it prefixes another key.
    let exact = object_keys(&s3, &bucket, "exports/2026/part-1", 2)
        .await
        .unwrap();
    assert_eq!(exact, ["exports/2026/part-1"]);

    // A prefix without the trailing slash lists as a prefix when no object has that key.
    let loose = object_keys(&s3, &bucket, "exports/2026/part-", 3)
        .await
        .unwrap();
    assert_eq!(loose.len(), 8, "{loose:?}");

    let nothing = object_keys(&s3, &bucket, "missing/", 2).await.unwrap_err();
    assert!(
        matches!(nothing, S3ClassifyError::NothingThere { .. }),
        "{nothing}"
    );
    assert_eq!(
        nothing.to_string(),
        format!("s3://{bucket}/missing/: no object with this key or prefix")
    );
    let no_bucket = object_keys(&s3, &unique_name("it-absent"), "", 2)
        .await
        .unwrap_err();
    assert!(
        matches!(no_bucket, S3ClassifyError::List { .. })
            && no_bucket
                .to_string()
                .contains(": listing failed: no such bucket: it-absent-"),
        "{no_bucket}"
    );
}

#[tokio::test]
async fn objects_are_classified_from_their_streamed_bodies_with_masked_samples_only() {
    let emu = Emulator::start();
    let s3 = emu.clients().await.s3();
    let bucket = unique_name("it-classify-s3");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let [_, card, key, _] = samples::PLANTED.map(|(_, v)| v);
    put(
        &s3,
        &bucket,
        "logs/app.log.gz",
        samples::gzip(format!("boot ok\naws_access_key_id = {key}\n").as_bytes()),
    )
    .await;
    put(
        &s3,
        &bucket,
        "exports/customers.csv",
        format!("id,name,card_number\n1,Ann,{card}\n").into_bytes(),
    )
    .await;
    let classifier = Arc::new(Classifier::new(ClassifyConfig::default()).unwrap());
    let spool = std::env::temp_dir();

    let log = classify_s3_object(
        &s3,
        &classifier,
        &bucket,
        "logs/app.log.gz",
        SampleLimits::NONE,
        &spool,
        1 << 20,
    )
    .await
    .unwrap();
    assert_eq!(log.status, ObjectStatus::Complete);
    let found = log
        .findings
        .iter()
        .find(|f| f.detector == "aws_access_key_id")
        .unwrap_or_else(|| panic!("{:?}", log.findings));
    assert_eq!(found.locations[0].line, 2);

    let csv = classify_s3_object(
        &s3,
        &classifier,
        &bucket,
        "exports/customers.csv",
        SampleLimits::NONE,
        &spool,
        1 << 20,
    )
    .await
    .unwrap();
    assert_eq!(csv.format, "csv");
    let card_finding = csv
        .findings
        .iter()
        .find(|f| f.detector == "credit_card")
        .unwrap_or_else(|| panic!("{:?}", csv.findings));
    assert_eq!(card_finding.locations[0].row, Some(1));
    assert_eq!(
        card_finding.locations[0].column_name.as_deref(),
        Some("card_number")
    );

    for report in [&log, &csv] {
        let text = serde_json::to_string(report).unwrap();
        for (_, value) in samples::PLANTED {
            assert!(!text.contains(value), "{value} unmasked in {text}");
        }
    }

    let missing = classify_s3_object(
        &s3,
        &classifier,
        &bucket,
        "logs/absent.log",
        SampleLimits::NONE,
        &spool,
        1 << 20,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(missing, S3ClassifyError::Get { .. })
            && missing.to_string()
                == format!(
                    "s3://{bucket}/logs/absent.log: no such key: s3://{bucket}/logs/absent.log"
                ),
        "{missing}"
    );
}

/// S3 answers 403 InvalidObjectState for an archived object: the error says it is archived
/// and must be restored, not that access was denied (which sends users to IAM).
#[tokio::test]
async fn an_archived_object_is_reported_as_archived_not_access_denied() {
    let emu = Emulator::start();
    let s3 = emu.clients().await.s3();
    let bucket = unique_name("it-classify-glacier");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("glacier/old.txt")
        .storage_class(aws_sdk_s3::types::StorageClass::Glacier)
        .body(b"SSN 536-22-8726\n".to_vec().into())
        .send()
        .await
        .unwrap();
    let classifier = Arc::new(Classifier::new(ClassifyConfig::default()).unwrap());
    let e = classify_s3_object(
        &s3,
        &classifier,
        &bucket,
        "glacier/old.txt",
        SampleLimits::NONE,
        &std::env::temp_dir(),
        1 << 20,
    )
    .await
    .unwrap_err();
    let message = e.to_string();
    assert!(
        message.starts_with(&format!(
            "s3://{bucket}/glacier/old.txt: the object is archived"
        )) && message.contains("must be restored")
            && message.contains("(InvalidObjectState)")
            && !message.contains("access denied"),
        "{message}"
    );
}

#[tokio::test]
async fn keys_xml_cannot_carry_are_listed_through_url_encoding() {
    let emu = Emulator::start();
    let s3 = emu.clients().await.s3();
    let bucket = unique_name("it-classify-s3");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // A control character (XML 1.0 cannot carry it), `+`, a space, `%` and a non-ASCII
    // character: one such key must not make the listing unreadable for the others.
    let mut keys = vec![
        "odd/\u{1}ctl.txt".to_string(),
        "odd/a+b.txt".to_string(),
        "odd/a b.txt".to_string(),
        "odd/100%.txt".to_string(),
        "odd/€uro.txt".to_string(),
    ];
    for key in &keys {
        put(&s3, &bucket, key, b"x\n".to_vec()).await;
    }
    keys.sort();
    let listed = object_keys(&s3, &bucket, "odd/", 2).await.unwrap();
    assert_eq!(listed, keys);
}
