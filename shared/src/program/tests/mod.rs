//! Tests of whole program files: the shipped presets, every validation error with its line,
//! and the deadline arithmetic on real rules.

mod deadlines;
mod machine;
mod presets;
mod validation;
mod validation_rules;

use jiff::Timestamp;

use super::{Program, ProgramError};

/// The file name errors are reported against.
pub(super) const FILE: &str = "t.toml";

/// Lines before the body in [`program_text`]: a body line `k` is file line `HEAD_LINES + k`.
pub(super) const HEAD_LINES: usize = 4;

/// The actions most test programs allow.
pub(super) const CLAIM_ANSWER: &str = r#"["claim", "answer"]"#;

/// A small program: four head lines (id, name, kind, `actions`), then `body`, then a default
/// dispatch key, field, statuses and outcome for each of those the body does not declare.
pub(super) fn program_text(actions: &str, body: &str) -> String {
    let mut text = format!(
        "id = \"t\"\nname = {{ zh = \"测试\", en = \"Test\" }}\nrecord_kind = \"person\"\nactions = {actions}\n{body}\n"
    );
    if !body.contains("[dispatch]") {
        text.push_str("\n[dispatch]\nfield = \"town\"\nlevel = \"town\"\n");
    }
    if !body.contains("[[fields]]") {
        text.push_str(
            "\n[[fields]]\nkey = \"town\"\nlabel = { zh = \"镇街\", en = \"Town\" }\ntype = \"jurisdiction\"\n",
        );
    }
    if !body.contains("statuses") {
        for (status, zh) in [
            ("pending", "待认领"),
            ("claimed", "已认领"),
            ("answered", "已反馈"),
        ] {
            text.push_str(&format!(
                "\n[[statuses]]\nstatus = \"{status}\"\nlabel = {{ zh = \"{zh}\", en = \"{status}\" }}\n"
            ));
        }
    }
    if !body.contains("outcomes") {
        text.push_str(
            "\n[[outcomes]]\ncode = \"done\"\nlabel = { zh = \"完成\", en = \"Done\" }\n",
        );
    }
    text
}

/// Parses [`program_text`].
pub(super) fn parse(actions: &str, body: &str) -> Result<Program, ProgramError> {
    Program::from_toml_str(&program_text(actions, body), FILE)
}

/// The error [`program_text`] must fail with.
pub(super) fn rejected(actions: &str, body: &str) -> ProgramError {
    parse(actions, body).expect_err("the program must be rejected")
}

/// An instant written with its offset, e.g. "2022-03-18T17:19:05+08:00".
pub(super) fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

#[test]
fn the_default_test_program_is_valid() {
    let program = parse(CLAIM_ANSWER, "").expect("valid");
    assert_eq!(program.id(), "t");
}
