//! Generic JSON and text lines to OCSF Base Event (0).

use super::classification::{Mapped, BASE_EVENT, SEVERITY_INFORMATIONAL, UNKNOWN};
use super::lookup::{get_str, Obj};
use super::objects::secs_to_ms;
use super::out::EventOut;
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

/// Epoch ms from a string time or an epoch number (seconds, or milliseconds when that large).
pub(super) fn generic_time(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => iso8601_ms(s),
        Value::Number(n) => {
            let n = n.as_f64()?;
            // 1e11 seconds is the year 5138: anything larger is milliseconds.
            if n > 1e11 {
                Some(n as i64)
            } else if n > 0.0 {
                Some(secs_to_ms(n))
            } else {
                None
            }
        }
        _ => None,
    }
}

pub(super) fn generic_json(r: &Obj, out: &mut dyn EventOut) -> Mapped {
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
