//! Nobody can guess their way in (issue 16): through a real server on loopback with an injected
//! clock, enrolment codes, console sign-in codes and the admin token are refused with 429,
//! `Retry-After` and a Chinese message after repeated failures — per source address and per
//! value guessed, a right value included, without spending a code; the lockout ends with the
//! clock and the next one lasts twice as long; the administrator sees and lifts lockouts (a
//! town user gets 403); the console's responses carry the security headers; a body over the
//! limit gets 413 in the JSON error shape; and the server keeps serving throughout. Sources are
//! told apart by binding the client to other loopback addresses (127.0.0.x). The enrolment test
//! also runs on PostgreSQL when `OUTPOST_TEST_POSTGRES` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_fixture;

use std::net::IpAddr;

use console_fixture::{Fixture, MIN, TOKEN, ledgers, runtime};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// The failures that lock a key (the server's policy).
const LIMIT: usize = 10;

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A client whose requests come from 127.0.0.`last`.
fn from(last: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::from([127, 0, 0, last]))
        .build()
        .unwrap()
}

fn enrol(client: &Client, fixture: &Fixture, code: &str) -> Response {
    client
        .post(format!("{}/v1/enrol", fixture.url))
        .json(&json!({"protocol": 1, "code": code, "label": "测试手机"}))
        .send()
        .unwrap()
}

fn sign_in(client: &Client, fixture: &Fixture, body: Value) -> Response {
    client
        .post(format!("{}/console/api/session", fixture.url))
        .json(&body)
        .send()
        .unwrap()
}

fn users_with(client: &Client, fixture: &Fixture, token: &str) -> Response {
    client
        .get(format!("{}/admin/users", fixture.url))
        .bearer_auth(token)
        .send()
        .unwrap()
}

/// A wrong code of the right shape, different each time.
fn wrong_code(i: usize) -> String {
    format!("ZZZZ-ZZ{i:02}")
}

/// A 429 with `Retry-After: retry_after_s` and the JSON refusal; its Chinese message.
fn assert_locked(response: Response, retry_after_s: i64) -> String {
    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers()["retry-after"].to_str().unwrap(),
        retry_after_s.to_string()
    );
    let body: Value = response.json().unwrap();
    assert_eq!(body["error"], "too_many_attempts", "{body}");
    let minutes = (retry_after_s + 59) / 60;
    assert_eq!(
        body["message_zh"],
        format!("尝试次数过多，请 {minutes} 分钟后再试")
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("too many attempts")
    );
    body["message_zh"].as_str().unwrap().to_owned()
}

