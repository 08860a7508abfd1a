//! The per-program import template (下载模板): the header row, a notes row (填写说明) saying
//! what each column wants, text format on number-like columns so Excel keeps every digit, and
//! drop-down lists for choices and for the dispatch units.
//!
//! The template re-imports cleanly: [`is_notes_row`] recognises its notes row right below the
//! header by the notes' fixed beginnings, so a filled-in template is read from row 3 on, and a
//! template whose notes row was deleted is read from row 2.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, Formula, Workbook, Worksheet,
};

use super::SheetError;
use super::cell::{SheetCell, Value, is_blank, trim};
use super::field::tree_level;
use super::header::Columns;
use super::rows::Row;
use super::write::{display_width, header_format, sheet_name, text_format};
use crate::i18n::{Describe, Lang};
use crate::jurisdiction::{Jurisdictions, Unit};
use crate::program::{Field, FieldType, Program};

/// The hidden sheet holding drop-down lists too long to write into the validation itself.
const LISTS_SHEET: &str = "下拉选项";
/// Excel's limit on an inline validation list, in UTF-16 units with the separating commas.
const INLINE_LIST_LIMIT: usize = 255;
/// Data validations cover the rows below the notes row down to Excel's last row.
const LAST_ROW: u32 = 1_048_575;
const FIRST_DATA_ROW: u32 = 2;

/// One column of the template.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TemplateColumn {
    /// The template header, with a leading `*` when required.
    pub header: String,
    pub required: bool,
    /// The notes row's text for the column.
    pub note: String,
    /// Whether the column is formatted as text (`@`): ID numbers and phones.
    pub text: bool,
    /// The drop-down's entries, if the column has one.
    pub list: Option<Vec<String>>,
    pub width: f64,
}

fn is_dispatch(program: &Program, field: &Field) -> bool {
    program.dispatch().field == field.key
}

/// The fixed beginning of a column's note. The template may add an example after it; the
/// reader compares only this part, so notes written for another `within` are still known.
pub(super) fn note_stem(program: &Program, field: &Field) -> String {
    match &field.field_type {
        FieldType::Text if field.required => "必填".to_owned(),
        FieldType::Text => "选填".to_owned(),
        FieldType::ResidentId => "18 位身份证号码，请设为文本格式".to_owned(),
        FieldType::IdDocument => "身份证号码，或护照、港澳台通行证号码，请设为文本格式".to_owned(),
        FieldType::Phone => "11 位手机号码".to_owned(),
        FieldType::Jurisdiction if is_dispatch(program, field) => {
            format!("填写{}名称", program.dispatch().level.describe(Lang::Zh))
        }
        FieldType::Jurisdiction => "填写区、镇街或社区名称".to_owned(),
        FieldType::Choice { options } => format!(
            "从下拉列表选择：{}",
            options
                .iter()
                .map(|option| option.label.zh.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ),
        FieldType::Date => "日期，如：2022-03-18".to_owned(),
        FieldType::DateTime => "日期时间，如：2022-03-18 14:30".to_owned(),
        FieldType::Integer => "整数".to_owned(),
        FieldType::Boolean => "填写“是”或“否”".to_owned(),
    }
}

/// Whether `cells` is the template's notes row: every non-blank cell is text in a mapped column
/// and begins with that column's note.
pub(super) fn is_notes_row<T: SheetCell>(
    program: &Program,
    columns: &Columns,
    row: Row<'_, T>,
) -> bool {
    let mut any = false;
    for (index, value) in row.values().enumerate() {
        if is_blank(value) {
            continue;
        }
        let Value::Text(text) = value else {
            return false;
        };
        let Some(column) = columns.mapped.iter().find(|column| column.index == index) else {
            return false;
        };
        if !trim(text).starts_with(&note_stem(program, column.field)) {
            return false;
        }
        any = true;
    }
    any
}

/// The drop-down entries for the dispatch units: each unit's name, or name（code） for a name
/// several listed units share (villages of one name in two towns), which the reader accepts.
fn dispatch_entries(units: &[&Unit]) -> Vec<String> {
    units
        .iter()
        .map(|unit| {
            let shared = units.iter().filter(|other| other.name == unit.name).count() > 1;
            if shared {
                format!("{}（{}）", unit.name, unit.code)
            } else {
                unit.name.clone()
            }
        })
        .collect()
}

/// The template's columns: one per import column whose field is not set by the system, in the
/// program's import order.
pub(super) fn plan(
    program: &Program,
    jurisdictions: &Jurisdictions,
    within: Option<&str>,
) -> Result<Vec<TemplateColumn>, SheetError> {
    let within = super::scope(program, jurisdictions, within)?;
    let dispatch_units: Vec<&Unit> = match tree_level(program.dispatch().level) {
        Some(level) => jurisdictions
            .units_at(level)
            .into_iter()
            .filter(|unit| within.is_none_or(|scope| jurisdictions.is_within(&unit.code, scope)))
            .collect(),
        None => Vec::new(),
    };
    let mut columns = Vec::new();
    for import in program.import_columns() {
        let Some(field) = program
            .field(&import.field)
            .filter(|field| field.set_by.is_none())
        else {
            continue;
        };
        let dispatch = is_dispatch(program, field);
        let required = field.required || dispatch;
        let mut note = note_stem(program, field);
        let list = match &field.field_type {
            FieldType::Choice { options } => Some(
                options
                    .iter()
                    .map(|option| option.label.zh.clone())
                    .collect(),
            ),
            FieldType::Jurisdiction if dispatch && !dispatch_units.is_empty() => {
                if let Some(first) = dispatch_units.first() {
                    note.push_str(&format!("，可从下拉列表选择，如：{}", first.name));
                }
                Some(dispatch_entries(&dispatch_units))
            }
            _ => None,
        };
        let width: f64 = match field.field_type {
            FieldType::ResidentId | FieldType::IdDocument => 22.0,
            FieldType::Phone | FieldType::Jurisdiction | FieldType::DateTime => 16.0,
            _ => 14.0,
        };
        columns.push(TemplateColumn {
            header: if required {
                format!("*{}", import.header)
            } else {
                import.header.clone()
            },
            required,
            note,
            text: matches!(
                field.field_type,
                FieldType::ResidentId | FieldType::IdDocument | FieldType::Phone
            ),
            list,
            width: width.max(display_width(&import.header) + 4.0),
        });
    }
    Ok(columns)
}

/// The import template (.xlsx) for `program`: a sheet named after the program with the headers in
/// row 1 (required ones with `*`, in red) and notes in row 2 (grey italics), text format on ID and
/// phone columns, and drop-down lists for choices and for the units at the dispatch level within
/// `within`. Long lists live on a hidden sheet.
pub fn template(
    program: &Program,
    jurisdictions: &Jurisdictions,
    within: Option<&str>,
) -> Result<Vec<u8>, SheetError> {
    let columns = plan(program, jurisdictions, within)?;
    let mut workbook = Workbook::new();
    // Lists that do not fit inline, in the column of the hidden sheet they will occupy.
    let mut long_lists: Vec<&[String]> = Vec::new();
    {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&program.name().zh, "名单"))?;
        write_columns(sheet, &columns, &mut long_lists)?;
    }
    if !long_lists.is_empty() {
        let lists = workbook.add_worksheet();
        lists.set_name(LISTS_SHEET)?;
        for (column, entries) in long_lists.iter().enumerate() {
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            for (row, entry) in entries.iter().enumerate() {
                lists.write_string(u32::try_from(row).unwrap_or(u32::MAX), column, entry)?;
            }
        }
        lists.set_hidden(true);
    }
    Ok(workbook.save_to_buffer()?)
}

