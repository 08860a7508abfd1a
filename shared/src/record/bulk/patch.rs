//! Writing a creation change's bytes by patching the template change's bytes.
//!
//! A change chunk (Automerge binary format) is a header — magic bytes, a checksum, the chunk
//! type, the body's length — and a body: dependencies, actor, sequence number, first op counter,
//! timestamp, message, other actors, the op columns' metadata (spec and length of each column)
//! and the columns' data. Between two records of one shape only four parts differ: the timestamp,
//! the map-key string column (the dispatch event's id is a key of the events map), the value
//! metadata column (type and length of each op's value) and the raw value column. So a record's
//! change is the template's body with those four parts written anew, its length, and its
//! SHA-256 — the change hash, whose first four bytes are the checksum.
//!
//! Re-encoding the whole change through Automerge (`Change::from(ExpandedChange)`) costs ~25 µs
//! a record; this costs a few. The column encodings are Automerge's run-length encodings,
//! written here exactly as Automerge's own encoder writes them (its `RleEncoder`), so the bytes
//! and hashes are the ones `Record::create` makes; [`ChangeLayout::of`] checks that the
//! template comes out byte for byte, and the tests compare hashes with `Record::create`.

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_TYPE_CHANGE: u8 = 1;
/// Column specs are `(column id << 4) | (deflated << 3) | type`.
const DEFLATED: u32 = 0b1000;
const KEY_STRING_COLUMN: u32 = (1 << 4) | 5;
const VALUE_META_COLUMN: u32 = (5 << 4) | 6;
const VALUE_RAW_COLUMN: u32 = (5 << 4) | 7;
/// The value metadata type code of a UTF-8 string (the length goes in the bits above).
const STRING_TYPE: u64 = 6;

/// What goes into one op of a record's change: its map key and its value, where they differ
/// from the template's.
#[derive(Debug, Clone, Copy)]
pub(super) struct OpPatch<'a> {
    /// A new map key, or `None` to keep the template's.
    pub key: Option<&'a str>,
    /// A new string value, or `None` to keep the template's.
    pub value: Option<&'a str>,
}

/// A template change cut into the parts that stay and the parts each record writes anew.
#[derive(Debug, Clone)]
pub(super) struct ChangeLayout {
    /// Body bytes before the timestamp: dependencies, actor, sequence number, first op counter.
    before_time: Vec<u8>,
    /// Body bytes between the timestamp and the column metadata: message, other actors.
    after_time: Vec<u8>,
    /// The op columns in order (spec, template data).
    columns: Vec<(u32, Vec<u8>)>,
    /// Bytes after the columns (none today; kept as they are).
    extra: Vec<u8>,
    /// Per op, the template's map key (`None` for an op without a string key).
    keys: Vec<Option<Vec<u8>>>,
    /// Per op, the template's value metadata and raw value bytes.
    values: Vec<(u64, Vec<u8>)>,
}

/// A change written by [`ChangeLayout::write`].
pub(super) struct Written {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
}

impl ChangeLayout {
    /// Cuts an uncompressed change chunk into its parts, or `None` if it is not a layout this
    /// module writes (compressed columns, another chunk type, damaged bytes) or does not come
    /// out again byte for byte.
    pub(super) fn of(chunk: &[u8]) -> Option<Self> {
        let layout = Self::parse(chunk)?;
        let unchanged = vec![
            OpPatch {
                key: None,
                value: None,
            };
            layout.values.len()
        ];
        let time = layout.template_time(chunk)?;
        (layout.write(time, &unchanged)?.bytes == chunk).then_some(layout)
    }

