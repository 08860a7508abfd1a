//! `serve --demo`: demo users and a demo W1 batch in the ledger, and an enrolment code to try
//! them with. The batch goes in through the same protocol code a device's push uses.

use anyhow::{Result, anyhow};
use outpost_shared::demo::people;
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::jurisdiction::Level;
use outpost_shared::record::{Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::sync::ledger::{self, Peer};
use outpost_shared::sync::{Cursor, RecordChanges, Scope};
use outpost_sync_server::App;
use outpost_sync_server::config::Config;
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
