use std::cell::RefCell;
use std::collections::BTreeMap;

use super::board::{Feed, FeedItem, progress, town_counts};
use super::flow::{FlowItem, RaisedAlert, TaskTally, alert_items};
use super::people::{self, Candidate, Filter};
use super::*;
use crate::jurisdiction::Jurisdictions;
use crate::program::{Program, W1_PRESET, presets};
use crate::record::{Action, AlertResolution, FieldValue, Record, RecordId, Stamp};
use crate::task::TaskKey;
use crate::test_support::Worker;

const NANSHA: &str = include_str!("../../../assets/jurisdictions/440115-nansha.toml");
const W1: &str = "w1-close-contact-whereabouts";

fn tree() -> Jurisdictions {
    Jurisdictions::from_toml_str(NANSHA, "nansha").unwrap()
}

fn w1() -> Program {
    let (_, text) = presets()
        .into_iter()
        .find(|(f, _)| *f == W1_PRESET)
        .unwrap();
    Program::from_toml_str(text, W1_PRESET).unwrap()
}

fn viewer(unit: &str) -> Viewer {
    Viewer {
        user_id: "u".into(),
        display_name: "用户".into(),
        role: "leader".into(),
        unit: unit.into(),
        administrator: false,
    }
}

fn tally(unit: &str, members: i64, claimed: i64, answered: i64) -> TaskTally {
    let key = TaskKey {
        program: W1.into(),
        batch: "b1".into(),
        unit: unit.into(),
        moved_by: None,
    };
    TaskTally {
        id: key.id(),
        key,
        members,
        claimed,
        answered,
        anchor_ms: 0,
    }
}

#[test]
fn a_district_sees_every_town_and_a_community_its_own_row() {
    let tree = tree();
    let tasks = [
        (tally("440115001", 3, 2, 1), 1),
        (tally("440115001002", 2, 0, 0), 2),
        (tally("440115002", 4, 4, 4), 0),
    ];
    let counts = town_counts(&tree, &viewer("440115"), &tasks);
    let towns = tree.units_at(Level::Town);
    let in_district = towns
        .iter()
        .filter(|u| u.code.starts_with("440115"))
        .count();
    assert_eq!(counts.len(), in_district, "empty towns are listed too");
    let nansha = counts.iter().find(|c| c.unit == "440115001").unwrap();
    // The community's task counts in its town.
    assert_eq!(
        (
            nansha.total,
            nansha.unclaimed,
            nansha.claimed,
            nansha.answered,
            nansha.overdue
        ),
        (5, 3, 1, 1, 3)
    );
    assert!((nansha.completion - 0.2).abs() < 1e-9);
    let zhujiang = counts.iter().find(|c| c.unit == "440115002").unwrap();
    assert!((zhujiang.completion - 1.0).abs() < 1e-9);
    assert!(
        counts
            .iter()
            .filter(|c| c.total == 0)
            .all(|c| c.completion == 0.0)
    );

    let community = town_counts(&tree, &viewer("440115001002"), &tasks[1..2]);
    assert_eq!(community.len(), 1);
    assert_eq!(
        (community[0].unit.as_str(), community[0].total),
        ("440115001002", 2)
    );
}

fn item(at_ms: i64) -> FlowItem {
    FlowItem {
        at_ms,
        kind: "alert_raised".into(),
        label: Text::same(""),
        by: String::new(),
        person: String::new(),
        detail: Text::same(""),
    }
}

#[test]
fn the_feed_is_newest_first_and_its_cursor_is_the_newest_entry() {
    let items: Vec<FeedItem> = [5, 9, 7]
        .into_iter()
        .map(|at| FeedItem {
            key: format!("a{at}:raised"),
            task: "t".into(),
            unit_name: Text::same(""),
            item: item(at),
        })
        .collect();
    let feed = Feed::of(items.clone(), None, 2);
    let order: Vec<i64> = feed.items.iter().map(|i| i.item.at_ms).collect();
    assert_eq!(order, [9, 7]);
    assert_eq!(feed.cursor_ms, 9);
    assert_eq!(
        Feed::of(Vec::new(), Some(42), 10).cursor_ms,
        42,
        "nothing new"
    );
}

