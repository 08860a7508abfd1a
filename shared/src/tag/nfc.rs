//! NFC wristbands, identified by their chip's UID (芯片序列号).
//!
//! ISO 14443-A chips have 4-, 7- or 10-byte UIDs. Readers and apps print them in many ways —
//! `04:A1:B2:C3:D4:E5:F6`, `04 a1 b2 …`, `0x04A1B2…`, `04-A1-…` — so every form reduces to one
//! canonical upper-case hex string without separators, e.g. `04A1B2C3D4E5F6`.

use std::fmt;

use thiserror::Error;

use crate::i18n::{Describe, Lang};

/// An NFC chip's UID: 4, 7 or 10 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChipUid(Vec<u8>);

/// Why a chip UID is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChipUidError {
    #[error("the chip UID is empty: hold the wristband to the reader again")]
    Empty,
    #[error(
        "a chip UID is written in hexadecimal (0-9, A-F, optionally separated by ':', '-' or \
         spaces): this is not one, read the chip again"
    )]
    NotHex,
    #[error("the chip UID has an odd number of hex digits ({digits}): read the chip again")]
    OddDigits { digits: usize },
    #[error(
        "a chip UID has 4, 7 or 10 bytes, not {bytes}: this is not an NFC wristband's UID, \
         read the chip again"
    )]
    WrongLength { bytes: usize },
}

impl Describe for ChipUidError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Empty, Lang::Zh) => "芯片序列号为空：请将手环重新靠近读卡器".to_owned(),
            (Self::NotHex, Lang::Zh) => {
                "芯片序列号应为十六进制（0-9、A-F，可用“:”“-”或空格分隔）：这不是序列号，请重新读卡"
                    .to_owned()
            }
            (Self::OddDigits { digits }, Lang::Zh) => {
                format!("芯片序列号的十六进制位数为{digits}位（应为偶数）：请重新读卡")
            }
            (Self::WrongLength { bytes }, Lang::Zh) => format!(
                "芯片序列号应为4、7或10字节，而不是{bytes}字节：这不是NFC手环的序列号，请重新读卡"
            ),
        }
    }
}

impl ChipUid {
    /// A UID from the bytes a reader returned (e.g. the answer to `FF CA 00 00 00` without its
    /// status word).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChipUidError> {
        match bytes.len() {
            0 => Err(ChipUidError::Empty),
            4 | 7 | 10 => Ok(Self(bytes.to_vec())),
            n => Err(ChipUidError::WrongLength { bytes: n }),
        }
    }

    /// Reads a UID written in hex, in any case, with or without a `0x` prefix and with or
    /// without `:`, `-` or space separators.
    pub fn parse(text: &str) -> Result<Self, ChipUidError> {
        let text = text.trim();
        let text = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        let mut nibbles = Vec::with_capacity(text.len());
        for c in text.chars() {
            match c {
                ':' | '-' | ' ' => {}
                _ => nibbles.push(c.to_digit(16).ok_or(ChipUidError::NotHex)? as u8),
            }
        }
        if nibbles.is_empty() {
            return Err(ChipUidError::Empty);
        }
        if nibbles.len() % 2 != 0 {
            return Err(ChipUidError::OddDigits {
                digits: nibbles.len(),
            });
        }
        let bytes: Vec<u8> = nibbles
            .chunks_exact(2)
            .map(|pair| (pair[0] << 4) | pair[1])
            .collect();
        Self::from_bytes(&bytes)
    }

    /// The UID's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case hex without separators, e.g. `04A1B2C3D4E5F6`.
    pub fn hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ChipUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}
