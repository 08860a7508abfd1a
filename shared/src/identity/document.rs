//! Passports and other identity documents (证件), and the document type that holds any of them.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{
    IdNumberError, LegacyResidentId, ResidentId, fold_full_width, is_ignorable,
    looks_like_excel_scientific, mask_id_number, mask_middle, normalise_id_text,
};
use crate::i18n::{Describe, Label, Lang};

/// What is wrong with a typed passport number (护照号码).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PassportError {
    #[error("the passport number is empty: enter the number printed on the passport")]
    Empty,
    #[error(
        "the passport number has {found} characters but must have 5 to 20: check it against the passport"
    )]
    WrongLength { found: usize },
    #[error(
        "character '{character}' is not allowed in a passport number: use only letters and digits"
    )]
    InvalidCharacter { character: char },
}

impl Describe for PassportError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Empty, Lang::Zh) => "护照号码为空：请填写护照上的号码".to_owned(),
            (Self::WrongLength { found }, Lang::Zh) => {
                format!("护照号码有{found}位，应为5–20位：请对照护照核对")
            }
            (Self::InvalidCharacter { character }, Lang::Zh) => {
                format!("护照号码中不能有“{character}”：只能填写字母和数字")
            }
        }
    }
}

/// A passport number (护照号码): 5–20 letters and digits, upper-cased.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Passport(String);

impl Passport {
    pub fn parse(raw: &str) -> Result<Self, PassportError> {
        let text = normalise_id_text(raw);
        if text.is_empty() {
            return Err(PassportError::Empty);
        }
        if let Some(character) = text.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(PassportError::InvalidCharacter { character });
        }
        if !(5..=20).contains(&text.len()) {
            return Err(PassportError::WrongLength { found: text.len() });
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_middle(&self.0, 2, 2)
    }
}

/// The kinds of identity document (证件类型) a form offers, listed with their labels in
/// [`DOCUMENT_KINDS`] so that the UI and this code read from one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    ResidentId,
    Passport,
    HongKongMacaoPermit,
    TaiwanPermit,
    MilitaryOfficerId,
    ForeignPermanentResidentId,
    Other,
}

/// Every document kind in the order forms list them, with its stable code (stored in records,
/// never shown), Chinese label and English label.
#[rustfmt::skip]
pub const DOCUMENT_KINDS: [(DocumentKind, &str, &str, &str); 7] = [
    (DocumentKind::ResidentId, "resident-id", "居民身份证", "Resident ID card"),
    (DocumentKind::Passport, "passport", "护照", "Passport"),
    (DocumentKind::HongKongMacaoPermit, "hk-macao-permit", "港澳居民来往内地通行证", "Mainland travel permit for HK/Macao residents"),
    (DocumentKind::TaiwanPermit, "taiwan-permit", "台胞证", "Mainland travel permit for Taiwan residents"),
    (DocumentKind::MilitaryOfficerId, "military-officer-id", "军官证", "Military officer ID"),
    (DocumentKind::ForeignPermanentResidentId, "foreign-resident-id", "外国人永居证", "Foreign permanent resident ID"),
    (DocumentKind::Other, "other", "其他证件", "Other document"),
];

impl DocumentKind {
    fn row(self) -> (DocumentKind, &'static str, &'static str, &'static str) {
        let fallback = (Self::Other, "other", "其他证件", "Other document");
        DOCUMENT_KINDS
            .into_iter()
            .find(|row| row.0 == self)
            .unwrap_or(fallback)
    }

    pub fn code(self) -> &'static str {
        self.row().1
    }

    pub fn from_code(code: &str) -> Option<Self> {
        DOCUMENT_KINDS
            .into_iter()
            .find(|row| row.1 == code)
            .map(|row| row.0)
    }

    pub fn label(self) -> Label {
        let (_, _, zh, en) = self.row();
        Label {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }
}

impl DocumentKind {
    /// The kind [`IdentityDocument::parse_guess`] reads `number` as, from its shape alone (no
    /// check character is computed): for a number parse_guess has already normalised, as the
    /// importer stores it, this names its kind without reading it again. `None` for a number
    /// parse_guess refuses.
    pub fn of_number(number: &str) -> Option<Self> {
        match Shape::of(&normalise_id_text(number)) {
            Shape::Resident => Some(Self::ResidentId),
            Shape::Passport => Some(Self::Passport),
            Shape::Permit(kind) => Some(kind),
            Shape::Phone | Shape::Unrecognised => None,
        }
    }
}

