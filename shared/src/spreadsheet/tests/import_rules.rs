//! Row rules: duplicates, blank rows, reasons in column order, every field type, progress, and
//! the count invariant.

use proptest::prelude::*;

use super::import::person;
use super::*;

#[test]
fn a_second_row_with_the_same_id_fails_and_the_first_is_imported() {
    let id = id_number("19850101", 7);
    let spaced = format!("{} {}", &id[..6], &id[6..]);
    let bytes = w1_list(&[
        person("李明", "13800138000", &id, "南沙街道"),
        person("王芳", "13800138001", &id_number("19850101", 8), "南沙街道"),
        person("李明", "13900139000", &spaced, "黄阁镇"),
    ]);
    let list = read_w1(&bytes);
    assert_eq!(list.rows.len(), 2);
    assert_eq!(list.failures[0].row_number, 4);
    assert_eq!(
        list.failures[0].reasons,
        vec!["与第 2 行重复（身份证号码相同）".to_owned()]
    );
}

#[test]
fn without_an_id_the_same_name_and_phone_is_a_duplicate() {
    let bytes = w1_list(&[
        person("李明", "13800138000", "", "南沙街道"),
        person("李 明", "138 0013 8000", "", "黄阁镇"),
        // Same name, other phone: another person.
        person("李明", "13900139000", "", "南沙街道"),
    ]);
    let list = read_w1(&bytes);
    assert_eq!(list.rows.len(), 2);
    assert_eq!(
        list.failures[0].reasons,
        vec!["与第 2 行重复（姓名和手机号码相同）".to_owned()]
    );
}

#[test]
fn when_the_first_occurrence_fails_the_next_one_is_imported() {
    let id = id_number("19850101", 7);
    let bytes = w1_list(&[
        person("李明", "13800138000", &id, "黄格"),
        person("李明", "13800138000", &id, "黄阁镇"),
        person("李明", "13800138000", &id, "南沙街道"),
    ]);
    let list = read_w1(&bytes);
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].row_number, 3);
    assert_eq!(
        list.failures[1].reasons,
        vec!["与第 3 行重复（身份证号码相同）".to_owned()]
    );
}

#[test]
fn a_legacy_id_and_its_eighteen_digit_form_are_the_same_person() {
    let eighteen = crate::identity::LegacyResidentId::parse("440115900101123")
        .expect("legacy")
        .to_eighteen();
    let bytes = xlsx(&[
        row(&["姓名", "手机号码", "证件号码", "所属社区", "密接类型"]),
        row(&["李明", "13800138000", "440115900101123", "大同社区", "密接"]),
        row(&["李明", "13800138000", eighteen.as_str(), "大同社区", "密接"]),
    ]);
    let list = read_with(&bytes, &w2(), &tree(), Some("350203")).expect("reads");
    assert_eq!(
        list.failures[0].reasons,
        vec!["与第 2 行重复（证件号码相同）".to_owned()]
    );
}

#[test]
fn blank_rows_are_skipped_and_counted() {
    let bytes = w1_list(&[
        person("李明", "", "", "南沙街道"),
        row(&["", "", "", "", "", "", ""]),
        row(&["  ", "\u{3000}", "", "\u{200B}"]),
        person("王芳", "", "", "黄格"),
        row(&[]),
        person("赵强", "", "", "黄阁"),
    ]);
    let list = read_w1(&bytes);
    // The empty row written with no cells at all is still a row between two others.
    assert_eq!(list.blank_rows, 3);
    let summary = list.summary();
    assert_eq!((summary.imported, summary.failed), (2, 1));
    assert_eq!(summary.rows, 3);
    assert_eq!(
        summary.by_unit,
        vec![("440115001".to_owned(), 1), ("440115101".to_owned(), 1)]
    );
}

