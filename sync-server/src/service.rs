//! What the server does, independent of HTTP: authenticate devices, run sync exchanges, enrol
//! devices, administer users. Every function takes the store explicitly and does its work in one
//! transaction.

use std::collections::{BTreeMap, HashMap};

use outpost_shared::console::ROLES;
use outpost_shared::record::RecordId;
use outpost_shared::sync::admission::{self, Pusher, Refusal, Rules, Stored};
use outpost_shared::sync::ledger::{self, LedgerError, Peer};
use outpost_shared::sync::message::{
    ErrorBody, MAX_USER_NAME_CHARS, PROTOCOL_VERSION, PageLimits, SyncRequest, SyncResponse,
    UnreadableReport, UserNames, meets,
};
use outpost_shared::sync::{Cursor, Scope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::quarantine::{PushTurns, Quarantine};
use crate::store::{Device, Redeemed, Store, StoreTx, User};

/// An error answer: HTTP status plus the body the client shows.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: String, message_zh: String) -> Self {
        Self {
            status,
            body: ErrorBody::new(code, message, message_zh),
        }
    }

    pub fn unauthorized(message: &str, message_zh: &str) -> Self {
        Self::new(
            401,
            "unauthorized",
            message.to_owned(),
            message_zh.to_owned(),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "internal",
            "the server could not complete the request; try again".into(),
            "服务器暂时无法完成请求，请稍后重试".into(),
        )
    }
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Refused(body) => {
                let status = match body.error.as_str() {
                    "incompatible_protocol" => 426,
                    "cursor_ahead" | "user_exists" => 409,
                    _ => 400,
                };
                Self { status, body }
            }
            LedgerError::Storage(detail) => {
                tracing::error!(%detail, "ledger storage failed");
                Self::internal()
            }
        }
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal())?;
    Ok(bytes)
}

/// Crockford's base32 without I, L, O, U: nothing to misread when typed from a screen.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The canonical form of a typed enrolment code: upper case, no dashes or spaces.
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The device behind a bearer token, with its user. A revoked device is refused.
pub fn authenticate(store: &impl Store, token: &str) -> Result<(Device, User), ApiError> {
    let hash = sha256_hex(token);
    store.transaction(|tx| device_of(tx, &hash))?
}

fn device_of(
    tx: &mut dyn StoreTx,
    token_hash: &str,
) -> Result<Result<(Device, User), ApiError>, LedgerError> {
    let Some(device) = tx.device_by_token(token_hash)? else {
        return Ok(Err(ApiError::unauthorized(
            "unknown device credential: enrol this device again",
            "设备凭证无效，请重新登记设备",
        )));
    };
    if device.revoked_at_ms.is_some() {
        return Ok(Err(ApiError::new(
            403,
            "device_revoked",
            "this device has been revoked by an administrator".into(),
            "此设备已被管理员停用".into(),
        )));
    }
    let Some(user) = tx.user(&device.user_id)? else {
        return Ok(Err(ApiError::unauthorized(
            "the device's user no longer exists",
            "设备所属用户不存在",
        )));
    };
    Ok(Ok((device, user)))
}

/// The district administrator signed in with the admin token (the console's administrator,
/// the default creator of imports): not a row of the users table, but an author devices meet.
pub const ADMINISTRATOR_ID: &str = "admin";
pub const ADMINISTRATOR_NAME: &str = "区卫健局管理员";

/// The display names of the users `user`'s devices meet (`names::meets`), with the
/// administrator's; `None` when the device holds this set already (`held`), or when the set is
/// past what a device takes, which is logged with the reason (ids and counts, never a name).
fn names_for(
    tx: &mut dyn StoreTx,
    user: &User,
    held: Option<&str>,
) -> Result<Option<UserNames>, LedgerError> {
    let mut names: BTreeMap<String, String> = tx
        .users()?
        .into_iter()
        .filter(|u| !u.display_name.is_empty() && meets(&user.unit, &u.unit, &u.role))
        .map(|u| (u.id, u.display_name))
        .collect();
    names
        .entry(ADMINISTRATOR_ID.to_owned())
        .or_insert_with(|| ADMINISTRATOR_NAME.to_owned());
    match UserNames::new(names) {
        Ok(set) if held == Some(set.version.as_str()) => Ok(None),
        Ok(set) => Ok(Some(set)),
        Err(error) => {
            tracing::warn!(user = %user.id, %error, "user names not sent to the device");
            Ok(None)
        }
    }
}

