//! The shipped presets load, and their trees, statuses, columns and ladders say what the seeds
//! say.

use jiff::SignedDuration;

use super::super::{
    Action, AnswerError, FieldType, JurisdictionLevel, LadderStep, Program, Recipient, SetBy,
    StepTime, W1_PRESET, W2_PRESET, core_status, load_presets, presets,
};
use crate::i18n::{Describe, Lang};

const W1: &str = include_str!("../../../../assets/programs/w1-close-contact-whereabouts.toml");
const W2: &str = include_str!("../../../../assets/programs/w2-community-verification.toml");

fn w1() -> Program {
    Program::from_toml_str(W1, W1_PRESET).expect("W1 preset")
}

fn w2() -> Program {
    Program::from_toml_str(W2, W2_PRESET).expect("W2 preset")
}

fn after(step: &LadderStep) -> Option<SignedDuration> {
    match step.when {
        StepTime::After(duration) => Some(duration),
        StepTime::At { .. } => None,
    }
}

fn group(id: &str) -> Recipient {
    Recipient::Group(id.into())
}

#[test]
fn presets_lists_both_shipped_files_and_all_of_them_load() {
    let names: Vec<&str> = presets().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, [W1_PRESET, W2_PRESET]);
    let ids: Vec<String> = load_presets()
        .expect("presets load")
        .iter()
        .map(|p| p.id().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["w1-close-contact-whereabouts", "w2-community-verification"]
    );
}

#[test]
fn w1_whereabouts_tree_follows_section_2_4() {
    let program = w1();
    let tree = program.outcomes();
    let roots: Vec<&str> = tree.roots().iter().map(|n| n.label.zh.as_str()).collect();
    assert_eq!(roots, ["本区", "不在本区", "无法落地"]);
    assert_eq!(tree.depth(), 3);
    let local = tree.node(&["in_district"]).expect("本区");
    let second: Vec<&str> = local.children.iter().map(|n| n.label.zh.as_str()).collect();
    assert_eq!(second, ["集中隔离", "居家隔离", "送医就医", "隔离点无房间"]);
    let central = tree
        .node(&["in_district", "central_quarantine"])
        .expect("集中隔离");
    let sites: Vec<&str> = central
        .children
        .iter()
        .map(|n| n.label.zh.as_str())
        .collect();
    assert_eq!(sites, ["珠江嘉园", "越秀东坡", "其他"]);
    let home = tree
        .node(&["in_district", "home_quarantine"])
        .expect("居家隔离");
    assert_eq!(home.children.len(), 7);
    let hospital = tree
        .node(&["in_district", "sent_to_hospital"])
        .expect("送医就医");
    assert_eq!(hospital.children.len(), 2);
    assert!(
        tree.node(&["in_district", "no_quarantine_room"])
            .expect("无房间")
            .is_leaf()
    );
    let away = tree
        .node(&["not_in_district", "other_city_or_district"])
        .expect("外市区");
    let cities: Vec<&str> = away.children.iter().map(|n| n.label.zh.as_str()).collect();
    assert_eq!(cities, ["本市", "外市"]);
    assert!(tree.node(&["cannot_locate"]).expect("无法落地").is_leaf());
}

#[test]
fn w1_answer_to_a_named_site_carries_codes_and_labels_of_every_level() {
    let answer = w1()
        .outcomes()
        .validate_answer(
            &["in_district", "central_quarantine", "zhujiang_jiayuan"],
            None,
        )
        .expect("valid");
    assert_eq!(
        answer.codes(),
        ["in_district", "central_quarantine", "zhujiang_jiayuan"]
    );
    assert_eq!(answer.path_label(Lang::Zh), "本区 / 集中隔离 / 珠江嘉园");
    assert_eq!(
        answer.path_label(Lang::En),
        "In the district / Central quarantine / Zhujiang Jiayuan"
    );
    assert!(!answer.report_to_cdc);
    assert!(!answer.forward);
}

#[test]
fn w1_answer_stopping_at_in_district_names_the_missing_second_level() {
    let error = w1()
        .outcomes()
        .validate_answer(&["in_district"], None)
        .expect_err("incomplete");
    assert!(matches!(error, AnswerError::Incomplete { level: 2, .. }));
    assert_eq!(
        error.describe(Lang::Zh),
        "「本区」下还需选择第 2 级：集中隔离、居家隔离、送医就医、隔离点无房间"
    );
    let error = w1()
        .outcomes()
        .validate_answer(&["in_district", "home_quarantine"], None)
        .expect_err("incomplete");
    assert!(matches!(error, AnswerError::Incomplete { level: 3, .. }));
}

