//! Checks on a record built from received data that Automerge does not make itself.
//!
//! Automerge loads a history in which one actor numbered two changes alike, or whose later
//! change rewrote a root entry (a new `events` map hides the recorded history); the server's
//! admission refuses such changes (see `sync::admission`), but a ledger written before it may
//! still hold them. A device runs [`Record::check_received`] on whatever it built from received
//! data before storing it, so it refuses them the same way.

//!
//! The boundaries every received byte passes are here too: [`guarded`] (Automerge's panics
//! become refusals), [`check_chunks`] (only document and change chunks reach Automerge) and
//! [`Record::apply_guarded`] (applied to a copy, kept only if it passes the checks).

use std::collections::BTreeMap;

use automerge::{ActorId, AutoCommit, Change, ObjId, ROOT, ReadDoc};

use super::{Record, RecordError};

/// Runs Automerge on data from elsewhere. Automerge can panic on changes that parse but do not
/// fit the document (a sequence gap, an operation on an object that does not exist): this is
/// the boundary where such a panic becomes a typed refusal, so that no lock held by a caller is
/// poisoned and no request takes the process down. Callers run it on data they can discard.
pub(crate) fn guarded<T>(work: impl FnOnce() -> Result<T, RecordError>) -> Result<T, RecordError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "Automerge failed".to_owned());
            // Automerge's messages name operations and counters, never field values.
            let detail: String = detail.chars().take(200).collect();
            Err(RecordError::Unappliable(detail))
        }
    }
}

/// The first bytes of every Automerge chunk.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Chunk types that hold one change: plain and DEFLATE-compressed.
pub(crate) const CHANGE_CHUNK_TYPES: [u8; 2] = [1, 2];
/// The chunk types Outpost writes: a saved document, and changes.
pub(super) const RECORD_CHUNK_TYPES: [u8; 3] = [0, 1, 2];

/// Checks that received `bytes` are whole chunks of the `allowed` types before Automerge sees
/// them. Automerge's loaders also take bundle chunks (type 3) and expand a bundle's columns in
/// full before checking anything: fuzzing found 255 bytes that asked for 2 GiB, and a failed
/// allocation aborts the process (it is not a panic that [`guarded`] could catch).
pub(crate) fn check_chunks(bytes: &[u8], allowed: &[u8]) -> Result<(), RecordError> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let (chunk_type, end) = chunk_header(rest).ok_or(RecordError::UnexpectedChunk(None))?;
        if !allowed.contains(&chunk_type) {
            return Err(RecordError::UnexpectedChunk(Some(chunk_type)));
        }
        rest = rest.get(end..).ok_or(RecordError::UnexpectedChunk(None))?;
    }
    Ok(())
}

/// A chunk's type and where it ends: magic, 4-byte checksum, type, data length (unsigned
/// LEB128), data. `None` if `bytes` do not start with a whole chunk.
fn chunk_header(bytes: &[u8]) -> Option<(u8, usize)> {
    let (magic, after_magic) = bytes.split_first_chunk::<4>()?;
    let (_checksum, after_checksum) = after_magic.split_first_chunk::<4>()?;
    let (chunk_type, after_type) = after_checksum.split_first()?;
    if *magic != CHUNK_MAGIC {
        return None;
    }
    let (data_len, len_bytes) = read_uleb128(after_type)?;
    let end = (4 + 4 + 1 + len_bytes).checked_add(usize::try_from(data_len).ok()?)?;
    (end <= bytes.len()).then_some((*chunk_type, end))
}

/// Parses `bytes` as a run of change chunks, each strictly (columns, and the checksum Automerge's
/// own loader checks). `None` if anything else is there — a document chunk, a bundle, damaged
/// data — for the caller to hand to Automerge's strict loader, which gives the verdict and error.
pub(crate) fn parse_change_chunks(bytes: &[u8]) -> Option<Vec<Change>> {
    let mut changes = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        // Header: magic, 4-byte checksum, chunk type, data length (unsigned LEB128), data.
        let (magic, after_magic) = rest.split_first_chunk::<4>()?;
        let (checksum, after_checksum) = after_magic.split_first_chunk::<4>()?;
        let (chunk_type, after_type) = after_checksum.split_first()?;
        if *magic != CHUNK_MAGIC || !CHANGE_CHUNK_TYPES.contains(chunk_type) {
            return None;
        }
        let (data_len, len_bytes) = read_uleb128(after_type)?;
        let header_len = 4 + 4 + 1 + len_bytes;
        let end = header_len.checked_add(usize::try_from(data_len).ok()?)?;
        let chunk = rest.get(..end)?;
        let change = Change::try_from(chunk).ok()?;
        // A compressed chunk's checksum is that of the change it holds, so this covers both.
        // A change without dependencies starts a history; Automerge's strict loader applies it
        // to an empty document, which checks its operations before this document sees them.
        if change.hash().0[..4] != checksum[..] || change.deps().is_empty() {
            return None;
        }
        changes.push(change);
        rest = &rest[end..];
    }
    Some(changes)
}

/// An unsigned LEB128 number and how many bytes it took; `None` if it is cut off or too long.
pub(crate) fn read_uleb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (index, byte) in bytes.iter().take(10).enumerate() {
        let low = u64::from(byte & 0x7f);
        let shift = 7 * u32::try_from(index).ok()?;
        value |= low.checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

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

    /// Runs `apply` on a copy of the document, behind [`guarded`], and keeps the copy only if it
    /// worked and still passes [`Record::check_received`]: received data never leaves a record half
    /// changed, nor rewrites what its first change wrote.
    pub(super) fn apply_guarded(
        &mut self,
        apply: impl FnOnce(&mut AutoCommit) -> Result<(), RecordError>,
    ) -> Result<(), RecordError> {
        let mut scratch = self.doc.clone();
        guarded(|| apply(&mut scratch))?;
        let before = std::mem::replace(&mut self.doc, scratch);
        if let Err(error) = guarded(|| self.check_received()) {
            self.doc = before;
            return Err(error);
        }
        Ok(())
    }
}
