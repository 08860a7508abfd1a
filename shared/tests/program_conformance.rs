//! Conformance of every program file: each step a program offers — its declared transitions and
//! the core claim and answer — is taken in a generic scenario, on a device (`task::command::check`
//! against what the device holds, then appended offline) and on the server (admission of the
//! pushed change against the stored record), from a record brought to a status the step starts
//! from by the program's own steps. A program whose file loads but whose machine cannot be run
//! this way (an unreachable starting status, inputs its own types refuse, a guard no value
//! satisfies) fails here, not in the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::jurisdiction::{self, Jurisdictions, Level};
use outpost_shared::program::{
    self, Action as CoreAction, FieldType, GuardTest, JurisdictionLevel, NoteRule, OutcomeNode,
    Program, Transition, core_status,
};
use outpost_shared::record::{Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::sync::admission::{Pusher, Rules, Stored, admit};
use outpost_shared::task::command::{Command, Context, Facts, check};

/// Every program a deployment might load: the presets and the test programs.
fn programs() -> Vec<(String, Program)> {
    let mut all: Vec<(String, Program)> = program::presets()
        .into_iter()
        .map(|(file, text)| (file.to_owned(), Program::from_toml_str(text, file).unwrap()))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        all.push((name.clone(), Program::from_toml_str(&text, &name).unwrap()));
    }
    assert!(all.len() >= 3, "the presets and at least one test program");
    all
}

/// One step of the scenario: a declared transition or a core action, as a command.
#[derive(Debug, Clone)]
enum Step<'a> {
    Claim,
    Answer,
    Declared(&'a Transition),
}

impl Step<'_> {
    fn name(&self) -> String {
        match self {
            Step::Claim => "claim".into(),
            Step::Answer => "answer".into(),
            Step::Declared(t) => t.action.clone(),
        }
    }
}

/// The steps that leave `status`, with the status each reaches.
fn edges<'a>(program: &'a Program, status: &str) -> Vec<(Step<'a>, String)> {
    let mut out = Vec::new();
    if program.allows(CoreAction::Claim) && status == core_status::PENDING {
        out.push((Step::Claim, core_status::CLAIMED.to_owned()));
    }
    if program.allows(CoreAction::Answer)
        && (status == core_status::PENDING || status == core_status::CLAIMED)
    {
        out.push((Step::Answer, core_status::ANSWERED.to_owned()));
    }
    for transition in program.transitions() {
        if transition.starts_from(status) {
            out.push((Step::Declared(transition), transition.to.clone()));
        }
    }
    out
}

/// The shortest path of steps from `pending` to `target`.
fn path_to<'a>(program: &'a Program, target: &str) -> Option<Vec<Step<'a>>> {
    let mut queue = VecDeque::from([core_status::PENDING.to_owned()]);
    let mut came: HashMap<String, (String, Step<'a>)> = HashMap::new();
    let mut seen = vec![core_status::PENDING.to_owned()];
    while let Some(status) = queue.pop_front() {
        if status == target {
            let mut steps = Vec::new();
            let mut at = status;
            while let Some((from, step)) = came.get(&at) {
                steps.push(step.clone());
                at = from.clone();
            }
            steps.reverse();
            return Some(steps);
        }
        for (step, to) in edges(program, &status) {
            if !seen.contains(&to) {
                seen.push(to.clone());
                came.insert(to.clone(), (status.clone(), step));
                queue.push_back(to);
            }
        }
    }
    None
}