#[test]
fn every_reason_of_a_row_is_given_in_column_order() {
    let bytes = w1_list(&[row(&[
        "",
        "",
        "1380013800",
        "44011519900307123",
        "接触者",
        "黄格",
        "",
    ])]);
    let list = read_w1(&bytes);
    let reasons = &list.failures[0].reasons;
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert_eq!(reasons[0], "「姓名」为必填项，未填写");
    assert!(reasons[1].starts_with("手机号码只有10位"), "{}", reasons[1]);
    assert!(reasons[2].starts_with("身份证号应为18位"), "{}", reasons[2]);
    assert_eq!(
        reasons[3],
        "「密接类型」只能填写：密接、次密接（填写的是「接触者」）"
    );
    assert_eq!(reasons[4], "未知的镇街「黄格」，是否为「黄阁镇」？");
}

#[test]
fn a_choice_takes_its_chinese_label_english_label_or_code() {
    let contact = |value: &str| row(&["", "李明", "", "", value, "南沙街道", ""]);
    let bytes = w1_list(&[
        contact("次密接"),
        contact("Close Contact"),
        contact(" secondary "),
    ]);
    let list = read_w1(&bytes);
    let codes: Vec<_> = list
        .rows
        .iter()
        .map(|row| row.field("contact_type"))
        .collect();
    assert_eq!(codes, [Some("secondary"), Some("close"), Some("secondary")]);
}

/// A program with one field of each remaining type, dispatched by town.
fn typed_program() -> Program {
    let text = r#"
        id = "typed"
        name = { zh = "类型测试", en = "Types" }
        record_kind = "person"
        actions = ["claim", "answer"]
        [dispatch]
        field = "town"
        level = "town"
        [[fields]]
        key = "town"
        label = { zh = "镇街", en = "Town" }
        type = "jurisdiction"
        required = true
        [[fields]]
        key = "onset"
        label = { zh = "发病日期", en = "Onset" }
        type = "date"
        [[fields]]
        key = "seen_at"
        label = { zh = "核查时间", en = "Seen at" }
        type = "datetime"
        [[fields]]
        key = "household"
        label = { zh = "同住人数", en = "Household" }
        type = "integer"
        [[fields]]
        key = "magnet"
        label = { zh = "门磁是否安装", en = "Door magnet" }
        type = "boolean"
        [[import]]
        field = "town"
        header = "镇街"
        [[import]]
        field = "onset"
        header = "发病日期"
        [[import]]
        field = "seen_at"
        header = "核查时间"
        [[import]]
        field = "household"
        header = "同住人数"
        [[import]]
        field = "magnet"
        header = "门磁是否安装"
        [[statuses]]
        status = "pending"
        label = { zh = "待认领", en = "Pending" }
        [[statuses]]
        status = "claimed"
        label = { zh = "已认领", en = "Claimed" }
        [[statuses]]
        status = "answered"
        label = { zh = "已反馈", en = "Answered" }
        [[outcomes]]
        code = "done"
        label = { zh = "完成", en = "Done" }
    "#;
    Program::from_toml_str(text, "typed.toml").expect("typed program")
}

#[test]
fn dates_integers_and_booleans_are_normalised() {
    let bytes = xlsx(&[
        row(&["镇街", "发病日期", "核查时间", "同住人数", "门磁是否安装"]),
        vec![
            "南沙街道".into(),
            Cell::Date(2022, 3, 18),
            "2022/3/18 9:05".into(),
            Cell::Number(3.0),
            "是".into(),
        ],
        row(&[
            "南沙街道",
            "2022年3月8日",
            "2022-03-18 14:30:15",
            "１２",
            "否",
        ]),
        row(&["南沙街道", "20220318", "", "", "Y"]),
        row(&["南沙街道", "2022-02-30", "2022-03-18", "三人", "可能"]),
    ]);
    let list = read_with(&bytes, &typed_program(), &tree(), None).expect("reads");
    let values = |index: usize| -> Vec<(String, String)> { list.rows[index].fields[1..].to_vec() };
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(
        values(0),
        pairs(&[
            ("onset", "2022-03-18"),
            ("seen_at", "2022-03-18T09:05:00"),
            ("household", "3"),
            ("magnet", "true"),
        ])
    );
    assert_eq!(
        values(1),
        pairs(&[
            ("onset", "2022-03-08"),
            ("seen_at", "2022-03-18T14:30:15"),
            ("household", "12"),
            ("magnet", "false"),
        ])
    );
    assert_eq!(
        values(2),
        pairs(&[("onset", "2022-03-18"), ("magnet", "true")])
    );
    assert_eq!(list.failures[0].reasons.len(), 4, "{:?}", list.failures);
    assert!(list.failures[0].reasons[0].contains("不是有效日期"));
    assert!(list.failures[0].reasons[1].contains("不是有效的日期时间"));
    // The date cell's original text is the date, not Excel's day count.
    assert_eq!(list.rows[0].original[1], "2022-03-18");
}

