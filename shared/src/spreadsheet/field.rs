//! Checking and normalising one cell by its field's type. Each check returns the canonical value
//! or one reason in Chinese that tells the person who filled the list what to change.

use std::borrow::Cow;
use std::collections::HashMap;

use super::cell::{DateParts, Value, display_text, is_blank, number_text, trim};
use super::header::MappedColumn;
use crate::i18n::{Describe, Lang};
use crate::identity::{
    DocumentError, DocumentKind, IdNumberError, IdentityDocument, LegacyResidentId, PhoneNumber,
    ResidentId, document_kind_key,
};
use crate::jurisdiction::{Jurisdictions, Level, NameLookupError, Unit};
use crate::program::{FieldType, JurisdictionLevel, Program};

/// What a person is told when Excel has turned an 18-digit ID number into a float.
pub(super) const EXCEL_LOST_DIGITS: &str =
    "身份证号码被 Excel 存成了数字，末尾数字已丢失，请将该列设为文本格式后重新填写";

/// Excel keeps 15 significant digits, so a number cell of 16 or more digits has lost its tail.
const EXACT_NUMBER_LIMIT: f64 = 1e15;

/// How a column's cells are checked.
#[derive(Debug)]
enum Kind<'p> {
    Text,
    ResidentId,
    IdDocument,
    Phone,
    Jurisdiction {
        dispatch: bool,
    },
    Date,
    DateTime,
    Integer,
    Boolean,
    /// (comparison key, option code) for each code, Chinese label and English label.
    Choice {
        accepted: Vec<(String, &'p str)>,
        labels: String,
    },
}

/// A mapped column with everything its check needs, prepared once per list.
#[derive(Debug)]
pub(super) struct ColumnCheck<'p> {
    pub index: usize,
    pub header: String,
    pub key: &'p str,
    required: bool,
    kind: Kind<'p>,
}

/// A cell's outcome: nothing (an empty optional cell), a value, or a reason.
pub(super) type CellResult = Result<Option<String>, String>;

/// The key choices and booleans are compared by: no whitespace, full-width folded, lower case.
fn comparison_key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(fold_full_width)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn fold_full_width(character: char) -> char {
    match character {
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(u32::from(character) - 0xFEE0).unwrap_or(character)
        }
        other => other,
    }
}

impl<'p> ColumnCheck<'p> {
    pub(super) fn new(program: &'p Program, column: &MappedColumn<'p>) -> Self {
        let field = column.field;
        let kind = match &field.field_type {
            FieldType::Text => Kind::Text,
            FieldType::ResidentId => Kind::ResidentId,
            FieldType::IdDocument => Kind::IdDocument,
            FieldType::Phone => Kind::Phone,
            FieldType::Jurisdiction => Kind::Jurisdiction {
                dispatch: program.dispatch().field == field.key,
            },
            FieldType::Date => Kind::Date,
            FieldType::DateTime => Kind::DateTime,
            FieldType::Integer => Kind::Integer,
            FieldType::Boolean => Kind::Boolean,
            FieldType::Choice { options } => Kind::Choice {
                accepted: options
                    .iter()
                    .flat_map(|option| {
                        [&option.code, &option.label.zh, &option.label.en]
                            .map(|name| (comparison_key(name), option.code.as_str()))
                    })
                    .collect(),
                labels: options
                    .iter()
                    .map(|option| option.label.zh.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            },
        };
        let dispatch = matches!(kind, Kind::Jurisdiction { dispatch: true });
        Self {
            index: column.index,
            header: column.header.clone(),
            key: &field.key,
            // A row without a unit cannot be dispatched, whatever the program file says.
            required: field.required || dispatch,
            kind,
        }
    }

    pub(super) fn is_dispatch(&self) -> bool {
        matches!(self.kind, Kind::Jurisdiction { dispatch: true })
    }

    pub(super) fn is_identity(&self) -> bool {
        matches!(self.kind, Kind::ResidentId | Kind::IdDocument)
    }

    /// For a document column, the sibling field that records which document `value` (this
    /// column's checked, normalised number) is, when it is not a resident ID card; see
    /// [`document_kind_key`].
    pub(super) fn document_kind_field(&self, value: &str) -> Option<(String, String)> {
        if !matches!(self.kind, Kind::IdDocument) {
            return None;
        }
        DocumentKind::of_number(value)
            .filter(|kind| *kind != DocumentKind::ResidentId)
            .map(|kind| (document_kind_key(self.key), kind.code().to_owned()))
    }
}

/// Checks cells against their columns. Holds the outcome of every place name already checked,
/// per column, because a list of 100,000 rows names perhaps twenty towns and each name lookup
/// scans the tree.
pub(super) struct Checker<'a> {
    jurisdictions: &'a Jurisdictions,
    within: Option<&'a str>,
    dispatch_level: JurisdictionLevel,
    /// (column index, outcome by written text).
    units: Vec<(usize, UnitCache)>,
}

