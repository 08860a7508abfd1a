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
use outpost_shared::tag::{Tag, TagError};
use outpost_shared::transfer::command::TransferError;
use serde::Serialize;

use crate::{AppCore, AppError, ErrorCode};

/// A wristband as scanned (a QR payload, the printed id typed by hand, an NFC chip UID — from
/// a camera, a keyboard-wedge scanner or a reader), in the canonical form bindings store.
pub(crate) fn canonical_tag(raw: &str) -> Result<String, TagError> {
    Tag::parse_scan(raw).map(|tag| tag.to_string())
}

/// [`canonical_tag`], or the error a binding screen shows (misread, forged, not a wristband).
pub(crate) fn read_tag(raw: &str, lang: Lang) -> Result<String, AppError> {
    canonical_tag(raw).map_err(|e| AppError::described(ErrorCode::BadInput, lang, &e))
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
    use outpost_shared::i18n::Lang;
    use outpost_shared::tag::WristbandId;

    use super::{canonical_tag, read_tag};

    #[test]
    fn a_keyboard_wedge_scan_is_read_in_canonical_form() {
        let band = WristbandId::new(42).unwrap();
        let typed = format!(" {}\r\n", band.payload().to_lowercase());
        assert_eq!(canonical_tag(&typed).unwrap(), band.payload());
        assert_eq!(
            canonical_tag("04:a1:b2:c3:d4:e5:f6").unwrap(),
            "NFC:04A1B2C3D4E5F6"
        );
    }

    #[test]
    fn a_bad_scan_is_refused_with_the_tag_module_s_message() {
        let error = read_tag("OPW1-00000042-XXXX", Lang::Zh).unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::BadInput);
        assert!(!error.message.is_empty());
        assert!(read_tag("李明", Lang::En).is_err());
    }
}