fn healthy(fixture: &Fixture) {
    let response = fixture
        .client
        .get(format!("{}/health", fixture.url))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[test]
fn enrolment_codes_are_locked_out_per_source_and_the_back_off_doubles() {
    for ledger in ledgers("lockouts_enrol") {
        enrolment_lockout(ledger);
    }
}

fn enrolment_lockout(ledger: Option<String>) {
    let runtime = runtime();
    let mut fixture = Fixture::start_on(&runtime, now(), None, ledger);
    let (attacker, office) = (from(1), from(2));
    // The office mistypes almost up to the limit; a success elsewhere resets nothing of it.
    for i in 0..LIMIT - 1 {
        assert_eq!(enrol(&office, &fixture, &wrong_code(i)).status(), 400);
    }
    let code = fixture.code("nansha-worker");
    assert_eq!(enrol(&attacker, &fixture, &code).status(), 201);
    assert_eq!(enrol(&office, &fixture, &wrong_code(99)).status(), 400);
    assert_locked(enrol(&office, &fixture, &wrong_code(98)), 60);

    // The attacker guesses until refused; then even a right code is refused, and not spent.
    let right = fixture.code("nansha-worker");
    for i in 0..LIMIT {
        let response = enrol(&attacker, &fixture, &wrong_code(i));
        assert_eq!(response.status(), 400, "guess {i}");
    }
    assert_locked(enrol(&attacker, &fixture, &wrong_code(50)), 60);
    assert_locked(enrol(&attacker, &fixture, &right), 60);
    fixture.clock.advance(20_000);
    assert_locked(enrol(&attacker, &fixture, &right), 40);
    healthy(&fixture);

    // The lockout ends with the clock: the right code works, it was not spent.
    fixture.clock.advance(40_000);
    assert_eq!(enrol(&attacker, &fixture, &right).status(), 201);

    // The next lockout lasts twice as long, then four times.
    for (round, lock_s) in [(0, 120), (1, 240)] {
        for i in 0..LIMIT {
            assert_eq!(
                enrol(&attacker, &fixture, &wrong_code(i)).status(),
                400,
                "round {round}, guess {i}"
            );
        }
        assert_locked(enrol(&attacker, &fixture, &wrong_code(60)), lock_s);
        fixture.clock.advance(lock_s * 1000);
    }
    healthy(&fixture);
    fixture.stop(&runtime);
}

#[test]
fn sign_in_codes_and_the_admin_token_are_locked_out_too() {
    let runtime = runtime();
    let mut fixture = Fixture::start(&runtime, now(), None);
    let attacker = from(3);

    // Sign-in codes.
    let right = fixture.code("nansha-worker");
    for i in 0..LIMIT {
        let response = sign_in(&attacker, &fixture, json!({"code": wrong_code(i)}));
        assert_eq!(response.status(), 401, "guess {i}");
    }
    assert_locked(sign_in(&attacker, &fixture, json!({"code": right})), 60);
    // Another kind from the same source is counted apart.
    assert_eq!(users_with(&attacker, &fixture, TOKEN).status(), 200);
    fixture.clock.advance(MIN);
    assert_eq!(
        sign_in(&attacker, &fixture, json!({"code": right})).status(),
        201,
        "not spent while locked"
    );

    // The admin token, as a bearer and at sign-in. A session opened before keeps working.
    let session: Value = sign_in(&attacker, &fixture, json!({"admin_token": TOKEN}))
        .json()
        .unwrap();
    let session = session["token"].as_str().unwrap().to_owned();
    for i in 0..LIMIT {
        let guess = format!("not-the-admin-token-{i:04}");
        let response = if i % 2 == 0 {
            users_with(&attacker, &fixture, &guess)
        } else {
            sign_in(&attacker, &fixture, json!({"admin_token": guess}))
        };
        assert_eq!(response.status(), 401, "guess {i}");
    }
    assert_locked(users_with(&attacker, &fixture, TOKEN), 60);
    assert_locked(
        sign_in(&attacker, &fixture, json!({"admin_token": TOKEN})),
        60,
    );
    let me = attacker
        .get(format!("{}/console/api/me", fixture.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_locked(me, 60);
    assert_eq!(
        users_with(&attacker, &fixture, &session).status(),
        200,
        "the administrator's session is not a guess"
    );
    // Another source with the right token is not locked out.
    assert_eq!(users_with(&from(4), &fixture, TOKEN).status(), 200);

    // One value tried from many sources is locked out as a value.
    let stale = "an-old-admin-token-from-a-script";
    for last in 10..10 + LIMIT as u8 {
        assert_eq!(users_with(&from(last), &fixture, stale).status(), 401);
    }
    assert_locked(users_with(&from(40), &fixture, stale), 60);
    assert_eq!(users_with(&from(40), &fixture, TOKEN).status(), 200);

    fixture.clock.advance(MIN);
    assert_eq!(users_with(&attacker, &fixture, TOKEN).status(), 200);
    healthy(&fixture);
    fixture.stop(&runtime);
}

#[test]
fn the_administrator_sees_and_lifts_a_lockout() {
    let runtime = runtime();
    let mut fixture = Fixture::start(&runtime, now(), None);
    let attacker = from(5);
    let right = fixture.code("nansha-worker");
    for i in 0..LIMIT {
        enrol(&attacker, &fixture, &wrong_code(i));
    }
    assert_locked(enrol(&attacker, &fixture, &right), 60);

    let admin = fixture.console_session_as_admin();
    let town = fixture.console_session("nansha-worker");
    let list = |token: Option<&str>| {
        let mut request = fixture
            .client
            .get(format!("{}/console/api/admin/lockouts", fixture.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    };
    assert_eq!(list(None).status(), 401);
    assert_eq!(list(Some(&town)).status(), 403);
    let response = list(Some(&admin));
    assert_eq!(response.status(), 200);
    let text = response.text().unwrap();
    for i in 0..LIMIT {
        assert!(!text.contains(&wrong_code(i)), "no code is shown: {text}");
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    let lockouts = body["lockouts"].as_array().unwrap();
    assert_eq!(lockouts.len(), 1, "{body}");
    let lockout = &lockouts[0];
    assert_eq!(lockout["kind"], "enrolment_code");
    assert_eq!(lockout["kind_label"]["zh"], "设备登记码");
    assert_eq!(lockout["subject"], "source");
    assert_eq!(lockout["key"], "127.0.0.5");
    assert_eq!(lockout["failures"], LIMIT);
    let until = lockout["locked_until_ms"].as_i64().unwrap();
    assert_eq!(until, fixture.now_ms() + MIN);
    assert_eq!(
        lockout["locked_until"],
        outpost_shared::console::shanghai_time(until)
    );
    let id = lockout["id"].as_str().unwrap().to_owned();

    let lift = |token: &str, id: &str| {
        fixture
            .client
            .delete(format!("{}/console/api/admin/lockouts/{id}", fixture.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(lift(&town, &id), 403);
    assert_eq!(lift(&admin, &id), 204);
    assert_eq!(lift(&admin, &id), 404, "lifted already");
    assert_eq!(lift(&admin, "not-a-number"), 404);
    assert_eq!(enrol(&attacker, &fixture, &right).status(), 201);
    let body: Value = list(Some(&admin)).json().unwrap();
    assert_eq!(body["lockouts"], json!([]));
    fixture.stop(&runtime);
}

#[test]
fn console_responses_carry_the_security_headers() {
    let runtime = runtime();
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("console.html"),
        "<!doctype html><title>t</title>",
    )
    .unwrap();
    let mut fixture = Fixture::start(&runtime, now(), Some(site.path().to_owned()));
    let session = fixture.console_session("nansha-worker");
    for (path, token, status) in [
        ("/console/", None, 200),
        ("/console/api/me", None, 401),
        ("/console/api/me", Some(session.as_str()), 200),
        ("/console/api/admin/lockouts", Some(session.as_str()), 403),
        ("/admin/users", Some(TOKEN), 200),
    ] {
        let mut request = fixture.client.get(format!("{}{path}", fixture.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().unwrap();
        assert_eq!(response.status(), status, "{path}");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'self'",
            "script-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
    fixture.stop(&runtime);
}

#[test]
fn a_body_over_the_limit_is_refused_413_in_json_and_the_server_keeps_serving() {
    let runtime = runtime();
    let mut fixture = Fixture::start_with(&runtime, now(), None, None, |config| {
        config.max_request_bytes = 64 * 1024;
    });
    let big = vec![b' '; 200 * 1024];
    // The server closes a connection whose body it did not read: no reuse of one.
    let client = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    for (path, token) in [
        ("/v1/enrol", None),
        ("/console/api/session", None),
        (
            "/admin/imports?program=w1-close-contact-whereabouts",
            Some(TOKEN),
        ),
    ] {
        let mut request = client
            .post(format!("{}{path}", fixture.url))
            .header("content-type", "application/json")
            .body(big.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().unwrap();
        assert_eq!(response.status(), 413, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = response.json().unwrap();
        assert_eq!(body["error"], "too_large", "{path}: {body}");
        assert!(
            body["message_zh"].as_str().unwrap().contains("64 KiB"),
            "{body}"
        );
        assert!(body["message"].as_str().unwrap().contains("64 KiB"));
    }
    healthy(&fixture);
    let code = fixture.code("nansha-worker");
    assert_eq!(enrol(&fixture.client, &fixture, &code).status(), 201);
    fixture.stop(&runtime);
}

#[test]
fn an_unknown_device_credential_is_locked_out_and_other_devices_keep_syncing() {
    let runtime = runtime();
    let mut fixture = Fixture::start(&runtime, now(), None);
    let sync = |token: &str| {
        fixture
            .client
            .post(format!("{}/v1/sync", fixture.url))
            .bearer_auth(token)
            .json(&json!({"protocol": 1, "cursor": 0}))
            .send()
            .unwrap()
    };
    let stale = "a-credential-from-a-reset-ledger";
    for i in 0..LIMIT {
        assert_eq!(sync(stale).status(), 401, "attempt {i}");
    }
    assert_locked(sync(stale), 60);
    // The address is not locked out: devices behind one carrier address share it.
    assert_eq!(sync("another-unknown-credential").status(), 401);
    let mut device = console_fixture::FieldDevice::enrol(&fixture, "nansha-worker");
    device.sync(fixture.now_ms());
    fixture.clock.advance(MIN);
    assert_eq!(sync(stale).status(), 401, "the lockout is over");
    fixture.stop(&runtime);
}