fn resolution(synced_ms: i64) -> AlertResolution {
    let mut worker = Worker::new("server", "server");
    let mut record = worker.person("p", "440115001", "李明", "13490879088", "");
    worker.act(&mut record, 2_000, Action::Claimed);
    let stamp: Stamp = record.state().claim.unwrap();
    AlertResolution {
        completed_ms: synced_ms - 1_000,
        synced_ms,
        stamp,
    }
}

#[test]
fn alert_items_since_a_time_keep_what_happened_from_then() {
    let program = w1();
    let alerts = [
        RaisedAlert {
            id: "alert-1".into(),
            rule: "claim".into(),
            fired_ms: 1_000,
            title: "南沙街道 2/3 人未完成".into(),
            resolution: Some(resolution(5_000)),
        },
        RaisedAlert {
            id: "alert-2".into(),
            rule: "unknown-rule".into(),
            fired_ms: 6_000,
            title: "t".into(),
            resolution: None,
        },
    ];
    let all = alert_items(&program, &alerts, None);
    let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["alert-1:raised", "alert-1:resolved", "alert-2:raised"]
    );
    assert_eq!(
        all[0].1.detail.zh, "南沙街道 2/3 人未完成",
        "the title once, no rule prefix"
    );
    assert_eq!(
        all[2].1.detail.zh, "unknown-rule：t",
        "an unknown rule shows its id"
    );
    let since: Vec<String> = alert_items(&program, &alerts, Some(4_000))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(since, ["alert-1:resolved", "alert-2:raised"]);
}

fn candidates(
    count: usize,
) -> (
    Vec<Candidate>,
    BTreeMap<RecordId, BTreeMap<String, FieldValue>>,
) {
    let mut worker = Worker::new("district", "d-pc");
    let mut out = Vec::new();
    let mut fields = BTreeMap::new();
    for n in 0..count {
        let name = format!("张{}", ["一", "二", "三", "四", "五", "六"][n % 6]);
        let phone = format!("1349087{:04}", n);
        let mut record: Record = worker.person(&format!("p-{n}"), "440115001", &name, &phone, "");
        if n == 0 {
            worker.act(&mut record, 3_000, Action::Claimed);
            worker.act(
                &mut record,
                4_000,
                Action::Answered {
                    outcome: vec!["in_district".into(), "home_quarantine".into()],
                    note: None,
                },
            );
        }
        let state = record.state();
        fields.insert(record.id().clone(), record.fields());
        out.push(Candidate {
            id: record.id().clone(),
            task: TaskKey::of(W1, &state).unwrap(),
            state,
        });
    }
    (out, fields)
}

#[test]
fn records_that_cannot_be_read_are_left_out_and_counted() {
    let (program, tree) = (w1(), tree());
    let (found, fields) = candidates(6);
    let broken = |id: &RecordId| id.as_str() == "p-2" || id.as_str() == "p-4";
    let read = |id: &RecordId| Ok::<_, ()>((!broken(id)).then(|| fields[id].clone()));
    let all = Filter {
        program: W1.into(),
        ..Filter::default()
    };
    let page = people::list(&program, &tree, found.clone(), &all, false, read).unwrap();
    assert_eq!((page.rows.len(), page.unreadable), (4, 2));
    assert!(page.rows.iter().all(|r| r.id != "p-2" && r.id != "p-4"));
    let search = Filter {
        program: W1.into(),
        search: Some("0004".into()),
        ..Filter::default()
    };
    let searched = people::list(&program, &tree, found, &search, true, read).unwrap();
    assert_eq!((searched.total, searched.unreadable), (0, 2));
}

