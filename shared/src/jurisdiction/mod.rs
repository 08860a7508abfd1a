//! The tree of administrative units (行政区划): districts (区), towns and subdistricts (镇街),
//! communities and villages (社区/村).
//!
//! Every task, record and sync scope names the unit it belongs to by code, and imported sheets
//! name units by whatever people wrote ("南沙街", "黄阁", "金沙社区居委会"). This module holds the
//! tree, answers "is this unit inside that one" for sync scopes, and turns written names into
//! units, refusing to guess when a name could mean two places.
//!
//! # Data format
//!
//! One TOML file per district, read by the caller and passed in as text:
//!
//! ```toml
//! [district]
//! code = "440115"                 # 6 digits
//! name = "南沙区"
//! name_en = "Nansha District"
//! parent_name = "广州市"          # optional: the city, used in full names
//! parent_name_en = "Guangzhou"    # optional
//!
//! [[town]]                        # 镇/街道
//! code = "440115001"              # district code + 3 digits (not 000)
//! name = "南沙街道"
//! name_en = "Nansha Subdistrict"
//! aliases = ["南沙街"]            # optional: other names people write
//!
//! [[town.community]]              # 社区/村 of the town above; optional
//! code = "440115001001"           # town code + 3 digits (not 000)
//! name = "金沙社区"
//! name_en = "Jinsha Community"
//! ```
//!
//! Unknown keys are rejected, so a misspelt key cannot silently drop data. Several files are
//! combined with [`Jurisdictions::merge`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::i18n::{Describe, Label, Lang};

mod error;
mod names;
mod overlay;

pub use error::JurisdictionError;
pub use names::{NameCandidate, NameLookupError};
pub use overlay::{CONSOLE_SOURCE, JurisdictionOverlay, UnitEntry, UnitOrigin};

/// The level of a unit in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// 区
    District,
    /// 镇街: a town (镇) or a subdistrict (街道).
    Town,
    /// 社区/村: an urban community or a village.
    Community,
}

impl Level {
    /// Codes grow by three digits per level below the six-digit district code.
    pub fn code_length(self) -> usize {
        match self {
            Self::District => 6,
            Self::Town => 9,
            Self::Community => 12,
        }
    }

    pub fn label(self) -> Label {
        let (zh, en) = match self {
            Self::District => ("区", "district"),
            Self::Town => ("镇街", "town/subdistrict"),
            Self::Community => ("社区/村", "community/village"),
        };
        Label {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    /// How codes of this level are built, for error messages.
    fn code_rule(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::District, Lang::Zh) => "6位数字，不能全为0",
            (Self::District, Lang::En) => "6 digits, not all zero",
            (Self::Town, Lang::Zh) => "9位数字，由所属区代码加三位数字（不能是000）组成",
            (Self::Town, Lang::En) => {
                "9 digits, made of the district's code and three more digits other than 000"
            }
            (Self::Community, Lang::Zh) => "12位数字，由所属镇街代码加三位数字（不能是000）组成",
            (Self::Community, Lang::En) => {
                "12 digits, made of the town's code and three more digits other than 000"
            }
        }
    }

    /// When one name fits a unit and units above or below it equally well, the town wins, then
    /// the community: tasks are dispatched to towns, so a bare place name in field data almost
    /// always means the town (南沙 → 南沙街道 rather than 南沙区), and districts are rarely
    /// named without their suffix.
    fn preference_for_bare_names(self) -> u8 {
        match self {
            Self::Town => 0,
            Self::Community => 1,
            Self::District => 2,
        }
    }
}

impl Describe for Level {
    fn describe(&self, lang: Lang) -> String {
        self.label().get(lang).to_owned()
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

/// One administrative unit (行政区划单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// 行政区划代码: 6, 9 or 12 digits by level; a unit's code starts with its parent's.
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: Level,
    /// The parent's code; `None` for a district.
    pub parent: Option<String>,
    /// Other names people write for the unit, from the data file.
    pub aliases: Vec<String>,
}

impl Unit {
    pub fn name_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.name,
            Lang::En => &self.name_en,
        }
    }
}

/// Where each district's data came from, for error messages and full names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DistrictOrigin {
    source_name: String,
    city: Option<String>,
    city_en: Option<String>,
}

/// The shipped jurisdiction files as (file name, TOML text), compiled in so that the app works
/// without its asset folder (the server reads `assets/` and may carry more districts).
pub fn presets() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "440115-nansha.toml",
            include_str!("../../../assets/jurisdictions/440115-nansha.toml"),
        ),
        (
            "350203-siming.toml",
            include_str!("../../../assets/jurisdictions/350203-siming.toml"),
        ),
    ]
}

