//! Errors in program files. Each one is pinned to the file, line and column of the value at
//! fault, because the people who edit programs fix them in a text editor, not a debugger.

use std::ops::Range;

use thiserror::Error;

use super::deadline::{Anchor, Condition};
use super::time::{DurationError, TimeOfDayError};
use super::{Action, JurisdictionLevel};
use crate::i18n::{Describe, Lang};

/// A place in a program file (位置), 1-based. Columns count characters, not bytes, so that
/// they match what an editor shows on lines with Chinese text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The start of the file, for problems that belong to no particular value (a missing table).
    pub const START: Position = Position { line: 1, column: 1 };

    /// The position of byte `offset` in `text`; an offset inside a character or past the end
    /// counts as the start of that character or the end of the text.
    pub fn at_offset(text: &str, offset: usize) -> Position {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = text.get(..end).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |last| last.chars().count())
            + 1;
        Position { line, column }
    }
}

/// A program file that was rejected (程序定义错误): where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{}:{}: {kind}", position.line, position.column)]
pub struct ProgramError {
    /// The file name the caller gave, e.g. "w1.toml".
    pub file: String,
    pub position: Position,
    pub kind: ProgramErrorKind,
}

impl Describe for ProgramError {
    fn describe(&self, lang: Lang) -> String {
        let reason = self.kind.describe(lang);
        match lang {
            Lang::En => format!(
                "{}:{}:{}: {reason}",
                self.file, self.position.line, self.position.column
            ),
            Lang::Zh => format!(
                "{} 第 {} 行第 {} 列：{reason}",
                self.file, self.position.line, self.position.column
            ),
        }
    }
}

/// What in a program needs an action or a status (依赖来源), so that an error about a missing
/// one can say why it is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Every program records answers along its outcome tree.
    OutcomeTree,
    /// An outcome with `forward = true`.
    ForwardOutcome(String),
    /// A deadline rule counting from this event.
    Anchor(Anchor),
    /// A deadline rule satisfied by this condition.
    Condition(Condition),
    /// Another action that cannot work alone.
    Action(Action),
    /// Every task starts out pending.
    InitialStatus,
}

impl Describe for Need {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::OutcomeTree, Lang::En) => "the outcome tree".into(),
            (Self::OutcomeTree, Lang::Zh) => "结果选项".into(),
            (Self::ForwardOutcome(code), Lang::En) => format!("outcome `{code}` (forward = true)"),
            (Self::ForwardOutcome(code), Lang::Zh) => format!("转发类结果 `{code}`"),
            (Self::Anchor(anchor), Lang::En) => format!("anchor `{}`", anchor.code()),
            (Self::Anchor(anchor), Lang::Zh) => format!("起算事件「{}」", anchor.describe(lang)),
            (Self::Condition(c), Lang::En) => format!("condition `{}`", c.code()),
            (Self::Condition(c), Lang::Zh) => format!("满足条件「{}」", c.describe(lang)),
            (Self::Action(action), Lang::En) => format!("action `{}`", action.code()),
            (Self::Action(action), Lang::Zh) => format!("操作「{}」", action.describe(lang)),
            (Self::InitialStatus, Lang::En) => "every task's initial status".into(),
            (Self::InitialStatus, Lang::Zh) => "任务的初始状态".into(),
        }
    }
}

