//! Spreadsheet benchmark: read and check a W1 list of 100,000 rows (the issue's "a 100k-row list
//! validates and dispatches in < 3 s"; parsing and checking should stay well under 1.5 s).
//!
//! ```text
//! cargo bench -p outpost-shared --bench spreadsheet -- [--rows N] [--runs R]
//! ```
//!
//! The list is built in memory with rust_xlsxwriter as the health bureau's lists look: a merged
//! title row, the W1 header, invented persons (`outpost_shared::demo`) with valid IDs and
//! phones, towns written by name, alias or short name, and about 2% broken rows (unknown town,
//! short phone, ID mangled by Excel, duplicate). Bounded: every loop runs a fixed number of times.

use std::time::{Duration, Instant};

use calamine::Reader;
use outpost_shared::demo::{DemoRng, people};
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::{W1_PRESET, load_presets, presets};
use outpost_shared::spreadsheet::{ImportOptions, failure_workbook, read_list, template};
use rust_xlsxwriter::{Format, Workbook};

const NANSHA: &str = include_str!("../../assets/jurisdictions/440115-nansha.toml");
const HEADERS: [&str; 7] = [
    "关联病例",
    "姓名",
    "手机号码",
    "身份证号码",
    "密接类型",
    "所属镇街",
    "住址",
];

struct Options {
    rows: usize,
    runs: usize,
}

fn options() -> Options {
    let mut options = Options {
        rows: 100_000,
        runs: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value =
            |next: Option<String>, default| next.and_then(|n| n.parse().ok()).unwrap_or(default);
        match arg.as_str() {
            "--rows" => options.rows = value(args.next(), options.rows),
            "--runs" => options.runs = value(args.next(), options.runs).max(1),
            _ => {} // cargo bench passes its own flags (e.g. --bench)
        }
    }
    options
}

/// How a town is written: its name mostly, sometimes an alias or its name without suffix.
fn town_text(tree: &Jurisdictions, code: &str, rng: &mut DemoRng) -> String {
    let unit = tree.get(code).expect("demo towns are in the tree");
    match rng.below(10) {
        0 => unit.aliases.first().unwrap_or(&unit.name).clone(),
        1 => unit
            .name
            .trim_end_matches("街道")
            .trim_end_matches('镇')
            .to_owned(),
        _ => unit.name.clone(),
    }
}

fn build_list(tree: &Jurisdictions, rows: usize) -> Vec<u8> {
    let towns: Vec<&str> = tree
        .units()
        .filter(|unit| unit.level == outpost_shared::jurisdiction::Level::Town)
        .map(|unit| unit.code.as_str())
        .collect();
    let persons = people(4, rows, &towns);
    let mut rng = DemoRng::new(11);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 6, "南沙区密接人员名单（3月18日）", &bold)
        .expect("title");
    for (column, header) in (0u16..).zip(HEADERS) {
        sheet.write_string(1, column, header).expect("header");
    }
    for (index, person) in persons.iter().enumerate() {
        let row = u32::try_from(index + 2).expect("row fits");
        let mut id = person.id_number.clone();
        let mut phone = person.phone.clone();
        let mut town = town_text(tree, &person.unit, &mut rng);
        // About 2% broken rows, of four kinds.
        match rng.below(200) {
            0 => town = "黄格".to_owned(),
            1 => phone.truncate(10),
            2 => id = "4.40115199003071E+17".to_owned(),
            3 if index > 0 => id = persons[index - 1].id_number.clone(),
            _ => {}
        }
        let contact = if rng.below(3) == 0 {
            "次密接"
        } else {
            "密接"
        };
        let cells = [
            format!("病例{}", index % 50),
            person.name.clone(),
            phone,
            id,
            contact.to_owned(),
            town,
            format!("南沙区进港大道 {} 号", index % 900),
        ];
        for (column, cell) in (0u16..).zip(cells) {
            sheet.write_string(row, column, cell).expect("cell");
        }
    }
    workbook.save_to_buffer().expect("workbook")
}

