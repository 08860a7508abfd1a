//! The core demo on real files: the district imports a W1 list into its replica, a town's two
//! phones receive their town's records, work offline (one of them claims a task the other also
//! claims), and sync back; the district sees the results, the counts, the review item, and
//! searches — and everything is still there after reopening the files.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use outpost_shared::demo::people;
use outpost_shared::hlc::{Clock, DeviceId, HlcClock, SystemClock};
use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::identity::{PhoneNumber, ResidentId, mask_id_number, mask_name, mask_phone};
use outpost_shared::jurisdiction::Level;
use outpost_shared::record::{
    Action, Author, NewRecord, Record, RecordId, RecordKind, TaskStatus, UserId,
};
use outpost_shared::replica::{EncryptionKey, RecordSummary, Replica, SearchQuery};
use sha2::{Digest, Sha256};

use outpost_sync_server::assets;

struct Actor {
    author: Author,
    clock: HlcClock,
}

impl Actor {
    fn new(user: &str, device: &str) -> Result<Self> {
        let device = DeviceId::new(device)?;
        Ok(Self {
            author: Author {
                user: UserId::new(user)?,
                device: device.clone(),
            },
            clock: HlcClock::new(device),
        })
    }

    fn act(&mut self, replica: &mut Replica, id: &RecordId, action: Action) -> Result<()> {
        let now = SystemClock.now_ms();
        let (author, clock) = (&self.author, &mut self.clock);
        replica.write(|w| {
            if let Some(mut record) = w.load(id)? {
                record
                    .append(author, clock, now, action)
                    .map_err(|source| {
                        outpost_shared::replica::ReplicaError::record(id.to_string(), source)
                    })?;
                w.save(&mut record)?;
            }
            Ok(())
        })?;
        Ok(())
    }
}

/// Sends every change `from` holds for `ids` to `to`, the way sync will.
fn exchange(from: &mut Replica, to: &mut Replica, ids: &[RecordId]) -> Result<usize> {
    let mut messages = Vec::new();
    for id in ids {
        if let Some(mut record) = from.load(id)? {
            messages.push((id.clone(), record.save()));
        }
    }
    to.write(|w| {
        for (id, bytes) in &messages {
            w.apply_changes(id, bytes)?;
        }
        Ok(())
    })?;
    Ok(messages.len())
}

fn masked_line(summary: &RecordSummary) -> String {
    format!(
        "{}  {}  {}  {}",
        summary.name.as_deref().map(mask_name).unwrap_or_default(),
        summary.phone.as_deref().map(mask_phone).unwrap_or_default(),
        summary
            .id_number
            .as_deref()
            .map(mask_id_number)
            .unwrap_or_default(),
        summary.status.describe(Lang::Zh)
    )
}

/// A fixed demo key: the real app derives the key from the worker's PIN (field-app issue).
fn demo_key() -> EncryptionKey {
    let digest = Sha256::digest(b"outpost demo device key");
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest);
    EncryptionKey::from_bytes(key)
}