/// Why a program file was rejected (错误原因).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProgramErrorKind {
    /// TOML syntax, an unknown key, a wrong type or a missing key, as the TOML reader saw it.
    #[error("{message}")]
    Toml { message: String },
    #[error(
        "`{text}` is not a valid identifier (lowercase letters, digits, `_` or `-`, starting with a letter)"
    )]
    BadIdentifier { text: String },
    #[error("duplicate field key `{key}`")]
    DuplicateField { key: String },
    #[error("choice field `{key}` needs `options`")]
    ChoiceWithoutOptions { key: String },
    #[error("field `{key}` is not a choice, so it cannot have `options`")]
    OptionsOnNonChoice { key: String },
    #[error("duplicate option `{code}` in field `{key}`")]
    DuplicateChoiceOption { key: String, code: String },
    #[error("import column names unknown field `{field}`")]
    ImportUnknownField { field: String },
    #[error("field `{field}` is set by the import itself and cannot be an import column")]
    ImportOfSystemField { field: String },
    #[error("field `{field}` already has an import column")]
    DuplicateImportColumn { field: String },
    #[error("header `{header}` is empty once spaces are removed")]
    EmptyHeader { header: String },
    #[error("header `{header}` is already used by the column of field `{other}`")]
    DuplicateImportHeader { header: String, other: String },
    #[error("dispatch key names unknown field `{field}`")]
    DispatchUnknownField { field: String },
    #[error("dispatch key `{field}` is a {field_type} field, not a jurisdiction")]
    DispatchNotJurisdiction { field: String, field_type: String },
    #[error("the outcome tree is empty")]
    EmptyOutcomeTree,
    #[error("duplicate outcome code `{code}` {}", under_text(parent.as_deref()))]
    DuplicateOutcomeCode {
        code: String,
        parent: Option<String>,
    },
    #[error("status `{status}` is declared twice")]
    DuplicateStatus { status: String },
    #[error("status `{status}` is missing; {} needs it", needed_by.describe(Lang::En))]
    MissingStatus { status: String, needed_by: Need },
    #[error("unknown status `{status}` (declare it under [[statuses]])")]
    UnknownStatus { status: String },
    #[error("area `{code}` is not a unit code (6, 9 or 12 digits)")]
    BadAreaCode { code: String },
    #[error("`status_in` names no status")]
    EmptyStatusCondition,
    #[error("transition `{action}` has the name of a core action; choose another")]
    TransitionNamesCoreAction { action: String },
    #[error("transition `{action}` is declared twice")]
    DuplicateTransition { action: String },
    #[error("transition `{action}` starts from no status")]
    TransitionWithoutFrom { action: String },
    #[error("transition `{action}` starts from `{status}`, which is terminal")]
    TransitionFromTerminal { action: String, status: String },
    #[error("unknown role `{role}`")]
    UnknownRole { role: String },
    #[error("transition input names unknown field `{field}`")]
    InputUnknownField { field: String },
    #[error(
        "field `{field}` cannot be typed in a transition (a unit moves by reassigning; the batch is set by the import)"
    )]
    InputNotTypable { field: String },
    #[error("field `{field}` is asked twice by one transition")]
    DuplicateInput { field: String },
    #[error("guard names unknown field `{field}`")]
    GuardUnknownField { field: String },
    #[error("the guard on `{field}` needs exactly one test: `in`, `not_in` (with values) or `set`")]
    GuardNeedsOneTest { field: String },
    #[error("`{code}` is not an option of field `{field}`")]
    GuardUnknownOption { field: String, code: String },
    #[error("action `{}` is listed twice", action.code())]
    DuplicateAction { action: Action },
    #[error("action `{}` is missing; {} needs it", action.code(), needed_by.describe(Lang::En))]
    MissingAction { action: Action, needed_by: Need },
    #[error("duplicate group `{id}`")]
    DuplicateGroup { id: String },
    #[error("group id `{id}` is reserved for a role")]
    ReservedGroupId { id: String },
    #[error("duplicate deadline rule `{id}`")]
    DuplicateRule { id: String },
    #[error("deadline rule `{id}` has no ladder steps")]
    EmptyLadder { id: String },
    #[error("a ladder step needs `after` (a duration) or `at` (a time of day)")]
    StepWithoutTime,
    #[error("a ladder step has both `after` and `at`; choose one")]
    StepWithBothTimes,
    #[error("the ladder mixes `after` and `at` steps; a rule is either relative or wall-clock")]
    MixedLadder,
    #[error("steps of a recurring rule count from each occurrence and must use `after`")]
    AtInRecurringRule,
    #[error("`days_after` only applies to steps with `at`")]
    DaysAfterWithoutAt,
    #[error("`late_anchor` only applies to rules whose steps use `at`")]
    LateAnchorWithoutAt,
    #[error("ladder step at {step} is not after the previous step at {previous}")]
    StepOutOfOrder { step: String, previous: String },
    #[error("bad duration `{text}`: {reason}")]
    BadDuration { text: String, reason: DurationError },
    #[error("bad time of day `{text}`: {reason}")]
    BadTimeOfDay {
        text: String,
        reason: TimeOfDayError,
    },
    #[error("`every_days` must be at least 1")]
    ZeroRecurrence,
    #[error("a ladder step notifies nobody")]
    EmptyRecipients,
    #[error(
        "unknown recipient `{name}` (a role such as `town_leader`, `unit_staff`, or a declared group)"
    )]
    UnknownRecipient { name: String },
    #[error("recipient `{name}` is below the {} the task is dispatched to", unit.code())]
    RecipientBelowUnit {
        name: String,
        unit: JurisdictionLevel,
    },
}

