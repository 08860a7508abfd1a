//! QR wristband ids (手环编号) and their payload.
//!
//! The payload is `OPW1-<8-digit serial>-<4-character check>`, e.g. `OPW1-00012345-K7QX`: only
//! upper-case letters, digits and `-`, so a QR code holds it in alphanumeric mode (version 2 at
//! error-correction level Q). It names the wristband and nothing else — never a person — so a
//! photographed or lost wristband tells nobody anything.
//!
//! The check is the first 4 characters of the Crockford base32 form of
//! SHA-256(`"outpost-wristband-v1:" + serial`). It turns away a misread (a camera that decoded one
//! wrong digit) and a hand-made code (someone typing `OPW1-00000001-0000`): 20 bits, so one
//! random change of the serial in about a million keeps a valid-looking check. Parsing is lenient
//! where scanners are sloppy and strict where the meaning is: surrounding whitespace and lower
//! case (a keyboard-wedge scanner with caps lock on) are fine, and in the check Crockford's
//! confusables read as what they stand for (O → 0, I and L → 1).

use std::fmt;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::i18n::{Describe, Lang};

/// The fixed beginning of every wristband payload; the `1` is the format version.
pub const PREFIX: &str = "OPW1-";

/// The largest serial: eight decimal digits.
pub const MAX_SERIAL: u32 = 99_999_999;

/// Characters in a payload: prefix, 8 digits, `-`, 4 check characters.
pub const PAYLOAD_LEN: usize = PREFIX.len() + 8 + 1 + 4;

const CHECK_DOMAIN: &[u8] = b"outpost-wristband-v1:";
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A QR wristband's id (手环编号): its serial, 0 to 99,999,999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WristbandId(u32);

/// Why a wristband id or a scanned wristband code is refused. The messages never repeat the
/// scanned text: a camera pointed at the wrong code may have read someone's personal data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WristbandError {
    #[error("the wristband code is empty: scan the wristband again")]
    Empty,
    #[error(
        "this is not an Outpost wristband code (those begin with OPW1-): \
         scan the QR code on the wristband, not another code"
    )]
    WrongPrefix,
    #[error(
        "the wristband code has {length} characters but needs {PAYLOAD_LEN} \
         (OPW1-, 8 digits, -, 4 check characters): scan it again"
    )]
    WrongLength { length: usize },
    #[error("the wristband number must be 8 digits: the code was misread, scan it again")]
    SerialNotDigits,
    #[error(
        "the wristband code needs a '-' between the number and the check characters: \
         the code was misread, scan it again"
    )]
    MissingSeparator,
    #[error(
        "the check characters of the wristband code are not valid (they never contain U): \
         the code was misread or is not an Outpost wristband, scan it again"
    )]
    CheckNotBase32,
    #[error(
        "the check characters do not match the wristband number: the code was misread or \
         was not printed by Outpost; scan it again, and if it fails again use another wristband"
    )]
    CheckMismatch,
    #[error("wristband numbers go from 0 to {MAX_SERIAL}; {serial} is too large")]
    SerialOutOfRange { serial: u64 },
}

impl Describe for WristbandError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Empty, Lang::Zh) => "手环码为空：请重新扫码".to_owned(),
            (Self::WrongPrefix, Lang::Zh) => {
                "这不是本系统的手环码（手环码以 OPW1- 开头）：请扫描手环上的二维码，不要扫其他码"
                    .to_owned()
            }
            (Self::WrongLength { length }, Lang::Zh) => format!(
                "手环码有{length}个字符，应为{PAYLOAD_LEN}个（OPW1-、8位数字、-、4位校验码）：请重新扫码"
            ),
            (Self::SerialNotDigits, Lang::Zh) => {
                "手环编号应为8位数字：识别有误，请重新扫码".to_owned()
            }
            (Self::MissingSeparator, Lang::Zh) => {
                "手环码的编号与校验码之间应有“-”：识别有误，请重新扫码".to_owned()
            }
            (Self::CheckNotBase32, Lang::Zh) => {
                "手环码的校验码无效（校验码中不会出现 U）：识别有误或不是本系统的手环，请重新扫码"
                    .to_owned()
            }
            (Self::CheckMismatch, Lang::Zh) => {
                "校验码与手环编号不符：识别有误或不是本系统打印的手环；请重新扫码，仍失败请换一个手环"
                    .to_owned()
            }
            (Self::SerialOutOfRange { serial }, Lang::Zh) => {
                format!("手环编号范围为0至{MAX_SERIAL}，{serial}超出范围")
            }
        }
    }
}