/// A column's place names already checked: written text → unit code, or the reason it failed.
type UnitCache = HashMap<String, Result<String, String>>;

/// Why a written unit was not found.
#[derive(Debug)]
enum LookupFailure {
    Unknown { nearest: Option<String> },
    UnknownCode,
    Ambiguous(String),
}

/// The level of the jurisdiction tree a program's dispatch level names; the tree has no cities
/// or provinces.
pub(super) fn tree_level(level: JurisdictionLevel) -> Option<Level> {
    match level {
        JurisdictionLevel::Community => Some(Level::Community),
        JurisdictionLevel::Town => Some(Level::Town),
        JurisdictionLevel::District => Some(Level::District),
        JurisdictionLevel::City | JurisdictionLevel::Province => None,
    }
}

/// A unit code written on its own (440115101) or after a name (大井村（440115101201）), the
/// form the template's drop-down uses for names that several units share.
fn written_code(text: &str) -> Option<(&str, &str)> {
    let is_code = |s: &str| matches!(s.len(), 6 | 9 | 12) && s.bytes().all(|b| b.is_ascii_digit());
    if is_code(text) {
        return Some(("", text));
    }
    let inner = text.strip_suffix(')').or_else(|| text.strip_suffix('）'))?;
    let open = inner.rfind(['(', '（'])?;
    let (name, rest) = inner.split_at(open);
    let code = rest.trim_start_matches(['(', '（']);
    is_code(code).then_some((trim(name), code))
}

impl<'a> Checker<'a> {
    pub(super) fn new(
        program: &Program,
        jurisdictions: &'a Jurisdictions,
        within: Option<&'a str>,
    ) -> Self {
        Self {
            jurisdictions,
            within,
            dispatch_level: program.dispatch().level,
            units: Vec::new(),
        }
    }

    /// Checks one cell of `column`.
    pub(super) fn check(&mut self, column: &ColumnCheck, data: Value) -> CellResult {
        if is_blank(data) {
            return if column.required {
                Err(format!("「{}」为必填项，未填写", column.header))
            } else {
                Ok(None)
            };
        }
        if let Value::Error(error) = data {
            return Err(format!(
                "「{}」是 Excel 错误值 {error}，请改为实际内容（不要用公式）",
                column.header
            ));
        }
        let text: Cow<str> = match data {
            Value::Text(text) => Cow::Borrowed(trim(text)),
            other => Cow::Owned(trim(&display_text(other)).to_owned()),
        };
        let value = match &column.kind {
            Kind::Text => Ok(text.into_owned()),
            Kind::ResidentId => resident_id(data, &text),
            Kind::IdDocument => id_document(data, &text),
            Kind::Phone => PhoneNumber::parse(&text)
                .map(|phone| phone.as_str().to_owned())
                .map_err(|error| error.describe(Lang::Zh)),
            Kind::Jurisdiction { dispatch } => self.cached_unit(column, *dispatch, &text),
            Kind::Date => date(data, &text, false).ok_or_else(|| {
                format!(
                    "「{}」中的「{text}」不是有效日期，请按 2022-03-18 的格式填写",
                    column.header
                )
            }),
            Kind::DateTime => date(data, &text, true).ok_or_else(|| {
                format!(
                    "「{}」中的「{text}」不是有效的日期时间，请按 2022-03-18 14:30 的格式填写",
                    column.header
                )
            }),
            Kind::Integer => integer(data, &text)
                .ok_or_else(|| format!("「{}」应填写整数，而不是「{text}」", column.header)),
            Kind::Boolean => boolean(data, &text)
                .ok_or_else(|| format!("「{}」应填写“是”或“否”，而不是「{text}」", column.header)),
            Kind::Choice { accepted, labels } => {
                // Keys are already in comparison form, so text equal to one needs no folding.
                let found = accepted
                    .iter()
                    .find(|(name, _)| *name == *text)
                    .or_else(|| {
                        let key = comparison_key(&text);
                        accepted.iter().find(|(name, _)| *name == key)
                    });
                found.map(|(_, code)| (*code).to_owned()).ok_or_else(|| {
                    format!(
                        "「{}」只能填写：{labels}（填写的是「{text}」）",
                        column.header
                    )
                })
            }
        };
        value.map(Some)
    }

