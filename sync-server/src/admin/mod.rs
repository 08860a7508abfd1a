//! Administration in the console (管理): the jurisdiction tree (区划维护), notification channels and routes,
//! and program deadline settings — for the district administrator only.
//!
//! ```text
//! GET    /console/api/admin/jurisdictions?search=   the tree with national codes and aliases
//! POST   /console/api/admin/jurisdictions           a town or community added
//! PUT    /console/api/admin/jurisdictions/{code}    a unit's names and aliases
//! DELETE /console/api/admin/jurisdictions/{code}    an added unit withdrawn, or back to the file
//! GET    /console/api/admin/notifications?unit=     channels and routes (file + console), the
//!                                                   recipients, and for `unit` who each
//!                                                   escalation step reaches on which channels
//! PUT    /console/api/admin/notifications           the console's channels and routes
//! GET    /console/api/admin/programs                every program's deadline rules, current
//!                                                   and as the program file has them
//! PUT    /console/api/admin/programs/{id}/deadlines  new durations, times and recipients
//! DELETE /console/api/admin/programs/{id}/deadlines  back to the program file
//! GET    /console/api/admin/lockouts            current lockouts of codes and tokens
//! DELETE /console/api/admin/lockouts/{id}       one lifted
//! ```
//!
//! Every endpoint takes a [`crate::console::auth::Caller`] (401 without a credential) and answers 403 unless the
//! viewer is the administrator. Changes are stored in the ledger database (`admin_settings`,
//! one JSON row per setting) and put in force at once: notification routes and channels through
//! [`crate::notify::Notifier::reconfigure`], deadlines through the engine's programs
//! ([`Settings::programs`], which the engine loop picks up before its next pass), the tree
//! through [`Settings::jurisdictions`] (every request and pass takes a snapshot). Instances
//! sharing a PostgreSQL database re-read the table every few seconds ([`Settings::refresh`]).
//! The config file's `[notify]` and the program files stay the defaults underneath: what the
//! console adds is on top of them, and a reset returns to them.

mod deadlines;
mod email_channel;
mod jurisdictions;
mod lockouts;
mod notifications;
mod quarantine;
pub mod storage;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::routing::{delete, get, put};
use outpost_shared::jurisdiction::{JurisdictionOverlay, Jurisdictions};
use outpost_shared::program::{DeadlineSettings, Program};
use tracing::warn;

use self::storage::{SettingsStorage, StorageError, StoredSetting};
use crate::console::Console;
use crate::notify::{Notifier, NotifyOverlay};
use crate::service::ApiError;
use outpost_shared::console::Viewer;

/// The key of the notification overlay.
pub const NOTIFY_KEY: &str = "notify";

/// The key of the console's changes to the jurisdiction tree.
pub const JURISDICTIONS_KEY: &str = "jurisdictions";

/// The key of a program's deadline settings.
pub fn deadlines_key(program: &str) -> String {
    format!("deadlines/{program}")
}

/// The administration routes, merged into the console's router.
pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route(
            "/console/api/admin/jurisdictions",
            get(jurisdictions::tree).post(jurisdictions::add),
        )
        .route(
            "/console/api/admin/jurisdictions/{code}",
            put(jurisdictions::rename).delete(jurisdictions::withdraw),
        )
        .route(
            "/console/api/admin/notifications",
            get(notifications::show).put(notifications::save),
        )
        .route("/console/api/admin/programs", get(deadlines::list))
        .route(
            "/console/api/admin/programs/{id}/deadlines",
            put(deadlines::save).delete(deadlines::reset),
        )
        .route("/console/api/admin/lockouts", get(lockouts::list))
        .route("/console/api/admin/lockouts/{id}", delete(lockouts::lift))
        .route("/console/api/admin/quarantine", get(quarantine::list))
}

/// 403 for anyone but the administrator (the caller is signed in: the extractor answered 401
/// otherwise).
fn require_administrator(viewer: &Viewer) -> Result<(), ApiError> {
    if viewer.administrator {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "forbidden",
            "only the administrator may change the administration settings".into(),
            "只有管理员可以查看和修改管理设置".into(),
        ))
    }
}

