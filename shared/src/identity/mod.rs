//! Identity documents (证件), mainland mobile numbers (手机号码) and masking for lists.
//!
//! Field data arrives from phone keyboards, WeChat messages and Excel sheets, so the same ID
//! number shows up with full-width digits, a lower-case `x`, stray spaces, or mangled by Excel
//! into `4.40115199003071E+17`. Everything here accepts those forms, normalises them to one
//! canonical string, and rejects what cannot be a real number with an error that tells the
//! person what to fix. Errors never carry a whole ID or phone number, so they are safe to log.
//!
//! Personal data must be masked wherever records are listed; [`mask_name`], [`mask_phone`] and
//! [`mask_id_number`] are the one place that decides how. `Debug` output of the number types is
//! masked too, so that a stray `{:?}` in a log does not leak a number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Describe, Lang};

mod document;
mod mask;
mod phone;

pub use document::{
    DOCUMENT_KINDS, DocumentError, DocumentKind, IdentityDocument, Passport, PassportError,
    document_kind_key,
};
use mask::mask_middle;
pub use mask::{mask_id_number, mask_name, mask_phone};
pub use phone::{PhoneError, PhoneNumber};

/// Weights of the 17 body digits in the GB 11643-1999 check (ISO 7064 MOD 11-2).
const CHECK_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum modulo 11.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Characters that carry no meaning in a typed number: all Unicode whitespace (including the
/// full-width space U+3000) and the invisible marks that copying from Excel or WeChat leaves.
pub(super) fn is_ignorable(character: char) -> bool {
    character.is_whitespace() || matches!(character, '\u{200B}' | '\u{200C}' | '\u{FEFF}')
}

/// Maps the full-width forms of ASCII (U+FF01–U+FF5E, typed by Chinese input methods) onto ASCII.
pub(super) fn fold_full_width(character: char) -> char {
    match character {
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(u32::from(character) - 0xFEE0).unwrap_or(character)
        }
        other => other,
    }
}

/// The canonical text of a typed ID number: ignorable characters dropped, full-width folded,
/// and `x` upper-cased (the check character is always written `X`).
pub(crate) fn normalise_id_text(raw: &str) -> String {
    raw.chars()
        .filter(|&c| !is_ignorable(c))
        .map(|c| fold_full_width(c).to_ascii_uppercase())
        .collect()
}

/// Whether `text` is how Excel shows a long number it has turned into a float, such as
/// `4.40115199003071E+17`: by then the digits after the 15th are gone for good.
pub(super) fn looks_like_excel_scientific(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction) && all_digits(exponent)
}

/// The GB 11643-1999 check character for the first 17 digits of a resident ID, or `None` when
/// `first_seventeen` is not exactly 17 ASCII digits.
pub fn resident_id_check_character(first_seventeen: &str) -> Option<char> {
    let digits = first_seventeen.as_bytes();
    if digits.len() != 17 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let weighted_sum: u32 = digits
        .iter()
        .zip(CHECK_WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARACTERS.get((weighted_sum % 11) as usize).copied()
}

/// What is wrong with a typed resident ID number (身份证号).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdNumberError {
    #[error("the ID number is empty: enter the number printed on the ID card")]
    Empty,
    #[error(
        "the ID number was stored by Excel as a number and its last digits were lost: \
         format the column as text and enter the number again"
    )]
    ExcelNumberLostDigits,
    #[error(
        "the ID number has {found} characters but must have {expected}: \
         check for missing or extra digits"
    )]
    WrongLength { expected: usize, found: usize },
    #[error(
        "character '{character}' at position {position} is not allowed: an ID number has only \
         digits, and an 18-digit one may end in X"
    )]
    InvalidCharacter { character: char, position: usize },
    #[error(
        "the region code {region} at the start of the ID number does not exist: check the first six digits"
    )]
    InvalidRegionCode { region: String },
    #[error(
        "the birth date {digits} in the ID number is not a real date: check the birth date digits"
    )]
    InvalidBirthDate { digits: String },
    #[error(
        "the birth year {year} in the ID number is not between 1900 and 2100: check the birth year digits"
    )]
    BirthYearOutOfRange { year: u16 },
    #[error(
        "the check character is wrong: with these digits the last character should be {expected}, \
         not {found}; one of the digits is probably mistyped, so check them all"
    )]
    CheckCharacterMismatch { expected: char, found: char },
}

