//! Cells as text. Excel keeps numbers as binary floats and dates as day counts, so a cell's text
//! is what a person would read in Excel, not what the file stores: `12`, not `12.0`;
//! `2022-03-18`, not `44638`.

use calamine::{CellErrorType, Data, DataRef, ExcelDateTime};

/// A cell's content, whichever calamine reader produced it: the owned `Data` of the range
/// readers (.xls, .ods) or the `DataRef` of the streaming .xlsx reader, whose shared strings are
/// borrowed rather than copied into every cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime(ExcelDateTime),
    Error(&'a CellErrorType),
}

/// A cell type of one of calamine's readers.
pub(super) trait SheetCell: calamine::CellType {
    fn value(&self) -> Value<'_>;
}

impl SheetCell for Data {
    fn value(&self) -> Value<'_> {
        match self {
            Data::Empty => Value::Empty,
            Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
                Value::Text(text)
            }
            Data::Int(value) => Value::Int(*value),
            Data::Float(value) => Value::Float(*value),
            Data::Bool(value) => Value::Bool(*value),
            Data::DateTime(value) => Value::DateTime(*value),
            Data::Error(error) => Value::Error(error),
        }
    }
}

impl SheetCell for DataRef<'_> {
    fn value(&self) -> Value<'_> {
        match self {
            DataRef::Empty => Value::Empty,
            DataRef::SharedString(text) => Value::Text(text),
            DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
                Value::Text(text)
            }
            DataRef::Int(value) => Value::Int(*value),
            DataRef::Float(value) => Value::Float(*value),
            DataRef::Bool(value) => Value::Bool(*value),
            DataRef::DateTime(value) => Value::DateTime(*value),
            DataRef::Error(error) => Value::Error(error),
        }
    }
}

/// Characters that count as nothing at either end of a cell: Unicode whitespace (including the
/// full-width space U+3000) and the invisible marks that copying from WeChat leaves behind.
fn is_padding(character: char) -> bool {
    character.is_whitespace() || matches!(character, '\u{200B}' | '\u{200C}' | '\u{FEFF}')
}

/// `text` without padding at either end.
pub(super) fn trim(text: &str) -> &str {
    text.trim_matches(is_padding)
}

/// Whether a cell holds nothing a person could have meant.
pub(super) fn is_blank(value: Value) -> bool {
    match value {
        Value::Empty => true,
        // `all` stops at the first visible character; trimming would also scan from the end.
        Value::Text(text) => text.chars().all(is_padding),
        _ => false,
    }
}

/// A number as Excel's General format shows it, but never in exponent form: Rust's `Display`
/// for `f64` already writes integral values without `.0` and large ones digit by digit.
pub(super) fn number_text(value: f64) -> String {
    value.to_string()
}

/// A calendar date and a time of day read from an Excel date cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DateParts {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub second: i8,
}

impl DateParts {
    pub(super) fn from_excel(value: &ExcelDateTime) -> Self {
        let (year, month, day, hour, minute, second, _) = value.to_ymd_hms_milli();
        // calamine clamps to 1900..=9999 and 0..=59, so every part fits.
        let narrow = |part: u8| i8::try_from(part).unwrap_or(i8::MAX);
        Self {
            year: i16::try_from(year).unwrap_or(i16::MAX),
            month: narrow(month),
            day: narrow(day),
            hour: narrow(hour),
            minute: narrow(minute),
            second: narrow(second),
        }
    }

    pub(super) fn has_time(&self) -> bool {
        (self.hour, self.minute, self.second) != (0, 0, 0)
    }

    pub(super) fn date_text(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    pub(super) fn date_time_text(&self) -> String {
        format!(
            "{}T{:02}:{:02}:{:02}",
            self.date_text(),
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// The text a cell shows, untrimmed: what the failure workbook writes back and what `original`
/// keeps. Dates show as `YYYY-MM-DD` (with ` HH:MM:SS` when they have a time of day).
pub(super) fn display_text(value: Value) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(text) => text.to_owned(),
        Value::Int(value) => value.to_string(),
        Value::Float(value) => number_text(value),
        Value::Bool(true) => "TRUE".to_owned(),
        Value::Bool(false) => "FALSE".to_owned(),
        Value::DateTime(value) if value.is_datetime() => {
            let parts = DateParts::from_excel(&value);
            if parts.has_time() {
                parts.date_time_text().replacen('T', " ", 1)
            } else {
                parts.date_text()
            }
        }
        Value::DateTime(value) => number_text(value.as_f64()),
        Value::Error(error) => error.to_string(),
    }
}
