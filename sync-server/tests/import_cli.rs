//! `outpost-server import` as scripts use it, and the admin routes for lists: one JSON line,
//! the failure workbook with 异常信息, exit status, into a SQLite file, into PostgreSQL, and
//! through a running server; the template downloads and re-imports cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Reader, Xlsx};
use outpost_shared::demo::people;
use outpost_shared::record::RecordKind;
use outpost_sync_server::AnyStore;
use outpost_sync_server::config::{ConfigFile, Database};
use outpost_sync_server::store::Store;
use rust_xlsxwriter::{Format, Workbook};

const W1: &str = "w1-close-contact-whereabouts";
const TOKEN: &str = "import-test-admin-token-0123";

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_outpost-server"));
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    command.env("RUST_LOG", "warn");
    command
}

/// A W1 list as towns send it: a merged title row, headers with an alias and stray spaces,
/// five good rows over two towns (one town written without its suffix), an unknown town, an ID
/// that Excel turned into a number, and a duplicate.
fn w1_list(path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let title = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 5, "南沙区密接人员名单（11月23日）", &title)
        .unwrap();
    for (col, header) in [
        "姓名",
        " 电话 ",
        "身份证号码",
        "密接类型",
        "所属镇街",
        "住址",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, col as u16, *header).unwrap();
    }
    let persons = people(7, 8, &["440115001"]);
    let rows: Vec<[String; 6]> = vec![
        row(&persons[0], "南沙街道"),
        row(&persons[1], "南沙街"),
        row(&persons[2], "珠江街道"),
        row(&persons[3], "珠江街道"),
        row(&persons[4], "南沙街道"),
        row(&persons[5], "黄格"),
        row(&persons[0], "南沙街道"),
    ];
    for (i, cells) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        for (col, value) in cells.iter().enumerate() {
            sheet.write_string(r, col as u16, value).unwrap();
        }
    }
    // The ID column as a number: Excel keeps 15 significant digits.
    let r = 2 + rows.len() as u32;
    sheet.write_string(r, 0, &persons[6].name).unwrap();
    sheet.write_string(r, 1, &persons[6].phone).unwrap();
    sheet
        .write_number(
            r,
            2,
            persons[6].id_number[..17].parse::<f64>().unwrap() * 10.0,
        )
        .unwrap();
    sheet.write_string(r, 3, "密接").unwrap();
    sheet.write_string(r, 4, "南沙街道").unwrap();
    workbook.save(path).unwrap();
}

fn row(person: &outpost_shared::demo::DemoPerson, town: &str) -> [String; 6] {
    [
        person.name.clone(),
        person.phone.clone(),
        person.id_number.clone(),
        "密接".into(),
        town.into(),
        "南沙区某路 1 号".into(),
    ]
}

fn json_line(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {text}");
    serde_json::from_str(lines[0]).unwrap()
}

fn sheet_rows(path: &Path) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// Every entry of a workbook's drop-down lists: those written into its sheets' data validations
/// (which calamine does not read) and the cells of every sheet after the first (the hidden sheet
/// holding the lists too long to write inline).
fn drop_down_entries(bytes: &[u8]) -> Vec<String> {
    let mut entries = Vec::new();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        if !(name.starts_with("xl/worksheets/") && name.ends_with(".xml")) {
            continue;
        }
        let mut xml = String::new();
        file.read_to_string(&mut xml).unwrap();
        for formula in xml.split("<formula1>").skip(1) {
            let formula = formula.split("</formula1>").next().unwrap();
            let formula = formula.replace("&quot;", "\"");
            if let Some(list) = formula.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
                entries.extend(list.split(',').map(str::to_owned));
            }
        }
    }
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    for name in workbook.sheet_names().into_iter().skip(1) {
        let range = workbook.worksheet_range(&name).unwrap();
        entries.extend(range.cells().map(|(_, _, c)| c.to_string()));
    }
    entries.retain(|e| !e.is_empty());
    entries
}

fn persons_by_unit(store: &AnyStore) -> std::collections::BTreeMap<String, usize> {
    store
        .transaction(|tx| {
            let mut by_unit = std::collections::BTreeMap::new();
            for changed in tx.records_changed_since(0, 1_000_000)? {
                if changed.kind == RecordKind::Person {
                    let unit = tx
                        .record(&changed.id)?
                        .and_then(|r| r.unit)
                        .unwrap_or_default();
                    *by_unit.entry(unit).or_insert(0) += 1;
                }
            }
            Ok(by_unit)
        })
        .unwrap()
}

