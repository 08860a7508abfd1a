use super::*;
use crate::event::{ScanEvent, channel};

const PAYLOAD: &str = "OPW1-00012345-7K3Q";

/// Feeds `text` one key every `gap_ms` from `start_ms`, then Enter `enter_gap_ms` after the last
/// character (no Enter when `None`); returns every output and the time of the last key.
fn type_text(
    d: &mut WedgeDetector,
    text: &str,
    start_ms: u64,
    gap_ms: u64,
    enter_gap_ms: Option<u64>,
) -> (Vec<WedgeOutput>, u64) {
    let mut out = Vec::new();
    let mut t = start_ms;
    for (i, c) in text.chars().enumerate() {
        if i > 0 {
            t += gap_ms;
        }
        out.extend(d.key(Key::Char(c), t));
    }
    if let Some(gap) = enter_gap_ms {
        t += gap;
        out.extend(d.key(Key::Enter, t));
    }
    (out, t)
}

/// Joins consecutive typed outputs, as the field would show them.
fn typed(out: &[WedgeOutput]) -> String {
    out.iter()
        .filter_map(|o| match o {
            WedgeOutput::Typed(t) => Some(t.as_str()),
            WedgeOutput::Scanned(_) => None,
        })
        .collect()
}

fn scans(out: &[WedgeOutput]) -> Vec<&str> {
    out.iter()
        .filter_map(|o| match o {
            WedgeOutput::Scanned(t) => Some(t.as_str()),
            WedgeOutput::Typed(_) => None,
        })
        .collect()
}

#[test]
fn a_fast_burst_ending_in_enter_is_a_scan() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    let (out, _) = type_text(&mut d, PAYLOAD, 1_000, 8, Some(8));
    assert_eq!(out, vec![WedgeOutput::Scanned(PAYLOAD.into())]);
    assert!(!d.is_holding());
}

#[test]
fn a_person_typing_gets_every_character_back_and_their_enter_goes_through() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    let (mut out, t) = type_text(&mut d, "张三 13800", 0, 140, Some(300));
    out.extend(d.tick(t + 100));
    assert_eq!(typed(&out), "张三 13800");
    assert!(scans(&out).is_empty());
    assert!(!d.is_holding());
}

#[test]
fn a_fast_typist_burst_shorter_than_the_minimum_is_typing() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    // "the" rolled quickly, then Enter right away: still only 3 characters.
    let (out, _) = type_text(&mut d, "the", 0, 20, Some(20));
    assert_eq!(out, vec![WedgeOutput::Typed("the".into())]);
}

#[test]
fn a_burst_whose_enter_comes_late_is_typing() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    let (out, _) = type_text(&mut d, PAYLOAD, 0, 5, Some(200));
    assert_eq!(out, vec![WedgeOutput::Typed(PAYLOAD.into())]);
}

#[test]
fn a_held_key_repeating_then_enter_is_typing() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    // Auto-repeat at 30 per second, then the person lets go and presses Enter.
    let (out, _) = type_text(&mut d, "aaaaaaaaaaaa", 0, 33, Some(150));
    assert_eq!(typed(&out), "aaaaaaaaaaaa");
    assert!(scans(&out).is_empty());
}

#[test]
fn a_burst_without_enter_is_typing_by_default_once_it_times_out() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    let (out, t) = type_text(&mut d, PAYLOAD, 0, 6, None);
    assert!(out.is_empty(), "held back while it may still be a scan");
    assert!(d.tick(t + 35).is_empty(), "not yet past the gap");
    assert_eq!(d.tick(t + 36), vec![WedgeOutput::Typed(PAYLOAD.into())]);
}

#[test]
fn a_burst_without_enter_is_a_scan_when_the_scanner_sends_no_suffix() {
    let config = WedgeConfig {
        accept_without_enter: true,
        ..WedgeConfig::default()
    };
    let mut d = WedgeDetector::new(config);
    let (out, t) = type_text(&mut d, PAYLOAD, 0, 6, None);
    assert!(out.is_empty());
    assert_eq!(d.tick(t + 50), vec![WedgeOutput::Scanned(PAYLOAD.into())]);
    // A short burst without suffix is still typing.
    let (_, t) = type_text(&mut d, "ab", t + 1_000, 6, None);
    assert_eq!(d.tick(t + 50), vec![WedgeOutput::Typed("ab".into())]);
}