fn write_columns<'c>(
    sheet: &mut Worksheet,
    columns: &'c [TemplateColumn],
    long_lists: &mut Vec<&'c [String]>,
) -> Result<(), SheetError> {
    let header = header_format();
    let required_header = header_format().set_font_color(Color::Red);
    let note = Format::new()
        .set_italic()
        .set_font_color(Color::Gray)
        .set_text_wrap();
    let text = text_format();
    for (index, column) in columns.iter().enumerate() {
        let col = u16::try_from(index).unwrap_or(u16::MAX);
        sheet.set_column_width(col, column.width)?;
        if column.text {
            sheet.set_column_format(col, &text)?;
        }
        let format = if column.required {
            &required_header
        } else {
            &header
        };
        sheet.write_string_with_format(0, col, &column.header, format)?;
        sheet.write_string_with_format(1, col, &column.note, &note)?;
        let Some(entries) = &column.list else {
            continue;
        };
        let inline_length: usize = entries
            .iter()
            .map(|entry| entry.encode_utf16().count() + 1)
            .sum();
        let validation = if inline_length <= INLINE_LIST_LIMIT {
            DataValidation::new().allow_list_strings(entries)?
        } else {
            long_lists.push(entries);
            let list_column = column_letters(long_lists.len() - 1);
            DataValidation::new().allow_list_formula(Formula::new(format!(
                "='{LISTS_SHEET}'!${list_column}$1:${list_column}${}",
                entries.len()
            )))
        };
        // A warning rather than a stop: the import also accepts codes, aliases and English
        // names, and checks every value anyway.
        let validation = validation
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("请从下拉列表中选择")?
            .set_error_message("该值不在下拉列表中，导入时可能无法识别。")?;
        sheet.add_data_validation(FIRST_DATA_ROW, col, LAST_ROW, col, &validation)?;
    }
    sheet.set_row_height(1, 36)?;
    sheet.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    Ok(())
}

/// Excel's column letters for a 0-based column (0 → A, 26 → AA).
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + u8::try_from(index % 26).unwrap_or(0)));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}
