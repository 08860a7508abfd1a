//! Identity documents in the ID column: a list's 身份证号码 column carries passports and permits
//! of people who entered from abroad; each is read as the document it is, and its kind recorded
//! beside it, while resident IDs are still checked strictly.

use super::import::person;
use super::*;
use crate::identity::document_kind_key;

/// The kind recorded beside a row's number, if any.
fn kind_of(row: &ListRow) -> Option<&str> {
    row.field(&document_kind_key("id_number"))
}

#[test]
fn a_w1_list_mixing_resident_ids_passports_and_permits_imports_every_person() {
    let resident = id_number("19900307", 123);
    let bytes = w1_list(&[
        person("李明", "", &resident, "南沙街道"),
        person("John Smith", "", "E12345678", "南沙街道"),
        person("王大伟", "", "g12345678", "南沙街道"),
        person("Kim Minsu", "", "K1234567", "南沙街道"),
        person("陈志明", "", "H12345678", "南沙街道"),
        person("林美玲", "", "830000000", "南沙街道"),
        person("黄淑芬", "", "12345678", "南沙街道"),
    ]);
    let list = read_w1(&bytes);
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    let read: Vec<(Option<&str>, Option<&str>)> = list
        .rows
        .iter()
        .map(|row| (row.field("id_number"), kind_of(row)))
        .collect();
    assert_eq!(
        read,
        [
            (Some(resident.as_str()), None),
            (Some("E12345678"), Some("passport")),
            (Some("G12345678"), Some("passport")),
            (Some("K1234567"), Some("passport")),
            (Some("H12345678"), Some("hk-macao-permit")),
            (Some("830000000"), Some("passport")),
            (Some("12345678"), Some("taiwan-permit")),
        ]
    );
    // The kind follows its number among the fields.
    let keys: Vec<&str> = list.rows[1]
        .fields
        .iter()
        .map(|(key, _)| key.as_str())
        .collect();
    let at = keys.iter().position(|key| *key == "id_number").expect("id");
    assert_eq!(keys.get(at + 1), Some(&"id_number_kind"));
}

#[test]
fn a_w2_list_records_the_kind_of_each_document_too() {
    let bytes = xlsx(&[
        row(&["姓名", "手机号码", "证件号码", "所属社区", "密接类型"]),
        row(&[
            "Anna Müller",
            "13800138000",
            "C01X00T47",
            "大同社区",
            "密接",
        ]),
        row(&["何家明", "13800138001", "M12345678", "大同社区", "密接"]),
    ]);
    let list = read_with(&bytes, &w2(), &tree(), Some("350203")).expect("reads");
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    assert_eq!(kind_of(&list.rows[0]), Some("passport"));
    assert_eq!(kind_of(&list.rows[1]), Some("hk-macao-permit"));
}

#[test]
fn truly_invalid_ids_still_fail_with_a_clear_reason() {
    let mut wrong_check = id_number("19900307", 123);
    let last = if wrong_check.ends_with('1') { "2" } else { "1" };
    wrong_check.replace_range(17.., last);
    let bytes = w1_list(&[
        person("甲", "", &wrong_check, "南沙街道"),
        person("乙", "", "44011519900307123", "南沙街道"),
        vec![
            "".into(),
            "丙".into(),
            "".into(),
            Cell::Number(440_115_199_003_071_200.0),
            "密接".into(),
            "南沙街道".into(),
        ],
        person("丁", "", "13800138000", "南沙街道"),
        person("戊", "", "王小明", "南沙街道"),
        person("己", "", "E123", "南沙街道"),
    ]);
    let list = read_w1(&bytes);
    assert!(list.rows.is_empty(), "{:?}", list.rows);
    let reasons: Vec<&str> = list
        .failures
        .iter()
        .map(|failure| failure.reasons[0].as_str())
        .collect();
    assert!(reasons[0].contains("校验位错误"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("应为18位，实际为17位"),
        "{}",
        reasons[1]
    );
    assert!(reasons[2].contains("被 Excel 存成了数字"), "{}", reasons[2]);
    assert!(reasons[3].contains("这是手机号码"), "{}", reasons[3]);
    assert!(reasons[4].contains("无法识别证件类型"), "{}", reasons[4]);
    assert!(reasons[5].contains("无法识别证件类型"), "{}", reasons[5]);

    // The failure workbook lists them with these reasons, and no number in any reason.
    let workbook = failure_workbook(&list).expect("written");
    let (_, values, _) = first_sheet(&workbook);
    let rows = texts(&values);
    assert_eq!(rows.len(), 1 + 6);
    let reason_column = rows[0].len() - 1;
    assert_eq!(rows[0][reason_column], FAILURE_COLUMN_HEADER);
    for (row, reason) in rows[1..].iter().zip(&reasons) {
        assert!(row[reason_column].contains(reason), "{row:?}");
    }
    for reason in &reasons {
        assert!(!reason.contains(&wrong_check) && !reason.contains("13800138000"));
    }
}