/// CPU time this process has used (user + system), from /proc: on a shared machine the wall
/// time includes waiting for a core, the CPU time does not. Zero where /proc is missing.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name (which may hold spaces) start after ')', with the
            // state (field 3) first; utime and stime are fields 14 and 15.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
            Some(field(14)? + field(15)?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let options = options();
    let tree = Jurisdictions::from_toml_str(NANSHA, "440115-nansha.toml").expect("nansha");
    let index = presets()
        .iter()
        .position(|(file, _)| *file == W1_PRESET)
        .expect("W1 preset");
    let program = load_presets().expect("presets").swap_remove(index);
    let import = ImportOptions {
        program: &program,
        jurisdictions: &tree,
        within: Some("440115"),
    };

    let started = Instant::now();
    let bytes = build_list(&tree, options.rows);
    println!(
        "built a {}-row W1 list: {:.1} MiB in {:.2?}",
        options.rows,
        bytes.len() as f64 / (1024.0 * 1024.0),
        started.elapsed()
    );

    // The floor any reader built on calamine has: opening the workbook (which parses every
    // shared string) and streaming every cell, with no checks at all.
    let (mut open_times, mut cell_times) = (Vec::new(), Vec::new());
    for _ in 0..options.runs {
        let started = Instant::now();
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes[..])).expect("xlsx");
        open_times.push(started.elapsed());
        let name = workbook.sheet_names()[0].clone();
        let started = Instant::now();
        let mut reader = workbook.worksheet_cells_reader(&name).expect("sheet");
        let mut cells = 0usize;
        while reader.next_cell().expect("cell").is_some() {
            cells += 1;
        }
        cell_times.push(started.elapsed());
        assert!(cells >= options.rows);
    }
    println!(
        "calamine alone: open (shared strings) median {:.2?}, stream every cell median {:.2?}",
        median(open_times),
        median(cell_times)
    );

    let mut times = Vec::with_capacity(options.runs);
    let mut cpu_times = Vec::with_capacity(options.runs);
    let mut last = None;
    for _ in 0..options.runs {
        let mut reports = 0;
        let (started, cpu_started) = (Instant::now(), cpu_time());
        let list = read_list(&bytes, &import, &mut |_| reports += 1).expect("list reads");
        times.push(started.elapsed());
        cpu_times.push(cpu_time().saturating_sub(cpu_started));
        assert!(reports >= options.rows / 1_000);
        last = Some(list);
    }
    let list = last.expect("at least one run");
    let summary = list.summary();
    let middle = median(times.clone());
    println!(
        "read_list (parse + check + dispatch): median {middle:.2?} of {} runs (min {:.2?}, max {:.2?}), {:.0} rows/s",
        options.runs,
        times.iter().min().expect("runs"),
        times.iter().max().expect("runs"),
        options.rows as f64 / middle.as_secs_f64()
    );
    println!(
        "  CPU time (user + system, 10 ms ticks): median {:.2?}",
        median(cpu_times)
    );
    println!(
        "rows {}: imported {}, failed {}, blank {}; units {}",
        summary.rows,
        summary.imported,
        summary.failed,
        summary.blank_rows,
        summary.by_unit.len()
    );
    assert_eq!(summary.rows, options.rows);

    let started = Instant::now();
    let failures = failure_workbook(&list).expect("failure workbook");
    println!(
        "failure workbook of {} rows: {:.1} KiB in {:.2?}",
        summary.failed,
        failures.len() as f64 / 1024.0,
        started.elapsed()
    );
    let started = Instant::now();
    let template = template(&program, &tree, Some("440115")).expect("template");
    println!(
        "template: {:.1} KiB in {:.2?}",
        template.len() as f64 / 1024.0,
        started.elapsed()
    );
}
