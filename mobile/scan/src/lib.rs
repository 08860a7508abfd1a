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
//! ```
//! use outpost_scan::phone::PhoneNfc;
//! use outpost_scan::wedge::{Key, WedgeConfig, WedgeScanner};
//! use outpost_scan::{ScanContent, ScanEvent, channel};
//!
//! let (sink, events) = channel();
//! let mut wedge = WedgeScanner::new(WedgeConfig::default(), sink.clone());
//! let mut phone_nfc = PhoneNfc::new(sink);
//!
//! // A USB scanner types a payload in a burst, 5 ms a key, then Enter.
//! let mut t = 1_000;
//! for c in "OPW1-00012345-7K3Q".chars() {
//!     wedge.key(Key::Char(c), t);
//!     t += 5;
//! }
//! wedge.key(Key::Enter, t);
//! // The phone's NFC plugin reports a chip.
//! phone_nfc.push_uid_hex("04A1B2C3D4E5F6", t + 10).expect("a 7-byte UID");
//!
//! // The screen polls one channel for both.
//! let got: Vec<ScanContent> = events
//!     .drain()
//!     .into_iter()
//!     .filter_map(|e| match e {
//!         ScanEvent::Scanned(scan) => Some(scan.content),
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(got[0], ScanContent::Text("OPW1-00012345-7K3Q".into()));
//! assert_eq!(got[1].uid_hex().as_deref(), Some("04A1B2C3D4E5F6"));
//! ```
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
