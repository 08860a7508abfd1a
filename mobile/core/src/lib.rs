//! The field app without its window (外勤端核心): everything the Tauri shell's commands do, as
//! plain Rust that tests drive directly.
//!
//! - [`AppCore`] owns the app's data folder: the device file ([`device`]) and the replica, opened
//!   only after the PIN unwraps its key ([`vault`]).
//! - [`views`] turns replica rows into what the screens show (task lists grouped by task with
//!   deadlines, the person detail, forms), in the user's language, with personal data masked in
//!   lists.
//! - [`actions`] checks a worker's command with `task::command::check` and appends the event —
//!   offline, to the local replica only.
//! - [`transfer_chain`] is seed 003's transfer chain, offline: supplies and the community's
//!   stock ledger, wristband binding and replacement, transfer notices and vehicles, the
//!   boarding roll call and the hotel's arrival check.
//! - [`syncing`] runs the sync protocol on its own connection so that screens never wait for
//!   the network, and keeps the status the sync bar shows; what a sync brings besides records
//!   (the server's program files, deadline settings, jurisdiction changes and the names of the
//!   users the device meets) is kept in the device file and applied by `apply_server_settings`;
//!   views name users by `AppCore::display_name`.
//!
//! Everything here works with the server unreachable except `enrol` and sync itself.

pub mod actions;
pub mod console;
pub mod device;
pub mod error;
mod names;
mod server_settings;
pub mod syncing;
pub mod transfer_chain;
pub mod vault;
pub mod views;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use outpost_shared::hlc::{Clock, DeviceId, HlcClock};
use outpost_shared::i18n::Lang;
use outpost_shared::jurisdiction::{self, JurisdictionOverlay, Jurisdictions, Level};
use outpost_shared::program::{self, Action, JurisdictionLevel, Program};
use outpost_shared::record::{Author, UserId};
use outpost_shared::replica::{EncryptionKey, Replica, ReplicaError};
use outpost_shared::supply::Catalogue;
use outpost_shared::sync::message::{EnrolRequest, Enrolled, ErrorBody, PROTOCOL_VERSION};
use serde::{Deserialize, Serialize};

pub use device::{Account, DeviceFile};
pub use error::{AppError, ErrorCode};
pub use syncing::{SyncJob, SyncMonitor, SyncStatus};

use crate::vault::VaultError;

/// `app_status`: what the shell shows before anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppStatus {
    pub enrolled: bool,
    pub unlocked: bool,
    pub lang: Lang,
    pub user: Option<UserInfo>,
    pub server_url: Option<String>,
    pub device_label: Option<String>,
    pub programs: Vec<ProgramSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub unit: String,
    pub unit_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramSummary {
    pub id: String,
    pub name: String,
    /// The program has the transfer chain (转运): notices or boarding.
    pub transfers: bool,
    /// The program issues supplies (物资).
    pub supplies: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnrolInput {
    pub code: String,
    pub server_url: Option<String>,
    pub device_label: String,
    pub pin: String,
}

/// An unlocked app: the open replica and what acting needs.
pub(crate) struct Session {
    pub replica: Replica,
    pub data_key: [u8; 32],
    pub token: String,
    pub author: Author,
    pub hlc: HlcClock,
}

/// The app's state. One per app; the shell keeps it behind a mutex.
pub struct AppCore {
    dir: PathBuf,
    /// The shipped programs, as the files have them.
    presets: Vec<Program>,
    /// The server's program set over the presets, by id (`server_settings::defined`).
    defined: Vec<Program>,
    /// `defined` with the server's deadline settings applied: what every view uses.
    programs: Vec<Program>,
    /// The compiled-in tree, and with the server's overlay applied: what every view uses.
    files_jurisdictions: Jurisdictions,
    jurisdictions: Jurisdictions,
    catalogue: Catalogue,
    clock: Arc<dyn Clock + Send + Sync>,
    device: Option<DeviceFile>,
    session: Option<Session>,
    lang: Lang,
    sync: Arc<SyncMonitor>,
}

fn role_label(role: &str, lang: Lang) -> String {
    outpost_shared::console::role_name(role, lang).to_owned()
}

/// Splits what an enrolment QR code holds (`outpost-enrol:<server>#<code>`) into server and code;
/// a bare code comes back with no server.
pub fn parse_enrolment(text: &str) -> (Option<String>, String) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("outpost-enrol:")
        && let Some((server, code)) = rest.rsplit_once('#')
    {
        return (Some(server.trim().to_owned()), code.trim().to_owned());
    }
    (None, text.to_owned())
}

