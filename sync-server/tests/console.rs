//! The supervisor console's API through a real server on loopback: who sees what (a town user
//! their town, a district user and the administrator all, nobody without signing in), the
//! results filters and masking, the export re-read with calamine, the alert feed when a
//! deadline passes on the injected clock, a task's flow and the devices' sync health. The
//! access and alert tests also run on PostgreSQL when `OUTPOST_TEST_POSTGRES` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_fixture;

use calamine::{Data, Reader, Xlsx};
use console_fixture::{
    FieldDevice, Fixture, MIN, NANSHA, TOKEN, W1, ZHUJIANG, ledgers, list, runtime,
};
use serde_json::Value;

/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;

fn get(fixture: &Fixture, token: Option<&str>, path: &str) -> reqwest::blocking::Response {
    let mut request = fixture.client.get(format!("{}{path}", fixture.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().unwrap()
}

fn json(fixture: &Fixture, token: &str, path: &str) -> Value {
    let response = get(fixture, Some(token), path);
    assert_eq!(response.status(), 200, "{path}");
    response.json().unwrap()
}

fn units(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unit"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn requests_without_a_console_session_get_401_and_nothing() {
    let runtime = runtime();
    let mut fixture = Fixture::start(&runtime, T0, None);
    fixture.import(list(2, 1));
    for path in [
        "/console/api/me",
        &format!("/console/api/results?program={W1}"),
        &format!("/console/api/results.xlsx?program={W1}"),
        &format!("/console/api/towns?program={W1}"),
        "/console/api/alerts",
        "/console/api/devices",
        "/console/api/batches",
    ] {
        for token in [
            None,
            Some("console-0000"),
            Some("not-the-admin-token-at-all"),
        ] {
            let response = get(&fixture, token, path);
            assert_eq!(response.status(), 401, "{path}");
            let body = response.text().unwrap();
            assert!(
                body.contains("unauthorized") && !body.contains("440115"),
                "{body}"
            );
        }
    }
    // A used or unknown code opens no session.
    let code = fixture.code("nansha-worker");
    let sign_in = |code: &str| {
        fixture
            .client
            .post(format!("{}/console/api/session", fixture.url))
            .json(&serde_json::json!({ "code": code }))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(sign_in(&code), 201);
    assert_eq!(sign_in(&code), 401, "a code works once");
    assert_eq!(sign_in("ABCD-EFGH"), 401);
    fixture.stop(&runtime);
}

#[test]
fn a_console_session_survives_a_restart_of_the_server_until_signed_out() {
    for ledger in ledgers("sessions") {
        sessions_across_a_restart(ledger);
    }
}

fn sessions_across_a_restart(ledger: Option<String>) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let database = ledger.unwrap_or_else(|| dir.path().join("ledger.db").display().to_string());
    let mut fixture = Fixture::start_on(&runtime, T0, None, Some(database.clone()));
    let town = fixture.console_session("nansha-worker");
    let district = fixture.console_session("district-lead");
    assert_eq!(
        json(&fixture, &town, "/console/api/me")["viewer"]["unit"],
        "440115001"
    );
    fixture.stop(&runtime);

    // The same sessions after a restart on the same ledger, for the same people.
    let mut fixture = Fixture::start_on(&runtime, T0 + 60_000, None, Some(database.clone()));
    assert_eq!(
        json(&fixture, &town, "/console/api/me")["viewer"]["unit"],
        "440115001"
    );
    assert_eq!(
        json(&fixture, &district, "/console/api/me")["viewer"]["user_id"],
        "district-lead"
    );
    let signed_out = fixture
        .client
        .delete(format!("{}/console/api/session", fixture.url))
        .bearer_auth(&town)
        .send()
        .unwrap();
    assert_eq!(signed_out.status(), 204);
    assert_eq!(get(&fixture, Some(&town), "/console/api/me").status(), 401);
    fixture.stop(&runtime);

    // Signed out stays signed out across the next restart; a session ends after its hours.
    let mut fixture = Fixture::start_on(&runtime, T0 + 120_000, None, Some(database.clone()));
    assert_eq!(get(&fixture, Some(&town), "/console/api/me").status(), 401);
    assert_eq!(
        get(&fixture, Some(&district), "/console/api/me").status(),
        200
    );
    fixture.stop(&runtime);
    let fixture = Fixture::start_on(&runtime, T0 + 13 * 3_600_000, None, Some(database));
    assert_eq!(
        get(&fixture, Some(&district), "/console/api/me").status(),
        401
    );
}

#[test]
fn a_town_user_sees_only_their_town_and_a_district_user_sees_every_town() {
    for ledger in ledgers("access") {
        town_and_district_views(ledger);
    }
}

fn town_and_district_views(ledger: Option<String>) {
    let runtime = runtime();
    let mut fixture = Fixture::start_on(&runtime, T0, None, ledger);
    fixture.import(list(3, 2));
    let town = fixture.console_session("nansha-worker");
    let district = fixture.console_session("district-lead");
    let results = format!("/console/api/results?program={W1}");

    let mine = json(&fixture, &town, &results);
    assert_eq!(mine["total"], 3);
    assert!(units(&mine).iter().all(|u| u == NANSHA));
    let all = json(&fixture, &district, &results);
    assert_eq!(all["total"], 5);
    assert_eq!(
        json(&fixture, TOKEN, &results)["total"],
        5,
        "the admin token sees all"
    );
    // Asking for another town's persons gives none, not theirs.
    let other = json(&fixture, &town, &format!("{results}&unit={ZHUJIANG}"));
    assert_eq!(other["total"], 0);

    // A person and a task of the other town are not found for the town user.
    let zhujiang_row = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == ZHUJIANG)
        .unwrap()
        .clone();
    let person = format!(
        "/console/api/people/{}",
        zhujiang_row["id"].as_str().unwrap()
    );
    assert_eq!(get(&fixture, Some(&town), &person).status(), 404);
    assert_eq!(get(&fixture, Some(&district), &person).status(), 200);
    let task = zhujiang_row["task"].as_str().unwrap();
    let flow = format!("/console/api/flow?task={}", urlencode(task));
    assert_eq!(get(&fixture, Some(&town), &flow).status(), 404);
    assert_eq!(get(&fixture, Some(&district), &flow).status(), 200);

    // Counts per town: the town user gets their town only.
    let towns = json(&fixture, &town, &format!("/console/api/towns?program={W1}"));
    let towns = towns.as_array().unwrap();
    assert_eq!(towns.len(), 1);
    assert_eq!(towns[0]["unit"], NANSHA);
    assert_eq!(towns[0]["unclaimed"], 3);
    let every = json(
        &fixture,
        &district,
        &format!("/console/api/towns?program={W1}"),
    );
    let zhujiang = every
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["unit"] == ZHUJIANG)
        .unwrap();
    assert_eq!(zhujiang["total"], 2);
    assert!(
        every.as_array().unwrap().len() > 2,
        "towns without persons are listed too"
    );

    // Devices: the town user sees their town's devices only.
    let mut nansha = FieldDevice::enrol(&fixture, "nansha-worker");
    let mut zhujiang = FieldDevice::enrol(&fixture, "zhujiang-worker");
    nansha.sync(T0 + MIN);
    zhujiang.sync(T0 + MIN);
    let devices = json(&fixture, &town, "/console/api/devices");
    assert_eq!(devices.as_array().unwrap().len(), 1);
    assert_eq!(devices[0]["user"], "nansha-worker");
    assert_eq!(
        json(&fixture, &district, "/console/api/devices")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    fixture.stop(&runtime);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn results_filter_by_status_town_outcome_and_search_with_masked_lists_and_full_detail() {
    let runtime = runtime();
    let mut fixture = Fixture::start(&runtime, T0, None);
    let batch = fixture.import(list(4, 2))["batch"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut worker = FieldDevice::enrol(&fixture, "nansha-worker");
    worker.sync(T0 + MIN);
    assert_eq!(worker.answer(2, T0 + 2 * MIN, Some("住在=SUM(A1)")), 2);
    worker.sync(T0 + 3 * MIN);
    let district = fixture.console_session("district-lead");
    let base = format!("/console/api/results?program={W1}&batch={batch}");

    let answered = json(&fixture, &district, &format!("{base}&status=answered"));
    assert_eq!(answered["total"], 2);
    let row = &answered["rows"][0];
    assert_eq!(row["status_label"]["zh"], "已反馈");
    assert_eq!(row["outcome_codes"][1], "home_quarantine");
    assert_eq!(row["outcome"][1]["zh"], "居家隔离");
    assert!(row["claimed_ms"].as_i64().is_some() && row["answered_ms"].as_i64().is_some());
    assert_eq!(
        json(&fixture, &district, &format!("{base}&status=unclaimed"))["total"],
        4
    );
    assert_eq!(
        json(&fixture, &district, &format!("{base}&outcome=in_district"))["total"],
        2
    );
    assert_eq!(
        json(
            &fixture,
            &district,
            &format!("{base}&outcome=not_in_district")
        )["total"],
        0
    );
    assert_eq!(
        json(&fixture, &district, &format!("{base}&unit={ZHUJIANG}"))["total"],
        2
    );
    let other_batch = format!("/console/api/results?program={W1}&batch=000");
    assert_eq!(json(&fixture, &district, &other_batch)["total"], 0);
    // Completion over time: none answered at the first dispatch, two by now.
    let progress = json(
        &fixture,
        &district,
        &format!("/console/api/progress?program={W1}"),
    );
    let points = progress.as_array().unwrap();
    assert_eq!(points.len(), 25);
    assert_eq!(
        (
            points[0]["dispatched"].as_u64(),
            points[0]["answered"].as_u64()
        ),
        (Some(6), Some(0))
    );
    assert_eq!(points[24]["answered"], 2);
    let town = fixture.console_session("zhujiang-worker");
    let theirs = json(
        &fixture,
        &town,
        &format!("/console/api/progress?program={W1}"),
    );
    assert_eq!(
        (
            theirs[24]["dispatched"].as_u64(),
            theirs[24]["answered"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let paged = json(&fixture, &district, &format!("{base}&offset=4&limit=4"));
    assert_eq!(
        (
            paged["total"].as_u64(),
            paged["rows"].as_array().unwrap().len()
        ),
        (Some(6), 2)
    );

    // Lists are masked; a search by the full name still finds the person.
    let people = outpost_shared::demo::people(7, 4, &["440115001"]);
    let target = &people[1];
    let found = json(
        &fixture,
        &district,
        &format!("{base}&search={}", urlencode(&target.name)),
    );
    assert_eq!(found["total"], 1);
    let fields = &found["rows"][0]["fields"];
    assert_eq!(
        fields["name"],
        outpost_shared::identity::mask_name(&target.name)
    );
    assert_eq!(
        fields["phone"],
        outpost_shared::identity::mask_phone(&target.phone)
    );
    assert_ne!(fields["id_number"], target.id_number.as_str());
    let tail = &target.phone[target.phone.len() - 4..];
    assert!(
        json(&fixture, &district, &format!("{base}&search={tail}"))["total"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let body = get(&fixture, Some(&district), &base).text().unwrap();
    assert!(
        people
            .iter()
            .all(|p| !body.contains(&p.name) && !body.contains(&p.phone))
    );

    // The detail shows everything to a leader, and the events with who did them.
    let id = found["rows"][0]["id"].as_str().unwrap();
    let detail = json(&fixture, &district, &format!("/console/api/people/{id}"));
    assert_eq!(detail["masked"], false);
    assert_eq!(detail["person"]["fields"]["name"], target.name.as_str());
    assert_eq!(detail["person"]["fields"]["phone"], target.phone.as_str());
    assert_eq!(detail["events"][0]["kind"], "dispatched");
    fixture.stop(&runtime);
}

#[test]
fn the_export_holds_the_filtered_rows_as_masked_text_that_never_runs_as_a_formula() {
    let runtime = runtime();
    let mut fixture = Fixture::start(&runtime, T0, None);
    fixture.import(list(3, 2));
    let mut worker = FieldDevice::enrol(&fixture, "nansha-worker");
    worker.sync(T0 + MIN);
    worker.answer(3, T0 + 2 * MIN, Some("=HYPERLINK(\"http://x\")"));
    worker.sync(T0 + 3 * MIN);
    let district = fixture.console_session("district-lead");
    let response = get(
        &fixture,
        Some(&district),
        &format!("/console/api/results.xlsx?program={W1}&unit={NANSHA}"),
    );
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let bytes = response.bytes().unwrap().to_vec();
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 4, "a header and the three persons of 南沙街道");
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &rows[1..] {
        assert_eq!(row[col("所属镇街")], "南沙街道");
        assert_eq!(row[col("状态")], "已反馈");
        assert!(row[col("核查结果")].contains("居家隔离"));
        assert!(
            row[col("姓名")].contains('*'),
            "names are masked as on screen"
        );
    }
    // Cells that look like formulas are strings, and no cell holds a formula.
    assert!(range.rows().flatten().all(|c| !matches!(c, Data::Error(_))));
    assert!(rows.iter().any(|r| r[col("关联病例")].starts_with('=')));
    assert!(
        rows.iter()
            .any(|r| r[col("备注")] == "=HYPERLINK(\"http://x\")")
    );
    let formulas = workbook.worksheet_formula(&sheet).unwrap();
    assert!(formulas.rows().flatten().all(|f| f.is_empty()));
    fixture.stop(&runtime);
}

#[test]
fn an_alert_appears_in_the_feed_when_the_claim_deadline_passes_and_its_resolution_follows() {
    for ledger in ledgers("alerts") {
        alert_feed_and_flow(ledger);
    }
}

fn alert_feed_and_flow(ledger: Option<String>) {
    let runtime = runtime();
    let mut fixture = Fixture::start_on(&runtime, T0, None, ledger);
    fixture.import(list(2, 1));
    let town = fixture.console_session("nansha-leader");
    let district = fixture.console_session("district-lead");
    let feed = json(&fixture, &town, "/console/api/alerts");
    assert!(feed["items"].as_array().unwrap().is_empty());
    let cursor = feed["cursor_ms"].as_i64().unwrap();

    // 10 minutes without a claim: the town leader's alert, for both towns.
    fixture.advance(10 * MIN + 1_000);
    let feed = json(
        &fixture,
        &town,
        &format!("/console/api/alerts?since_ms={cursor}"),
    );
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{feed}");
    assert_eq!(items[0]["kind"], "alert_raised");
    assert_eq!(items[0]["unit_name"]["zh"], "南沙街道");
    assert!(
        items[0]["detail"]["zh"]
            .as_str()
            .unwrap()
            .contains("认领时限")
    );
    assert_eq!(
        json(&fixture, &district, "/console/api/alerts")["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let towns = json(&fixture, &town, &format!("/console/api/towns?program={W1}"));
    assert_eq!(towns[0]["overdue"], 2, "both persons wait for a claim");

    // The worker claims; the alert is resolved and the feed says so, newest first.
    let cursor = feed["cursor_ms"].as_i64().unwrap();
    fixture.advance(MIN);
    let mut worker = FieldDevice::enrol(&fixture, "nansha-worker");
    worker.sync(fixture.now_ms());
    for person in worker.persons() {
        worker.act(
            &person.id,
            fixture.now_ms(),
            outpost_shared::record::Action::Claimed,
        );
    }
    worker.sync(fixture.now_ms());
    fixture.advance(1_000);
    let feed = json(
        &fixture,
        &town,
        &format!("/console/api/alerts?since_ms={cursor}"),
    );
    let kinds: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"alert_resolved"), "{feed}");
    assert_eq!(
        json(&fixture, &town, &format!("/console/api/towns?program={W1}"))[0]["overdue"],
        0
    );

    // The task's flow: dispatched, claimed by the worker, the alert raised and resolved.
    let task = json(&fixture, &town, &format!("/console/api/tasks?program={W1}"))[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let flow = json(
        &fixture,
        &town,
        &format!("/console/api/flow?task={}", urlencode(&task)),
    );
    let kinds: Vec<&str> = flow["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "dispatched",
            "dispatched",
            "alert_raised",
            "claimed",
            "claimed",
            "alert_resolved"
        ]
    );
    let claimed = flow["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "claimed")
        .unwrap();
    assert_eq!(claimed["by"], "nansha-worker 用户");
    assert!(claimed["person"].as_str().unwrap().contains('*'));

    // Sync health: the worker's device, when it last synced and what it had waiting then —
    // the two claims, as the device reported them at the start of that sync.
    let devices = json(&fixture, &town, "/console/api/devices");
    assert!(devices[0]["last_sync_ms"].as_i64().is_some());
    assert_eq!(devices[0]["waiting_records"], 2);
    assert!(devices[0]["oldest_unsent_age_ms"].as_i64().is_some());
    worker.sync(fixture.now_ms());
    let devices = json(&fixture, &town, "/console/api/devices");
    assert_eq!(devices[0]["waiting_records"], 0);
    assert!(devices[0]["oldest_unsent_age_ms"].is_null());
    fixture.stop(&runtime);
}

#[test]
fn the_console_page_is_served_from_the_built_folder_and_a_missing_build_says_what_to_do() {
    let runtime = runtime();
    let mut missing = Fixture::start(&runtime, T0, None);
    let response = get(&missing, None, "/console/");
    assert_eq!(response.status(), 503);
    assert!(response.text().unwrap().contains("npm run build"));
    missing.stop(&runtime);

    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dist.path().join("console")).unwrap();
    std::fs::write(dist.path().join("console.html"), "<title>控制台</title>").unwrap();
    std::fs::write(dist.path().join("console/main.js"), "export {};").unwrap();
    let mut fixture = Fixture::start(&runtime, T0, Some(dist.path().to_owned()));
    let page = get(&fixture, None, "/console/");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let script = get(&fixture, None, "/console/console/main.js");
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(
        get(&fixture, None, "/console/..%2F..%2Fetc%2Fpasswd").status(),
        404
    );
    assert_eq!(get(&fixture, None, "/console/missing.js").status(), 404);
    fixture.stop(&runtime);
}