/// Every shipped district in one tree; an error means a preset was broken at build time.
pub fn load_presets() -> Result<Jurisdictions, JurisdictionError> {
    let mut tree = Jurisdictions::default();
    for (file, text) in presets() {
        tree.merge(Jurisdictions::from_toml_str(text, file)?)?;
    }
    Ok(tree)
}

/// The loaded tree of units (行政区划树), ordered by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jurisdictions {
    units: BTreeMap<String, Unit>,
    districts: BTreeMap<String, DistrictOrigin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictFile {
    district: DistrictEntry,
    #[serde(default)]
    town: Vec<TownEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictEntry {
    code: String,
    name: String,
    name_en: String,
    parent_name: Option<String>,
    parent_name_en: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TownEntry {
    code: String,
    name: String,
    name_en: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    community: Vec<CommunityEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommunityEntry {
    code: String,
    name: String,
    name_en: String,
    #[serde(default)]
    aliases: Vec<String>,
}

fn new_unit(code: String, names: [String; 2], aliases: Vec<String>, level: Level) -> Unit {
    let [name, name_en] = names;
    Unit {
        code,
        name: name.trim().to_owned(),
        name_en: name_en.trim().to_owned(),
        level,
        parent: None,
        aliases: aliases.iter().map(|a| a.trim().to_owned()).collect(),
    }
}

impl Jurisdictions {
    /// Reads one district file (see the module documentation). `source` names the file in
    /// errors, such as `assets/jurisdictions/440115-nansha.toml`.
    pub fn from_toml_str(text: &str, source: &str) -> Result<Self, JurisdictionError> {
        let file: DistrictFile =
            toml::from_str(text).map_err(|error| JurisdictionError::Syntax {
                source_name: source.to_owned(),
                message: error.to_string(),
            })?;
        let district = file.district;
        let mut tree = Self::default();
        tree.districts.insert(
            district.code.clone(),
            DistrictOrigin {
                source_name: source.to_owned(),
                city: district.parent_name.map(|name| name.trim().to_owned()),
                city_en: district.parent_name_en.map(|name| name.trim().to_owned()),
            },
        );
        let district_code = district.code.clone();
        let names = [district.name, district.name_en];
        tree.insert(
            source,
            new_unit(district.code, names, district.aliases, Level::District),
        )?;
        for town in file.town {
            let mut unit = new_unit(
                town.code,
                [town.name, town.name_en],
                town.aliases,
                Level::Town,
            );
            unit.parent = Some(district_code.clone());
            let town_code = unit.code.clone();
            tree.insert(source, unit)?;
            for community in town.community {
                let names = [community.name, community.name_en];
                let mut unit = new_unit(community.code, names, community.aliases, Level::Community);
                unit.parent = Some(town_code.clone());
                tree.insert(source, unit)?;
            }
        }
        Ok(tree)
    }

    /// Adds one unit after checking its names and code against its parent and siblings.
    fn insert(&mut self, source: &str, unit: Unit) -> Result<(), JurisdictionError> {
        let missing = |field| JurisdictionError::MissingName {
            source_name: source.to_owned(),
            code: unit.code.clone(),
            field,
        };
        if unit.name.is_empty() {
            return Err(missing("name"));
        }
        if unit.name_en.is_empty() {
            return Err(missing("name_en"));
        }
        if unit.aliases.iter().any(String::is_empty) {
            return Err(missing("aliases"));
        }
        let code = &unit.code;
        let parent_code = unit.parent.as_deref().unwrap_or_default();
        let malformed = || JurisdictionError::MalformedCode {
            source_name: source.to_owned(),
            name: unit.name.clone(),
            code: code.clone(),
            level: unit.level,
        };
        if code.len() != unit.level.code_length() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let Some(own_digits) = code.strip_prefix(parent_code) else {
            return Err(JurisdictionError::CodeNotUnderParent {
                source_name: source.to_owned(),
                name: unit.name.clone(),
                code: code.clone(),
                parent_code: parent_code.to_owned(),
            });
        };
        if own_digits.bytes().all(|b| b == b'0') {
            return Err(malformed());
        }
        if self.units.contains_key(code) {
            return Err(JurisdictionError::DuplicateCode {
                code: code.clone(),
                first_source: source.to_owned(),
                second_source: source.to_owned(),
            });
        }
        if let Some(parent_code) = &unit.parent
            && self
                .children(parent_code)
                .iter()
                .any(|s| s.name == unit.name)
        {
            return Err(JurisdictionError::DuplicateName {
                source_name: source.to_owned(),
                name: unit.name.clone(),
                parent_code: parent_code.clone(),
            });
        }
        self.units.insert(code.clone(), unit);
        Ok(())
    }

    /// Adds the districts of `other`. Nothing is added when any code is already present.
    pub fn merge(&mut self, other: Jurisdictions) -> Result<(), JurisdictionError> {
        if let Some(code) = other
            .units
            .keys()
            .find(|code| self.units.contains_key(*code))
        {
            return Err(JurisdictionError::DuplicateCode {
                code: code.clone(),
                first_source: self.source_of(code).to_owned(),
                second_source: other.source_of(code).to_owned(),
            });
        }
        self.units.extend(other.units);
        self.districts.extend(other.districts);
        Ok(())
    }

    fn source_of(&self, code: &str) -> &str {
        code.get(..6)
            .and_then(|district| self.districts.get(district))
            .map_or("", |origin| origin.source_name.as_str())
    }

    /// Every unit, ordered by code (so each unit comes right before its descendants).
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn get(&self, code: &str) -> Option<&Unit> {
        self.units.get(code)
    }

    pub fn parent(&self, code: &str) -> Option<&Unit> {
        self.get(code)?
            .parent
            .as_deref()
            .and_then(|parent| self.get(parent))
    }

    /// The units strictly below `code`, ordered by code. Codes extend their parent's code, so
    /// they are one contiguous range of the ordered map.
    pub fn descendants(&self, code: &str) -> Vec<&Unit> {
        if self.get(code).is_none() {
            return Vec::new();
        }
        self.units
            .range::<str, _>((Bound::Excluded(code), Bound::Unbounded))
            .take_while(|(descendant, _)| descendant.starts_with(code))
            .map(|(_, unit)| unit)
            .collect()
    }

    /// The units directly below `code`, ordered by code.
    pub fn children(&self, code: &str) -> Vec<&Unit> {
        let mut children = self.descendants(code);
        children.retain(|unit| unit.parent.as_deref() == Some(code));
        children
    }

    /// The units above `code`, nearest first (a community's town, then its district).
    pub fn ancestors(&self, code: &str) -> Vec<&Unit> {
        let mut ancestors = Vec::new();
        let mut current = self.parent(code);
        while let Some(unit) = current {
            ancestors.push(unit);
            current = self.parent(&unit.code);
        }
        ancestors
    }

    /// Whether `code` is `ancestor_code` or lies below it. A unit is within itself, so a sync
    /// scope of a town includes the town's own records. Unknown codes are within nothing, so
    /// a record with a code this device does not know never slips into a scope.
    pub fn is_within(&self, code: &str, ancestor_code: &str) -> bool {
        self.get(ancestor_code).is_some()
            && (code == ancestor_code
                || self
                    .ancestors(code)
                    .iter()
                    .any(|unit| unit.code == ancestor_code))
    }

    /// The units of one level, ordered by code.
    pub fn units_at(&self, level: Level) -> Vec<&Unit> {
        self.units().filter(|unit| unit.level == level).collect()
    }

    /// The unit at `level` that `code` belongs to: the unit itself if it is at that level.
    fn enclosing(&self, code: &str, level: Level) -> Option<&Unit> {
        let unit = self.get(code)?;
        std::iter::once(unit)
            .chain(self.ancestors(code))
            .find(|unit| unit.level == level)
    }

    /// The district `code` is in (itself, for a district).
    pub fn district_of(&self, code: &str) -> Option<&Unit> {
        self.enclosing(code, Level::District)
    }

    /// The town `code` is in (itself, for a town); `None` for a district.
    pub fn town_of(&self, code: &str) -> Option<&Unit> {
        self.enclosing(code, Level::Town)
    }

    /// The name with the city and every level above, as on official forms: 广州市南沙区南沙街道.
    pub fn full_name(&self, code: &str) -> Option<String> {
        self.full_name_in(code, Lang::Zh)
    }

    /// [`Self::full_name`] in `lang`; in English from the unit up, comma-separated:
    /// "Nansha Subdistrict, Nansha District, Guangzhou".
    pub fn full_name_in(&self, code: &str, lang: Lang) -> Option<String> {
        let unit = self.get(code)?;
        let origin = code
            .get(..6)
            .and_then(|district| self.districts.get(district));
        let city = origin.and_then(|origin| match lang {
            Lang::Zh => origin.city.as_deref(),
            Lang::En => origin.city_en.as_deref(),
        });
        let mut parts: Vec<&str> = std::iter::once(unit)
            .chain(self.ancestors(code))
            .map(|unit| unit.name_in(lang))
            .chain(city)
            .collect();
        Some(match lang {
            Lang::Zh => {
                parts.reverse();
                parts.concat()
            }
            Lang::En => parts.join(", "),
        })
    }
}

#[cfg(test)]
mod tests;
