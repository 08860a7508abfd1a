use proptest::prelude::*;

use super::*;
use crate::test_support::Worker;

const TOWN_A: &str = "440115001";
const TOWN_B: &str = "440115002";
const TOWN_C: &str = "440115100";

fn person(district: &mut Worker) -> Record {
    district.person("p-0001", TOWN_A, "李明", "13490879088", "")
}

fn answer(codes: &[&str]) -> Action {
    Action::Answered {
        outcome: codes.iter().map(|c| (*c).to_owned()).collect(),
        note: None,
    }
}

fn reasons(state: &RecordState) -> Vec<&ReviewReason> {
    state.reviews.iter().map(|m| &m.reason).collect()
}

#[test]
fn claim_then_answer_moves_through_the_three_statuses() {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = person(&mut district);
    assert_eq!(record.state().status, TaskStatus::Unclaimed);
    town.act(&mut record, 2_000, Action::Claimed);
    assert_eq!(record.state().status, TaskStatus::Claimed);
    town.act(&mut record, 3_000, answer(&["local", "home", "elderly"]));
    let state = record.state();
    assert_eq!(state.status, TaskStatus::Answered);
    assert_eq!(state.unit.as_deref(), Some(TOWN_A));
    assert!(!state.needs_review());
}

#[test]
fn concurrent_claims_keep_the_earlier_and_are_flagged_for_review() {
    let mut district = Worker::new("district", "d-pc");
    let mut first = Worker::new("alice", "phone-1");
    let mut second = Worker::new("bob", "phone-2");
    let mut on_phone_1 = person(&mut district);
    let mut on_phone_2 = on_phone_1.clone();
    first.act(&mut on_phone_1, 5_000, Action::Claimed);
    second.act(&mut on_phone_2, 6_000, Action::Claimed);
    on_phone_1.merge(&mut on_phone_2).unwrap();
    on_phone_2.merge(&mut on_phone_1).unwrap();
    let state = on_phone_1.state();
    assert_eq!(state, on_phone_2.state());
    assert_eq!(state.claim.as_ref().unwrap().by.as_str(), "alice");
    assert_eq!(
        reasons(&state),
        vec![&ReviewReason::ConcurrentClaims {
            kept: UserId::new("alice").unwrap(),
            also: UserId::new("bob").unwrap(),
        }]
    );
}

#[test]
fn a_claim_made_after_seeing_another_claim_is_a_take_over_not_a_conflict() {
    let mut district = Worker::new("district", "d-pc");
    let mut first = Worker::new("alice", "phone-1");
    let mut second = Worker::new("bob", "phone-2");
    let mut record = person(&mut district);
    first.act(&mut record, 5_000, Action::Claimed);
    second.act(&mut record, 6_000, Action::Claimed);
    let state = record.state();
    assert_eq!(state.claim.as_ref().unwrap().by.as_str(), "bob");
    assert!(!state.needs_review());
}

#[test]
fn claim_after_reassignment_is_flagged_for_review() {
    let mut district = Worker::new("district", "d-pc");
    let mut town_a = Worker::new("town-a", "phone-a");
    let mut town_a_offline = Worker::new("town-a-2", "phone-a2");
    let mut online = person(&mut district);
    let mut offline = online.clone();
    town_a.act(
        &mut online,
        5_000,
        Action::Reassigned {
            to_unit: TOWN_B.into(),
            reason: None,
        },
    );
    town_a_offline.act(&mut offline, 9_000, Action::Claimed);
    online.merge(&mut offline).unwrap();
    let state = online.state();
    assert_eq!(state.unit.as_deref(), Some(TOWN_B));
    assert_eq!(state.status, TaskStatus::Unclaimed);
    assert_eq!(state.former_units, vec![TOWN_A.to_owned()]);
    assert!(matches!(
        reasons(&state)[..],
        [ReviewReason::ActionOnFormerUnit { action: ActionKind::Claimed, former_unit, current_unit, .. }]
            if former_unit == TOWN_A && current_unit == TOWN_B
    ));
}

