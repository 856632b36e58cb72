//! Maps parsed log records to OCSF 1.3.0 events.
//!
//! Every event carries the OCSF classification (`class_uid`, `activity_id`,
//! `type_uid`, ...), the record's own `time`, `metadata` (schema version,
//! product, a deterministic `uid`, `log_name`, and `sequence` = record index)
//! and `unmapped.source_object`, which names the S3 object and record the event
//! came from. The source object sits under `unmapped` because OCSF's
//! `metadata` has no attribute for it and `unmapped` is the schema's place for
//! data outside it, so events stay valid for strict OCSF consumers. The
//! original record goes to `unmapped.record`, to `raw_data` as a string, or
//! nowhere, per [`RawMode`]; by default JSON records are copied verbatim under
//! `unmapped.record` and text lines kept as `raw_data`, which keeps every
//! original byte at the least cost. Field tables per source: `docs/mappings/`.
//!
//! Each mapping is written once against `EventOut`, which has three
//! implementations: one builds a `serde_json::Value` ([`Normalizer::normalize`]),
//! one writes JSON text straight into a `String` ([`Normalizer::write_event`]), the
//! fast path for NDJSON sinks, which skips building and freeing a tree per event and
//! never needs its output re-checked as UTF-8, and one appends to the Arrow columns
//! of the event's class ([`Normalizer::write_columns`], [`schema`]) for Parquet.
//!
//! Layout: the OCSF building blocks (`classification`, `options`, `uid`, `lookup`,
//! `objects` for attributes several sources share, `normalizer` for what every event
//! has), one mapping module per source (`cloudtrail`, `vpc_flow`, `elb`, `s3_access`,
//! `cloudfront`, `waf`, `route53`, `guardduty`, `cloudwatch_logs`, `generic`), and the
//! writers behind `EventOut` (`out`), one per file (`json_out`, `value_out`,
//! `arrow_out`), and the Arrow schema of each class (`schema`).

mod arrow_out;
mod classification;
mod cloudfront;
mod cloudtrail;
mod cloudwatch_logs;
mod elb;
#[cfg(test)]
mod fixture_tests;
mod generic;
mod guardduty;
mod json_out;
mod lookup;
#[cfg(test)]
mod mutated_tests;
mod normalizer;
mod objects;
mod options;
mod out;
mod route53;
mod s3_access;
pub mod schema;
#[cfg(test)]
pub(crate) mod test_support;
mod uid;
mod value_out;
mod vpc_flow;
mod waf;

pub use self::arrow_out::{ClassColumns, ColumnError, ColumnEvents, ColumnRoom};
pub use self::classification::{log_type_classes, OCSF_VERSION};
pub use self::normalizer::{to_ocsf, EventMeta, Normalizer};
pub use self::options::{
    NormalizeOptions, NormalizedEvent, RawMode, SourceObject, TimeSource, PROCESSED_TIME_LABEL,
};
pub use self::uid::record_uid;

#[cfg(test)]
mod tests {
    use super::test_support::{
        all_samples, assert_class, first_event, source, ELB_KEY, RAW_MODES, VPC_KEY,
    };
    use super::*;
    use crate::logs::test_support::collect;
    use crate::logs::{elb, json_lines, s3_access, vpc_flow, LogType};
    use crate::ocsf_check::tests::assert_valid;
    use serde_json::{json, Value};

    /// Every sample of every format, in every raw mode, is an event a strict OCSF
    /// consumer accepts (the per-mapping tests validate their own inputs as well).
    #[test]
    fn every_sample_of_every_format_is_valid_ocsf() {
        let mut samples = all_samples();
        // Lines without a time of their own take the fallback time.
        samples.push((
            LogType::Json,
            "{\"level\":\"info\"}\n".into(),
            "apps/x.json",
        ));
        samples.push((LogType::Text, "no time here\n".into(), "apps/x.log"));
        let covered: std::collections::HashSet<LogType> = samples.iter().map(|s| s.0).collect();
        for t in LogType::ALL {
            assert!(covered.contains(&t), "no sample of {t}");
        }
        let fallback = NormalizeOptions {
            fallback_time_ms: Some(1_700_000_000_000),
            ..NormalizeOptions::default()
        };
        for (log_type, input, key) in &samples {
            let got = collect(*log_type, input);
            assert!(got.errors.is_empty(), "{log_type}: {:?}", got.errors);
            assert!(!got.records.is_empty(), "{log_type}");
            for record in &got.records {
                for keep_raw in RAW_MODES {
                    let opts = NormalizeOptions {
                        keep_raw,
                        ..fallback
                    };
                    let source = source(key);
                    let normalizer = Normalizer::new(*log_type, &source, opts);
                    assert_valid(&normalizer.normalize(record).event);
                    let mut line = String::new();
                    normalizer.write_event(record, &mut line);
                    assert_valid(&serde_json::from_str(&line).unwrap());
                }
            }
        }
    }

