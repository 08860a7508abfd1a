//! The program set on the wire (`message::ProgramSet`): what it carries, how its version is
//! made, and the bounds a device holds a received set to.

use super::message::*;
use crate::program::{self, Program};

const ISOLATION: &str = include_str!("../../tests/programs/isolation-follow-up.toml");

fn file(name: &str, text: &str) -> ProgramFile {
    ProgramFile {
        name: name.into(),
        text: text.into(),
    }
}

fn server_files() -> Vec<ProgramFile> {
    let mut files: Vec<ProgramFile> = program::presets()
        .into_iter()
        .map(|(name, text)| file(name, text))
        .collect();
    files.push(file("isolation-follow-up.toml", ISOLATION));
    files
}

fn last_page(programs: ProgramSet) -> SyncResponse {
    SyncResponse {
        protocol: PROTOCOL_VERSION,
        push: PushReport::default(),
        items: Vec::new(),
        cursor: Cursor(7),
        more: false,
        server_time_ms: 0,
        deadlines: Default::default(),
        jurisdictions: None,
        programs: Some(programs),
        names: None,
        deferred: Vec::new(),
    }
}

/// A response's JSON with `files` as its program set (and a version that cannot be theirs).
fn response_json(files: serde_json::Value) -> String {
    serde_json::json!({
        "protocol": PROTOCOL_VERSION,
        "push": {"accepted": 0, "duplicates": 0, "rejected": []},
        "items": [],
        "cursor": 9,
        "more": false,
        "server_time_ms": 0,
        "programs": {"version": "ab".repeat(32), "files": files},
    })
    .to_string()
}

#[test]
fn a_program_set_survives_the_wire_and_parses_into_its_programs() {
    let set = ProgramSet::new(server_files()).unwrap();
    let wire = serde_json::to_string(&last_page(set.clone())).unwrap();
    let back: SyncResponse = serde_json::from_str(&wire).unwrap();
    assert_eq!(back.programs.as_ref(), Some(&set));
    let received = back.programs.unwrap();
    received.check().unwrap();
    let ids: Vec<String> = received
        .parse()
        .unwrap()
        .iter()
        .map(|p| p.id().to_owned())
        .collect();
    assert_eq!(
        ids,
        [
            "isolation-follow-up",
            "w1-close-contact-whereabouts",
            "w2-community-verification"
        ],
        "in file name order"
    );

    let mut request = SyncRequest::new(Cursor(3));
    request.programs_version = Some(set.version.clone());
    let wire = serde_json::to_string(&request).unwrap();
    assert_eq!(serde_json::from_str::<SyncRequest>(&wire).unwrap(), request);
    request.check_bounds().unwrap();
}

