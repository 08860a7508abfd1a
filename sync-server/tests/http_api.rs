//! The HTTP API on a real server bound to 127.0.0.1:0: bad input gets a clear 4xx with a JSON
//! error body and changes nothing; enrolment, sync and revocation work over the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::blocking::Client;
use serde_json::{Value, json};

mod served;

use served::Server;

const ADMIN: &str = "http-test-admin-token-0123";

fn start() -> Server {
    served::start(ADMIN, |config| config.max_request_bytes = Some(64 * 1024))
}

fn post(client: &Client, url: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn ledger_head(client: &Client, url: &str) -> u64 {
    let metrics: Value = client
        .get(format!("{url}/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    metrics["ledger_head"].as_u64().unwrap()
}

#[test]
fn bad_requests_get_clear_errors_and_change_nothing() {
    let server = start();
    let client = Client::new();
    let url = &server.url;
    let body = |v: Value| serde_json::to_vec(&v).unwrap();
    // Administration needs the admin token.
    let user = json!({"id": "w1", "display_name": "值班员", "role": "worker", "unit": "440115001"});
    let (status, _) = post(
        &client,
        &format!("{url}/admin/users"),
        None,
        body(user.clone()),
    );
    assert_eq!(status, 401);
    let (status, _) = post(
        &client,
        &format!("{url}/admin/users"),
        Some("wrong-token-wrong"),
        body(user.clone()),
    );
    assert_eq!(status, 401);
    let (status, _) = post(
        &client,
        &format!("{url}/admin/users"),
        Some(ADMIN),
        body(user),
    );
    assert_eq!(status, 201);
    let (status, error) = post(
        &client,
        &format!("{url}/admin/users"),
        Some(ADMIN),
        body(json!({"id": "w2", "display_name": "x", "role": "worker", "unit": "999999"})),
    );
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("unknown_unit"))
    );

    let (_, code) = post(
        &client,
        &format!("{url}/admin/users/w1/enrolment-codes"),
        Some(ADMIN),
        vec![],
    );
    assert!(code["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    let (status, enrolled) = post(
        &client,
        &format!("{url}/v1/enrol"),
        None,
        body(json!({"protocol": 1, "code": code["code"], "label": "手机"})),
    );
    assert_eq!(status, 201);
    let token = enrolled["token"].as_str().unwrap().to_owned();
    let sync = format!("{url}/v1/sync");
    let head = ledger_head(&client, url);

    // (what, credential, body, expected status, expected error code)
    type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "no credential",
            None,
            body(json!({"protocol": 1, "cursor": 0})),
            401,
            "unauthorized",
        ),
        (
            "forged credential",
            Some("forged"),
            body(json!({"protocol": 1, "cursor": 0})),
            401,
            "unauthorized",
        ),
        (
            "malformed",
            Some(&token),
            b"{not json".to_vec(),
            400,
            "malformed_request",
        ),
        (
            "truncated",
            Some(&token),
            br#"{"protocol":1,"cursor":0,"push":[{"record":"p1","chan"#.to_vec(),
            400,
            "malformed_request",
        ),
        (
            "wrong version",
            Some(&token),
            body(json!({"protocol": 9, "cursor": 0})),
            426,
            "incompatible_protocol",
        ),
        (
            "unknown field",
            Some(&token),
            body(json!({"protocol": 1, "cursor": 0, "extra": 1})),
            400,
            "malformed_request",
        ),
        (
            "not base64",
            Some(&token),
            body(
                json!({"protocol": 1, "cursor": 0, "push": [{"record": "p1", "changes": ["***"]}]}),
            ),
            400,
            "malformed_request",
        ),
        (
            "not a change",
            Some(&token),
            body(
                json!({"protocol": 1, "cursor": 0, "push": [{"record": "p1", "changes": ["AAECAwQ="]}]}),
            ),
            400,
            "invalid_change",
        ),
        (
            "bad record id",
            Some(&token),
            body(
                json!({"protocol": 1, "cursor": 0, "push": [{"record": "何伟/1", "changes": []}]}),
            ),
            400,
            "malformed_request",
        ),
        (
            "cursor ahead",
            Some(&token),
            body(json!({"protocol": 1, "cursor": 999999})),
            409,
            "cursor_ahead",
        ),
    ];
    for (what, token, payload, status, code) in cases {
        let (got, error) = post(&client, &sync, token, payload);
        assert_eq!(got, status, "{what}: {error}");
        assert_eq!(error["error"].as_str(), Some(code), "{what}: {error}");
        assert!(
            !error["message_zh"].as_str().unwrap_or_default().is_empty(),
            "{what}"
        );
    }
    let oversized = vec![b' '; 65 * 1024];
    let (status, _) = post(&client, &sync, Some(&token), oversized);
    assert_eq!(status, 413, "oversized");
    assert_eq!(
        ledger_head(&client, url),
        head,
        "a refused request changed the ledger"
    );

    // A revoked device is refused at its next request.
    let devices: Value = client
        .get(format!("{url}/admin/devices"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let device = devices[0]["id"].as_str().unwrap();
    let (status, _) = post(
        &client,
        &format!("{url}/admin/devices/{device}/revoke"),
        Some(ADMIN),
        vec![],
    );
    assert_eq!(status, 204);
    let (status, error) = post(
        &client,
        &sync,
        Some(&token),
        body(json!({"protocol": 1, "cursor": 0})),
    );
    assert_eq!(
        (status, error["error"].as_str()),
        (403, Some("device_revoked"))
    );
}

/// Enrols a worker of 南沙街道 and returns the device credential.
fn enrolled_device(client: &Client, url: &str) -> String {
    let body = |v: Value| serde_json::to_vec(&v).unwrap();
    let user = json!({"id": "w1", "display_name": "值班员", "role": "worker", "unit": "440115001"});
    let (status, _) = post(
        client,
        &format!("{url}/admin/users"),
        Some(ADMIN),
        body(user),
    );
    assert_eq!(status, 201);
    let (_, code) = post(
        client,
        &format!("{url}/admin/users/w1/enrolment-codes"),
        Some(ADMIN),
        vec![],
    );
    let (status, enrolled) = post(
        client,
        &format!("{url}/v1/enrol"),
        None,
        body(json!({"protocol": 1, "code": code["code"], "label": "手机"})),
    );
    assert_eq!(status, 201);
    enrolled["token"].as_str().unwrap().to_owned()
}

#[test]
fn the_program_files_go_only_to_a_device_that_holds_another_set() {
    use outpost_shared::sync::message::{ProgramFile, ProgramSet};

    let server = start();
    let client = Client::new();
    let url = &server.url;
    let token = enrolled_device(&client, url);
    let sync = format!("{url}/v1/sync");
    let exchange = |request: Value| {
        let (status, response) = post(
            &client,
            &sync,
            Some(&token),
            serde_json::to_vec(&request).unwrap(),
        );
        assert_eq!(status, 200, "{response}");
        response
    };

    // A device holding no set yet, or an app older than the field: the server's files.
    let response = exchange(json!({"protocol": 1, "cursor": 0}));
    let programs = &response["programs"];
    let names: Vec<&str> = programs["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "w1-close-contact-whereabouts.toml",
            "w2-community-verification.toml"
        ]
    );
    let shipped = ProgramSet::new(
        outpost_shared::program::presets()
            .into_iter()
            .map(|(name, text)| ProgramFile {
                name: name.into(),
                text: text.into(),
            })
            .collect(),
    )
    .unwrap();
    let version = programs["version"].as_str().unwrap().to_owned();
    assert_eq!(version, shipped.version, "the shipped files' version");

    // Holding them: nothing in the response's bytes.
    let response = exchange(json!({"protocol": 1, "cursor": 0, "programs_version": version}));
    assert!(response.get("programs").is_none(), "{response}");
    assert!(response.get("deadlines").is_some(), "still a last page");

    // Holding another set: the server's again.
    let response =
        exchange(json!({"protocol": 1, "cursor": 0, "programs_version": "0".repeat(64)}));
    assert_eq!(response["programs"]["version"], version.as_str());

    // A version no server makes is refused, not compared.
    let (status, error) = post(
        &client,
        &sync,
        Some(&token),
        serde_json::to_vec(
            &json!({"protocol": 1, "cursor": 0, "programs_version": "f".repeat(65)}),
        )
        .unwrap(),
    );
    assert_eq!(
        (status, error["error"].as_str()),
        (413, Some("bad_programs_version"))
    );
}
