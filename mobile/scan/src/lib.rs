//! Scanning wristbands (手环) three ways, behind one interface.
//!
//! Every source sends [`ScanEvent`]s into one channel ([`event::channel`]): a read
//! ([`ScanEvent::Scanned`] with a [`Scan`]: its [`ScanSource`] and raw [`ScanContent`] — QR text
//! or chip UID), readers coming and going, cards leaving, failures. The sources:
//!
//! - [`wedge`]: USB barcode scanners that type like a keyboard, told apart from a person typing;
//! - [`camera`] + [`decode`]: camera frames ([`frame::Frame`]) decoded as QR codes behind the
//!   [`decode::FrameDecoder`] trait;
//! - [`nfc`]: PC/SC NFC readers (ACR122U-style UID read) with a watcher thread for reader
//!   plug/unplug and card present/removed;
//! - [`phone`]: the phone's camera and NFC, fed by the mobile plugin.
//!
//! This crate does not interpret what it reads: `outpost_shared::tag` turns a payload or UID into
//! a wristband id (and rejects stray codes). It logs no scanned content.

pub mod camera;
pub mod decode;
pub mod event;
pub mod frame;
pub mod nfc;
pub mod phone;
pub mod wedge;

pub use event::{Scan, ScanContent, ScanEvent, ScanEvents, ScanSink, ScanSource, Scanner, channel};