fn under_text(parent: Option<&str>) -> String {
    match parent {
        Some(parent) => format!("under `{parent}`"),
        None => "at the top level".into(),
    }
}

impl Describe for ProgramErrorKind {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Toml { message } => format!("TOML 格式错误：{message}"),
            Self::BadIdentifier { text } => {
                format!("`{text}` 不是有效的标识（小写字母开头，只含小写字母、数字、`_` 或 `-`）")
            }
            Self::DuplicateField { key } => format!("字段 `{key}` 重复"),
            Self::ChoiceWithoutOptions { key } => format!("选择字段 `{key}` 缺少 `options`"),
            Self::OptionsOnNonChoice { key } => {
                format!("字段 `{key}` 不是选择字段，不能有 `options`")
            }
            Self::DuplicateChoiceOption { key, code } => {
                format!("字段 `{key}` 的选项 `{code}` 重复")
            }
            Self::ImportUnknownField { field } => format!("导入列指向不存在的字段 `{field}`"),
            Self::ImportOfSystemField { field } => {
                format!("字段 `{field}` 由导入自动生成，不能作为导入列")
            }
            Self::DuplicateImportColumn { field } => format!("字段 `{field}` 已有导入列"),
            Self::EmptyHeader { header } => format!("表头 `{header}` 去掉空格后为空"),
            Self::DuplicateImportHeader { header, other } => {
                format!("表头 `{header}` 已被字段 `{other}` 的导入列使用")
            }
            Self::DispatchUnknownField { field } => format!("派发依据指向不存在的字段 `{field}`"),
            Self::DispatchNotJurisdiction { field, field_type } => {
                format!("派发依据 `{field}` 是 {field_type} 字段，不是辖区字段")
            }
            Self::EmptyOutcomeTree => "结果选项为空".into(),
            Self::DuplicateOutcomeCode { code, parent } => match parent {
                Some(parent) => format!("`{parent}` 下的结果代码 `{code}` 重复"),
                None => format!("第一级结果代码 `{code}` 重复"),
            },
            Self::DuplicateStatus { status } => format!("状态 `{status}` 重复声明"),
            Self::MissingStatus { status, needed_by } => {
                format!("缺少状态 `{status}`（{}需要）", needed_by.describe(lang))
            }
            Self::UnknownStatus { status } => {
                format!("未知状态 `{status}`（请在 [[statuses]] 中声明）")
            }
            Self::EmptyStatusCondition => "`status_in` 没有列出任何状态".into(),
            Self::BadAreaCode { code } => {
                format!("服务范围 `{code}` 不是单位代码（6、9 或 12 位数字）")
            }
            Self::TransitionNamesCoreAction { action } => {
                format!("流转 `{action}` 与内置操作同名，请换一个名称")
            }
            Self::DuplicateTransition { action } => format!("流转 `{action}` 重复声明"),
            Self::TransitionWithoutFrom { action } => format!("流转 `{action}` 没有起始状态"),
            Self::TransitionFromTerminal { action, status } => {
                format!("流转 `{action}` 从终态 `{status}` 出发")
            }
            Self::UnknownRole { role } => format!("未知角色 `{role}`"),
            Self::InputUnknownField { field } => format!("流转填写项指向不存在的字段 `{field}`"),
            Self::InputNotTypable { field } => {
                format!(
                    "字段 `{field}` 不能在流转中填写（所属单位通过“修改所属单位”修改，批次号由导入生成）"
                )
            }
            Self::DuplicateInput { field } => format!("同一流转重复填写字段 `{field}`"),
            Self::GuardUnknownField { field } => format!("流转条件指向不存在的字段 `{field}`"),
            Self::GuardNeedsOneTest { field } => {
                format!("字段 `{field}` 的流转条件须有且只有一项：`in`、`not_in`（带取值）或 `set`")
            }
            Self::GuardUnknownOption { field, code } => {
                format!("`{code}` 不是字段 `{field}` 的选项")
            }
            Self::DuplicateAction { action } => format!("操作「{}」重复", action.describe(lang)),
            Self::MissingAction { action, needed_by } => format!(
                "缺少操作「{}」（{}需要）",
                action.describe(lang),
                needed_by.describe(lang)
            ),
            Self::DuplicateGroup { id } => format!("群组 `{id}` 重复"),
            Self::ReservedGroupId { id } => format!("群组标识 `{id}` 与角色名称冲突"),
            Self::DuplicateRule { id } => format!("时限规则 `{id}` 重复"),
            Self::EmptyLadder { id } => format!("时限规则 `{id}` 没有告警步骤"),
            Self::StepWithoutTime => "告警步骤需要 `after`（时长）或 `at`（时刻）".into(),
            Self::StepWithBothTimes => "告警步骤同时有 `after` 和 `at`，只能选一个".into(),
            Self::MixedLadder => {
                "告警步骤混用了 `after` 和 `at`；一条规则要么按时长，要么按时刻".into()
            }
            Self::AtInRecurringRule => "周期规则的告警步骤从每次触发起算，只能用 `after`".into(),
            Self::DaysAfterWithoutAt => "`days_after` 只能用于带 `at` 的步骤".into(),
            Self::LateAnchorWithoutAt => "`late_anchor` 只适用于按时刻（`at`）的规则".into(),
            Self::StepOutOfOrder { step, previous } => {
                format!("告警步骤 {step} 不晚于上一步骤 {previous}")
            }
            Self::BadDuration { text, reason } => {
                format!("时长 `{text}` 有误：{}", reason.describe(lang))
            }
            Self::BadTimeOfDay { text, reason } => {
                format!("时刻 `{text}` 有误：{}", reason.describe(lang))
            }
            Self::ZeroRecurrence => "`every_days` 至少为 1".into(),
            Self::EmptyRecipients => "告警步骤没有通知对象".into(),
            Self::UnknownRecipient { name } => {
                format!(
                    "未知通知对象 `{name}`（应为 `town_leader` 等角色、`unit_staff` 或已声明的群组）"
                )
            }
            Self::RecipientBelowUnit { name, unit } => {
                format!("通知对象 `{name}` 低于任务派发的{}级", unit.describe(lang))
            }
        }
    }
}

