//! A program that exists only as a file on the server reaches the devices with sync, so a new
//! program needs no app release: the server's programs folder has `isolation-follow-up.toml`
//! (居家隔离跟踪, written only in TOML) besides the shipped ones; a list is imported for it; a
//! community worker's device, which was built without it, syncs, shows the person with the
//! program's status and steps, takes a step offline, and the server accepts it. Restarted from
//! its folder with the server gone, the app still knows the program.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use outpost_app_core::actions::StepInput;
use outpost_app_core::views::{PersonDetail, Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::InProcessServer as Server;
use outpost_shared::hlc::SystemClock;
use outpost_shared::record::RecordId;

const PROGRAM: &str = "isolation-follow-up";
const JINSHA: &str = "440115001001";
const PIN: &str = "135790";

fn program_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/tests/programs/isolation-follow-up.toml")
}

/// The server with the program, and a list of two returnees of 金沙社区: one from Guangdong,
/// one from Hubei (who may not isolate at home).
fn server_with_the_program(dir: &Path) -> Server {
    let server = Server::start_with_programs(dir, &[&program_file()]);
    server.import(
        PROGRAM,
        "440115",
        &["姓名", "手机号码", "所属社区", "出发地"],
        &[
            vec!["李明", "13490879088", "金沙社区", "广东"],
            vec!["王芳", "13590871234", "金沙社区", "湖北"],
        ],
    );
    server
}

fn enrol(server: &Server, dir: &Path) -> AppCore {
    enrol_as(server, dir, "jinsha-w")
}

fn enrol_as(server: &Server, dir: &Path, user: &str) -> AppCore {
    let code = server.enrolment(user, "worker", JINSHA);
    let mut app = AppCore::open(dir, Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "社区手机".into(),
        pin: PIN.into(),
    })
    .unwrap();
    app
}

/// Syncs and takes what the sync brought besides records; the report's program set too.
fn sync(app: &mut AppCore) -> (outpost_shared::sync::client::SyncReport, bool) {
    let report = app.sync_job().unwrap().run().unwrap().unwrap();
    let changed = app.apply_server_settings(&report).unwrap();
    (report, changed)
}

fn knows_program(app: &AppCore) -> bool {
    app.status().programs.iter().any(|p| p.id == PROGRAM)
}

/// Each person of the program on the device, by where they travel from.
fn persons(app: &AppCore) -> Vec<(String, PersonDetail)> {
    app.tasks(&TasksInput {
        program: PROGRAM.into(),
        tab: Tab::Unclaimed,
        query: String::new(),
    })
    .unwrap()
    .iter()
    .flat_map(|group| &group.persons)
    .map(|row| {
        let detail = app.person(&row.record_id).unwrap();
        let origin = detail
            .fields
            .iter()
            .find(|f| f.key == "origin")
            .and_then(|f| f.value.clone())
            .unwrap_or_default();
        (origin, detail)
    })
    .collect()
}

fn offered(detail: &PersonDetail) -> Vec<&str> {
    detail
        .transitions
        .iter()
        .map(|t| t.action.as_str())
        .collect()
}

