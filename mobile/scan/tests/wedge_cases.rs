//! Runs the keyboard-wedge cases of `tests/wedge_cases.json` — the behaviour as data, which the
//! front-end's mirror of the detector runs too, so both stay the same algorithm.

use outpost_scan::wedge::{Key, WedgeConfig, WedgeDetector, WedgeOutput};
use serde_json::Value;

fn ms(step: &Value, field: &str) -> u64 {
    step[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {step}"))
}

fn run(case: &Value) -> Vec<WedgeOutput> {
    let config: WedgeConfig = match case.get("config") {
        Some(c) => serde_json::from_value(c.clone()).expect("config"),
        None => WedgeConfig::default(),
    };
    let mut detector = WedgeDetector::new(config);
    let mut out = Vec::new();
    for step in case["steps"].as_array().expect("steps") {
        if let Some(text) = step.get("text").and_then(Value::as_str) {
            let (from, gap) = (ms(step, "from_ms"), ms(step, "gap_ms"));
            for (i, c) in text.chars().enumerate() {
                out.extend(detector.key(Key::Char(c), from + gap * i as u64));
            }
        } else if let Some(key) = step.get("key").and_then(Value::as_str) {
            out.extend(detector.key(Key::from_dom(key), ms(step, "at_ms")));
        } else {
            out.extend(detector.tick(ms(step, "tick_ms")));
        }
    }
    out
}

#[test]
fn every_shared_wedge_case_gives_its_outputs() {
    let text = include_str!("wedge_cases.json");
    let file: Value = serde_json::from_str(text).expect("valid JSON");
    let cases = file["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    for case in cases {
        let got = serde_json::to_value(run(case)).expect("serialises");
        assert_eq!(got, case["outputs"], "case: {}", case["name"]);
    }
}

#[test]
fn a_partial_config_takes_the_defaults_for_the_rest() {
    let config: WedgeConfig = serde_json::from_str(r#"{"min_len": 4}"#).expect("config");
    assert_eq!(
        config,
        WedgeConfig {
            min_len: 4,
            ..WedgeConfig::default()
        }
    );
}