fn scope_of(tx: &mut dyn StoreTx, user: &User) -> Result<Scope, LedgerError> {
    Ok(Scope {
        units: vec![user.unit.clone()],
        records: tx.grants(&user.id)?,
    })
}

/// What a sync exchange answers, with the device it was for (for logs and metrics).
pub struct Synced {
    pub device: String,
    pub response: SyncResponse,
}

/// What a device's push is admitted against (see `outpost_shared::sync::admission`).
pub struct Admission<'a> {
    pub rules: Rules<'a>,
    /// Keeps each device's exchanges in order while its push is admitted.
    pub turns: &'a PushTurns,
    /// Where stored records that cannot be read are noted.
    pub quarantine: &'a Quarantine,
}

/// One sync exchange: authenticates the device credential, admits what it pushes, and runs the
/// exchange in one transaction that the store may commit together with concurrent exchanges.
///
/// Admission loads each pushed record and applies the changes to a scratch copy, which can take
/// a while and runs Automerge on the device's data: it happens between a read transaction and
/// the write, outside every lock but the device's own turn (see `PushTurns`).
pub fn sync(
    store: &impl Store,
    token: &str,
    request: SyncRequest,
    limits: PageLimits,
    now_ms: i64,
    admission: &Admission<'_>,
) -> Result<Synced, ApiError> {
    request.check_bounds().map_err(|body| ApiError {
        status: if body.error == "incompatible_protocol" {
            426
        } else {
            413
        },
        body,
    })?;
    let limits = request.limits.unwrap_or(limits).clamp(limits);
    let token_hash = sha256_hex(token);
    let _turn = admission.turns.turn(&token_hash);
    let refused = if request.push.is_empty() {
        HashMap::new()
    } else {
        admit_push(store, &token_hash, &request, admission, now_ms)?
    };
    let (synced, reported) = store
        .transaction_grouped(move |tx| {
            let (device, user) = match device_of(tx, &token_hash)? {
                Ok(found) => found,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let scope = scope_of(tx, &user)?;
            let reported = reported_in_scope(tx, &scope, &device.id, &request.unreadable)?;
            let peer = Peer {
                device: &device.id,
                scope: &scope,
            };
            let push =
                ledger::push_admitted(tx, peer, request.cursor, now_ms, &request.push, &refused)?;
            let page = ledger::pull_page(tx, peer, request.cursor, &request.resend_whole, limits)?;
            tx.note_sync(&device.id, now_ms, page.cursor, request.outbox)?;
            let names = if page.more {
                None
            } else {
                names_for(tx, &user, request.names_version.as_deref())?
            };
            Ok(Ok((
                Synced {
                    device: device.id,
                    response: SyncResponse {
                        protocol: PROTOCOL_VERSION,
                        push,
                        items: page.items,
                        cursor: page.cursor,
                        more: page.more,
                        server_time_ms: now_ms,
                        // Filled by the HTTP layer, which holds the settings in force and
                        // the program files.
                        deadlines: Default::default(),
                        jurisdictions: None,
                        programs: None,
                        names,
                        deferred: page.deferred,
                    },
                },
                reported,
            )))
        })
        .map_err(ApiError::from)??;
    for (record, detail) in &reported {
        admission.quarantine.note(record, detail, "device", now_ms);
    }
    Ok(synced)
}

/// The records a device reports it cannot read (`SyncRequest::unreadable`) that are in its
/// scope, with a detail naming the device: the administrator's quarantine list shows them.
/// Reports on records outside the scope are ignored, so a device learns nothing from them.
fn reported_in_scope(
    tx: &mut dyn StoreTx,
    scope: &Scope,
    device: &str,
    reports: &[UnreadableReport],
) -> Result<Vec<(RecordId, String)>, LedgerError> {
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let head = Cursor(tx.max_seq()?);
    let mut in_scope = Vec::new();
    for report in reports {
        let unit = tx.record(&report.record)?.and_then(|r| r.unit);
        if scope.contains_at(&report.record, unit.as_deref(), head) {
            // The detail is bounded by `check_bounds`; it is the device's record layer's words.
            let detail = format!("device {device} cannot apply it: {}", report.detail);
            in_scope.push((report.record.clone(), detail));
        }
    }
    Ok(in_scope)
}

/// Reads what the ledger holds of each pushed record and admits the push record by record; the
/// refused records with their refusals. An unknown credential refuses nothing here: the
/// exchange itself answers it.
fn admit_push(
    store: &impl Store,
    token_hash: &str,
    request: &SyncRequest,
    admission: &Admission<'_>,
    now_ms: i64,
) -> Result<HashMap<RecordId, Refusal>, ApiError> {
    // A record may be named by several groups of one push: admitted with all its changes.
    let mut pushed: BTreeMap<&RecordId, Vec<Vec<u8>>> = BTreeMap::new();
    for group in &request.push {
        pushed
            .entry(&group.record)
            .or_default()
            .extend(group.changes.iter().cloned());
    }
    let read = store.transaction(|tx| {
        let Ok((device, user)) = device_of(tx, token_hash)? else {
            return Ok(None);
        };
        let head = tx.max_seq()?;
        let mut stored = Vec::with_capacity(pushed.len());
        for &id in pushed.keys() {
            stored.push(tx.changes_of(id, 0, head, None)?);
        }
        Ok(Some((device, user, stored)))
    })?;
    let Some((device, user, stored)) = read else {
        return Ok(HashMap::new());
    };
    let pusher = Pusher {
        user: &user.id,
        device: &device.id,
        role: &user.role,
    };
    let mut refused = HashMap::new();
    for ((id, changes), stored) in pushed.iter().zip(stored) {
        let verdict = Stored::load(&stored)
            .and_then(|stored| admission::admit(id, stored, changes, pusher, admission.rules));
        if let Err(refusal) = verdict {
            if let Refusal::Unreadable { detail } = &refusal {
                admission.quarantine.note(id, detail, "sync", now_ms);
            }
            tracing::warn!(record = %id, device = %device.id, refusal = ?refusal_kind(&refusal), "pushed changes refused");
            refused.insert((*id).clone(), refusal);
        }
    }
    Ok(refused)
}

/// A refusal's kind, for logs (the details can name event ids, which are not personal data,
/// but the kind is what an operator scans for).
fn refusal_kind(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Unreadable { .. } => "stored record unreadable",
        Refusal::Unappliable { .. } => "change cannot be applied",
        Refusal::ForeignActor { .. } => "change of another device",
        Refusal::Event { .. } => "event refused",
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
}

/// Creates a user. `unit_exists` checks the jurisdiction code against the loaded tree.
pub fn create_user(
    store: &impl Store,
    new: NewUser,
    unit_exists: impl Fn(&str) -> bool,
    now_ms: i64,
) -> Result<User, ApiError> {
    let valid_id = !new.id.is_empty()
        && new.id.len() <= 64
        && new
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid_id {
        return Err(ApiError::new(
            400,
            "bad_user_id",
            "a user id is 1–64 letters, digits, '-', '_' or '.'".into(),
            "用户编号应为 1–64 位字母、数字、“-”、“_”或“.”".into(),
        ));
    }
    if !ROLES.iter().any(|(code, _, _)| *code == new.role) {
        let known: Vec<String> = ROLES
            .iter()
            .map(|(c, zh, _)| format!("{c} ({zh})"))
            .collect();
        return Err(ApiError::new(
            400,
            "bad_role",
            format!(
                "unknown role {:?}; use one of {}",
                new.role,
                known.join(", ")
            ),
            format!("角色“{}”不存在，可用角色：{}", new.role, known.join("、")),
        ));
    }
    let display_name = new.display_name.trim().to_owned();
    if display_name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(ApiError::new(
            400,
            "bad_display_name",
            format!("a display name has at most {MAX_USER_NAME_CHARS} characters"),
            format!("姓名最多 {MAX_USER_NAME_CHARS} 个字符"),
        ));
    }
    if !unit_exists(&new.unit) {
        return Err(ApiError::new(
            400,
            "unknown_unit",
            format!(
                "jurisdiction code {} is not in the loaded jurisdictions",
                new.unit
            ),
            format!("行政区划代码 {} 不存在", new.unit),
        ));
    }
    let user = User {
        id: new.id,
        display_name,
        role: new.role,
        unit: new.unit,
        created_at_ms: now_ms,
    };
    store.transaction(|tx| tx.insert_user(&user))?;
    Ok(user)
}

