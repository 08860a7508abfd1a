//! Reading a program file: TOML into raw structures that keep every value's position, then the
//! checks that tie the parts together (import columns name real fields, the dispatch key is a
//! jurisdiction, every action has what it needs), each failing with the line of the culprit.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::error::{Need, Position, ProgramError, ProgramErrorKind, Source};
use super::machine::{RawStatus, RawTransition, build_statuses, build_transitions};
use super::outcome::{RawOutcome, build_tree};
use super::rules::{RawRule, RuleContext, build_rules};
use super::{
    Action, ChoiceOption, DeadlineRule, Dispatch, Field, FieldType, Group, ImportColumn,
    JurisdictionLevel, Program, SetBy, normalize_header,
};
use crate::i18n::Label;

/// A zh/en label as written in TOML; unlike [`Label`] it rejects unknown keys, so a typo such as
/// `eng = "…"` is caught.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLabel {
    zh: String,
    en: String,
}

impl From<RawLabel> for Label {
    fn from(raw: RawLabel) -> Label {
        Label {
            zh: raw.zh,
            en: raw.en,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    id: Spanned<String>,
    name: RawLabel,
    record_kind: Spanned<String>,
    #[serde(default)]
    area: Option<Spanned<String>>,
    #[serde(default)]
    note_label: Option<RawLabel>,
    actions: Spanned<Vec<Spanned<Action>>>,
    dispatch: RawDispatch,
    #[serde(default)]
    fields: Vec<RawField>,
    #[serde(default)]
    import: Vec<RawImportColumn>,
    #[serde(default)]
    statuses: Option<Spanned<Vec<RawStatus>>>,
    #[serde(default)]
    transitions: Vec<RawTransition>,
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(default)]
    outcomes: Option<Spanned<Vec<RawOutcome>>>,
    #[serde(default)]
    deadlines: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    key: Spanned<String>,
    label: RawLabel,
    #[serde(rename = "type")]
    field_type: RawFieldType,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    personal: bool,
    #[serde(default)]
    set_by: Option<SetBy>,
    #[serde(default)]
    options: Option<Spanned<Vec<RawChoiceOption>>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawFieldType {
    Text,
    ResidentId,
    IdDocument,
    Phone,
    Jurisdiction,
    Date,
    #[serde(rename = "datetime")]
    DateTime,
    Integer,
    Boolean,
    Choice,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoiceOption {
    code: Spanned<String>,
    label: RawLabel,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImportColumn {
    field: Spanned<String>,
    header: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDispatch {
    field: Spanned<String>,
    level: JurisdictionLevel,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    label: RawLabel,
}

/// Parses and checks a whole program file.
pub(super) fn parse(text: &str, file: &str) -> Result<Program, ProgramError> {
    let src = Source { text, file };
    let raw: RawProgram = toml::from_str(text).map_err(|error| {
        let position = error.span().map_or(Position::START, |span| {
            Position::at_offset(text, span.start)
        });
        src.error_at(
            position,
            ProgramErrorKind::Toml {
                message: error.message().to_owned(),
            },
        )
    })?;
    src.identifier(&raw.id)?;
    src.identifier(&raw.record_kind)?;
    let area = match raw.area {
        Some(code) if is_unit_code(code.get_ref()) => Some(code.into_inner()),
        Some(code) => {
            return Err(src.error(
                code.span(),
                ProgramErrorKind::BadAreaCode {
                    code: code.into_inner(),
                },
            ));
        }
        None => None,
    };
    let actions = build_actions(&src, &raw.actions)?;
    let fields = build_fields(&src, raw.fields)?;
    let groups = build_groups(&src, raw.groups)?;
    let import_columns = build_imports(&src, raw.import, &fields)?;
    let dispatch = build_dispatch(&src, raw.dispatch, &fields)?;
    let statuses = build_statuses(&src, raw.statuses, &raw.actions)?;
    let outcomes = build_tree(&src, raw.outcomes, &actions)?;
    let ctx = RuleContext {
        actions: &actions,
        statuses: &statuses,
        groups: &groups,
        unit: dispatch.level,
    };
    let transitions = build_transitions(&src, raw.transitions, &statuses, &fields, &ctx)?;
    let deadlines: Vec<DeadlineRule> = build_rules(&src, raw.deadlines, &ctx)?;
    Ok(Program {
        id: raw.id.into_inner(),
        name: raw.name.into(),
        record_kind: raw.record_kind.into_inner(),
        area,
        note_label: raw.note_label.map_or_else(
            || Label {
                zh: "备注".into(),
                en: "Note".into(),
            },
            Label::from,
        ),
        fields,
        import_columns,
        dispatch,
        outcomes,
        actions,
        statuses,
        transitions,
        groups,
        deadlines,
    })
}

fn build_actions(
    src: &Source<'_>,
    raw: &Spanned<Vec<Spanned<Action>>>,
) -> Result<Vec<Action>, ProgramError> {
    let mut actions: Vec<Action> = Vec::with_capacity(raw.get_ref().len());
    for action in raw.get_ref() {
        if actions.contains(action.get_ref()) {
            return Err(src.error(
                action.span(),
                ProgramErrorKind::DuplicateAction {
                    action: *action.get_ref(),
                },
            ));
        }
        actions.push(*action.get_ref());
    }
    // Every program records answers along its outcome tree.
    if !actions.contains(&Action::Answer) {
        return Err(src.error(
            raw.span(),
            ProgramErrorKind::MissingAction {
                action: Action::Answer,
                needed_by: Need::OutcomeTree,
            },
        ));
    }
    for action in raw.get_ref() {
        for needed in action.get_ref().requires() {
            if !actions.contains(needed) {
                return Err(src.error(
                    action.span(),
                    ProgramErrorKind::MissingAction {
                        action: *needed,
                        needed_by: Need::Action(*action.get_ref()),
                    },
                ));
            }
        }
    }
    Ok(actions)
}

fn build_fields(src: &Source<'_>, raws: Vec<RawField>) -> Result<Vec<Field>, ProgramError> {
    let mut fields: Vec<Field> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.key)?;
        let key = raw.key.get_ref().clone();
        if fields.iter().any(|field| field.key == key) {
            return Err(src.error(raw.key.span(), ProgramErrorKind::DuplicateField { key }));
        }
        let field_type = match (raw.field_type, raw.options) {
            (RawFieldType::Choice, None) => {
                return Err(src.error(
                    raw.key.span(),
                    ProgramErrorKind::ChoiceWithoutOptions { key },
                ));
            }
            (RawFieldType::Choice, Some(options)) if options.get_ref().is_empty() => {
                return Err(src.error(
                    options.span(),
                    ProgramErrorKind::ChoiceWithoutOptions { key },
                ));
            }
            (RawFieldType::Choice, Some(options)) => FieldType::Choice {
                options: build_options(src, &key, options.into_inner())?,
            },
            (_, Some(options)) => {
                return Err(src.error(options.span(), ProgramErrorKind::OptionsOnNonChoice { key }));
            }
            (simple, None) => simple_type(simple),
        };
        fields.push(Field {
            key,
            label: raw.label.into(),
            field_type,
            required: raw.required,
            personal: raw.personal,
            set_by: raw.set_by,
        });
    }
    Ok(fields)
}

fn simple_type(raw: RawFieldType) -> FieldType {
    match raw {
        RawFieldType::Text | RawFieldType::Choice => FieldType::Text,
        RawFieldType::ResidentId => FieldType::ResidentId,
        RawFieldType::IdDocument => FieldType::IdDocument,
        RawFieldType::Phone => FieldType::Phone,
        RawFieldType::Jurisdiction => FieldType::Jurisdiction,
        RawFieldType::Date => FieldType::Date,
        RawFieldType::DateTime => FieldType::DateTime,
        RawFieldType::Integer => FieldType::Integer,
        RawFieldType::Boolean => FieldType::Boolean,
    }
}

fn build_options(
    src: &Source<'_>,
    key: &str,
    raws: Vec<RawChoiceOption>,
) -> Result<Vec<ChoiceOption>, ProgramError> {
    let mut options: Vec<ChoiceOption> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.code)?;
        if options
            .iter()
            .any(|option| option.code == *raw.code.get_ref())
        {
            return Err(src.error(
                raw.code.span(),
                ProgramErrorKind::DuplicateChoiceOption {
                    key: key.to_owned(),
                    code: raw.code.into_inner(),
                },
            ));
        }
        options.push(ChoiceOption {
            code: raw.code.into_inner(),
            label: raw.label.into(),
        });
    }
    Ok(options)
}

fn build_groups(src: &Source<'_>, raws: Vec<RawGroup>) -> Result<Vec<Group>, ProgramError> {
    let mut groups: Vec<Group> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.id)?;
        let id = raw.id.get_ref().clone();
        if super::Recipient::role(&id).is_some() {
            return Err(src.error(raw.id.span(), ProgramErrorKind::ReservedGroupId { id }));
        }
        if groups.iter().any(|group| group.id == id) {
            return Err(src.error(raw.id.span(), ProgramErrorKind::DuplicateGroup { id }));
        }
        groups.push(Group {
            id,
            label: raw.label.into(),
        });
    }
    Ok(groups)
}

