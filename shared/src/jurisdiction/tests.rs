use super::names::{NAME_SUFFIXES, SuffixKind, split_suffix};
use super::*;

const NANSHA: &str = include_str!("../../../assets/jurisdictions/440115-nansha.toml");
const SIMING: &str = include_str!("../../../assets/jurisdictions/350203-siming.toml");
/// A second Guangzhou district that also has a 金沙社区, to make that name ambiguous.
const PANYU_EXCERPT: &str = r#"
    [district]
    code = "440113"
    name = "番禺区"
    name_en = "Panyu District"
    parent_name = "广州市"
    [[town]]
    code = "440113001"
    name = "市桥街道"
    name_en = "Shiqiao Subdistrict"
    [[town.community]]
    code = "440113001001"
    name = "金沙社区"
    name_en = "Jinsha Community"
"#;

fn bundled() -> Jurisdictions {
    let mut tree = Jurisdictions::from_toml_str(NANSHA, "440115-nansha.toml").unwrap();
    tree.merge(Jurisdictions::from_toml_str(SIMING, "350203-siming.toml").unwrap())
        .unwrap();
    tree
}

fn with_panyu() -> Jurisdictions {
    let mut tree = bundled();
    tree.merge(Jurisdictions::from_toml_str(PANYU_EXCERPT, "panyu").unwrap())
        .unwrap();
    tree
}

fn codes(units: Vec<&Unit>) -> Vec<&str> {
    units.into_iter().map(|unit| unit.code.as_str()).collect()
}

fn found(tree: &Jurisdictions, name: &str, within: Option<&str>) -> String {
    tree.find_by_name(name, within).unwrap().code.clone()
}

fn load_error(text: &str) -> JurisdictionError {
    Jurisdictions::from_toml_str(text, "bad.toml").unwrap_err()
}

#[test]
fn bundled_districts_have_their_towns_and_communities() {
    let tree = bundled();
    let towns = tree.children("440115");
    assert_eq!(towns.len(), 9);
    assert!(towns.iter().all(|town| town.level == Level::Town));
    assert_eq!(towns[0].name, "南沙街道");
    assert_eq!(tree.children("350203").len(), 4);
    assert!(
        tree.children("350203")
            .iter()
            .all(|street| tree.children(&street.code).len() >= 3)
    );
    assert_eq!(codes(tree.units_at(Level::District)), ["350203", "440115"]);
    assert_eq!(
        tree.get("440115101").map(|unit| unit.name_en.as_str()),
        Some("Huangge Town")
    );
}

#[test]
fn tree_navigation_follows_the_codes() {
    let tree = bundled();
    assert_eq!(tree.parent("440115001001").unwrap().code, "440115001");
    assert_eq!(
        codes(tree.ancestors("440115001001")),
        ["440115001", "440115"]
    );
    assert!(tree.ancestors("440115").is_empty());
    assert_eq!(tree.district_of("350203012003").unwrap().name, "思明区");
    assert_eq!(tree.district_of("350203").unwrap().name, "思明区");
    assert_eq!(tree.town_of("350203012003").unwrap().name, "厦港街道");
    assert_eq!(tree.town_of("350203012").unwrap().name, "厦港街道");
    assert!(tree.town_of("350203").is_none());
    assert_eq!(tree.descendants("440115001").len(), 3);
    assert!(tree.children("999999").is_empty());
}

#[test]
fn a_unit_is_within_itself_and_its_ancestors_only() {
    let tree = bundled();
    assert!(tree.is_within("440115001001", "440115001001"));
    assert!(tree.is_within("440115001001", "440115001"));
    assert!(tree.is_within("440115001001", "440115"));
    assert!(!tree.is_within("440115001", "440115001001"));
    assert!(!tree.is_within("440115101001", "440115001"));
    assert!(!tree.is_within("350203001001", "440115"));
    assert!(
        !tree.is_within("440115001999", "440115"),
        "unknown codes are within nothing"
    );
}

