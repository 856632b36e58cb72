//! Lambda invocation deadlines, shared by every function's handler.
//!
//! The Lambda runtime API sends each invocation's deadline as milliseconds since the Unix
//! epoch (`Lambda-Runtime-Deadline-Ms`, see "Using the Lambda runtime API for custom
//! runtimes" in the AWS Lambda developer guide). Work that must stop before the invocation
//! ends (ingest's chunk deliveries, scan slices) is given the matching [`Instant`].

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Lambda's longest timeout (900 s), assumed when the runtime sends no deadline in the future.
pub const LONGEST_TIMEOUT: Duration = Duration::from_secs(900);

/// Converts Lambda's deadline (milliseconds since the Unix epoch) to an instant.
///
/// Lambda always sends a deadline in the future; a local runtime emulator may not (0, or a
/// time already past), and then [`LONGEST_TIMEOUT`] from now is assumed, with a warning.
pub fn deadline_from_epoch_ms(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Instant::now() + time_left(deadline_ms, now_ms)
}

/// Time left until `deadline_ms` at `now_ms`, or [`LONGEST_TIMEOUT`] when it is not ahead.
fn time_left(deadline_ms: u64, now_ms: u64) -> Duration {
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms));
    if left.is_zero() {
        tracing::warn!(
            deadline_ms,
            "the runtime sent no future deadline; assuming Lambda's longest timeout, 900 s"
        );
        return LONGEST_TIMEOUT;
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_deadline_gives_the_time_left() {
        assert_eq!(time_left(1_000_250, 1_000_000), Duration::from_millis(250));
    }

    #[test]
    fn a_missing_or_past_deadline_assumes_the_longest_timeout() {
        assert_eq!(time_left(0, 1_000_000), LONGEST_TIMEOUT);
        assert_eq!(time_left(999_999, 1_000_000), LONGEST_TIMEOUT);
        assert_eq!(time_left(1_000_000, 1_000_000), LONGEST_TIMEOUT);
    }

    #[test]
    fn the_instant_is_ahead_of_now() {
        let soon = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + 60_000;
        let at = deadline_from_epoch_ms(soon);
        let left = at.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(50) && left <= Duration::from_secs(60),
            "{left:?}"
        );
    }
}