#[test]
fn a_program_only_the_server_has_reaches_the_device_and_its_steps_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_with_the_program(dir.path());
    let app_dir = dir.path().join("app");
    let mut app = enrol(&server, &app_dir);
    assert!(!knows_program(&app), "not compiled into the app");

    let (report, changed) = sync(&mut app);
    assert!(changed);
    let received = report.programs.expect("the server's program files");
    assert!(
        received
            .files
            .iter()
            .any(|f| f.name == "isolation-follow-up.toml"),
        "{:?}",
        received.files.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    assert!(knows_program(&app));
    let found = persons(&app);
    assert_eq!(found.len(), 2);
    for (origin, detail) in &found {
        assert_eq!(detail.program, PROGRAM);
        assert_eq!(detail.status_label, "待处置", "{origin}");
        let steps = offered(detail);
        assert!(steps.contains(&"send_to_central"), "{origin}: {steps:?}");
        assert_eq!(
            steps.contains(&"start_home_isolation"),
            origin != "hubei",
            "the guard on 出发地, from the server's file: {origin}: {steps:?}"
        );
    }
    let (_, guangdong) = found.iter().find(|(o, _)| o == "guangdong").unwrap();
    let start = guangdong
        .transitions
        .iter()
        .find(|t| t.action == "start_home_isolation")
        .unwrap();
    assert_eq!(start.label, "开始居家隔离");
    assert_eq!(start.to_label, "居家隔离中");
    assert_eq!(
        start
            .inputs
            .iter()
            .map(|i| i.key.as_str())
            .collect::<Vec<_>>(),
        ["seal_intact"]
    );
    let record_id = guangdong.record_id.clone();

    // Holding the server's set, the device is not sent it again.
    let (report, changed) = sync(&mut app);
    assert_eq!(report.programs, None);
    assert!(!changed);

    // Offline, the step is taken on the device.
    server.halt();
    let detail = app
        .step(&StepInput {
            record_id: record_id.clone(),
            action: "start_home_isolation".into(),
            outcome: Vec::new(),
            inputs: [("seal_intact".to_owned(), "true".to_owned())].into(),
            note: None,
        })
        .unwrap();
    assert_eq!(detail.status_label, "居家隔离中");
    assert!(offered(&detail).contains(&"send_to_central"));
    let seal = detail
        .fields
        .iter()
        .find(|f| f.key == "seal_intact")
        .unwrap();
    assert_eq!(
        seal.value.as_deref(),
        Some("true"),
        "what the step asked for is in 基本信息"
    );
    // Answering is a core status's work: offered while the person is pending, not once a
    // declared step has put them in home isolation.
    assert!(
        !detail.allowed.contains(&"answer".to_owned()),
        "{:?}",
        detail.allowed
    );

    // Back online, the server takes it: its own check knows the program from the same file.
    server.run();
    let (report, _) = sync(&mut app);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert!(report.pushed > 0, "{report:?}");
    let stored = server
        .stored_record(&RecordId::new(record_id.as_str()).unwrap())
        .unwrap();
    assert_eq!(stored.state().status_code, "home_isolation");
    assert_eq!(
        stored.field("seal_intact").map(|f| f.value).as_deref(),
        Some("true")
    );

    // Restarted from its folder with the server gone, the app still works the program.
    server.halt();
    drop(app);
    let mut app = AppCore::open(&app_dir, Arc::new(SystemClock)).unwrap();
    app.unlock(PIN).unwrap();
    assert!(knows_program(&app));
    let detail = app.person(&record_id).unwrap();
    assert_eq!(detail.status_label, "居家隔离中");
    assert!(offered(&detail).contains(&"send_to_central"));
}

#[test]
fn a_program_set_the_device_cannot_parse_leaves_the_programs_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_the_program(dir.path());
    let mut app = enrol(&server, &dir.path().join("app"));
    let (report, _) = sync(&mut app);
    let good = report.programs.unwrap();

    // The same files with one this build cannot read (as a program written for a later app).
    let mut files = good.files.clone();
    files.push(outpost_shared::sync::message::ProgramFile {
        name: "later.toml".into(),
        text: "id = \"later\"\nunknown_table_of_a_later_app = 1\n".into(),
    });
    let unreadable = outpost_shared::sync::message::ProgramSet::new(files).unwrap();
    assert!(!app.apply_programs(Some(&unreadable)).unwrap());
    assert!(knows_program(&app), "the set held is kept");
    // And kept in the device file: a restart still has the good set.
    drop(app);
    let mut app = AppCore::open(dir.path().join("app"), Arc::new(SystemClock)).unwrap();
    app.unlock(PIN).unwrap();
    assert!(knows_program(&app));
    assert!(!app.apply_programs(Some(&good)).unwrap(), "already held");
}