    fn parse(chunk: &[u8]) -> Option<Self> {
        let mut input = Reader::new(chunk);
        if input.take(4)? != MAGIC {
            return None;
        }
        input.take(4)?;
        if input.take(1)? != [CHUNK_TYPE_CHANGE] {
            return None;
        }
        let length = usize::try_from(input.uleb()?).ok()?;
        let body = input.take(length)?;
        if !input.done() {
            return None;
        }
        let mut body_input = Reader::new(body);
        let deps = body_input.uleb()?;
        for _ in 0..deps {
            body_input.take(32)?;
        }
        let actor = usize::try_from(body_input.uleb()?).ok()?;
        body_input.take(actor)?;
        body_input.uleb()?; // seq
        body_input.uleb()?; // start op
        let before_time = body[..body_input.at].to_vec();
        body_input.sleb()?;
        let time_end = body_input.at;
        let message = usize::try_from(body_input.uleb()?).ok()?;
        body_input.take(message)?;
        let others = body_input.uleb()?;
        for _ in 0..others {
            let len = usize::try_from(body_input.uleb()?).ok()?;
            body_input.take(len)?;
        }
        let after_time = body[time_end..body_input.at].to_vec();
        let count = body_input.uleb()?;
        let mut specs = Vec::new();
        for _ in 0..count {
            let spec = u32::try_from(body_input.uleb()?).ok()?;
            let len = usize::try_from(body_input.uleb()?).ok()?;
            if spec & DEFLATED != 0 {
                return None;
            }
            specs.push((spec, len));
        }
        let mut columns = Vec::with_capacity(specs.len());
        for (spec, len) in specs {
            columns.push((spec, body_input.take(len)?.to_vec()));
        }
        let extra = body[body_input.at..].to_vec();
        let column = |wanted: u32| {
            columns
                .iter()
                .find(|(spec, _)| *spec == wanted)
                .map(|(_, data)| data.as_slice())
        };
        let metas = decode_rle(column(VALUE_META_COLUMN)?, |r| r.uleb())?;
        let mut raw = Reader::new(column(VALUE_RAW_COLUMN).unwrap_or(&[]));
        let mut values = Vec::with_capacity(metas.len());
        for meta in metas {
            let meta = meta?;
            let len = usize::try_from(meta >> 4).ok()?;
            values.push((meta, raw.take(len)?.to_vec()));
        }
        if !raw.done() {
            return None;
        }
        let mut keys = decode_rle(column(KEY_STRING_COLUMN).unwrap_or(&[]), |r| {
            let len = usize::try_from(r.uleb()?).ok()?;
            Some(r.take(len)?.to_vec())
        })?;
        // A column whose values are all null is not written, nor are trailing nulls after an
        // initial run of them; the rest of the ops have no string key.
        if keys.len() > values.len() {
            return None;
        }
        keys.resize(values.len(), None);
        Some(Self {
            before_time,
            after_time,
            columns,
            extra,
            keys,
            values,
        })
    }

    /// The timestamp written in the template `chunk` (which [`Self::parse`] accepted).
    fn template_time(&self, chunk: &[u8]) -> Option<i64> {
        let mut input = Reader::new(chunk);
        input.take(9)?;
        input.uleb()?;
        input.take(self.before_time.len())?;
        input.sleb()
    }

    /// The number of ops in the change.
    pub(super) fn ops(&self) -> usize {
        self.values.len()
    }

