//! A typed value checked by its field's type (字段值校验): what a worker types into a form is
//! normalised here (a phone number without spaces, an identity document in its canonical form, a
//! choice as its code), on the device and again on the server, so both store the same text.

use thiserror::Error;

use super::{Field, FieldType};
use crate::i18n::{Describe, Lang};
use crate::identity::{IdentityDocument, PhoneNumber, ResidentId};

/// The most characters a typed text field keeps.
pub const MAX_TEXT: usize = 500;

/// Why a typed value was refused. Never carries the value itself (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    #[error("{field}: required")]
    Required { field: String },
    /// A malformed phone number or identity document, the reason in both languages.
    #[error("{field}: {en}")]
    Invalid {
        field: String,
        zh: String,
        en: String,
    },
    #[error("{field}: choose yes or no")]
    NotBoolean { field: String },
    #[error("{field}: not one of the choices")]
    NotAChoice { field: String },
    #[error("{field}: must be a whole number")]
    NotInteger { field: String },
    #[error("{field}: change the unit by reassigning or forwarding")]
    Unit { field: String },
}

impl ValueError {
    /// The field key the error belongs to, so a form shows it beside that field.
    pub fn field(&self) -> &str {
        match self {
            Self::Required { field }
            | Self::Invalid { field, .. }
            | Self::NotBoolean { field }
            | Self::NotAChoice { field }
            | Self::NotInteger { field }
            | Self::Unit { field } => field,
        }
    }
}

/// Describes the error with the field's label rather than its key.
pub fn describe_value_error(error: &ValueError, label: &str, lang: Lang) -> String {
    if lang == Lang::En {
        let text = error.to_string();
        let reason = text.split_once(": ").map_or(text.as_str(), |(_, r)| r);
        return format!("{label}: {reason}");
    }
    let reason = match error {
        ValueError::Required { .. } => "必填".to_owned(),
        ValueError::Invalid { zh, .. } => zh.clone(),
        ValueError::NotBoolean { .. } => "请选择 是 或 否".to_owned(),
        ValueError::NotAChoice { .. } => "不是可选的值".to_owned(),
        ValueError::NotInteger { .. } => "应为整数".to_owned(),
        ValueError::Unit { .. } => "所属单位请用“修改所属镇街”或“转发”修改".to_owned(),
    };
    format!("{label}：{reason}")
}

/// Checks and normalises `raw` for `field`; an empty value is `""` unless the field is
/// required.
pub fn normalise_value(field: &Field, raw: &str) -> Result<String, ValueError> {
    let key = || field.key.clone();
    let value = raw.trim();
    if value.is_empty() {
        return if field.required {
            Err(ValueError::Required { field: key() })
        } else {
            Ok(String::new())
        };
    }
    let invalid = |reason: &dyn Describe| ValueError::Invalid {
        field: key(),
        zh: reason.describe(Lang::Zh),
        en: reason.describe(Lang::En),
    };
    Ok(match &field.field_type {
        FieldType::Phone => PhoneNumber::parse(value)
            .map_err(|e| invalid(&e))?
            .as_str()
            .to_owned(),
        FieldType::ResidentId => ResidentId::parse(value)
            .map_err(|e| invalid(&e))?
            .as_str()
            .to_owned(),
        FieldType::IdDocument => IdentityDocument::parse_guess(value)
            .map_err(|e| invalid(&e))?
            .number()
            .to_owned(),
        FieldType::Boolean => match value {
            "true" | "是" => "true".into(),
            "false" | "否" => "false".into(),
            _ => return Err(ValueError::NotBoolean { field: key() }),
        },
        FieldType::Choice { options } => options
            .iter()
            .find(|o| o.code == value || o.label.zh == value || o.label.en == value)
            .map(|o| o.code.clone())
            .ok_or_else(|| ValueError::NotAChoice { field: key() })?,
        FieldType::Integer => value
            .parse::<i64>()
            .map_err(|_| ValueError::NotInteger { field: key() })?
            .to_string(),
        FieldType::Jurisdiction => return Err(ValueError::Unit { field: key() }),
        FieldType::Text | FieldType::Date | FieldType::DateTime => {
            value.chars().take(MAX_TEXT).collect()
        }
    })
}
