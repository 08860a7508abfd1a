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
use thiserror::Error;

use crate::i18n::{Describe, Label, Lang};

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
        }
    }
}

/// A unit a name could mean, for a person to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameCandidate {
    pub code: String,
    /// Such as 广州市南沙区南沙街道.
    pub full_name: String,
}

fn list_candidates(candidates: &[NameCandidate], lang: Lang) -> String {
    let listed: Vec<String> = candidates
        .iter()
        .map(|c| format!("{} ({})", c.full_name, c.code))
        .collect();
    listed.join(if lang == Lang::Zh { "、" } else { ", " })
}

fn nearest_hint(nearest: &Option<String>, lang: Lang) -> String {
    match (nearest, lang) {
        (Some(name), Lang::Zh) => format!("，是否是“{name}”？"),
        (Some(name), Lang::En) => format!("; did you mean \"{name}\"?"),
        (None, Lang::Zh) => "：请核对名称".to_owned(),
        (None, Lang::En) => ": check the spelling".to_owned(),
    }
}

/// Why a written name could not be turned into one unit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameLookupError {
    #[error("no place name was given: enter the name of a district, town or community")]
    Empty,
    #[error("{code} is not a known unit, so nothing can be looked up within it: check the scope")]
    UnknownScope { code: String },
    #[error(
        "\"{name}\" could mean several places: {}; choose one, or add the town or district",
        list_candidates(.candidates, Lang::En)
    )]
    Ambiguous {
        name: String,
        candidates: Vec<NameCandidate>,
    },
    #[error("no district, town or community is called \"{name}\"{}", nearest_hint(.nearest, Lang::En))]
    Unknown {
        name: String,
        nearest: Option<String>,
    },
}

impl Describe for NameLookupError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Empty, Lang::Zh) => "未填写地名：请填写区、镇街或社区/村的名称".to_owned(),
            (Self::UnknownScope { code }, Lang::Zh) => {
                format!("查找范围 {code} 不是已知的行政区划：请检查范围设置")
            }
            (Self::Ambiguous { name, candidates }, Lang::Zh) => format!(
                "“{name}”可能指多个地方：{}；请选择其中一个，或同时填写所属镇街或区",
                list_candidates(candidates, Lang::Zh)
            ),
            (Self::Unknown { name, nearest }, Lang::Zh) => format!(
                "找不到名为“{name}”的区、镇街或社区/村{}",
                nearest_hint(nearest, Lang::Zh)
            ),
        }
    }
}

/// The kind of unit an administrative suffix names. Suffixes of one kind are interchangeable
/// (南沙街 = 南沙街道 = 南沙街道办); suffixes of different kinds are not, because 金沙村 and
/// 金沙社区 can be two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SuffixKind {
    Subdistrict,
    Town,
    Community,
    Village,
    District,
}

/// The suffixes people add to or leave off unit names, longest first so that 街道办事处 is
/// removed whole rather than as 处.
#[rustfmt::skip]
const NAME_SUFFIXES: [(&str, SuffixKind); 18] = [
    ("社区居民委员会", SuffixKind::Community), ("街道办事处", SuffixKind::Subdistrict),
    ("村民委员会", SuffixKind::Village), ("居民委员会", SuffixKind::Community),
    ("镇人民政府", SuffixKind::Town), ("社区居委会", SuffixKind::Community),
    ("社区居委", SuffixKind::Community), ("街道办", SuffixKind::Subdistrict),
    ("镇政府", SuffixKind::Town), ("村委会", SuffixKind::Village),
    ("居委会", SuffixKind::Community), ("街道", SuffixKind::Subdistrict),
    ("社区", SuffixKind::Community), ("村委", SuffixKind::Village),
    ("街", SuffixKind::Subdistrict), ("镇", SuffixKind::Town),
    ("村", SuffixKind::Village), ("区", SuffixKind::District),
];