#[test]
fn an_answer_racing_a_reassignment_is_kept_visible_and_flagged() {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut mover = Worker::new("district-2", "d-pc2");
    let mut field = person(&mut district);
    let mut office = field.clone();
    town.act(&mut field, 4_000, answer(&["elsewhere", "other_province"]));
    mover.act(
        &mut office,
        6_000,
        Action::Reassigned {
            to_unit: TOWN_B.into(),
            reason: None,
        },
    );
    field.merge(&mut office).unwrap();
    let state = field.state();
    assert_eq!(state.unit.as_deref(), Some(TOWN_B));
    assert!(matches!(
        reasons(&state)[..],
        [
            ReviewReason::ReassignedOverUnseenWork {
                action: ActionKind::Claimed,
                ..
            },
            ReviewReason::ReassignedOverUnseenWork {
                action: ActionKind::Answered,
                ..
            }
        ]
    ));
}

#[test]
fn reassignment_gives_the_new_unit_fresh_clocks() {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = person(&mut district);
    town.act(&mut record, 2_000, Action::Claimed);
    town.act(
        &mut record,
        3_000,
        Action::Reassigned {
            to_unit: TOWN_C.into(),
            reason: Some("户籍在横沥".into()),
        },
    );
    let state = record.state();
    assert_eq!(state.status, TaskStatus::Unclaimed);
    assert_eq!(state.assigned.as_ref().unwrap().at.wall_ms, 3_000);
    assert!(state.claim.is_none());
    assert!(!state.needs_review());
}

#[test]
fn concurrent_edits_of_one_field_keep_both_values_for_review() {
    let mut district = Worker::new("district", "d-pc");
    let a = Worker::new("alice", "phone-1");
    let b = Worker::new("bob", "phone-2");
    let mut one = person(&mut district);
    let mut two = one.clone();
    one.set_field(&a.author, "phone", "13800000001").unwrap();
    two.set_field(&b.author, "phone", "13800000002").unwrap();
    two.set_field(&b.author, "address", "南沙街金沙社区 1 号")
        .unwrap();
    one.merge(&mut two).unwrap();
    let phone = one.field("phone").unwrap();
    let mut values = phone.conflicting.clone();
    values.sort();
    assert_eq!(values, vec!["13800000001", "13800000002"]);
    assert_eq!(
        one.field("address").unwrap().value,
        "南沙街金沙社区 1 号",
        "edits of different fields merge without conflict"
    );
    let state = one.state();
    assert!(state.reviews.iter().any(|m| m.id == "field:phone"));
    one.set_field(&a.author, "phone", "13800000002").unwrap();
    assert!(one.field("phone").unwrap().conflicting.is_empty());
    assert!(!one.state().needs_review());
}

#[test]
fn concurrent_wristband_bindings_keep_the_first_and_replacement_keeps_history() {
    let mut district = Worker::new("district", "d-pc");
    let mut escort_1 = Worker::new("escort-1", "handheld-1");
    let mut escort_2 = Worker::new("escort-2", "handheld-2");
    let mut one = person(&mut district);
    let mut two = one.clone();
    escort_1.act(
        &mut one,
        2_000,
        Action::TagBound {
            tag: "WB-0001".into(),
        },
    );
    escort_2.act(
        &mut two,
        2_500,
        Action::TagBound {
            tag: "WB-0002".into(),
        },
    );
    one.merge(&mut two).unwrap();
    let state = one.state();
    assert_eq!(state.tag.as_ref().unwrap().tag, "WB-0001");
    assert!(matches!(
        reasons(&state)[..],
        [ReviewReason::ConcurrentTagBindings { kept, also }] if kept == "WB-0001" && also == "WB-0002"
    ));
    escort_1.act(
        &mut one,
        3_000,
        Action::TagBound {
            tag: "WB-0003".into(),
        },
    );
    let state = one.state();
    assert_eq!(state.tag.unwrap().tag, "WB-0003");
    assert_eq!(state.tag_history.len(), 1);
    assert_eq!(state.tag_history[0].tag, "WB-0001");
}

#[test]
fn a_resolution_that_saw_the_conflict_clears_the_mark_everywhere() {
    let mut district = Worker::new("district", "d-pc");
    let mut first = Worker::new("alice", "phone-1");
    let mut second = Worker::new("bob", "phone-2");
    let mut one = person(&mut district);
    let mut two = one.clone();
    first.act(&mut one, 5_000, Action::Claimed);
    second.act(&mut two, 6_000, Action::Claimed);
    one.merge(&mut two).unwrap();
    let mark = one.state().reviews[0].id.clone();
    district.act(
        &mut one,
        7_000,
        Action::ReviewResolved {
            marks: vec![mark],
            note: Some("由 alice 继续".into()),
        },
    );
    two.merge(&mut one).unwrap();
    assert!(!two.state().needs_review());
    assert_eq!(one.state(), two.state());
}

