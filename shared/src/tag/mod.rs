//! Wristbands (手环 / 防疫卡): the tag a person wears from the assembly point to the quarantine
//! hotel, scanned at every hop.
//!
//! A tag is either a printed QR wristband ([`WristbandId`], payload `OPW1-00012345-K7QX`) or an
//! NFC wristband known by its chip's UID ([`ChipUid`]). Neither holds personal data; the binding
//! to a person is an `Action::TagBound { tag }` event whose `tag` is [`Tag`]'s canonical string:
//!
//! ```
//! use outpost_shared::tag::{Tag, WristbandId};
//!
//! let band = WristbandId::new(12_345).unwrap();
//! let scanned = Tag::parse_scan(&format!("  {}\n", band.payload().to_lowercase())).unwrap();
//! assert_eq!(scanned, Tag::Wristband(band));
//! assert_eq!(scanned.to_string(), band.payload());
//!
//! let chip = Tag::parse_scan("04:a1:b2:c3:d4:e5:f6").unwrap();
//! assert_eq!(chip.to_string(), "NFC:04A1B2C3D4E5F6");
//! ```
//!
//! Every screen that takes a scan goes through [`Tag::parse_scan`], whatever the source: a
//! camera frame's decoded QR text, a keyboard-wedge scanner's keystrokes, a PC/SC reader's UID.

mod nfc;
mod wristband;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Describe, Lang};

pub use nfc::{ChipUid, ChipUidError};
pub use wristband::{MAX_SERIAL, PAYLOAD_LEN, PREFIX, WristbandError, WristbandId};

/// The prefix of an NFC tag's canonical string.
pub const NFC_PREFIX: &str = "NFC:";

/// A wristband as scanned and as bound to a person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Tag {
    /// A printed QR wristband.
    Wristband(WristbandId),
    /// An NFC wristband, by chip UID.
    Nfc(ChipUid),
}

/// Why a scan is not a wristband.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TagError {
    #[error("nothing was scanned: scan the wristband's QR code or hold it to the NFC reader")]
    Empty,
    #[error(transparent)]
    Wristband(#[from] WristbandError),
    #[error(transparent)]
    Nfc(#[from] ChipUidError),
}

impl Describe for TagError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::En) => self.to_string(),
            (Self::Empty, Lang::Zh) => {
                "未扫到内容：请扫描手环二维码，或将手环靠近NFC读卡器".to_owned()
            }
            (Self::Wristband(e), _) => e.describe(lang),
            (Self::Nfc(e), _) => e.describe(lang),
        }
    }
}

impl Tag {
    /// Reads whatever a scanner produced: a QR payload (`OPW1-…`, any case, surrounding
    /// whitespace), the id printed under the QR code typed by hand (`0001 2345 K7QX`), or an NFC
    /// chip UID (`NFC:04A1…`, or bare hex with or without separators).
    pub fn parse_scan(scanned: &str) -> Result<Self, TagError> {
        let text = scanned.trim();
        if text.is_empty() {
            return Err(TagError::Empty);
        }
        if let Some(uid) = strip_prefix_ignore_case(text, NFC_PREFIX) {
            return Ok(Self::Nfc(ChipUid::parse(uid)?));
        }
        if strip_prefix_ignore_case(text, "OPW").is_some() {
            return Ok(Self::Wristband(WristbandId::parse(text)?));
        }
        // The printed id always has 12 characters (6 bytes of hex at most), which no chip UID
        // has, so it is tried before the UID forms.
        if let Some(payload) = wristband::payload_from_human(text) {
            return Ok(Self::Wristband(WristbandId::parse(&payload)?));
        }
        if looks_like_hex_uid(text) {
            return Ok(Self::Nfc(ChipUid::parse(text)?));
        }
        Err(WristbandError::WrongPrefix.into())
    }

    /// The canonical string: the QR payload, or `NFC:` and the UID in upper-case hex.
    pub fn canonical(&self) -> String {
        self.to_string()
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn looks_like_hex_uid(text: &str) -> bool {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    digits
        .chars()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | ' '))
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Wristband(id) => id.fmt(f),
            Self::Nfc(uid) => write!(f, "{NFC_PREFIX}{uid}"),
        }
    }
}

impl FromStr for Tag {
    type Err = TagError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_scan(s)
    }
}

impl TryFrom<String> for Tag {
    type Error = TagError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse_scan(&value)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> Self {
        tag.to_string()
    }
}

impl From<WristbandId> for Tag {
    fn from(id: WristbandId) -> Self {
        Self::Wristband(id)
    }
}

impl From<ChipUid> for Tag {
    fn from(uid: ChipUid) -> Self {
        Self::Nfc(uid)
    }
}