/// The form names are compared in: without any whitespace (including full-width), with
/// full-width letters folded to ASCII and ASCII lower-cased, so "南沙 街道" and "Nansha
/// subdistrict" match as people expect.
fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A name key split into its core and the kind of its administrative suffix (南沙街道 → 南沙,
/// subdistrict; 蕉门村委会 → 蕉门, village). A name that is nothing but a suffix keeps it.
fn split_suffix(key: &str) -> (&str, Option<SuffixKind>) {
    NAME_SUFFIXES
        .iter()
        .find_map(|&(suffix, kind)| {
            let core = key.strip_suffix(suffix).filter(|core| !core.is_empty())?;
            Some((core, Some(kind)))
        })
        .unwrap_or((key, None))
}

/// Whether two name keys name the same place once suffixes are set aside: the same core, and
/// suffixes of the same kind or one of them left off (南沙 ~ 南沙街道, 金沙社区 ~ 金沙).
fn same_place_name(query: &str, written: &str) -> bool {
    let ((query_core, query_kind), (core, kind)) = (split_suffix(query), split_suffix(written));
    query_core == core && (query_kind.is_none() || kind.is_none() || query_kind == kind)
}

/// Where each district's data came from, for error messages and full names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DistrictOrigin {
    source_name: String,
    city: Option<String>,
    city_en: Option<String>,
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

    /// Finds the unit a written name means, optionally only within the unit `within` (which
    /// counts as within itself). Tried in order, the first step with a match deciding: the exact
    /// name (Chinese, or English ignoring case), then the aliases in the data, then the name
    /// with its suffix left off or written another way (南沙街 → 南沙街道, 黄阁 → 黄阁镇,
    /// 金沙社区 ↔ 金沙, 蕉门村委会 → 蕉门村); a suffix of another kind (金沙村 for 金沙社区) is
    /// only suggested, not taken. Whitespace, including full-width, is ignored throughout.
    ///
    /// Several matches are an error listing them, unless they are one line of descent
    /// (南沙区 and its 南沙街道): then the town is taken, see `preference_for_bare_names`.
    pub fn find_by_name(&self, name: &str, within: Option<&str>) -> Result<&Unit, NameLookupError> {
        let query = name_key(name);
        if query.is_empty() {
            return Err(NameLookupError::Empty);
        }
        if let Some(scope) = within
            && self.get(scope).is_none()
        {
            return Err(NameLookupError::UnknownScope {
                code: scope.to_owned(),
            });
        }
        let pool: Vec<&Unit> = self
            .units()
            .filter(|unit| within.is_none_or(|scope| self.is_within(&unit.code, scope)))
            .collect();
        let exact = |unit: &Unit| name_key(&unit.name) == query || name_key(&unit.name_en) == query;
        let listed_alias = |unit: &Unit| unit.aliases.iter().any(|alias| name_key(alias) == query);
        let same_core = |unit: &Unit| {
            std::iter::once(&unit.name)
                .chain(&unit.aliases)
                .any(|written| same_place_name(&query, &name_key(written)))
        };
        let steps: [&dyn Fn(&Unit) -> bool; 3] = [&exact, &listed_alias, &same_core];
        for matches in steps {
            let candidates = pool.iter().copied().filter(|unit| matches(unit)).collect();
            if let Some(unit) = self.choose(name, candidates)? {
                return Ok(unit);
            }
        }
        Err(NameLookupError::Unknown {
            name: name.trim().to_owned(),
            nearest: nearest_name(&query, &pool),
        })
    }

    /// The one unit among equally good `candidates`, `None` if there are none.
    fn choose<'a>(
        &self,
        name: &str,
        mut candidates: Vec<&'a Unit>,
    ) -> Result<Option<&'a Unit>, NameLookupError> {
        if candidates.len() <= 1 {
            return Ok(candidates.pop());
        }
        candidates.sort_by_key(|unit| unit.level);
        let one_line_of_descent = candidates.windows(2).all(|pair| {
            pair[0].level < pair[1].level && self.is_within(&pair[1].code, &pair[0].code)
        });
        if one_line_of_descent {
            let preferred = candidates
                .into_iter()
                .min_by_key(|unit| unit.level.preference_for_bare_names());
            return Ok(preferred);
        }
        Err(NameLookupError::Ambiguous {
            name: name.trim().to_owned(),
            candidates: candidates
                .iter()
                .map(|unit| NameCandidate {
                    code: unit.code.clone(),
                    full_name: self.full_name(&unit.code).unwrap_or_default(),
                })
                .collect(),
        })
    }
}

/// The known name closest to `query` by edit distance on characters, compared both whole and
/// without suffixes (黄格 → 黄阁镇). Only close names are suggested: one edit for short names,
/// one more per six characters, and never so many edits that the name is rewritten.
fn nearest_name(query: &str, pool: &[&Unit]) -> Option<String> {
    let query_core = split_suffix(query).0;
    let allowed = 1 + query.chars().count() / 6;
    pool.iter()
        .flat_map(|unit| [(unit, &unit.name), (unit, &unit.name_en)])
        .filter_map(|(unit, written)| {
            let key = name_key(written);
            let distance = strsim::levenshtein(query, &key)
                .min(strsim::levenshtein(query_core, split_suffix(&key).0));
            let close = distance <= allowed && distance < query_core.chars().count();
            close.then_some((distance, unit.level.preference_for_bare_names(), written))
        })
        .min_by_key(|&(distance, preference, _)| (distance, preference))
        .map(|(_, _, written)| written.clone())
}

#[cfg(test)]
mod tests;