/// A value every field type accepts, satisfying `test` when one is given.
fn value_for(kind: &FieldType, test: Option<&GuardTest>) -> Option<String> {
    let choose = |options: &[String]| -> Option<String> {
        match test {
            Some(GuardTest::In(values)) => values.first().cloned(),
            Some(GuardTest::NotIn(values)) => options.iter().find(|o| !values.contains(o)).cloned(),
            Some(GuardTest::Unset) => None,
            Some(GuardTest::Set) | None => options.first().cloned(),
        }
    };
    if matches!(test, Some(GuardTest::Unset)) {
        return None;
    }
    Some(match kind {
        FieldType::Choice { options } => {
            let codes: Vec<String> = options.iter().map(|o| o.code.clone()).collect();
            return choose(&codes);
        }
        FieldType::Phone => "13800138000".into(),
        FieldType::ResidentId | FieldType::IdDocument => "11010519491231002X".into(),
        FieldType::Boolean => "true".into(),
        FieldType::Integer => "1".into(),
        FieldType::Date => "2026-12-08".into(),
        FieldType::DateTime => "2026-12-08 09:00".into(),
        FieldType::Jurisdiction => return None,
        FieldType::Text => match test {
            Some(GuardTest::In(values)) => values.first().cloned()?,
            _ => "测试".into(),
        },
    })
}

/// The record's field values that the path's and the step's guards ask for.
fn guarded_fields(program: &Program, steps: &[Step<'_>]) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for step in steps {
        let Step::Declared(transition) = step else {
            continue;
        };
        for guard in &transition.guards {
            if transition.input(&guard.field).is_some() {
                continue;
            }
            let field = program.field(&guard.field).unwrap();
            match value_for(&field.field_type, Some(&guard.test)) {
                Some(value) => fields.insert(guard.field.clone(), value),
                None => fields.remove(&guard.field),
            };
        }
    }
    fields
}

/// The first leaf of the outcome tree, and a note if any level on the way asks for one.
fn first_answer(program: &Program) -> (Vec<String>, Option<String>) {
    let mut codes = Vec::new();
    let mut note = false;
    let mut node: &OutcomeNode = &program.outcomes().roots()[0];
    loop {
        codes.push(node.code.clone());
        note |= node.note == NoteRule::Required;
        match node.children.first() {
            Some(child) => node = child,
            None => break,
        }
    }
    (codes, note.then(|| "测试备注".to_owned()))
}

fn command(program: &Program, step: &Step<'_>) -> Command {
    match step {
        Step::Claim => Command::Claim,
        Step::Answer => {
            let (outcome, note) = first_answer(program);
            Command::Answer { outcome, note }
        }
        Step::Declared(transition) => {
            let inputs = transition
                .inputs
                .iter()
                .filter_map(|input| {
                    let field = program.field(&input.field).unwrap();
                    let test = transition
                        .guards
                        .iter()
                        .find(|g| g.field == input.field)
                        .map(|g| &g.test);
                    value_for(&field.field_type, test).map(|v| (input.field.clone(), v))
                })
                .collect();
            let (outcome, mut note) = if transition.outcome {
                first_answer(program)
            } else {
                (Vec::new(), None)
            };
            if transition.note == NoteRule::Required && note.is_none() {
                note = Some("测试备注".into());
            }
            Command::Transition {
                action: transition.action.clone(),
                outcome,
                inputs,
                note,
            }
        }
    }
}

/// A role that may take the step.
fn role_for<'a>(step: &Step<'a>) -> &'a str {
    match step {
        Step::Declared(transition) => transition.roles.first().map_or("worker", String::as_str),
        Step::Claim | Step::Answer => "worker",
    }
}

/// A unit of the tree at the program's dispatch level, within its area.
fn dispatch_unit(program: &Program, tree: &Jurisdictions) -> String {
    let level = match program.dispatch().level {
        JurisdictionLevel::Community => Level::Community,
        JurisdictionLevel::Town => Level::Town,
        _ => Level::District,
    };
    tree.units_at(level)
        .into_iter()
        .find(|unit| program.serves(tree, &unit.code))
        .map(|unit| unit.code.clone())
        .expect("a unit to dispatch to")
}

fn author(user: &str, device: &str) -> (Author, HlcClock) {
    let device = DeviceId::new(device).unwrap();
    (
        Author {
            user: UserId::new(user).unwrap(),
            device: device.clone(),
        },
        HlcClock::new(device),
    )
}