#[test]
fn a_timed_out_burst_resolves_when_the_next_key_comes_without_a_tick() {
    let config = WedgeConfig {
        accept_without_enter: true,
        ..WedgeConfig::default()
    };
    let mut d = WedgeDetector::new(config);
    let (_, t) = type_text(&mut d, PAYLOAD, 0, 6, None);
    let out = d.key(Key::Char('x'), t + 500);
    assert_eq!(out, vec![WedgeOutput::Scanned(PAYLOAD.into())]);
    assert!(d.is_holding(), "the new key is held in a fresh buffer");
}

#[test]
fn typing_then_a_scan_then_typing_keeps_each_apart() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    let (mut out, t) = type_text(&mut d, "王", 0, 150, None);
    let (o, t) = type_text(&mut d, PAYLOAD, t + 400, 4, Some(4));
    out.extend(o);
    let (o, t) = type_text(&mut d, "ok", t + 600, 120, None);
    out.extend(o);
    out.extend(d.tick(t + 100));
    assert_eq!(
        out,
        vec![
            WedgeOutput::Typed("王".into()),
            WedgeOutput::Scanned(PAYLOAD.into()),
            WedgeOutput::Typed("o".into()),
            WedgeOutput::Typed("k".into()),
        ]
    );
}

#[test]
fn two_scans_back_to_back_are_two_scans() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    let other = "OPW1-00012346-9ZTB";
    let (mut out, t) = type_text(&mut d, PAYLOAD, 0, 3, Some(3));
    let (o, _) = type_text(&mut d, other, t + 5, 3, Some(3));
    out.extend(o);
    assert_eq!(scans(&out), vec![PAYLOAD, other]);
}

#[test]
fn other_keys_release_held_characters_before_they_act() {
    let mut d = WedgeDetector::new(WedgeConfig::default());
    assert!(d.key(Key::Char('a'), 0).is_empty());
    assert!(d.key(Key::Char('b'), 10).is_empty());
    assert_eq!(d.key(Key::Other, 20), vec![WedgeOutput::Typed("ab".into())]);
    assert!(d.key(Key::Other, 30).is_empty());
}

#[test]
fn a_buffer_that_reaches_the_maximum_length_is_released_as_typing() {
    let config = WedgeConfig {
        max_len: 10,
        ..WedgeConfig::default()
    };
    let mut d = WedgeDetector::new(config);
    let (out, _) = type_text(&mut d, "0123456789abc", 0, 2, Some(2));
    assert_eq!(
        out,
        vec![
            WedgeOutput::Typed("0123456789".into()),
            WedgeOutput::Typed("abc".into())
        ]
    );
}

#[test]
fn thresholds_are_configurable() {
    let config = WedgeConfig {
        max_gap_ms: 60,
        min_len: 3,
        ..WedgeConfig::default()
    };
    let mut d = WedgeDetector::new(config);
    let (out, _) = type_text(&mut d, "A12", 0, 55, Some(55));
    assert_eq!(out, vec![WedgeOutput::Scanned("A12".into())]);
    assert_eq!(d.config(), config);
}

#[test]
fn dom_key_names_map_to_keys() {
    assert_eq!(Key::from_dom("Enter"), Key::Enter);
    assert_eq!(Key::from_dom("a"), Key::Char('a'));
    assert_eq!(Key::from_dom("张"), Key::Char('张'));
    assert_eq!(Key::from_dom("Backspace"), Key::Other);
    assert_eq!(Key::from_dom("Shift"), Key::Other);
    assert_eq!(Key::from_dom(""), Key::Other);
}

#[test]
fn the_wedge_scanner_sends_scans_into_the_channel_and_returns_typing() {
    let (sink, events) = channel();
    let mut scanner = WedgeScanner::new(WedgeConfig::default(), sink);
    assert_eq!(scanner.source(), ScanSource::KeyboardWedge);
    let mut t = 1_700_000_000_000;
    for c in PAYLOAD.chars() {
        assert!(scanner.key(Key::Char(c), t).is_empty());
        t += 5;
    }
    assert_eq!(
        scanner.key(Key::Enter, t),
        vec![WedgeOutput::Scanned(PAYLOAD.into())]
    );
    assert!(scanner.key(Key::Char('x'), t + 500).is_empty());
    assert_eq!(scanner.tick(t + 600), vec![WedgeOutput::Typed("x".into())]);
    let got = events.drain();
    assert_eq!(got.len(), 1);
    let ScanEvent::Scanned(scan) = &got[0] else {
        panic!("expected a scan, got {got:?}");
    };
    assert_eq!(scan.source, ScanSource::KeyboardWedge);
    assert_eq!(scan.content, ScanContent::Text(PAYLOAD.into()));
    assert_eq!(scan.at_ms, t);
}
