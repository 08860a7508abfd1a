//! Finding a unit by its written name (名称查找): exact names, aliases, suffixes left off or
//! written another way, and a nearest-name suggestion when nothing matches.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Jurisdictions, Unit};
use crate::i18n::{Describe, Lang};

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
pub(super) enum SuffixKind {
    Subdistrict,
    Town,
    Community,
    Village,
    District,
}

/// The suffixes people add to or leave off unit names, longest first so that 街道办事处 is
/// removed whole rather than as 处.
#[rustfmt::skip]
pub(super) const NAME_SUFFIXES: [(&str, SuffixKind); 18] = [
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
pub(super) fn split_suffix(key: &str) -> (&str, Option<SuffixKind>) {
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

impl Jurisdictions {
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
