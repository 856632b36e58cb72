//! When to try a batch again: full-jitter exponential backoff, `Retry-After`, and the
//! invocation's deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, RETRY_AFTER};

/// A server asking us to come back later than this is left to SQS redelivery instead of
/// holding the Lambda (and its bill) idle.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// An attempt is not started with less time than this before the deadline: it could
/// not finish, and the time is better spent reporting the message for retry.
pub(crate) const MIN_ATTEMPT_TIME: Duration = Duration::from_secs(1);

/// Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
pub(crate) fn backoff(base: Duration, cap: Duration, attempt: u32, jitter: &Jitter) -> Duration {
    let ceiling = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(30))
        .min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(jitter.next() % nanos.saturating_add(1))
}

/// The delay-seconds form of `Retry-After`; an HTTP-date falls back to our own backoff.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Time left before `deadline` for attempts, once [`MIN_ATTEMPT_TIME`] is kept back for
/// the last one; `None` when not even that is left.
pub(crate) fn time_for_attempt(deadline: Instant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    (left >= MIN_ATTEMPT_TIME).then_some(left)
}

/// xorshift64* for backoff jitter: no need for a cryptographic generator or another crate.
pub(crate) struct Jitter(AtomicU64);

impl Jitter {
    pub(crate) fn seeded() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        // Zero is xorshift's fixed point.
        Self(AtomicU64::new(nanos | 1))
    }

    fn next(&self) -> u64 {
        let step = |mut x: u64| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x
        };
        let previous = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| Some(step(x)))
            .unwrap_or(1);
        step(previous).wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_under_doubling_ceiling_and_cap() {
        let jitter = Jitter::seeded();
        let (base, cap) = (Duration::from_millis(100), Duration::from_secs(1));
        for (attempt, ceiling_ms) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (12, 1000),
        ] {
            let delays: Vec<Duration> = (0..500)
                .map(|_| backoff(base, cap, attempt, &jitter))
                .collect();
            let ceiling = Duration::from_millis(ceiling_ms);
            assert!(
                delays.iter().all(|delay| *delay <= ceiling),
                "attempt {attempt}"
            );
            // Full jitter spreads retries over the whole window instead of synchronising clients.
            assert!(
                delays.iter().any(|delay| *delay < ceiling / 4),
                "attempt {attempt}"
            );
            assert!(
                delays.iter().any(|delay| *delay > ceiling * 3 / 4),
                "attempt {attempt}"
            );
        }
    }

    #[test]
    fn no_attempt_is_started_in_the_last_second_before_the_deadline() {
        let now = Instant::now();
        assert_eq!(time_for_attempt(now), None);
        assert_eq!(time_for_attempt(now + Duration::from_millis(500)), None);
        let left = time_for_attempt(now + Duration::from_secs(30)).unwrap();
        assert!(left > Duration::from_secs(29) && left <= Duration::from_secs(30));
    }

    #[test]
    fn retry_after_reads_seconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