fn invalid(message: String, message_zh: String) -> ApiError {
    ApiError::new(400, "invalid_setting", message, message_zh)
}

fn storage_failed(error: StorageError) -> ApiError {
    tracing::error!(%error, "cannot use the administration settings");
    ApiError::internal()
}

/// Stores `value` under `key` as the administrator's setting, or goes back to the files'
/// default when there is nothing left to store (`None`); either takes effect at once.
fn store_setting<T: serde::Serialize>(
    app: &crate::App,
    key: &str,
    value: Option<&T>,
    user_id: &str,
) -> Result<(), ApiError> {
    let Some(value) = value else {
        return app
            .settings
            .reset(key, user_id, &app.programs, &app.notifier)
            .map_err(storage_failed);
    };
    let value = serde_json::to_string(value).map_err(|_| ApiError::internal())?;
    let setting = StoredSetting {
        key: key.to_owned(),
        value,
        updated_ms: app.clock.now_ms(),
        updated_by: user_id.to_owned(),
    };
    app.settings
        .save(&setting, &app.programs, &app.notifier)
        .map_err(storage_failed)
}

/// The settings in force: what the table holds, applied over the files' defaults.
pub struct Settings {
    storage: SettingsStorage,
    /// The programs with their deadline settings applied (the engine's).
    programs: RwLock<Arc<Vec<Program>>>,
    /// The tree as the files have it, and with the console's changes applied.
    files_jurisdictions: Jurisdictions,
    jurisdictions: RwLock<(JurisdictionOverlay, Arc<Jurisdictions>)>,
    /// Held from reading the tree's overlay to storing the next one.
    jurisdiction_edits: Mutex<()>,
    /// The rows last applied. Held for a whole save or refresh, so two never interleave.
    applied: Mutex<Vec<StoredSetting>>,
    /// Bumped whenever `programs` changes, so the engine loop knows to take them.
    generation: AtomicU64,
}

impl Settings {
    /// Opens the table and applies what it holds over `programs` and the notifier's file config.
    /// A stored setting that no longer fits its file (a rule removed, a channel renamed in the
    /// config) is logged and left out, never a reason not to start. Blocking.
    pub fn open(
        database: &crate::config::Database,
        programs: &[Program],
        files_jurisdictions: Jurisdictions,
        notifier: &Notifier,
    ) -> Result<Self, StorageError> {
        let settings = Self {
            storage: SettingsStorage::open(database)?,
            programs: RwLock::new(Arc::new(programs.to_vec())),
            jurisdictions: RwLock::new((
                JurisdictionOverlay::default(),
                Arc::new(files_jurisdictions.clone()),
            )),
            files_jurisdictions,
            jurisdiction_edits: Mutex::new(()),
            applied: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
        };
        settings.refresh(programs, notifier)?;
        Ok(settings)
    }

