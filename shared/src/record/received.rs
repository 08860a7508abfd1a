//! Checks on a record built from received data that Automerge does not make itself.
//!
//! Automerge loads a history in which one actor numbered two changes alike, or whose later
//! change rewrote a root entry (a new `events` map hides the recorded history); the server's
//! admission refuses such changes (see `sync::admission`), but a ledger written before it may
//! still hold them. A device runs [`Record::check_received`] on whatever it built from received
//! data before storing it, so it refuses them the same way.

use std::collections::BTreeMap;

use automerge::{ActorId, ObjId, ROOT, ReadDoc};

use super::{Record, RecordError};

/// The root entries a record's first change writes, and only it.
const ROOT_ENTRIES: [&str; 6] = ["schema", "id", "kind", "program", "fields", "events"];

impl Record {
    /// Checks that every actor's changes are numbered 1, 2, 3… once each, and that the record
    /// has one first change which wrote every root entry still visible. Cheap: it reads the
    /// changes' metadata and six root entries.
    pub(crate) fn check_received(&mut self) -> Result<(), RecordError> {
        let doc = self.doc.document();
        let metas = doc.get_changes_meta(&[]);
        let mut seqs: BTreeMap<&ActorId, Vec<u64>> = BTreeMap::new();
        let mut roots = Vec::new();
        for meta in &metas {
            seqs.entry(meta.actor.as_ref()).or_default().push(meta.seq);
            if meta.deps.is_empty() {
                roots.push(meta);
            }
        }
        for numbers in seqs.values_mut() {
            numbers.sort_unstable();
            if numbers
                .iter()
                .zip(1u64..)
                .any(|(seq, expected)| *seq != expected)
            {
                return Err(RecordError::Unappliable(
                    "a device's changes are not numbered 1, 2, 3… once each".to_owned(),
                ));
            }
        }
        let [root] = roots.as_slice() else {
            return Err(RecordError::Unappliable(format!(
                "the record has {} first changes instead of one",
                roots.len()
            )));
        };
        let written_first = |id: &ObjId| match id {
            ObjId::Id(counter, actor, _) => {
                *actor == *root.actor && (root.start_op..=root.max_op).contains(counter)
            }
            ObjId::Root => false,
        };
        for entry in ROOT_ENTRIES {
            let values = doc.get_all(ROOT, entry)?;
            if !values.iter().all(|(_, id)| written_first(id)) {
                return Err(RecordError::RewritesRoot(entry));
            }
        }
        Ok(())
    }
}
