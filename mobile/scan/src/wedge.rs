//! USB barcode scanners that type like a keyboard ("keyboard wedge", 扫码枪): telling a scanner's
//! burst of keystrokes from a person typing into the same field.
//!
//! # The algorithm (mirror it as is in the web front-end)
//!
//! A scanner types the whole code in a few milliseconds per key and ends it with Enter; a person
//! rarely types more than two or three keys that fast in a row, and cannot release a key and
//! press Enter that fast. So:
//!
//! 1. Character keys are **held back** in a pending buffer, together with the time of the last one.
//! 2. A new key that comes more than `max_gap_ms` after the last held key first **resolves** the
//!    buffer (see 4), then is handled as if the buffer were empty.
//! 3. Enter with a buffer of at least `min_len` characters (all of them, by 2, at most
//!    `max_gap_ms` apart, and the Enter within `max_gap_ms` too) is a **scan**: the buffer is the
//!    code and the Enter is swallowed. Enter with a shorter buffer releases the buffer as typed
//!    text, and the Enter goes through to the page.
//! 4. Resolving a buffer that timed out (no Enter within `max_gap_ms`): it is a scan only when
//!    `accept_without_enter` is set (scanners configured with no suffix) and it holds at least
//!    `min_len` characters; otherwise it is released as typed text.
//! 5. Any other key (Backspace, Tab, arrows…) releases the buffer as typed text and goes through.
//! 6. A buffer that reaches `max_len` is released as typed text (a key held down, not a code).
//! 7. The caller also calls [`WedgeDetector::tick`] when time passes without keys (a timer about
//!    `max_gap_ms + 1` after the last key), so that held-back typing appears and bursts without
//!    Enter end.
//!
//! Outputs come in order: [`WedgeOutput::Typed`] text must be inserted where the person typed it,
//! [`WedgeOutput::Scanned`] is a code. A key passes through to the page **iff it is not a
//! character key and the same call produced no `Scanned`**; character keys never pass through
//! (they come back as `Typed` when they were typing).
//!
//! `tests/wedge_cases.json` holds the behaviour as data (keys with times → outputs); the Rust tests
//! run it, and the front-end's mirror should run the same file.
//!
//! Typing shows up at most `max_gap_ms` late. Known limit: a person's key pressed within
//! `max_gap_ms` before a scan starts becomes the first character of the scan (the tag parser then
//! rejects the code, and the worker scans again).

use serde::{Deserialize, Serialize};

use crate::event::{ScanContent, ScanSink, ScanSource, Scanner};

/// One key press, as the page saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A key that types one character.
    Char(char),
    /// Enter / Return.
    Enter,
    /// Any other key (Backspace, Tab, arrows, modifiers…).
    Other,
}

impl Key {
    /// The key from a DOM `KeyboardEvent.key` value: `"Enter"`, a single character, or anything
    /// else.
    pub fn from_dom(key: &str) -> Key {
        let mut chars = key.chars();
        match (chars.next(), chars.next()) {
            _ if key == "Enter" => Key::Enter,
            (Some(c), None) => Key::Char(c),
            _ => Key::Other,
        }
    }
}

/// The detector's thresholds (from settings as JSON: missing fields take the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WedgeConfig {
    /// The longest pause between two keys of a burst, Enter included (scanners: 1–20 ms; people:
    /// usually 80 ms or more; a key held down repeats every 33–40 ms but the Enter after it is late).
    pub max_gap_ms: u64,
    /// The fewest characters a scan has (a wristband payload has 18).
    pub min_len: usize,
    /// A buffer this long is released as typing.
    pub max_len: usize,
    /// Take a fast burst that ends without Enter as a scan (scanners configured with no suffix).
    pub accept_without_enter: bool,
}

impl Default for WedgeConfig {
    fn default() -> Self {
        WedgeConfig {
            max_gap_ms: 35,
            min_len: 6,
            max_len: 256,
            accept_without_enter: false,
        }
    }
}

/// What the detector says after a key or a tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum WedgeOutput {
    /// Characters a person typed, held back while they could have been a scan.
    Typed(String),
    /// A scanner's code, without its Enter.
    Scanned(String),
}

