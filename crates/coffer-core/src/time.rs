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
    fn truncates_to_day() {
        assert_eq!(Timestamp(86_400_000 * 3 + 5).truncate_to_day(), Timestamp(86_400_000 * 3));
    }
}