#[test]
fn a_page_reads_the_fields_of_its_rows_only_and_masks_them() {
    let (program, tree) = (w1(), tree());
    let (found, fields) = candidates(6);
    let reads = RefCell::new(0);
    let fields_of = |id: &RecordId| -> Result<_, ()> {
        *reads.borrow_mut() += 1;
        Ok(Some(fields[id].clone()))
    };
    let filter = Filter {
        program: W1.into(),
        offset: Some(2),
        limit: Some(3),
        ..Filter::default()
    };
    let page = people::list(&program, &tree, found.clone(), &filter, true, fields_of).unwrap();
    assert_eq!((page.total, page.offset, page.rows.len()), (6, 2, 3));
    assert_eq!(*reads.borrow(), 3, "one read per row shown");
    for row in &page.rows {
        assert!(row.fields["phone"].contains('*'), "{:?}", row.fields);
        assert!(row.fields["name"].contains('*'), "{:?}", row.fields);
    }

    // A search reads every candidate, and matches a phone tail of three digits or more.
    *reads.borrow_mut() = 0;
    let search = Filter {
        program: W1.into(),
        search: Some("0004".into()),
        ..Filter::default()
    };
    let found_by_phone = people::list(&program, &tree, found.clone(), &search, true, |id| {
        *reads.borrow_mut() += 1;
        Ok::<_, ()>(Some(fields[id].clone()))
    })
    .unwrap();
    assert_eq!(found_by_phone.total, 1);
    assert_eq!(found_by_phone.rows[0].id, "p-4");
    assert_eq!(*reads.borrow(), 6);

    // Answered with the outcome's labels, root to leaf.
    let answered = Filter {
        program: W1.into(),
        status: Some("answered".into()),
        ..Filter::default()
    };
    let page = people::list(&program, &tree, found.clone(), &answered, false, |id| {
        Ok::<_, ()>(Some(fields[id].clone()))
    })
    .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        page.rows[0].outcome_codes,
        ["in_district", "home_quarantine"]
    );
    assert_eq!(page.rows[0].outcome.len(), 2);
    assert_eq!(page.rows[0].answered_ms, Some(4_000));
}

#[test]
fn the_completion_curve_is_cumulative_and_ends_at_the_latest_time() {
    let (found, _) = candidates(4);
    let points = progress(found.iter().map(Candidate::times), 10_000, 5);
    assert_eq!(points.len(), 5);
    assert_eq!(points.last().unwrap().at_ms, 10_000);
    assert_eq!(
        (
            points.last().unwrap().dispatched,
            points.last().unwrap().answered
        ),
        (4, 1)
    );
    assert!(points.windows(2).all(|w| w[0].answered <= w[1].answered));
    assert!(progress([], 10_000, 5).is_empty(), "nothing dispatched");
}

#[test]
fn a_detail_is_in_full_only_for_roles_that_may_see_it() {
    let (program, tree) = (w1(), tree());
    let (found, fields) = candidates(1);
    let full = people::detail(
        &viewer("440115"),
        &program,
        &tree,
        &found[0],
        fields[&found[0].id].clone(),
        Vec::new(),
        Lang::Zh,
    );
    assert!(!full.masked);
    assert_eq!(full.person.fields["phone"], "13490870000");
    let escort = Viewer {
        role: "escort".into(),
        ..viewer("440115")
    };
    let masked = people::detail(
        &escort,
        &program,
        &tree,
        &found[0],
        fields[&found[0].id].clone(),
        Vec::new(),
        Lang::Zh,
    );
    assert!(masked.masked);
    assert!(masked.person.fields["phone"].contains('*'));
}

#[test]
fn a_filter_outside_the_viewers_unit_finds_nothing() {
    let town = viewer("440115001");
    let within = |unit: Option<&str>| {
        Filter {
            unit: unit.map(str::to_owned),
            ..Filter::default()
        }
        .scope_prefix(&town)
    };
    assert_eq!(within(None).as_deref(), Some("440115001"));
    assert_eq!(
        within(Some("440115001002")).as_deref(),
        Some("440115001002")
    );
    assert_eq!(within(Some("440115002")), None);
    assert_eq!(
        within(Some(" ")).as_deref(),
        Some("440115001"),
        "blank is none"
    );
}

#[test]
fn roles_have_names_in_both_languages() {
    assert_eq!(role_name("leader", Lang::Zh), "负责人");
    assert_eq!(role_name("leader", Lang::En), "Leader");
    assert_eq!(role_name("nobody", Lang::Zh), "nobody");
    assert_eq!(role_choices().len(), ROLES.len());
}

