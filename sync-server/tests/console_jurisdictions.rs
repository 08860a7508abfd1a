//! Jurisdiction maintenance in the console (区划维护) through a real server on loopback: a
//! community added (trimmed, aliases tidied), bad units refused with Chinese messages, a file's
//! unit renamed, a user created at the added unit, withdrawal refused while something uses a
//! unit or when there is nothing to undo, and every change still in force after a restart — on
//! SQLite, and on PostgreSQL when `OUTPOST_TEST_POSTGRES` is set. Access (401/403) is tested
//! with the other administration endpoints in `console_admin.rs`; the devices' side in
//! `mobile/core/tests/jurisdiction_changes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_fixture;

use console_fixture::{Fixture, TOKEN, ledgers, runtime};
use serde_json::{Value, json};

/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;

fn jurisdiction_call(
    fixture: &Fixture,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = fixture
        .client
        .request(
            method,
            format!("{}/console/api/admin/jurisdictions{path}", fixture.url),
        )
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap())
}

fn unit<'a>(tree: &'a Value, code: &str) -> Option<&'a Value> {
    tree["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
}

#[test]
fn units_added_and_renamed_in_the_console_are_checked_and_survive_a_restart() {
    for ledger in ledgers("admin_jurisdictions") {
        edited_tree(ledger);
    }
}

fn edited_tree(ledger: Option<String>) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let database = ledger.unwrap_or_else(|| dir.path().join("ledger.db").display().to_string());
    let mut fixture = Fixture::start_on(&runtime, T0, None, Some(database.clone()));
    let post = |body: Value| jurisdiction_call(&fixture, reqwest::Method::POST, "", Some(body));

    let (status, tree) = post(json!({
        "code": "440115001003", "name": " 滨海社区 ", "name_en": "Binhai Community",
        "aliases": ["滨海", ""]
    }));
    assert_eq!(status, 200, "{tree}");
    let binhai = unit(&tree, "440115001003").unwrap();
    assert_eq!(binhai["origin"], "added");
    assert_eq!(binhai["name"]["zh"], "滨海社区");
    assert_eq!(binhai["parent"], "440115001");
    assert_eq!(binhai["level"]["zh"], "社区/村");
    assert_eq!(binhai["aliases"], json!(["滨海"]));
    assert_eq!(tree["updated_by"], "admin");

    // Refusals say what is wrong, in Chinese.
    for (body, expected) in [
        (
            json!({"code": "440115001003", "name": "滨海社区", "name_en": "Binhai"}),
            "重复",
        ),
        (
            json!({"code": "440115999001", "name": "无主社区", "name_en": "Orphan"}),
            "不在区划树中",
        ),
        (
            json!({"code": "440116", "name": "新区", "name_en": "New District"}),
            "区级单位只能在区划数据文件中设置",
        ),
        (
            json!({"code": "440115001004", "name": "金沙社区", "name_en": "Jinsha 2"}),
            "两个名为“金沙社区”",
        ),
        (
            json!({"code": "440115001004", "name": "海滨社区", "name_en": ""}),
            "为空",
        ),
        (json!({"code": "440115001004", "nom": "x"}), "格式不正确"),
    ] {
        let (status, refusal) = post(body.clone());
        assert_eq!(status, 400, "{body}: {refusal}");
        let message = refusal["message_zh"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: {message}");
    }

    // A file's unit renamed and given an alias; a user may be created at the added unit.
    let (status, tree) = jurisdiction_call(
        &fixture,
        reqwest::Method::PUT,
        "/440115002",
        Some(json!({"name": "珠江街道", "name_en": "Zhujiang Subdistrict", "aliases": ["珠江"]})),
    );
    assert_eq!(status, 200, "{tree}");
    assert_eq!(unit(&tree, "440115002").unwrap()["origin"], "changed");
    fixture.admin_post(
        "/admin/users",
        json!({"id": "binhai-w", "display_name": "滨海社区网格员", "role": "worker", "unit": "440115001003"}),
    );
    // A file's unit never changed has nothing to undo; an added unit in use stays.
    let (status, _) = jurisdiction_call(&fixture, reqwest::Method::DELETE, "/440115003", None);
    assert_eq!(status, 409);
    let (status, refusal) =
        jurisdiction_call(&fixture, reqwest::Method::DELETE, "/440115001003", None);
    assert_eq!(status, 409);
    assert!(refusal["message_zh"].as_str().unwrap().contains("binhai-w"));
    fixture.stop(&runtime);

    // After a restart on the same ledger both changes are in force; undoing the rename goes
    // back to the file.
    let fixture = Fixture::start_on(&runtime, T0 + 60_000, None, Some(database));
    let (_, tree) = jurisdiction_call(&fixture, reqwest::Method::GET, "?search=珠江", None);
    assert_eq!(unit(&tree, "440115002").unwrap()["matched"], true);
    let (_, tree) = jurisdiction_call(&fixture, reqwest::Method::GET, "", None);
    assert_eq!(unit(&tree, "440115001003").unwrap()["origin"], "added");
    let (status, tree) = jurisdiction_call(&fixture, reqwest::Method::DELETE, "/440115002", None);
    assert_eq!(status, 200);
    let zhujiang = unit(&tree, "440115002").unwrap();
    assert_eq!(zhujiang["origin"], "file");
    assert_eq!(zhujiang["aliases"], json!([]));
}
