//! Generic JSON and text lines to OCSF Base Event (0).

use super::classification::{Mapped, BASE_EVENT, SEVERITY_INFORMATIONAL, UNKNOWN};
use super::lookup::{get_str, Obj};
use super::objects::{secs_to_ms, write_cloud};
use super::out::EventOut;
use crate::logs::json_source::is_envelope;
use crate::logs::timestamp::iso8601_ms;
use serde_json::Value;

pub(super) const TIME_KEYS: &[&str] = &[
    "timestamp",
    "@timestamp",
    "time",
    "eventTime",
    "event_time",
    "ts",
    "date",
];
pub(super) const MESSAGE_KEYS: &[&str] = &["message", "msg", "log"];

/// Epoch ms from a string time (ISO 8601, or an epoch number written as a string) or an
/// epoch number, in seconds, milliseconds, microseconds or nanoseconds by its magnitude,
/// as Elastic's and Datadog's pipelines read them: below 1e11 seconds (the year 5138),
/// then milliseconds below 1e14, microseconds below 1e17, nanoseconds above. So
/// `1700000000`, `1700000000123`, `1700000000123456` and `1700000000123456789` are
/// the same millisecond, never a date tens of thousands of years away.
pub(super) fn generic_time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => iso8601_ms(s).or_else(|| {
            let digits = s.trim();
            let numeric = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && digits.bytes().filter(|&b| b == b'.').count() <= 1;
            numeric
                .then(|| digits.parse::<f64>().ok())
                .flatten()
                .and_then(epoch_number_ms)
        }),
        Value::Number(n) => epoch_number_ms(n.as_f64()?),
        _ => None,
    }
}

/// Milliseconds from an epoch number whose unit is told by its magnitude (see
/// [`generic_time`]); `None` for zero, negative and non-finite numbers, and for numbers
/// past what nanoseconds since 1970 reach before the year 5138 (`1e20`): no time at all,
/// so the record takes the object's time with a label, as an unreadable time string does.
fn epoch_number_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n <= 0.0 || n >= 1e20 {
        None
    } else if n < 1e11 {
        Some(secs_to_ms(n))
    } else if n < 1e14 {
        Some(n as i64)
    } else if n < 1e17 {
        Some((n / 1e3) as i64)
    } else {
        Some((n / 1e6) as i64)
    }
}

/// OCSF `severity_id` 0, Unknown.
const SEVERITY_UNKNOWN: u64 = 0;

pub(super) fn generic_json(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    if is_envelope(r) {
        return eventbridge_event(r, out);
    }
    match MESSAGE_KEYS.iter().find_map(|k| get_str(r, k)) {
        Some(m) => out.str("message", m),
        None => out.str(
            "message",
            &serde_json::to_string(r).expect("a JSON map always serializes"),
        ),
    }
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_INFORMATIONAL,
        time: TIME_KEYS
            .iter()
            .find_map(|k| r.get(*k).and_then(generic_time)),
    }
}

/// An EventBridge event of a kind the project has no mapping for (a GuardDuty Malware
/// Protection scan result, a Security Hub finding, an EC2 state change...): a base
/// event at the envelope's `time`, its `detail-type` as the message, severity Unknown
/// (the envelope does not say; a scan that found malware is not "informational"), and
/// the envelope's `account` and `region` as `cloud` (where the event happened: they
/// name the Security Lake partition too), and the whole event kept in `unmapped` /
/// `raw_data`, so nothing is invented or lost.
fn eventbridge_event(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    out.str("message", get_str(r, "detail-type").unwrap_or_default());
    let (account, region) = (get_str(r, "account"), get_str(r, "region"));
    if account.is_some() || region.is_some() {
        write_cloud(out, account, region, None);
    }
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_UNKNOWN,
        time: r.get("time").and_then(generic_time),
    }
}

pub(super) fn text(r: &Obj, out: &mut dyn EventOut) -> Mapped {
    let line = get_str(r, "message").unwrap_or("");
    out.str("message", line);
    let first_token = line.split_ascii_whitespace().next().unwrap_or("");
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_INFORMATIONAL,
        time: iso8601_ms(first_token),
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::LogType;
    use crate::normalize::test_support::{assert_class, first_event};
    use serde_json::json;

    #[test]
    fn generic_json_and_text_map_to_base_event_with_message() {
        let json_ev = first_event(
            LogType::Json,
            r#"{"ts":1700000000,"msg":"service started","level":"info"}"#,
            "app/x.json",
        );
        assert_class(&json_ev, 0, 0);
        assert_eq!(json_ev["message"], "service started");
        assert_eq!(json_ev["time"], 1_700_000_000_000i64);
        // The unit of an epoch number is told by its magnitude; numbers in strings too.
        for ts in [
            "1700000000.123",
            "1700000000123",
            "1700000000123456",
            "1700000000123456789",
            "\"1700000000123456\"",
            "\"1700000000.123\"",
        ] {
            let ev = first_event(
                LogType::Json,
                &format!(r#"{{"ts":{ts},"msg":"m"}}"#),
                "app/x.json",
            );
            assert_eq!(ev["time"], 1_700_000_000_123i64, "ts {ts}");
        }
        for ts in [
            json!(0),
            json!(-5),
            json!("12ab"),
            json!("1.2.3"),
            json!(""),
            // Past any real time (ingest trial 6, D5): no time, not the year 292,278,994.
            json!(1e300),
            json!(1e20),
            json!("100000000000000000000000"),
        ] {
            assert_eq!(super::generic_time(&ts), None, "{ts}");
        }
        let text_ev = first_event(
            LogType::Text,
            "2023-11-14T10:15:02Z host sshd[42]: Accepted publickey\n",
            "app/x.log",
        );
        assert_class(&text_ev, 0, 0);
        assert_eq!(
            text_ev["message"],
            "2023-11-14T10:15:02Z host sshd[42]: Accepted publickey"
        );
        assert_eq!(text_ev["time"], 1_699_956_902_000i64);
    }
}