#[test]
fn saved_records_load_back_with_the_same_state() {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = person(&mut district);
    let heads = record.heads();
    town.act(&mut record, 2_000, Action::Claimed);
    let increment = record.save_after(&heads);
    let mut copy = Record::load(&person(&mut Worker::new("district", "d-pc")).save()).unwrap();
    copy.apply(&increment).unwrap();
    assert_eq!(copy.state(), record.state());
    assert_eq!(copy.field("name").unwrap().value, "李明");
}

#[test]
fn garbage_bytes_are_rejected_with_an_error_not_a_panic() {
    assert!(Record::load(b"not a document").is_err());
    assert!(Record::load(&[]).is_err());
    let mut empty = AutoCommit::new();
    assert!(matches!(
        Record::load(&empty.save()),
        Err(RecordError::MissingRoot(_))
    ));
}

/// A copy of `person` two changes behind the original, and those two changes as one message:
/// a compressed change chunk (as sync sends them) followed by a plain one (as saved).
fn copy_and_two_changes() -> (Record, Record, Vec<u8>) {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = person(&mut district);
    let copy = Record::load(&record.save()).unwrap();
    let heads = record.heads();
    town.act(&mut record, 2_000, Action::Claimed);
    let claimed = record.heads();
    town.act(&mut record, 3_000, answer(&["local", "home", "elderly"]));
    let (_, mut message) = record.changes_since(&heads).remove(0);
    let plain = record.save_after(&claimed);
    assert_eq!(
        (message[8], plain[8]),
        (2, 1),
        "chunk types: compressed, then plain"
    );
    message.extend(plain);
    (record, copy, message)
}

#[test]
fn a_run_of_change_chunks_applies_in_one_go() {
    let (mut record, mut copy, message) = copy_and_two_changes();
    copy.apply(&message).unwrap();
    assert_eq!(copy.state(), record.state());
    assert_eq!(copy.heads(), record.heads());
    // Re-sent changes are a no-op; an empty message is one too.
    copy.apply(&message).unwrap();
    copy.apply(&[]).unwrap();
    assert_eq!(copy.heads(), record.heads());
}

#[test]
fn a_damaged_message_is_refused_as_a_whole() {
    let (_, mut copy, message) = copy_and_two_changes();
    let before = copy.heads();
    let mut flipped = message.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x55;
    let mut trailing_garbage = message.clone();
    trailing_garbage.extend_from_slice(b"not a chunk");
    let damaged: [&[u8]; 4] = [
        &flipped,
        &message[..message.len() - 3],
        &trailing_garbage,
        b"garbage",
    ];
    for bytes in damaged {
        assert!(copy.apply(bytes).is_err());
        assert_eq!(copy.heads(), before, "a damaged message changed the record");
    }
}

#[test]
fn a_whole_document_followed_by_changes_applies() {
    let (mut record, mut copy, message) = copy_and_two_changes();
    let mut town_b = Worker::new("town-b", "phone-b");
    let mut other = Record::load(&record.save()).unwrap();
    let heads = other.heads();
    town_b.act(&mut other, 4_000, Action::TagBound { tag: "WB-1".into() });
    let mut bytes = record.save();
    bytes.extend(other.save_after(&heads));
    copy.apply(&bytes).unwrap();
    record.merge(&mut other).unwrap();
    assert_eq!(copy.state(), record.state());
    assert_eq!(copy.heads(), record.heads());
    assert!(copy.apply(&message).is_ok());
}

// --- Convergence properties -------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Claim(usize),
    Answer(usize, u8),
    Reassign(usize, u8),
    Bind(usize, u8),
    SetField(usize, u8),
    Sync(usize, usize),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let device = 0usize..3;
    prop_oneof![
        device.clone().prop_map(Op::Claim),
        (device.clone(), 0u8..3).prop_map(|(d, o)| Op::Answer(d, o)),
        (device.clone(), 0u8..3).prop_map(|(d, u)| Op::Reassign(d, u)),
        (device.clone(), 0u8..3).prop_map(|(d, t)| Op::Bind(d, t)),
        (device.clone(), 0u8..3).prop_map(|(d, v)| Op::SetField(d, v)),
        (device.clone(), device).prop_map(|(a, b)| Op::Sync(a, b)),
    ]
}

