//! Reading lists: finding the header, ID numbers as Excel mangles them, places, and files that
//! cannot be read at all.

use rust_xlsxwriter::Format;

use super::*;
use crate::i18n::{Describe, Lang};
use crate::spreadsheet::field::EXCEL_LOST_DIGITS;

/// A W1 row: case, name, phone, ID, contact type, town, address.
pub(super) fn person(name: &str, phone: &str, id: &str, town: &str) -> Vec<Cell> {
    row(&["", name, phone, id, "密接", town, ""])
}

#[test]
fn header_is_found_under_a_merged_title_and_a_notes_row() {
    let id = id_number("19900307", 123);
    let bytes = xlsx_with(|sheet| {
        let title = Format::new().set_bold();
        sheet
            .merge_range(0, 0, 0, 7, "南沙区密接人员名单（3月18日）", &title)
            .expect("merge");
        write_rows(
            sheet,
            1,
            &[
                row(&["说明：请于当日 18 时前核查完毕"]),
                row(&[
                    " 姓 名 ",
                    "联系电话",
                    "身份证号",
                    "*人员类型",
                    "所属镇（街）",
                    "现住址",
                    "核查人",
                    "关联病例编号",
                ]),
                row(&[
                    "李明",
                    "13800138000",
                    &id,
                    "次密接",
                    "南沙街道",
                    "南沙区金沙路 1 号",
                    "王五",
                    "病例1",
                ]),
            ],
        );
    });
    let list = read_w1(&bytes);
    assert_eq!(list.header_row, 3);
    assert_eq!(list.headers.len(), 8);
    assert_eq!(list.headers[0], " 姓 名 ");
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    let person = &list.rows[0];
    assert_eq!(person.row_number, 4);
    assert_eq!(person.unit, "440115001");
    assert_eq!(person.field("name"), Some("李明"));
    assert_eq!(person.field("phone"), Some("13800138000"));
    assert_eq!(person.field("id_number"), Some(id.as_str()));
    assert_eq!(person.field("contact_type"), Some("secondary"));
    assert_eq!(person.field("town"), Some("440115001"));
    assert_eq!(person.field("linked_case"), Some("病例1"));
    // The unknown column 核查人 is kept in the original cells and imported nowhere.
    assert_eq!(person.original[6], "王五");
    assert_eq!(person.fields.len(), 7);
}

#[test]
fn headers_with_full_width_spaces_and_parentheses_are_recognised() {
    let bytes = xlsx(&[
        row(&["姓　名", "手机号　", "密接类型", "镇 （街）"]),
        row(&["张三", "13800138000", "密接", "黄阁"]),
    ]);
    let list = read_w1(&bytes);
    assert_eq!(list.rows.len(), 1, "{:?}", list.failures);
    assert_eq!(list.rows[0].unit, "440115101");
}

#[test]
fn an_id_stored_by_excel_as_a_number_is_reported_not_imported() {
    let bytes = w1_list(&[
        vec![
            "".into(),
            "李明".into(),
            "13800138000".into(),
            Cell::Number(440_115_199_003_071_234.0),
            "密接".into(),
            "南沙街道".into(),
        ],
        person("王芳", "13800138001", "4.40115199003071E+17", "南沙街道"),
        // Copied out of a number cell: 15 digits and zeros (whose check character would be 6).
        person("赵强", "13800138002", "440115199003081000", "南沙街道"),
    ]);
    let list = read_w1(&bytes);
    assert!(list.rows.is_empty(), "{:?} {:?}", list.rows, list.failures);
    assert_eq!(list.failures.len(), 3);
    for failure in &list.failures {
        assert_eq!(failure.reasons, vec![EXCEL_LOST_DIGITS.to_owned()]);
    }
    // The number cell's original text is its digits, not an exponent form.
    let original = &list.failures[0].original[3];
    assert!(
        original.len() == 18 && original.bytes().all(|b| b.is_ascii_digit()),
        "{original}"
    );
}

