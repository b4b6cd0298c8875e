//! Timestamps: stored as epoch milliseconds (the `Any` SQL driver carries integers, not
//! dates), sent on the wire as epoch seconds with a millisecond fraction, as AWS does.

use serde::{Serialize, Serializer};
use std::time::{SystemTime, UNIX_EPOCH};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime};

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

impl Timestamp {
    /// A UTC calendar date and time, or `None` if there is no such date or time (month 13,
    /// February 30, hour 24, …).
    pub fn from_utc(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
        let at = date.with_hms(hour, minute, second).ok()?.assume_utc();
        Some(Self(at.unix_timestamp().checked_mul(1000)?))
    }

    /// `2026-11-25T21:55:03Z`: ISO 8601 / RFC 3339 in UTC, whole seconds.
    pub fn iso8601(self) -> String {
        const FORMAT: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        self.utc().format(FORMAT).unwrap_or_default()
    }

    /// The time in UTC, to the second (clamped to the years `time` can represent).
    pub fn utc(self) -> OffsetDateTime {
        let secs = self.0.div_euclid(1000);
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
            PrimitiveDateTime::MIN.assume_utc()
        } else {
            PrimitiveDateTime::MAX.assume_utc()
        })
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
    fn calendar_dates() {
        assert_eq!(Timestamp(1_440_938_160_000).iso8601(), "2015-08-30T12:36:00Z");
        assert_eq!(Timestamp(0).iso8601(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(-1000).iso8601(), "1969-12-31T23:59:59Z");
        assert_eq!(Timestamp(4_107_542_399_999).iso8601(), "2100-02-28T23:59:59Z");
        assert_eq!(Timestamp::from_utc(2024, 2, 29, 12, 0, 0), Some(Timestamp(1_709_208_000_000)));
        assert_eq!(
            Timestamp::from_utc(2000, 2, 29, 0, 0, 0).map(Timestamp::iso8601).as_deref(),
            Some("2000-02-29T00:00:00Z")
        );
        assert_eq!(Timestamp::from_utc(2025, 2, 29, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2100, 2, 29, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2026, 13, 1, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2026, 1, 1, 24, 0, 0), None);
    }

    #[test]
    fn truncates_to_day() {
        assert_eq!(Timestamp(86_400_000 * 3 + 5).truncate_to_day(), Timestamp(86_400_000 * 3));
    }
}
