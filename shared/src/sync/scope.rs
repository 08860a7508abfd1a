//! Which records a device may hold (同步范围).
//!
//! A user has a role at a jurisdiction node; their devices hold every record whose current unit
//! lies in that node's subtree, plus the records explicitly granted to the user (a transfer
//! assigned to a driver, say). Unit codes are hierarchical (a community's code starts with its
//! town's, which starts with its district's), so "in the subtree" is a prefix test that SQL
//! can run too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Cursor;
use crate::record::RecordId;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Roots of the jurisdiction subtrees (unit codes).
    pub units: Vec<String>,
    /// Records granted to the user explicitly, wherever they are, with the ledger position of the
    /// grant (a record enters the scope there).
    pub records: BTreeMap<RecordId, Cursor>,
}

impl Scope {
    pub fn of_units(units: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            units: units.into_iter().map(Into::into).collect(),
            records: BTreeMap::new(),
        }
    }

    /// Whether a unit lies in one of the scope's subtrees.
    pub fn covers_unit(&self, unit: &str) -> bool {
        self.units
            .iter()
            .any(|root| unit.starts_with(root.as_str()))
    }

    /// Whether a record that was in `unit` at ledger position `at` belonged to the scope then.
    pub fn contains_at(&self, record: &RecordId, unit: Option<&str>, at: Cursor) -> bool {
        self.records
            .get(record)
            .is_some_and(|granted| *granted <= at)
            || unit.is_some_and(|u| self.covers_unit(u))
    }

    /// The records granted in `(after, upto]`: they enter the scope in that stretch.
    pub fn granted_between(&self, after: Cursor, upto: Cursor) -> impl Iterator<Item = &RecordId> {
        self.records
            .iter()
            .filter(move |(_, at)| **at > after && **at <= upto)
            .map(|(id, _)| id)
    }
}