impl AppCore {
    /// The app over its data folder, with the shipped programs and jurisdiction tree.
    pub fn open(
        dir: impl AsRef<Path>,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Result<Self, AppError> {
        let dir = dir.as_ref().to_path_buf();
        let presets = program::load_presets().map_err(|e| AppError::internal(Lang::Zh, e))?;
        let files_jurisdictions =
            jurisdiction::load_presets().map_err(|e| AppError::internal(Lang::Zh, e))?;
        let catalogue = Catalogue::preset().map_err(|e| AppError::internal(Lang::Zh, e))?;
        let device = DeviceFile::load(&dir).map_err(|e| AppError::internal(Lang::Zh, e))?;
        let lang = device.as_ref().map_or(Lang::Zh, |d| d.lang);
        let defined =
            server_settings::defined(&presets, device.as_ref().and_then(|d| d.programs.as_ref()));
        let programs =
            server_settings::with_deadlines(&defined, device.as_ref().map(|d| &d.deadlines));
        let jurisdictions = server_settings::with_overlay(
            &files_jurisdictions,
            device.as_ref().map(|d| &d.jurisdictions),
        );
        Ok(Self {
            dir,
            presets,
            defined,
            programs,
            files_jurisdictions,
            jurisdictions,
            catalogue,
            clock,
            device,
            session: None,
            lang,
            sync: Arc::new(SyncMonitor::default()),
        })
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.now_ms()).unwrap_or(i64::MAX)
    }

    pub fn sync_monitor(&self) -> Arc<SyncMonitor> {
        self.sync.clone()
    }

    pub(crate) fn jurisdictions(&self) -> &Jurisdictions {
        &self.jurisdictions
    }

    pub(crate) fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub(crate) fn program(&self, id: &str) -> Result<&Program, AppError> {
        self.programs.iter().find(|p| p.id() == id).ok_or_else(|| {
            AppError::bad_input(
                self.lang,
                format!("未知的工作流程 {id}"),
                format!("Unknown program {id}"),
            )
        })
    }

    pub(crate) fn account(&self) -> Result<&Account, AppError> {
        self.device
            .as_ref()
            .map(|d| &d.account)
            .ok_or_else(|| AppError::not_enrolled(self.lang))
    }

    pub(crate) fn session(&self) -> Result<&Session, AppError> {
        self.session.as_ref().ok_or_else(|| match self.device {
            None => AppError::not_enrolled(self.lang),
            Some(_) => AppError::locked(self.lang),
        })
    }

    pub(crate) fn session_mut(&mut self) -> Result<&mut Session, AppError> {
        let lang = self.lang;
        let enrolled = self.device.is_some();
        self.session.as_mut().ok_or_else(|| {
            if enrolled {
                AppError::locked(lang)
            } else {
                AppError::not_enrolled(lang)
            }
        })
    }

    /// The programs this user works on: those dispatched to the level of the user's unit, then
    /// any other program the replica holds records of; district users see every program.
    pub fn user_programs(&self) -> Vec<ProgramSummary> {
        let Some(device) = &self.device else {
            return Vec::new();
        };
        let level = self
            .jurisdictions
            .get(&device.account.unit)
            .map(|u| u.level);
        let held: Vec<String> = self
            .session
            .as_ref()
            .and_then(|s| views::programs_held(&s.replica).ok())
            .unwrap_or_default();
        let mut chosen: Vec<&Program> = Vec::new();
        for program in &self.programs {
            let dispatched_here = matches!(
                (program.dispatch().level, level),
                (JurisdictionLevel::Town, Some(Level::Town))
                    | (JurisdictionLevel::Community, Some(Level::Community))
                    | (_, Some(Level::District))
            );
            if dispatched_here {
                chosen.push(program);
            }
        }
        for program in &self.programs {
            if held.iter().any(|h| h == program.id())
                && !chosen.iter().any(|c| c.id() == program.id())
            {
                chosen.push(program);
            }
        }
        chosen
            .into_iter()
            .map(|p| ProgramSummary {
                id: p.id().to_owned(),
                name: p.name().get(self.lang).to_owned(),
                transfers: p.allows(Action::TransferNotice) || p.allows(Action::Board),
                supplies: p.allows(Action::IssueSupplies),
            })
            .collect()
    }

    pub fn status(&self) -> AppStatus {
        let device = self.device.as_ref();
        AppStatus {
            enrolled: device.is_some(),
            unlocked: self.session.is_some(),
            lang: self.lang,
            user: device.map(|d| UserInfo {
                user_id: d.account.user_id.clone(),
                display_name: d.account.display_name.clone(),
                role: d.account.role.clone(),
                role_label: role_label(&d.account.role, self.lang),
                unit: d.account.unit.clone(),
                unit_name: self
                    .jurisdictions
                    .full_name_in(&d.account.unit, self.lang)
                    .unwrap_or_else(|| d.account.unit.clone()),
            }),
            server_url: device.map(|d| d.server_url.clone()),
            device_label: device.map(|d| d.device_label.clone()),
            programs: if self.session.is_some() {
                self.user_programs()
            } else {
                Vec::new()
            },
        }
    }

