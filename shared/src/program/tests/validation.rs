//! Every structural validation error (fields, import columns, dispatch key, outcomes, statuses,
//! actions, groups), each with the line it must point at.

use super::super::{Action, Need, Position, Program, ProgramError, ProgramErrorKind, core_status};
use super::{CLAIM_ANSWER, FILE, HEAD_LINES, program_text, rejected};
use crate::i18n::{Describe, Lang};

/// Asserts the error's kind and that it points at `body_line` of the test body.
fn assert_at(error: &ProgramError, body_line: usize, kind: ProgramErrorKind) {
    assert_eq!(error.kind, kind, "{error}");
    assert_eq!(error.position.line, HEAD_LINES + body_line, "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{FILE}:{}:", HEAD_LINES + body_line)),
        "{error}"
    );
}

fn toml_message(error: &ProgramError) -> &str {
    match &error.kind {
        ProgramErrorKind::Toml { message } => message,
        other => panic!("expected a TOML error, got {other:?}"),
    }
}

#[test]
fn toml_syntax_errors_carry_file_and_line() {
    let error = rejected(CLAIM_ANSWER, "[dispatch\nfield = \"town\"");
    assert_eq!(error.position.line, HEAD_LINES + 1);
    assert!(!toml_message(&error).is_empty());
    assert!(error.describe(Lang::Zh).contains("TOML 格式错误"));
}

#[test]
fn unknown_keys_are_rejected_at_the_key() {
    let error = rejected(
        CLAIM_ANSWER,
        r#"[[fields]]
key = "town"
label = { zh = "镇街", en = "Town" }
type = "jurisdiction"
colour = "red""#,
    );
    assert_eq!(
        error.position,
        Position {
            line: HEAD_LINES + 5,
            column: 1
        }
    );
    assert!(toml_message(&error).contains("unknown field `colour`"));
}

#[test]
fn values_of_the_wrong_type_are_rejected_at_the_value() {
    let error = rejected(
        CLAIM_ANSWER,
        r#"[[fields]]
key = "town"
label = { zh = "镇街", en = "Town" }
type = "jurisdiction"
required = "yes""#,
    );
    assert_eq!(
        error.position,
        Position {
            line: HEAD_LINES + 5,
            column: 12
        }
    );
    assert!(toml_message(&error).contains("invalid type"));
}

#[test]
fn unknown_actions_are_rejected_on_the_actions_line() {
    let error = rejected(r#"["claim", "answer", "fly"]"#, "");
    assert_eq!(error.position.line, 4);
    assert!(toml_message(&error).contains("unknown variant `fly`"));
}

#[test]
fn identifiers_must_be_lowercase_words() {
    let text = program_text(CLAIM_ANSWER, "").replacen("id = \"t\"", "id = \"W1 Program\"", 1);
    let error = Program::from_toml_str(&text, FILE).expect_err("bad id");
    assert_eq!(error.position, Position { line: 1, column: 6 });
    assert_eq!(
        error.kind,
        ProgramErrorKind::BadIdentifier {
            text: "W1 Program".into()
        }
    );
}

#[test]
fn duplicate_field_keys_point_at_the_second_key() {
    let error = rejected(
        CLAIM_ANSWER,
        r#"[[fields]]
key = "town"
label = { zh = "镇街", en = "Town" }
type = "jurisdiction"

[[fields]]
key = "town"
label = { zh = "镇", en = "Town" }
type = "text""#,
    );
    assert_at(
        &error,
        7,
        ProgramErrorKind::DuplicateField { key: "town".into() },
    );
    assert_eq!(
        error.describe(Lang::Zh),
        "t.toml 第 11 行第 7 列：字段 `town` 重复"
    );
}

const TOWN: &str = r#"[[fields]]
key = "town"
label = { zh = "镇街", en = "Town" }
type = "jurisdiction"
"#;

#[test]
fn choice_fields_need_options() {
    let body = format!(
        "{TOWN}\n[[fields]]\nkey = \"kind\"\nlabel = {{ zh = \"类型\", en = \"Kind\" }}\ntype = \"choice\""
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        7,
        ProgramErrorKind::ChoiceWithoutOptions { key: "kind".into() },
    );
}

#[test]
fn options_on_a_field_that_is_not_a_choice_are_rejected() {
    let body = format!(
        "{TOWN}\n[[fields]]\nkey = \"kind\"\nlabel = {{ zh = \"类型\", en = \"Kind\" }}\ntype = \"text\"\noptions = [{{ code = \"a\", label = {{ zh = \"甲\", en = \"A\" }} }}]"
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        10,
        ProgramErrorKind::OptionsOnNonChoice { key: "kind".into() },
    );
}

#[test]
fn duplicate_choice_options_point_at_the_second_option() {
    let body = format!(
        r#"{TOWN}
[[fields]]
key = "kind"
label = {{ zh = "类型", en = "Kind" }}
type = "choice"
options = [
  {{ code = "close", label = {{ zh = "密接", en = "Close" }} }},
  {{ code = "close", label = {{ zh = "次密接", en = "Secondary" }} }},
]"#
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        12,
        ProgramErrorKind::DuplicateChoiceOption {
            key: "kind".into(),
            code: "close".into(),
        },
    );
}

#[test]
fn import_columns_must_name_a_declared_field() {
    let body = format!("{TOWN}\n[[import]]\nfield = \"phone\"\nheader = \"手机号码\"");
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        7,
        ProgramErrorKind::ImportUnknownField {
            field: "phone".into(),
        },
    );
    assert_eq!(
        error.to_string(),
        "t.toml:11:9: import column names unknown field `phone`"
    );
}