    /// [`Self::unit`], looked up once per column and distinct text.
    fn cached_unit(
        &mut self,
        column: &ColumnCheck,
        dispatch: bool,
        text: &str,
    ) -> Result<String, String> {
        let position = match self
            .units
            .iter()
            .position(|(index, _)| *index == column.index)
        {
            Some(position) => position,
            None => {
                self.units.push((column.index, HashMap::new()));
                self.units.len() - 1
            }
        };
        if let Some(outcome) = self
            .units
            .get(position)
            .and_then(|(_, cache)| cache.get(text))
        {
            return outcome.clone();
        }
        let outcome = self.unit(column, dispatch, text);
        if let Some((_, cache)) = self.units.get_mut(position) {
            cache.insert(text.to_owned(), outcome.clone());
        }
        outcome
    }

    /// The unit a written name or code means, at the dispatch level for the dispatch column.
    fn unit(&self, column: &ColumnCheck, dispatch: bool, text: &str) -> Result<String, String> {
        let found = self.look_up(text);
        let wanted_label = self.dispatch_level.describe(Lang::Zh);
        let unit = found.map_err(|failure| match (failure, dispatch) {
            (
                LookupFailure::Unknown {
                    nearest: Some(near),
                },
                true,
            ) => {
                format!("未知的{wanted_label}「{text}」，是否为「{near}」？")
            }
            (LookupFailure::Unknown { nearest: None }, true) => {
                format!("未知的{wanted_label}「{text}」，请核对名称")
            }
            (
                LookupFailure::Unknown {
                    nearest: Some(near),
                },
                false,
            ) => {
                format!(
                    "「{}」中的「{text}」不是已知的地名，是否为「{near}」？",
                    column.header
                )
            }
            (LookupFailure::Unknown { nearest: None }, false) => {
                format!(
                    "「{}」中的「{text}」不是已知的地名，请核对名称",
                    column.header
                )
            }
            (LookupFailure::UnknownCode, _) => format!(
                "「{}」中的区划代码「{text}」不存在或不在本辖区内，请核对",
                column.header
            ),
            (LookupFailure::Ambiguous(reason), _) => reason,
        })?;
        if !dispatch {
            return Ok(unit.code.clone());
        }
        let Some(wanted) = tree_level(self.dispatch_level) else {
            // Dispatch above districts has no unit in the tree to climb to: take what is named.
            return Ok(unit.code.clone());
        };
        if unit.level == wanted {
            return Ok(unit.code.clone());
        }
        if unit.level > wanted {
            // A community where a town is wanted names exactly one town: dispatch there.
            let enclosing = self
                .jurisdictions
                .ancestors(&unit.code)
                .into_iter()
                .find(|ancestor| ancestor.level == wanted)
                .filter(|town| {
                    self.within
                        .is_none_or(|scope| self.jurisdictions.is_within(&town.code, scope))
                });
            if let Some(enclosing) = enclosing {
                return Ok(enclosing.code.clone());
            }
        }
        Err(format!(
            "「{}」应填写{wanted_label}，「{}」是{}：请填写{wanted_label}名称",
            column.header,
            unit.name,
            unit.level.describe(Lang::Zh)
        ))
    }

    fn look_up(&self, text: &str) -> Result<&'a Unit, LookupFailure> {
        let in_scope = |unit: &Unit| {
            self.within
                .is_none_or(|scope| self.jurisdictions.is_within(&unit.code, scope))
        };
        if let Some((name, code)) = written_code(text) {
            return self
                .jurisdictions
                .get(code)
                .filter(|unit| in_scope(unit) && (name.is_empty() || unit.name == name))
                .ok_or(LookupFailure::UnknownCode);
        }
        self.jurisdictions
            .find_by_name(text, self.within)
            .map_err(|error| match error {
                NameLookupError::Unknown { nearest, .. } => LookupFailure::Unknown { nearest },
                other => LookupFailure::Ambiguous(other.describe(Lang::Zh)),
            })
    }
}

/// Whether a number cell is too long to be exact: Excel has already rounded it.
fn lost_digits(data: Value) -> bool {
    match data {
        Value::Float(value) => value.abs() >= EXACT_NUMBER_LIMIT,
        // Only formats other than .xlsx have integer cells; they came through Excel all the same.
        #[allow(clippy::cast_precision_loss)]
        Value::Int(value) => (value as f64).abs() >= EXACT_NUMBER_LIMIT,
        _ => false,
    }
}

