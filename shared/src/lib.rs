//! The core that the Outpost app and sync server share.
//!
//! Pure domain logic — jurisdictions, identity validation, programs, records and their fold — plus
//! the replica store, the only module here that does I/O (SQLite files).

pub mod console;
pub mod demo;
pub mod hlc;
pub mod i18n;
pub mod identity;
pub mod jurisdiction;
pub mod program;
pub mod record;
pub mod replica;
#[cfg(feature = "spreadsheet")]
pub mod spreadsheet;
pub mod supply;
pub mod sync;
pub mod tag;
pub mod task;
pub mod transfer;

#[cfg(test)]
mod test_support;
