//! What an administrator changes in the tree from the console (区划维护): towns and communities
//! added below the files' units, and new names and aliases for existing ones. The files stay the
//! base; the overlay is applied over them wherever the tree is used — the server's imports,
//! scopes and routes, and every device, which receives it with each sync — so a community set up
//! during an outbreak gets its tasks and its workers the same day, without a release.
//!
//! Units are never removed here: records, users and devices name units by code, and a code that
//! vanished would strand them. A unit added by mistake can be withdrawn while nothing uses it
//! (the server checks the ledger; see `JurisdictionOverlay::without`).

use serde::{Deserialize, Serialize};

use super::{JurisdictionError, Jurisdictions, Level, Unit, new_unit};

/// The name errors give for units from the console.
pub const CONSOLE_SOURCE: &str = "控制台 / console";

/// A unit's code, names and aliases, as the console sends and stores them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitEntry {
    pub code: String,
    pub name: String,
    pub name_en: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl UnitEntry {
    /// The entry for `unit` as it stands.
    pub fn of(unit: &Unit) -> Self {
        Self {
            code: unit.code.clone(),
            name: unit.name.clone(),
            name_en: unit.name_en.clone(),
            aliases: unit.aliases.clone(),
        }
    }

    /// Trimmed, with empty aliases and repeated ones left out.
    fn tidy(&self) -> Self {
        let mut aliases: Vec<String> = Vec::new();
        for alias in self.aliases.iter().map(|a| a.trim()) {
            if !alias.is_empty() && !aliases.iter().any(|a| a == alias) {
                aliases.push(alias.to_owned());
            }
        }
        Self {
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            name_en: self.name_en.trim().to_owned(),
            aliases,
        }
    }
}

/// The console's changes to the tree. Empty means the files as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionOverlay {
    /// Towns and communities the files do not have, each below a unit of the files or another
    /// added unit.
    #[serde(default)]
    pub added: Vec<UnitEntry>,
    /// New names and aliases of units the files have.
    #[serde(default)]
    pub changed: Vec<UnitEntry>,
}

/// Where a unit of the tree in force comes from, for the console's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitOrigin {
    /// As the file has it.
    File,
    /// A file's unit with names or aliases changed in the console.
    Changed,
    /// Added in the console.
    Added,
}

/// The level a code of this length names below a district; districts come only from files
/// (with their city names and the file that owns them).
fn addable_level(code: &str) -> Option<Level> {
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match code.len() {
        9 => Some(Level::Town),
        12 => Some(Level::Community),
        _ => None,
    }
}

impl JurisdictionOverlay {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty()
    }

    pub fn origin_of(&self, code: &str) -> UnitOrigin {
        if self.added.iter().any(|u| u.code == code) {
            UnitOrigin::Added
        } else if self.changed.iter().any(|u| u.code == code) {
            UnitOrigin::Changed
        } else {
            UnitOrigin::File
        }
    }

    /// This overlay with a new town or community. Refused when the code is taken, by a file's
    /// unit or an added one; the result is checked against `files` as a whole.
    pub fn adding(
        &self,
        files: &Jurisdictions,
        entry: &UnitEntry,
    ) -> Result<(Self, Jurisdictions), JurisdictionError> {
        let entry = entry.tidy();
        let mut next = self.clone();
        if files.get(&entry.code).is_some() || next.added.iter().any(|u| u.code == entry.code) {
            let tree = files.with_overlay(self)?;
            return Err(JurisdictionError::DuplicateCode {
                first_source: tree.source_of_unit(&entry.code).to_owned(),
                code: entry.code,
                second_source: CONSOLE_SOURCE.to_owned(),
            });
        }
        next.added.push(entry);
        next.checked(files)
    }

    /// This overlay with new names and aliases for an existing unit (a file's, or one added
    /// here). Bringing a file's unit back to the file's names drops the change.
    pub fn changing(
        &self,
        files: &Jurisdictions,
        entry: &UnitEntry,
    ) -> Result<(Self, Jurisdictions), JurisdictionError> {
        let entry = entry.tidy();
        let mut next = self.clone();
        if let Some(file_unit) = files.get(&entry.code) {
            next.changed.retain(|u| u.code != entry.code);
            if entry != UnitEntry::of(file_unit).tidy() {
                next.changed.push(entry);
            }
        } else if let Some(added) = next.added.iter_mut().find(|u| u.code == entry.code) {
            *added = entry;
        } else {
            return Err(JurisdictionError::UnknownUnit { code: entry.code });
        }
        next.checked(files)
    }

    /// This overlay in code order (so a stored overlay compares equal however it was built),
    /// with the tree it makes of `files` — or why it makes none.
    fn checked(
        mut self,
        files: &Jurisdictions,
    ) -> Result<(Self, Jurisdictions), JurisdictionError> {
        self.added.sort_by(|a, b| a.code.cmp(&b.code));
        self.changed.sort_by(|a, b| a.code.cmp(&b.code));
        let tree = files.with_overlay(&self)?;
        Ok((self, tree))
    }

    /// This overlay without the console's entry for `code`: an added unit withdrawn (refused
    /// while it has units below it), or a file's unit back to the file's names.
    pub fn without(
        &self,
        files: &Jurisdictions,
        code: &str,
    ) -> Result<(Self, Jurisdictions), JurisdictionError> {
        let mut next = self.clone();
        if next.added.iter().any(|u| u.code == code)
            && let Some(child) = next
                .added
                .iter()
                .find(|u| u.code != code && u.code.starts_with(code))
        {
            return Err(JurisdictionError::HasUnitsBelow {
                code: code.to_owned(),
                below: child.code.clone(),
            });
        }
        next.added.retain(|u| u.code != code);
        next.changed.retain(|u| u.code != code);
        next.checked(files)
    }
}

