//! Every sample of every source with one field taken away: the events stay valid OCSF
//! for a strict consumer (required attributes, `at_least_one` constraints), through the
//! placeholder a mapping writes or by the record being reported as malformed.
//!
//! JSON records lose one key at a time (top level, then one level down); line records
//! have one field at a time replaced by `-`, the placeholder AWS writes for "none".

use super::test_support::{all_samples, source, RAW_MODES};
use super::{NormalizeOptions, Normalizer};
use crate::logs::test_support::collect_from;
use crate::logs::LogType;
use crate::ocsf_check::tests::schema;
use serde_json::{Map, Value};

/// `record` with one key removed, for every key at the top level and one level down.
fn without_each_key(record: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for (key, value) in record {
        let mut shorter = record.clone();
        shorter.remove(key);
        out.push(shorter);
        if let Value::Object(inner) = value {
            for inner_key in inner.keys() {
                let mut shorter = record.clone();
                if let Some(Value::Object(m)) = shorter.get_mut(key) {
                    m.remove(inner_key);
                }
                out.push(shorter);
            }
        }
    }
    out
}

/// The fields of a log line: quoted strings, `[...]` times, or runs of non-space.
fn tokens(line: &str, sep: char) -> Vec<&str> {
    if sep == '\t' {
        return line.split('\t').collect();
    }
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let end = match rest.as_bytes()[0] {
            b'"' => rest[1..].find('"').map_or(rest.len(), |i| i + 2),
            b'[' => rest.find(']').map_or(rest.len(), |i| i + 1),
            _ => rest.find(' ').unwrap_or(rest.len()),
        };
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    out
}

/// Each variant of `input` with one field of one record line replaced by `-`.
fn line_variants(log_type: LogType, input: &str) -> Vec<String> {
    let sep = if log_type == LogType::CloudFront {
        '\t'
    } else {
        ' '
    };
    let lines: Vec<&str> = input.lines().collect();
    let header = |i: usize, l: &str| l.starts_with('#') || (log_type == LogType::VpcFlow && i == 0);
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if header(i, line) || line.trim().is_empty() {
            continue;
        }
        let fields = tokens(line, sep);
        for f in 0..fields.len() {
            let mut changed = fields.clone();
            changed[f] = if fields[f].starts_with('"') {
                "\"-\""
            } else {
                "-"
            };
            let mut doc: Vec<String> = lines
                .iter()
                .enumerate()
                .filter(|(j, l)| header(*j, l))
                .map(|(_, l)| (*l).to_owned())
                .collect();
            doc.push(changed.join(&sep.to_string()));
            out.push(doc.join("\n") + "\n");
        }
    }
    out
}

/// Each variant of a JSON sample with one key of one record removed.
fn json_variants(log_type: LogType, input: &str) -> Vec<String> {
    if log_type == LogType::CloudTrail && !input.contains("detail-type") {
        let doc: Value = serde_json::from_str(input).unwrap();
        let mut out = Vec::new();
        for r in doc["Records"].as_array().unwrap() {
            for v in without_each_key(r.as_object().unwrap()) {
                out.push(serde_json::json!({ "Records": [v] }).to_string());
            }
        }
        return out;
    }
    let values = serde_json::Deserializer::from_str(input).into_iter::<Map<String, Value>>();
    values
        .flat_map(|v| without_each_key(&v.unwrap()))
        .map(|v| Value::Object(v).to_string() + "\n")
        .collect()
}

#[test]
fn every_sample_with_any_one_field_missing_still_gives_valid_ocsf_or_a_malformed_record() {
    let mut problems = std::collections::BTreeSet::new();
    let mut checked = 0;
    for (log_type, input, key) in all_samples() {
        let variants = match log_type {
            // One record per envelope event: its fields are the envelope's.
            LogType::CloudWatchLogs | LogType::Text => continue,
            LogType::Waf
            | LogType::GuardDuty
            | LogType::Route53Resolver
            | LogType::Json
            | LogType::CloudTrail => json_variants(log_type, &input),
            _ => line_variants(log_type, &input),
        };
        assert!(!variants.is_empty(), "{log_type}");
        let src = source(key);
        for variant in variants {
            // An object refused as a whole (a CloudTrail envelope without its
            // `detail-type` is no `Records` file) is reported, not delivered.
            let Ok(got) = collect_from(log_type, &variant, 0) else {
                continue;
            };
            for record in &got.records {
                for keep_raw in RAW_MODES {
                    let opts = NormalizeOptions {
                        keep_raw,
                        fallback_time_ms: Some(1_700_000_000_000),
                        ..NormalizeOptions::default()
                    };
                    let event = Normalizer::new(log_type, &src, opts)
                        .normalize(record)
                        .event;
                    checked += 1;
                    for v in schema().validate(&event) {
                        problems.insert(format!("{log_type}: {v}"));
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(problems.is_empty(), "{problems:#?}");
}
