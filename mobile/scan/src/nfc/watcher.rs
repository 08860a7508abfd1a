//! The reader watcher: one thread that follows PC/SC readers and cards and sends events.
//!
//! It waits in `SCardGetStatusChange` on every known reader plus the `\\?PnP?\Notification`
//! pseudo-reader (which changes when a reader is plugged in or out), each wait bounded by
//! `poll`, so [`NfcWatcher::stop`] returns within one `poll` (plus a read in progress). On each
//! change:
//!
//! - a reader that appeared → `ReaderAttached` (readers present at start are reported too);
//! - a reader that disappeared → `CardRemoved` if it held a card, then `ReaderDetached`;
//! - a card that appeared → its UID is read (`FF CA 00 00 00`) → `Scanned`, or `Failed` with the
//!   reason (card removed mid-read, refused status word…);
//! - a card that left → `CardRemoved`; a card swapped for another within one wait (the reader's
//!   event counter moved while a card stayed present) → `CardRemoved`, then the new card's read.
//!
//! If the PC/SC service goes away, the watcher sends `Failed` (service not running), reports its
//! readers detached, and tries to reconnect every `retry` until it is stopped — or until nobody
//! listens: once the app has dropped the channel's receiving end, the thread ends by itself.

use std::ffi::CString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcsc::{Context, PNP_NOTIFICATION, ReaderState, State};

use super::tracker::{Change, Tracker};
use super::{NfcError, establish, list_readers, read_uid_on};
use crate::event::{Scan, ScanContent, ScanEvent, ScanSink, ScanSource, Scanner, now_ms};

/// How the watcher waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatcherConfig {
    /// The longest single wait for a change; also how long `stop` may take.
    pub poll: Duration,
    /// How long to wait before reconnecting to a PC/SC service that went away.
    pub retry: Duration,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        WatcherConfig {
            poll: Duration::from_millis(250),
            retry: Duration::from_secs(2),
        }
    }
}