/// Runs `steps` on a fresh record of `program`: each is checked and appended on the device,
/// then admitted by the server against the record as stored. Returns the final status.
fn run(
    program: &Program,
    programs: &[Program],
    tree: &Jurisdictions,
    steps: &[Step<'_>],
) -> String {
    let fields = guarded_fields(program, steps);
    let (import, mut import_clock) = author("import", "server-import");
    let mut record = Record::create(
        NewRecord {
            id: RecordId::new("conformance-1").unwrap(),
            kind: RecordKind::Person,
            program: program.id().to_owned(),
            unit: dispatch_unit(program, tree),
            batch: Some("20261208090000".into()),
            fields: fields.clone().into_iter().collect(),
        },
        &import,
        &mut import_clock,
        1_000,
    )
    .unwrap();
    let mut stored: Vec<Vec<u8>> = record
        .changes_since(&[])
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    let (worker, mut clock) = author("worker-1", "device-1");
    for (n, step) in steps.iter().enumerate() {
        let role = role_for(step);
        let context = Context {
            program,
            jurisdictions: tree,
            role,
        };
        let facts = Facts {
            supplementary: false,
            fields: fields.clone(),
        };
        let action = check(&context, &record.state(), &facts, &command(program, step))
            .unwrap_or_else(|e| {
                panic!(
                    "{}: the device refuses `{}`: {e}",
                    program.id(),
                    step.name()
                )
            });
        let heads = record.heads();
        record
            .append(&worker, &mut clock, 2_000 + n as u64 * 1_000, action)
            .unwrap();
        let pushed: Vec<Vec<u8>> = record
            .changes_since(&heads)
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect();
        let pusher = Pusher {
            user: "worker-1",
            device: "device-1",
            role,
        };
        let rules = Rules {
            programs,
            jurisdictions: tree,
        };
        admit(
            record.id(),
            Stored::load(&stored).unwrap(),
            &pushed,
            pusher,
            rules,
        )
        .unwrap_or_else(|e| {
            panic!(
                "{}: the server refuses `{}`: {e:?}",
                program.id(),
                step.name()
            )
        });
        stored.extend(pushed);
    }
    // The server's copy folds to the device's state.
    let mut server = Record::load(&stored.concat()).unwrap();
    assert_eq!(server.state(), record.state(), "{}", program.id());
    assert!(server.heads() == record.heads());
    record.state().status_code
}

#[test]
fn every_step_of_every_program_is_taken_on_a_device_and_admitted_by_the_server() {
    let all = programs();
    let programs: Vec<Program> = all.iter().map(|(_, p)| p.clone()).collect();
    let tree = jurisdiction::load_presets().unwrap();
    let mut taken = 0;
    for (file, program) in &all {
        program.check_area(&tree).unwrap();
        let mut statuses = vec![core_status::PENDING.to_owned()];
        statuses.extend(program.statuses().iter().map(|s| s.code.clone()));
        statuses.dedup();
        for from in &statuses {
            for (step, to) in edges(program, from) {
                let mut steps = path_to(program, from).unwrap_or_else(|| {
                    panic!("{file}: status `{from}` cannot be reached from pending")
                });
                steps.push(step.clone());
                let reached = run(program, &programs, &tree, &steps);
                assert_eq!(reached, to, "{file}: `{}` from `{from}`", step.name());
                taken += 1;
            }
        }
        // Every declared status is reached by some step (none is declared for nothing but
        // the core statuses a program's actions reach).
        for status in program.statuses() {
            if core_status::is_core(&status.code) || program.transitions().is_empty() {
                continue;
            }
            assert!(
                path_to(program, &status.code).is_some(),
                "{file}: status `{}` is never reached",
                status.code
            );
        }
    }
    eprintln!("{taken} steps taken");
    // W1: claim, answer ×2; W2 likewise; the test program: its own steps too.
    assert!(taken >= 10, "{taken} steps taken");
}