/// What a number looks like, before it is checked as that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Resident,
    /// A permit or card whose number has a fixed shape but no check character.
    Permit(DocumentKind),
    Phone,
    Passport,
    Unrecognised,
}

impl Shape {
    /// Tells the kind by shape, on normalised text (upper case, no spaces). The order matters:
    ///
    /// - 14–19 characters, all digits but at most one: a resident ID, mistyped or not, so a
    ///   missing digit or a stray letter is reported as such instead of slipping through as a
    ///   "passport". (18-digit residence permits of Hong Kong, Macao and Taiwan residents,
    ///   81/82/83…, and the 2023 foreigner's permanent residence card, 9…, are numbered and
    ///   checked the same way.)
    /// - H or M and 8 or 10 digits: 港澳居民来往内地通行证 (回乡证).
    /// - 8 digits, or 10 digits and a letter (the old form, 1234567890(B)): 台胞证.
    /// - 3 letters and 12 digits: the old foreigner's permanent residence card (外国人永居证).
    /// - 11 digits starting 13–19: a mobile phone number in the wrong column.
    /// - otherwise 5–20 letters and digits: a passport, Chinese (E12345678, EA1234567,
    ///   G12345678) or foreign (K1234567; a Taiwan passport's 9 digits).
    fn of(text: &str) -> Self {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase());
        let non_digits = text.bytes().filter(|b| !b.is_ascii_digit()).count();
        if (14..=19).contains(&text.len()) && non_digits <= 1 {
            return Self::Resident;
        }
        let (head, tail) = text.split_at(text.find(|c: char| c.is_ascii_digit()).unwrap_or(0));
        match (head, tail.len()) {
            ("H" | "M", 8 | 10) if digits(tail) => {
                return Self::Permit(DocumentKind::HongKongMacaoPermit);
            }
            (head, 12) if head.len() == 3 && letters(head) && digits(tail) => {
                return Self::Permit(DocumentKind::ForeignPermanentResidentId);
            }
            _ => {}
        }
        let old_taiwan = text
            .strip_suffix(')')
            .and_then(|rest| rest.strip_suffix(|c: char| c.is_ascii_uppercase()))
            .and_then(|rest| rest.strip_suffix('('))
            .or_else(|| text.strip_suffix(|c: char| c.is_ascii_uppercase()));
        if (text.len() == 8 && digits(text))
            || old_taiwan.is_some_and(|d| d.len() == 10 && digits(d))
        {
            return Self::Permit(DocumentKind::TaiwanPermit);
        }
        if text.len() == 11
            && digits(text)
            && matches!(text.as_bytes().get(1), Some(b'3'..=b'9'))
            && text.starts_with('1')
        {
            return Self::Phone;
        }
        if (5..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Self::Passport;
        }
        Self::Unrecognised
    }
}

impl Describe for DocumentKind {
    fn describe(&self, lang: Lang) -> String {
        self.label().get(lang).to_owned()
    }
}

/// The key of the field that records which document a number field holds: `id_number_kind`
/// beside `id_number`, with a [`DocumentKind`] code (`passport`, `hk-macao-permit`, …) as its
/// value.
///
/// A record keeps its fields as flat text (`fields: {key: text}`), so the kind is a sibling
/// field rather than a prefix of the number: the number stays exactly what search, duplicate
/// checks and masking compare and show. The sibling is written only for documents other than
/// the resident ID card, so records of resident IDs are the same as before documents were
/// read: no sibling means a resident ID (or a record made before kinds were recorded).
pub fn document_kind_key(field_key: &str) -> String {
    format!("{field_key}_kind")
}

/// What is wrong with a typed document number of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    #[error(transparent)]
    Passport(#[from] PassportError),
    #[error("the document number is empty: enter the number printed on the document")]
    EmptyNumber,
    #[error(
        "this is neither an ID number (18 or 15 digits), a passport number (5 to 20 letters \
         and digits) nor a permit number: choose the document type and enter the number again"
    )]
    Unrecognised,
    #[error(
        "this is a mobile phone number, not a document number: put it in the phone column and \
         enter the ID or passport number here"
    )]
    PhoneNumberGiven,
}

