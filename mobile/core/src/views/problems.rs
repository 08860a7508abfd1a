//! Records whose sync went wrong, as the screens show them (see `replica::SyncProblem`): a record
//! whose received data could not be applied here is labelled 无法读取，已报告 once the server has
//! its report (无法读取，待报告 until then); one whose changes the server refused carries the
//! server's reason, since those changes stay unsent.

use std::collections::BTreeMap;

use outpost_shared::i18n::Lang;
use outpost_shared::record::RecordId;
use outpost_shared::replica::{ProblemKind, SyncProblem};
use serde::Serialize;

use crate::{AppCore, AppError};

/// One record's sync problem on screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProblemView {
    /// `unreadable` or `refused`.
    pub kind: &'static str,
    /// What the worker reads, in the user's language.
    pub label: String,
    /// Unreadable records: the server has the device's report.
    pub reported: bool,
}

impl SyncProblemView {
    pub(crate) fn of(problem: &SyncProblem, lang: Lang) -> Self {
        let reported = problem.reported_ms.is_some();
        let (kind, label) = match problem.kind {
            ProblemKind::Unreadable => (
                "unreadable",
                match (lang, reported) {
                    (Lang::Zh, true) => "无法读取，已报告".to_owned(),
                    (Lang::Zh, false) => "无法读取，待报告".to_owned(),
                    (Lang::En, true) => "Cannot be read; reported".to_owned(),
                    (Lang::En, false) => "Cannot be read; to be reported".to_owned(),
                },
            ),
            ProblemKind::Refused => (
                "refused",
                match lang {
                    Lang::Zh => format!(
                        "服务器拒收：{}",
                        problem.detail_zh.as_deref().unwrap_or("改动未被接受")
                    ),
                    Lang::En => format!("Refused by the server: {}", problem.detail),
                },
            ),
        };
        Self {
            kind,
            label,
            reported,
        }
    }
}

impl AppCore {
    /// Every record's sync problem, by record id (unreadable before refused).
    pub(crate) fn sync_problem_views(&self) -> Result<BTreeMap<String, SyncProblemView>, AppError> {
        let lang = self.lang();
        let problems = self
            .session()?
            .replica
            .sync_problems()
            .map_err(|e| AppError::replica(lang, e))?;
        let mut views = BTreeMap::new();
        for problem in &problems {
            views
                .entry(problem.record.clone())
                .or_insert_with(|| SyncProblemView::of(problem, lang));
        }
        Ok(views)
    }

    /// One record's sync problem, if it has one.
    pub(crate) fn sync_problem_view(
        &self,
        id: &RecordId,
    ) -> Result<Option<SyncProblemView>, AppError> {
        let lang = self.lang();
        Ok(self
            .session()?
            .replica
            .sync_problem(id)
            .map_err(|e| AppError::replica(lang, e))?
            .map(|p| SyncProblemView::of(&p, lang)))
    }
}
