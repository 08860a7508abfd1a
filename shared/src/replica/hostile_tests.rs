//! Received data the server now refuses (see `sync::admission`), fed to a device's replica: each
//! hostile change for a record the replica holds (`Changes`) and as a whole record (`Whole`).
//! Nothing panics, the bad record's stored copy stays as it was, and other records still apply
//! in the same transaction.

use automerge::legacy::{ObjectId, OpId};
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};

use super::*;
use crate::record::{Action, RecordId};
use crate::sync::client::{self, SyncOptions, Transport, TransportError};
use crate::sync::message::{
    Cursor, PROTOCOL_VERSION, PullItem, PushReport, RejectReason, Rejected, SyncRequest,
    SyncResponse,
};
use crate::test_support::Worker;
use crate::test_support::hostile::{self, forged, raw_change, since};

const W1: &str = "w1-close-contact-whereabouts";

/// A person the server imported: its creation is its only change.
fn imported(id: &str) -> Record {
    hostile::imported(id, W1, vec![("name".into(), "李明".into())])
}

/// device-1's claim of `record`, on top of what it holds.
fn claim(record: &mut Record) -> Vec<u8> {
    let mut copy = record.clone();
    let heads = copy.heads();
    Worker::new("worker-1", "device-1").act(&mut copy, 2_000, Action::Claimed);
    since(&mut copy, &heads).remove(0)
}

/// One hostile case: what the replica (and the server's ledger) held of the record before, and
/// the bytes that then arrived.
struct Case {
    name: &'static str,
    id: RecordId,
    base: Vec<Vec<u8>>,
    hostile: Vec<u8>,
}

/// What a case makes of a fresh record: the base history and the hostile bytes.
type Make<'a> = &'a dyn Fn(&mut Record) -> (Vec<Vec<u8>>, Vec<u8>);

fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    let mut add = |name: &'static str, make: Make<'_>| {
        let mut record = imported(&format!("hostile-{}", all.len()));
        let (base, hostile) = make(&mut record);
        all.push(Case {
            name,
            id: record.id().clone(),
            base,
            hostile,
        });
    };
    add("a sequence gap", &|record| {
        let base = since(record, &[]);
        (base, forged(&claim(record), |c| c.seq = 3))
    });
    add("a put into an object that does not exist", &|record| {
        let base = since(record, &[]);
        let hostile = forged(&claim(record), |c| {
            let actor = c.actor_id.clone();
            for op in &mut c.operations {
                op.obj = ObjectId::Id(OpId(9_999, actor.clone()));
            }
        });
        (base, hostile)
    });
    add("a sequence number used twice", &|record| {
        // device-1 claimed; a copy that had not seen the claim made another change numbered 1.
        let mut fork = record.clone();
        let heads = record.heads();
        Worker::new("worker-1", "device-1").act(record, 2_000, Action::Claimed);
        let base = since(record, &[]);
        Worker::new("worker-1", "device-1").act(
            &mut fork,
            2_500,
            Action::Reassigned {
                to_unit: "440115002".into(),
                reason: None,
            },
        );
        (base, since(&mut fork, &heads).remove(0))
    });
    add(
        "a sequence number used twice, on top of the heads",
        &|record| {
            let first = claim(record);
            let mut with_first = record.clone();
            with_first.apply(&first).unwrap();
            let base = since(&mut with_first, &[]);
            let heads = with_first.heads();
            let mut copy = with_first.clone();
            Worker::new("worker-1", "device-1").act(
                &mut copy,
                2_500,
                Action::Reassigned {
                    to_unit: "440115002".into(),
                    reason: None,
                },
            );
            let next = since(&mut copy, &heads).remove(0);
            (base, forged(&next, |c| c.seq = 1))
        },
    );
    add("a new events map that would hide the history", &|record| {
        let base = since(record, &[]);
        let hostile = raw_change(record, |doc| {
            doc.put_object(ROOT, "events", ObjType::Map).unwrap();
        });
        (base, hostile)
    });
    add("truncated bytes", &|record| {
        let base = since(record, &[]);
        let bytes = claim(record);
        (base, bytes[..bytes.len() - 3].to_vec())
    });
    all
}

/// A record every case's replica also holds, and a good change to it.
fn bystander() -> (RecordId, Vec<u8>, Vec<u8>) {
    let mut record = imported("bystander");
    let base = since(&mut record, &[]).concat();
    let good = claim(&mut record);
    (record.id().clone(), base, good)
}

fn holding(records: &[(&RecordId, &[u8])]) -> Replica {
    let mut replica = Replica::open_in_memory().unwrap();
    replica
        .write(|w| {
            for (id, bytes) in records {
                w.apply_changes(id, bytes)?;
            }
            Ok(())
        })
        .unwrap();
    replica
}

