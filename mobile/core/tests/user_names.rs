//! Names where user ids showed (issue 17 item 7), against a real sync server on loopback: the
//! server sends with sync the display names of the users a device meets — its town's staff and
//! communities, those above it, the administrators — only when they changed, and no one else's;
//! the field app names the people in a person's history and review notes, and the offline
//! console in its flows, also after a restart with no server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use outpost_app_core::actions::ClaimInput;
use outpost_app_core::views::{Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer as Server, W1};
use outpost_shared::demo::people;
use outpost_shared::hlc::SystemClock;
use outpost_shared::i18n::Lang;
use outpost_shared::sync::client::SyncReport;

const TOWN: &str = "440115001";
const PIN: &str = "135790";

fn enrol(server: &Server, dir: &Path, user: &str, name: &str, role: &str) -> AppCore {
    let code = server.enrolment_named(user, name, role, TOWN);
    let mut app = AppCore::open(dir, Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: format!("{user} 手机"),
        pin: PIN.into(),
    })
    .unwrap();
    app
}

fn sync(app: &mut AppCore) -> SyncReport {
    let report = app.sync_job().unwrap().run().unwrap().unwrap();
    app.apply_server_settings(&report).unwrap();
    report
}

fn create_user(server: &Server, id: &str, name: &str, role: &str, unit: &str) -> (u16, String) {
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/admin/users", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"id": id, "display_name": name, "role": role, "unit": unit}))
        .send()
        .unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn the_field_app_names_the_users_it_meets_and_no_one_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    // The list's dispatch is the district administrator's (the import's creator).
    assert_eq!(
        create_user(&server, "district-admin", "区卫健局", "admin", "440115").0,
        201
    );
    server.import_w1(&people(81, 2, &[TOWN]), "南沙街道");
    // Met: the town's other worker, a community below, the district's staff above. Not met: the
    // next town's worker.
    create_user(
        &server,
        "nansha-community",
        "陈七",
        "worker",
        "440115001001",
    );
    create_user(&server, "district-cdc", "区疾控", "cdc", "440115");
    create_user(&server, "zhujiang-worker", "赵六", "worker", "440115002");
    let mut first = enrol(
        &server,
        &dir.path().join("one"),
        "nansha-worker-1",
        "张三",
        "worker",
    );
    let mut second = enrol(
        &server,
        &dir.path().join("two"),
        "nansha-worker-2",
        "李四",
        "worker",
    );
    let mut leader = enrol(
        &server,
        &dir.path().join("leader"),
        "nansha-leader",
        "王五",
        "leader",
    );

    let report = sync(&mut first);
    let names = report.names.expect("the first sync brings the names");
    let mut met: Vec<&str> = names.names.keys().map(String::as_str).collect();
    met.sort_unstable();
    assert_eq!(
        met,
        [
            "admin",
            "district-admin",
            "district-cdc",
            "nansha-community",
            "nansha-leader",
            "nansha-worker-1",
            "nansha-worker-2"
        ]
    );
    assert_eq!(first.display_name("zhujiang-worker"), "zhujiang-worker");
    let device_file = std::fs::read_to_string(dir.path().join("one/device.json")).unwrap();
    assert!(device_file.contains("李四"));
    assert!(
        !device_file.contains("赵六"),
        "another town's staff stay off the device"
    );
    // Sent only when changed: nothing the next time; a new colleague, and they come again.
    assert_eq!(sync(&mut first).names, None);
    create_user(&server, "nansha-worker-3", "孙八", "worker", TOWN);
    let again = sync(&mut first).names.expect("a user was added");
    assert_eq!(again.names["nansha-worker-3"], "孙八");
    assert_eq!(first.display_name("nansha-worker-3"), "孙八");
    assert_eq!(first.display_name("admin"), "区卫健局管理员");
    assert_eq!(first.display_name("system"), "系统");

    // The two workers claim the same person offline: the history and the review note name them.
    sync(&mut second);
    let person = first
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap()[0]
        .persons[0]
        .record_id
        .clone();
    for app in [&mut first, &mut second] {
        app.claim(&ClaimInput {
            record_ids: vec![person.clone()],
        })
        .unwrap();
    }
    sync(&mut first);
    sync(&mut second);
    sync(&mut first);
    sync(&mut leader);
    let detail = first.person(&person).unwrap();
    let who: Vec<&str> = detail.history.iter().map(|h| h.user.as_str()).collect();
    assert_eq!(who[0], "区卫健局", "{who:?}");
    assert!(who.contains(&"张三") && who.contains(&"李四"), "{who:?}");
    assert!(
        !who.iter()
            .any(|w| w.starts_with("nansha-") || w.contains("admin")),
        "{who:?}"
    );
    assert_eq!(detail.reviews.len(), 1, "{:?}", detail.reviews);
    let review = &detail.reviews[0];
    let mut versions = review.versions.clone();
    versions.sort();
    assert_eq!(versions, ["张三", "李四"]);
    assert!(
        review.reason.contains("张三") && !review.reason.contains("nansha-"),
        "{}",
        review.reason
    );

    // The leader's offline console names them too, and so does the app after a restart with
    // the server gone.
    server.halt();
    let events = leader.console_person(&person, Lang::Zh).unwrap().events;
    let by: Vec<&str> = events.iter().map(|e| e.by.as_str()).collect();
    assert_eq!(by[0], "区卫健局", "{by:?}");
    assert!(by.contains(&"张三") && by.contains(&"李四"), "{by:?}");
    drop(first);
    let mut first = AppCore::open(dir.path().join("one"), Arc::new(SystemClock)).unwrap();
    first.unlock(PIN).unwrap();
    let who: Vec<String> = first
        .person(&person)
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.user)
        .collect();
    assert!(who.contains(&"李四".to_owned()), "{who:?}");
    assert_eq!(first.display_name("nansha-worker-3"), "孙八");
    first.set_lang(Lang::En).unwrap();
    assert_eq!(first.display_name("system"), "System");
}

#[test]
fn a_display_name_longer_than_a_device_takes_is_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, body) = create_user(&server, "long", &"长".repeat(65), "worker", TOWN);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad_display_name"), "{body}");
    assert!(body.contains("64"), "{body}");
    assert_eq!(
        create_user(&server, "long", &"长".repeat(64), "worker", TOWN).0,
        201
    );
}
