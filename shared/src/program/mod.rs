//! Programs (工作流程定义): what one workflow looks like — its fields, import columns, how its
//! records are dispatched, the outcomes a worker may record, the actions it allows, its statuses,
//! and the deadlines that escalate to leaders when work is late.
//!
//! Programs are TOML files in `assets/programs/` so that a new outbreak workflow is configured,
//! not coded. A file is checked in full when it is loaded, and every mistake is reported with its
//! file, line and column, because a program that loads is trusted by everything downstream.
//! The seeds' systems ship as presets (see [`presets`]).

mod deadline;
mod error;
mod machine;
mod outcome;
mod parse;
mod rules;
mod settings;
mod time;
mod value;
mod workflow;

#[cfg(test)]
mod tests;

pub use deadline::{
    Anchor, Condition, DeadlineError, DeadlineRule, LadderStep, LateAnchor, Recipient, Recurrence,
    StepCheck, StepState, StepTime,
};
pub use error::{Need, Position, ProgramError, ProgramErrorKind};
pub use machine::{Guard, GuardTest, Transition, TransitionInput, TransitionInputs};
pub use outcome::{AnswerError, AnswerLevel, NoteRule, OutcomeNode, OutcomeTree, ValidatedAnswer};
pub use settings::{
    DeadlineSettings, MAX_DAYS, RuleSettings, SettingsError, SettingsErrorKind, StepSettings,
};
pub use time::{
    DurationError, TimeOfDayError, format_duration, format_time_of_day, parse_duration,
    parse_time_of_day, shanghai,
};
pub use value::{MAX_TEXT, ValueError, describe_value_error, normalise_value};
pub use workflow::{Action, Colour, JurisdictionLevel, StatusDef, core_status};

use serde::{Deserialize, Serialize};

use crate::i18n::{Label, Lang};

/// File name of the W1 preset (close-contact whereabouts verification, Guangzhou Nansha).
pub const W1_PRESET: &str = "w1-close-contact-whereabouts.toml";
/// File name of the W2 preset (community verification and transfer, Xiamen).
pub const W2_PRESET: &str = "w2-community-verification.toml";

/// The shipped presets as (file name, TOML text), compiled in so that an app without its asset
/// folder still has them.
pub fn presets() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            W1_PRESET,
            include_str!("../../../assets/programs/w1-close-contact-whereabouts.toml"),
        ),
        (
            W2_PRESET,
            include_str!("../../../assets/programs/w2-community-verification.toml"),
        ),
    ]
}

/// Parses every shipped preset; an error means a preset was broken at build time.
pub fn load_presets() -> Result<Vec<Program>, ProgramError> {
    presets()
        .into_iter()
        .map(|(file, text)| Program::from_toml_str(text, file))
        .collect()
}

/// A checked workflow definition (工作流程定义). Only [`Program::from_toml_str`] builds one, so
/// every cross-reference in it (import columns, dispatch key, actions, statuses, recipients)
/// is known to hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Program {
    id: String,
    name: Label,
    record_kind: String,
    area: Option<String>,
    note_label: Label,
    fields: Vec<Field>,
    import_columns: Vec<ImportColumn>,
    dispatch: Dispatch,
    outcomes: OutcomeTree,
    actions: Vec<Action>,
    statuses: Vec<StatusDef>,
    transitions: Vec<Transition>,
    groups: Vec<Group>,
    deadlines: Vec<DeadlineRule>,
}

impl Program {
    /// Parses and checks a program. `source` is the file name used in error messages.
    pub fn from_toml_str(text: &str, source: &str) -> Result<Program, ProgramError> {
        parse::parse(text, source)
    }

    /// The stable id, e.g. "w1-close-contact-whereabouts".
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name people read.
    pub fn name(&self) -> &Label {
        &self.name
    }

    /// The kind of record the program works on, e.g. "person".
    pub fn record_kind(&self) -> &str {
        &self.record_kind
    }

    /// The unit the program serves (服务范围), e.g. 南沙区 440115 or 郑州市 410100: its lists
    /// are dispatched within it, its templates and pickers offer only units within it. `None`
    /// for a program that serves wherever the tree reaches.
    pub fn area(&self) -> Option<&str> {
        self.area.as_deref()
    }