impl Describe for IdNumberError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Empty => "身份证号为空：请填写证件上的号码".to_owned(),
            Self::ExcelNumberLostDigits => {
                "身份证号被 Excel 当作数字保存，末尾几位已丢失：请将该列设为文本格式后重新录入"
                    .to_owned()
            }
            Self::WrongLength { expected, found } => {
                format!("身份证号应为{expected}位，实际为{found}位：请检查是否漏填或多填")
            }
            Self::InvalidCharacter {
                character,
                position,
            } => format!(
                "身份证号第{position}位“{character}”无效：只能填写数字，18位号码的最后一位可以是 X"
            ),
            Self::InvalidRegionCode { region } => {
                format!("身份证号前六位地区码 {region} 不存在：请核对前六位")
            }
            Self::InvalidBirthDate { digits } => {
                format!("身份证号中的出生日期 {digits} 不是有效日期：请核对出生日期各位")
            }
            Self::BirthYearOutOfRange { year } => {
                format!("身份证号中的出生年份 {year} 不在 1900–2100 之间：请核对年份")
            }
            Self::CheckCharacterMismatch { expected, found } => format!(
                "身份证号校验位错误：最后一位应为 {expected}，实际为 {found}；很可能有数字录错，请逐位核对"
            ),
        }
    }
}

/// A birth date (出生日期) as encoded in an ID number; always a real calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BirthDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl BirthDate {
    /// Reads `YYYYMMDD`; `digits` has been checked to be ASCII digits. Years outside 1900–2100
    /// are rejected because no living person's ID carries them and such a year is a typo.
    fn from_yyyymmdd(digits: &str) -> Result<Self, IdNumberError> {
        let invalid = || IdNumberError::InvalidBirthDate {
            digits: digits.to_owned(),
        };
        let number = |range: std::ops::Range<usize>| -> Result<u16, IdNumberError> {
            digits
                .get(range)
                .and_then(|part| part.parse().ok())
                .ok_or_else(invalid)
        };
        let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
        if !(1900..=2100).contains(&year) {
            return Err(IdNumberError::BirthYearOutOfRange { year });
        }
        let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else {
            return Err(invalid());
        };
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(invalid());
        }
        Ok(Self { year, month, day })
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap_year =
        (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap_year => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Sex (性别) as encoded in an ID number: the sequence number is odd for men, even for women.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    fn from_sequence_digit(digit: u8) -> Self {
        if !digit.is_multiple_of(2) {
            Self::Male
        } else {
            Self::Female
        }
    }
}

impl Describe for Sex {
    fn describe(&self, lang: Lang) -> String {
        let text = match (self, lang) {
            (Self::Male, Lang::Zh) => "男",
            (Self::Female, Lang::Zh) => "女",
            (Self::Male, Lang::En) => "male",
            (Self::Female, Lang::En) => "female",
        };
        text.to_owned()
    }
}

/// Checks that `text` holds only digits, with an `X` allowed as the last of 18 characters, and
/// that it has `expected_length` characters. The character check comes first because a stray
/// letter is the more useful thing to point at.
fn check_id_characters(text: &str, expected_length: usize) -> Result<(), IdNumberError> {
    let found = text.chars().count();
    for (index, character) in text.chars().enumerate() {
        let final_x = character == 'X' && expected_length == 18 && index + 1 == found;
        if !character.is_ascii_digit() && !final_x {
            return Err(IdNumberError::InvalidCharacter {
                character,
                position: index + 1,
            });
        }
    }
    if found == expected_length {
        Ok(())
    } else {
        Err(IdNumberError::WrongLength {
            expected: expected_length,
            found,
        })
    }
}

/// The checks both ID generations share, on normalised text: not empty, not an Excel float,
/// the right characters and length, a region code.
fn check_id_shape(text: &str, expected_length: usize) -> Result<(), IdNumberError> {
    if text.is_empty() {
        return Err(IdNumberError::Empty);
    }
    if looks_like_excel_scientific(text) {
        return Err(IdNumberError::ExcelNumberLostDigits);
    }
    check_id_characters(text, expected_length)
}

