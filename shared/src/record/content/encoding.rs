//! The stored form of a [`RecordContent`]: compact bytes, because one is stored per record and
//! rewritten with every change (JSON was twice the size, mostly actor ids in hex and escaping).
//!
//! ```text
//! version 1 | kind | program | applies_changes (0/1)
//! actors: count, then per actor: id bytes, has history (0/1) [, changes, max_op]
//! fields_map, events_map: (counter, actor index)
//! fields: count, then per key: key, count, then per value: (counter, actor index), text?
//! events: count, then per entry: key, text?
//! ```
//!
//! Numbers are unsigned LEB128; texts and byte strings are length-prefixed; `text?` is 0, or 1
//! and the text. Actors are listed once, sorted, and named by their index.

use std::collections::{BTreeMap, BTreeSet};

use super::{ActorHistory, FieldOp, OpRef, RecordContent};
use crate::record::RecordKind;

const VERSION: u8 = 1;

pub(super) fn encode(content: &RecordContent) -> Vec<u8> {
    let mut actors: BTreeSet<&str> = content.actors.keys().map(String::as_str).collect();
    actors.insert(&content.fields_map.actor);
    actors.insert(&content.events_map.actor);
    for ops in content.fields.values() {
        actors.extend(ops.iter().map(|op| op.id.actor.as_str()));
    }
    let index: BTreeMap<&str, u64> = actors.iter().copied().zip(0..).collect();
    let mut out = Writer(Vec::with_capacity(640));
    out.byte(VERSION);
    out.text(content.kind.code());
    out.text(&content.program);
    out.byte(u8::from(content.applies_changes));
    out.number(actors.len() as u64);
    for actor in &actors {
        out.bytes(&hex::decode(actor).unwrap_or_default());
        match content.actors.get(*actor) {
            Some(history) => {
                out.byte(1);
                out.number(history.changes);
                out.number(history.max_op);
            }
            None => out.byte(0),
        }
    }
    let op_ref = |out: &mut Writer, id: &OpRef| {
        out.number(id.counter);
        out.number(index.get(id.actor.as_str()).copied().unwrap_or(u64::MAX));
    };
    op_ref(&mut out, &content.fields_map);
    op_ref(&mut out, &content.events_map);
    out.number(content.fields.len() as u64);
    for (key, ops) in &content.fields {
        out.text(key);
        out.number(ops.len() as u64);
        for op in ops {
            op_ref(&mut out, &op.id);
            out.optional_text(op.text.as_deref());
        }
    }
    out.number(content.events.len() as u64);
    for (key, text) in &content.events {
        out.text(key);
        out.optional_text(text.as_deref());
    }
    out.0
}

/// `None` for anything but bytes [`encode`] wrote.
pub(super) fn decode(bytes: &[u8]) -> Option<RecordContent> {
    let mut input = Reader(bytes);
    if input.byte()? != VERSION {
        return None;
    }
    let kind = RecordKind::from_code(&input.text()?)?;
    let program = input.text()?;
    let applies_changes = input.flag()?;
    let actor_count = input.count()?;
    let mut actor_ids = Vec::with_capacity(actor_count);
    let mut actors = BTreeMap::new();
    for _ in 0..actor_count {
        let id = hex::encode(input.bytes()?);
        if input.flag()? {
            let history = ActorHistory {
                changes: input.number()?,
                max_op: input.number()?,
            };
            actors.insert(id.clone(), history);
        }
        actor_ids.push(id);
    }
    let op_ref = |input: &mut Reader<'_>| {
        let counter = input.number()?;
        let actor = actor_ids
            .get(usize::try_from(input.number()?).ok()?)?
            .clone();
        Some(OpRef { counter, actor })
    };
    let fields_map = op_ref(&mut input)?;
    let events_map = op_ref(&mut input)?;
    let mut fields = BTreeMap::new();
    for _ in 0..input.count()? {
        let key = input.text()?;
        let mut ops = Vec::new();
        for _ in 0..input.count()? {
            let id = op_ref(&mut input)?;
            ops.push(FieldOp {
                id,
                text: input.optional_text()?,
            });
        }
        fields.insert(key, ops);
    }
    let mut events = BTreeMap::new();
    for _ in 0..input.count()? {
        let key = input.text()?;
        events.insert(key, input.optional_text()?);
    }
    if !input.0.is_empty() {
        return None;
    }
    Some(RecordContent {
        kind,
        program,
        fields_map,
        events_map,
        applies_changes,
        actors,
        fields,
        events,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, byte: u8) {
        self.0.push(byte);
    }

    fn number(&mut self, mut value: u64) {
        loop {
            let low = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.number(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    fn optional_text(&mut self, text: Option<&str>) {
        match text {
            Some(text) => {
                self.byte(1);
                self.text(text);
            }
            None => self.byte(0),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<u64> {
        let (value, used) = super::super::read_uleb128(self.0)?;
        self.0 = &self.0[used..];
        Some(value)
    }

    /// A count of items that follow, each at least one byte: more than the bytes left is damage.
    fn count(&mut self) -> Option<usize> {
        let count = usize::try_from(self.number()?).ok()?;
        (count <= self.0.len()).then_some(count)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.number()?).ok()?;
        let bytes = self.0.get(..len)?;
        self.0 = &self.0[len..];
        Some(bytes)
    }

    fn text(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_owned)
    }

    fn optional_text(&mut self) -> Option<Option<String>> {
        if self.flag()? {
            self.text().map(Some)
        } else {
            Some(None)
        }
    }
}