#[test]
fn the_content_path_leaves_every_hostile_change_to_the_document() {
    for case in cases() {
        let mut record = Record::load(&case.base.concat()).unwrap();
        let heads = record.heads();
        let content = RecordContent::of(&mut record).unwrap();
        assert!(
            content.apply_received(&case.hostile, &heads).is_none(),
            "{}: applied without the document",
            case.name
        );
    }
}

#[test]
fn hostile_changes_to_a_held_record_are_refused_and_the_round_goes_on() {
    let (other, other_base, good) = bystander();
    for case in cases() {
        let base = case.base.concat();
        let mut replica = holding(&[(&case.id, &base), (&other, &other_base)]);
        let before_summary = replica.summary(&case.id).unwrap();
        let before_content = replica.content(&case.id).unwrap();
        let before_heads = replica.load(&case.id).unwrap().unwrap().heads();
        let outcome = replica
            .write(|w| {
                let refused = w.apply_changes(&case.id, &case.hostile);
                let applied = w.apply_changes(&other, &good)?;
                Ok((refused, applied))
            })
            .unwrap();
        assert!(
            matches!(outcome.0, Err(ReplicaError::Record { .. })),
            "{}: {:?}",
            case.name,
            outcome.0
        );
        assert_eq!(outcome.1, ApplyOutcome::Updated, "{}", case.name);
        let mut stored = replica.load(&case.id).unwrap().unwrap();
        assert_eq!(stored.heads(), before_heads.clone(), "{}", case.name);
        assert_eq!(replica.summary(&case.id).unwrap(), before_summary);
        assert_eq!(replica.content(&case.id).unwrap(), before_content);
        assert_eq!(
            replica.summary(&other).unwrap().unwrap().status,
            TaskStatus::Claimed
        );
        // The replica stays usable: everything loads again, and the record takes a good change.
        assert_eq!(replica.rebuild_derived().unwrap(), 2, "{}", case.name);
        let mut next = stored.clone();
        Worker::new("worker-2", "device-2").act(&mut next, 3_000, Action::Claimed);
        let good_change = since(&mut next, &before_heads).concat();
        assert_eq!(
            replica
                .write(|w| w.apply_changes(&case.id, &good_change))
                .unwrap(),
            ApplyOutcome::Updated,
            "{}",
            case.name
        );
    }
}

#[test]
fn a_hostile_whole_record_is_refused_and_not_stored() {
    let (other, other_base, good) = bystander();
    for case in cases() {
        let mut replica = holding(&[(&other, &other_base)]);
        let whole = [case.base.concat(), case.hostile.clone()].concat();
        let outcome = replica
            .write(|w| {
                let refused = w.apply_changes(&case.id, &whole);
                let applied = w.apply_changes(&other, &good)?;
                Ok((refused, applied))
            })
            .unwrap();
        assert!(
            matches!(outcome.0, Err(ReplicaError::Record { .. })),
            "{}: {:?}",
            case.name,
            outcome.0
        );
        assert_eq!(outcome.1, ApplyOutcome::Updated, "{}", case.name);
        assert!(replica.load(&case.id).unwrap().is_none(), "{}", case.name);
        assert_eq!(replica.record_count().unwrap(), 1);
        assert_eq!(replica.rebuild_derived().unwrap(), 1);
    }
}

/// Answers each request with the next scripted response.
struct Scripted {
    responses: Vec<SyncResponse>,
    requests: Vec<SyncRequest>,
}

impl Transport for Scripted {
    fn exchange(&mut self, request: &SyncRequest) -> Result<SyncResponse, TransportError> {
        self.requests.push(request.clone());
        if self.responses.is_empty() {
            return Ok(page(Vec::new(), 9));
        }
        Ok(self.responses.remove(0))
    }
}

fn page(items: Vec<PullItem>, cursor: u64) -> SyncResponse {
    SyncResponse {
        protocol: PROTOCOL_VERSION,
        push: PushReport::default(),
        items,
        cursor: Cursor(cursor),
        more: false,
        server_time_ms: 0,
        deadlines: Default::default(),
        jurisdictions: None,
        programs: None,
        names: None,
        deferred: Vec::new(),
    }
}

