//! What may be done to a transfer (转运操作校验), checked against the user's role and the
//! transfer's state before the event is written — offline in the app, the same everywhere.

use thiserror::Error;

use super::{TransferState, TransferStatus};
use crate::i18n::{Describe, Lang};
use crate::identity::PhoneNumber;
use crate::record::{Action, NewRecord, RecordId, RecordKind, VehicleKind};

/// Roles that prepare transfers and call the roll (社区工作人员, 社区护送人员).
const COMMUNITY_ROLES: &[&str] = &["worker", "escort", "leader", "admin"];
const DISPATCH_ROLES: &[&str] = &["dispatcher", "admin"];
const HOTEL_ROLES: &[&str] = &["hotel", "admin"];
/// The longest pickup address or reason kept.
const MAX_TEXT: usize = 200;

/// A command on a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferCommand {
    /// 派车
    AssignVehicle {
        plate: String,
        driver_phone: String,
        vehicle: VehicleKind,
    },
    /// 取消转运通知
    Cancel { reason: String },
    /// 刷环上车 of a person the roll call identified.
    Board { person: String, tag: String },
    /// 完成接人
    CompletePickup,
    /// 酒店签收 of a person the hotel desk identified.
    HotelArrival { person: String, tag: String },
    /// 已送达酒店
    HotelReceive,
}

/// Why a transfer command cannot be carried out. Never contains personal data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransferError {
    #[error("your role may not do this")]
    RoleNotAllowed,
    #[error("the transfer was cancelled")]
    Cancelled,
    #[error("the roll is closed: pickup is already complete")]
    RollClosed,
    #[error("the pickup is not complete yet, so the hotel has no list to check")]
    NotPickedUp,
    #[error("the hotel has already received this transfer")]
    AlreadyReceived,
    #[error("enter how many persons go by close-contact vehicle and by other vehicle")]
    NoRiders,
    #[error("enter the pickup address")]
    NoAddress,
    #[error("choose the persons to transfer")]
    NoPersons,
    #[error("the number plate `{0}` is not a Chinese plate such as 闽D12345")]
    BadPlate(String),
    #[error("the driver's phone number is invalid")]
    BadDriverPhone,
    #[error("enter the reason")]
    NoReason,
    #[error("nobody has boarded yet")]
    NobodyBoarded,
    #[error("the transfer id is invalid")]
    BadId,
}

impl Describe for TransferError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::RoleNotAllowed => "您的角色不能进行该操作".into(),
            Self::Cancelled => "该转运通知已取消".into(),
            Self::RollClosed => "已完成接人，名单已关闭".into(),
            Self::NotPickedUp => "尚未完成接人，酒店暂无交接名单".into(),
            Self::AlreadyReceived => "酒店已签收该转运单".into(),
            Self::NoRiders => "请填写密接车辆转运人数和非密接车辆转运人数".into(),
            Self::NoAddress => "请填写接车地址".into(),
            Self::NoPersons => "请选择须转运的人员".into(),
            Self::BadPlate(plate) => format!("车牌号 {plate} 格式不正确（例如 闽D12345）"),
            Self::BadDriverPhone => "司机手机号码不正确".into(),
            Self::NoReason => "请填写原因".into(),
            Self::NobodyBoarded => "还没有人员上车".into(),
            Self::BadId => "转运单编号无效".into(),
        }
    }
}

fn role_in(role: &str, allowed: &[&str]) -> Result<(), TransferError> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(TransferError::RoleNotAllowed)
    }
}

fn text(raw: &str) -> String {
    raw.trim().chars().take(MAX_TEXT).collect()
}

/// A Chinese number plate: a province character, a letter, then 5 (or 6 for new-energy
/// vehicles) letters and digits. Returned upper-cased without spaces.
pub fn normalise_plate(raw: &str) -> Result<String, TransferError> {
    let plate: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '·' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let chars: Vec<char> = plate.chars().collect();
    let well_formed = matches!(chars.len(), 7 | 8)
        && !chars[0].is_ascii()
        && chars[1].is_ascii_uppercase()
        && chars[2..].iter().all(|c| c.is_ascii_alphanumeric());
    if well_formed {
        Ok(plate)
    } else {
        Err(TransferError::BadPlate(
            raw.trim().chars().take(12).collect(),
        ))
    }
}

