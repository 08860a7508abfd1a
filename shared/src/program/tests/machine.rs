//! The declared state machine: a program written only in TOML loads with its statuses and
//! transitions, and every mistake in them is refused at the line of the culprit.

use super::super::{Colour, GuardTest, NoteRule, Program, ProgramErrorKind};
use super::{CLAIM_ANSWER, HEAD_LINES, rejected};
use crate::i18n::{Describe, Lang};

/// The test program shared with the app and server tests.
pub(crate) const ISOLATION: &str = include_str!("../../../tests/programs/isolation-follow-up.toml");

fn isolation() -> Program {
    Program::from_toml_str(ISOLATION, "isolation-follow-up.toml").expect("the test program loads")
}

/// Statuses for the bodies below: two working statuses and a terminal one.
const STATUSES: &str = r#"[[statuses]]
code = "pending"
label = { zh = "待处置", en = "Pending" }
[[statuses]]
code = "claimed"
label = { zh = "已认领", en = "Claimed" }
[[statuses]]
code = "answered"
label = { zh = "已反馈", en = "Answered" }
[[statuses]]
code = "closed"
label = { zh = "已办结", en = "Closed" }
terminal = true
"#;

/// Lines of [`STATUSES`]: a body line `k` after it is file line `HEAD_LINES + STATUS_LINES + k`.
const STATUS_LINES: usize = 13;

fn with_statuses(transitions: &str) -> String {
    format!("{STATUSES}{transitions}")
}

fn refused_at(transitions: &str, line: usize) -> ProgramErrorKind {
    let error = rejected(CLAIM_ANSWER, &with_statuses(transitions));
    assert_eq!(
        error.position.line,
        HEAD_LINES + STATUS_LINES + line,
        "{error}"
    );
    // Every refusal reads in Chinese too, without falling back to the English text.
    assert_ne!(error.kind.describe(Lang::Zh), error.kind.to_string());
    error.kind
}

#[test]
fn a_program_written_only_in_toml_loads_its_statuses_and_transitions() {
    let program = isolation();
    let codes: Vec<&str> = program.statuses().iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "pending",
            "answered",
            "home_isolation",
            "central_isolation",
            "released"
        ]
    );
    let released = program.status("released").expect("released");
    assert!(released.terminal);
    assert_eq!(released.colour, Colour::Green);
    assert_eq!(program.status_label("pending", Lang::Zh), Some("待处置"));

    let home = program
        .transition("start_home_isolation")
        .expect("declared");
    assert_eq!(home.from, ["pending"]);
    assert_eq!(home.to, "home_isolation");
    assert_eq!(home.roles, ["worker", "leader"]);
    assert_eq!(home.inputs.len(), 1);
    assert!(home.inputs[0].required);
    assert_eq!(
        home.guards[0].test,
        GuardTest::NotIn(vec!["hubei".into(), "henan".into()])
    );
    let release = program.transition("release").expect("declared");
    assert_eq!(release.note, NoteRule::Required);
    assert!(release.allows_role("leader") && !release.allows_role("worker"));
    assert_eq!(
        release.confirm.as_ref().map(|c| c.zh.as_str()),
        Some("确认解除该人员的隔离？")
    );
    // No roles listed: every role may take it.
    assert!(
        program
            .transition("send_to_central")
            .expect("declared")
            .allows_role("cdc")
    );
}

#[test]
fn the_old_status_key_still_reads() {
    // Files written before statuses had codes used `status = "…"`.
    let program = super::parse(CLAIM_ANSWER, "").expect("the default body uses `status =`");
    assert!(program.status("claimed").is_some());
}

#[test]
fn a_transition_to_an_undeclared_status_is_refused_at_its_to() {
    let kind = refused_at(
        r#"[[transitions]]
action = "close"
label = { zh = "办结", en = "Close" }
from = ["pending"]
to = "archived""#,
        5,
    );
    assert_eq!(
        kind,
        ProgramErrorKind::UnknownStatus {
            status: "archived".into()
        }
    );
}

#[test]
fn nothing_leaves_a_terminal_status() {
    let kind = refused_at(
        r#"[[transitions]]
action = "reopen"
label = { zh = "重新打开", en = "Reopen" }
from = ["closed"]
to = "pending""#,
        4,
    );
    assert_eq!(
        kind,
        ProgramErrorKind::TransitionFromTerminal {
            action: "reopen".into(),
            status: "closed".into()
        }
    );
}