#[test]
fn peers_without_the_program_fields_still_read_each_other() {
    // An older device's request and an older server's response.
    let request: SyncRequest = serde_json::from_str(r#"{"protocol":1,"cursor":0}"#).unwrap();
    assert_eq!(request.programs_version, None);
    let mut older: serde_json::Value =
        serde_json::from_str(&response_json(serde_json::json!([]))).unwrap();
    older.as_object_mut().unwrap().remove("programs");
    let response: SyncResponse = serde_json::from_value(older).unwrap();
    assert_eq!(response.programs, None);
    let wire = serde_json::to_value(&response).unwrap();
    assert!(
        wire.get("programs").is_none(),
        "left out when there is none"
    );
    // A device holding no set says nothing, so an older server reads its request.
    let wire = serde_json::to_value(SyncRequest::new(Cursor(0))).unwrap();
    assert!(wire.get("programs_version").is_none());
}

#[test]
fn the_version_is_the_same_whatever_order_the_files_come_in() {
    let files = server_files();
    let mut reversed = files.clone();
    reversed.reverse();
    let set = ProgramSet::new(files.clone()).unwrap();
    assert_eq!(ProgramSet::new(reversed.clone()).unwrap(), set);
    assert_eq!(ProgramSet::version_of(&reversed), set.version);
    assert_eq!(ProgramSet::version_of(&files), set.version);
    assert_eq!(set.version.len(), PROGRAMS_VERSION_CHARS);
    assert!(set.version.bytes().all(|b| b.is_ascii_hexdigit()));
    let names: Vec<&str> = set.files.iter().map(|f| f.name.as_str()).collect();
    assert!(names.is_sorted(), "{names:?}");

    // Any change of a text or a name is a new version, also bytes moved between the two.
    let mut edited = files.clone();
    edited[0].text.push('\n');
    assert_ne!(ProgramSet::version_of(&edited), set.version);
    let mut renamed = files;
    renamed[0].name = "renamed.toml".into();
    assert_ne!(ProgramSet::version_of(&renamed), set.version);
    assert_ne!(
        ProgramSet::version_of(&[file("ab", "c")]),
        ProgramSet::version_of(&[file("a", "bc")])
    );
}

#[test]
fn a_set_past_the_bounds_is_refused_by_the_server_before_it_is_sent() {
    let many: Vec<ProgramFile> = (0..=MAX_PROGRAM_FILES)
        .map(|n| file(&format!("p{n:02}.toml"), "id = 'x'"))
        .collect();
    assert_eq!(
        ProgramSet::new(many.clone()),
        Err(ProgramSetError::TooManyFiles)
    );
    assert!(ProgramSet::new(many[..MAX_PROGRAM_FILES].to_vec()).is_ok());
    let large = "#".repeat(MAX_PROGRAM_FILE_BYTES + 1);
    assert_eq!(
        ProgramSet::new(vec![file("large.toml", &large)]),
        Err(ProgramSetError::FileTooLarge {
            name: "large.toml".into(),
            bytes: MAX_PROGRAM_FILE_BYTES + 1
        })
    );
    assert!(ProgramSet::new(vec![file("large.toml", &large[1..])]).is_ok());
    let long_name = "n".repeat(MAX_PROGRAM_NAME_BYTES + 1);
    assert_eq!(
        ProgramSet::new(vec![file(&long_name, "")]),
        Err(ProgramSetError::BadName {
            bytes: MAX_PROGRAM_NAME_BYTES + 1
        })
    );
    assert_eq!(
        ProgramSet::new(vec![file("a.toml", "1"), file("a.toml", "2")]),
        Err(ProgramSetError::DuplicateName("a.toml".into()))
    );
}

#[test]
fn a_received_set_past_the_bounds_is_refused_and_the_response_around_it_kept() {
    let many: Vec<serde_json::Value> = (0..MAX_PROGRAM_FILES + 10)
        .map(|n| serde_json::json!({"name": format!("p{n}.toml"), "text": "id = 'x'"}))
        .collect();
    let response: SyncResponse = serde_json::from_str(&response_json(many.into())).unwrap();
    assert_eq!(
        response.cursor,
        Cursor(9),
        "the rest of the response is read"
    );
    let set = response.programs.unwrap();
    assert!(set.files.is_empty(), "none of a refused set is kept");
    assert_eq!(set.check(), Err(ProgramSetError::TooManyFiles));
    assert_eq!(set.parse(), Err(ProgramSetError::TooManyFiles));

    let large = "#".repeat(MAX_PROGRAM_FILE_BYTES + 1);
    let response: SyncResponse = serde_json::from_str(&response_json(serde_json::json!([
        {"name": "w1.toml", "text": "id = 'w1'"},
        {"name": "large.toml", "text": large},
        {"name": "after.toml", "text": "id = 'after'"},
    ])))
    .unwrap();
    let set = response.programs.unwrap();
    assert!(set.files.is_empty());
    assert_eq!(
        set.check(),
        Err(ProgramSetError::FileTooLarge {
            name: "large.toml".into(),
            bytes: MAX_PROGRAM_FILE_BYTES + 1
        })
    );

    let response: SyncResponse = serde_json::from_str(&response_json(serde_json::json!([
        {"name": "", "text": "id = 'w1'"},
    ])))
    .unwrap();
    assert_eq!(
        response.programs.unwrap().check(),
        Err(ProgramSetError::BadName { bytes: 0 })
    );

    // A version longer than a version is refused too, not kept.
    let mut wire: serde_json::Value =
        serde_json::from_str(&response_json(serde_json::json!([]))).unwrap();
    wire["programs"]["version"] = "f".repeat(10_000).into();
    let response: SyncResponse = serde_json::from_value(wire).unwrap();
    let set = response.programs.unwrap();
    assert_eq!(set.version, "");
    assert_eq!(set.check(), Err(ProgramSetError::VersionMismatch));

    // And a device cannot send the server a long one.
    let mut request = SyncRequest::new(Cursor(0));
    request.programs_version = Some("f".repeat(PROGRAMS_VERSION_CHARS + 1));
    assert_eq!(
        request.check_bounds().unwrap_err().error,
        "bad_programs_version"
    );
}

#[test]
fn a_received_set_whose_files_do_not_match_its_version_is_refused() {
    let set = ProgramSet::new(server_files()).unwrap();
    let mut wire = serde_json::to_value(last_page(set)).unwrap();
    wire["programs"]["files"][0]["text"] = "id = 'changed on the way'".into();
    let response: SyncResponse = serde_json::from_value(wire).unwrap();
    assert_eq!(
        response.programs.unwrap().parse(),
        Err(ProgramSetError::VersionMismatch)
    );
}

#[test]
fn a_set_with_one_bad_file_or_one_program_twice_is_refused_whole() {
    let mut files = server_files();
    files.push(file("broken.toml", "id = \"broken\"\n"));
    let error = ProgramSet::new(files).unwrap().parse().unwrap_err();
    assert!(
        matches!(&error, ProgramSetError::Program(e) if e.file == "broken.toml"),
        "{error}"
    );

    let mut files = server_files();
    files.push(file("isolation-again.toml", ISOLATION));
    assert_eq!(
        ProgramSet::new(files).unwrap().parse(),
        Err(ProgramSetError::DuplicateProgram {
            id: "isolation-follow-up".into()
        })
    );
    // What parses is what the preset loader gives.
    let presets: Vec<Program> = program::load_presets().unwrap();
    let only_presets = ProgramSet::new(
        program::presets()
            .into_iter()
            .map(|(name, text)| file(name, text))
            .collect(),
    )
    .unwrap();
    assert_eq!(only_presets.parse().unwrap(), presets);
}
