//! CloudWatch Logs subscription events to OCSF Base Event (0).

use super::classification::{Mapped, BASE_EVENT, SEVERITY_INFORMATIONAL, UNKNOWN};
use super::lookup::{get_str, Obj};
use super::objects::write_cloud;
use super::out::EventOut;
use crate::logs::detect::KeyScope;
use serde_json::Value;

/// One log event from a CloudWatch Logs subscription.
pub(super) fn cloudwatch_logs(r: &Obj, out: &mut dyn EventOut, scope: KeyScope<'_>) -> Mapped {
    out.str("message", get_str(r, "message").unwrap_or(""));
    // `owner` is the account that owns the log group (CloudwatchLogs on control messages).
    let account =
        get_str(r, "owner").filter(|o| o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()));
    write_cloud(out, account.or(scope.account_id), scope.region, None);
    Mapped {
        class: &BASE_EVENT,
        activity: UNKNOWN,
        severity_id: SEVERITY_INFORMATIONAL,
        time: r.get("timestamp").and_then(Value::as_i64),
    }
}

#[cfg(test)]
mod tests {
    use crate::logs::LogType;
    use crate::normalize::test_support::{assert_class, events};

    #[test]
    fn cloudwatch_log_events_keep_their_time_account_group_and_message() {
        let key = "firehose/2026/11/23/10/cwl-to-s3-1-2026-11-23-10-00-00-a1b2c3d4.gz";
        let evs = events(
            LogType::CloudWatchLogs,
            crate::logs::cloudwatch::samples::FIREHOSE_OBJECT,
            key,
        );
        assert_eq!(evs.len(), 2);
        let ev = &evs[1];
        assert_class(ev, 0, 0);
        assert_eq!(ev["time"], 1_432_826_855_001i64);
        assert!(ev["message"]
            .as_str()
            .unwrap()
            .starts_with("2 123456789012 eni-"));
        assert_eq!(ev["cloud"]["account"]["uid"], "123456789012");
        assert_eq!(ev["metadata"]["product"]["name"], "CloudWatch Logs");
        // Auto keeps the record, which names the log group and stream.
        assert_eq!(ev["unmapped"]["record"]["logGroup"], "Example1");
        assert_eq!(ev["unmapped"]["record"]["logStream"], "logStream1");
        assert!(ev.get("raw_data").is_none());
    }
}
