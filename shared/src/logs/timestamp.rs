//! Parses the fixed timestamp layouts AWS logs use into epoch milliseconds.
//!
//! The layouts are few and fixed, so hand parsing is both simpler and much
//! faster than a general date library on the per-record path.

/// Epoch milliseconds for an ISO 8601 / RFC 3339 time: `YYYY-MM-DDTHH:MM:SS[.fff…][Z|±HH:MM|±HHMM]`.
///
/// A time without an offset is taken as UTC: NLB logs write `2018-12-20T02:59:40`.
pub(crate) fn iso8601_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let day_ms = date_ms(&b[..10])?;
    let (time_ms, rest) = time_of_day_ms(&b[11..])?;
    let offset_ms = utc_offset_ms(rest)?;
    Some(day_ms + time_ms - offset_ms)
}

/// Epoch milliseconds for the S3 access log time `06/Feb/2019:00:00:38 +0000` (brackets removed).
pub(crate) fn clf_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let day = digits(&b[0..2])?;
    let month = month_number(&b[3..6])?;
    let year = digits(&b[7..11])? as i64;
    let days = days_from_civil(year, month, day)?;
    let (time_ms, rest) = time_of_day_ms(&b[12..20])?;
    if !rest.is_empty() {
        return None;
    }
    let offset_ms = utc_offset_ms(&b[21..])?;
    Some(days * MS_PER_DAY + time_ms - offset_ms)
}

/// Epoch milliseconds for CloudFront's separate `YYYY-MM-DD` and `HH:MM:SS` (UTC) fields.
pub(crate) fn date_and_time_ms(date: &str, time: &str) -> Option<i64> {
    let day_ms = date_ms(date.as_bytes())?;
    let (time_ms, rest) = time_of_day_ms(time.as_bytes())?;
    if !rest.is_empty() {
        return None;
    }
    Some(day_ms + time_ms)
}

const MS_PER_DAY: i64 = 86_400_000;

fn date_ms(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])? as i64;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    Some(days_from_civil(year, month, day)? * MS_PER_DAY)
}

/// Parses `HH:MM:SS[.fraction]` and returns the milliseconds and what follows.
fn time_of_day_ms(b: &[u8]) -> Option<(i64, &[u8])> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let m = digits(&b[3..5])?;
    // 60 allows a leap second as some producers write it.
    let s = digits(&b[6..8])?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut ms = ((h * 60 + m) * 60 + s) as i64 * 1000;
    let mut rest = &b[8..];
    if let Some((b'.' | b',', frac)) = rest.split_first() {
        let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let mut millis = 0i64;
        for i in 0..3 {
            millis = millis * 10
                + frac
                    .get(i)
                    .filter(|_| i < len)
                    .map_or(0, |c| (c - b'0') as i64);
        }
        ms += millis;
        rest = &frac[len..];
    }
    Some((ms, rest))
}

fn utc_offset_ms(b: &[u8]) -> Option<i64> {
    let (sign, rest) = match b {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m) = match rest {
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        [h1, h2] => (digits(&[*h1, *h2])?, 0),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m) as i64 * 60_000)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

fn month_number(b: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m[..] == *b)
        .map(|i| i as u32 + 1)
}

/// Days since 1970-01-01 for a proleptic Gregorian date, or `None` for an impossible date.
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // Howard Hinnant's days_from_civil: counting years from March puts the leap day last.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_variants_used_by_aws_logs_parse_to_epoch_ms() {
        assert_eq!(iso8601_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(iso8601_ms("2014-03-06T21:22:54Z"), Some(1_394_140_974_000));
        // ALB/ELB: microseconds.
        assert_eq!(
            iso8601_ms("2018-07-02T22:23:00.186641Z"),
            Some(1_530_570_180_186)
        );
        // GuardDuty: milliseconds.
        assert_eq!(
            iso8601_ms("2024-02-29T12:00:00.5Z"),
            Some(1_709_208_000_500)
        );
        // NLB: no offset means UTC.
        assert_eq!(iso8601_ms("2018-12-20T02:59:40"), Some(1_545_274_780_000));
        assert_eq!(
            iso8601_ms("2018-12-20T04:59:40+02:00"),
            Some(1_545_274_780_000)
        );
        assert_eq!(
            iso8601_ms("2018-12-19T21:59:40-0500"),
            Some(1_545_274_780_000)
        );
    }

    #[test]
    fn impossible_or_malformed_iso_times_are_rejected() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T00:00:00Q",
            "2023-01-01",
            "not a time at all!!",
        ] {
            assert_eq!(iso8601_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn s3_access_log_time_parses_with_offset() {
        assert_eq!(
            clf_ms("06/Feb/2019:00:00:38 +0000"),
            Some(1_549_411_238_000)
        );
        assert_eq!(
            clf_ms("06/Feb/2019:01:00:38 +0100"),
            Some(1_549_411_238_000)
        );
        assert_eq!(clf_ms("06/Foo/2019:00:00:38 +0000"), None);
        assert_eq!(clf_ms("06/Feb/2019:00:00:38"), None);
    }

    #[test]
    fn cloudfront_date_and_time_combine_as_utc() {
        assert_eq!(
            date_and_time_ms("2019-12-04", "21:02:31"),
            Some(1_575_493_351_000)
        );
        assert_eq!(date_and_time_ms("2019-12-04", "21:02"), None);
    }

    #[test]
    fn dates_before_epoch_are_negative() {
        assert_eq!(iso8601_ms("1969-12-31T23:59:59Z"), Some(-1000));
    }
}
