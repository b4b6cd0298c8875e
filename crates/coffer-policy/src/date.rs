//! Dates as the Date condition operators read them: ISO 8601 (`2026-01-01T00:00:00Z`,
//! `2026-01-01T02:00:00+02:00`, `2026-01-01`, fractional seconds allowed) or epoch seconds
//! (`1767225600`, optionally with a fraction). Everything is reduced to epoch milliseconds.

use coffer_aws::Timestamp;

/// Epoch milliseconds for `s`, or `None` if it is neither form.
pub(crate) fn parse_date_millis(s: &str) -> Option<i64> {
    if s.contains(['T', 't', '-']) { parse_iso8601(s) } else { parse_epoch(s) }
}

fn parse_epoch(s: &str) -> Option<i64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    secs.checked_mul(1000)?.checked_add(frac_millis(frac)?)
}

fn parse_iso8601(s: &str) -> Option<i64> {
    let (date, time) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut it = date.split('-');
    let year = i32::try_from(digits(it.next()?, 4)?).ok()?;
    let month = it.next().map_or(Some(1), |m| digits(m, 2))?;
    let day = it.next().map_or(Some(1), |d| digits(d, 2))?;
    if it.next().is_some() {
        return None;
    }
    let (mut hour, mut minute, mut second, mut frac, mut offset_ms) = (0, 0, 0, 0, 0);
    if let Some(time) = time {
        let (clock, offset) = split_zone(time)?;
        let mut it = clock.split(':');
        hour = digits(it.next()?, 2)?;
        minute = it.next().map_or(Some(0), |m| digits(m, 2))?;
        if let Some(sec) = it.next() {
            let (whole, fraction) = sec.split_once('.').unwrap_or((sec, ""));
            second = digits(whole, 2)?;
            frac = frac_millis(fraction)?;
        }
        if it.next().is_some() {
            return None;
        }
        offset_ms = offset;
    }
    let small = |n: i64| u8::try_from(n).ok();
    let at = Timestamp::from_utc(year, small(month)?, small(day)?, small(hour)?, small(minute)?, small(second)?)?;
    Some(at.millis() + frac - offset_ms)
}

/// Splits `hh:mm:ss[.f]` from its zone (`Z`, `±hh:mm`, `±hhmm`, `±hh`, or none = UTC) and
/// returns the zone's offset from UTC in milliseconds.
fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(i) = time.find(['+', '-']) else { return Some((time, 0)) };
    let (clock, zone) = (&time[..i], &time[i + 1..]);
    let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
    let (h, m) = match zone.split_once(':') {
        Some((h, m)) => (h, m),
        None if zone.len() == 4 => zone.split_at(2),
        None => (zone, "00"),
    };
    let (h, m): (i64, i64) = (digits(h, 2)?, digits(m, 2)?);
    if h > 23 || m > 59 {
        return None;
    }
    Some((clock, sign * (h * 60 + m) * 60_000))
}

/// Exactly `len` ASCII digits.
fn digits(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// The first three digits of a fraction of a second, as milliseconds.
fn frac_millis(frac: &str) -> Option<i64> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = 0;
    for i in 0..3 {
        ms = ms * 10 + frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Some(ms)
}

/// `2026-01-01T00:00:00Z` (whole seconds, as AWS fills `aws:CurrentTime`).
pub(crate) fn format_iso8601(millis: i64) -> String {
    Timestamp(millis).iso8601()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_date_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date_millis("2026-01-01T00:00:00Z"), Some(1_767_225_600_000));
        assert_eq!(parse_date_millis("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(parse_date_millis("2026-01-01T02:00:00+02:00"), Some(1_767_225_600_000));
        assert_eq!(parse_date_millis("2025-12-31T19:00:00-0500"), Some(1_767_225_600_000));
        assert_eq!(parse_date_millis("2026-01-01T00:00:00.250Z"), Some(1_767_225_600_250));
        assert_eq!(parse_date_millis("2026-01-01T00:00Z"), Some(1_767_225_600_000));
        assert_eq!(parse_date_millis("1767225600"), Some(1_767_225_600_000));
        assert_eq!(parse_date_millis("1767225600.5"), Some(1_767_225_600_500));
        assert_eq!(parse_date_millis("2024-02-29T12:00:00Z"), Some(1_709_208_000_000));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2025-02-29",
            "2026-01-01T24:00:00Z",
            "2026-1-1",
            "12ab",
            "2026-01-01T00:00:00+2",
        ] {
            assert_eq!(parse_date_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_iso8601(1_767_225_600_999), "2026-01-01T00:00:00Z");
        for ms in [0i64, 951_782_400_000, 1_709_208_000_000, 4_102_444_800_000, -86_400_000] {
            assert_eq!(parse_date_millis(&format_iso8601(ms)), Some(ms - ms.rem_euclid(1000)));
        }
    }
}