    /// Checks the program against the jurisdiction tree it is deployed with: its area must be a
    /// unit of the tree. Run where both are loaded (the server's assets, the app's presets).
    pub fn check_area(
        &self,
        jurisdictions: &crate::jurisdiction::Jurisdictions,
    ) -> Result<(), AreaError> {
        match &self.area {
            Some(code) if jurisdictions.get(code).is_none() => Err(AreaError {
                program: self.id.clone(),
                code: code.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Whether `unit` lies within the program's area (any unit, for a program without one).
    pub fn serves(&self, jurisdictions: &crate::jurisdiction::Jurisdictions, unit: &str) -> bool {
        self.area
            .as_deref()
            .is_none_or(|area| jurisdictions.is_within(unit, area))
    }

    /// What the free-text note of an answer is called (W1 备注, W2 核实备注).
    pub fn note_label(&self) -> &Label {
        &self.note_label
    }

    /// All fields, in the order the file declares them (the order forms and lists show).
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field with `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.key == key)
    }

    /// Whether the field holds personal data that must be masked in lists and never logged.
    /// Unknown keys count as personal, so a typo errs on the side of privacy.
    pub fn is_personal(&self, key: &str) -> bool {
        self.field(key).is_none_or(|field| field.personal)
    }

    /// All import columns.
    pub fn import_columns(&self) -> &[ImportColumn] {
        &self.import_columns
    }

    /// The import column whose header or alias matches a spreadsheet header, compared after
    /// [`normalize_header`] (spaces, full-width parentheses, a leading required-mark `*`).
    pub fn import_column_for_header(&self, header: &str) -> Option<&ImportColumn> {
        let wanted = normalize_header(header);
        if wanted.is_empty() {
            return None;
        }
        self.import_columns
            .iter()
            .find(|column| column.names().any(|name| normalize_header(name) == wanted))
    }

    /// How records are dispatched.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The field that names the unit a record is dispatched to.
    pub fn dispatch_field(&self) -> Option<&Field> {
        self.field(&self.dispatch.field)
    }

    /// The outcomes a worker may record.
    pub fn outcomes(&self) -> &OutcomeTree {
        &self.outcomes
    }

    /// The actions the program allows.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Whether the program allows `action`.
    pub fn allows(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }

    /// The statuses the program uses, with its own labels.
    pub fn statuses(&self) -> &[StatusDef] {
        &self.statuses
    }

    /// The status with `code`.
    pub fn status(&self, code: &str) -> Option<&StatusDef> {
        self.statuses.iter().find(|def| def.code == code)
    }

    /// The program's label for the status `code`, or `None` if the program never uses it.
    pub fn status_label(&self, code: &str, lang: Lang) -> Option<&str> {
        self.status(code).map(|def| def.label.get(lang))
    }

    /// A workflow status (`RecordState::status_code`) in the program's words: its declared
    /// label; a core status it does not label in the core's own words; an unknown code as
    /// itself.
    pub fn status_words(&self, code: &str) -> Label {
        if let Some(def) = self.status(code) {
            return def.label.clone();
        }
        let (zh, en) = match code {
            core_status::PENDING => ("待认领", "Unclaimed"),
            core_status::CLAIMED => ("已认领待反馈", "Claimed"),
            core_status::ANSWERED => ("已反馈", "Answered"),
            other => (other, other),
        };
        Label {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    /// The declared transitions (状态流转), in the order the file declares them (the order
    /// buttons show).
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The transition with `action`.
    pub fn transition(&self, action: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.action == action)
    }

    /// The named groups alerts can go to.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The group with `id`.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|group| group.id == id)
    }

    /// The deadline rules.
    pub fn deadlines(&self) -> &[DeadlineRule] {
        &self.deadlines
    }

    /// Who a recipient is, in words: a role ("镇街领导") or the label of a declared group
    /// ("流调溯源专班").
    pub fn recipient_label(&self, recipient: &Recipient, lang: Lang) -> String {
        match recipient {
            Recipient::Group(id) => self
                .group(id)
                .map_or_else(|| id.clone(), |group| group.label.get(lang).to_owned()),
            role => role.describe_role(lang),
        }
    }

    /// The deadline rule with `id`.
    pub fn deadline(&self, id: &str) -> Option<&DeadlineRule> {
        self.deadlines.iter().find(|rule| rule.id() == id)
    }
}

/// A program whose area is not a unit of the deployment's tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("program `{program}` serves unit `{code}`, which the jurisdiction files do not have")]
pub struct AreaError {
    pub program: String,
    pub code: String,
}

/// Normalises a spreadsheet header for matching: drops all whitespace (ASCII and full-width),
/// a leading required-mark `*`/`＊`, turns full-width parentheses into ASCII ones and lowercases
/// ASCII letters, because templates are retyped by hand in every town.
pub fn normalize_header(header: &str) -> String {
    let compact: String = header
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '＊' => '*',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    compact.trim_start_matches('*').to_owned()
}

/// One field of a record (字段).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub key: String,
    pub label: Label,
    #[serde(flatten)]
    pub field_type: FieldType,
    pub required: bool,
    /// Personal data (个人信息): masked in lists, encrypted at rest, never logged.
    pub personal: bool,
    /// Set by the system rather than typed or imported.
    pub set_by: Option<SetBy>,
}

/// The type of a field (字段类型), which decides its validation and its input widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    Text,
    /// A mainland resident identity card number (身份证号码), checksum-validated.
    ResidentId,
    /// Any identity document (证件号码): resident ID, passport, permit.
    IdDocument,
    Phone,
    /// A node of the jurisdiction tree (辖区), e.g. a town or a community.
    Jurisdiction,
    Date,
    DateTime,
    Integer,
    Boolean,
    Choice {
        options: Vec<ChoiceOption>,
    },
}

impl FieldType {
    /// The name the TOML `type` key uses.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::ResidentId => "resident_id",
            Self::IdDocument => "id_document",
            Self::Phone => "phone",
            Self::Jurisdiction => "jurisdiction",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Choice { .. } => "choice",
        }
    }
}

/// One option of a choice field (选项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoiceOption {
    pub code: String,
    pub label: Label,
}

/// Who sets a field that nobody types (系统生成字段).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetBy {
    /// The batch number (批次号) the import assigns: one import is one batch.
    ImportBatch,
}

/// How a spreadsheet column maps onto a field (导入列).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportColumn {
    pub field: String,
    /// The header of the official template, e.g. 手机号码.
    pub header: String,
    /// Other headers seen in the wild, e.g. 电话, 手机, 联系电话.
    pub aliases: Vec<String>,
}

impl ImportColumn {
    /// The header followed by the aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.header.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// Which field names the unit a record goes to, and at which level (派发依据).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dispatch {
    pub field: String,
    pub level: JurisdictionLevel,
}

/// A named group alerts are sent to (通知群组), e.g. the tracing task force 流调溯源专班.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: String,
    pub label: Label,
}