impl WristbandId {
    /// The wristband with this serial.
    pub fn new(serial: u32) -> Result<Self, WristbandError> {
        if serial > MAX_SERIAL {
            return Err(WristbandError::SerialOutOfRange {
                serial: u64::from(serial),
            });
        }
        Ok(Self(serial))
    }

    /// The serial number.
    pub fn serial(self) -> u32 {
        self.0
    }

    /// The 4 check characters (upper-case Crockford base32).
    pub fn check(self) -> [u8; 4] {
        check_for(self.0)
    }

    /// The QR payload, e.g. `OPW1-00012345-K7QX`.
    pub fn payload(self) -> String {
        self.to_string()
    }

    /// What a label shows under the QR code, e.g. `0001 2345 K7QX`: the serial in two groups of
    /// four, then the check, so a person can read it out or type it.
    pub fn human(self) -> String {
        let digits = format!("{:08}", self.0);
        let (high, low) = digits.split_at(4);
        format!("{high} {low} {}", check_text(self.check()))
    }

    /// Reads a scanned payload: surrounding whitespace and lower case are accepted, and in the
    /// check O, I and L read as 0, 1 and 1.
    pub fn parse(scanned: &str) -> Result<Self, WristbandError> {
        let text = scanned.trim();
        if text.is_empty() {
            return Err(WristbandError::Empty);
        }
        let bytes = text.as_bytes();
        let prefix_ok = bytes.len() >= PREFIX.len()
            && bytes[..PREFIX.len()].eq_ignore_ascii_case(PREFIX.as_bytes());
        if !prefix_ok {
            return Err(WristbandError::WrongPrefix);
        }
        let length = text.chars().count();
        if length != PAYLOAD_LEN {
            return Err(WristbandError::WrongLength { length });
        }
        // Every character is one byte from here: the prefix is ASCII and the lengths agree.
        let rest = &bytes[PREFIX.len()..];
        let (digits, rest) = rest.split_at(8);
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(WristbandError::SerialNotDigits);
        }
        let (separator, given) = rest.split_at(1);
        if separator != b"-" {
            return Err(WristbandError::MissingSeparator);
        }
        let mut check = [0u8; 4];
        for (slot, &c) in check.iter_mut().zip(given) {
            *slot = crockford_normalise(c).ok_or(WristbandError::CheckNotBase32)?;
        }
        let serial = digits
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        if check != check_for(serial) {
            return Err(WristbandError::CheckMismatch);
        }
        Ok(Self(serial))
    }
}

impl fmt::Display for WristbandId {
    /// The payload.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{:08}-{}", self.0, check_text(self.check()))
    }
}

fn check_text(check: [u8; 4]) -> String {
    check.iter().map(|&b| char::from(b)).collect()
}

/// The payload for an id typed as printed under the QR code — `0001 2345 K7QX`, with or without
/// the spaces, or with `-` before the check — or `None` if the text does not have that shape.
pub(super) fn payload_from_human(text: &str) -> Option<String> {
    let compact: Vec<u8> = text.bytes().filter(|b| !matches!(b, b' ' | b'-')).collect();
    let shaped = compact.len() == 12
        && compact[..8].iter().all(u8::is_ascii_digit)
        && compact[8..].iter().all(u8::is_ascii_alphanumeric);
    shaped.then(|| {
        let (digits, check) = compact.split_at(8);
        format!(
            "{PREFIX}{}-{}",
            String::from_utf8_lossy(digits),
            String::from_utf8_lossy(check)
        )
    })
}

/// The first 20 bits of the digest, as 4 Crockford base32 characters.
fn check_for(serial: u32) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(CHECK_DOMAIN)
        .chain_update(format!("{serial:08}").as_bytes())
        .finalize();
    let bits =
        (u32::from(digest[0]) << 12) | (u32::from(digest[1]) << 4) | (u32::from(digest[2]) >> 4);
    let mut out = [0u8; 4];
    for (i, slot) in out.iter_mut().enumerate() {
        let index = (bits >> (15 - 5 * i)) & 0x1f;
        *slot = CROCKFORD[index as usize];
    }
    out
}

/// A check character as its canonical Crockford symbol, or `None` if it is not one.
fn crockford_normalise(c: u8) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    match c {
        b'O' => Some(b'0'),
        b'I' | b'L' => Some(b'1'),
        _ if CROCKFORD.contains(&c) => Some(c),
        _ => None,
    }
}