#[test]
fn a_declared_step_reads_in_the_flow_by_its_label_and_the_status_it_reached() {
    let program = Program::from_toml_str(
        include_str!("../../tests/programs/isolation-follow-up.toml"),
        "isolation-follow-up.toml",
    )
    .unwrap();
    let mut district = Worker::new("district", "d-pc");
    let mut worker = Worker::new("worker-1", "phone-1");
    let mut record = district.person("p-1", "440115001001", "李明", "13490879088", "");
    worker.act(
        &mut record,
        2_000,
        Action::Transitioned {
            action: "send_to_central".into(),
            from: "pending".into(),
            to: "central_isolation".into(),
            outcome: Vec::new(),
            inputs: BTreeMap::from([("isolation_site".into(), "南沙酒店".into())]),
            note: Some("家中无独立房间".into()),
        },
    );
    let (events, _) = record.events();
    let names = BTreeMap::from([("worker-1".to_owned(), "陈工".to_owned())]);
    let items = super::flow::person_events(&program, &events, &names, None);
    let step = items.last().unwrap();
    assert_eq!(step.kind, "transitioned");
    assert_eq!(step.label.zh, "转集中隔离");
    assert_eq!(step.label.en, "Send to central isolation");
    assert_eq!(step.detail.zh, "集中隔离中（家中无独立房间）");
    assert_eq!(step.by, "陈工");
    // The person's status in the results reads as the program labels it.
    assert_eq!(
        workflow_status_text(&program, &record.state().status_code).zh,
        "集中隔离中"
    );
}

#[test]
fn a_programs_declared_statuses_are_offered_and_filter_the_results() {
    let program = Program::from_toml_str(
        include_str!("../../tests/programs/isolation-follow-up.toml"),
        "isolation-follow-up.toml",
    )
    .unwrap();
    let info = ProgramInfo::of(&program);
    let codes: Vec<&str> = info.statuses.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "unclaimed",
            "claimed",
            "answered",
            "home_isolation",
            "central_isolation",
            "released"
        ]
    );
    assert_eq!(info.statuses[0].label.zh, "待处置");
    assert_eq!(info.statuses[3].colour, "blue");
    // W2 declares 已发放物资 and 已上车, which no step records: not offered as filters.
    let w2 = Program::from_toml_str(
        include_str!("../../../assets/programs/w2-community-verification.toml"),
        "w2.toml",
    )
    .unwrap();
    assert_eq!(ProgramInfo::of(&w2).statuses.len(), 3);

    let tree = tree();
    let mut district = Worker::new("district", "d-pc");
    let mut worker = Worker::new("worker-1", "phone-1");
    let mut candidates = Vec::new();
    let mut fields = BTreeMap::new();
    for n in 0..3 {
        let mut record =
            district.person(&format!("p-{n}"), "440115001001", "李明", "13490879088", "");
        if n > 0 {
            worker.act(
                &mut record,
                2_000,
                Action::Transitioned {
                    action: "start_home_isolation".into(),
                    from: "pending".into(),
                    to: "home_isolation".into(),
                    outcome: Vec::new(),
                    inputs: BTreeMap::from([("seal_intact".into(), "true".into())]),
                    note: None,
                },
            );
        }
        let state = record.state();
        fields.insert(record.id().clone(), record.fields());
        candidates.push(Candidate {
            id: record.id().clone(),
            task: TaskKey::of(program.id(), &state).unwrap(),
            state,
        });
    }
    let filtered = |status: &str| {
        let filter = Filter {
            program: program.id().into(),
            status: Some(status.into()),
            ..Filter::default()
        };
        people::list(&program, &tree, candidates.clone(), &filter, false, |id| {
            Ok::<_, ()>(Some(fields[id].clone()))
        })
        .unwrap()
    };
    let isolated = filtered("home_isolation");
    assert_eq!(isolated.total, 2);
    assert_eq!(isolated.rows[0].status_label.zh, "居家隔离中");
    // 待处置 is the one nobody has stepped; a stepped person is not 已认领 in this program.
    assert_eq!(filtered("unclaimed").total, 1);
    assert_eq!(filtered("claimed").total, 0);
}
