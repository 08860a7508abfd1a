//! The supply catalogue (物资目录): item codes with zh/en labels, read from TOML
//! (`assets/supplies/catalogue.toml`).

use serde::Deserialize;
use thiserror::Error;

use crate::i18n::{Describe, Label, Lang};

/// One kind of supply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyItem {
    pub code: String,
    pub label: Label,
    /// The counting unit (个, 只, 份).
    pub unit: Label,
    /// What one person usually gets.
    #[serde(default = "one")]
    pub per_person: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    items: Vec<SupplyItem>,
}

/// The items a community can receive, issue and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    items: Vec<SupplyItem>,
}

/// What is wrong with a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogueError {
    #[error("the supply catalogue is not valid TOML: {0}")]
    Toml(String),
    #[error("supply item code `{0}` is invalid: use 1–32 lower-case letters, digits or '_'")]
    BadCode(String),
    #[error("supply item `{0}` is listed twice")]
    Duplicate(String),
    #[error("the supply catalogue lists no items")]
    Empty,
}

impl Describe for CatalogueError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Toml(e), Lang::Zh) => format!("物资目录不是有效的 TOML：{e}"),
            (Self::BadCode(c), Lang::Zh) => {
                format!("物资代码 {c} 无效：只能用 1–32 个小写字母、数字或下划线")
            }
            (Self::Duplicate(c), Lang::Zh) => format!("物资 {c} 重复"),
            (Self::Empty, Lang::Zh) => "物资目录为空".into(),
        }
    }
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Catalogue {
    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let file: CatalogueFile =
            toml::from_str(text).map_err(|e| CatalogueError::Toml(e.message().to_owned()))?;
        if file.items.is_empty() {
            return Err(CatalogueError::Empty);
        }
        let mut seen: Vec<&str> = Vec::new();
        for item in &file.items {
            if !valid_code(&item.code) {
                return Err(CatalogueError::BadCode(item.code.clone()));
            }
            if seen.contains(&item.code.as_str()) {
                return Err(CatalogueError::Duplicate(item.code.clone()));
            }
            seen.push(&item.code);
        }
        Ok(Self { items: file.items })
    }

    /// The catalogue shipped with Outpost.
    pub fn preset() -> Result<Self, CatalogueError> {
        Self::parse(include_str!("../../../assets/supplies/catalogue.toml"))
    }

    pub fn items(&self) -> &[SupplyItem] {
        &self.items
    }

    pub fn item(&self, code: &str) -> Option<&SupplyItem> {
        self.items.iter().find(|i| i.code == code)
    }
}
