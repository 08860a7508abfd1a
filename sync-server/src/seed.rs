//! `serve --demo`: demo users and a demo W1 batch in the ledger, and an enrolment code to try
//! them with. The batch goes in through the same protocol code a device's push uses.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Result, anyhow};
use outpost_shared::demo::people;
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::jurisdiction::Level;
use outpost_shared::record::{Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::sync::ledger::{self, Peer};
use outpost_shared::sync::{Cursor, RecordChanges, Scope};
use outpost_sync_server::App;
use outpost_sync_server::config::Config;
use outpost_sync_server::notify::NotifyFile;
use outpost_sync_server::notify::config::{ChannelFile, RouteFile};
use outpost_sync_server::service::{self, EnrolmentCode, NewUser};
use outpost_sync_server::store::Store;

const PROGRAM: &str = "w1-close-contact-whereabouts";
const DISTRICT: &str = "440115";
const WORKER: &str = "nansha-worker-1";

pub struct Seeded {
    batch: Option<(String, usize)>,
    code: EnrolmentCode,
    users: Vec<(String, String, String)>,
}

impl Seeded {
    pub fn print(&self, config: &Config) {
        if let Some((batch, count)) = &self.batch {
            println!(
                "演示批次 / demo batch {batch}: {count} 人，已按镇街派发 / dispatched by town"
            );
        }
        println!("演示用户 / demo users:");
        for (id, role, unit) in &self.users {
            println!("  {id:<18} {role:<8} {unit}");
        }
        let payload = outpost_sync_server::enrolment_payload(config, &self.code.code);
        println!(
            "设备登记码 / enrolment code for {}: {}  (one use, valid 24 h)",
            self.code.user_id, self.code.code
        );
        println!("二维码内容 / QR payload: {payload}");
        if let Some(qr) = outpost_sync_server::qr_text(&payload) {
            println!("{qr}");
        }
    }
}

/// The demo's own push receiver: a webhook channel on loopback that prints every alert it is
/// sent, routed for every recipient any program's deadline steps notify in the demo district.
/// The demo has no WeCom or DingTalk group to push to, and a new user should see a push happen
/// when a deadline passes, not only the alert on the wall screen. Added only when the config
/// has no channels of its own.
pub async fn loopback_push(config: &mut Config) -> Result<Option<DemoPush>> {
    if !config.notify.channels.is_empty() {
        return Ok(None);
    }
    let programs = outpost_sync_server::assets::load(&config.assets)?.programs;
    let mut recipients: Vec<String> = programs
        .iter()
        .flat_map(|p| p.deadlines())
        .flat_map(|rule| rule.steps())
        .flat_map(|step| step.notify.iter().map(|r| r.code()))
        .collect();
    recipients.sort();
    recipients.dedup();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let url = format!("http://{}/demo-alerts", listener.local_addr()?);
    let file = NotifyFile {
        channels: vec![ChannelFile {
            id: DEMO_CHANNEL.into(),
            kind: "webhook".into(),
            url: Some(url.clone()),
            // Loopback only: the signature is checked by nobody, but the channel kind needs one.
            secret: Some("outpost-demo-loopback-webhook-secret".into()),
            ..ChannelFile::default()
        }],
        routes: recipients
            .into_iter()
            .map(|recipient| RouteFile {
                unit: DISTRICT.into(),
                recipient,
                channels: vec![DEMO_CHANNEL.into()],
                include_descendants: true,
            })
            .collect(),
        ..NotifyFile::default()
    };
    config.notify = file.validate()?;
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let receiver = axum::Router::new().route(
        "/demo-alerts",
        axum::routing::post(
            move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                let text = pushed(&body);
                println!("{text}");
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(text);
                "ok"
            },
        ),
    );
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, receiver).await {
            eprintln!("演示推送通道已停止 / the demo push channel stopped: {error}");
        }
    });
    Ok(Some(DemoPush { url, received }))
}

/// The demo's push channel: where it listens, and what it printed.
pub struct DemoPush {
    pub url: String,
    pub received: Arc<Mutex<Vec<String>>>,
}

const DEMO_CHANNEL: &str = "demo-loopback";

/// How the demo prints a push it received (the webhook body: title, lines, recipients).
fn pushed(body: &serde_json::Value) -> String {
    let text = |key: &str| body.get(key).and_then(|v| v.as_str()).unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        body.get(key)
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = format!(
        "==> 告警推送（演示通道）/ alert pushed to the demo channel → {} @ {}\n    {}",
        list("recipients").join(", "),
        text("unit"),
        text("title")
    );
    for line in list("lines") {
        out.push_str("\n    ");
        out.push_str(&line);
    }
    out
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub fn demo(app: &App) -> Result<Seeded> {
    let towns: Vec<String> = app
        .jurisdictions()
        .units_at(Level::Town)
        .into_iter()
        .filter(|u| u.code.starts_with(DISTRICT))
        .map(|u| u.code.clone())
        .collect();
    let first_town = towns
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("the assets have no towns of district {DISTRICT}"))?;
    let users = [
        ("district-admin", "区卫健局", "admin", DISTRICT.to_owned()),
        (WORKER, "南沙街道值班员", "worker", first_town.clone()),
        ("nansha-leader", "南沙街道负责人", "leader", first_town),
    ];
    let existing = app.store.transaction(|tx| tx.users())?;
    for (id, name, role, unit) in &users {
        if existing.iter().any(|u| u.id == *id) {
            continue;
        }
        service::create_user(
            &app.store,
            NewUser {
                id: (*id).to_owned(),
                display_name: (*name).to_owned(),
                role: (*role).to_owned(),
                unit: unit.clone(),
            },
            |code| app.jurisdictions().get(code).is_some(),
            now_ms(),
        )
        .map_err(|e| anyhow!(e.body.message))?;
    }
    let batch = if app.store.transaction(|tx| tx.record_count())? == 0 {
        Some(demo_batch(app, &towns)?)
    } else {
        None
    };
    let code = service::issue_enrolment_code(&app.store, WORKER, 24 * 3_600_000, now_ms())
        .map_err(|e| anyhow!(e.body.message))?;
    Ok(Seeded {
        batch,
        code,
        users: users
            .iter()
            .map(|(id, _, role, unit)| ((*id).to_owned(), (*role).to_owned(), unit.clone()))
            .collect(),
    })
}