    /// Regression (found by validating the property tests' events): OCSF 1.3 defines no
    /// PATCH `http_method`, and a damaged address is no `ip_t`.
    #[test]
    fn undefined_http_methods_and_damaged_addresses_are_left_to_the_original_record() {
        let patch = elb::samples::ALB_HTTPS.replacen("\"GET ", "\"PATCH ", 1);
        let ev = first_event(LogType::Alb, &patch, ELB_KEY);
        assert_class(&ev, 4002, 99);
        assert_eq!(ev["activity_name"], "Patch");
        assert!(ev["http_request"].get("http_method").is_none(), "{ev:#}");
        let damaged = vpc_flow::samples::DEFAULT_FILE.replacen("172.31.16.139", "172.31..139", 1);
        let ev = first_event(LogType::VpcFlow, &damaged, VPC_KEY);
        assert!(ev["src_endpoint"].get("ip").is_none(), "{ev:#}");
    }

    #[test]
    fn json_writer_output_equals_value_output_for_every_sample() {
        for (log_type, input, key) in all_samples() {
            let got = collect(log_type, &input);
            assert!(got.errors.is_empty(), "{log_type}: {:?}", got.errors);
            let src = source(key);
            for keep_raw in RAW_MODES {
                let opts = NormalizeOptions {
                    keep_raw,
                    fallback_time_ms: Some(1),
                    ..NormalizeOptions::default()
                };
                let normalizer = Normalizer::new(log_type, &src, opts);
                for record in &got.records {
                    let expected = normalizer.normalize(record);
                    let mut buf = "previous line\n".to_owned();
                    let time_missing = normalizer.write_event(record, &mut buf).time_missing;
                    let line = buf
                        .strip_prefix("previous line\n")
                        .expect("writer kept earlier bytes");
                    let written: Value = serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("{log_type}: {e}: {line}"));
                    assert_eq!(
                        written, expected.event,
                        "{log_type} record {}",
                        record.index
                    );
                    assert_eq!(time_missing, expected.time_missing);
                    assert!(!line.contains('\n'), "one line per event");
                }
            }
        }
    }

    /// Every sample of every format with a multi-byte character put at each position:
    /// no parser or mapping indexes a string in the middle of a character.
    #[test]
    fn multibyte_characters_anywhere_in_any_sample_never_panic() {
        for (log_type, input, key) in all_samples() {
            let src = source(key);
            let normalizer = Normalizer::new(log_type, &src, NormalizeOptions::default());
            for extra in ["é", "€", "😀"] {
                for (at, _) in input.char_indices().chain([(input.len(), ' ')]) {
                    let mutated = format!("{}{extra}{}", &input[..at], &input[at..]);
                    let _ = crate::logs::parse_stream(log_type, mutated.as_bytes(), 0, &mut |r| {
                        if let Ok(record) = r {
                            let mut line = String::new();
                            normalizer.write_event(&record, &mut line);
                            normalizer.normalize(&record);
                        }
                        std::ops::ControlFlow::Continue(())
                    });
                }
            }
        }
    }

    #[test]
    fn counters_and_times_past_their_range_are_left_out_not_wrapped() {
        let max = u64::MAX.to_string();
        let vpc = format!(
            "version interface-id start end bytes packets\n2 eni-1 {max} 9223372036854775807 5 1\n"
        );
        let ev = first_event(LogType::VpcFlow, &vpc, "flows/a.log");
        assert!(ev.get("start_time").is_none(), "{ev:#}");
        assert!(ev.get("end_time").is_none(), "{ev:#}");
        assert_eq!(
            ev["metadata"]["labels"],
            json!(["time_source:processed_time"]),
            "{ev:#}"
        );

        let alb =
            elb::samples::ALB_HTTPS.replacen(" 200 200 0 57 ", &format!(" 200 200 {max} 57 "), 1);
        let ev = first_event(LogType::Alb, &alb, ELB_KEY);
        assert!(ev["traffic"].get("bytes_in").is_none(), "{ev:#}");
        assert!(ev["traffic"].get("bytes").is_none(), "{ev:#}");
        assert_eq!(ev["traffic"]["bytes_out"], 57);

        let s3 = s3_access::samples::GET_VERSIONING.replacen(
            " 113 - 7 - ",
            &format!(" 113 - {max} - "),
            1,
        );
        let ev = first_event(
            LogType::S3Access,
            &s3,
            "s3/2019-02-06-00-00-38-E568B2907131C0C0",
        );
        assert!(ev.get("duration").is_none(), "{ev:#}");

        let waf = json_lines::samples::WAF_BLOCK.replacen("1576280412771", &max, 1);
        let ev = first_event(LogType::Waf, &waf, "waf/x.log");
        assert_eq!(
            ev["metadata"]["labels"],
            json!(["time_source:processed_time"]),
            "{ev:#}"
        );
    }

    #[test]
    fn resuming_at_any_record_index_yields_exactly_the_remaining_records_of_every_format() {
        // Continuations resume at a record index: nothing may be lost or repeated.
        for (log_type, input, _) in all_samples() {
            let all = crate::logs::test_support::collect(log_type, &input);
            let total = all.summary.next_index;
            for start in 0..=total {
                let resumed = crate::logs::test_support::collect_from(log_type, &input, start)
                    .unwrap_or_else(|e| panic!("{log_type} from {start}: {e}"));
                let expected: Vec<_> = all.records.iter().filter(|r| r.index >= start).collect();
                let got: Vec<_> = resumed.records.iter().collect();
                assert_eq!(got, expected, "{log_type} resumed at {start}");
                assert_eq!(resumed.summary.next_index, total, "{log_type} from {start}");
                assert_eq!(resumed.summary.skipped, start, "{log_type} from {start}");
            }
        }
    }
}
