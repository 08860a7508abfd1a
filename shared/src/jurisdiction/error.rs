//! What is wrong with jurisdiction data, from a file or the console, in both languages.

use thiserror::Error;

use super::Level;
use crate::i18n::{Describe, Lang};

/// What is wrong with jurisdiction data. Every variant names the file it came from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JurisdictionError {
    #[error("{source_name} is not valid jurisdiction data: {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    #[error(
        "{source_name}: {name} has code `{code}`, which is not a valid {level} code: \
         it must be {}", .level.code_rule(Lang::En)
    )]
    MalformedCode {
        source_name: String,
        name: String,
        code: String,
        level: Level,
    },
    #[error(
        "{source_name}: {name} has code `{code}`, which does not start with its parent's code \
         {parent_code}: correct one of the two"
    )]
    CodeNotUnderParent {
        source_name: String,
        name: String,
        code: String,
        parent_code: String,
    },
    #[error("{source_name}: the {field} of unit {code} is empty: fill it in")]
    MissingName {
        source_name: String,
        code: String,
        field: &'static str,
    },
    #[error("code {code} is used twice (in {first_source} and {second_source}): keep only one")]
    DuplicateCode {
        code: String,
        first_source: String,
        second_source: String,
    },
    #[error(
        "{source_name}: two units under {parent_code} are named {name}: rename one, \
         or names could not tell them apart"
    )]
    DuplicateName {
        source_name: String,
        name: String,
        parent_code: String,
    },
    #[error("there is no unit {code}: check the code")]
    UnknownUnit { code: String },
    #[error(
        "{code} would be below {parent}, which is not in the tree: add that unit first, or \
         correct the code"
    )]
    UnknownParent { code: String, parent: String },
    #[error(
        "{code} is not the code of a town (9 digits) or a community (12 digits); districts come \
         from the jurisdiction files"
    )]
    NotAddable { code: String },
    #[error("{code} still has {below} below it: withdraw that unit first")]
    HasUnitsBelow { code: String, below: String },
}

impl Describe for JurisdictionError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Syntax {
                source_name,
                message,
            } => format!("区划数据文件 {source_name} 格式有误：{message}"),
            Self::MalformedCode {
                source_name,
                name,
                code,
                level,
            } => format!(
                "区划数据文件 {source_name} 中“{name}”的代码 {code} 无效：{}代码应为{}",
                level.describe(Lang::Zh),
                level.code_rule(Lang::Zh)
            ),
            Self::CodeNotUnderParent {
                source_name,
                name,
                code,
                parent_code,
            } => format!(
                "区划数据文件 {source_name} 中“{name}”的代码 {code} 不以上级代码 {parent_code} 开头：请改正其中一个"
            ),
            Self::MissingName {
                source_name,
                code,
                field,
            } => format!("区划数据文件 {source_name} 中代码 {code} 的 {field} 为空：请补全"),
            Self::DuplicateCode {
                code,
                first_source,
                second_source,
            } => {
                format!("区划代码 {code} 重复出现（{first_source}、{second_source}）：请只保留一处")
            }
            Self::DuplicateName {
                source_name,
                name,
                parent_code,
            } => format!(
                "区划数据文件 {source_name} 中 {parent_code} 下有两个名为“{name}”的单位：请改正其中一个，否则无法按名称区分"
            ),
            Self::UnknownUnit { code } => format!("没有代码为 {code} 的单位：请核对代码"),
            Self::UnknownParent { code, parent } => {
                format!("{code} 的上级 {parent} 不在区划树中：请先新增该上级单位，或改正代码")
            }
            Self::NotAddable { code } => format!(
                "{code} 不是镇街（9位）或社区/村（12位）代码；区级单位只能在区划数据文件中设置"
            ),
            Self::HasUnitsBelow { code, below } => {
                format!("{code} 下还有单位 {below}：请先撤销下级单位")
            }
        }
    }
}
