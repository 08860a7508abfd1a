//! The display names of the users a device may meet (`SyncResponse::names`), so that the field
//! app says who did what (张三, 区卫健局) where it could only say `nansha-worker-1`: a device
//! knows only its own account otherwise.
//!
//! Which users: those whose unit is within the device user's unit, those on its path to the
//! root (the town's leaders, the district's staff) and the administrators ([`meets`]) — the
//! users whose work is on the records the device holds. Worker names are staff names, not the
//! personal data of the persons followed up; still, they are never logged, only counted.
//!
//! Like the program set, a set is named by its version (a SHA-256 over its entries), the device
//! says which version it holds (`SyncRequest::names_version`) and the server sends its set only
//! when that differs. What a device takes is bounded ([`MAX_USER_NAMES`] names of at most
//! [`MAX_USER_NAME_CHARS`] characters, ids of at most [`MAX_USER_ID_BYTES`]); reading a set
//! past them never fails — the set reads as refused ([`UserNames::check`] says why) and the rest
//! of the response stays as it is. The server refuses to build such a set
//! ([`UserNames::new`]) and user names past the bound at creation.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::programs::Limited;
use crate::i18n::{Describe, Lang};

/// The most names in a set a device takes: a district's staff many times over.
pub const MAX_USER_NAMES: usize = 5_000;
/// The most characters of one display name.
pub const MAX_USER_NAME_CHARS: usize = 64;
/// The most bytes of a user id (as the server creates them).
pub const MAX_USER_ID_BYTES: usize = 64;
/// A version's length: SHA-256 in hex.
pub const NAMES_VERSION_CHARS: usize = 64;
/// The user the server's deadline engine writes as (its alerts): not a person, and never in a
/// set — the app names it 系统 / System.
pub const SYSTEM_USER: &str = "system";
/// The role whose users every device meets, wherever their unit (管理员).
pub const ADMIN_ROLE: &str = "admin";

/// Whether a device whose user works in `device_unit` meets a user of `unit` and `role`: the
/// user's unit is within the device's, or on its path to the root (unit codes nest by prefix,
/// as scopes do), or the user is an administrator.
pub fn meets(device_unit: &str, unit: &str, role: &str) -> bool {
    role == ADMIN_ROLE || unit.starts_with(device_unit) || device_unit.starts_with(unit)
}

/// The display names of the users a device meets, by user id, with their version (用户姓名表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserNames {
    pub version: String,
    pub names: BTreeMap<String, String>,
    /// Why a received set cannot be taken, found while it was read (`names` is then empty).
    #[serde(skip)]
    refused: Option<UserNamesError>,
}

/// Why a set of user names cannot be sent or taken. Says ids and counts, never names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UserNamesError {
    #[error(
        "{count} users' names would go to one device and a device takes at most {MAX_USER_NAMES}"
    )]
    TooMany { count: usize },
    #[error(
        "user {user}'s display name is longer than {MAX_USER_NAME_CHARS} characters: shorten it"
    )]
    NameTooLong { user: String },
    #[error("a user id has {bytes} bytes; ids have 1 to {MAX_USER_ID_BYTES}")]
    BadUserId { bytes: usize },
    #[error("the user names' version does not match them")]
    VersionMismatch,
}

impl Describe for UserNamesError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::TooMany { count }, Lang::Zh) => {
                format!("将发往一台设备的用户姓名有 {count} 个，设备最多接收 {MAX_USER_NAMES} 个")
            }
            (Self::NameTooLong { user }, Lang::Zh) => {
                format!("用户 {user} 的姓名超过 {MAX_USER_NAME_CHARS} 个字符，请缩短")
            }
            (Self::BadUserId { bytes }, Lang::Zh) => {
                format!("用户编号有 {bytes} 字节，应为 1 至 {MAX_USER_ID_BYTES} 字节")
            }
            (Self::VersionMismatch, Lang::Zh) => "用户姓名表的版本与其内容不符".to_owned(),
        }
    }
}