    /// The change with timestamp `time` and the ops patched as `patches` says (one per op, in
    /// op order); `None` if `patches` does not have one entry per op.
    pub(super) fn write(&self, time: i64, patches: &[OpPatch<'_>]) -> Option<Written> {
        if patches.len() != self.values.len() {
            return None;
        }
        let mut body = Vec::with_capacity(
            self.before_time.len()
                + self.after_time.len()
                + self.columns.iter().map(|(_, d)| d.len() + 6).sum::<usize>()
                + 64,
        );
        body.extend_from_slice(&self.before_time);
        write_sleb(&mut body, time);
        body.extend_from_slice(&self.after_time);

        let keys = self
            .keys
            .iter()
            .zip(patches)
            .map(|(template, patch)| patch.key.map(str::as_bytes).or(template.as_deref()));
        let mut key_column = Vec::new();
        encode_rle(keys, &mut key_column, |out, key| {
            write_uleb(out, key.len() as u64);
            out.extend_from_slice(key);
        });
        let mut meta_column = Vec::new();
        let mut raw_column = Vec::new();
        let metas = self.values.iter().zip(patches).map(|((meta, raw), patch)| {
            Some(match patch.value {
                Some(text) => {
                    raw_column.extend_from_slice(text.as_bytes());
                    ((text.len() as u64) << 4) | STRING_TYPE
                }
                None => {
                    raw_column.extend_from_slice(raw);
                    *meta
                }
            })
        });
        encode_rle(metas, &mut meta_column, |out, meta| write_uleb(out, *meta));

        // Automerge leaves an empty column out; a patch that empties a column the template has,
        // or fills one it lacks, is not a layout this module writes.
        let has = |wanted: u32| self.columns.iter().any(|(spec, _)| *spec == wanted);
        if has(KEY_STRING_COLUMN) == key_column.is_empty()
            || has(VALUE_META_COLUMN) == meta_column.is_empty()
            || has(VALUE_RAW_COLUMN) == raw_column.is_empty()
        {
            return None;
        }
        let columns: Vec<(u32, &[u8])> = self
            .columns
            .iter()
            .map(|(spec, template)| {
                let data = match *spec {
                    KEY_STRING_COLUMN => key_column.as_slice(),
                    VALUE_META_COLUMN => meta_column.as_slice(),
                    VALUE_RAW_COLUMN => raw_column.as_slice(),
                    _ => template.as_slice(),
                };
                (*spec, data)
            })
            .collect();
        write_uleb(&mut body, columns.len() as u64);
        for (spec, data) in &columns {
            write_uleb(&mut body, u64::from(*spec));
            write_uleb(&mut body, data.len() as u64);
        }
        for (_, data) in &columns {
            body.extend_from_slice(data);
        }
        body.extend_from_slice(&self.extra);

        let mut length = Vec::with_capacity(5);
        write_uleb(&mut length, body.len() as u64);
        let digest: [u8; 32] = Sha256::new()
            .chain_update([CHUNK_TYPE_CHANGE])
            .chain_update(&length)
            .chain_update(&body)
            .finalize()
            .into();
        let mut bytes = Vec::with_capacity(9 + length.len() + body.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&digest[..4]);
        bytes.push(CHUNK_TYPE_CHANGE);
        bytes.extend_from_slice(&length);
        bytes.extend_from_slice(&body);
        Some(Written {
            hash: ChangeHash(digest),
            bytes,
        })
    }
}

/// Reads LEB128 numbers and byte runs, `None` past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.take(1)?.first()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn sleb(&mut self) -> Option<i64> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.take(1)?.first()?;
            if shift >= 64 {
                return None;
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1 << shift;
                }
                return Some(value);
            }
        }
    }
}

fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Decodes a run-length encoded column: runs `(n > 0, value)`, literal runs `(-n, n values)`
/// and null runs `(0, n)`.
fn decode_rle<T: Clone>(
    column: &[u8],
    read: impl Fn(&mut Reader<'_>) -> Option<T>,
) -> Option<Vec<Option<T>>> {
    let mut input = Reader::new(column);
    let mut values = Vec::new();
    while !input.done() {
        let count = input.sleb()?;
        if count > 0 {
            let value = read(&mut input)?;
            values.extend(std::iter::repeat_n(
                Some(value),
                usize::try_from(count).ok()?,
            ));
        } else if count < 0 {
            for _ in 0..count.unsigned_abs() {
                values.push(Some(read(&mut input)?));
            }
        } else {
            let nulls = usize::try_from(input.uleb()?).ok()?;
            values.extend(std::iter::repeat_n(None, nulls));
        }
    }
    Some(values)
}

/// The run-length encoder's state, as Automerge's `RleEncoder` keeps it.
enum Rle<T> {
    Empty,
    /// Nulls before any value: written only if a value follows.
    InitialNulls(usize),
    Nulls(usize),
    Lone(T),
    Run(T, usize),
    /// A literal run: the values so far and the last one, kept apart in case the next value
    /// repeats it and turns it into a run.
    Literal(Vec<T>, T),
}

/// Encodes `values` exactly as Automerge's `RleEncoder` does (a repeated value becomes a run as
/// soon as it appears twice in a row; a column of nulls only is not written at all).
fn encode_rle<T: PartialEq>(
    values: impl Iterator<Item = Option<T>>,
    out: &mut Vec<u8>,
    write: impl Fn(&mut Vec<u8>, &T),
) {
    let flush_literal = |out: &mut Vec<u8>, run: &[T]| {
        write_sleb(out, -(run.len() as i64));
        for value in run {
            write(out, value);
        }
    };
    let flush_run = |out: &mut Vec<u8>, value: &T, len: usize| {
        write_sleb(out, len as i64);
        write(out, value);
    };
    let flush_nulls = |out: &mut Vec<u8>, len: usize| {
        write_sleb(out, 0);
        write_uleb(out, len as u64);
    };
    let mut state = Rle::Empty;
    for value in values {
        state = match (state, value) {
            (Rle::Empty, None) => Rle::InitialNulls(1),
            (Rle::InitialNulls(n), None) => Rle::InitialNulls(n + 1),
            (Rle::Nulls(n), None) => Rle::Nulls(n + 1),
            (Rle::Lone(last), None) => {
                flush_literal(out, std::slice::from_ref(&last));
                Rle::Nulls(1)
            }
            (Rle::Run(last, n), None) => {
                flush_run(out, &last, n);
                Rle::Nulls(1)
            }
            (Rle::Literal(mut run, last), None) => {
                run.push(last);
                flush_literal(out, &run);
                Rle::Nulls(1)
            }
            (Rle::Empty, Some(value)) => Rle::Lone(value),
            (Rle::InitialNulls(n) | Rle::Nulls(n), Some(value)) => {
                flush_nulls(out, n);
                Rle::Lone(value)
            }
            (Rle::Lone(last), Some(value)) if last == value => Rle::Run(value, 2),
            (Rle::Lone(last), Some(value)) => Rle::Literal(vec![last], value),
            (Rle::Run(last, n), Some(value)) if last == value => Rle::Run(last, n + 1),
            (Rle::Run(last, n), Some(value)) => {
                flush_run(out, &last, n);
                Rle::Lone(value)
            }
            (Rle::Literal(run, last), Some(value)) if last == value => {
                flush_literal(out, &run);
                Rle::Run(value, 2)
            }
            (Rle::Literal(mut run, last), Some(value)) => {
                run.push(last);
                Rle::Literal(run, value)
            }
        };
    }
    match state {
        Rle::Empty | Rle::InitialNulls(_) => {}
        Rle::Nulls(n) => flush_nulls(out, n),
        Rle::Lone(last) => flush_literal(out, std::slice::from_ref(&last)),
        Rle::Run(last, n) => flush_run(out, &last, n),
        Rle::Literal(mut run, last) => {
            run.push(last);
            flush_literal(out, &run);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_at_the_byte_boundaries() {
        for value in [
            0u64,
            1,
            63,
            64,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
        ] {
            let mut out = Vec::new();
            write_uleb(&mut out, value);
            assert_eq!(Reader::new(&out).uleb(), Some(value));
        }
        for value in [0i64, 1, -1, 63, 64, -64, -65, 1_795_395_600, -1_795_395_600] {
            let mut out = Vec::new();
            write_sleb(&mut out, value);
            assert_eq!(Reader::new(&out).sleb(), Some(value), "{value}");
        }
    }

    #[test]
    fn rle_writes_runs_literals_and_nulls_as_automerge_does() {
        let mut out = Vec::new();
        let values = [
            None,
            Some(5u64),
            Some(7),
            Some(7),
            Some(7),
            Some(1),
            None,
            None,
        ];
        encode_rle(values.iter().copied(), &mut out, |o, v| write_uleb(o, *v));
        // (0, 1 null) (-1: 5) (3 × 7) (-1: 1) (0, 2 nulls)
        assert_eq!(out, vec![0, 1, 0x7f, 5, 3, 7, 0x7f, 1, 0, 2]);
        assert_eq!(decode_rle(&out, |r| r.uleb()).unwrap(), values.to_vec());
        let mut nulls_only = Vec::new();
        encode_rle([None::<u64>, None].into_iter(), &mut nulls_only, |o, v| {
            write_uleb(o, *v);
        });
        assert!(nulls_only.is_empty());
    }
}