#[test]
fn the_sync_client_reports_hostile_records_and_keeps_the_others() {
    let (other, other_base, good) = bystander();
    let cases = cases();
    let mut held: Vec<(&RecordId, &[u8])> = vec![(&other, &other_base)];
    let bases: Vec<Vec<u8>> = cases.iter().map(|c| c.base.concat()).collect();
    for (case, base) in cases.iter().zip(&bases) {
        held.push((&case.id, base));
    }
    let mut replica = holding(&held);
    let summaries: Vec<_> = cases
        .iter()
        .map(|c| replica.summary(&c.id).unwrap())
        .collect();
    // The server sends each hostile change; the device asks for those records whole and gets
    // them with the hostile change in their history.
    let mut changes: Vec<PullItem> = cases
        .iter()
        .map(|c| PullItem::Changes {
            record: c.id.clone(),
            changes: vec![c.hostile.clone()],
        })
        .collect();
    changes.push(PullItem::Changes {
        record: other.clone(),
        changes: vec![good],
    });
    let wholes = cases
        .iter()
        .map(|c| PullItem::Whole {
            record: c.id.clone(),
            changes: [c.base.clone(), vec![c.hostile.clone()]].concat(),
        })
        .collect();
    let mut transport = Scripted {
        responses: vec![page(changes, 5), page(wholes, 5)],
        requests: Vec::new(),
    };
    let report = client::sync(&mut replica, &mut transport, SyncOptions::default(), || 7).unwrap();
    let mut damaged = report.damaged.clone();
    damaged.sort();
    let mut expected: Vec<RecordId> = cases.iter().map(|c| c.id.clone()).collect();
    expected.sort();
    assert_eq!(damaged, expected);
    assert_eq!(report.updated, 1);
    assert_eq!(
        replica.summary(&other).unwrap().unwrap().status,
        TaskStatus::Claimed
    );
    assert_eq!(replica.sync_cursor().unwrap(), Cursor(9));
    let asked: Vec<RecordId> = transport.requests[1].resend_whole.clone();
    assert_eq!(asked.len(), cases.len());
    // Remembered, and reported in the next request, once.
    assert!(transport.requests[1].unreadable.is_empty());
    let mut reported: Vec<RecordId> = transport.requests[2]
        .unreadable
        .iter()
        .map(|r| r.record.clone())
        .collect();
    reported.sort();
    assert_eq!(reported, expected);
    assert!(transport.requests[2].unreadable.iter().all(|r| {
        r.detail.starts_with("the whole record was refused") && !r.detail.contains("李明")
    }));
    assert_eq!(report.reported as usize, cases.len());
    assert!(replica.unreported(100).unwrap().is_empty());
    let problems = replica.sync_problems().unwrap();
    assert_eq!(problems.len(), cases.len());
    assert!(
        problems
            .iter()
            .all(|p| p.kind == ProblemKind::Unreadable && p.reported_ms == Some(7))
    );
    let again = client::sync(&mut replica, &mut transport, SyncOptions::default(), || 8).unwrap();
    assert_eq!(again.reported, 0);
    assert!(transport.requests.last().unwrap().unreadable.is_empty());
    assert_eq!(
        replica.sync_problem_counts().unwrap().unreadable as usize,
        cases.len()
    );
    for (case, before) in cases.iter().zip(&summaries) {
        assert_eq!(&replica.summary(&case.id).unwrap(), before, "{}", case.name);
    }
}

#[test]
fn a_refused_push_is_remembered_with_the_servers_reason_until_a_push_is_taken() {
    let (id, base, _) = bystander();
    let mut replica = holding(&[(&id, &base)]);
    replica
        .write(|w| {
            let heads = w.stored_heads(&id)?.unwrap();
            w.mark_synced(&id, &heads)
        })
        .unwrap();
    let mut record = replica.load(&id).unwrap().unwrap();
    Worker::new("worker-1", "device-1").act(&mut record, 2_000, Action::Claimed);
    replica.write(|w| w.save(&mut record)).unwrap();
    let mut refused = page(Vec::new(), 3);
    refused.push.rejected = vec![Rejected {
        record: id.clone(),
        reason: RejectReason::EventRefused {
            event: "e-1".into(),
            detail: "the task is already claimed".into(),
            detail_zh: "该任务已被认领".into(),
        },
    }];
    let mut transport = Scripted {
        responses: vec![refused],
        requests: Vec::new(),
    };
    let report = client::sync(&mut replica, &mut transport, SyncOptions::default(), || 5).unwrap();
    assert_eq!(report.rejected.len(), 1);
    let problem = replica.sync_problem(&id).unwrap().unwrap();
    assert_eq!(problem.kind, ProblemKind::Refused);
    assert_eq!(problem.detail_zh.as_deref(), Some("该任务已被认领"));
    assert_eq!(replica.outbox_status().unwrap().waiting_records, 1);
    // A later push that is taken clears it.
    client::sync(&mut replica, &mut transport, SyncOptions::default(), || 6).unwrap();
    assert_eq!(replica.sync_problem(&id).unwrap(), None);
    assert_eq!(replica.outbox_status().unwrap().waiting_records, 0);
}

#[test]
fn problems_survive_a_rebuild_of_the_derived_tables() {
    let (id, base, _) = bystander();
    let mut replica = holding(&[(&id, &base)]);
    replica
        .write(|w| w.note_unreadable(&id, "the whole record was refused: test", 1))
        .unwrap();
    replica.rebuild_derived().unwrap();
    assert_eq!(replica.sync_problem_counts().unwrap().unreadable, 1);
}