#[test]
fn the_batch_number_cannot_be_an_import_column() {
    let body = format!(
        "{TOWN}\n[[fields]]\nkey = \"batch\"\nlabel = {{ zh = \"批次号\", en = \"Batch\" }}\ntype = \"text\"\nset_by = \"import_batch\"\n\n[[import]]\nfield = \"batch\"\nheader = \"批次号\""
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        13,
        ProgramErrorKind::ImportOfSystemField {
            field: "batch".into(),
        },
    );
}

#[test]
fn a_field_can_have_only_one_import_column() {
    let body = format!(
        "{TOWN}\n[[import]]\nfield = \"town\"\nheader = \"所属镇街\"\n\n[[import]]\nfield = \"town\"\nheader = \"镇街\""
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        11,
        ProgramErrorKind::DuplicateImportColumn {
            field: "town".into(),
        },
    );
}

#[test]
fn headers_that_normalise_to_the_same_text_clash() {
    let body = format!(
        "{TOWN}\n[[import]]\nfield = \"town\"\nheader = \"所属镇街\"\naliases = [\"镇（街）\", \"镇 (街)\"]"
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_eq!(
        error.position,
        Position {
            line: HEAD_LINES + 9,
            column: 20
        }
    );
    assert_eq!(
        error.kind,
        ProgramErrorKind::DuplicateImportHeader {
            header: "镇 (街)".into(),
            other: "town".into()
        }
    );
}

#[test]
fn blank_headers_are_rejected() {
    let body = format!("{TOWN}\n[[import]]\nfield = \"town\"\nheader = \"\u{3000} \"");
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        8,
        ProgramErrorKind::EmptyHeader {
            header: "\u{3000} ".into(),
        },
    );
}

#[test]
fn the_dispatch_key_must_name_a_declared_field() {
    let error = rejected(
        CLAIM_ANSWER,
        "[dispatch]\nfield = \"street\"\nlevel = \"town\"",
    );
    assert_at(
        &error,
        2,
        ProgramErrorKind::DispatchUnknownField {
            field: "street".into(),
        },
    );
}

#[test]
fn the_dispatch_key_must_be_a_jurisdiction_field() {
    let body = "[dispatch]\nfield = \"name\"\nlevel = \"town\"\n\n[[fields]]\nkey = \"name\"\nlabel = { zh = \"姓名\", en = \"Name\" }\ntype = \"text\"";
    let error = rejected(CLAIM_ANSWER, body);
    assert_at(
        &error,
        2,
        ProgramErrorKind::DispatchNotJurisdiction {
            field: "name".into(),
            field_type: "text".into(),
        },
    );
}

#[test]
fn an_empty_outcome_tree_is_rejected() {
    let error = rejected(CLAIM_ANSWER, "outcomes = []");
    assert_at(&error, 1, ProgramErrorKind::EmptyOutcomeTree);
}

#[test]
fn duplicate_outcome_codes_under_one_parent_name_the_parent() {
    let body = r#"[[outcomes]]
code = "local"
label = { zh = "本区", en = "Local" }

  [[outcomes.children]]
  code = "home"
  label = { zh = "居家隔离", en = "Home" }

  [[outcomes.children]]
  code = "home"
  label = { zh = "居家", en = "Home again" }"#;
    let error = rejected(CLAIM_ANSWER, body);
    assert_eq!(
        error.to_string(),
        format!(
            "t.toml:{}:10: duplicate outcome code `home` under `local`",
            HEAD_LINES + 10
        )
    );
}