impl Describe for DocumentError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::IdNumber(error), _) => error.describe(lang),
            (Self::Passport(error), _) => error.describe(lang),
            (_, Lang::En) => self.to_string(),
            (Self::EmptyNumber, Lang::Zh) => "证件号码为空：请填写证件上的号码".to_owned(),
            (Self::Unrecognised, Lang::Zh) => {
                "无法识别证件类型：既不是身份证号（18或15位），也不是护照号码（5–20位字母和数字）或通行证号码，请选择证件类型后重新填写"
                    .to_owned()
            }
            (Self::PhoneNumberGiven, Lang::Zh) => {
                "这是手机号码，不是证件号码：请把它填到手机号码一栏，这里填写身份证号或护照号码"
                    .to_owned()
            }
        }
    }
}

/// An identity document (证件) with a validated, normalised number.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityDocument {
    Resident(ResidentId),
    LegacyResident(LegacyResidentId),
    Passport(Passport),
    /// A document whose number cannot be checked here; `kind` is a [`DocumentKind`] code.
    Other {
        kind: String,
        number: String,
    },
}

impl IdentityDocument {
    /// Parses `raw` as a document of `kind`. A resident ID of 15 digits is taken as the legacy
    /// generation, because forms offer one "居民身份证" choice for both.
    pub fn parse(kind: DocumentKind, raw: &str) -> Result<Self, DocumentError> {
        match kind {
            DocumentKind::ResidentId => Self::parse_resident(raw),
            DocumentKind::Passport => Ok(Self::Passport(Passport::parse(raw)?)),
            other_kind => {
                let number: String = raw
                    .trim_matches(is_ignorable)
                    .chars()
                    .map(fold_full_width)
                    .collect();
                if number.is_empty() {
                    return Err(DocumentError::EmptyNumber);
                }
                Ok(Self::Other {
                    kind: other_kind.code().to_owned(),
                    number,
                })
            }
        }
    }

    /// Reads a number whose kind nobody gave, as a list's one 身份证号码 / 证件号码 column
    /// carries it: the kind is told by the number's shape ([`DocumentKind::of_number`]), and a
    /// resident ID is then checked strictly (length, birth date, check character). Mobile phone
    /// numbers and Excel's rounded floats are refused, not taken for passports.
    pub fn parse_guess(raw: &str) -> Result<Self, DocumentError> {
        let text = normalise_id_text(raw);
        if text.is_empty() {
            return Err(DocumentError::EmptyNumber);
        }
        if looks_like_excel_scientific(&text) {
            return Err(IdNumberError::ExcelNumberLostDigits.into());
        }
        match Shape::of(&text) {
            Shape::Resident => Self::parse_resident(&text),
            Shape::Phone => Err(DocumentError::PhoneNumberGiven),
            Shape::Passport => Passport::parse(&text)
                .map(Self::Passport)
                .map_err(|_| DocumentError::Unrecognised),
            Shape::Permit(kind) => Ok(Self::Other {
                kind: kind.code().to_owned(),
                // The old Taiwan permit's letter is printed in brackets: 1234567890(B).
                number: text.replace(['(', ')'], ""),
            }),
            Shape::Unrecognised => Err(DocumentError::Unrecognised),
        }
    }

    fn parse_resident(raw: &str) -> Result<Self, DocumentError> {
        if normalise_id_text(raw).chars().count() == 15 {
            Ok(Self::LegacyResident(LegacyResidentId::parse(raw)?))
        } else {
            Ok(Self::Resident(ResidentId::parse(raw)?))
        }
    }

    pub fn kind(&self) -> DocumentKind {
        match self {
            Self::Resident(_) | Self::LegacyResident(_) => DocumentKind::ResidentId,
            Self::Passport(_) => DocumentKind::Passport,
            Self::Other { kind, .. } => {
                DocumentKind::from_code(kind).unwrap_or(DocumentKind::Other)
            }
        }
    }

    /// The normalised number.
    pub fn number(&self) -> &str {
        match self {
            Self::Resident(id) => id.as_str(),
            Self::LegacyResident(id) => id.as_str(),
            Self::Passport(passport) => passport.as_str(),
            Self::Other { number, .. } => number,
        }
    }

    /// The number as lists show it: ID numbers by [`mask_id_number`]; other documents keep
    /// only their first two and last two characters.
    pub fn masked_number(&self) -> String {
        match self {
            Self::Resident(_) | Self::LegacyResident(_) => mask_id_number(self.number()),
            _ => mask_middle(self.number(), 2, 2),
        }
    }
}

impl fmt::Debug for IdentityDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdentityDocument")
            .field(&self.kind().code())
            .field(&self.masked_number())
            .finish()
    }
}
