//! Why a workbook cannot be used at all. Row problems are never errors (see `FailedRow`), and no
//! variant carries a cell value, so these errors are safe to log.

use thiserror::Error;

use super::limits::{MAX_CELLS, MAX_COLUMNS, MAX_ROWS, SheetLimit};
use crate::i18n::{Describe, Lang};

/// What is wrong with a workbook as a whole, or why one could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SheetError {
    #[error(
        "the file is not an Excel workbook (.xlsx, .xls) or an OpenDocument spreadsheet (.ods): \
         open it in Excel or WPS and save it as .xlsx (a CSV file must be saved as .xlsx too)"
    )]
    NotASpreadsheet,
    #[error(
        "the workbook is damaged or protected by a password and cannot be opened: remove the \
         password, or open it in Excel or WPS and save it again as .xlsx"
    )]
    Damaged,
    #[error("the workbook has no worksheet: put the list on the first worksheet")]
    NoWorksheet,
    #[error("worksheet \"{sheet}\" cannot be read: save the workbook again as .xlsx")]
    UnreadableSheet { sheet: String },
    #[error(
        "no worksheet has a header row with the list's columns in its first {rows_scanned} \
         rows: the header row must name the columns, such as {}", .expected.join(", ")
    )]
    NoHeaderRow {
        /// The template's headers, which would have been recognised.
        expected: Vec<String>,
        rows_scanned: u32,
    },
    #[error(
        "the header row (row {header_row} of worksheet \"{sheet}\") lacks the required column(s) \
         {}: add them, with these headers, and fill them in", .missing.join(", ")
    )]
    MissingColumns {
        sheet: String,
        header_row: u32,
        missing: Vec<String>,
    },
    #[error(
        "worksheet \"{sheet}\" is too large ({}): a worksheet may have at most {MAX_ROWS} rows, \
         {MAX_COLUMNS} columns and {MAX_CELLS} filled cells; delete the extra rows and columns, \
         or split the list into several files and import them one by one",
        .limit.describe(Lang::En)
    )]
    SheetTooLarge { sheet: String, limit: SheetLimit },
    #[error("unit {code} is not in the loaded jurisdictions: check the importer's unit")]
    UnknownUnit { code: String },
    #[error("unit {code} is outside the program's area {area}")]
    OutsideArea { code: String, area: String },
    #[error("the workbook could not be written: {detail}")]
    Write {
        /// The writer's message; it names limits and sheet names, never cell values.
        detail: String,
    },
}

impl From<rust_xlsxwriter::XlsxError> for SheetError {
    fn from(error: rust_xlsxwriter::XlsxError) -> Self {
        Self::Write {
            detail: error.to_string(),
        }
    }
}

impl Describe for SheetError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::NotASpreadsheet => "该文件不是 Excel 工作簿（.xlsx、.xls）或 ODS 表格：请用 Excel 或 WPS 打开后另存为 .xlsx（CSV 文件也请另存为 .xlsx）".to_owned(),
            Self::Damaged => "工作簿已损坏或设置了打开密码，无法读取：请取消密码，或用 Excel / WPS 打开后重新另存为 .xlsx".to_owned(),
            Self::NoWorksheet => "工作簿中没有工作表：请把名单放在第一个工作表中".to_owned(),
            Self::UnreadableSheet { sheet } => {
                format!("无法读取工作表「{sheet}」：请重新另存为 .xlsx 后再导入")
            }
            Self::NoHeaderRow {
                expected,
                rows_scanned,
            } => format!(
                "在各工作表的前 {rows_scanned} 行中找不到表头行：表头应包含这些列名，如：{}（可下载模板对照）",
                expected.join("、")
            ),
            Self::MissingColumns {
                sheet,
                header_row,
                missing,
            } => format!(
                "工作表「{sheet}」的表头（第 {header_row} 行）缺少必填列：{}。请按模板补上这些列并填写",
                missing.join("、")
            ),
            Self::UnknownUnit { code } => {
                format!("单位代码 {code} 不在已加载的行政区划中：请检查导入人所属单位")
            }
            Self::OutsideArea { code, area } => {
                format!("单位 {code} 不在本流程的服务范围（{area}）内：请检查导入人所属单位")
            }
            Self::SheetTooLarge { sheet, limit } => format!(
                "工作表「{sheet}」过大（{}）：每个工作表最多 {MAX_ROWS} 行、{MAX_COLUMNS} 列、\
                 {MAX_CELLS} 个有内容的单元格。请删除多余的行和列，或把名单拆成几个文件分别导入",
                limit.describe(Lang::Zh)
            ),
            Self::Write { detail } => format!("生成 Excel 文件失败：{detail}"),
        }
    }
}

impl Describe for SheetLimit {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Rows, Lang::Zh) => format!("有内容的行超过了第 {MAX_ROWS} 行"),
            (Self::Columns, Lang::Zh) => format!("有内容的列超过了第 {MAX_COLUMNS} 列"),
            (Self::Cells, Lang::Zh) => format!("单元格超过 {MAX_CELLS} 个"),
            (Self::Rows, Lang::En) => format!("cells with a value below row {MAX_ROWS}"),
            (Self::Columns, Lang::En) => {
                format!("cells with a value right of column {MAX_COLUMNS}")
            }
            (Self::Cells, Lang::En) => format!("more than {MAX_CELLS} cells"),
        }
    }
}
