//! The supervisor console's figures (指挥部控制台), pure: what the results list, the wall screen
//! (大屏) and a task's flow show, built from folded records and field values that the caller
//! reads — the sync server from its ledger, the desktop app from its local replica of the
//! user's jurisdiction. Both answer the same JSON shapes, so one front-end (`ui/src/console`)
//! serves both, and both compute them here, once.
//!
//! - [`people`]: results per person (filters, masking, paging, the export table)
//! - [`board`]: counts and completion per town, completion over time, the alert feed, tasks,
//!   sync health rows
//! - [`flow`]: a person's and a task's steps (dispatched → claimed → answers → alerts)
//!
//! Everything here takes a [`Viewer`]: the caller's unit subtree bounds what they see.

pub mod board;
pub mod flow;
pub mod people;

use serde::{Deserialize, Serialize};

use crate::i18n::{Label, Lang};
use crate::jurisdiction::{Jurisdictions, Level};
use crate::program::{OutcomeNode, Program, core_status};
use crate::record::TaskStatus;

/// Roles that see full personal data on a person's detail page; the others see it masked.
const ROLES_WITH_FULL_DATA: &[&str] = &["admin", "leader", "worker", "cdc"];

/// The roles a user may have: code, Chinese and English names.
pub const ROLES: &[(&str, &str, &str)] = &[
    ("worker", "工作人员", "Field worker"),
    ("leader", "负责人", "Leader"),
    ("dispatcher", "转运调度", "Transfer dispatcher"),
    ("escort", "社区护送人员", "Community escort"),
    ("hotel", "隔离酒店", "Quarantine hotel desk"),
    ("cdc", "疾控", "CDC"),
    ("admin", "管理员", "Administrator"),
];

/// A role's name in `lang`, or its code for a role this build does not know.
pub fn role_name(role: &str, lang: Lang) -> &str {
    ROLES
        .iter()
        .find(|(code, _, _)| *code == role)
        .map_or(role, |(_, zh, en)| match lang {
            Lang::Zh => zh,
            Lang::En => en,
        })
}

/// The caller of a console request and what they may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    /// The unit whose subtree the caller sees; empty for the district administrator (all).
    pub unit: String,
    /// Signed in with the admin token: may import lists and download failure workbooks.
    pub administrator: bool,
}

impl Viewer {
    /// Whether a unit code lies in the caller's subtree (codes are prefixes of those below).
    pub fn sees(&self, unit: &str) -> bool {
        unit.starts_with(&self.unit)
    }

    /// Whether the caller's role may see unmasked personal data on a detail request.
    pub fn sees_personal_data(&self) -> bool {
        ROLES_WITH_FULL_DATA.contains(&self.role.as_str())
    }
}