#[test]
fn full_names_run_from_the_city_down() {
    let tree = bundled();
    assert_eq!(tree.full_name("440115001").unwrap(), "广州市南沙区南沙街道");
    assert_eq!(
        tree.full_name("350203012001").unwrap(),
        "厦门市思明区厦港街道沙坡尾社区"
    );
    assert_eq!(
        tree.full_name_in("440115001", Lang::En).unwrap(),
        "Nansha Subdistrict, Nansha District, Guangzhou"
    );
    assert!(tree.full_name("440115999").is_none());
}

#[test]
fn names_are_found_exactly_by_alias_and_without_suffixes() {
    let tree = bundled();
    assert_eq!(found(&tree, "南沙街道", None), "440115001");
    assert_eq!(found(&tree, "南沙街", None), "440115001");
    assert_eq!(found(&tree, "南沙街道办", None), "440115001");
    assert_eq!(found(&tree, "南沙", None), "440115001");
    assert_eq!(found(&tree, "南沙区", None), "440115");
    assert_eq!(found(&tree, "黄阁", None), "440115101");
    assert_eq!(found(&tree, "东涌", None), "440115103");
    assert_eq!(found(&tree, "金沙", None), "440115001001");
    assert_eq!(found(&tree, "金沙社区居委会", None), "440115001001");
    assert_eq!(found(&tree, "蕉门村委会", None), "440115001201");
    assert_eq!(found(&tree, "思明", None), "350203");
    assert_eq!(found(&tree, "nansha  SUBDISTRICT", None), "440115001");
}

#[test]
fn spaces_including_full_width_are_ignored_in_names() {
    let tree = bundled();
    assert_eq!(found(&tree, "\u{3000}南沙 街道 ", None), "440115001");
    assert_eq!(
        found(&tree, " 金沙\u{3000}", Some("440115")),
        "440115001001"
    );
}

#[test]
fn a_bare_name_shared_by_a_street_and_its_community_means_the_street() {
    let tree = bundled();
    assert_eq!(found(&tree, "鹭江", None), "350203004");
    assert_eq!(found(&tree, "鹭江社区", None), "350203004003");
    assert_eq!(found(&tree, "嘉莲", Some("350203")), "350203011");
}

#[test]
fn the_same_name_in_two_districts_is_ambiguous_unless_scoped() {
    let tree = with_panyu();
    let error = tree.find_by_name("金沙社区", None).unwrap_err();
    let NameLookupError::Ambiguous { candidates, .. } = &error else {
        panic!("expected ambiguity, got {error:?}");
    };
    let full_names: Vec<&str> = candidates.iter().map(|c| c.full_name.as_str()).collect();
    assert_eq!(
        full_names,
        [
            "广州市番禺区市桥街道金沙社区",
            "广州市南沙区南沙街道金沙社区"
        ]
    );
    assert!(
        error
            .describe(Lang::Zh)
            .contains("广州市南沙区南沙街道金沙社区")
    );
    assert_eq!(found(&tree, "金沙社区", Some("440115")), "440115001001");
    assert_eq!(found(&tree, "金沙", Some("440113001")), "440113001001");
}

#[test]
fn unknown_names_suggest_only_close_known_names() {
    let tree = bundled();
    let unknown = |name, within| match tree.find_by_name(name, within) {
        Err(NameLookupError::Unknown { nearest, .. }) => nearest,
        other => panic!("{name}: expected unknown, got {other:?}"),
    };
    assert_eq!(unknown("黄格镇", None).as_deref(), Some("黄阁镇"));
    assert_eq!(unknown("东冲", None).as_deref(), Some("东涌镇"));
    assert_eq!(
        unknown("Nansha Subdistrit", None).as_deref(),
        Some("Nansha Subdistrict")
    );
    assert_eq!(unknown("北京路", None), None);
    assert_eq!(unknown("金沙村", None).as_deref(), Some("金沙社区"));
    assert_eq!(unknown("中华街道", Some("440115")), None);
    let message = tree
        .find_by_name("黄格镇", None)
        .unwrap_err()
        .describe(Lang::Zh);
    assert!(message.contains("是否是“黄阁镇”"), "{message}");
}