fn run_ops(ops: &[Op]) -> (Record, Vec<Record>) {
    let mut district = Worker::new("district", "d-pc");
    let base = person(&mut district);
    let mut workers: Vec<Worker> = (0..3)
        .map(|i| Worker::new(&format!("user-{i}"), &format!("device-{i}")))
        .collect();
    let mut copies: Vec<Record> = (0..3).map(|_| base.clone()).collect();
    let units = [TOWN_A, TOWN_B, TOWN_C];
    for (step, op) in ops.iter().enumerate() {
        let now = 10_000 + step as u64 * 1_000;
        match *op {
            Op::Claim(d) => {
                workers[d].act(&mut copies[d], now, Action::Claimed);
            }
            Op::Answer(d, o) => {
                workers[d].act(
                    &mut copies[d],
                    now,
                    answer(&["local", ["central", "home", "hospital"][o as usize]]),
                );
            }
            Op::Reassign(d, u) => {
                let to_unit = units[u as usize].to_owned();
                workers[d].act(
                    &mut copies[d],
                    now,
                    Action::Reassigned {
                        to_unit,
                        reason: None,
                    },
                );
            }
            Op::Bind(d, t) => {
                workers[d].act(
                    &mut copies[d],
                    now,
                    Action::TagBound {
                        tag: format!("WB-{t}"),
                    },
                );
            }
            Op::SetField(d, v) => {
                let author = workers[d].author.clone();
                copies[d]
                    .set_field(&author, "phone", &format!("1380000000{v}"))
                    .unwrap();
            }
            Op::Sync(from, to) if from != to => {
                let mut source = copies[from].clone();
                copies[to].merge(&mut source).unwrap();
            }
            Op::Sync(..) => {}
        }
    }
    (base, copies)
}

/// A tiny deterministic generator so that a failing case replays exactly from its seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any permutation and duplication of the same changes gives the same state and the same
    /// review marks on every replica.
    #[test]
    fn replicas_converge_whatever_order_changes_arrive_in(
        ops in prop::collection::vec(op_strategy(), 1..24),
        seeds in prop::collection::vec(any::<u64>(), 3),
    ) {
        let (mut base, mut copies) = run_ops(&ops);
        let base_heads = base.heads();
        let mut changes: Vec<Vec<u8>> = Vec::new();
        for copy in &mut copies {
            changes.extend(copy.changes_since(&base_heads).into_iter().map(|(_, bytes)| bytes));
        }
        // The reference: every copy merged into one.
        let mut reference = copies[0].clone();
        for other in copies.iter_mut().skip(1) {
            reference.merge(other).unwrap();
        }
        let expected_state = reference.state();
        let expected_fields = reference.fields();
        for seed in seeds {
            let mut rng = SplitMix(seed);
            let mut delivery: Vec<&Vec<u8>> = changes.iter().collect();
            // Duplicate some deliveries, then shuffle.
            let extra: Vec<&Vec<u8>> = changes.iter().filter(|_| rng.next().is_multiple_of(3)).collect();
            delivery.extend(extra);
            rng.shuffle(&mut delivery);
            let mut replica = Record::load(&base.save()).unwrap();
            for bytes in delivery {
                replica.apply(bytes).unwrap();
            }
            prop_assert_eq!(&replica.state(), &expected_state);
            prop_assert_eq!(&replica.fields(), &expected_fields);
        }
    }

    /// The fold itself ignores order and duplicates of events.
    #[test]
    fn the_fold_ignores_event_order_and_duplicates(
        ops in prop::collection::vec(op_strategy(), 1..24),
        seed in any::<u64>(),
    ) {
        let (_, mut copies) = run_ops(&ops);
        let mut merged = copies[0].clone();
        for other in copies.iter_mut().skip(1) {
            merged.merge(other).unwrap();
        }
        let (events, _) = merged.events();
        let expected = fold(&events);
        let mut shuffled: Vec<Event> = events.iter().chain(events.iter().take(3)).cloned().collect();
        SplitMix(seed).shuffle(&mut shuffled);
        prop_assert_eq!(fold(&shuffled), expected);
    }
}