#[test]
fn w1_other_province_requires_an_address_note_with_the_seed_hint() {
    let tree = w1();
    let tree = tree.outcomes();
    let error = tree
        .validate_answer(&["not_in_district", "other_province"], Some("   "))
        .expect_err("note required");
    assert_eq!(
        error.describe(Lang::Zh),
        "「外省」需要填写备注：备注填写地址（含省+市+区）"
    );
    let answer = tree
        .validate_answer(
            &["not_in_district", "other_province"],
            Some("湖北省武汉市江岸区"),
        )
        .expect("valid");
    assert_eq!(answer.note.as_deref(), Some("湖北省武汉市江岸区"));
    for path in [
        &["cannot_locate"][..],
        &["in_district", "central_quarantine", "other_site"],
        &["not_in_district", "other_city_or_district", "this_city"],
        &["not_in_district", "other_city_or_district", "other_city"],
    ] {
        assert!(
            matches!(
                tree.validate_answer(path, None),
                Err(AnswerError::NoteRequired { .. })
            ),
            "{path:?} needs a note"
        );
    }
}

#[test]
fn w1_answer_rejects_unknown_codes_and_an_empty_path() {
    let program = w1();
    let tree = program.outcomes();
    assert_eq!(tree.validate_answer(&[], None), Err(AnswerError::Empty));
    let error = tree
        .validate_answer(&["in_district", "moon"], None)
        .expect_err("unknown");
    assert_eq!(error.describe(Lang::Zh), "「本区」下没有第 2 级选项 `moon`");
}

#[test]
fn w1_escalation_ladder_follows_section_2_7() {
    let program = w1();
    let claim = program.deadline("claim").expect("claim rule");
    assert_eq!(claim.anchor(), super::super::Anchor::Dispatched);
    assert_eq!(claim.until(), Some(&super::super::Condition::Claimed));
    let steps: Vec<_> = claim
        .steps()
        .iter()
        .map(|s| (after(s), s.notify.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (
                Some(SignedDuration::from_mins(10)),
                vec![
                    Recipient::Leader(JurisdictionLevel::Town),
                    group("task_force_group")
                ]
            ),
            (
                Some(SignedDuration::from_mins(30)),
                vec![
                    Recipient::Leader(JurisdictionLevel::District),
                    group("task_force_group")
                ]
            ),
        ]
    );
    let answer = program.deadline("answer").expect("answer rule");
    assert_eq!(answer.until(), Some(&super::super::Condition::AllAnswered));
    let steps: Vec<_> = answer
        .steps()
        .iter()
        .map(|s| (after(s), s.notify.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (
                Some(SignedDuration::from_hours(2)),
                vec![
                    Recipient::Leader(JurisdictionLevel::Town),
                    group("task_force_group")
                ]
            ),
            (
                Some(SignedDuration::from_hours(3)),
                vec![
                    Recipient::Leader(JurisdictionLevel::District),
                    group("task_force_group")
                ]
            ),
        ]
    );
    assert_eq!(
        program.recipient_label(&group("task_force_group"), Lang::Zh),
        "流调溯源专班"
    );
    assert_eq!(
        program.recipient_label(&Recipient::Leader(JurisdictionLevel::Town), Lang::Zh),
        "镇街领导"
    );
}

#[test]
fn w1_statuses_actions_and_dispatch_match_the_seed() {
    let program = w1();
    assert_eq!(
        program.status_label(core_status::PENDING, Lang::Zh),
        Some("待认领")
    );
    assert_eq!(
        program.status_label(core_status::CLAIMED, Lang::Zh),
        Some("已认领待反馈")
    );
    assert_eq!(
        program.status_label(core_status::ANSWERED, Lang::Zh),
        Some("已反馈")
    );
    assert_eq!(program.status_label("boarded", Lang::Zh), None);
    assert_eq!(
        program.actions(),
        [Action::Claim, Action::Answer, Action::Reassign]
    );
    assert!(!program.allows(Action::Forward));
    assert_eq!(program.dispatch().level, JurisdictionLevel::Town);
    let town = program.dispatch_field().expect("dispatch field");
    assert_eq!(
        (town.label.zh.as_str(), &town.field_type),
        ("所属镇街", &FieldType::Jurisdiction)
    );
}

#[test]
fn w1_import_headers_match_names_and_aliases_despite_spaces_and_full_width_parentheses() {
    let program = w1();
    let field_of = |header: &str| {
        program
            .import_column_for_header(header)
            .map(|c| c.field.as_str())
    };
    assert_eq!(field_of("手机号码"), Some("phone"));
    for alias in ["电话", " 手机 ", "\u{3000}联系电话", "手机号"] {
        assert_eq!(field_of(alias), Some("phone"), "{alias:?}");
    }
    assert_eq!(field_of("身份证号"), Some("id_number"));
    assert_eq!(field_of("证件号码"), Some("id_number"));
    assert_eq!(field_of("镇（街）"), Some("town"));
    assert_eq!(field_of("镇(街)"), Some("town"));
    assert_eq!(field_of("* 所属镇街"), Some("town"));
    assert_eq!(
        field_of("批次号"),
        None,
        "the batch number is set by the import"
    );
    assert_eq!(field_of("导入时间"), None);
    assert_eq!(field_of("  "), None);
}

