//! Property tests ("fuzzing" on stable Rust with proptest) for every entry point that
//! reads untrusted input: the notification decoder, S3 key decoding and key-based
//! detection, content detection, compression detection and decoding under the bomb guard,
//! every log parser (which drive the tokenizer and timestamp parsing) and normalization.
//!
//! The property is the same everywhere: no input panics, and every record is either
//! delivered or reported with a reason. Inputs are arbitrary bytes and strings, and real
//! samples from the generators in `integration_tests::samples` with random edits (bytes
//! replaced, inserted, truncated), which reach far deeper into the parsers than noise.
//!
//! `make test` runs a short pass (proptest's default of 256 cases per target, fewer for
//! the slow ones); `make fuzz` sets `PROPTEST_CASES` high for a long run. A failure prints
//! the minimal input; it then becomes a regression test beside the parser it broke.

use std::io::{BufReader, Cursor, Read};
use std::ops::ControlFlow;

use integration_tests::samples;
use proptest::prelude::*;
use s3connector::logs::{self, detect, LogType};
use s3connector::normalize::{NormalizeOptions, Normalizer, RawMode, SourceObject};
use s3connector::notification;
use s3connector::object::{self, BombLimits};

/// Real-format seeds: a few records of each generated format, decompressed.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    samples::cloudtrail(&mut buf, 3, 7).unwrap();
    out.push(std::mem::take(&mut buf));
    samples::vpc_flow(&mut buf, 5, 7).unwrap();
    out.push(std::mem::take(&mut buf));
    samples::alb(&mut buf, 5, 7).unwrap();
    out.push(std::mem::take(&mut buf));
    samples::alb_connections(&mut buf, 5, 7).unwrap();
    out.push(std::mem::take(&mut buf));
    out.push(samples::cloudwatch_firehose(2, 3, 7));
    for object in samples::demo_objects() {
        let mut plain = Vec::new();
        let opened = object::open(
            Cursor::new(object.body.clone()),
            object.content_encoding,
            None,
            &object.key,
            BombLimits::default(),
        );
        if let Ok(mut o) = opened {
            if o.reader.read_to_end(&mut plain).is_ok() {
                out.push(plain);
            }
        }
    }
    out
}

/// A seed with up to `edits` random edits: replace, insert or delete bytes, or truncate.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    edited(seeds(), 0, false)
}

/// VPC flow log files in the Parquet format (the same flows as the text seeds, default
/// and custom fields, one and several row groups), to drive the Parquet reader.
fn parquet_seeds() -> Vec<Vec<u8>> {
    let mut text = Vec::new();
    samples::vpc_flow(&mut text, 12, 7).unwrap();
    let text = String::from_utf8(text).unwrap();
    let custom = "version srcaddr dstaddr srcport dstport protocol bytes packets start end action log-status flow-direction traffic-path tcp-flags pkt-dst-aws-service\n\
        5 10.0.0.1 52.95.1.1 49152 443 6 840 10 1795428000 1795428060 ACCEPT OK egress 2 19 S3\n\
        5 - - - - - - - 1795428000 1795428060 - NODATA - - - -\n";
    vec![
        samples::vpc_flow_parquet(&text, 5),
        samples::vpc_flow_parquet(&text, 100),
        samples::vpc_flow_parquet(custom, 1),
    ]
}

/// One of `seeds` with up to eight random edits at or after byte `keep` (replace,
/// insert or delete a byte, or truncate). With `footer`, half the edits fall in the last
/// 256 bytes, so a Parquet footer (its schema and row group metadata) is hit often.
fn edited(seeds: Vec<Vec<u8>>, keep: usize, footer: bool) -> impl Strategy<Value = Vec<u8>> {
    (
        0..seeds.len(),
        prop::collection::vec((0u8..4, any::<bool>(), any::<usize>(), any::<u8>()), 0..8),
    )
        .prop_map(move |(i, edits)| {
            let mut data = seeds[i].clone();
            for (kind, tail, at, byte) in edits {
                if data.len() <= keep {
                    data.push(byte);
                    continue;
                }
                let span = data.len() - keep;
                let at = if footer && tail {
                    data.len() - 1 - at % span.min(256)
                } else {
                    keep + at % span
                };
                match kind {
                    0 => data[at] = byte,
                    1 => data.insert(at, byte),
                    2 => {
                        data.remove(at);
                    }
                    _ => data.truncate(at),
                }
            }
            data
        })
}