#[test]
fn duplicate_outcome_codes_at_the_top_level_are_rejected_but_cousins_may_share_codes() {
    let body = r#"[[outcomes]]
code = "a"
label = { zh = "甲", en = "A" }
  [[outcomes.children]]
  code = "other"
  label = { zh = "其他", en = "Other" }
[[outcomes]]
code = "b"
label = { zh = "乙", en = "B" }
  [[outcomes.children]]
  code = "other"
  label = { zh = "其他", en = "Other" }
[[outcomes]]
code = "a"
label = { zh = "甲", en = "A" }"#;
    let error = rejected(CLAIM_ANSWER, body);
    assert_at(
        &error,
        14,
        ProgramErrorKind::DuplicateOutcomeCode {
            code: "a".into(),
            parent: None,
        },
    );
}

#[test]
fn a_status_declared_twice_is_rejected() {
    let body = r#"[[statuses]]
status = "pending"
label = { zh = "待认领", en = "Pending" }
[[statuses]]
status = "pending"
label = { zh = "待核实", en = "Pending" }"#;
    let error = rejected(r#"["answer"]"#, body);
    assert_at(
        &error,
        5,
        ProgramErrorKind::DuplicateStatus {
            status: core_status::PENDING.into(),
        },
    );
}

#[test]
fn every_program_labels_the_pending_status() {
    let body =
        "[[statuses]]\nstatus = \"answered\"\nlabel = { zh = \"已反馈\", en = \"Answered\" }";
    let error = rejected(r#"["answer"]"#, body);
    assert_at(
        &error,
        1,
        ProgramErrorKind::MissingStatus {
            status: core_status::PENDING.into(),
            needed_by: Need::InitialStatus,
        },
    );
}

#[test]
fn an_action_needs_the_status_it_leads_to() {
    let body = "[[statuses]]\nstatus = \"pending\"\nlabel = { zh = \"待认领\", en = \"Pending\" }\n[[statuses]]\nstatus = \"answered\"\nlabel = { zh = \"已反馈\", en = \"Answered\" }";
    let error = rejected(CLAIM_ANSWER, body);
    assert_eq!(
        error.position,
        Position {
            line: 4,
            column: 12
        }
    );
    assert_eq!(
        error.kind,
        ProgramErrorKind::MissingStatus {
            status: core_status::CLAIMED.into(),
            needed_by: Need::Action(Action::Claim),
        }
    );
    assert_eq!(
        error.to_string(),
        "t.toml:4:12: status `claimed` is missing; action `claim` needs it"
    );
}

#[test]
fn an_action_listed_twice_points_at_the_second() {
    let error = rejected(r#"["claim", "answer", "claim"]"#, "");
    assert_eq!(
        error.position,
        Position {
            line: 4,
            column: 31
        }
    );
    assert_eq!(
        error.kind,
        ProgramErrorKind::DuplicateAction {
            action: Action::Claim
        }
    );
}

#[test]
fn every_program_allows_answering_its_outcome_tree() {
    let error = rejected(r#"["claim"]"#, "");
    assert_eq!(
        error.position,
        Position {
            line: 4,
            column: 11
        }
    );
    assert_eq!(
        error.kind,
        ProgramErrorKind::MissingAction {
            action: Action::Answer,
            needed_by: Need::OutcomeTree,
        }
    );
    assert_eq!(
        error.describe(Lang::Zh),
        "t.toml 第 4 行第 11 列：缺少操作「反馈」（结果选项需要）"
    );
}

#[test]
fn supplementary_persons_need_the_cdc_judgement_action() {
    let error = rejected(r#"["answer", "add_supplementary"]"#, "");
    assert_eq!(
        error.position,
        Position {
            line: 4,
            column: 22
        }
    );
    assert_eq!(
        error.kind,
        ProgramErrorKind::MissingAction {
            action: Action::CdcJudge,
            needed_by: Need::Action(Action::AddSupplementary),
        }
    );
}

#[test]
fn a_forwarding_outcome_needs_the_forward_action() {
    let body = "[[outcomes]]\ncode = \"elsewhere\"\nlabel = { zh = \"在其他社区\", en = \"Elsewhere\" }\nforward = true";
    let error = rejected(CLAIM_ANSWER, body);
    assert_at(
        &error,
        4,
        ProgramErrorKind::MissingAction {
            action: Action::Forward,
            needed_by: Need::ForwardOutcome("elsewhere".into()),
        },
    );
}

#[test]
fn groups_must_be_unique_and_must_not_shadow_roles() {
    let group = |id: &str| {
        format!("[[groups]]\nid = \"{id}\"\nlabel = {{ zh = \"群\", en = \"Group\" }}\n")
    };
    let body = format!("{}{}", group("task_force"), group("task_force"));
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        5,
        ProgramErrorKind::DuplicateGroup {
            id: "task_force".into(),
        },
    );
    let error = rejected(CLAIM_ANSWER, &group("district_leader"));
    assert_at(
        &error,
        2,
        ProgramErrorKind::ReservedGroupId {
            id: "district_leader".into(),
        },
    );
}
