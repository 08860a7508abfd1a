//! What a sync brings besides records (`SyncReport::deadlines`, `::jurisdictions`): the deadline
//! settings and the jurisdiction changes an administrator made in the console, kept in the
//! device file and applied over the programs and the tree compiled into the app, so that offline
//! countdowns, reminders, unit pickers and names follow the server.

use std::collections::BTreeMap;

use outpost_shared::jurisdiction::{JurisdictionOverlay, Jurisdictions};
use outpost_shared::program::{DeadlineSettings, Program};
use outpost_shared::sync::client::SyncReport;

use crate::{AppCore, AppError};

/// The presets with `deadlines` applied; a program whose settings no longer fit this build's
/// file (a rule the server knows and the app does not) keeps the file's, and says so in the log.
pub(crate) fn with_deadlines(
    presets: &[Program],
    deadlines: Option<&BTreeMap<String, DeadlineSettings>>,
) -> Vec<Program> {
    presets
        .iter()
        .map(|program| match deadlines.and_then(|d| d.get(program.id())) {
            None => program.clone(),
            Some(settings) => program.with_deadline_settings(settings).unwrap_or_else(|error| {
                tracing::warn!(program = program.id(), %error, "the server's deadline settings do not fit; the file's kept");
                program.clone()
            }),
        })
        .collect()
}

/// The compiled-in tree with the server's overlay; an overlay this build's files cannot take
/// (a unit added below one this build does not have) leaves the files' tree, and says so.
pub(crate) fn with_overlay(
    files: &Jurisdictions,
    overlay: Option<&JurisdictionOverlay>,
) -> Jurisdictions {
    match overlay.filter(|o| !o.is_empty()) {
        None => files.clone(),
        Some(overlay) => files.with_overlay(overlay).unwrap_or_else(|error| {
            tracing::warn!(%error, "the server's jurisdiction changes do not fit; the files' tree kept");
            files.clone()
        }),
    }
}

impl AppCore {
    /// Takes the deadline settings a sync brought (`SyncReport::deadlines`): when they differ
    /// from those in force, keeps them in the device file and applies them, so that countdowns
    /// and reminders follow what an administrator changed in the console. Nothing from a server
    /// that does not send them. Returns whether anything changed.
    pub fn apply_deadlines(
        &mut self,
        deadlines: &BTreeMap<String, DeadlineSettings>,
    ) -> Result<bool, AppError> {
        let lang = self.lang;
        let Some(device) = self.device.as_mut() else {
            return Ok(false);
        };
        if deadlines.is_empty() || device.deadlines == *deadlines {
            return Ok(false);
        }
        device.deadlines = deadlines.clone();
        device
            .save(&self.dir)
            .map_err(|e| AppError::internal(lang, e))?;
        self.programs = with_deadlines(&self.presets, Some(deadlines));
        tracing::info!(
            programs = deadlines.len(),
            "deadline settings from the server applied"
        );
        Ok(true)
    }

    /// Takes the jurisdiction changes a sync brought (`SyncReport::jurisdictions`): when they
    /// differ from those in force, keeps them in the device file and applies them, so that a
    /// community added in the console can be chosen and is named here too. Nothing from a
    /// server that does not send them. Returns whether anything changed.
    pub fn apply_jurisdictions(
        &mut self,
        overlay: Option<&JurisdictionOverlay>,
    ) -> Result<bool, AppError> {
        let lang = self.lang;
        let (Some(device), Some(overlay)) = (self.device.as_mut(), overlay) else {
            return Ok(false);
        };
        if device.jurisdictions == *overlay {
            return Ok(false);
        }
        device.jurisdictions = overlay.clone();
        device
            .save(&self.dir)
            .map_err(|e| AppError::internal(lang, e))?;
        self.jurisdictions = with_overlay(&self.files_jurisdictions, Some(overlay));
        tracing::info!(
            added = overlay.added.len(),
            changed = overlay.changed.len(),
            "jurisdiction changes from the server applied"
        );
        Ok(true)
    }

    /// Everything a sync brought besides records: the deadline settings and the jurisdiction
    /// changes in force on the server.
    pub fn apply_server_settings(&mut self, report: &SyncReport) -> Result<bool, AppError> {
        let deadlines = self.apply_deadlines(&report.deadlines)?;
        let jurisdictions = self.apply_jurisdictions(report.jurisdictions.as_ref())?;
        Ok(deadlines || jurisdictions)
    }
}