impl Jurisdictions {
    /// The tree with `overlay` applied: every added unit checked as a file's would be (code
    /// under an existing parent, names filled in, no two siblings with one name), every change
    /// naming a unit that exists.
    pub fn with_overlay(&self, overlay: &JurisdictionOverlay) -> Result<Self, JurisdictionError> {
        let mut tree = self.clone();
        for entry in &overlay.changed {
            let entry = entry.tidy();
            let Some(mut unit) = tree.units.remove(&entry.code) else {
                return Err(JurisdictionError::UnknownUnit { code: entry.code });
            };
            unit.name = entry.name;
            unit.name_en = entry.name_en;
            unit.aliases = entry.aliases;
            tree.insert(CONSOLE_SOURCE, unit)?;
        }
        // Parents before children: a town added with its communities in one overlay.
        let mut added: Vec<UnitEntry> = overlay.added.iter().map(UnitEntry::tidy).collect();
        added.sort_by(|a, b| a.code.len().cmp(&b.code.len()).then(a.code.cmp(&b.code)));
        for entry in added {
            if tree.units.contains_key(&entry.code) {
                return Err(JurisdictionError::DuplicateCode {
                    first_source: self.source_of_unit(&entry.code).to_owned(),
                    code: entry.code,
                    second_source: CONSOLE_SOURCE.to_owned(),
                });
            }
            let Some(level) = addable_level(&entry.code) else {
                return Err(JurisdictionError::NotAddable { code: entry.code });
            };
            let parent = entry.code[..entry.code.len() - 3].to_owned();
            if !tree.units.contains_key(&parent) {
                return Err(JurisdictionError::UnknownParent {
                    code: entry.code,
                    parent,
                });
            }
            let mut unit = new_unit(
                entry.code,
                [entry.name, entry.name_en],
                entry.aliases,
                level,
            );
            unit.parent = Some(parent);
            tree.insert(CONSOLE_SOURCE, unit)?;
        }
        Ok(tree)
    }

