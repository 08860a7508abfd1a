//! The console's administration through a real server on loopback: only the administrator may
//! use it (a town or district user gets 403, nobody signed in 401); the jurisdiction tree is
//! browsed and searched; bad deadline and notification settings are refused with Chinese
//! messages; an edited deadline moves the alert the engine raises, an edited step's recipients
//! and a route added in the console change what the loopback receivers get — without a restart —
//! and every change is still in force after one. The restart test also runs on PostgreSQL when
//! `OUTPOST_TEST_POSTGRES` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_fixture;
#[allow(dead_code)]
mod support;

use std::time::Duration;

use console_fixture::{Fixture, MIN, TOKEN, W1, ledgers, list, runtime};
use serde_json::{Value, json};

/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;

fn send(
    fixture: &Fixture,
    method: reqwest::Method,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> reqwest::blocking::Response {
    let mut request = fixture
        .client
        .request(method, format!("{}{path}", fixture.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().unwrap()
}

fn get(fixture: &Fixture, path: &str) -> Value {
    let response = send(fixture, reqwest::Method::GET, Some(TOKEN), path, None);
    assert_eq!(response.status(), 200, "{path}");
    response.json().unwrap()
}

fn put(fixture: &Fixture, path: &str, body: Value) -> Value {
    let response = send(fixture, reqwest::Method::PUT, Some(TOKEN), path, Some(body));
    let status = response.status();
    let answer: Value = response.json().unwrap();
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

/// The refusal of a PUT: (status, Chinese message).
fn refused(fixture: &Fixture, path: &str, body: Value) -> (u16, String) {
    let response = send(fixture, reqwest::Method::PUT, Some(TOKEN), path, Some(body));
    let status = response.status().as_u16();
    let answer: Value = response.json().unwrap();
    (
        status,
        answer["message_zh"].as_str().unwrap_or("").to_owned(),
    )
}

fn w1_settings(fixture: &Fixture) -> Value {
    let programs = get(fixture, "/console/api/admin/programs");
    let w1 = programs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == W1)
        .unwrap()
        .clone();
    let rules: Vec<Value> = w1["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["current"].clone())
        .collect();
    json!({ "rules": rules })
}

fn deadlines_path() -> String {
    format!("/console/api/admin/programs/{W1}/deadlines")
}

/// The claim alerts the administrator's feed shows.
fn claim_alerts(fixture: &Fixture) -> usize {
    get(fixture, "/console/api/alerts")["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["kind"] == "alert_raised" && i["detail"]["zh"].as_str().unwrap().contains("认领时限")
        })
        .count()
}

#[test]
fn administration_is_for_the_administrator_only() {
    let runtime = runtime();
    let fixture = Fixture::start(&runtime, T0, None);
    let town = fixture.console_session("nansha-worker");
    let district = fixture.console_session("district-lead");
    let calls: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (
            reqwest::Method::GET,
            "/console/api/admin/jurisdictions".into(),
            None,
        ),
        (
            reqwest::Method::GET,
            "/console/api/admin/notifications".into(),
            None,
        ),
        (
            reqwest::Method::PUT,
            "/console/api/admin/notifications".into(),
            Some(json!({"channels": [], "routes": []})),
        ),
        (
            reqwest::Method::GET,
            "/console/api/admin/programs".into(),
            None,
        ),
        (
            reqwest::Method::PUT,
            deadlines_path(),
            Some(json!({"rules": []})),
        ),
        (reqwest::Method::DELETE, deadlines_path(), None),
        (
            reqwest::Method::POST,
            "/console/api/admin/jurisdictions".into(),
            Some(json!({"code": "440115106", "name": "新港镇", "name_en": "Xingang Town"})),
        ),
        (
            reqwest::Method::PUT,
            "/console/api/admin/jurisdictions/440115106".into(),
            Some(json!({"name": "新港镇", "name_en": "Xingang", "aliases": ["新港"]})),
        ),
        (
            reqwest::Method::DELETE,
            "/console/api/admin/jurisdictions/440115106".into(),
            None,
        ),
    ];
    for (method, path, body) in calls {
        let anonymous = send(&fixture, method.clone(), None, &path, body.clone());
        assert_eq!(anonymous.status(), 401, "{method} {path} without a session");
        for (who, token) in [("town", &town), ("district", &district)] {
            let response = send(&fixture, method.clone(), Some(token), &path, body.clone());
            assert_eq!(response.status(), 403, "{method} {path} as the {who} user");
            let answer: Value = response.json().unwrap();
            assert_eq!(answer["message_zh"], "只有管理员可以查看和修改管理设置");
        }
        let admin = send(&fixture, method.clone(), Some(TOKEN), &path, body);
        assert_eq!(admin.status(), 200, "{method} {path} as the administrator");
    }
}

#[test]
fn the_jurisdiction_tree_is_browsed_and_searched_by_code_name_and_alias() {
    let runtime = runtime();
    let fixture = Fixture::start(&runtime, T0, None);
    let all = get(&fixture, "/console/api/admin/jurisdictions");
    let units = all["units"].as_array().unwrap();
    assert_eq!(all["total"].as_u64().unwrap() as usize, units.len());
    let nansha = units.iter().find(|u| u["code"] == "440115001").unwrap();
    assert_eq!(nansha["name"]["zh"], "南沙街道");
    assert_eq!(nansha["parent"], "440115");
    assert_eq!(nansha["level"]["zh"], "镇街");
    assert!(
        nansha["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("南沙街"))
    );

    let codes = |answer: &Value| -> Vec<(String, bool)> {
        answer["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["code"].as_str().unwrap().to_owned(),
                    u["matched"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    // By alias: the town and, unmatched, the district above it.
    let by_alias = get(&fixture, "/console/api/admin/jurisdictions?search=南沙街");
    assert!(codes(&by_alias).contains(&("440115001".into(), true)));
    assert!(codes(&by_alias).contains(&("440115".into(), false)));
    // By code and by English name.
    let by_code = get(
        &fixture,
        "/console/api/admin/jurisdictions?search=440115002",
    );
    assert_eq!(by_code["matches"], 1);
    let by_english = get(&fixture, "/console/api/admin/jurisdictions?search=jinsha");
    assert!(codes(&by_english).contains(&("440115001001".into(), true)));
    let nothing = get(&fixture, "/console/api/admin/jurisdictions?search=火星");
    assert_eq!(nothing["matches"], 0);
    assert!(nothing["units"].as_array().unwrap().is_empty());
}

#[test]
fn bad_settings_are_refused_with_messages_in_chinese() {
    let runtime = runtime();
    let fixture = Fixture::start(&runtime, T0, None);
    let mut settings = w1_settings(&fixture);
    settings["rules"][0]["steps"][1]["after"] = json!("5m");
    assert_eq!(
        refused(&fixture, &deadlines_path(), settings),
        (400, "认领时限 第 2 步：须晚于上一步（10m）".into())
    );
    let mut settings = w1_settings(&fixture);
    settings["rules"][1]["steps"][0]["after"] = json!("两小时");
    let (status, message) = refused(&fixture, &deadlines_path(), settings);
    assert_eq!(status, 400);
    assert!(
        message.starts_with("反馈时限 第 1 步：在 `两` 处应为数字"),
        "{message}"
    );
    let (status, _) = refused(&fixture, &deadlines_path(), json!({"rules": "no"}));
    assert_eq!(status, 400);
    let (status, _) = refused(
        &fixture,
        "/console/api/admin/programs/no-such-program/deadlines",
        json!({"rules": []}),
    );
    assert_eq!(status, 404);

    let path = "/console/api/admin/notifications";
    let hook = |id: &str, secret: Option<&str>| json!({"id": id, "kind": "webhook", "url": "https://sms.example/adapter", "secret": secret});
    let cases = [
        (
            json!({"channels": [hook("sms-adapter", None)]}),
            "渠道 sms-adapter：Webhook 须填写签名密钥",
        ),
        (
            json!({"channels": [hook("SMS", Some("s"))]}),
            "渠道编号须为 1 到 40 个小写字母、数字、- 或 _",
        ),
        (
            json!({"channels": [{"id": "mail", "kind": "smtp", "url": "https://x.example"}]}),
            "渠道 mail：请填写邮件服务器、发件人和收件人",
        ),
        (
            json!({"channels": [{"id": "pager", "kind": "pager", "url": "https://x.example"}]}),
            "渠道类型须为 Webhook、企业微信、钉钉、飞书或邮件",
        ),
        (
            json!({"channels": [{"id": "a", "kind": "webhook", "url": "ftp://x", "secret": "s"}]}),
            "渠道 a：推送地址须是以 https:// 开头的完整网址",
        ),
        (
            json!({"routes": [{"unit": "440199", "recipient": "town_leader", "channels": ["x"]}]}),
            "没有行政区划代码为 440199 的单位",
        ),
        (
            json!({"routes": [{"unit": "440115001", "recipient": "mayor", "channels": ["x"]}]}),
            "未知的通知对象 mayor",
        ),
        (
            json!({"routes": [{"unit": "440115001", "recipient": "town_leader", "channels": ["x"]}]}),
            "没有渠道 x",
        ),
        (
            json!({"channels": [{"id": "w", "kind": "wecom", "url": "https://qyapi.example/send"}]}),
            "推送设置无效：渠道 w 的推送地址不符合该类型（请复制机器人设置中显示的完整地址）",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            refused(&fixture, path, body.clone()),
            (400, message.into()),
            "{body}"
        );
    }
    // Nothing was stored by the refusals.
    let shown = get(&fixture, path);
    assert!(shown["channels"].as_array().unwrap().is_empty(), "{shown}");
}

#[test]
fn an_edited_deadline_moves_the_alert_and_survives_a_restart() {
    for ledger in ledgers("admin_deadlines") {
        edited_deadline(ledger);
    }
}

fn edited_deadline(ledger: Option<String>) {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let database = ledger.unwrap_or_else(|| dir.path().join("ledger.db").display().to_string());
    let mut fixture = Fixture::start_on(&runtime, T0, None, Some(database.clone()));

    // The claim deadline goes from 10 to 20 minutes (the district's step from 30 to 40).
    let mut settings = w1_settings(&fixture);
    settings["rules"][0]["steps"][0]["after"] = json!("20m");
    settings["rules"][0]["steps"][1]["after"] = json!("40m");
    let saved = put(&fixture, &deadlines_path(), settings);
    let w1 = saved.clone();
    assert_eq!(w1["customised"], true);
    assert_eq!(w1["updated_by"], "admin");
    assert_eq!(w1["rules"][0]["current"]["steps"][0]["after"], "20m");
    assert_eq!(w1["rules"][0]["default"]["steps"][0]["after"], "10m");

    // A task dispatched after the change: nothing at 15 minutes, the alert after 20.
    fixture.import(list(2, 0));
    fixture.advance(15 * MIN);
    assert_eq!(
        claim_alerts(&fixture),
        0,
        "the old 10-minute step must not fire"
    );
    fixture.advance(5 * MIN + 1_000);
    assert_eq!(claim_alerts(&fixture), 1);
    fixture.stop(&runtime);

    // After a restart on the same ledger the setting is still in force and shown.
    let fixture = Fixture::start_on(&runtime, T0 + 60 * MIN, None, Some(database));
    let programs = get(&fixture, "/console/api/admin/programs");
    let w1 = programs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == W1)
        .unwrap();
    assert_eq!(w1["customised"], true);
    assert_eq!(w1["rules"][0]["current"]["steps"][0]["after"], "20m");
    assert_eq!(w1["rules"][0]["current"]["steps"][1]["after"], "40m");
    // A reset returns to the program file.
    let reset = send(
        &fixture,
        reqwest::Method::DELETE,
        Some(TOKEN),
        &deadlines_path(),
        None,
    );
    assert_eq!(reset.status(), 200);
    let w1: Value = reset.json().unwrap();
    assert_eq!(w1["customised"], false);
    assert_eq!(w1["rules"][0]["current"]["steps"][0]["after"], "10m");
}

#[test]
fn recipients_and_routes_changed_in_the_console_change_what_is_delivered() {
    let runtime = runtime();
    let receiver = support::receiver::start(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ledger.db").display().to_string();
    let base = receiver.base.clone();
    let with_receiver = |config: &mut outpost_sync_server::config::Config| {
        config.notify = support::config(&base, "");
    };
    let mut fixture =
        Fixture::start_with(&runtime, T0, None, Some(database.clone()), with_receiver);
    let path = "/console/api/admin/notifications";

    // An SMS gateway's adapter as a signed webhook, routed to 南沙街道's town leader.
    let overlay = json!({
        "channels": [{
            "id": "sms-adapter",
            "kind": "webhook",
            "url": format!("{base}/hook"),
            "secret": support::receiver::WEBHOOK_SECRET,
        }],
        "routes": [{"unit": "440115001", "recipient": "town_leader", "channels": ["sms-adapter"]}],
    });
    let shown = put(&fixture, path, overlay);
    let text = shown.to_string();
    assert!(
        !text.contains(support::receiver::WEBHOOK_SECRET) && !text.contains("/hook"),
        "addresses and secrets are never answered: {text}"
    );
    let channel = shown["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sms-adapter")
        .unwrap();
    assert_eq!(channel["source"], "console");
    assert_eq!(channel["host"], "127.0.0.1");
    assert_eq!(channel["signed"], true);

    // Who the claim ladder reaches for a task at 南沙街道, on which channels.
    let reach = get(&fixture, &format!("{path}?unit=440115001"));
    let first = reach["reach"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["program"] == W1 && s["rule"] == "claim" && s["step"] == 1)
        .unwrap();
    let town_leader = first["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "town_leader")
        .unwrap();
    assert_eq!(
        town_leader["channels"],
        json!(["town-wecom", "sms-adapter"])
    );

    // The claim deadline's first step now notifies the town leader only (not the task force).
    let mut settings = w1_settings(&fixture);
    settings["rules"][0]["steps"][0]["notify"] = json!(["town_leader"]);
    put(&fixture, &deadlines_path(), settings);

    fixture.import(list(2, 0));
    fixture.advance(10 * MIN + 1_000);
    let town_leader_on_webhook = || {
        receiver
            .state
            .accepted()
            .iter()
            .filter(|r| {
                r.kind == "webhook"
                    && r.headers
                        .get("x-outpost-idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|k| k.ends_with(":town_leader"))
            })
            .count()
    };
    assert!(
        support::wait_until(Duration::from_secs(10), || town_leader_on_webhook() == 1),
        "the console's route delivers the town leader's alert to the SMS adapter"
    );
    assert!(
        support::wait_until(Duration::from_secs(10), || receiver.state.hits("wecom")
            == 1),
        "the file's route still works"
    );
    assert_eq!(
        receiver.state.hits("dingtalk"),
        0,
        "the task force is no longer notified at the first step"
    );
    fixture.stop(&runtime);

    // After a restart: the channel (with its saved secret) and the route are in force.
    let fixture = Fixture::start_with(&runtime, T0 + 60 * MIN, None, Some(database), with_receiver);
    let shown = get(&fixture, path);
    let console_routes: Vec<&Value> = shown["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "console")
        .collect();
    assert_eq!(console_routes.len(), 1, "{shown}");
    assert_eq!(console_routes[0]["channels"], json!(["sms-adapter"]));
    // Sent back without its address and secret (as the console does), the channel keeps them.
    let kept = put(
        &fixture,
        path,
        json!({
            "channels": [{"id": "sms-adapter", "kind": "webhook"}],
            "routes": [{"unit": "440115", "recipient": "district_leader", "channels": ["sms-adapter"]}],
        }),
    );
    assert_eq!(kept["routes"].as_array().unwrap().len(), 5, "{kept}");
}

#[test]
fn steps_already_counting_keep_their_due_times_and_new_tasks_take_the_change() {
    let runtime = runtime();
    let fixture = Fixture::start(&runtime, T0, None);
    // A task dispatched under the program file's 10 minutes.
    fixture.import(list(1, 0));
    fixture.advance(MIN);
    let mut settings = w1_settings(&fixture);
    settings["rules"][0]["steps"][0]["after"] = json!("20m");
    settings["rules"][0]["steps"][1]["after"] = json!("40m");
    put(&fixture, &deadlines_path(), settings);
    // A second task (another batch), dispatched after the change at T0 + 1 min.
    fixture.import(list(1, 0));

    fixture.advance(9 * MIN + 1_000);
    assert_eq!(
        claim_alerts(&fixture),
        1,
        "the first task's step was due at 10 min"
    );
    fixture.advance(10 * MIN);
    assert_eq!(
        claim_alerts(&fixture),
        1,
        "the second task's is due at 1 + 20 min"
    );
    fixture.advance(MIN);
    assert_eq!(claim_alerts(&fixture), 2);
}