impl UserNames {
    /// The set of `names`, with its version; refused when a device would refuse it.
    pub fn new(names: BTreeMap<String, String>) -> Result<Self, UserNamesError> {
        check_names(&names)?;
        Ok(Self {
            version: Self::version_of(&names),
            names,
            refused: None,
        })
    }

    /// SHA-256 over each id and name in id order, each preceded by its length so that no two
    /// sets hash the same bytes.
    pub fn version_of(names: &BTreeMap<String, String>) -> String {
        let mut hash = Sha256::new();
        for (id, name) in names {
            for part in [id, name] {
                hash.update((part.len() as u64).to_be_bytes());
                hash.update(part.as_bytes());
            }
        }
        hex::encode(hash.finalize())
    }

    /// Whether a device can take this set: within the bounds, the version its names'.
    pub fn check(&self) -> Result<(), UserNamesError> {
        if let Some(refused) = &self.refused {
            return Err(refused.clone());
        }
        check_names(&self.names)?;
        if self.version != Self::version_of(&self.names) {
            return Err(UserNamesError::VersionMismatch);
        }
        Ok(())
    }

    /// The display name of `user`, if the set has one.
    pub fn get(&self, user: &str) -> Option<&str> {
        self.names
            .get(user)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }
}

fn check_names(names: &BTreeMap<String, String>) -> Result<(), UserNamesError> {
    if names.len() > MAX_USER_NAMES {
        return Err(UserNamesError::TooMany { count: names.len() });
    }
    for (id, name) in names {
        check_entry(id, name)?;
    }
    Ok(())
}

fn check_entry(id: &str, name: &str) -> Result<(), UserNamesError> {
    if id.is_empty() || id.len() > MAX_USER_ID_BYTES {
        return Err(UserNamesError::BadUserId { bytes: id.len() });
    }
    if name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(UserNamesError::NameTooLong {
            user: id.to_owned(),
        });
    }
    Ok(())
}

/// The most bytes a name within [`MAX_USER_NAME_CHARS`] can have in UTF-8.
const MAX_USER_NAME_BYTES: usize = MAX_USER_NAME_CHARS * 4;

impl<'de> Deserialize<'de> for UserNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            version: Limited<NAMES_VERSION_CHARS>,
            names: Names,
        }
        let Wire { version, names } = Wire::deserialize(deserializer)?;
        let (version, refused) = match version.0 {
            Ok(version) => (version, names.refused),
            Err(_) => (
                String::new(),
                names.refused.or(Some(UserNamesError::VersionMismatch)),
            ),
        };
        Ok(Self {
            version,
            names: if refused.is_some() {
                BTreeMap::new()
            } else {
                names.names
            },
            refused,
        })
    }
}

/// The names of a received set: at most [`MAX_USER_NAMES`], each within its bounds, or none
/// and why.
struct Names {
    names: BTreeMap<String, String>,
    refused: Option<UserNamesError>,
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamesVisitor;
        impl<'de> Visitor<'de> for NamesVisitor {
            type Value = Names;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of user ids to display names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Names, A::Error> {
                // Not sized by the sender's hint: it is the peer's to make up.
                let mut names = BTreeMap::new();
                let refused = loop {
                    let Some((id, name)) = map
                        .next_entry::<Limited<MAX_USER_ID_BYTES>, Limited<MAX_USER_NAME_BYTES>>()?
                    else {
                        return Ok(Names {
                            names,
                            refused: None,
                        });
                    };
                    if names.len() == MAX_USER_NAMES {
                        break UserNamesError::TooMany {
                            count: MAX_USER_NAMES + 1,
                        };
                    }
                    let id = match id.0 {
                        Ok(id) => id,
                        Err(bytes) => break UserNamesError::BadUserId { bytes },
                    };
                    let name = match name.0 {
                        Ok(name) => name,
                        Err(_) => break UserNamesError::NameTooLong { user: id },
                    };
                    if let Err(error) = check_entry(&id, &name) {
                        break error;
                    }
                    names.insert(id, name);
                };
                // The rest is read over without being kept.
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Names {
                    names: BTreeMap::new(),
                    refused: Some(refused),
                })
            }
        }
        deserializer.deserialize_map(NamesVisitor)
    }
}