#[test]
fn a_transition_may_not_take_a_core_action_name_or_be_declared_twice() {
    let kind = refused_at(
        r#"[[transitions]]
action = "claim"
label = { zh = "认领", en = "Claim" }
from = ["pending"]
to = "closed""#,
        2,
    );
    assert_eq!(
        kind,
        ProgramErrorKind::TransitionNamesCoreAction {
            action: "claim".into()
        }
    );
    let step = r#"[[transitions]]
action = "close"
label = { zh = "办结", en = "Close" }
from = ["pending"]
to = "closed"
"#;
    let kind = refused_at(&format!("{step}{step}"), 7);
    assert_eq!(
        kind,
        ProgramErrorKind::DuplicateTransition {
            action: "close".into()
        }
    );
}

#[test]
fn a_transition_needs_a_starting_status_and_known_roles() {
    let kind = refused_at(
        r#"[[transitions]]
action = "close"
label = { zh = "办结", en = "Close" }
from = []
to = "closed""#,
        4,
    );
    assert_eq!(
        kind,
        ProgramErrorKind::TransitionWithoutFrom {
            action: "close".into()
        }
    );
    let kind = refused_at(
        r#"[[transitions]]
action = "close"
label = { zh = "办结", en = "Close" }
from = ["pending"]
to = "closed"
roles = ["worker", "mayor"]"#,
        6,
    );
    assert_eq!(
        kind,
        ProgramErrorKind::UnknownRole {
            role: "mayor".into()
        }
    );
}