#[test]
fn a_fifteen_digit_id_stored_as_a_number_is_exact_and_accepted() {
    let legacy = 440_115_900_101_123.0;
    let bytes = w1_list(&[vec![
        "".into(),
        "李明".into(),
        "".into(),
        Cell::Number(legacy),
        "密接".into(),
        "南沙街道".into(),
    ]]);
    let list = read_w1(&bytes);
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    let expected = crate::identity::LegacyResidentId::parse("440115900101123")
        .expect("legacy")
        .to_eighteen();
    assert_eq!(list.rows[0].field("id_number"), Some(expected.as_str()));

    // W2's 证件号码 column reads it into the same 18-character form.
    let bytes = xlsx(&[
        row(&["姓名", "手机号码", "证件号码", "所属社区", "密接类型"]),
        vec![
            "李明".into(),
            "13800138000".into(),
            Cell::Number(legacy),
            "大同社区".into(),
            "密接".into(),
        ],
    ]);
    let list = read_with(&bytes, &w2(), &tree(), Some("350203")).expect("reads");
    assert_eq!(list.rows[0].field("id_number"), Some(expected.as_str()));
}

#[test]
fn full_width_digits_lower_case_x_and_spaces_are_normalised() {
    let id = id_number_ending_in_x();
    let full_width: String = id
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) + 0xFEE0).expect("full width"),
            other => other,
        })
        .collect();
    let spaced = format!(" {} {}", &full_width[..18], &full_width[18..]);
    let bytes = w1_list(&[person("李明", "＋86 138-0013-8000", &spaced, "南沙街")]);
    let list = read_w1(&bytes);
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    assert_eq!(list.rows[0].field("id_number"), Some(id.as_str()));
    assert_eq!(list.rows[0].field("phone"), Some("13800138000"));
    assert!(id.ends_with('X'));
}

#[test]
fn an_unknown_town_suggests_the_nearest_known_name() {
    let bytes = w1_list(&[person("李明", "13800138000", "", "黄格")]);
    let list = read_w1(&bytes);
    assert_eq!(
        list.failures[0].reasons,
        vec!["未知的镇街「黄格」，是否为「黄阁镇」？".to_owned()]
    );
}

#[test]
fn towns_are_found_by_alias_short_name_code_and_community() {
    let bytes = w1_list(&[
        person("甲", "", "", "南沙街"),
        person("乙", "", "", "黄阁"),
        vec![
            "".into(),
            "丙".into(),
            "".into(),
            "".into(),
            "密接".into(),
            Cell::Number(440_115_102.0),
        ],
        // A community names exactly one town: the person goes to that town.
        person("丁", "", "", "金沙社区"),
    ]);
    let list = read_w1(&bytes);
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    let units: Vec<&str> = list.rows.iter().map(|row| row.unit.as_str()).collect();
    assert_eq!(units, ["440115001", "440115101", "440115102", "440115001"]);
    assert_eq!(list.rows[3].field("town"), Some("440115001"));
}

#[test]
fn a_town_outside_the_importers_district_is_unknown() {
    let bytes = w1_list(&[person("李明", "", "", "鹭江街道")]);
    let list = read_w1(&bytes);
    assert_eq!(list.failures.len(), 1);
    assert!(list.failures[0].reasons[0].starts_with("未知的镇街「鹭江街道」"));
}

#[test]
fn w2_refuses_a_town_where_a_community_is_needed() {
    let bytes = xlsx(&[
        row(&["姓名", "手机号码", "证件号码", "所属社区", "密接类型"]),
        row(&["李明", "13800138000", "", "鹭江街道", "密接"]),
        row(&["王芳", "13800138001", "", "大同社区", "次密接"]),
        row(&["赵强", "13800138002", "", "350203004003", "密接"]),
    ]);
    let list = read_with(&bytes, &w2(), &tree(), Some("350203")).expect("reads");
    assert_eq!(
        list.failures[0].reasons,
        vec!["「所属社区」应填写社区，「鹭江街道」是镇街：请填写社区名称".to_owned()]
    );
    let units: Vec<&str> = list.rows.iter().map(|row| row.unit.as_str()).collect();
    assert_eq!(units, ["350203004002", "350203004003"]);
}

