//! Timestamps: stored as epoch milliseconds (the `Any` SQL driver carries integers, not
//! dates), sent on the wire as epoch seconds with a millisecond fraction, as AWS does.

use serde::{Serialize, Serializer};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        Self(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_days(self, days: i64) -> Self {
        Self(self.0 + days * 86_400_000)
    }

    /// Midnight UTC of the same day (AWS keeps `LastAccessedDate` at day resolution).
    pub fn truncate_to_day(self) -> Self {
        Self(self.0 - self.0.rem_euclid(86_400_000))
    }

    pub fn epoch_seconds(self) -> f64 {
        // Milliseconds fit in f64 exactly for any date we will see.
        #[allow(clippy::cast_precision_loss)]
        let secs = self.0 as f64 / 1000.0;
        secs
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Timestamp {
    /// `2026-11-25T21:55:03Z`: ISO 8601 / RFC 3339 in UTC, whole seconds.
    pub fn iso8601(self) -> String {
        let secs = self.0.div_euclid(1000);
        let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", sod / 3600, sod / 60 % 60, sod % 60)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            serializer.serialize_i64(self.0 / 1000)
        } else {
            serializer.serialize_f64(self.epoch_seconds())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_epoch_seconds() {
        assert_eq!(serde_json::to_string(&Timestamp(1_581_968_848_921)).unwrap(), "1581968848.921");
        assert_eq!(serde_json::to_string(&Timestamp(1_581_968_848_000)).unwrap(), "1581968848");
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(Timestamp(1_440_938_160_000).iso8601(), "2015-08-30T12:36:00Z");
        assert_eq!(Timestamp(0).iso8601(), "1970-01-01T00:00:00Z");
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn truncates_to_day() {
        assert_eq!(Timestamp(86_400_000 * 3 + 5).truncate_to_day(), Timestamp(86_400_000 * 3));
    }
}
