//! The sync protocol (同步协议): how devices and the server exchange records.
//!
//! A device sends one [`SyncRequest`]: the changes it made since the server last acknowledged
//! them (*push*) and the cursor up to which it has everything in its scope (*pull*). The server
//! answers with a [`SyncResponse`]: what it did with each pushed change and one page of what the
//! device lacks. The device repeats while `more` is set. HTTP is only the carrier; everything
//! here is transport-free.
//!
//! Why changes and not Automerge's per-document sync protocol: a device holds thousands of
//! documents, and the per-document protocol needs about two round trips per document
//! (PLATFORM.md). Changes are exchanged in bounded batches instead, identified by their hash so
//! that re-sending is a no-op.
//!
//! The pieces:
//! - [`message`]: the wire messages and their limits, versioned by [`PROTOCOL_VERSION`] —
//!   among them the server's program files ([`message::ProgramSet`]) and the display names of
//!   the users a device meets ([`message::UserNames`]), which reach devices with sync;
//! - [`scope`]: which records a device may hold — enforced in one place, [`ledger::pull_page`]
//!   and [`ledger::push`];
//! - [`admission`]: what the server checks before it accepts a record's changes — that they
//!   apply, who wrote them, and that each new event passes the check its device ran;
//! - [`change`]: strict parsing of received change bytes, and the record facts (id, events) the
//!   server reads from them without loading whole documents;
//! - [`ledger`]: the server side of an exchange as a pure algorithm over a storage trait;
//! - [`client`]: the device side, driving a [`crate::replica::Replica`] through a [`client::Transport`].

pub mod admission;
pub mod change;
pub mod client;
#[cfg(feature = "http-client")]
pub mod http;
pub mod ledger;
pub mod memory;
pub mod message;
pub mod scope;

pub use message::{
    Cursor, ErrorBody, PROTOCOL_VERSION, PageLimits, PullItem, PushReport, RecordChanges,
    RejectReason, Rejected, SyncRequest, SyncResponse,
};
pub use scope::Scope;

#[cfg(test)]
mod names_tests;
#[cfg(test)]
mod program_set_tests;
#[cfg(test)]
mod tests;