fn check_region(region: &str) -> Result<(), IdNumberError> {
    if region == "000000" {
        return Err(IdNumberError::InvalidRegionCode {
            region: region.to_owned(),
        });
    }
    Ok(())
}

/// A resident identity card number (居民身份证号), 18 characters, checked against GB 11643-1999.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId {
    number: String,
    birth_date: BirthDate,
}

impl ResidentId {
    /// Accepts the number as people type or paste it (spaces, full-width digits, `x`) and
    /// checks length, characters, region code, birth date and check character.
    pub fn parse(raw: &str) -> Result<Self, IdNumberError> {
        let text = normalise_id_text(raw);
        check_id_shape(&text, 18)?;
        // The text is now 18 ASCII characters, so byte slicing below is safe.
        let expected = resident_id_check_character(&text[..17]).unwrap_or('?');
        let found = text[17..].chars().next().unwrap_or('?');
        if expected != found && text.ends_with("000") {
            // Excel keeps 15 significant digits and pads with zeros: the real tail is lost.
            return Err(IdNumberError::ExcelNumberLostDigits);
        }
        check_region(&text[..6])?;
        let birth_date = BirthDate::from_yyyymmdd(&text[6..14])?;
        if expected != found {
            return Err(IdNumberError::CheckCharacterMismatch { expected, found });
        }
        Ok(Self {
            number: text,
            birth_date,
        })
    }

    /// The 18 normalised characters.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }

    /// The six-digit administrative region code (行政区划代码) of the place of first registration.
    pub fn region_code(&self) -> &str {
        self.number.get(..6).unwrap_or_default()
    }

    pub fn sex(&self) -> Sex {
        Sex::from_sequence_digit(self.number.as_bytes().get(16).copied().unwrap_or(b'0'))
    }

    /// The number as lists show it; see [`mask_id_number`].
    pub fn masked(&self) -> String {
        mask_id_number(&self.number)
    }
}

/// A first-generation 15-digit resident ID (一代身份证号), still found in old registers. It has a
/// two-digit birth year (always 19YY) and no check character.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LegacyResidentId {
    number: String,
    birth_date: BirthDate,
}

impl LegacyResidentId {
    pub fn parse(raw: &str) -> Result<Self, IdNumberError> {
        let text = normalise_id_text(raw);
        check_id_shape(&text, 15)?;
        check_region(&text[..6])?;
        let birth_date = BirthDate::from_yyyymmdd(&format!("19{}", &text[6..12]))?;
        Ok(Self {
            number: text,
            birth_date,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }

    pub fn region_code(&self) -> &str {
        self.number.get(..6).unwrap_or_default()
    }

    pub fn sex(&self) -> Sex {
        Sex::from_sequence_digit(self.number.as_bytes().get(14).copied().unwrap_or(b'0'))
    }

    /// The 18-character number the same person holds today: "19" goes before the birth year
    /// and the check character is appended, as the national conversion rule prescribes.
    pub fn to_eighteen(&self) -> ResidentId {
        let (region, rest) = self.number.split_at(6);
        let mut number = format!("{region}19{rest}");
        number.push(resident_id_check_character(&number).unwrap_or('?'));
        ResidentId {
            number,
            birth_date: self.birth_date,
        }
    }

    pub fn masked(&self) -> String {
        mask_id_number(&self.number)
    }
}

/// Implements `Display`, `FromStr`, a masked `Debug` and the string conversions serde uses
/// for the number types, which all have `parse`, `as_str` and `masked`.
macro_rules! number_type_conversions {
    ($($type:ty => $error:ty),* $(,)?) => {$(
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($type)).field(&self.masked()).finish()
            }
        }
        impl FromStr for $type {
            type Err = $error;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }
        impl TryFrom<String> for $type {
            type Error = $error;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }
        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.as_str().to_owned()
            }
        }
    )*};
}

number_type_conversions!(
    ResidentId => IdNumberError,
    LegacyResidentId => IdNumberError,
    Passport => PassportError,
    PhoneNumber => PhoneError,
);

#[cfg(test)]
mod tests;