/// The running watcher; stopping it (or dropping it) ends its thread.
#[derive(Debug)]
pub struct NfcWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NfcWatcher {
    /// Connects to the PC/SC service and starts watching. Fails at once when the service is not
    /// running, so the screen can say so; losing it later is reported as an event.
    pub fn start(sink: ScanSink, config: WatcherConfig) -> Result<NfcWatcher, NfcError> {
        let ctx = establish()?;
        // A zero wait would spin.
        let config = WatcherConfig {
            poll: config.poll.max(Duration::from_millis(10)),
            retry: config.retry.max(Duration::from_millis(10)),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("outpost-nfc-watcher".into())
            .spawn(move || Watch::new(sink, config, flag).run(ctx))
            .map_err(|_| NfcError::WatcherThread)?;
        Ok(NfcWatcher {
            stop,
            thread: Some(thread),
        })
    }

    /// Whether the thread still runs (it ends by itself once nobody listens).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A panic in the watcher thread has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}

impl Scanner for NfcWatcher {
    fn source(&self) -> ScanSource {
        ScanSource::Nfc
    }

    fn stop(&mut self) {
        self.halt();
    }
}

impl Drop for NfcWatcher {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The thread's state.
struct Watch {
    sink: ScanSink,
    config: WatcherConfig,
    stop: Arc<AtomicBool>,
    tracker: Tracker,
}

/// How often a read that failed for a reason other than the card itself is tried.
const READ_ATTEMPTS: u32 = 3;

/// Why a watch on one context ended.
enum Ended {
    Stopped,
    ServiceLost(NfcError),
}

impl Watch {
    fn new(sink: ScanSink, config: WatcherConfig, stop: Arc<AtomicBool>) -> Self {
        Watch {
            sink,
            config,
            stop,
            tracker: Tracker::default(),
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn run(mut self, first: Context) {
        let mut ctx = Some(first);
        while !self.stopping() {
            let current = match ctx.take() {
                Some(c) => c,
                None => match establish() {
                    Ok(c) => c,
                    Err(_) => {
                        self.pause(self.config.retry);
                        continue;
                    }
                },
            };
            match self.watch(&current) {
                Ended::Stopped => break,
                Ended::ServiceLost(error) => {
                    tracing::warn!(%error, "PC/SC service lost; reconnecting");
                    self.fail(None, error);
                    let changes = self.tracker.lost();
                    self.apply(&current, None, changes);
                    self.pause(self.config.retry);
                }
            }
        }
    }

    /// Sleeps up to `total`, in steps of at most `poll`, stopping early when asked to.
    fn pause(&self, total: Duration) {
        let until = Instant::now() + total;
        while !self.stopping() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(self.config.poll));
        }
    }

    fn watch(&mut self, ctx: &Context) -> Ended {
        let mut states = vec![ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
        loop {
            if self.stopping() {
                return Ended::Stopped;
            }
            let names = match list_readers(ctx) {
                Ok(names) => names,
                Err(NfcError::NoReader) => Vec::new(),
                Err(e) => return Ended::ServiceLost(e),
            };
            let changes = self.tracker.readers(&names);
            self.apply(ctx, Some(&mut states), changes);
            for state in &mut states {
                state.sync_current_state();
            }
            match ctx.get_status_change(self.config.poll, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) | Err(pcsc::Error::Cancelled) => continue,
                Err(e) => match NfcError::from(e) {
                    // A reader vanished between listing and waiting: the next round drops it.
                    NfcError::NoReader => continue,
                    other => return Ended::ServiceLost(other),
                },
            }
            let mut changes = Vec::new();
            for state in &states {
                let events = state.event_state();
                if state.name() == PNP_NOTIFICATION()
                    || !events.contains(State::CHANGED)
                    || events.intersects(State::UNKNOWN | State::IGNORE)
                {
                    continue;
                }
                changes.extend(self.tracker.card(
                    &state.name().to_string_lossy(),
                    events.contains(State::PRESENT),
                    events.contains(State::MUTE),
                    state.event_count(),
                ));
            }
            self.apply(ctx, Some(&mut states), changes);
        }
    }

    /// Turns the tracker's changes into events (reading cards that arrived) and keeps the list
    /// of reader states to wait on in step.
    fn apply(
        &mut self,
        ctx: &Context,
        mut states: Option<&mut Vec<ReaderState>>,
        changes: Vec<Change>,
    ) {
        for change in changes {
            match change {
                Change::Attached(reader) => {
                    let Ok(c_name) = CString::new(reader.clone()) else {
                        continue;
                    };
                    if let Some(states) = states.as_deref_mut() {
                        states.push(ReaderState::new(c_name, State::UNAWARE));
                    }
                    tracing::info!(%reader, "NFC reader attached");
                    self.emit(ScanEvent::ReaderAttached {
                        source: ScanSource::Nfc,
                        reader,
                    });
                }
                Change::Detached(reader) => {
                    if let Some(states) = states.as_deref_mut() {
                        states.retain(|s| s.name().to_string_lossy() != reader.as_str());
                    }
                    tracing::info!(%reader, "NFC reader detached");
                    self.emit(ScanEvent::ReaderDetached {
                        source: ScanSource::Nfc,
                        reader,
                    });
                }
                Change::Removed(reader) => {
                    self.emit(ScanEvent::CardRemoved {
                        source: ScanSource::Nfc,
                        reader,
                    });
                }
                Change::Arrived { reader, mute: true } => {
                    self.fail(
                        Some(&reader),
                        NfcError::Reader(pcsc::Error::UnresponsiveCard),
                    );
                }
                Change::Arrived {
                    reader,
                    mute: false,
                } => {
                    let Ok(c_name) = CString::new(reader.clone()) else {
                        continue;
                    };
                    match read_with_retries(ctx, &c_name) {
                        Ok(uid) => {
                            self.emit(ScanEvent::Scanned(Scan {
                                source: ScanSource::Nfc,
                                content: ScanContent::ChipUid(uid),
                                at_ms: now_ms(),
                            }));
                        }
                        Err(error) => self.fail(Some(&reader), error),
                    }
                }
            }
        }
    }

    /// Sends an event; when nobody listens any more, asks the thread to stop.
    fn emit(&self, event: ScanEvent) {
        if !self.sink.send(event) {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    fn fail(&self, reader: Option<&str>, error: NfcError) {
        self.emit(ScanEvent::Failed {
            source: ScanSource::Nfc,
            reader: reader.map(str::to_string),
            message: error.to_string(),
            message_zh: error.message_zh(),
        });
    }
}

/// Reads the UID, trying again (a few times, 50 ms apart) when the reader or its link failed
/// rather than the card: a card just put on may still be powering up.
fn read_with_retries(ctx: &Context, reader: &std::ffi::CStr) -> Result<Vec<u8>, NfcError> {
    let mut attempt = 1;
    loop {
        match read_uid_on(ctx, reader) {
            Err(NfcError::Reader(_)) if attempt < READ_ATTEMPTS => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}
