//! The camera source: frames in, one scan per code shown.
//!
//! A camera sees the same wristband in many frames in a row. A code is sent once when it appears,
//! and again only after it has been out of sight for `repeat_after_ms` — so holding a wristband
//! in front of the camera scans it once, and showing it again a moment later (the roll call's
//! "already boarded" warning) scans it again.

use std::collections::HashMap;

use crate::decode::FrameDecoder;
use crate::event::{ScanContent, ScanSink, ScanSource, Scanner};
use crate::frame::Frame;

/// How long a code must be out of sight before it counts as a new scan.
pub const DEFAULT_REPEAT_AFTER_MS: u64 = 1_500;

/// Codes remembered at most (a frame rarely shows more than one or two).
const MAX_SEEN: usize = 64;

/// Frames from a camera, decoded with `D`, scans into the channel.
pub struct CameraScanner<D> {
    decoder: D,
    sink: ScanSink,
    source: ScanSource,
    repeat_after_ms: u64,
    /// Code → when it was last seen.
    seen: HashMap<String, u64>,
}

impl<D: FrameDecoder> CameraScanner<D> {
    /// A scanner for this computer's camera.
    pub fn new(decoder: D, sink: ScanSink) -> Self {
        CameraScanner::with_source(decoder, sink, ScanSource::Camera)
    }

    /// A scanner whose scans name `source` (the phone adapter uses [`ScanSource::PhoneCamera`]).
    pub fn with_source(decoder: D, sink: ScanSink, source: ScanSource) -> Self {
        CameraScanner {
            decoder,
            sink,
            source,
            repeat_after_ms: DEFAULT_REPEAT_AFTER_MS,
            seen: HashMap::new(),
        }
    }

    /// Changes how long a code must be out of sight to count again.
    pub fn repeat_after_ms(mut self, ms: u64) -> Self {
        self.repeat_after_ms = ms;
        self
    }

    /// The decoder's name.
    pub fn decoder_name(&self) -> &'static str {
        self.decoder.name()
    }

    /// Decodes one frame taken at `at_ms`; returns the codes that were new scans (also sent).
    pub fn push_frame(&mut self, frame: &Frame, at_ms: u64) -> Vec<String> {
        let found = self.decoder.decode(frame);
        self.push_decoded(found, at_ms)
    }

    /// Takes codes a platform decoded itself (a phone's barcode API), seen at `at_ms`, through the
    /// same repeat filter; returns the new scans (also sent).
    pub fn push_decoded(&mut self, texts: Vec<String>, at_ms: u64) -> Vec<String> {
        let repeat = self.repeat_after_ms;
        self.seen
            .retain(|_, last| at_ms.saturating_sub(*last) <= repeat);
        let mut fresh = Vec::new();
        for text in texts {
            if text.is_empty() || fresh.contains(&text) {
                continue;
            }
            let known = self.seen.insert(text.clone(), at_ms).is_some();
            if !known {
                fresh.push(text);
            }
        }
        while self.seen.len() > MAX_SEEN {
            let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, last)| **last)
                .map(|(text, _)| text.clone())
            else {
                break;
            };
            self.seen.remove(&oldest);
        }
        for text in &fresh {
            self.sink
                .scanned(self.source, ScanContent::Text(text.clone()), at_ms);
        }
        fresh
    }
}

impl<D: FrameDecoder + Send> Scanner for CameraScanner<D> {
    fn source(&self) -> ScanSource {
        self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ScanEvent, channel};

    /// Returns the codes it is told to "see" next.
    struct Scripted(Vec<Vec<&'static str>>);

    impl FrameDecoder for Scripted {
        fn name(&self) -> &'static str {
            "scripted"
        }
        fn decode(&mut self, _: &Frame) -> Vec<String> {
            if self.0.is_empty() {
                return Vec::new();
            }
            self.0.remove(0).into_iter().map(String::from).collect()
        }
    }

    fn frame() -> Frame {
        Frame::from_luma(2, 2, vec![0; 4]).expect("frame")
    }

    #[test]
    fn a_code_held_in_view_is_scanned_once() {
        let (sink, events) = channel();
        let decoder = Scripted(vec![vec!["A"]; 10]);
        let mut camera = CameraScanner::new(decoder, sink);
        let mut new = Vec::new();
        for i in 0..10 {
            new.extend(camera.push_frame(&frame(), 1_000 + i * 100));
        }
        assert_eq!(new, vec!["A".to_string()]);
        assert_eq!(events.drain().len(), 1);
    }

    #[test]
    fn a_code_shown_again_after_a_pause_is_scanned_again() {
        let (sink, events) = channel();
        let decoder = Scripted(vec![vec!["A"], vec![], vec!["A"], vec!["A"]]);
        let mut camera = CameraScanner::new(decoder, sink).repeat_after_ms(500);
        assert_eq!(camera.push_frame(&frame(), 0), vec!["A".to_string()]);
        assert!(camera.push_frame(&frame(), 300).is_empty());
        assert!(
            camera.push_frame(&frame(), 400).is_empty(),
            "seen 400 ms ago"
        );
        assert_eq!(camera.push_frame(&frame(), 1_000), vec!["A".to_string()]);
        let got = events.drain();
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[1], ScanEvent::Scanned(s)
            if s.at_ms == 1_000 && s.source == ScanSource::Camera));
    }

    #[test]
    fn two_codes_in_one_frame_are_two_scans_and_duplicates_count_once() {
        let (sink, events) = channel();
        let decoder = Scripted(vec![vec!["A", "B", "A"], vec!["B", "C"]]);
        let mut camera = CameraScanner::new(decoder, sink);
        assert_eq!(camera.push_frame(&frame(), 0), vec!["A", "B"]);
        assert_eq!(camera.push_frame(&frame(), 40), vec!["C"]);
        assert_eq!(events.drain().len(), 3);
        assert_eq!(camera.decoder_name(), "scripted");
    }

    #[test]
    fn the_memory_of_codes_seen_stays_bounded() {
        let (sink, _events) = channel();
        let mut camera = CameraScanner::new(Scripted(vec![]), sink);
        let texts: Vec<String> = (0..200).map(|i| format!("code-{i}")).collect();
        assert_eq!(camera.push_decoded(texts, 0).len(), 200);
        assert!(camera.seen.len() <= MAX_SEEN);
    }
}