#[test]
fn a_preset_the_server_defines_too_is_the_servers_on_the_device() {
    let dir = tempfile::tempdir().unwrap();
    // The server's W1 file, edited since this app was built: same id, another name.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/programs/w1-close-contact-whereabouts.toml");
    let text = std::fs::read_to_string(shipped).unwrap();
    let old_name = "name = { zh = \"密接、次密接人员去向核查\"";
    assert!(text.contains(old_name));
    let edited = dir.path().join("w1-close-contact-whereabouts.toml");
    std::fs::write(
        &edited,
        text.replacen(old_name, "name = { zh = \"密接去向核查（新版）\"", 1),
    )
    .unwrap();
    let server = Server::start_with_programs(&dir.path().join("server"), &[&edited]);
    let code = server.enrolment("nansha-w", "worker", "440115001");
    let mut app = AppCore::open(dir.path().join("app"), Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "镇街手机".into(),
        pin: PIN.into(),
    })
    .unwrap();
    let name = |app: &AppCore| {
        app.status()
            .programs
            .iter()
            .filter(|p| p.id == outpost_e2e::in_process::W1)
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(name(&app), ["密接、次密接人员去向核查"], "the preset");
    sync(&mut app);
    assert_eq!(name(&app), ["密接去向核查（新版）"], "the server's, once");
}

/// The offline console filters the program's persons by its declared statuses, with the right
/// counts (the derived rows keep only the task status, so the records are folded first).
#[test]
fn the_offline_console_filters_by_the_programs_own_statuses() {
    use outpost_shared::console::people::Filter;
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_with_the_program(dir.path());
    let mut app = enrol(&server, &dir.path().join("app"));
    sync(&mut app);
    server.halt();
    let (_, guangdong) = persons(&app)
        .into_iter()
        .find(|(origin, _)| origin == "guangdong")
        .unwrap();
    app.step(&StepInput {
        record_id: guangdong.record_id.clone(),
        action: "start_home_isolation".into(),
        outcome: Vec::new(),
        inputs: [("seal_intact".to_owned(), "true".to_owned())].into(),
        note: None,
    })
    .unwrap();
    let results = |status: &str| {
        app.console_results(&Filter {
            program: PROGRAM.into(),
            status: Some(status.into()),
            ..Filter::default()
        })
        .unwrap()
    };
    let isolated = results("home_isolation");
    assert_eq!((isolated.total, isolated.rows.len()), (1, 1));
    assert_eq!(isolated.rows[0].id, guangdong.record_id);
    assert_eq!(isolated.rows[0].status_label.zh, "居家隔离中");
    let pending = results("unclaimed");
    assert_eq!((pending.total, pending.rows.len()), (1, 1));
    assert_eq!(pending.rows[0].status_label.zh, "待处置");
    assert_eq!(results("claimed").total, 0);
    assert_eq!(results("released").total, 0);
}

/// Two workers take different steps on one person offline: after both sync, each device keeps
/// the earlier step and shows the review in the program's words, not its codes.
#[test]
fn different_steps_taken_offline_on_two_devices_are_kept_for_review_in_the_programs_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = server_with_the_program(dir.path());
    let mut first = enrol_as(&server, &dir.path().join("a"), "jinsha-w");
    let mut second = enrol_as(&server, &dir.path().join("b"), "jinsha-w2");
    sync(&mut first);
    sync(&mut second);
    server.halt();
    let (_, person) = persons(&first)
        .into_iter()
        .find(|(origin, _)| origin == "guangdong")
        .unwrap();
    let id = person.record_id.clone();
    let step = |action: &str, inputs: &[(&str, &str)]| StepInput {
        record_id: id.clone(),
        action: action.into(),
        outcome: Vec::new(),
        inputs: inputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        note: None,
    };
    first
        .step(&step("start_home_isolation", &[("seal_intact", "true")]))
        .unwrap();
    second
        .step(&step("send_to_central", &[("isolation_site", "南沙酒店")]))
        .unwrap();
    server.run();
    for round in 0..3 {
        let app = if round == 1 { &mut second } else { &mut first };
        let (report, _) = sync(app);
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    }
    for app in [&first, &second] {
        let detail = app.person(&id).unwrap();
        assert_eq!(detail.status_label, "居家隔离中", "the earlier step stands");
        assert_eq!(detail.reviews.len(), 1, "{:?}", detail.reviews);
        let reason = &detail.reviews[0].reason;
        assert!(
            reason.contains("居家隔离中") && reason.contains("集中隔离中"),
            "{reason}"
        );
        assert!(!reason.contains("home_isolation"), "{reason}");
    }
}