#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentCode {
    /// Shown once; the server keeps only its hash.
    pub code: String,
    pub user_id: String,
    pub expires_at_ms: i64,
}

/// Issues a one-time enrolment code for a user.
pub fn issue_enrolment_code(
    store: &impl Store,
    user_id: &str,
    valid_for_ms: i64,
    now_ms: i64,
) -> Result<EnrolmentCode, ApiError> {
    let random = random_bytes::<10>()?;
    let chars: String = random
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)]))
        .collect();
    let code = format!("{}-{}", &chars[..5], &chars[5..]);
    let expires_at_ms = now_ms.saturating_add(valid_for_ms);
    let hash = sha256_hex(&normalise_code(&code));
    store.transaction(|tx| {
        if tx.user(user_id)?.is_none() {
            return Err(LedgerError::Refused(ErrorBody::new(
                "unknown_user",
                format!("there is no user {user_id}"),
                format!("用户 {user_id} 不存在"),
            )));
        }
        tx.insert_enrolment_code(&hash, user_id, expires_at_ms)
    })?;
    Ok(EnrolmentCode {
        code,
        user_id: user_id.to_owned(),
        expires_at_ms,
    })
}

pub use outpost_shared::sync::message::{EnrolRequest, Enrolled};

/// Exchanges a one-time code for a device credential.
pub fn enrol(
    store: &impl Store,
    request: &EnrolRequest,
    now_ms: i64,
) -> Result<Enrolled, ApiError> {
    if request.protocol != PROTOCOL_VERSION {
        return Err(ApiError {
            status: 426,
            body: ErrorBody::incompatible(request.protocol),
        });
    }
    let label: String = request.label.trim().chars().take(64).collect();
    let hash = sha256_hex(&normalise_code(&request.code));
    let token = hex::encode(random_bytes::<32>()?);
    let device_id = format!("dev-{}", hex::encode(random_bytes::<6>()?));
    let outcome = store.transaction(|tx| {
        let user_id = match tx.redeem_enrolment_code(&hash, now_ms)? {
            Redeemed::User(user) => user,
            other => return Ok(Err(other)),
        };
        let user = tx
            .user(&user_id)?
            .ok_or_else(|| LedgerError::Storage("enrolment code of a missing user".into()))?;
        let device = Device {
            id: device_id.clone(),
            user_id: user_id.clone(),
            label: if label.is_empty() {
                device_id.clone()
            } else {
                label.clone()
            },
            enrolled_at_ms: now_ms,
            revoked_at_ms: None,
            last_sync_ms: None,
            cursor: 0,
            waiting_records: 0,
            oldest_unsent_ms: None,
        };
        tx.insert_device(&device, &sha256_hex(&token))?;
        Ok(Ok(user))
    })?;
    match outcome {
        Ok(user) => Ok(Enrolled {
            protocol: PROTOCOL_VERSION,
            device_id,
            token,
            user_id: user.id,
            display_name: user.display_name,
            role: user.role,
            unit: user.unit,
        }),
        Err(Redeemed::AlreadyUsed) => Err(ApiError::new(
            400,
            "code_used",
            "this enrolment code has already been used; ask for a new one".into(),
            "该登记码已被使用，请向管理员重新申请".into(),
        )),
        Err(Redeemed::Expired) => Err(ApiError::new(
            400,
            "code_expired",
            "this enrolment code has expired; ask for a new one".into(),
            "该登记码已过期，请向管理员重新申请".into(),
        )),
        Err(_) => Err(ApiError::new(
            400,
            "code_unknown",
            "this enrolment code is not valid; check it and type it again".into(),
            "登记码无效，请核对后重新输入".into(),
        )),
    }
}

/// Grants a record to a user outside their unit (it enters their devices' scope).
pub fn grant(store: &impl Store, user_id: &str, record: &RecordId) -> Result<Cursor, ApiError> {
    Ok(store.transaction(|tx| {
        if tx.user(user_id)?.is_none() {
            return Err(LedgerError::Refused(ErrorBody::new(
                "unknown_user",
                format!("there is no user {user_id}"),
                format!("用户 {user_id} 不存在"),
            )));
        }
        let seq = tx.allocate_seq()?;
        tx.insert_grant(user_id, record, seq)?;
        Ok(Cursor(seq))
    })?)
}
