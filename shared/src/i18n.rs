//! The two languages the product speaks. Simplified Chinese is the default everywhere a person
//! reads text; English is for switching the UI and for logs.
//!
//! Errors keep an English `Display` (logs, CLI) and implement [`Describe`] so the app can show
//! the same error in the user's language.

use serde::{Deserialize, Serialize};

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    /// Simplified Chinese (简体中文), the default.
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// Something that can explain itself to a person in either language.
pub trait Describe {
    /// The text a person reads, in `lang`.
    fn describe(&self, lang: Lang) -> String;
}

/// A pair of labels, one per language, as programs and jurisdictions carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub zh: String,
    pub en: String,
}

impl Label {
    /// The label in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}