/// The pure detector: key events with their times in, [`WedgeOutput`]s out. See the module doc.
#[derive(Debug, Clone)]
pub struct WedgeDetector {
    config: WedgeConfig,
    pending: String,
    pending_len: usize,
    last_ms: u64,
}

impl WedgeDetector {
    pub fn new(config: WedgeConfig) -> Self {
        WedgeDetector {
            config,
            pending: String::new(),
            pending_len: 0,
            last_ms: 0,
        }
    }

    /// The thresholds in use.
    pub fn config(&self) -> WedgeConfig {
        self.config
    }

    /// Whether characters are held back (the caller should tick after `max_gap_ms`).
    pub fn is_holding(&self) -> bool {
        self.pending_len > 0
    }

    /// Handles one key pressed at `at_ms` (any monotonic millisecond clock, the same for all calls).
    pub fn key(&mut self, key: Key, at_ms: u64) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        if self.pending_len > 0 && at_ms.saturating_sub(self.last_ms) > self.config.max_gap_ms {
            self.resolve_timed_out(&mut out);
        }
        match key {
            Key::Char(c) => {
                self.pending.push(c);
                self.pending_len += 1;
                self.last_ms = at_ms;
                if self.pending_len >= self.config.max_len {
                    self.release(&mut out);
                }
            }
            Key::Enter => {
                if self.pending_len >= self.config.min_len {
                    out.push(WedgeOutput::Scanned(self.take()));
                } else {
                    self.release(&mut out);
                }
            }
            Key::Other => self.release(&mut out),
        }
        out
    }

    /// Lets time pass without a key: resolves a buffer whose last key is more than `max_gap_ms`
    /// before `now_ms`.
    pub fn tick(&mut self, now_ms: u64) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        if self.pending_len > 0 && now_ms.saturating_sub(self.last_ms) > self.config.max_gap_ms {
            self.resolve_timed_out(&mut out);
        }
        out
    }

    fn resolve_timed_out(&mut self, out: &mut Vec<WedgeOutput>) {
        if self.config.accept_without_enter && self.pending_len >= self.config.min_len {
            out.push(WedgeOutput::Scanned(self.take()));
        } else {
            self.release(out);
        }
    }

    fn release(&mut self, out: &mut Vec<WedgeOutput>) {
        if self.pending_len > 0 {
            out.push(WedgeOutput::Typed(self.take()));
        }
    }

    fn take(&mut self) -> String {
        self.pending_len = 0;
        std::mem::take(&mut self.pending)
    }
}

/// The keyboard-wedge source: a [`WedgeDetector`] whose scans go into the scan channel.
#[derive(Debug)]
pub struct WedgeScanner {
    detector: WedgeDetector,
    sink: ScanSink,
}

impl WedgeScanner {
    pub fn new(config: WedgeConfig, sink: ScanSink) -> Self {
        WedgeScanner {
            detector: WedgeDetector::new(config),
            sink,
        }
    }

    /// Handles a key (`at_ms`: wall-clock milliseconds, which also stamp the scan). Scans are sent
    /// into the channel and also returned, in order with the typed text the page must insert.
    pub fn key(&mut self, key: Key, at_ms: u64) -> Vec<WedgeOutput> {
        let out = self.detector.key(key, at_ms);
        self.send_scans(&out, at_ms);
        out
    }

    /// Lets time pass; see [`WedgeDetector::tick`].
    pub fn tick(&mut self, now_ms: u64) -> Vec<WedgeOutput> {
        let out = self.detector.tick(now_ms);
        self.send_scans(&out, now_ms);
        out
    }

    fn send_scans(&self, out: &[WedgeOutput], at_ms: u64) {
        for output in out {
            if let WedgeOutput::Scanned(text) = output {
                self.sink.scanned(
                    ScanSource::KeyboardWedge,
                    ScanContent::Text(text.clone()),
                    at_ms,
                );
            }
        }
    }
}

impl Scanner for WedgeScanner {
    fn source(&self) -> ScanSource {
        ScanSource::KeyboardWedge
    }
}

#[cfg(test)]
#[path = "wedge_tests.rs"]
mod tests;
