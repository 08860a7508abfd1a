//! What every scan source delivers: [`ScanEvent`]s into one channel.
//!
//! A source gets a [`ScanSink`] (cheap to clone, one per source) and pushes events; the app holds
//! the [`ScanEvents`] end and either polls it ([`ScanEvents::drain`], e.g. from a Tauri command the
//! screen calls) or blocks on it with a bounded wait ([`ScanEvents::next_timeout`], e.g. a thread
//! that forwards each event to the window). Events from all sources arrive in one order, the order
//! they were sent.
//!
//! The channel is unbounded on purpose: scans come at human speed (a few per second at most), and
//! dropping one would lose a wristband at a roll call. A sink whose receiver is gone reports it
//! ([`ScanSink::send`] returns `false`) so a source thread can stop.

use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Where a scan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanSource {
    /// A camera on this computer, frames decoded in Rust (摄像头).
    Camera,
    /// A USB barcode scanner that types like a keyboard (扫码枪).
    KeyboardWedge,
    /// A PC/SC NFC reader (NFC 读卡器).
    Nfc,
    /// The phone's camera, through the mobile plugin (手机摄像头).
    PhoneCamera,
    /// The phone's NFC, through the mobile plugin (手机 NFC).
    PhoneNfc,
}

/// What was read: the text of a code, or the UID of a chip. Not parsed: telling a wristband from
/// a stray code is the caller's job (`outpost_shared::tag`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ScanContent {
    /// The text of a QR code or barcode.
    Text(String),
    /// An NFC chip's UID, as the reader returned it (4, 7 or 10 bytes).
    ChipUid(Vec<u8>),
}

impl ScanContent {
    /// The chip UID in upper-case hex, if this is one.
    pub fn uid_hex(&self) -> Option<String> {
        match self {
            ScanContent::ChipUid(uid) => Some(uid.iter().map(|b| format!("{b:02X}")).collect()),
            ScanContent::Text(_) => None,
        }
    }
}

/// One successful read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scan {
    pub source: ScanSource,
    pub content: ScanContent,
    /// When it was read, in milliseconds since the Unix epoch (for the wedge: the Enter key's time
    /// as the caller gave it).
    pub at_ms: u64,
}

/// Something a scan source tells the app.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ScanEvent {
    /// A code or chip was read.
    Scanned(Scan),
    /// A reader appeared (plugged in, or present when watching started).
    ReaderAttached { source: ScanSource, reader: String },
    /// A reader went away (unplugged).
    ReaderDetached { source: ScanSource, reader: String },
    /// The card or wristband left the reader.
    CardRemoved { source: ScanSource, reader: String },
    /// A read or the source itself failed; the source keeps going when it can. `message` is the
    /// English text, `message_zh` the Chinese one; neither holds personal data.
    Failed {
        source: ScanSource,
        reader: Option<String>,
        message: String,
        message_zh: String,
    },
}

/// Creates the channel every source sends into.
pub fn channel() -> (ScanSink, ScanEvents) {
    let (tx, rx) = mpsc::channel();
    (ScanSink { tx }, ScanEvents { rx: Mutex::new(rx) })
}

/// The sending end, one clone per source.
#[derive(Debug, Clone)]
pub struct ScanSink {
    tx: mpsc::Sender<ScanEvent>,
}

impl ScanSink {
    /// Sends an event; `false` when nobody listens any more.
    pub fn send(&self, event: ScanEvent) -> bool {
        self.tx.send(event).is_ok()
    }

    /// Sends a successful read.
    pub fn scanned(&self, source: ScanSource, content: ScanContent, at_ms: u64) -> bool {
        self.send(ScanEvent::Scanned(Scan {
            source,
            content,
            at_ms,
        }))
    }
}

/// The receiving end, held by the app. It is `Sync` (the receiver sits behind a mutex), so it can
/// live in shared app state, e.g. Tauri's managed state, and be drained from a command.
#[derive(Debug)]
pub struct ScanEvents {
    rx: Mutex<mpsc::Receiver<ScanEvent>>,
}

impl ScanEvents {
    fn rx(&self) -> MutexGuard<'_, mpsc::Receiver<ScanEvent>> {
        // A panic while holding the guard cannot leave a receiver half-changed.
        self.rx.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next event if one is waiting.
    pub fn try_next(&self) -> Option<ScanEvent> {
        self.rx().try_recv().ok()
    }

    /// The next event, waiting at most `timeout`; `None` on timeout or when every sink is gone.
    pub fn next_timeout(&self, timeout: Duration) -> Option<ScanEvent> {
        self.rx().recv_timeout(timeout).ok()
    }

    /// Every event waiting now, oldest first (for a screen that polls).
    pub fn drain(&self) -> Vec<ScanEvent> {
        self.rx().try_iter().collect()
    }
}

/// A scan source. Sources differ in what feeds them — key events, camera frames, UIDs from a
/// phone plugin, or their own reader thread — but each sends [`ScanEvent`]s into the
/// [`ScanSink`] it was created with, so a screen that takes a scan listens to one channel.
pub trait Scanner: Send {
    /// Which kind of source this is.
    fn source(&self) -> ScanSource;

    /// Stops the source: once this returns, it sends nothing more. Sources without a thread
    /// have nothing to stop.
    fn stop(&mut self) {}
}

/// Wall-clock milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_from_several_sinks_arrive_in_send_order() {
        let (sink, events) = channel();
        let other = sink.clone();
        assert!(sink.scanned(ScanSource::KeyboardWedge, ScanContent::Text("a".into()), 1));
        assert!(other.scanned(ScanSource::PhoneNfc, ScanContent::ChipUid(vec![4, 1]), 2));
        let got = events.drain();
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], ScanEvent::Scanned(s) if s.source == ScanSource::KeyboardWedge));
        assert!(matches!(&got[1], ScanEvent::Scanned(s) if s.at_ms == 2));
        assert!(events.try_next().is_none());
    }

    #[test]
    fn a_sink_reports_when_the_app_stopped_listening() {
        let (sink, events) = channel();
        drop(events);
        assert!(!sink.scanned(ScanSource::Camera, ScanContent::Text("x".into()), 0));
    }

    #[test]
    fn waiting_for_an_event_is_bounded() {
        let (_sink, events) = channel();
        let started = std::time::Instant::now();
        assert!(events.next_timeout(Duration::from_millis(20)).is_none());
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn both_ends_can_live_in_shared_app_state() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<ScanSink>();
        shared::<ScanEvents>();
    }

    #[test]
    fn chip_uids_print_as_upper_case_hex() {
        let uid = ScanContent::ChipUid(vec![0x04, 0xa1, 0x0f]);
        assert_eq!(uid.uid_hex().as_deref(), Some("04A10F"));
        assert_eq!(ScanContent::Text("x".into()).uid_hex(), None);
    }

    #[test]
    fn events_serialise_with_a_kind_tag_for_the_front_end() {
        let event = ScanEvent::Scanned(Scan {
            source: ScanSource::Nfc,
            content: ScanContent::ChipUid(vec![1, 2]),
            at_ms: 5,
        });
        let json = serde_json::to_string(&event).expect("serialises");
        assert_eq!(
            json,
            r#"{"event":"scanned","source":"nfc","content":{"type":"chip_uid","value":[1,2]},"at_ms":5}"#
        );
    }
}
