//! The outcome tree (结果选项): the nested choices a worker records as an answer, such as W1's
//! 本区 → 集中隔离 → 珠江嘉园, and the check that an answer is complete before it is stored.
//! Answers are checked on the device, offline, so the worker learns at once what is missing.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

use super::Action;
use super::error::{Need, ProgramError, ProgramErrorKind, Source};
use super::parse::RawLabel;
use crate::i18n::{Describe, Label, Lang};

/// Whether an outcome takes a free-text note (备注要求).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteRule {
    /// The note must be filled in (e.g. the address for 外省).
    Required,
    /// The note may be filled in; the default, since a remark never hurts.
    #[default]
    Optional,
    /// No note is shown or accepted (TOML `"none"`).
    #[serde(rename = "none")]
    Absent,
}

/// One choice in the outcome tree (结果选项节点).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeNode {
    /// Stable code stored in records; labels may change, codes may not.
    pub code: String,
    pub label: Label,
    pub note: NoteRule,
    /// What the note should contain, e.g. 备注填写地址（含省+市+区）.
    pub note_hint: Option<Label>,
    /// The answer must also be reported to CDC (W2 情景四至七, 须向区疾控反馈).
    pub report_to_cdc: bool,
    /// The answer forwards the task to another unit, which the worker must name (W2 情景三).
    pub forward: bool,
    /// The next level; empty for a leaf.
    pub children: Vec<OutcomeNode>,
}

impl OutcomeNode {
    /// Whether an answer may stop here.
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    fn level(&self) -> AnswerLevel {
        AnswerLevel {
            code: self.code.clone(),
            label: self.label.clone(),
        }
    }
}

/// The whole outcome tree of a program (结果选项树). Never empty, and sibling codes are unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeTree {
    roots: Vec<OutcomeNode>,
}

impl OutcomeTree {
    /// The first level.
    pub fn roots(&self) -> &[OutcomeNode] {
        &self.roots
    }

    /// The node a path of codes leads to.
    pub fn node(&self, path: &[&str]) -> Option<&OutcomeNode> {
        let (first, rest) = path.split_first()?;
        let mut node = self.roots.iter().find(|n| n.code == *first)?;
        for code in rest {
            node = node.children.iter().find(|n| n.code == *code)?;
        }
        Some(node)
    }

    /// The number of levels of the deepest branch.
    pub fn depth(&self) -> usize {
        fn depth_of(nodes: &[OutcomeNode]) -> usize {
            nodes
                .iter()
                .map(|node| 1 + depth_of(&node.children))
                .max()
                .unwrap_or(0)
        }
        depth_of(&self.roots)
    }

    /// Checks an answer: `path` must lead from a first-level code down to a leaf, and the note
    /// must be non-blank wherever a node on the path requires one. The note is trimmed; a blank
    /// note counts as none.
    pub fn validate_answer(
        &self,
        path: &[&str],
        note: Option<&str>,
    ) -> Result<ValidatedAnswer, AnswerError> {
        let mut siblings = self.roots.as_slice();
        let mut chosen: Vec<&OutcomeNode> = Vec::with_capacity(path.len());
        for (index, code) in path.iter().enumerate() {
            let level = index + 1;
            if let Some(leaf) = chosen.last().filter(|node| node.is_leaf()) {
                return Err(AnswerError::BeyondLeaf {
                    level,
                    code: (*code).to_owned(),
                    leaf: leaf.level(),
                });
            }
            let node = siblings.iter().find(|n| n.code == *code).ok_or_else(|| {
                AnswerError::UnknownCode {
                    level,
                    code: (*code).to_owned(),
                    parent: chosen.last().map(|node| node.level()),
                }
            })?;
            chosen.push(node);
            siblings = &node.children;
        }
        let Some(last) = chosen.last() else {
            return Err(AnswerError::Empty);
        };
        if !last.is_leaf() {
            return Err(AnswerError::Incomplete {
                level: chosen.len() + 1,
                parent: last.level(),
                options: last.children.iter().map(OutcomeNode::level).collect(),
            });
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let requiring = chosen.iter().rev().find(|n| n.note == NoteRule::Required);
        match (requiring, note) {
            (Some(node), None) => {
                let hint = node
                    .note_hint
                    .clone()
                    .or_else(|| chosen.iter().rev().find_map(|n| n.note_hint.clone()));
                return Err(AnswerError::NoteRequired {
                    node: node.level(),
                    hint,
                });
            }
            (None, Some(_)) if last.note == NoteRule::Absent => {
                return Err(AnswerError::NoteNotAllowed { node: last.level() });
            }
            _ => {}
        }
        Ok(ValidatedAnswer {
            levels: chosen.iter().map(|node| node.level()).collect(),
            note: note.map(str::to_owned),
            report_to_cdc: chosen.iter().any(|n| n.report_to_cdc),
            forward: chosen.iter().any(|n| n.forward),
        })
    }
}

/// One level of an answer: its code and labels (结果层级).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerLevel {
    pub code: String,
    pub label: Label,
}