/// The file being parsed, so that any check can turn a byte span into a located error.
pub(super) struct Source<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a str,
}

impl Source<'_> {
    /// An error at the start of `span`.
    pub(super) fn error(&self, span: Range<usize>, kind: ProgramErrorKind) -> ProgramError {
        self.error_at(Position::at_offset(self.text, span.start), kind)
    }

    /// An error at a known position.
    pub(super) fn error_at(&self, position: Position, kind: ProgramErrorKind) -> ProgramError {
        ProgramError {
            file: self.file.to_owned(),
            position,
            kind,
        }
    }

    /// Rejects identifiers that would be awkward in stored records, URLs and logs.
    pub(super) fn identifier(&self, text: &toml::Spanned<String>) -> Result<(), ProgramError> {
        let value = text.get_ref();
        let mut chars = value.chars();
        let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if starts_well && rest_ok {
            Ok(())
        } else {
            Err(self.error(
                text.span(),
                ProgramErrorKind::BadIdentifier {
                    text: value.clone(),
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\n名称 = \"x\"\n";
        assert_eq!(Position::at_offset(text, 0), Position::START);
        let offset = text.find("= \"x").expect("offset");
        assert_eq!(
            Position::at_offset(text, offset),
            Position { line: 2, column: 4 }
        );
        // Inside a multi-byte character and past the end are clamped, never a panic.
        assert_eq!(
            Position::at_offset(text, 7),
            Position { line: 2, column: 1 }
        );
        assert_eq!(
            Position::at_offset(text, 999),
            Position { line: 3, column: 1 }
        );
    }

    #[test]
    fn errors_display_file_line_column_and_reason_in_both_languages() {
        let error = ProgramError {
            file: "w1.toml".into(),
            position: Position {
                line: 42,
                column: 5,
            },
            kind: ProgramErrorKind::DuplicateOutcomeCode {
                code: "home".into(),
                parent: Some("local".into()),
            },
        };
        assert_eq!(
            error.to_string(),
            "w1.toml:42:5: duplicate outcome code `home` under `local`"
        );
        assert_eq!(error.describe(Lang::En), error.to_string());
        assert_eq!(
            error.describe(Lang::Zh),
            "w1.toml 第 42 行第 5 列：`local` 下的结果代码 `home` 重复"
        );
    }
}
