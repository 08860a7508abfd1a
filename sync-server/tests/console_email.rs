//! E-mail channels set up in the console (推送设置 · 邮件): an administrator adds a mail relay
//! with its sender and recipients and routes 南沙街道's town leader to it; bad settings are
//! refused with Chinese messages; the password is never answered and is kept when the channel
//! is sent back without it; and the claim alert of a task that nobody claims arrives as a mail
//! at a real SMTP receiver on loopback — without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_fixture;
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use console_fixture::{Fixture, MIN, TOKEN, list, runtime};
use serde_json::{Value, json};

/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;
const PATH: &str = "/console/api/admin/notifications";
const PASSWORD: &str = "relay-password-4711";

fn put(fixture: &Fixture, body: &Value) -> (u16, Value) {
    let response = fixture
        .client
        .put(format!("{}{PATH}", fixture.url))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap())
}

fn channel<'a>(settings: &'a Value, id: &str) -> &'a Value {
    settings["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn an_e_mail_channel_added_in_the_console_delivers_the_claim_alert() {
    let runtime = runtime();
    let sink = support::smtp::start(&runtime);
    let mut fixture = Fixture::start(&runtime, T0, None);
    let duty_mail = json!({
        "id": "duty-mail",
        "kind": "smtp",
        "smtp": {
            "host": "127.0.0.1",
            "port": sink.port,
            "tls": "none",
            "from": "Outpost 告警 <alerts@outpost.example>",
            "to": ["南沙街道值班室 <duty@nansha.example>"],
        },
    });
    // A second relay with a password: stored, never answered.
    let backup_mail = json!({
        "id": "backup-mail",
        "kind": "smtp",
        "smtp": {
            "host": "smtp.example.org",
            "tls": "starttls",
            "username": "outpost",
            "password": PASSWORD,
            "from": "alerts@outpost.example",
            "to": ["backup@nansha.example"],
        },
    });
    let route = json!({"unit": "440115001", "recipient": "town_leader", "channels": ["duty-mail"]});

    // Refused with the reason, in Chinese.
    for (change, expected) in [
        (json!({"to": []}), "请至少填写一个收件人"),
        (
            json!({"to": ["not an address"]}),
            "收件人 not an address 不是有效的邮箱地址",
        ),
        (json!({"from": "outpost"}), "发件人不是有效的邮箱地址"),
        (json!({"host": " "}), "请填写邮件服务器地址"),
        (
            json!({"username": "outpost"}),
            "用户名和密码须同时填写或同时不填",
        ),
        (json!({"tls": "ssl3"}), "加密方式须为"),
        (
            json!({"host": "smtp.example.org", "username": "u", "password": "p"}),
            "不加密时不能使用密码",
        ),
    ] {
        let mut bad = duty_mail.clone();
        for (key, value) in change.as_object().unwrap() {
            bad["smtp"][key] = value.clone();
        }
        let (status, refusal) = put(&fixture, &json!({"channels": [bad], "routes": []}));
        assert_eq!(status, 400, "{change}: {refusal}");
        let message = refusal["message_zh"].as_str().unwrap();
        assert!(message.contains(expected), "{change}: {message}");
    }

    let (status, shown) = put(
        &fixture,
        &json!({"channels": [duty_mail, backup_mail], "routes": [route]}),
    );
    assert_eq!(status, 200, "{shown}");
    assert!(!shown.to_string().contains(PASSWORD), "{shown}");
    let duty = channel(&shown, "duty-mail");
    assert_eq!(duty["kind"], "smtp");
    assert_eq!(duty["source"], "console");
    assert_eq!(duty["host"], "127.0.0.1");
    assert_eq!(
        duty["smtp"]["to"],
        json!(["南沙街道值班室 <duty@nansha.example>"])
    );
    assert_eq!(
        channel(&shown, "backup-mail")["smtp"]["username"],
        "outpost"
    );
    assert!(shown["kinds"].as_array().unwrap().contains(&json!("smtp")));

    // Sent back as the console does (id and kind only): both channels are kept as they were.
    let (status, shown) = put(
        &fixture,
        &json!({
            "channels": [{"id": "duty-mail", "kind": "smtp"}, {"id": "backup-mail", "kind": "smtp"}],
            "routes": [route],
        }),
    );
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        channel(&shown, "backup-mail")["smtp"]["username"],
        "outpost"
    );
    assert_eq!(channel(&shown, "duty-mail")["smtp"]["port"], sink.port);

    // Nobody claims the task: the claim alert reaches the town leader's mailbox.
    fixture.import(list(2, 0));
    fixture.advance(10 * MIN + 1_000);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.state.mails.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mail = sink.state.mails.lock().unwrap().first().cloned();
    let mail = mail.expect("the claim alert as a mail");
    assert_eq!(mail.from, "<alerts@outpost.example>");
    assert_eq!(mail.to, ["<duty@nansha.example>"]);
    let (headers, _body) = support::smtp::parse(&mail.data);
    let subject = support::smtp::decode_words(support::smtp::header(&headers, "subject").unwrap());
    assert!(subject.contains("南沙街道"), "{subject}");
    fixture.stop(&runtime);
}