#[test]
fn w1_personal_fields_are_marked_for_masking_and_the_batch_is_set_by_import() {
    let program = w1();
    for key in ["name", "phone", "id_number", "address"] {
        assert!(program.is_personal(key), "{key}");
    }
    for key in ["batch", "linked_case", "contact_type", "town"] {
        assert!(!program.is_personal(key), "{key}");
    }
    assert!(program.is_personal("no_such_field"));
    assert_eq!(
        program.field("batch").and_then(|f| f.set_by),
        Some(SetBy::ImportBatch)
    );
    let headers: Vec<&str> = program
        .fields()
        .iter()
        .map(|f| f.label.zh.as_str())
        .collect();
    assert_eq!(
        headers,
        [
            "批次号",
            "关联病例",
            "姓名",
            "手机号码",
            "身份证号码",
            "密接类型",
            "所属镇街",
            "住址"
        ]
    );
}

#[test]
fn w2_seven_scenarios_forward_report_and_require_notes_as_the_seed_says() {
    let program = w2();
    let roots = program.outcomes().roots();
    assert_eq!(roots.len(), 7);
    assert_eq!(program.outcomes().depth(), 1);
    let forwards: Vec<&str> = roots
        .iter()
        .filter(|n| n.forward)
        .map(|n| n.code.as_str())
        .collect();
    assert_eq!(forwards, ["other_community_in_town"]);
    let reported: Vec<usize> = (0..7)
        .filter(|&i| roots[i].report_to_cdc)
        .map(|i| i + 1)
        .collect();
    assert_eq!(reported, [4, 5, 6, 7]);
    for (index, node) in roots.iter().enumerate() {
        let needs_note = program
            .outcomes()
            .validate_answer(&[&node.code], None)
            .is_err();
        assert_eq!(
            needs_note,
            [1, 4, 5, 6, 7].contains(&(index + 1)),
            "情景 {}",
            index + 1
        );
    }
    let answer = program
        .outcomes()
        .validate_answer(&["unreachable"], Some("三次致电无人接听"))
        .expect("valid");
    assert!(answer.report_to_cdc);
    assert_eq!(answer.path_label(Lang::Zh), "情景七：联系不上");
    let forward = program
        .outcomes()
        .validate_answer(&["other_community_in_town"], None)
        .expect("valid");
    assert!(forward.forward && !forward.report_to_cdc);
    assert_eq!(program.note_label().zh, "核实备注");
}

#[test]
fn w2_dispatches_to_communities_and_escalates_to_community_then_town_leader() {
    let program = w2();
    assert_eq!(program.dispatch().level, JurisdictionLevel::Community);
    assert_eq!(
        program.dispatch_field().map(|f| f.label.zh.as_str()),
        Some("所属社区")
    );
    let rule = program.deadline("verify").expect("verify rule");
    let steps: Vec<_> = rule
        .steps()
        .iter()
        .map(|s| (after(s), s.notify.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (
                Some(SignedDuration::from_hours(2)),
                vec![Recipient::Leader(JurisdictionLevel::Community)]
            ),
            (
                Some(SignedDuration::from_hours(4)),
                vec![Recipient::Leader(JurisdictionLevel::Town)]
            ),
        ]
    );
    assert_eq!(
        program.status_label(core_status::PENDING, Lang::Zh),
        Some("待核实")
    );
    assert_eq!(
        program.status_label(core_status::ANSWERED, Lang::Zh),
        Some("已核实")
    );
    // Only statuses something reaches are declared: CDC's judgement and the transfer chain
    // are recorded where they happen.
    assert_eq!(
        program
            .statuses()
            .iter()
            .map(|s| s.code.as_str())
            .collect::<Vec<_>>(),
        ["pending", "claimed", "answered"]
    );
    for action in [
        Action::Forward,
        Action::AddSupplementary,
        Action::CdcJudge,
        Action::Board,
    ] {
        assert!(program.allows(action), "{action:?}");
    }
    assert_eq!(
        program.field("door_magnet").map(|f| &f.field_type),
        Some(&FieldType::Boolean)
    );
    assert_eq!(
        program
            .import_column_for_header("身份证号码")
            .map(|c| c.field.as_str()),
        Some("id_number")
    );
}

#[test]
fn programs_serialize_to_json_for_the_front_end() {
    let json = serde_json::to_value(w1()).expect("json");
    assert_eq!(json["id"], "w1-close-contact-whereabouts");
    assert_eq!(json["deadlines"][0]["steps"][0]["notify"][0], "town_leader");
    assert_eq!(json["fields"][5]["type"], "choice");
    assert_eq!(json["statuses"][0]["code"], "pending");
}
