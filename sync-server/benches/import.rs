//! Import benchmark (a bench binary that prints figures; every loop is bounded): a 100,000-row
//! W1 list (real resident ID numbers, phones, towns by name, 1 % bad rows) is checked and
//! dispatched into a fresh ledger — read and validated, one batch, the persons created as
//! records and pushed through the sync path into their towns' tasks.
//!
//! `cargo bench -p outpost-sync-server --bench import` (options: `--rows N`, `--runs N`,
//! `--postgres URL` to dispatch into PostgreSQL instead of a SQLite file).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, anyhow};
use outpost_shared::demo::people;
use outpost_sync_server::config::ConfigFile;
use outpost_sync_server::import::{self, ImportProgress, ImportRequest};
use rust_xlsxwriter::Workbook;

const TOWNS: [(&str, &str); 9] = [
    ("440115001", "南沙街道"),
    ("440115002", "珠江街道"),
    ("440115003", "龙穴街道"),
    ("440115100", "万顷沙镇"),
    ("440115101", "黄阁镇"),
    ("440115102", "横沥镇"),
    ("440115103", "东涌镇"),
    ("440115104", "大岗镇"),
    ("440115105", "榄核镇"),
];

fn list(rows: usize) -> Result<Vec<u8>> {
    let units: Vec<&str> = TOWNS.iter().map(|(code, _)| *code).collect();
    let persons = people(2026, rows, &units);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.merge_range(
        0,
        0,
        0,
        6,
        "南沙区密接人员名单",
        &rust_xlsxwriter::Format::new(),
    )?;
    for (col, header) in [
        "关联病例",
        "姓名",
        "手机号码",
        "身份证号码",
        "密接类型",
        "所属镇街",
        "住址",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, u16::try_from(col)?, *header)?;
    }
    for (i, person) in persons.iter().enumerate() {
        let row = u32::try_from(i + 2)?;
        let town = TOWNS
            .iter()
            .find(|(code, _)| *code == person.unit)
            .map_or("南沙街道", |(_, name)| *name);
        // One row in a hundred is bad: a typo'd town.
        let town = if i % 100 == 99 { "南沙镇街" } else { town };
        let cells = [
            format!("病例{}", i % 50),
            person.name.clone(),
            person.phone.clone(),
            person.id_number.clone(),
            if i % 3 == 0 {
                "次密接".to_owned()
            } else {
                "密接".to_owned()
            },
            town.to_owned(),
            format!("南沙区某路 {} 号", i % 997),
        ];
        for (col, value) in cells.iter().enumerate() {
            sheet.write_string(row, u16::try_from(col)?, value)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

fn main() -> Result<()> {
    let mut rows = 100_000;
    let mut runs = 3;
    let mut postgres = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{arg} needs a value"));
        match arg.as_str() {
            "--rows" => rows = value()?.parse()?,
            "--runs" => runs = value()?.parse()?,
            "--postgres" => postgres = Some(value()?),
            _ => {}
        }
    }
    let started = Instant::now();
    let bytes = list(rows)?;
    println!(
        "import: a {rows}-row W1 list ({:.1} MB) built in {:.1} s",
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mut totals = Vec::new();
    for run in 1..=runs {
        let dir = tempfile::tempdir()?;
        let database = match &postgres {
            Some(url) => url.clone(),
            None => dir.path().join("ledger.db").display().to_string(),
        };
        let app = outpost_sync_server::app(
            ConfigFile {
                database: Some(database),
                admin_token: Some("bench-admin-token-0123456789".into()),
                assets: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
                ..Default::default()
            }
            .resolve()?,
        )?;
        let started = Instant::now();
        let mut checked_at = None;
        let outcome = import::import_list(
            &app,
            ImportRequest {
                program: "w1-close-contact-whereabouts",
                bytes: &bytes,
                file_name: Some("bench.xlsx"),
                creator: "district-admin",
                within: Some("440115"),
            },
            1_795_395_600_000 + run,
            &mut |progress| {
                if let ImportProgress::Dispatching { .. } = progress
                    && checked_at.is_none()
                {
                    checked_at = Some(started.elapsed());
                }
            },
        )?;
        let total = started.elapsed();
        println!(
            "  run {run}: {} rows, {} imported, {} failed, {} tasks; checked and first chunk in {:.2} s, all dispatched in {:.2} s",
            outcome.rows,
            outcome.imported,
            outcome.failed,
            outcome.units.len(),
            checked_at.unwrap_or_default().as_secs_f64(),
            total.as_secs_f64()
        );
        totals.push(total.as_secs_f64());
        if postgres.is_some() {
            // One database: later runs would add to the first run's rows.
            break;
        }
    }
    totals.sort_by(f64::total_cmp);
    println!(
        "  validate + dispatch {rows} rows: median {:.2} s (target < 3 s), {:.0} rows/s",
        totals[totals.len() / 2],
        rows as f64 / totals[totals.len() / 2]
    );
    Ok(())
}