#[test]
fn a_name_shared_by_two_units_is_resolved_by_the_code_after_it() {
    let mut tree = tree();
    tree.merge(
        Jurisdictions::from_toml_str(
            r#"
            [district]
            code = "440113"
            name = "番禺区"
            name_en = "Panyu District"
            [[town]]
            code = "440113001"
            name = "市桥街道"
            name_en = "Shiqiao Subdistrict"
            [[town.community]]
            code = "440113001001"
            name = "大同社区"
            name_en = "Datong Community"
            "#,
            "panyu",
        )
        .expect("panyu"),
    )
    .expect("merge");
    let bytes = xlsx(&[
        row(&["姓名", "手机号码", "所属社区", "密接类型"]),
        row(&["李明", "13800138000", "大同社区", "密接"]),
        row(&["王芳", "13800138001", "大同社区（440113001001）", "密接"]),
        row(&["赵强", "13800138002", "大同社区(350203004002)", "密接"]),
        row(&["孙丽", "13800138003", "金沙社区（440113001001）", "密接"]),
    ]);
    let list = read_with(&bytes, &w2_anywhere(), &tree, None).expect("reads");
    let units: Vec<&str> = list.rows.iter().map(|row| row.unit.as_str()).collect();
    assert_eq!(units, ["440113001001", "350203004002"]);
    assert_eq!(list.failures.len(), 2);
    assert!(list.failures[0].reasons[0].contains("可能指多个地方"));
    assert!(list.failures[1].reasons[0].contains("区划代码"));
}

#[test]
fn a_missing_required_column_is_a_sheet_error_naming_it() {
    let bytes = xlsx(&[
        row(&["姓名", "手机号码", "身份证号码", "密接类型"]),
        row(&["李明", "13800138000", "", "密接"]),
    ]);
    let error = read_with(&bytes, &w1(), &tree(), None).expect_err("no town column");
    assert_eq!(
        error,
        SheetError::MissingColumns {
            sheet: "Sheet1".to_owned(),
            header_row: 1,
            missing: vec!["所属镇街".to_owned()],
        }
    );
    assert!(error.describe(Lang::Zh).contains("所属镇街"));
}

#[test]
fn a_sheet_without_a_header_row_is_a_sheet_error_listing_the_headers() {
    let bytes = xlsx(&[row(&["序号", "备注"]), row(&["1", "李明 13800138000"])]);
    let error = read_with(&bytes, &w1(), &tree(), None).expect_err("no header");
    let SheetError::NoHeaderRow { expected, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(expected, &W1_HEADERS);
    // Errors are logged: they never carry what the cells said.
    assert!(!format!("{error:?}").contains("13800138000"));
    assert!(!error.to_string().contains("13800138000"));
}

#[test]
fn the_first_sheet_with_a_header_row_is_read() {
    let mut workbook = Workbook::new();
    write_rows(
        workbook.add_worksheet().set_name("说明").expect("name"),
        0,
        &[row(&["本表由区卫健局下发"])],
    );
    write_rows(
        workbook.add_worksheet().set_name("名单").expect("name"),
        0,
        &[row(&W1_HEADERS), person("李明", "", "", "南沙街道")],
    );
    let bytes = workbook.save_to_buffer().expect("save");
    let list = read_w1(&bytes);
    assert_eq!(list.sheet, "名单");
    assert_eq!(list.rows.len(), 1);
}

#[test]
fn bytes_that_are_not_a_workbook_are_a_sheet_error() {
    let w1 = w1();
    let tree = tree();
    for bytes in [&b""[..], b"name,phone\n", b"%PDF-1.7"] {
        assert_eq!(
            read_with(bytes, &w1, &tree, None),
            Err(SheetError::NotASpreadsheet)
        );
    }
    let damaged = b"PK\x03\x04 and then nothing a zip needs";
    assert_eq!(
        read_with(damaged, &w1, &tree, None),
        Err(SheetError::Damaged)
    );
    let mut truncated = w1_list(&[person("李明", "", "", "南沙街道")]);
    truncated.truncate(truncated.len() / 2);
    assert_eq!(
        read_with(&truncated, &w1, &tree, None),
        Err(SheetError::Damaged)
    );
    assert!(SheetError::Damaged.describe(Lang::Zh).contains("另存为"));
}

#[test]
fn an_unknown_importer_unit_is_a_sheet_error() {
    let bytes = w1_list(&[person("李明", "", "", "南沙街道")]);
    assert_eq!(
        read_with(&bytes, &w1(), &tree(), Some("440199")),
        Err(SheetError::UnknownUnit {
            code: "440199".to_owned()
        })
    );
}