/// What a transfer notice holds, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeInput {
    pub close_contact_riders: u32,
    pub other_riders: u32,
    pub pickup_address: String,
    pub persons: Vec<RecordId>,
}

/// 通知转运: the new transfer record for `unit` (the community) and its notice event.
pub fn notice(
    role: &str,
    id: &str,
    program: &str,
    unit: &str,
    input: &NoticeInput,
) -> Result<(NewRecord, Action), TransferError> {
    role_in(role, COMMUNITY_ROLES)?;
    if input.close_contact_riders + input.other_riders == 0 {
        return Err(TransferError::NoRiders);
    }
    let pickup_address = text(&input.pickup_address);
    if pickup_address.is_empty() {
        return Err(TransferError::NoAddress);
    }
    let mut persons: Vec<String> = Vec::new();
    for person in &input.persons {
        if !persons.iter().any(|p| p == person.as_str()) {
            persons.push(person.as_str().to_owned());
        }
    }
    if persons.is_empty() {
        return Err(TransferError::NoPersons);
    }
    let new = NewRecord {
        id: RecordId::new(id).map_err(|_| TransferError::BadId)?,
        kind: RecordKind::Transfer,
        program: program.to_owned(),
        unit: unit.to_owned(),
        batch: None,
        fields: Vec::new(),
    };
    Ok((
        new,
        Action::TransferNotified {
            close_contact_riders: input.close_contact_riders,
            other_riders: input.other_riders,
            pickup_address,
            persons,
        },
    ))
}

/// Checks `command` against the transfer as this replica knows it; the event to append.
pub fn check(
    role: &str,
    state: &TransferState,
    command: &TransferCommand,
) -> Result<Action, TransferError> {
    if state.status == TransferStatus::Cancelled {
        return Err(TransferError::Cancelled);
    }
    match command {
        TransferCommand::AssignVehicle {
            plate,
            driver_phone,
            vehicle,
        } => {
            role_in(role, DISPATCH_ROLES)?;
            if !state.status.roll_open() {
                return Err(TransferError::RollClosed);
            }
            let plate = normalise_plate(plate)?;
            let phone =
                PhoneNumber::parse(driver_phone).map_err(|_| TransferError::BadDriverPhone)?;
            Ok(Action::VehicleAssigned {
                plate,
                driver_phone: phone.as_str().to_owned(),
                vehicle: *vehicle,
            })
        }
        TransferCommand::Cancel { reason } => {
            role_in(
                role,
                &["worker", "escort", "leader", "dispatcher", "admin"][..],
            )?;
            if !state.status.roll_open() {
                return Err(TransferError::RollClosed);
            }
            let reason = text(reason);
            if reason.is_empty() {
                return Err(TransferError::NoReason);
            }
            Ok(Action::TransferCancelled { reason })
        }
        TransferCommand::Board { person, tag } => {
            role_in(role, COMMUNITY_ROLES)?;
            if !state.status.roll_open() {
                return Err(TransferError::RollClosed);
            }
            Ok(Action::BoardingScanned {
                person: person.clone(),
                tag: tag.clone(),
            })
        }
        TransferCommand::CompletePickup => {
            role_in(role, COMMUNITY_ROLES)?;
            if !state.status.roll_open() {
                return Err(TransferError::RollClosed);
            }
            if state.boarded.is_empty() {
                return Err(TransferError::NobodyBoarded);
            }
            Ok(Action::PickupCompleted {
                boarded: u32::try_from(state.boarded.len()).unwrap_or(u32::MAX),
            })
        }
        TransferCommand::HotelArrival { person, tag } => {
            role_in(role, HOTEL_ROLES)?;
            match state.status {
                TransferStatus::PickedUp => Ok(Action::HotelArrivalScanned {
                    person: person.clone(),
                    tag: tag.clone(),
                }),
                TransferStatus::DeliveredToHotel => Err(TransferError::AlreadyReceived),
                _ => Err(TransferError::NotPickedUp),
            }
        }
        TransferCommand::HotelReceive => {
            role_in(role, HOTEL_ROLES)?;
            match state.status {
                TransferStatus::PickedUp => Ok(Action::HotelReceived {
                    arrived: u32::try_from(state.arrivals.len()).unwrap_or(u32::MAX),
                }),
                TransferStatus::DeliveredToHotel => Err(TransferError::AlreadyReceived),
                _ => Err(TransferError::NotPickedUp),
            }
        }
    }
}
