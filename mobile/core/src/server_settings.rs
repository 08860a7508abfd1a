//! What a sync brings besides records (`SyncReport::programs`, `::deadlines`,
//! `::jurisdictions`, `::names`): the server's program files, and the deadline settings and
//! jurisdiction changes an administrator made in the console, kept in the device file and
//! applied over the programs and the tree compiled into the app, so that a program added on the
//! server, offline countdowns, reminders, unit pickers and names follow the server; and the
//! display names of the users the device meets (`crate::names`).
//!
//! The programs in force are built in layers: the shipped presets; the server's program set over
//! them, by id (a preset the server also defines is the server's); the deadline settings over
//! those.

use std::collections::BTreeMap;

use outpost_shared::jurisdiction::{JurisdictionOverlay, Jurisdictions};
use outpost_shared::program::{DeadlineSettings, Program};
use outpost_shared::sync::client::SyncReport;
use outpost_shared::sync::message::{ProgramSet, UserNames};

use crate::{AppCore, AppError};

/// The programs as their files define them: the server's `set` over the `presets`, by id —
/// presets in their order, each replaced by the server's program of its id, then the set's
/// other programs. A set this build cannot parse leaves the presets, and says so in the log.
pub(crate) fn defined(presets: &[Program], set: Option<&ProgramSet>) -> Vec<Program> {
    let Some(set) = set else {
        return presets.to_vec();
    };
    match set.parse() {
        Ok(received) => over_presets(presets, received),
        Err(error) => {
            tracing::warn!(%error, version = %set.version, "the stored program set cannot be used; the shipped programs kept");
            presets.to_vec()
        }
    }
}

fn over_presets(presets: &[Program], mut received: Vec<Program>) -> Vec<Program> {
    let mut programs: Vec<Program> = presets
        .iter()
        .map(
            |preset| match received.iter().position(|p| p.id() == preset.id()) {
                Some(at) => received.remove(at),
                None => preset.clone(),
            },
        )
        .collect();
    programs.extend(received);
    programs
}

/// The programs with `deadlines` applied; a program whose settings no longer fit its file (a
/// rule the server knows and the app does not) keeps the file's, and says so in the log.
pub(crate) fn with_deadlines(
    programs: &[Program],
    deadlines: Option<&BTreeMap<String, DeadlineSettings>>,
) -> Vec<Program> {
    programs
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
        self.programs = with_deadlines(&self.defined, Some(deadlines));
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

    /// Takes the program files a sync brought (`SyncReport::programs`): when they are not the
    /// set held, parses every one (`ProgramSet::parse`), keeps the set in the device file and
    /// uses its programs over the presets, by id, with the deadline settings held applied —
    /// so that a program added on the server is worked on here, offline too, with no app
    /// release. A set with one file this build cannot parse is not taken: the programs in
    /// force stay, and the log says why (file, line and reason; programs hold no personal
    /// data). Nothing from a server that does not send them. Returns whether anything changed.
    pub fn apply_programs(&mut self, set: Option<&ProgramSet>) -> Result<bool, AppError> {
        let lang = self.lang;
        let (Some(device), Some(set)) = (self.device.as_mut(), set) else {
            return Ok(false);
        };
        if device.programs.as_ref().is_some_and(|held| held == set) {
            return Ok(false);
        }
        let received = match set.parse() {
            Ok(received) => received,
            Err(error) => {
                tracing::warn!(%error, version = %set.version, "the server's program set cannot be used; the programs in force kept");
                return Ok(false);
            }
        };
        device.programs = Some(set.clone());
        device
            .save(&self.dir)
            .map_err(|e| AppError::internal(lang, e))?;
        self.defined = over_presets(&self.presets, received);
        self.programs = with_deadlines(&self.defined, Some(&device.deadlines));
        tracing::info!(
            files = set.files.len(),
            version = %set.version,
            "programs from the server applied"
        );
        Ok(true)
    }

    /// Takes the user names a sync brought (`SyncReport::names`): when they are not the set
    /// held, keeps them in the device file, so that views say who did what by name
    /// (`AppCore::display_name`), offline and after a restart too. A set past the bounds a
    /// device takes is not taken: the names held stay, and the log says why (ids and counts,
    /// never a name). Nothing from a server that does not send them. Returns whether anything
    /// changed.
    pub fn apply_names(&mut self, names: Option<&UserNames>) -> Result<bool, AppError> {
        let lang = self.lang;
        let (Some(device), Some(names)) = (self.device.as_mut(), names) else {
            return Ok(false);
        };
        if device.names.as_ref().is_some_and(|held| held == names) {
            return Ok(false);
        }
        if let Err(error) = names.check() {
            tracing::warn!(%error, "the server's user names cannot be used; the names held kept");
            return Ok(false);
        }
        device.names = Some(names.clone());
        device
            .save(&self.dir)
            .map_err(|e| AppError::internal(lang, e))?;
        tracing::info!(
            users = names.names.len(),
            "user names from the server applied"
        );
        Ok(true)
    }

    /// Everything a sync brought besides records: the program files, the deadline settings,
    /// the jurisdiction changes in force on the server and the user names. The programs first,
    /// so that the deadline settings apply to the server's.
    pub fn apply_server_settings(&mut self, report: &SyncReport) -> Result<bool, AppError> {
        let programs = self.apply_programs(report.programs.as_ref())?;
        let deadlines = self.apply_deadlines(&report.deadlines)?;
        let jurisdictions = self.apply_jurisdictions(report.jurisdictions.as_ref())?;
        let names = self.apply_names(report.names.as_ref())?;
        Ok(programs || deadlines || jurisdictions || names)
    }
}