/// Parses `data` as `log_type` and normalizes every record; counts must add up.
fn parse_and_normalize(log_type: LogType, data: &[u8]) {
    let source = SourceObject {
        bucket: "fuzz-bucket".into(),
        key: "fuzz/key".into(),
        etag: Some("\"0123456789abcdef\"".into()),
        version_id: None,
    };
    for keep_raw in [RawMode::Auto, RawMode::Unmapped] {
        let normalizer = Normalizer::new(
            log_type,
            &source,
            NormalizeOptions {
                keep_raw,
                fallback_time_ms: Some(1_795_428_000_000),
                ..NormalizeOptions::default()
            },
        );
        let (mut delivered, mut rejected) = (0u64, 0u64);
        let mut emit = |record: Result<logs::ParsedRecord<'_>, logs::RecordError>| {
            match record {
                Ok(r) => {
                    let event = normalizer.normalize(&r);
                    // Whatever the input, the event is one a strict OCSF consumer accepts.
                    integration_tests::ocsf::assert_valid_ocsf(&event.event);
                    delivered += 1;
                }
                Err(e) => {
                    assert!(!e.reason.is_empty(), "a record error without a reason");
                    rejected += 1;
                }
            }
            ControlFlow::Continue(())
        };
        // Small buffers put refill edges everywhere.
        let reader = BufReader::with_capacity(61, Cursor::new(data));
        if let Ok(summary) = logs::parse_stream(log_type, reader, 0, &mut emit) {
            assert_eq!(
                (summary.records, summary.malformed),
                (delivered, rejected),
                "{log_type:?}: every record is delivered or reported with its reason"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn notification_decoder_never_panics_on_any_text(body in any::<String>()) {
        let _ = notification::decode(&body);
    }

    #[test]
    fn notification_decoder_never_panics_on_edited_notifications(
        body in prop::sample::select(notification_seeds()),
        edits in prop::collection::vec((any::<usize>(), any::<char>()), 0..6),
    ) {
        let mut chars: Vec<char> = body.chars().collect();
        for (at, c) in edits {
            let at = at % chars.len();
            chars[at] = c;
        }
        let text: String = chars.into_iter().collect();
        let _ = notification::decode(&text);
    }

    #[test]
    fn key_decoding_and_key_detection_never_panic(key in any::<String>()) {
        let _ = notification::decode_key(&key);
        let _ = detect::detect_by_key(&key);
        let _ = detect::key_scope(&key);
    }

    #[test]
    fn aws_shaped_keys_with_any_characters_never_panic(
        parts in prop::collection::vec("\\PC{0,12}", 0..9),
        service in prop::sample::select(vec!["CloudTrail", "vpcflowlogs", "elasticloadbalancing", "CloudTrail-Digest", "GuardDuty", "WAFLogs", "route53resolver"]),
    ) {
        let key = format!("AWSLogs/{}/{service}/{}", parts.first().cloned().unwrap_or_default(), parts.join("/"));
        let _ = detect::detect_by_key(&key);
        let _ = detect::key_scope(&key);
        let with_file = format!("{key}/{}_{service}_{}", parts.join("_"), parts.join("-"));
        let _ = detect::detect_by_key(&with_file);
    }

    #[test]
    fn content_detection_never_panics(head in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = detect::detect_by_content(&head);
    }

    #[test]
    fn compression_detection_and_decoding_never_panic(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..4096),
            mutated().prop_map(|d| samples::gzip(&d)),
            (mutated(), any::<usize>()).prop_map(|(d, cut)| {
                let mut g = samples::gzip(&d);
                g.truncate(cut % (g.len() + 1));
                g
            }),
        ],
        encoding in prop::option::of(prop::sample::select(vec!["gzip", "zstd", "identity", "br", ""])),
        key in prop::sample::select(vec!["a.gz", "a.zst", "a.log", "a", "a.json.gz"]),
    ) {
        let limits = BombLimits { max_output_bytes: 1 << 20, max_ratio: 1000, ratio_grace_bytes: 1 << 16, ..BombLimits::default() };
        let _ = object::detect(encoding, None, key, &data);
        if let Ok(mut opened) = object::open(Cursor::new(data), encoding, None, key, limits) {
            let mut sink = Vec::new();
            let _ = opened.reader.read_to_end(&mut sink);
            prop_assert!(sink.len() as u64 <= limits.max_output_bytes + (256 << 10));
        }
    }
}

proptest! {
    // Parsing and normalizing every format per case is slower: fewer cases in `make test`.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_parser_survives_edited_real_samples(data in mutated(), which in 0..LogType::ALL.len()) {
        parse_and_normalize(LogType::ALL[which], &data);
    }

    #[test]
    fn parquet_flow_log_reader_survives_edited_files(data in edited(parquet_seeds(), 4, true)) {
        parse_and_normalize(LogType::VpcFlow, &data);
    }

    #[test]
    fn every_parser_survives_arbitrary_bytes(
        data in prop::collection::vec(any::<u8>(), 0..1024),
        which in 0..LogType::ALL.len(),
    ) {
        parse_and_normalize(LogType::ALL[which], &data);
    }

    #[test]
    fn every_parser_survives_lines_of_any_characters(
        lines in prop::collection::vec("[ -~\"\\\\\\[\\]]{0,80}|\\PC{0,40}", 1..6),
        which in 0..LogType::ALL.len(),
    ) {
        parse_and_normalize(LogType::ALL[which], lines.join("\n").as_bytes());
    }
}

/// Notification bodies of every envelope the decoder accepts, as the AWS documents show them.
fn notification_seeds() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
    let mut seeds: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with("apigw"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    // SQS bodies too: the decoder sees the body string, not the SQS event.
    let sqs: Vec<String> = seeds
        .iter()
        .filter_map(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .filter_map(|v| {
            v["Records"].as_array().map(|records| {
                records
                    .iter()
                    .filter_map(|r| r["body"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect();
    seeds.extend(sqs);
    seeds.retain(|s| !s.is_empty());
    seeds
}