fn check_outcome(outcome: &serde_json::Value, failures: &Path) {
    assert_eq!(outcome["rows"], 8, "{outcome}");
    assert_eq!(outcome["imported"], 5, "{outcome}");
    assert_eq!(outcome["failed"], 3, "{outcome}");
    let batch = outcome["batch"].as_str().unwrap();
    assert_eq!(batch.len(), 18, "an 18-digit batch number: {batch}");
    let rows = sheet_rows(failures);
    assert_eq!(rows[0].last().unwrap(), "异常信息");
    assert_eq!(rows.len(), 4, "header + 3 failed rows: {rows:?}");
    let reasons: Vec<&String> = rows[1..].iter().map(|r| r.last().unwrap()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("黄阁镇")),
        "nearest town suggested: {reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("重复")),
        "duplicate reported: {reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("数字")),
        "numeric ID reported: {reasons:?}"
    );
}

#[test]
fn the_cli_imports_into_a_sqlite_ledger_and_writes_the_failure_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let (list, failures, ledger) = (
        dir.path().join("名单.xlsx"),
        dir.path().join("failures.xlsx"),
        dir.path().join("ledger.db"),
    );
    w1_list(&list);
    let output = binary()
        .args(["import", "--program", W1])
        .arg(&list)
        .arg("--failures")
        .arg(&failures)
        .arg("--database")
        .arg(&ledger)
        .args(["--within", "440115"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome = json_line(&output.stdout);
    check_outcome(&outcome, &failures);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("派发 / dispatching: 5/5"),
        "progress shown: {stderr}"
    );

    let store = AnyStore::open(&Database::Sqlite(ledger.clone()), 1).unwrap();
    let by_unit = persons_by_unit(&store);
    assert_eq!(by_unit.get("440115001"), Some(&3), "{by_unit:?}");
    assert_eq!(by_unit.get("440115002"), Some(&2), "{by_unit:?}");
    let batch = store
        .transaction(|tx| tx.batch(outcome["batch"].as_str().unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!((batch.rows, batch.imported, batch.failed), (8, 5, 3));
    assert_eq!(batch.creator, "admin");
    assert!(batch.failures.is_some());
}

#[test]
fn a_file_that_cannot_be_read_fails_the_command_and_bad_rows_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_list = dir.path().join("list.xlsx");
    std::fs::write(&not_a_list, "姓名,电话\n张三,13800000000\n").unwrap();
    let output = binary()
        .args(["import", "--program", W1])
        .arg(&not_a_list)
        .arg("--database")
        .arg(dir.path().join("ledger.db"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Excel") || stderr.contains("xlsx"),
        "{stderr}"
    );

    // A list whose every row fails still succeeds as a command.
    let all_bad = dir.path().join("bad.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["姓名", "手机号码", "身份证号码", "密接类型", "所属镇街"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (col, value) in ["张三", "123", "1234", "密接", "火星"].iter().enumerate() {
        sheet.write_string(1, col as u16, *value).unwrap();
    }
    workbook.save(&all_bad).unwrap();
    let failures = dir.path().join("failures.xlsx");
    let output = binary()
        .args(["import", "--program", W1])
        .arg(&all_bad)
        .arg("--failures")
        .arg(&failures)
        .arg("--database")
        .arg(dir.path().join("ledger.db"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome = json_line(&output.stdout);
    assert_eq!(
        (
            outcome["rows"].as_u64(),
            outcome["imported"].as_u64(),
            outcome["failed"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert!(failures.exists());
}

#[test]
fn the_cli_imports_into_postgresql() {
    let Ok(base) = std::env::var("OUTPOST_TEST_POSTGRES") else {
        assert!(
            std::env::var("CI").is_err(),
            "OUTPOST_TEST_POSTGRES is not set"
        );
        eprintln!("OUTPOST_TEST_POSTGRES not set: skipped (run scripts/test.sh)");
        return;
    };
    let mut admin =
        postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
    admin
        .batch_execute("DROP DATABASE IF EXISTS import_cli")
        .unwrap();
    admin.batch_execute("CREATE DATABASE import_cli").unwrap();
    let url = format!("{base}/import_cli");
    let dir = tempfile::tempdir().unwrap();
    let (list, failures) = (
        dir.path().join("list.xlsx"),
        dir.path().join("failures.xlsx"),
    );
    w1_list(&list);
    let output = binary()
        .args([
            "import",
            "--program",
            W1,
            "--database",
            &url,
            "--creator",
            "district-admin",
        ])
        .arg(&list)
        .arg("--failures")
        .arg(&failures)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_outcome(&json_line(&output.stdout), &failures);
    let store = AnyStore::open(&Database::Postgres(url), 2).unwrap();
    assert_eq!(persons_by_unit(&store).values().sum::<usize>(), 5);
}

struct Server {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = ConfigFile {
        database: Some(dir.path().join("ledger.db").display().to_string()),
        admin_token: Some(TOKEN.into()),
        assets: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
        ..Default::default()
    }
    .resolve()
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            outpost_sync_server::serve(listener, config, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    Server {
        url,
        stop: Some(stop),
        thread: Some(thread),
        _dir: dir,
    }
}

fn wait_for(url: &str) {
    for _ in 0..200 {
        if reqwest::blocking::get(format!("{url}/health")).is_ok_and(|r| r.status().is_success()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the server did not start");
}

#[test]
fn templates_download_and_lists_import_through_a_running_server() {
    let server = server();
    wait_for(&server.url);
    let client = reqwest::blocking::Client::new();
    let dir = tempfile::tempdir().unwrap();

    // The W2 template: headers of the program, the dispatch list of Siming's communities.
    let response = client
        .get(format!(
            "{}/admin/programs/w2-community-verification/template?within=350203",
            server.url
        ))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let template: PathBuf = dir.path().join("w2.xlsx");
    std::fs::write(&template, response.bytes().unwrap()).unwrap();
    let header = &sheet_rows(&template)[0];
    assert!(header.iter().any(|h| h.contains("社区")), "{header:?}");
    // The W1 template as the console's administrator downloads it, for no unit in particular:
    // the deployment's files hold Xiamen's units beside Nansha's, but W1 serves Nansha (its area),
    // so the town drop-down and the hint offer no Xiamen street (issue 17).
    let response = client
        .get(format!("{}/admin/programs/{W1}/template", server.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().unwrap();
    let entries = drop_down_entries(&bytes);
    // 思明区 and its streets (assets/jurisdictions/350203-siming.toml).
    let xiamen = |text: &str| {
        ["思明", "中华街道", "鹭江", "嘉莲", "厦港"]
            .iter()
            .any(|name| text.contains(name))
    };
    assert!(entries.iter().any(|e| e == "南沙街道"), "{entries:?}");
    assert!(!entries.iter().any(|e| xiamen(e)), "{entries:?}");
    let w1_template = dir.path().join("w1.xlsx");
    std::fs::write(&w1_template, &bytes).unwrap();
    let cells: Vec<String> = sheet_rows(&w1_template).concat();
    assert!(
        cells.iter().any(|c| c.contains("如：南沙街道")),
        "{cells:?}"
    );
    assert!(!cells.iter().any(|c| xiamen(c)), "{cells:?}");
    let unknown = client
        .get(format!("{}/admin/programs/w9/template", server.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let anonymous = client
        .get(format!("{}/admin/programs/{W1}/template", server.url))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // The CLI through the server.
    let (list, failures) = (
        dir.path().join("list.xlsx"),
        dir.path().join("failures.xlsx"),
    );
    w1_list(&list);
    let output = binary()
        .args([
            "import",
            "--program",
            W1,
            "--server",
            &server.url,
            "--within",
            "440115",
        ])
        .env("OUTPOST_ADMIN_TOKEN", TOKEN)
        .arg(&list)
        .arg("--failures")
        .arg(&failures)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome = json_line(&output.stdout);
    check_outcome(&outcome, &failures);
    let batches: serde_json::Value = client
        .get(format!("{}/admin/imports", server.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(batches[0]["batch"], outcome["batch"]);
    assert_eq!(batches[0]["file_name"], "list.xlsx");

    // Garbage is a 400 with a Chinese message.
    let refused = client
        .post(format!("{}/admin/imports?program={W1}", server.url))
        .bearer_auth(TOKEN)
        .body("not a workbook")
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().unwrap();
    assert!(!body["message_zh"].as_str().unwrap().is_empty());
}