#[test]
fn progress_is_reported_every_thousand_rows_and_at_the_end() {
    let rows: Vec<Vec<Cell>> = (0..2_500)
        .map(|_| person("李明", "", "", "南沙街道"))
        .collect();
    let bytes = w1_list(&rows);
    let (w1, tree) = (w1(), tree());
    let options = ImportOptions {
        program: &w1,
        jurisdictions: &tree,
        within: None,
    };
    let mut reports = Vec::new();
    read_list(&bytes, &options, &mut |progress| reports.push(progress)).expect("reads");
    let done: Vec<usize> = reports.iter().map(|p| p.rows_done).collect();
    assert_eq!(done, [1_000, 2_000, 2_500]);
    assert!(reports.iter().all(|p| p.rows_total == 2_500));
}

/// A random row: blank, valid, or broken in one or more columns.
fn random_row() -> impl Strategy<Value = Vec<Cell>> {
    let name = prop_oneof![Just(""), Just("李明"), Just("王芳"), Just("  ")];
    let phone = prop_oneof![
        Just(""),
        Just("13800138000"),
        Just("1380013800"),
        Just("abc")
    ];
    let id = prop_oneof![
        Just(String::new()),
        (0u32..5).prop_map(|sequence| id_number("19900307", sequence)),
        Just("4.40115199003071E+17".to_owned()),
        Just("440115199003071239".to_owned()),
    ];
    let contact = prop_oneof![Just(""), Just("密接"), Just("次密接"), Just("接触者")];
    let town = prop_oneof![
        Just(""),
        Just("南沙街道"),
        Just("黄格"),
        Just("鹭江街道"),
        Just("440115101")
    ];
    (name, phone, id, contact, town).prop_map(|(name, phone, id, contact, town)| {
        row(&["", name, phone, &id, contact, town, ""])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn imported_and_failed_rows_add_up_to_the_non_blank_rows(
        rows in proptest::collection::vec(random_row(), 0..40)
    ) {
        // Rows after the last one with any cell written are not in the sheet at all.
        let written = rows
            .iter()
            .rposition(|cells| cells.iter().any(|cell| !matches!(cell, Cell::Empty)))
            .map_or(0, |last| last + 1);
        let blank = rows[..written]
            .iter()
            .filter(|cells| cells.iter().all(|cell| match cell {
                Cell::Text(text) => text.trim().is_empty(),
                _ => matches!(cell, Cell::Empty),
            }))
            .count();
        let non_blank = written - blank;
        let list = read_w1(&w1_list(&rows));
        let summary = list.summary();
        prop_assert_eq!(summary.imported + summary.failed, summary.rows);
        prop_assert_eq!(summary.rows, non_blank);
        prop_assert_eq!(list.blank_rows, blank);
        // Every row number appears once, in order.
        let mut numbers: Vec<u32> = list.rows.iter().map(|r| r.row_number)
            .chain(list.failures.iter().map(|f| f.row_number)).collect();
        numbers.sort_unstable();
        numbers.dedup();
        prop_assert_eq!(numbers.len(), summary.rows);
        prop_assert!(list.failures.iter().all(|failure| !failure.reasons.is_empty()));
    }
}