#[test]
fn inputs_name_typable_fields_once() {
    let step = |inputs: &str| {
        format!(
            "[[transitions]]\naction = \"close\"\nlabel = {{ zh = \"办结\", en = \"Close\" }}\nfrom = [\"pending\"]\nto = \"closed\"\ninputs = {inputs}"
        )
    };
    assert_eq!(
        refused_at(&step(r#"[{ field = "site" }]"#), 6),
        ProgramErrorKind::InputUnknownField {
            field: "site".into()
        }
    );
    // The default test field is the dispatch unit: it moves by reassigning, never by a step.
    assert_eq!(
        refused_at(&step(r#"[{ field = "town" }]"#), 6),
        ProgramErrorKind::InputNotTypable {
            field: "town".into()
        }
    );
}

#[test]
fn a_guard_has_exactly_one_test_over_a_known_field_and_its_options() {
    let guard = |test: &str| {
        let fields = r#"[[fields]]
key = "town"
label = { zh = "镇街", en = "Town" }
type = "jurisdiction"
[[fields]]
key = "origin"
label = { zh = "出发地", en = "From" }
type = "choice"
options = [{ code = "hubei", label = { zh = "湖北", en = "Hubei" } }]
"#;
        format!(
            "{fields}{STATUSES}[[transitions]]\naction = \"close\"\nlabel = {{ zh = \"办结\", en = \"Close\" }}\nfrom = [\"pending\"]\nto = \"closed\"\n  [[transitions.guards]]\n  {test}\n  message = {{ zh = \"不符合条件\", en = \"Not allowed\" }}"
        )
    };
    let kind = |test: &str| rejected(CLAIM_ANSWER, &guard(test)).kind;
    assert_eq!(
        kind("field = \"origin\"\n  not_in = [\"hubei\"]\n  set = true"),
        ProgramErrorKind::GuardNeedsOneTest {
            field: "origin".into()
        }
    );
    assert_eq!(
        kind("field = \"origin\"\n  in = []"),
        ProgramErrorKind::GuardNeedsOneTest {
            field: "origin".into()
        }
    );
    assert_eq!(
        kind("field = \"origin\"\n  not_in = [\"henan\"]"),
        ProgramErrorKind::GuardUnknownOption {
            field: "origin".into(),
            code: "henan".into()
        }
    );
    assert_eq!(
        kind("field = \"destination\"\n  set = true"),
        ProgramErrorKind::GuardUnknownField {
            field: "destination".into()
        }
    );
    let program = Program::from_toml_str(
        &super::program_text(CLAIM_ANSWER, &guard("field = \"origin\"\n  set = false")),
        "t.toml",
    )
    .expect("a guard with one test loads");
    assert_eq!(
        program.transition("close").expect("close").guards[0].test,
        GuardTest::Unset
    );
}

#[test]
fn guards_read_choices_by_code_and_units_by_subtree() {
    let program = isolation();
    let home = program
        .transition("start_home_isolation")
        .expect("declared");
    let guard = &home.guards[0];
    assert!(!guard.holds_in(program.fields(), Some("hubei")));
    assert!(guard.holds_in(program.fields(), Some("guangdong")));
    // Not known where the person comes from: the guard does not stop the step.
    assert!(guard.holds_in(program.fields(), None));
    assert!(guard.holds_in(program.fields(), Some("  ")));

    let within = |entries: &[&str], value: &str| {
        super::super::Guard {
            field: "unit".into(),
            test: GuardTest::In(entries.iter().map(|e| (*e).to_owned()).collect()),
            message: crate::i18n::Label {
                zh: String::new(),
                en: String::new(),
            },
        }
        .holds(Some(value), true)
    };
    assert!(
        within(&["420000"], "420102001"),
        "a Wuhan street is in Hubei"
    );
    assert!(
        within(&["410100"], "410105"),
        "a district of Zhengzhou city"
    );
    assert!(!within(&["410100"], "410205"), "Kaifeng is not Zhengzhou");
    assert!(
        within(&["440115001"], "440115001"),
        "a unit is within itself"
    );
    assert!(!within(&["420000"], "440115"));
}

#[test]
fn programs_serialize_their_machine_for_the_screens() {
    let json = serde_json::to_value(isolation()).expect("json");
    assert_eq!(json["statuses"][4]["code"], "released");
    assert_eq!(json["statuses"][4]["terminal"], true);
    assert_eq!(json["statuses"][4]["colour"], "green");
    assert_eq!(json["transitions"][0]["action"], "start_home_isolation");
    assert_eq!(json["transitions"][0]["guards"][0]["test"], "not_in");
}

#[test]
fn a_deadline_may_wait_for_declared_statuses_that_exist() {
    let program = isolation();
    let rule = program.deadline("handle").expect("declared");
    assert_eq!(
        rule.until(),
        Some(&super::super::Condition::StatusIn(vec![
            "home_isolation".into(),
            "central_isolation".into(),
            "released".into()
        ]))
    );
    let rule = |until: &str| {
        format!(
            "{STATUSES}[[deadlines]]\nid = \"close\"\nlabel = {{ zh = \"办结时限\", en = \"Close\" }}\nanchor = \"dispatched\"\nuntil = {until}\n  [[deadlines.steps]]\n  after = \"2h\"\n  notify = [\"town_leader\"]"
        )
    };
    assert_eq!(
        rejected(CLAIM_ANSWER, &rule(r#"{ status_in = ["archived"] }"#)).kind,
        ProgramErrorKind::UnknownStatus {
            status: "archived".into()
        }
    );
    assert_eq!(
        rejected(CLAIM_ANSWER, &rule("{ status_in = [] }")).kind,
        ProgramErrorKind::EmptyStatusCondition
    );
    let program = super::parse(CLAIM_ANSWER, &rule(r#"{ status_in = ["closed"] }"#))
        .expect("a rule on a declared status loads");
    assert_eq!(
        program
            .deadline("close")
            .and_then(|r| r.until())
            .map(|c| c.describe(Lang::Zh)),
        Some("全部处于状态 closed".to_owned())
    );
}

#[test]
fn a_step_may_tell_known_recipients_at_once() {
    let program = isolation();
    let release = program.transition("release").expect("declared");
    assert_eq!(
        release.notify,
        [super::super::Recipient::Leader(
            super::super::JurisdictionLevel::Community
        )]
    );
    assert!(
        program
            .transition("send_to_central")
            .expect("declared")
            .notify
            .is_empty()
    );
    let kind = refused_at(
        r#"[[transitions]]
action = "close"
label = { zh = "办结", en = "Close" }
from = ["pending"]
to = "closed"
notify = ["mayor"]"#,
        6,
    );
    assert_eq!(
        kind,
        ProgramErrorKind::UnknownRecipient {
            name: "mayor".into()
        }
    );
}