/// A label in both languages, so the console switches language without asking again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn of(label: &Label) -> Self {
        Self {
            zh: label.zh.clone(),
            en: label.en.clone(),
        }
    }

    pub fn new(zh: &str, en: &str) -> Self {
        Self {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    pub fn same(text: &str) -> Self {
        Self::new(text, text)
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The name of a unit, or its code when the tree does not know it.
pub fn unit_text(jurisdictions: &Jurisdictions, code: &str) -> Text {
    match jurisdictions.get(code) {
        Some(unit) => Text {
            zh: unit.name.clone(),
            en: unit.name_en.clone(),
        },
        None => Text::same(code),
    }
}

/// A task status in the program's own words (W2 says 待核实 where W1 says 待认领).
pub fn status_text(program: &Program, status: TaskStatus) -> Text {
    workflow_status_text(program, status.core_status())
}

/// A workflow status (`RecordState::status_code`) as the program labels it; a core status the
/// program does not label reads as the core's own words, an unknown code as itself.
pub fn workflow_status_text(program: &Program, code: &str) -> Text {
    Text::of(&program.status_words(code))
}

/// `2026-11-23 09:00:00` in Beijing time, as the console and exports show times.
pub fn shanghai_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(crate::program::shanghai())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A status as the console's filters offer it: the three task statuses, then the program's
/// declared ones.
#[derive(Debug, Clone, Serialize)]
pub struct StatusInfo {
    pub code: String,
    pub label: Text,
    /// grey, blue, green, yellow, orange, red.
    pub colour: &'static str,
}

/// A program as the console's filters and forms need it.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramInfo {
    pub id: String,
    pub name: Label,
    pub outcomes: Vec<OutcomeNode>,
    pub statuses: Vec<StatusInfo>,
}

impl ProgramInfo {
    pub fn of(program: &Program) -> Self {
        Self {
            id: program.id().to_owned(),
            name: program.name().clone(),
            outcomes: program.outcomes().roots().to_vec(),
            statuses: [
                TaskStatus::Unclaimed,
                TaskStatus::Claimed,
                TaskStatus::Answered,
            ]
            .into_iter()
            .map(|s| StatusInfo {
                code: s.code().to_owned(),
                label: status_text(program, s),
                colour: program
                    .status(s.core_status())
                    .map_or("grey", |def| def.colour.code()),
            })
            .chain(
                program
                    .statuses()
                    .iter()
                    .filter(|def| !core_status::is_core(&def.code))
                    // Statuses a core action reaches but nothing records yet (W2's
                    // 已发放物资…) would filter to nothing: only what a step reaches is offered.
                    .filter(|def| program.transitions().iter().any(|t| t.to == def.code))
                    .map(|def| StatusInfo {
                        code: def.code.clone(),
                        label: Text::of(&def.label),
                        colour: def.colour.code(),
                    }),
            )
            .collect(),
        }
    }
}

/// A unit to choose (a town filter, a new user's unit).
#[derive(Debug, Clone, Serialize)]
pub struct UnitChoice {
    pub code: String,
    pub name: Text,
}

/// The units at `levels` in the viewer's scope and in the area of one of the deployment's
/// `programs` (服务范围: the files may hold other cities' units), in tree order level by level.
pub fn units_in_scope(
    jurisdictions: &Jurisdictions,
    viewer: &Viewer,
    programs: &[Program],
    levels: &[Level],
) -> Vec<UnitChoice> {
    let served = |code: &str| programs.iter().any(|p| p.serves(jurisdictions, code));
    levels
        .iter()
        .flat_map(|level| jurisdictions.units_at(*level))
        .filter(|u| viewer.sees(&u.code) && (programs.is_empty() || served(&u.code)))
        .map(|u| UnitChoice {
            code: u.code.clone(),
            name: unit_text(jurisdictions, &u.code),
        })
        .collect()
}

/// A role as the user form offers it.
#[derive(Debug, Clone, Serialize)]
pub struct RoleChoice {
    pub code: &'static str,
    pub name: Text,
}

/// Every role, named in both languages.
pub fn role_choices() -> Vec<RoleChoice> {
    ROLES
        .iter()
        .map(|(code, zh, en)| RoleChoice {
            code,
            name: Text::new(zh, en),
        })
        .collect()
}

/// What `GET /console/api/me` answers (and the desktop app's console alike).
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub viewer: Viewer,
    pub unit_name: Text,
    pub programs: Vec<ProgramInfo>,
    pub towns: Vec<UnitChoice>,
    /// Districts and towns in scope (for a new user's unit).
    pub units: Vec<UnitChoice>,
    pub roles: Vec<RoleChoice>,
    pub now_ms: i64,
    /// Where the figures come from: `server` (the central ledger) or `replica` (this
    /// device's copy, as of its last sync plus what was done on it since).
    pub source: &'static str,
    /// In the desktop app: the sync server, whose web console (`<server>/console/`) has what the
    /// offline console leaves out (imports and administration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
}

impl Me {
    pub fn of(
        viewer: Viewer,
        programs: &[Program],
        jurisdictions: &Jurisdictions,
        now_ms: i64,
        source: &'static str,
    ) -> Self {
        Self {
            unit_name: unit_text(jurisdictions, &viewer.unit),
            programs: programs.iter().map(ProgramInfo::of).collect(),
            towns: units_in_scope(jurisdictions, &viewer, programs, &[Level::Town]),
            units: units_in_scope(
                jurisdictions,
                &viewer,
                programs,
                &[Level::District, Level::Town],
            ),
            roles: role_choices(),
            now_ms,
            source,
            server_url: None,
            viewer,
        }
    }
}

#[cfg(test)]
mod tests;
