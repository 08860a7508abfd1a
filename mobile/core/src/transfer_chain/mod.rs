//! Seed 003's transfer chain in the field app (社区转运准备 → 接人上车 → 隔离酒店), all offline:
//!
//! - [`supplies`]: the catalogue, the community's stock ledger (入库, 发放, 盘点调整) and the
//!   stock report; issuing to a person writes the person's record and the ledger in one
//!   transaction.
//! - [`wristbands`]: 扫码绑定, and replacing a lost wristband with its history kept.
//! - [`transfers`]: 通知转运 (the notice and its manifest), the dispatchers' 派车, cancelling.
//! - [`roll_call`]: 接人上车 — one scan, one verdict with its own kind — 完成接人, and the
//!   hotel desk's arrival check against the same list.
//!
//! Every action is checked (`transfer::command`, the program's actions, the user's role) and
//! written in one replica transaction; lists mask personal data.

pub mod roll_call;
pub mod supplies;
pub mod transfers;
pub mod wristbands;

use outpost_shared::i18n::Lang;
use outpost_shared::identity::mask_name;
use outpost_shared::program::{self, Program};
use outpost_shared::record::{Action, Record, RecordId, RecordKind};
use outpost_shared::replica::SearchQuery;
use outpost_shared::transfer::command::TransferError;
use serde::Serialize;

use crate::{AppCore, AppError, ErrorCode};

/// The longest wristband code accepted (a QR payload or an NFC UID in hex).
const MAX_TAG_LEN: usize = 64;

/// A wristband as scanned, in canonical form: what a keyboard-wedge scanner typed (surrounding
/// whitespace and the final Enter dropped), letters upper-cased. `None` if it cannot be a
/// wristband code at all.
pub(crate) fn canonical_tag(raw: &str) -> Option<String> {
    let tag: String = raw.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
    let well_formed = (4..=MAX_TAG_LEN).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b':');
    well_formed.then_some(tag)
}

/// [`canonical_tag`], or the error a binding screen shows.
pub(crate) fn read_tag(raw: &str, lang: Lang) -> Result<String, AppError> {
    canonical_tag(raw).ok_or_else(|| {
        AppError::bad_input(
            lang,
            "无法识别的手环编码，请重新扫码",
            "Not a wristband code: scan again",
        )
    })
}

/// A person as lists show them: the record id and the masked name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRef {
    pub record_id: String,
    pub masked_name: String,
}

pub(crate) fn transfer_error(lang: Lang, error: &TransferError) -> AppError {
    let code = match error {
        TransferError::RoleNotAllowed
        | TransferError::Cancelled
        | TransferError::RollClosed
        | TransferError::NotPickedUp
        | TransferError::AlreadyReceived => ErrorCode::NotAllowed,
        _ => ErrorCode::BadInput,
    };
    AppError::described(code, lang, error)
}

/// The history line of a transfer-chain event on a person's record, in the user's language.
pub(crate) fn history_label(core: &AppCore, action: &Action) -> Option<String> {
    let zh = core.lang() == Lang::Zh;
    Some(match action {
        Action::TagBound { tag } => {
            if zh {
                format!("绑定手环 {tag}")
            } else {
                format!("Wristband {tag} bound")
            }
        }
        Action::TagUnbound { tag, reason } => {
            let reason = reason
                .as_deref()
                .map(|r| format!("（{r}）"))
                .unwrap_or_default();
            if zh {
                format!("解绑手环 {tag}{reason}")
            } else {
                format!("Wristband {tag} removed{reason}")
            }
        }
        Action::SuppliesIssued { item, quantity } => {
            let label = core
                .catalogue()
                .item(item)
                .map_or_else(|| item.clone(), |i| i.label.get(core.lang()).to_owned());
            if zh {
                format!("发放物资：{label} × {quantity}")
            } else {
                format!("Supplies issued: {label} × {quantity}")
            }
        }
        Action::Boarded { transfer } => {
            if zh {
                format!("刷环上车（转运单 {transfer}）")
            } else {
                format!("Boarded (transfer {transfer})")
            }
        }
        Action::ArrivedAtHotel { transfer } => {
            if zh {
                format!("到达隔离酒店（转运单 {transfer}）")
            } else {
                format!("Arrived at the hotel (transfer {transfer})")
            }
        }
        _ => return None,
    })
}

impl AppCore {
    /// The masked name of a record this replica holds ("" for records without a name).
    pub(crate) fn masked_name_of(&self, record_id: &str) -> String {
        let Ok(id) = RecordId::new(record_id) else {
            return String::new();
        };
        self.session()
            .ok()
            .and_then(|s| s.replica.summary(&id).ok().flatten())
            .and_then(|s| s.name)
            .map(|n| mask_name(&n))
            .unwrap_or_default()
    }

    pub(crate) fn person_ref(&self, record_id: &str) -> PersonRef {
        PersonRef {
            record_id: record_id.to_owned(),
            masked_name: self.masked_name_of(record_id),
        }
    }

    /// The persons a wristband is bound to now, by record id.
    pub(crate) fn bound_to(&self, tag: &str) -> Result<Vec<String>, AppError> {
        let lang = self.lang();
        let found = self
            .session()?
            .replica
            .search(&SearchQuery::Tag(tag.to_owned()), 8)
            .map_err(|e| AppError::replica(lang, e))?;
        Ok(found
            .into_iter()
            .filter(|r| r.kind == RecordKind::Person)
            .map(|r| r.id)
            .collect())
    }

    /// Loads a record of `kind`; any other id is "not found".
    pub(crate) fn load_kind(&self, record_id: &str, kind: RecordKind) -> Result<Record, AppError> {
        let lang = self.lang();
        let id = RecordId::new(record_id).map_err(|_| AppError::not_found(lang))?;
        self.session()?
            .replica
            .load(&id)
            .map_err(|e| AppError::replica(lang, e))?
            .filter(|r| r.kind() == kind)
            .ok_or_else(|| AppError::not_found(lang))
    }

    /// The program of a record, which must allow `action`.
    pub(crate) fn program_allowing(
        &self,
        record: &Record,
        action: program::Action,
    ) -> Result<Program, AppError> {
        let lang = self.lang();
        let program = self.program(record.program())?.clone();
        if program.allows(action) {
            Ok(program)
        } else {
            Err(AppError::new(
                ErrorCode::NotAllowed,
                lang,
                format!("本流程不支持该操作（{}）", action.code()),
                format!("The program does not allow `{}`", action.code()),
            ))
        }
    }

    pub(crate) fn now_u64(&self) -> u64 {
        u64::try_from(self.now_ms()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_tag;

    #[test]
    fn a_keyboard_wedge_scan_is_read_in_canonical_form() {
        assert_eq!(
            canonical_tag(" opw1-00000042-7k3q\n").as_deref(),
            Some("OPW1-00000042-7K3Q")
        );
        assert_eq!(canonical_tag("04:A2:1B:7C").as_deref(), Some("04:A2:1B:7C"));
        assert_eq!(canonical_tag("李明"), None);
        assert_eq!(canonical_tag("ab"), None);
    }
}