    pub fn set_lang(&mut self, lang: Lang) -> Result<AppStatus, AppError> {
        self.lang = lang;
        if let Some(device) = &mut self.device {
            device.lang = lang;
            device
                .save(&self.dir)
                .map_err(|e| AppError::internal(lang, e))?;
        }
        Ok(self.status())
    }

    /// Exchanges an enrolment code for a device credential, makes the data key, wraps it under
    /// the PIN and creates the encrypted replica. Needs the server; everything after does not.
    pub fn enrol(&mut self, input: EnrolInput) -> Result<AppStatus, AppError> {
        let lang = self.lang;
        if self.device.is_some() {
            return Err(AppError::bad_input(
                lang,
                "本设备已登记；如需重新登记，请先清除本机数据",
                "This device is already enrolled; clear its data to enrol again",
            ));
        }
        vault::check_pin(&input.pin).map_err(|_| {
            AppError::bad_input(lang, "PIN 必须是 6 位数字", "The PIN must be 6 digits")
        })?;
        let (server_in_code, code) = parse_enrolment(&input.code);
        if code.is_empty() {
            return Err(AppError::bad_input(
                lang,
                "请输入登记码",
                "Enter the enrolment code",
            ));
        }
        let server = server_in_code
            .or_else(|| input.server_url.clone().filter(|s| !s.trim().is_empty()))
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .ok_or_else(|| {
                AppError::bad_input(
                    lang,
                    "请填写服务器地址（例如 http://192.168.1.10:8080）",
                    "Enter the server address (e.g. http://192.168.1.10:8080)",
                )
            })?;
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(AppError::bad_input(
                lang,
                "服务器地址应以 http:// 或 https:// 开头",
                "The server address must start with http:// or https://",
            ));
        }
        let label: String = input.device_label.trim().chars().take(64).collect();
        let label = if label.is_empty() {
            "外勤设备".to_owned()
        } else {
            label
        };
        let enrolled = request_enrolment(&server, &code, &label, lang)?;

