//! The user names on the wire (`message::UserNames`): which users a device meets, how the
//! version is made, and the bounds a device holds a received set to.

use std::collections::BTreeMap;

use super::message::*;

fn names(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
        .collect()
}

/// A last page's JSON with `names` as its user names under `version`.
fn response_json(version: &str, names: serde_json::Value) -> String {
    serde_json::json!({
        "protocol": PROTOCOL_VERSION,
        "push": {"accepted": 0, "duplicates": 0, "rejected": []},
        "items": [],
        "cursor": 9,
        "more": false,
        "server_time_ms": 0,
        "names": {"version": version, "names": names},
    })
    .to_string()
}

#[test]
fn a_device_meets_its_units_users_those_above_it_and_the_administrators() {
    let town = "440115001";
    assert!(meets(town, "440115001", "worker"), "the same town");
    assert!(meets(town, "440115001003", "worker"), "a community within");
    assert!(meets(town, "440115", "leader"), "the district above");
    assert!(meets(town, "44", "cdc"), "further up the path");
    assert!(
        meets(town, "350203", ADMIN_ROLE),
        "an administrator anywhere"
    );
    assert!(!meets(town, "440115002", "worker"), "another town");
    assert!(
        !meets(town, "440115002001", "leader"),
        "another town's community"
    );
    assert!(!meets(town, "350203", "leader"), "another district");
}

#[test]
fn user_names_survive_the_wire_and_say_when_they_changed() {
    let set = UserNames::new(names(&[
        ("nansha-worker-1", "张三"),
        ("district-admin", "区卫健局"),
    ]))
    .unwrap();
    assert_eq!(set.version.len(), NAMES_VERSION_CHARS);
    assert_eq!(set.get("nansha-worker-1"), Some("张三"));
    assert_eq!(set.get("someone-else"), None);
    let wire = serde_json::to_string(&set).unwrap();
    let back: UserNames = serde_json::from_str(&wire).unwrap();
    assert_eq!(back, set);
    back.check().unwrap();

    // A rename, an addition and bytes moved between id and name are each a new version.
    let renamed = names(&[
        ("nansha-worker-1", "张三丰"),
        ("district-admin", "区卫健局"),
    ]);
    assert_ne!(UserNames::version_of(&renamed), set.version);
    let added = names(&[
        ("nansha-worker-1", "张三"),
        ("district-admin", "区卫健局"),
        ("nansha-leader", "李四"),
    ]);
    assert_ne!(UserNames::version_of(&added), set.version);
    assert_ne!(
        UserNames::version_of(&names(&[("ab", "c")])),
        UserNames::version_of(&names(&[("a", "bc")]))
    );

    let mut request = SyncRequest::new(Cursor(3));
    request.names_version = Some(set.version.clone());
    let wire = serde_json::to_string(&request).unwrap();
    assert_eq!(serde_json::from_str::<SyncRequest>(&wire).unwrap(), request);
    request.check_bounds().unwrap();
    // A device holding none says nothing, so an older server reads its request.
    let wire = serde_json::to_value(SyncRequest::new(Cursor(0))).unwrap();
    assert!(wire.get("names_version").is_none());
    // An older server's response has none.
    let mut older: serde_json::Value =
        serde_json::from_str(&response_json("", serde_json::json!({}))).unwrap();
    older.as_object_mut().unwrap().remove("names");
    let response: SyncResponse = serde_json::from_value(older).unwrap();
    assert_eq!(response.names, None);
}

#[test]
fn the_server_refuses_to_build_a_set_past_the_bounds() {
    let many: BTreeMap<String, String> = (0..=MAX_USER_NAMES)
        .map(|n| (format!("u{n}"), format!("用户{n}")))
        .collect();
    assert_eq!(
        UserNames::new(many.clone()),
        Err(UserNamesError::TooMany {
            count: MAX_USER_NAMES + 1
        })
    );
    let mut within = many;
    within.pop_last();
    assert!(UserNames::new(within).is_ok());
    let long = "长".repeat(MAX_USER_NAME_CHARS + 1);
    assert_eq!(
        UserNames::new(names(&[("w", &long)])),
        Err(UserNamesError::NameTooLong { user: "w".into() })
    );
    assert!(UserNames::new(names(&[("w", &long[3..])])).is_ok());
    let long_id = "i".repeat(MAX_USER_ID_BYTES + 1);
    assert_eq!(
        UserNames::new(names(&[(&long_id, "名")])),
        Err(UserNamesError::BadUserId {
            bytes: MAX_USER_ID_BYTES + 1
        })
    );
    // The errors say ids and counts, never a name.
    let error = UserNamesError::NameTooLong { user: "w".into() };
    assert!(!error.to_string().contains('长'));
}

#[test]
fn a_received_set_past_the_bounds_is_refused_and_the_response_around_it_kept() {
    let many: serde_json::Map<String, serde_json::Value> = (0..MAX_USER_NAMES + 10)
        .map(|n| (format!("u{n}"), format!("用户{n}").into()))
        .collect();
    let response: SyncResponse =
        serde_json::from_str(&response_json(&"ab".repeat(32), many.into())).unwrap();
    assert_eq!(response.cursor, Cursor(9), "the rest is read");
    let set = response.names.unwrap();
    assert!(set.names.is_empty(), "none of a refused set is kept");
    assert!(matches!(set.check(), Err(UserNamesError::TooMany { .. })));

    for (names, refused) in [
        (
            serde_json::json!({"a": "甲", "w": "长".repeat(MAX_USER_NAME_CHARS + 1), "z": "乙"}),
            UserNamesError::NameTooLong { user: "w".into() },
        ),
        (
            // Longer than any name can be in bytes: not even read into memory.
            serde_json::json!({"w": "x".repeat(100_000)}),
            UserNamesError::NameTooLong { user: "w".into() },
        ),
        (
            serde_json::json!({"i".repeat(100): "名"}),
            UserNamesError::BadUserId { bytes: 100 },
        ),
        (
            serde_json::json!({"": "名"}),
            UserNamesError::BadUserId { bytes: 0 },
        ),
    ] {
        let response: SyncResponse =
            serde_json::from_str(&response_json(&"ab".repeat(32), names)).unwrap();
        let set = response.names.unwrap();
        assert!(set.names.is_empty());
        assert_eq!(set.check(), Err(refused));
    }

    // Names that do not match their version, and a version longer than a version.
    let set = UserNames::new(names(&[("w", "张三")])).unwrap();
    let mut wire = serde_json::to_value(&set).unwrap();
    wire["names"]["w"] = "李四".into();
    let changed: UserNames = serde_json::from_value(wire).unwrap();
    assert_eq!(changed.check(), Err(UserNamesError::VersionMismatch));
    let response: SyncResponse = serde_json::from_str(&response_json(
        &"f".repeat(10_000),
        serde_json::json!({"w": "张三"}),
    ))
    .unwrap();
    let set = response.names.unwrap();
    assert_eq!(set.version, "");
    assert_eq!(set.check(), Err(UserNamesError::VersionMismatch));

    // And a device cannot send the server a long version.
    let mut request = SyncRequest::new(Cursor(0));
    request.names_version = Some("f".repeat(NAMES_VERSION_CHARS + 1));
    assert_eq!(
        request.check_bounds().unwrap_err().error,
        "bad_names_version"
    );
}