/// An answer that passed [`OutcomeTree::validate_answer`] (已校验的反馈).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidatedAnswer {
    /// From the first level down to the leaf.
    pub levels: Vec<AnswerLevel>,
    /// The trimmed note, if any.
    pub note: Option<String>,
    /// Some node on the path must be reported to CDC.
    pub report_to_cdc: bool,
    /// Some node on the path forwards the task; the caller must name the target unit.
    pub forward: bool,
}

impl ValidatedAnswer {
    /// The codes of the path, first level first.
    pub fn codes(&self) -> Vec<&str> {
        self.levels
            .iter()
            .map(|level| level.code.as_str())
            .collect()
    }

    /// The leaf chosen.
    pub fn leaf(&self) -> Option<&AnswerLevel> {
        self.levels.last()
    }

    /// The path as people read it, e.g. "本区 / 集中隔离 / 珠江嘉园".
    pub fn path_label(&self, lang: Lang) -> String {
        join_labels(&self.levels, lang, " / ")
    }
}

fn join_labels(levels: &[AnswerLevel], lang: Lang, separator: &str) -> String {
    levels
        .iter()
        .map(|level| level.label.get(lang))
        .collect::<Vec<_>>()
        .join(separator)
}

/// Why an answer was refused (反馈校验错误). Levels count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    #[error("no outcome chosen")]
    Empty,
    #[error("unknown outcome `{code}` at level {level}")]
    UnknownCode {
        level: usize,
        code: String,
        parent: Option<AnswerLevel>,
    },
    #[error("`{}` has no further levels, but level {level} was given (`{code}`)", leaf.label.en)]
    BeyondLeaf {
        level: usize,
        code: String,
        leaf: AnswerLevel,
    },
    #[error("level {level} under `{}` is missing: choose one of {}", parent.label.en, join_labels(options, Lang::En, ", "))]
    Incomplete {
        level: usize,
        parent: AnswerLevel,
        options: Vec<AnswerLevel>,
    },
    #[error("`{}` needs a note{}", node.label.en, hint.as_ref().map(|h| format!(": {}", h.en)).unwrap_or_default())]
    NoteRequired {
        node: AnswerLevel,
        hint: Option<Label>,
    },
    #[error("`{}` takes no note", node.label.en)]
    NoteNotAllowed { node: AnswerLevel },
}

impl Describe for AnswerError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::Empty => "未选择结果".into(),
            Self::UnknownCode {
                level,
                code,
                parent: Some(parent),
            } => format!("「{}」下没有第 {level} 级选项 `{code}`", parent.label.zh),
            Self::UnknownCode { level, code, .. } => format!("第 {level} 级没有选项 `{code}`"),
            Self::BeyondLeaf { level, code, leaf } => {
                format!(
                    "「{}」已是最后一级，不能再选第 {level} 级 `{code}`",
                    leaf.label.zh
                )
            }
            Self::Incomplete {
                level,
                parent,
                options,
            } => format!(
                "「{}」下还需选择第 {level} 级：{}",
                parent.label.zh,
                join_labels(options, Lang::Zh, "、")
            ),
            Self::NoteRequired { node, hint } => match hint {
                Some(hint) => format!("「{}」需要填写备注：{}", node.label.zh, hint.zh),
                None => format!("「{}」需要填写备注", node.label.zh),
            },
            Self::NoteNotAllowed { node } => format!("「{}」不填写备注", node.label.zh),
        }
    }
}

/// An outcome as written in TOML, before checking.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutcome {
    code: Spanned<String>,
    label: RawLabel,
    #[serde(default)]
    note: NoteRule,
    #[serde(default)]
    note_hint: Option<RawLabel>,
    #[serde(default)]
    report_to_cdc: bool,
    #[serde(default)]
    forward: Option<Spanned<bool>>,
    #[serde(default)]
    children: Vec<RawOutcome>,
}