pub fn run(assets_dir: &Path, data_dir: &Path, persons: usize) -> Result<()> {
    let assets = assets::load(assets_dir)?;
    let program = assets
        .programs
        .iter()
        .find(|p| p.id() == "w1-close-contact-whereabouts")
        .ok_or_else(|| {
            anyhow!(
                "program w1-close-contact-whereabouts not found in {}",
                assets_dir.display()
            )
        })?;
    let towns: Vec<_> = assets
        .jurisdictions
        .units_at(Level::Town)
        .into_iter()
        .filter(|u| u.code.starts_with("440115"))
        .collect();
    println!(
        "== 配置 == 行政区划 {} 个单位（南沙区 {} 个镇街）；项目：{}",
        assets.jurisdictions.len(),
        towns.len(),
        program.name().zh
    );

    if data_dir.exists() {
        fs::remove_dir_all(data_dir)
            .with_context(|| format!("cannot clear {}", data_dir.display()))?;
    }
    fs::create_dir_all(data_dir)?;
    let district_path = data_dir.join("district.db");
    let phone_a_path = data_dir.join("town-phone-a.db");
    let phone_b_path = data_dir.join("town-phone-b.db");
    let mut district_db = Replica::open(&district_path, None)?;
    let mut phone_a = Replica::open(&phone_a_path, Some(&demo_key()))?;
    let mut phone_b = Replica::open(&phone_b_path, Some(&demo_key()))?;

    // 1. Import: every person validated, one batch, dispatched by town.
    let mut district = Actor::new("district-admin", "district-pc")?;
    let batch = format!("{}", SystemClock.now_ms());
    let town_codes: Vec<&str> = towns.iter().map(|u| u.code.as_str()).collect();
    let list = people(2026, persons, &town_codes);
    let now = SystemClock.now_ms();
    let mut records = Vec::with_capacity(list.len());
    for (i, person) in list.iter().enumerate() {
        // The demo list is generated valid; the import issue reports bad rows instead.
        let id_number = ResidentId::parse(&person.id_number)?;
        let phone = PhoneNumber::parse(&person.phone)?;
        records.push(Record::create(
            NewRecord {
                id: RecordId::new(format!("w1-{batch}-{i:05}"))?,
                kind: RecordKind::Person,
                program: program.id().to_owned(),
                unit: person.unit.clone(),
                batch: Some(batch.clone()),
                fields: vec![
                    ("name".into(), person.name.clone()),
                    ("phone".into(), phone.as_str().to_owned()),
                    ("id_number".into(), id_number.as_str().to_owned()),
                ],
            },
            &district.author,
            &mut district.clock,
            now,
        )?);
    }
    let ids: Vec<RecordId> = records.iter().map(|r| r.id().clone()).collect();
    district_db.write(|w| {
        for record in &mut records {
            w.save(record)?;
        }
        Ok(())
    })?;
    println!("== 导入 == 批次号 {batch}，{} 人，按镇街派发", ids.len());

    // 2. Nansha street's two phones take their town's records, then lose signal.
    let town = "440115001";
    let town_ids: Vec<RecordId> = district_db
        .list(town, None, usize::MAX, 0)?
        .into_iter()
        .filter_map(|s| RecordId::new(s.id).ok())
        .collect();
    exchange(&mut district_db, &mut phone_a, &town_ids)?;
    exchange(&mut district_db, &mut phone_b, &town_ids)?;
    let town_name = assets
        .jurisdictions
        .get(town)
        .map_or(town.to_owned(), |u| u.name.clone());
    println!(
        "== 同步 == {town_name} 两部手机各收到 {} 条任务，随后离线",
        town_ids.len()
    );

    // 3. Offline work. Phone A claims everything and answers two thirds; phone B, not having
    //    seen A's claims, also claims the first task.
    let mut worker_a = Actor::new("nansha-duty-1", "phone-a")?;
    let mut worker_b = Actor::new("nansha-duty-2", "phone-b")?;
    let answer_codes = ["in_district", "home_quarantine", "elderly"];
    let answer = program
        .outcomes()
        .validate_answer(&answer_codes, None)
        .map_err(|e| anyhow!(e.describe(Lang::Zh)))?;
    for (n, id) in town_ids.iter().enumerate() {
        worker_a.act(&mut phone_a, id, Action::Claimed)?;
        if n % 3 != 0 {
            worker_a.act(
                &mut phone_a,
                id,
                Action::Answered {
                    outcome: answer.codes().iter().map(|c| (*c).to_owned()).collect(),
                    note: None,
                },
            )?;
        }
    }
    if let Some(first) = town_ids.first() {
        worker_b.act(&mut phone_b, first, Action::Claimed)?;
    }
    println!(
        "== 离线 == 手机A认领 {} 条并反馈“{}”；手机B同时认领了第一条",
        town_ids.len(),
        answer.path_label(Lang::Zh)
    );

    // 4. Signal is back: both phones sync with the district.
    exchange(&mut phone_a, &mut district_db, &town_ids)?;
    exchange(&mut phone_b, &mut district_db, &town_ids)?;
    println!("== 合并 == 两部手机的改动已合并到区级副本");

    // 5. What the district sees.
    println!("== 各镇街进度 ==");
    for unit in &towns {
        let counts = district_db.counts(&unit.code)?;
        let line: Vec<String> = counts
            .iter()
            .map(|(status, n)| format!("{} {n}", status.describe(Lang::Zh)))
            .collect();
        println!("  {:<8} {}", unit.name, line.join("  "));
    }
    println!("== 待复核 ==");
    for (summary, marks) in district_db.review_items(10)? {
        for mark in marks {
            println!(
                "  {}：{}",
                masked_line(&summary),
                mark.reason.describe(Lang::Zh)
            );
        }
    }
    if let Some(sample) = list.first() {
        let surname: String = sample.name.chars().take(1).collect();
        let found = district_db.search(&SearchQuery::Name(surname.clone()), 5)?;
        println!("== 按姓名查询“{surname}”（列表已脱敏）==");
        for summary in &found {
            println!("  {}", masked_line(summary));
        }
        let tail = &sample.phone[sample.phone.len() - 4..];
        let found = district_db.search(&SearchQuery::PhoneTail(tail.to_owned()), 5)?;
        println!("== 按手机尾号查询 {tail}：{} 条 ==", found.len());
    }

    // 6. Everything is on disk: reopen and check.
    drop(district_db);
    drop(phone_a);
    let reopened = Replica::open(&district_path, None)?;
    let answered = reopened
        .counts("440115")?
        .into_iter()
        .find(|(s, _)| *s == TaskStatus::Answered)
        .map_or(0, |(_, n)| n);
    let phone_a = Replica::open(&phone_a_path, Some(&demo_key()))?;
    println!(
        "== 重新打开 == 区级副本 {} 条记录（已反馈 {answered}），手机A加密副本 {} 条；文件在 {}",
        reopened.record_count()?,
        phone_a.record_count()?,
        data_dir.display()
    );
    Ok(())
}