    /// The programs as the engine should schedule them now.
    pub fn programs(&self) -> Arc<Vec<Program>> {
        match self.programs.read() {
            Ok(programs) => programs.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The jurisdiction tree in force.
    pub fn jurisdictions(&self) -> Arc<Jurisdictions> {
        match self.jurisdictions.read() {
            Ok(slot) => slot.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// The console's changes to the tree, as in force.
    pub fn jurisdiction_overlay(&self) -> JurisdictionOverlay {
        match self.jurisdictions.read() {
            Ok(slot) => slot.0.clone(),
            Err(poisoned) => poisoned.into_inner().0.clone(),
        }
    }

    /// One change of the tree at a time in this instance: held from reading the overlay to
    /// storing the next. (Instances sharing a database each check the whole overlay when they
    /// apply it, so a lost race leaves a valid tree, never a broken one.)
    pub fn lock_jurisdiction_edits(&self) -> std::sync::MutexGuard<'_, ()> {
        self.jurisdiction_edits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tree as the jurisdiction files have it.
    pub fn files_jurisdictions(&self) -> &Jurisdictions {
        &self.files_jurisdictions
    }

    /// Changes whenever [`Settings::programs`] does.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The stored row of `key`, as last applied.
    pub fn stored(&self, key: &str) -> Option<StoredSetting> {
        let applied = self.applied.lock().ok()?;
        applied.iter().find(|s| s.key == key).cloned()
    }

    /// Re-reads the table and applies it if another instance (or a restart) changed it.
    /// Blocking.
    pub fn refresh(&self, base: &[Program], notifier: &Notifier) -> Result<(), StorageError> {
        let mut applied = self.applied.lock().map_err(|_| StorageError::poisoned())?;
        let rows = self.storage.all()?;
        if *applied != rows || self.generation() == 0 {
            self.apply(&rows, base, notifier);
            *applied = rows;
        }
        Ok(())
    }

    /// Stores `setting` and puts it in force. The caller has checked it. Blocking.
    pub fn save(
        &self,
        setting: &StoredSetting,
        base: &[Program],
        notifier: &Notifier,
    ) -> Result<(), StorageError> {
        self.storage.put(setting)?;
        tracing::info!(key = %setting.key, by = %setting.updated_by, "administration setting saved");
        self.refresh(base, notifier)
    }

    /// Removes `key` (back to the files' value) and puts that in force. Blocking.
    pub fn reset(
        &self,
        key: &str,
        by: &str,
        base: &[Program],
        notifier: &Notifier,
    ) -> Result<(), StorageError> {
        self.storage.remove(key)?;
        tracing::info!(%key, %by, "administration setting reset");
        self.refresh(base, notifier)
    }

    fn apply(&self, rows: &[StoredSetting], base: &[Program], notifier: &Notifier) {
        let find = |key: &str| rows.iter().find(|r| r.key == key);
        let programs: Vec<Program> = base
            .iter()
            .map(|program| {
                let Some(row) = find(&deadlines_key(program.id())) else {
                    return program.clone();
                };
                let applied = serde_json::from_str::<DeadlineSettings>(&row.value)
                    .map_err(|e| e.to_string())
                    .and_then(|s| program.with_deadline_settings(&s).map_err(|e| e.to_string()));
                applied.unwrap_or_else(|error| {
                    warn!(program = %program.id(), %error, "stored deadline settings no longer fit the program; using the program file's");
                    program.clone()
                })
            })
            .collect();
        match self.programs.write() {
            Ok(mut slot) => *slot = Arc::new(programs),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(programs),
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        let overlay = find(JURISDICTIONS_KEY).map_or(Ok(JurisdictionOverlay::default()), |row| {
            serde_json::from_str::<JurisdictionOverlay>(&row.value).map_err(|e| e.to_string())
        });
        let tree = overlay.and_then(|overlay| {
            let tree = self
                .files_jurisdictions
                .with_overlay(&overlay)
                .map_err(|e| e.to_string())?;
            Ok((overlay, Arc::new(tree)))
        });
        let tree = tree.unwrap_or_else(|error| {
            warn!(%error, "the console's changes to the jurisdiction tree no longer fit the files; using the files'");
            (
                JurisdictionOverlay::default(),
                Arc::new(self.files_jurisdictions.clone()),
            )
        });
        match self.jurisdictions.write() {
            Ok(mut slot) => *slot = tree,
            Err(poisoned) => *poisoned.into_inner() = tree,
        }
        let file = notifier.file_config();
        let config = match find(NOTIFY_KEY) {
            None => Ok(file.clone()),
            Some(row) => serde_json::from_str::<NotifyOverlay>(&row.value)
                .map_err(|e| e.to_string())
                .and_then(|overlay| file.with_overlay(&overlay).map_err(|e| e.to_string())),
        };
        let config = config.unwrap_or_else(|error| {
            warn!(%error, "stored notification channels and routes no longer fit the config file; using the file's");
            file.clone()
        });
        if let Err(error) = notifier.reconfigure(config) {
            warn!(%error, "cannot put the stored notification channels in force; using the file's");
            let _ = notifier.reconfigure(file.clone());
        }
    }
}

impl StorageError {
    fn poisoned() -> Self {
        StorageError::new("the settings lock was poisoned")
    }
}
