//! Records that every device may create offline and that must still be one record: a
//! community's supply ledger (物资台账) is needed by whichever device issues supplies first, and
//! two devices creating it independently must not make two histories.
//!
//! Two Automerge documents started separately are different documents even with the same
//! record id: merging them keeps only one of their `fields`/`events` maps, which would lose the
//! other's events. So the first change of such a record is *deterministic*: made by an actor
//! derived from the record id, at time zero, with a dispatch event whose clock and user are fixed.
//! Every device that creates the record makes byte for byte the same change (same hash), and
//! their later changes all build on it.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT};
use sha2::{Digest, Sha256};

use super::{
    Action, Event, EventId, NewRecord, Record, RecordError, SCHEMA_VERSION, UserId, valid_field_key,
};
use crate::hlc::{DeviceId, Hlc};

/// The device and user named by genesis events.
const GENESIS: &str = "genesis";

/// The Automerge actor of a record's genesis change: fixed by the record id alone.
pub(crate) fn genesis_actor(id: &str) -> ActorId {
    let digest = Sha256::digest(format!("outpost-genesis:{id}").as_bytes());
    ActorId::from(&digest[..16])
}

impl Record {
    /// Creates the record's deterministic first change: the same bytes on every device for the
    /// same `new` (see the module docs). `new.fields` should be empty or fixed by the id alone.
    pub fn create_genesis(new: NewRecord) -> Result<Self, RecordError> {
        if let Some((bad, _)) = new.fields.iter().find(|(k, _)| !valid_field_key(k)) {
            return Err(RecordError::BadFieldKey(bad.clone()));
        }
        let mut doc = AutoCommit::new().with_actor(genesis_actor(new.id.as_str()));
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        doc.put(ROOT, "id", new.id.as_str())?;
        doc.put(ROOT, "kind", new.kind.code())?;
        doc.put(ROOT, "program", new.program.as_str())?;
        let fields = doc.put_object(ROOT, "fields", ObjType::Map)?;
        for (key, value) in &new.fields {
            doc.put(&fields, key.as_str(), value.as_str())?;
        }
        let events = doc.put_object(ROOT, "events", ObjType::Map)?;
        let device = DeviceId::new(GENESIS).map_err(|_| RecordError::MissingRoot("genesis"))?;
        let at = Hlc {
            wall_ms: 0,
            counter: 0,
            device,
        };
        let event = Event {
            id: EventId::for_time(&at),
            at,
            user: UserId::new(GENESIS)?,
            parents: Vec::new(),
            action: Action::Dispatched {
                unit: new.unit,
                batch: new.batch,
            },
        };
        let json = serde_json::to_string(&event).map_err(|_| RecordError::MissingRoot("events"))?;
        doc.put(&events, event.id.as_str(), json)?;
        doc.commit_with(CommitOptions::default().with_time(0));
        Ok(Self {
            doc,
            id: new.id,
            kind: new.kind,
            program: new.program,
            fields,
            events,
        })
    }
}