#[test]
fn empty_names_and_unknown_scopes_are_errors() {
    let tree = bundled();
    assert_eq!(
        tree.find_by_name(" \u{3000}", None),
        Err(NameLookupError::Empty)
    );
    assert_eq!(
        tree.find_by_name("南沙", Some("440199")),
        Err(NameLookupError::UnknownScope {
            code: "440199".to_owned()
        })
    );
}

#[test]
fn codes_must_extend_their_parent_code() {
    let text = NANSHA.replace("code = \"440115002\"", "code = \"440116002\"");
    let error = load_error(&text);
    assert_eq!(
        error,
        JurisdictionError::CodeNotUnderParent {
            source_name: "bad.toml".to_owned(),
            name: "珠江街道".to_owned(),
            code: "440116002".to_owned(),
            parent_code: "440115".to_owned(),
        }
    );
    assert!(error.to_string().contains("bad.toml") && error.to_string().contains("440116002"));
    assert!(error.describe(Lang::Zh).contains("440116002"));
}

#[test]
fn malformed_codes_are_rejected_with_the_rule() {
    for (from, to) in [
        ("code = \"440115001001\"", "code = \"44011500101\""),
        ("code = \"440115003\"", "code = \"440115000\""),
        ("code = \"440115\"", "code = \"44011５\""),
    ] {
        let error = load_error(&NANSHA.replacen(from, to, 1));
        assert!(
            matches!(error, JurisdictionError::MalformedCode { .. }),
            "{to}: {error:?}"
        );
        assert!(error.to_string().contains("bad.toml"));
    }
    let error = load_error(&NANSHA.replacen("code = \"440115001001\"", "code = \"4401150010\"", 1));
    assert!(error.describe(Lang::Zh).contains("12位数字"));
}

#[test]
fn duplicate_codes_are_rejected_within_a_file_and_on_merge() {
    let text = NANSHA.replace("code = \"440115002\"", "code = \"440115003\"");
    assert!(matches!(
        load_error(&text),
        JurisdictionError::DuplicateCode { .. }
    ));
    let mut tree = bundled();
    let again = Jurisdictions::from_toml_str(NANSHA, "copy.toml").unwrap();
    let error = tree.merge(again).unwrap_err();
    assert_eq!(
        error,
        JurisdictionError::DuplicateCode {
            code: "440115".to_owned(),
            first_source: "440115-nansha.toml".to_owned(),
            second_source: "copy.toml".to_owned(),
        }
    );
    assert_eq!(tree, bundled(), "a failed merge adds nothing");
}

#[test]
fn bad_files_name_the_problem_and_the_source() {
    let typo = NANSHA.replacen("\n[[town.community]]", "\n[[town.communty]]", 1);
    let error = load_error(&typo);
    assert!(
        matches!(&error, JurisdictionError::Syntax { message, .. } if message.contains("communty"))
    );
    assert!(
        error
            .describe(Lang::Zh)
            .starts_with("区划数据文件 bad.toml")
    );
    let twin = NANSHA.replace("name = \"珠江街道\"", "name = \"南沙街道\"");
    assert!(matches!(
        load_error(&twin),
        JurisdictionError::DuplicateName { .. }
    ));
    let nameless = NANSHA.replace("name_en = \"Lanhe Town\"", "name_en = \" \"");
    assert_eq!(
        load_error(&nameless),
        JurisdictionError::MissingName {
            source_name: "bad.toml".to_owned(),
            code: "440115105".to_owned(),
            field: "name_en",
        }
    );
}

#[test]
fn suffixes_are_tried_longest_first() {
    let lengths: Vec<usize> = NAME_SUFFIXES
        .iter()
        .map(|(s, _)| s.chars().count())
        .collect();
    assert!(
        lengths.windows(2).all(|pair| pair[0] >= pair[1]),
        "{lengths:?}"
    );
    assert_eq!(
        split_suffix("金沙社区居委会"),
        ("金沙", Some(SuffixKind::Community))
    );
}

#[test]
fn level_labels_are_in_both_languages() {
    assert_eq!(Level::Town.describe(Lang::Zh), "镇街");
    assert_eq!(Level::Community.label().zh, "社区/村");
    assert_eq!(Level::District.describe(Lang::En), "district");
}
