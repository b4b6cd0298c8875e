//! Cached answers, bounded, evicted in insertion order, each with the moment it was last
//! known good. Bodies are shared with the responses being written and wiped when the last
//! holder drops them.

use crate::upstream::Body;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a request asked for, as the AWS agent keys it (by name and by ARN are different keys).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Key {
    Secret {
        secret_id: String,
        version_id: Option<String>,
        version_stage: Option<String>,
    },
    /// The name with its `:version` / `:label` selector.
    Parameter {
        name: String,
        with_decryption: bool,
    },
}

#[derive(Clone)]
pub struct Entry {
    pub body: Arc<Body>,
    /// The secret version the body holds (secrets only).
    pub version_id: Option<String>,
    checked: Instant,
}

impl Entry {
    pub fn new(body: Body, version_id: Option<String>) -> Self {
        Self { body: Arc::new(body), version_id, checked: Instant::now() }
    }

    /// Whether the entry was last known good within `ttl`.
    pub fn is_fresh(&self, ttl: Duration) -> bool {
        self.checked.elapsed() < ttl
    }
}

pub struct Cache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    order: VecDeque<Key>,
}

impl Cache {
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), inner: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &Key) -> Option<Entry> {
        self.lock().entries.get(key).cloned()
    }

    /// Stores `entry`, evicting the oldest entries past the capacity.
    pub fn put(&self, key: Key, entry: Entry) {
        let mut inner = self.lock();
        if inner.entries.insert(key.clone(), entry).is_none() {
            inner.order.push_back(key);
        }
        while inner.entries.len() > self.capacity {
            let Some(oldest) = inner.order.pop_front() else { break };
            inner.entries.remove(&oldest);
        }
    }

    /// Marks the entry as known good now (revalidated without reading the value again).
    pub fn confirm(&self, key: &Key) {
        if let Some(entry) = self.lock().entries.get_mut(key) {
            entry.checked = Instant::now();
        }
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn key(id: &str) -> Key {
        Key::Secret { secret_id: id.into(), version_id: None, version_stage: None }
    }

    fn entry(text: &str) -> Entry {
        Entry::new(Zeroizing::new(text.as_bytes().to_vec()), Some("v1".into()))
    }

    #[test]
    fn bounded_and_evicted_in_insertion_order() {
        let cache = Cache::new(2);
        cache.put(key("a"), entry("1"));
        cache.put(key("b"), entry("2"));
        cache.put(key("a"), entry("3"));
        cache.put(key("c"), entry("4"));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key("a")).is_none(), "the oldest insertion goes first");
        assert_eq!(cache.get(&key("b")).unwrap().body.as_slice(), b"2");
        assert_eq!(cache.get(&key("c")).unwrap().body.as_slice(), b"4");
    }

    #[test]
    fn freshness_and_confirmation() {
        let cache = Cache::new(10);
        cache.put(key("a"), entry("1"));
        let ttl = Duration::from_millis(30);
        assert!(cache.get(&key("a")).unwrap().is_fresh(ttl));
        std::thread::sleep(Duration::from_millis(40));
        assert!(!cache.get(&key("a")).unwrap().is_fresh(ttl));
        cache.confirm(&key("a"));
        assert!(cache.get(&key("a")).unwrap().is_fresh(ttl));
        assert!(!cache.get(&key("a")).unwrap().is_fresh(Duration::ZERO), "a TTL of 0 caches nothing");
    }
}