    fn source_of_unit(&self, code: &str) -> &str {
        match self.source_of(code) {
            "" => CONSOLE_SOURCE,
            source => source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Describe, Lang};

    fn files() -> Jurisdictions {
        super::super::load_presets().unwrap()
    }

    fn entry(code: &str, name: &str, name_en: &str, aliases: &[&str]) -> UnitEntry {
        UnitEntry {
            code: code.into(),
            name: name.into(),
            name_en: name_en.into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    #[test]
    fn an_added_community_is_in_the_tree_and_found_by_name() {
        let files = files();
        let new = entry(
            "440115001003",
            " 滨海社区 ",
            "Binhai Community",
            &["滨海", ""],
        );
        let (overlay, tree) = JurisdictionOverlay::default().adding(&files, &new).unwrap();
        assert_eq!(overlay.origin_of("440115001003"), UnitOrigin::Added);
        let unit = tree.get("440115001003").unwrap();
        assert_eq!(unit.name, "滨海社区");
        assert_eq!(unit.level, Level::Community);
        assert_eq!(unit.parent.as_deref(), Some("440115001"));
        assert_eq!(unit.aliases, ["滨海"]);
        assert!(tree.is_within("440115001003", "440115"));
        assert_eq!(
            tree.full_name("440115001003").unwrap(),
            "广州市南沙区南沙街道滨海社区"
        );
        assert_eq!(
            tree.find_by_name("滨海社区", None).unwrap().code,
            "440115001003"
        );
        // The files' tree is untouched.
        assert!(files.get("440115001003").is_none());
        assert_eq!(tree.len(), files.len() + 1);
    }

    #[test]
    fn a_town_and_its_community_added_in_either_order() {
        let files = files();
        let overlay = JurisdictionOverlay {
            added: vec![
                entry("440115106001", "新港社区", "Xingang Community", &[]),
                entry("440115106", "新港镇", "Xingang Town", &[]),
            ],
            changed: vec![],
        };
        let tree = files.with_overlay(&overlay).unwrap();
        assert_eq!(tree.children("440115106").len(), 1);
        assert_eq!(tree.get("440115106").unwrap().level, Level::Town);
    }

    #[test]
    fn bad_additions_are_refused_with_the_reason() {
        let files = files();
        let none = JurisdictionOverlay::default();
        let refused = |e: UnitEntry| none.adding(&files, &e).unwrap_err();
        assert!(matches!(
            refused(entry("440115102", "新港镇", "Xingang", &[])),
            JurisdictionError::DuplicateCode { first_source, .. } if first_source == "440115-nansha.toml"
        ));
        assert!(matches!(
            none.changing(&files, &entry("440115106", "新港镇", "Xingang", &[]))
                .unwrap_err(),
            JurisdictionError::UnknownUnit { .. }
        ));
        assert!(matches!(
            refused(entry("440115999001", "无主社区", "Orphan", &[])),
            JurisdictionError::UnknownParent { parent, .. } if parent == "440115999"
        ));
        assert!(matches!(
            refused(entry("440116", "新区", "New District", &[])),
            JurisdictionError::NotAddable { .. }
        ));
        assert!(matches!(
            refused(entry("南沙街道一二三", "x", "x", &[])),
            JurisdictionError::NotAddable { .. }
        ));
        assert!(matches!(
            refused(entry("440115001000", "零社区", "Zero", &[])),
            JurisdictionError::MalformedCode { .. }
        ));
        assert!(matches!(
            refused(entry("440115001003", "金沙社区", "Jinsha 2", &[])),
            JurisdictionError::DuplicateName { .. }
        ));
        let missing = refused(entry("440115001003", "滨海社区", " ", &[]));
        assert!(matches!(missing, JurisdictionError::MissingName { .. }));
        assert!(missing.describe(Lang::Zh).contains("440115001003"));
    }

    #[test]
    fn a_rename_changes_names_and_back_to_the_file_drops_the_change() {
        let files = files();
        let renamed = entry(
            "440115001",
            "南沙街道",
            "Nansha Subdistrict",
            &["南沙街", "南街"],
        );
        let (overlay, tree) = JurisdictionOverlay::default()
            .changing(&files, &renamed)
            .unwrap();
        assert_eq!(overlay.origin_of("440115001"), UnitOrigin::Changed);
        assert_eq!(tree.find_by_name("南街", None).unwrap().code, "440115001");
        let file_unit = UnitEntry::of(files.get("440115001").unwrap());
        let (overlay, tree) = overlay.changing(&files, &file_unit).unwrap();
        assert!(overlay.is_empty());
        assert_eq!(tree, files);
        // A rename may not take a sibling's name.
        let clash = entry("440115002", "南沙街道", "Zhujiang", &[]);
        assert!(matches!(
            overlay.changing(&files, &clash).unwrap_err(),
            JurisdictionError::DuplicateName { .. }
        ));
    }

    #[test]
    fn withdrawing_an_added_unit_waits_for_the_units_below_it() {
        let files = files();
        let (overlay, _) = JurisdictionOverlay::default()
            .adding(&files, &entry("440115106", "新港镇", "Xingang", &[]))
            .unwrap();
        let (overlay, _) = overlay
            .adding(&files, &entry("440115106001", "新港社区", "Xingang C", &[]))
            .unwrap();
        assert!(matches!(
            overlay.without(&files, "440115106").unwrap_err(),
            JurisdictionError::HasUnitsBelow { below, .. } if below == "440115106001"
        ));
        let (overlay, _) = overlay.without(&files, "440115106001").unwrap();
        let (overlay, tree) = overlay.without(&files, "440115106").unwrap();
        assert!(overlay.is_empty());
        assert_eq!(tree, files);
    }

    #[test]
    fn a_change_of_a_unit_the_files_lost_is_refused() {
        let overlay = JurisdictionOverlay {
            added: vec![],
            changed: vec![entry("440115777", "旧镇", "Old", &[])],
        };
        assert!(matches!(
            files().with_overlay(&overlay).unwrap_err(),
            JurisdictionError::UnknownUnit { .. }
        ));
    }

    #[test]
    fn the_overlay_round_trips_as_json() {
        let overlay = JurisdictionOverlay {
            added: vec![entry("440115001003", "滨海社区", "Binhai", &["滨海"])],
            changed: vec![],
        };
        let text = serde_json::to_string(&overlay).unwrap();
        assert_eq!(
            serde_json::from_str::<JurisdictionOverlay>(&text).unwrap(),
            overlay
        );
        assert!(serde_json::from_str::<JurisdictionOverlay>(r#"{"add":[]}"#).is_err());
    }
}