fn id_reason(error: &IdNumberError) -> String {
    match error {
        IdNumberError::ExcelNumberLostDigits => EXCEL_LOST_DIGITS.to_owned(),
        other => other.describe(Lang::Zh),
    }
}

/// An 18-character resident ID; a first-generation 15-digit one is taken in its 18-character
/// form (the national conversion rule), because that is the number the person holds today and
/// the one search and duplicate checks compare.
fn resident_id(data: Value, text: &str) -> Result<String, String> {
    if lost_digits(data) {
        return Err(EXCEL_LOST_DIGITS.to_owned());
    }
    match ResidentId::parse(text) {
        Ok(id) => Ok(id.as_str().to_owned()),
        Err(IdNumberError::WrongLength { found: 15, .. }) => LegacyResidentId::parse(text)
            .map(|legacy| legacy.to_eighteen().as_str().to_owned())
            .map_err(|error| id_reason(&error)),
        Err(error) => Err(id_reason(&error)),
    }
}

/// Any identity document in one column: the kind is read from the number's shape (a passport,
/// a permit, or a resident ID, which is still checked strictly), and an Excel-rounded number is
/// refused as in a resident-ID column. A first-generation ID is taken in its 18-character form,
/// as [`resident_id`] takes it.
fn id_document(data: Value, text: &str) -> Result<String, String> {
    if lost_digits(data) {
        return Err(EXCEL_LOST_DIGITS.to_owned());
    }
    IdentityDocument::parse_guess(text)
        .map(|document| match document {
            // In its 18-character form, as in a resident-ID column, for the same reasons.
            IdentityDocument::LegacyResident(legacy) => legacy.to_eighteen().as_str().to_owned(),
            other => other.number().to_owned(),
        })
        .map_err(|error| match error {
            DocumentError::IdNumber(error) => id_reason(&error),
            other => other.describe(Lang::Zh),
        })
}

/// A date (or date and time) from a date cell or from text such as 2022-03-18, 2022/3/18,
/// 2022年3月18日 or 20220318.
fn date(data: Value, text: &str, with_time: bool) -> Option<String> {
    if let Value::DateTime(value) = data
        && value.is_datetime()
    {
        let parts = DateParts::from_excel(&value);
        return Some(if with_time {
            parts.date_time_text()
        } else {
            parts.date_text()
        });
    }
    let folded: String = text.chars().map(fold_full_width).collect();
    let groups: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_digit())
        .filter(|group| !group.is_empty())
        .collect();
    let number = |group: &str| group.parse::<i16>().ok();
    let (date, time) = match groups.as_slice() {
        [compact] if compact.len() == 8 => (
            (compact.get(..4)?, compact.get(4..6)?, compact.get(6..)?),
            &[][..],
        ),
        [year, month, day, time @ ..] if year.len() == 4 => ((*year, *month, *day), time),
        _ => return None,
    };
    let (year, month, day) = (
        number(date.0)?,
        i8::try_from(number(date.1)?).ok()?,
        i8::try_from(number(date.2)?).ok()?,
    );
    let date = jiff::civil::Date::new(year, month, day).ok()?;
    if !with_time {
        return Some(date.to_string());
    }
    let [hour, minute, rest @ ..] = time else {
        return None;
    };
    let part = |group: &str| i8::try_from(number(group)?).ok();
    let second = rest.first().map_or(Some(0), |s| part(s))?;
    let time = jiff::civil::Time::new(part(hour)?, part(minute)?, second, 0).ok()?;
    Some(format!(
        "{date}T{:02}:{:02}:{:02}",
        time.hour(),
        time.minute(),
        time.second()
    ))
}

fn integer(data: Value, text: &str) -> Option<String> {
    match data {
        Value::Int(value) => Some(value.to_string()),
        Value::Float(value) if value.fract() == 0.0 && value.abs() < 9e15 => {
            Some(number_text(value))
        }
        _ => {
            let digits: String = text
                .chars()
                .map(fold_full_width)
                .filter(|c| !c.is_whitespace() && *c != ',')
                .collect();
            digits.parse::<i64>().ok().map(|value| value.to_string())
        }
    }
}

fn boolean(data: Value, text: &str) -> Option<String> {
    let value = match data {
        Value::Bool(value) => value,
        _ => match comparison_key(text).as_str() {
            "是" | "是的" | "有" | "对" | "已安装" | "y" | "yes" | "true" | "1" | "√" | "✓" => {
                true
            }
            "否" | "不是" | "无" | "没有" | "未安装" | "n" | "no" | "false" | "0" | "×" | "✗" => {
                false
            }
            _ => return None,
        },
    };
    Some(value.to_string())
}