fn demo_batch(app: &App, towns: &[String]) -> Result<(String, usize)> {
    let device = DeviceId::new("server-import")?;
    let author = Author {
        user: UserId::new("district-admin")?,
        device: device.clone(),
    };
    let mut clock = HlcClock::new(device);
    let now = u64::try_from(now_ms()).unwrap_or(0);
    let batch = format!("{now}");
    let town_codes: Vec<&str> = towns.iter().map(String::as_str).collect();
    let list = people(2026, 300, &town_codes);
    let mut push = Vec::with_capacity(list.len());
    for (i, person) in list.iter().enumerate() {
        let mut record = Record::create(
            NewRecord {
                id: RecordId::new(format!("w1-{batch}-{i:05}"))?,
                kind: RecordKind::Person,
                program: PROGRAM.to_owned(),
                unit: person.unit.clone(),
                batch: Some(batch.clone()),
                fields: vec![
                    ("name".into(), person.name.clone()),
                    ("phone".into(), person.phone.clone()),
                    ("id_number".into(), person.id_number.clone()),
                ],
            },
            &author,
            &mut clock,
            now,
        )?;
        push.push(RecordChanges {
            record: record.id().clone(),
            changes: record
                .changes_since(&[])
                .into_iter()
                .map(|(_, bytes)| bytes)
                .collect(),
        });
    }
    let scope = Scope::of_units([DISTRICT]);
    let report = app.store.transaction(|tx| {
        ledger::push(
            tx,
            Peer {
                device: "server-import",
                scope: &scope,
            },
            Cursor(0),
            now_ms(),
            &push,
        )
    })?;
    if !report.rejected.is_empty() {
        return Err(anyhow!(
            "{} demo records were refused",
            report.rejected.len()
        ));
    }
    Ok((batch, list.len()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use outpost_sync_server::clock::ManualClock;
    use outpost_sync_server::config::ConfigFile;

    use super::*;

    /// A new user runs `serve --demo`, does nothing for ten minutes, and sees the claim
    /// deadline's push printed by the demo's own channel: the step, what is outstanding and
    /// who was told (issue 17).
    #[test]
    fn the_demo_prints_the_push_of_a_passed_claim_deadline() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ConfigFile {
            database: Some(dir.path().join("ledger.db").display().to_string()),
            admin_token: Some("demo-test-admin-token".into()),
            assets: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let push = runtime
            .block_on(loopback_push(&mut config))
            .unwrap()
            .expect("a config without channels gets the demo channel");
        assert!(push.url.starts_with("http://127.0.0.1:"), "{}", push.url);
        let clock = Arc::new(ManualClock::new(now_ms()));
        let app = outpost_sync_server::app_with_clock(config, clock.clone()).unwrap();
        demo(&app).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = runtime.spawn(outpost_sync_server::serve_app(listener, app, async {
            let _ = stopped.await;
        }));
        clock.advance(11 * 60_000);
        let deadline = Instant::now() + Duration::from_secs(20);
        let printed = loop {
            let printed = push.received.lock().unwrap().join("\n");
            if printed.contains("认领时限第 1 步（10分钟）") || Instant::now() > deadline
            {
                break printed;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = stop.send(());
        let _ = runtime.block_on(server);
        assert!(printed.contains("==> 告警推送"), "{printed}");
        assert!(printed.contains("认领时限第 1 步（10分钟）"), "{printed}");
        assert!(printed.contains("人未认领"), "{printed}");
        assert!(printed.contains("已通知镇街领导"), "{printed}");
    }

    #[test]
    fn a_push_prints_its_title_lines_and_audience() {
        let body = serde_json::json!({
            "title": "认领时限第 1 步（10分钟）：南沙街道 3/3 人未认领",
            "lines": ["步骤：认领时限第 1 步（10分钟）", "已通知：镇街领导"],
            "unit": "440115001",
            "recipients": ["town_leader"],
        });
        assert_eq!(
            pushed(&body),
            "==> 告警推送（演示通道）/ alert pushed to the demo channel → town_leader @ 440115001\n    认领时限第 1 步（10分钟）：南沙街道 3/3 人未认领\n    步骤：认领时限第 1 步（10分钟）\n    已通知：镇街领导"
        );
    }
}
