//! The device file (`device.json` in the app's data folder): who this device is enrolled as, and
//! the wrapped keys. Readable while locked — it holds the worker's own account and the names of
//! the staff the device meets, never the citizens' data, which lives only in the encrypted
//! replica beside it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use outpost_shared::i18n::Lang;
use outpost_shared::jurisdiction::JurisdictionOverlay;
use outpost_shared::program::DeadlineSettings;
use outpost_shared::sync::message::{ProgramSet, UserNames};
use serde::{Deserialize, Serialize};

use crate::vault::{Sealed, WrappedKey};

pub const DEVICE_FILE: &str = "device.json";
pub const REPLICA_FILE: &str = "replica.db";

/// The account this device acts for (from the server's enrolment answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFile {
    pub server_url: String,
    pub device_id: String,
    pub device_label: String,
    pub account: Account,
    pub lang: Lang,
    /// The replica's data key, wrapped under the PIN.
    pub key: WrappedKey,
    /// The device credential, sealed under the data key.
    pub token: Sealed,
    /// Wrong PINs in a row, and when the last one was entered: unlocking slows down after five.
    #[serde(default)]
    pub failed_unlocks: u32,
    #[serde(default)]
    pub last_failed_unlock_ms: Option<i64>,
    /// The deadline settings the server last said were in force, by program (an
    /// administrator's changes in the console), applied over the shipped programs so that
    /// offline countdowns follow the server. Not personal data.
    #[serde(default)]
    pub deadlines: BTreeMap<String, DeadlineSettings>,
    /// The console's changes to the jurisdiction tree as the server last sent them (units
    /// added or renamed), applied over the compiled-in files. Not personal data.
    #[serde(default)]
    pub jurisdictions: JurisdictionOverlay,
    /// The server's program files as it last sent them, with their version, used over the
    /// shipped programs (the server's by id). Kept whole so that the device works with them
    /// offline after a restart and tells the server which set it holds. Not personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programs: Option<ProgramSet>,
    /// The display names of the users this device meets (its unit's staff, those above it, the
    /// administrators) as the server last sent them, with their version: views name who did
    /// what. Staff names, not the personal data of the persons followed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<UserNames>,
}

impl DeviceFile {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(DEVICE_FILE)
    }

    /// The device file, `None` before enrolment.
    pub fn load(dir: &Path) -> Result<Option<Self>, String> {
        let path = Self::path(dir);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} cannot be read: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the file atomically (temporary file, fsync, rename) so that a crash leaves either
    /// the old or the new file, never half of one.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = Self::path(dir);
        let temporary = dir.join(format!("{DEVICE_FILE}.tmp"));
        let json = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let mut file =
            fs::File::create(&temporary).map_err(|e| format!("{}: {e}", temporary.display()))?;
        file.write_all(&json)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("{}: {e}", temporary.display()))?;
        fs::rename(&temporary, &path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// How long the user must wait before the next PIN attempt: nothing for the first five wrong
    /// PINs, then 30 s doubling per further attempt (capped at an hour).
    pub fn unlock_wait_ms(&self, now_ms: i64) -> i64 {
        if self.failed_unlocks < 5 {
            return 0;
        }
        let exponent = (self.failed_unlocks - 5).min(7);
        let wait = (30_000_i64 << exponent).min(3_600_000);
        let since = now_ms - self.last_failed_unlock_ms.unwrap_or(0);
        (wait - since).max(0)
    }
}
