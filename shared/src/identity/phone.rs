//! Mainland mobile numbers (手机号码).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{fold_full_width, is_ignorable, mask_phone};
use crate::i18n::{Describe, Lang};

/// What is wrong with a typed mainland mobile number (手机号码).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("the mobile number is empty: enter the 11-digit mobile number")]
    Empty,
    #[error(
        "character '{character}' is not allowed in a mobile number: use digits only \
         (spaces, dashes and a +86 prefix are fine)"
    )]
    InvalidCharacter { character: char },
    #[error(
        "only mainland China mobile numbers (+86) are accepted: \
         write numbers from other countries or regions in the remarks"
    )]
    ForeignCountryCode,
    #[error(
        "a mainland mobile number starts with 13 to 19, not {prefix}: \
         check the first digits (landline numbers are not accepted)"
    )]
    NotAMobilePrefix { prefix: String },
    #[error("the mobile number has {count} digits but needs 11: check for a missing digit")]
    TooFewDigits { count: usize },
    #[error(
        "the mobile number has {count} digits but needs 11: check for extra digits or two numbers in one field"
    )]
    TooManyDigits { count: usize },
}

impl Describe for PhoneError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Empty, Lang::Zh) => "手机号码为空：请填写11位手机号码".to_owned(),
            (Self::InvalidCharacter { character }, Lang::Zh) => {
                format!("手机号码中不能有“{character}”：只能填写数字（可带空格、横线或 +86 前缀）")
            }
            (Self::ForeignCountryCode, Lang::Zh) => {
                "只支持中国大陆手机号码（+86）：其他国家或地区的号码请填在备注中".to_owned()
            }
            (Self::NotAMobilePrefix { prefix }, Lang::Zh) => {
                format!("手机号码应以13–19开头，而不是{prefix}：请核对前两位（不支持座机号码）")
            }
            (Self::TooFewDigits { count }, Lang::Zh) => {
                format!("手机号码只有{count}位，应为11位：请检查是否漏填")
            }
            (Self::TooManyDigits { count }, Lang::Zh) => {
                format!("手机号码有{count}位，应为11位：请检查是否多填或填了两个号码")
            }
        }
    }
}

/// Dashes of every width and parentheses, which people put between digit groups and around
/// the country code.
fn is_phone_separator(character: char) -> bool {
    matches!(
        character,
        '-' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}'
    )
}

/// A mainland China mobile number (手机号码), stored as its 11 national digits.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts `+86`, `0086` or `86` before the 11 digits, and spaces, dashes, parentheses
    /// (as in `(+86)`) and full-width characters, as numbers are written on forms and in chats.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let mut digits = String::new();
        let mut has_plus = false;
        for character in raw.chars().map(fold_full_width) {
            match character {
                c if c.is_ascii_digit() => digits.push(c),
                c if is_ignorable(c) || is_phone_separator(c) => {}
                '+' if digits.is_empty() && !has_plus => has_plus = true,
                other => return Err(PhoneError::InvalidCharacter { character: other }),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let international_prefix = if has_plus {
            Some("86")
        } else if digits.starts_with("00") {
            Some("0086")
        } else {
            None
        };
        let national = match international_prefix {
            Some(prefix) => digits
                .strip_prefix(prefix)
                .ok_or(PhoneError::ForeignCountryCode)?,
            // A bare "86" counts as the country code only before exactly 11 digits.
            None if digits.len() == 13 => digits.strip_prefix("86").unwrap_or(&digits),
            None => &digits,
        };
        let mut leading = national.bytes();
        let is_mobile_prefix = leading.next() == Some(b'1')
            && leading
                .next()
                .is_none_or(|second| (b'3'..=b'9').contains(&second));
        if !is_mobile_prefix {
            return Err(PhoneError::NotAMobilePrefix {
                prefix: national.chars().take(2).collect(),
            });
        }
        match national.len() {
            11 => Ok(Self(national.to_owned())),
            count if count < 11 => Err(PhoneError::TooFewDigits { count }),
            count => Err(PhoneError::TooManyDigits { count }),
        }
    }

    /// The 11 national digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last `count` digits (all 11 when `count` is larger), as staff read a number back
    /// to confirm it ("尾号 0000").
    pub fn tail(&self, count: usize) -> &str {
        &self.0[self.0.len().saturating_sub(count)..]
    }

    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}
