//! Request counts and sync latency of this server instance, kept in memory. Per-device sync
//! health lives in the ledger (shared by all instances) and is added when metrics are read.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Upper bounds (ms) of the sync latency histogram's buckets; the last bucket is unbounded.
const LATENCY_BOUNDS_MS: [u64; 10] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    /// `"<route> <status>"` → count.
    pub requests: BTreeMap<String, u64>,
    /// Count of sync exchanges whose handling took at most each bound (ms); `"+Inf"` for the rest.
    pub sync_latency_ms: BTreeMap<String, u64>,
    pub sync_count: u64,
    pub sync_total_ms: f64,
    pub changes_accepted: u64,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16) {
        if let Ok(mut c) = self.inner.lock() {
            *c.requests.entry(format!("{route} {status}")).or_default() += 1;
        }
    }

    pub fn sync(&self, took: Duration, accepted: u32) {
        let ms = took.as_secs_f64() * 1000.0;
        let bucket = LATENCY_BOUNDS_MS
            .iter()
            .find(|bound| ms <= **bound as f64)
            .map_or_else(|| "+Inf".to_owned(), |b| format!("{b:04}"));
        if let Ok(mut c) = self.inner.lock() {
            *c.sync_latency_ms.entry(bucket).or_default() += 1;
            c.sync_count += 1;
            c.sync_total_ms += ms;
            c.changes_accepted += u64::from(accepted);
        }
    }

    pub fn snapshot(&self) -> Counters {
        self.inner.lock().map(|c| c.clone()).unwrap_or_default()
    }
}
