//! A per-access-key request rate (token buckets): beyond it, requests are answered
//! `ThrottlingException` as AWS answers them, and change nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
pub struct Throttle {
    /// Requests per second, and the burst a quiet key may spend at once.
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Keys remembered before idle ones (whose buckets are full again) are forgotten.
const MAX_KEYS: usize = 10_000;

impl Throttle {
    pub fn new(rate_per_second: u32) -> Self {
        Self { rate: f64::from(rate_per_second.max(1)), buckets: Mutex::default() }
    }

    /// Whether `access_key_id` may make one more request now (and counts it).
    pub fn allow(&self, access_key_id: &str) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(access_key_id) {
            let rate = self.rate;
            buckets.retain(|_, b| b.tokens + now.duration_since(b.refilled).as_secs_f64() * rate < rate);
        }
        let bucket = buckets.entry(access_key_id.to_owned()).or_insert(Bucket { tokens: self.rate, refilled: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.refilled).as_secs_f64() * self.rate).min(self.rate);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_rate_as_a_burst_then_refuses_per_key() {
        let throttle = Throttle::new(3);
        assert!((0..3).all(|_| throttle.allow("AKIA1")));
        assert!(!throttle.allow("AKIA1"));
        assert!(throttle.allow("AKIA2"), "each key has its own bucket");
    }
}