        let data_key = vault::random::<32>().map_err(|e| AppError::internal(lang, e))?;
        let wrapped =
            vault::wrap(&data_key, &input.pin).map_err(|e| AppError::internal(lang, e))?;
        let token = vault::seal(&data_key, enrolled.token.as_bytes())
            .map_err(|e| AppError::internal(lang, e))?;
        // A replica left by an earlier enrolment was encrypted under a key that no longer
        // exists: it cannot be opened, so it is replaced.
        remove_replica_files(&self.dir);
        std::fs::create_dir_all(&self.dir).map_err(|e| AppError::internal(lang, e))?;
        let replica = Replica::open(
            self.dir.join(device::REPLICA_FILE),
            Some(&EncryptionKey::from_bytes(data_key)),
        )
        .map_err(|e| AppError::replica(lang, e))?;
        let device = DeviceFile {
            server_url: server,
            device_id: enrolled.device_id.clone(),
            device_label: label,
            account: Account {
                user_id: enrolled.user_id.clone(),
                display_name: enrolled.display_name.clone(),
                role: enrolled.role.clone(),
                unit: enrolled.unit.clone(),
            },
            lang,
            key: wrapped,
            token,
            failed_unlocks: 0,
            last_failed_unlock_ms: None,
            deadlines: BTreeMap::new(),
            jurisdictions: JurisdictionOverlay::default(),
            programs: None,
            names: None,
        };
        device
            .save(&self.dir)
            .map_err(|e| AppError::internal(lang, e))?;
        let session = make_session(replica, data_key, enrolled.token, &device, lang)?;
        tracing::info!(device = %device.device_id, "device enrolled");
        self.device = Some(device);
        self.session = Some(session);
        Ok(self.status())
    }

    /// Opens the replica with the PIN. Works offline.
    pub fn unlock(&mut self, pin: &str) -> Result<AppStatus, AppError> {
        let lang = self.lang;
        let now = self.now_ms();
        let Some(device) = &mut self.device else {
            return Err(AppError::not_enrolled(lang));
        };
        if self.session.is_some() {
            return Ok(self.status());
        }
        let wait = device.unlock_wait_ms(now);
        if wait > 0 {
            let seconds = (wait + 999) / 1000;
            return Err(AppError::new(
                ErrorCode::WrongPin,
                lang,
                format!("PIN 错误次数过多，请 {seconds} 秒后再试"),
                format!("Too many wrong PINs: try again in {seconds} s"),
            ));
        }
        let data_key = match vault::unwrap(&device.key, pin) {
            Ok(key) => key,
            Err(VaultError::WrongPin | VaultError::PinFormat) => {
                device.failed_unlocks += 1;
                device.last_failed_unlock_ms = Some(now);
                device
                    .save(&self.dir)
                    .map_err(|e| AppError::internal(lang, e))?;
                return Err(AppError::new(
                    ErrorCode::WrongPin,
                    lang,
                    format!("PIN 不正确（已连续错误 {} 次）", device.failed_unlocks),
                    format!("Wrong PIN ({} wrong in a row)", device.failed_unlocks),
                ));
            }
            Err(other) => return Err(AppError::internal(lang, other)),
        };
        let token = vault::open(&data_key, &device.token)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| AppError::internal(lang, "the device credential is damaged"))?;
        let replica = Replica::open(
            self.dir.join(device::REPLICA_FILE),
            Some(&EncryptionKey::from_bytes(data_key)),
        )
        .map_err(|e| match e {
            ReplicaError::WrongKeyOrNotAReplica => {
                AppError::internal(lang, "the replica file does not match this device's key")
            }
            other => AppError::replica(lang, other),
        })?;
        if device.failed_unlocks > 0 {
            device.failed_unlocks = 0;
            device.last_failed_unlock_ms = None;
            device
                .save(&self.dir)
                .map_err(|e| AppError::internal(lang, e))?;
        }
        let device = device.clone();
        self.session = Some(make_session(replica, data_key, token, &device, lang)?);
        Ok(self.status())
    }

    /// Closes the replica and forgets the key until the next unlock.
    pub fn lock(&mut self) -> AppStatus {
        self.session = None;
        self.status()
    }

    /// What a background sync needs, taken while the core is locked briefly; `None` while the
    /// app is locked.
    pub fn sync_job(&self) -> Option<SyncJob> {
        let (device, session) = (self.device.as_ref()?, self.session.as_ref()?);
        Some(SyncJob {
            replica_path: self.dir.join(device::REPLICA_FILE),
            data_key: session.data_key,
            server_url: device.server_url.clone(),
            token: session.token.clone(),
            lang: self.lang,
            monitor: self.sync.clone(),
            clock: self.clock.clone(),
            programs_version: device.programs.as_ref().map(|set| set.version.clone()),
            names_version: device.names.as_ref().map(|set| set.version.clone()),
        })
    }

    /// The sync bar: the monitor's last attempt plus what waits in the replica.
    pub fn sync_status(&self) -> Result<SyncStatus, AppError> {
        let session = self.session()?;
        let waiting = session
            .replica
            .outbox_status()
            .map_err(|e| AppError::replica(self.lang, e))?;
        let last_success = session
            .replica
            .last_sync_ms()
            .map_err(|e| AppError::replica(self.lang, e))?;
        let problems = session
            .replica
            .sync_problem_counts()
            .map_err(|e| AppError::replica(self.lang, e))?;
        Ok(self.sync.status(waiting, last_success, problems))
    }
}

fn make_session(
    replica: Replica,
    data_key: [u8; 32],
    token: String,
    device: &DeviceFile,
    lang: Lang,
) -> Result<Session, AppError> {
    let device_id = DeviceId::new(device.device_id.clone())
        .map_err(|_| AppError::internal(lang, "the enrolled device id is invalid"))?;
    let user = UserId::new(device.account.user_id.clone())
        .map_err(|_| AppError::internal(lang, "the enrolled user id is invalid"))?;
    Ok(Session {
        replica,
        data_key,
        token,
        author: Author {
            user,
            device: device_id.clone(),
        },
        hlc: HlcClock::new(device_id),
    })
}

fn remove_replica_files(dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{}{suffix}", device::REPLICA_FILE)));
    }
}

/// `POST {server}/v1/enrol`.
fn request_enrolment(
    server: &str,
    code: &str,
    label: &str,
    lang: Lang,
) -> Result<Enrolled, AppError> {
    let unreachable = |detail: String| {
        tracing::warn!(error = %detail, "enrolment request failed");
        AppError::new(
            ErrorCode::ServerUnreachable,
            lang,
            format!("无法连接服务器 {server}，请检查网络和地址"),
            format!("Cannot reach the server {server}: check the network and the address"),
        )
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| unreachable(e.to_string()))?;
    let response = client
        .post(format!("{server}/v1/enrol"))
        .json(&EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: code.to_owned(),
            label: label.to_owned(),
        })
        .send()
        .map_err(|e| unreachable(e.to_string()))?;
    let status = response.status();
    let body = response.bytes().map_err(|e| unreachable(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| unreachable(e.to_string()));
    }
    let message = serde_json::from_slice::<ErrorBody>(&body)
        .ok()
        .map(|b| match lang {
            Lang::Zh => b.message_zh,
            Lang::En => b.message,
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(AppError {
        code: ErrorCode::EnrolmentRefused,
        message,
    })
}
