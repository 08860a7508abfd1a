//! The sync request decoder: what `POST /v1/sync` does with a body before it reaches the ledger
//! (`serde_json`, `SyncRequest::check_bounds`, the page limits' clamp, each pushed change parsed
//! strictly). An accepted request must serialise and decode to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost_shared::sync::change::ParsedChange;
use outpost_shared::sync::message::{PageLimits, SyncRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<SyncRequest>(data) else {
        return;
    };
    if request.check_bounds().is_err() {
        return;
    }
    if let Some(limits) = request.limits {
        let _ = limits.clamp(PageLimits::DEFAULT);
    }
    for record in &request.push {
        for change in &record.changes {
            if let Ok(parsed) = ParsedChange::parse(change) {
                let _ = parsed.creation(&record.record);
            }
        }
    }
    let json = serde_json::to_vec(&request).expect("a decoded request serialises");
    let again: SyncRequest = serde_json::from_slice(&json).expect("its JSON decodes");
    assert_eq!(again, request, "the request does not survive a round trip");
});
