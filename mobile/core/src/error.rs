//! The one error type every app command returns: a stable code the UI branches on and a message
//! in the user's language. Messages never contain personal data.

use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::replica::ReplicaError;
use serde::Serialize;
use thiserror::Error;

/// What kind of failure: the front-end decides what to show (unlock screen, field error…) by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotEnrolled,
    Locked,
    WrongPin,
    BadInput,
    EnrolmentRefused,
    ServerUnreachable,
    NotFound,
    NotAllowed,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, lang: Lang, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let message = match lang {
            Lang::Zh => zh.into(),
            Lang::En => en.into(),
        };
        Self { code, message }
    }

    pub fn described(code: ErrorCode, lang: Lang, what: &impl Describe) -> Self {
        Self {
            code,
            message: what.describe(lang),
        }
    }

    pub fn bad_input(lang: Lang, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadInput, lang, zh, en)
    }

    pub fn not_found(lang: Lang) -> Self {
        Self::new(
            ErrorCode::NotFound,
            lang,
            "本机没有该人员的记录（可能已转出本单位）",
            "This device holds no such record (it may have moved to another unit)",
        )
    }

    pub fn locked(lang: Lang) -> Self {
        Self::new(
            ErrorCode::Locked,
            lang,
            "应用已锁定，请输入 PIN 解锁",
            "The app is locked: enter your PIN",
        )
    }

    pub fn not_enrolled(lang: Lang) -> Self {
        Self::new(
            ErrorCode::NotEnrolled,
            lang,
            "本设备尚未登记，请先输入登记码",
            "This device is not enrolled yet: enter an enrolment code first",
        )
    }

    /// A failure of the local store or files: says what failed, never what a record holds.
    pub fn internal(lang: Lang, what: impl std::fmt::Display) -> Self {
        tracing::error!(error = %what, "internal error");
        Self::new(
            ErrorCode::Internal,
            lang,
            format!("本机数据处理出错：{what}"),
            format!("Local data error: {what}"),
        )
    }

    pub fn replica(lang: Lang, error: ReplicaError) -> Self {
        Self::internal(lang, error)
    }
}