/// Checks and builds the tree: not empty, codes well-formed and unique among siblings, and a
/// forwarding outcome only where the program allows forwarding.
pub(super) fn build_tree(
    src: &Source<'_>,
    raw: Option<Spanned<Vec<RawOutcome>>>,
    actions: &[Action],
) -> Result<OutcomeTree, ProgramError> {
    let Some(raw) = raw else {
        return Err(src.error_at(super::Position::START, ProgramErrorKind::EmptyOutcomeTree));
    };
    let span = raw.span();
    let roots = raw.into_inner();
    if roots.is_empty() {
        return Err(src.error(span, ProgramErrorKind::EmptyOutcomeTree));
    }
    Ok(OutcomeTree {
        roots: build_level(src, roots, None, actions)?,
    })
}

fn build_level(
    src: &Source<'_>,
    raws: Vec<RawOutcome>,
    parent: Option<&str>,
    actions: &[Action],
) -> Result<Vec<OutcomeNode>, ProgramError> {
    let mut nodes: Vec<OutcomeNode> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.code)?;
        if nodes.iter().any(|node| node.code == *raw.code.get_ref()) {
            return Err(src.error(
                raw.code.span(),
                ProgramErrorKind::DuplicateOutcomeCode {
                    code: raw.code.get_ref().clone(),
                    parent: parent.map(str::to_owned),
                },
            ));
        }
        let forward = match raw.forward {
            Some(flag) if *flag.get_ref() => {
                if !actions.contains(&Action::Forward) {
                    return Err(src.error(
                        flag.span(),
                        ProgramErrorKind::MissingAction {
                            action: Action::Forward,
                            needed_by: Need::ForwardOutcome(raw.code.get_ref().clone()),
                        },
                    ));
                }
                true
            }
            _ => false,
        };
        let code = raw.code.into_inner();
        let children = build_level(src, raw.children, Some(&code), actions)?;
        nodes.push(OutcomeNode {
            code,
            label: raw.label.into(),
            note: raw.note,
            note_hint: raw.note_hint.map(Label::from),
            report_to_cdc: raw.report_to_cdc,
            forward,
            children,
        });
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(code: &str, note: NoteRule, children: Vec<OutcomeNode>) -> OutcomeNode {
        OutcomeNode {
            code: code.into(),
            label: Label {
                zh: format!("{code}中"),
                en: code.into(),
            },
            note,
            note_hint: None,
            report_to_cdc: false,
            forward: false,
            children,
        }
    }

    fn tree() -> OutcomeTree {
        let mut quiet = node("quiet", NoteRule::Absent, vec![]);
        quiet.report_to_cdc = true;
        let mut parent = node(
            "parent",
            NoteRule::Required,
            vec![quiet, node("leaf", NoteRule::Optional, vec![])],
        );
        parent.note_hint = Some(Label {
            zh: "写原因".into(),
            en: "give the reason".into(),
        });
        OutcomeTree {
            roots: vec![parent, node("plain", NoteRule::Absent, vec![])],
        }
    }

    #[test]
    fn a_required_note_on_an_ancestor_applies_to_its_leaves_with_the_ancestors_hint() {
        let error = tree()
            .validate_answer(&["parent", "quiet"], Some("  "))
            .expect_err("note required");
        assert_eq!(error.to_string(), "`parent` needs a note: give the reason");
        assert_eq!(error.describe(Lang::Zh), "「parent中」需要填写备注：写原因");
        let answer = tree()
            .validate_answer(&["parent", "quiet"], Some(" why "))
            .expect("valid");
        assert_eq!(answer.note.as_deref(), Some("why"));
        assert!(answer.report_to_cdc);
    }

    #[test]
    fn a_note_on_an_outcome_without_notes_is_refused_but_a_blank_one_is_ignored() {
        let error = tree()
            .validate_answer(&["plain"], Some("x"))
            .expect_err("no note");
        assert!(matches!(error, AnswerError::NoteNotAllowed { .. }));
        assert_eq!(error.describe(Lang::Zh), "「plain中」不填写备注");
        let answer = tree()
            .validate_answer(&["plain"], Some(" "))
            .expect("blank");
        assert_eq!(answer.note, None);
    }

    #[test]
    fn going_past_a_leaf_names_the_leaf() {
        let error = tree()
            .validate_answer(&["plain", "more"], None)
            .expect_err("beyond");
        assert_eq!(
            error.to_string(),
            "`plain` has no further levels, but level 2 was given (`more`)"
        );
    }

    #[test]
    fn tree_depth_and_node_lookup_follow_codes() {
        let tree = tree();
        assert_eq!(tree.depth(), 2);
        assert_eq!(
            tree.node(&["parent", "leaf"]).map(|n| n.code.as_str()),
            Some("leaf")
        );
        assert!(tree.node(&["parent", "nope"]).is_none());
        assert!(tree.node(&[]).is_none());
    }
}