fn build_imports(
    src: &Source<'_>,
    raws: Vec<RawImportColumn>,
    fields: &[Field],
) -> Result<Vec<ImportColumn>, ProgramError> {
    let mut columns: Vec<ImportColumn> = Vec::with_capacity(raws.len());
    // Normalised header → the field whose column claims it.
    let mut headers: HashMap<String, String> = HashMap::new();
    for raw in raws {
        let field = raw.field.get_ref().clone();
        let Some(target) = fields.iter().find(|f| f.key == field) else {
            return Err(src.error(
                raw.field.span(),
                ProgramErrorKind::ImportUnknownField { field },
            ));
        };
        if target.set_by.is_some() {
            return Err(src.error(
                raw.field.span(),
                ProgramErrorKind::ImportOfSystemField { field },
            ));
        }
        if columns.iter().any(|column| column.field == field) {
            return Err(src.error(
                raw.field.span(),
                ProgramErrorKind::DuplicateImportColumn { field },
            ));
        }
        for name in std::iter::once(&raw.header).chain(raw.aliases.iter()) {
            let normalized = normalize_header(name.get_ref());
            if normalized.is_empty() {
                return Err(src.error(
                    name.span(),
                    ProgramErrorKind::EmptyHeader {
                        header: name.get_ref().clone(),
                    },
                ));
            }
            if let Some(other) = headers.get(&normalized) {
                return Err(src.error(
                    name.span(),
                    ProgramErrorKind::DuplicateImportHeader {
                        header: name.get_ref().clone(),
                        other: other.clone(),
                    },
                ));
            }
            headers.insert(normalized, field.clone());
        }
        columns.push(ImportColumn {
            field,
            header: raw.header.into_inner(),
            aliases: raw.aliases.into_iter().map(Spanned::into_inner).collect(),
        });
    }
    Ok(columns)
}

fn build_dispatch(
    src: &Source<'_>,
    raw: RawDispatch,
    fields: &[Field],
) -> Result<Dispatch, ProgramError> {
    let field = raw.field.get_ref().clone();
    match fields.iter().find(|f| f.key == field) {
        None => Err(src.error(
            raw.field.span(),
            ProgramErrorKind::DispatchUnknownField { field },
        )),
        Some(target) if target.field_type != FieldType::Jurisdiction => Err(src.error(
            raw.field.span(),
            ProgramErrorKind::DispatchNotJurisdiction {
                field,
                field_type: target.field_type.code().to_owned(),
            },
        )),
        Some(_) => Ok(Dispatch {
            field,
            level: raw.level,
        }),
    }
}

/// A jurisdiction code as the tree writes them: 6 digits (省/市/区县), 9 (镇街) or 12 (社区).
fn is_unit_code(code: &str) -> bool {
    matches!(code.len(), 6 | 9 | 12) && code.bytes().all(|b| b.is_ascii_digit())
}
