//! 通知转运: the community worker's transfer notice, the dispatchers' vehicles (派车) and
//! cancelling; the transfer list and detail every role sees.

use outpost_shared::i18n::Describe;
use outpost_shared::identity::mask_phone;
use outpost_shared::program;
use outpost_shared::record::{Record, RecordId, RecordKind, VehicleKind};
use outpost_shared::transfer::command::{self, NoticeInput, TransferCommand};
use outpost_shared::transfer::{self, TransferState, TransferStatus};
use serde::{Deserialize, Serialize};

use super::{PersonRef, transfer_error};
use crate::views::ReviewNote;
use crate::{AppCore, AppError};

/// The most transfers a list shows.
const TRANSFER_LIMIT: usize = 500;

#[derive(Debug, Clone, Deserialize)]
pub struct TransferNoticeInput {
    pub close_contact_riders: u32,
    pub other_riders: u32,
    pub pickup_address: String,
    pub record_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransferRef {
    pub transfer_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssignVehicleInput {
    pub transfer_id: String,
    pub plate: String,
    pub driver_phone: String,
    pub vehicle: VehicleKind,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CancelTransferInput {
    pub transfer_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransfersInput {
    /// Only transfers in this status (`TransferStatus::code`); all when absent.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VehicleView {
    pub plate: String,
    /// Masked in lists (138****0000); in full on the detail screen.
    pub driver_phone: String,
    pub kind: VehicleKind,
    pub kind_label: String,
}

/// One transfer in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferRow {
    pub transfer_id: String,
    pub status: TransferStatus,
    pub status_label: String,
    pub unit: String,
    pub unit_name: String,
    pub pickup_address: String,
    pub close_contact_riders: u32,
    pub other_riders: u32,
    pub expected: usize,
    pub boarded: usize,
    pub arrived: usize,
    pub vehicles: Vec<VehicleView>,
    pub notified_at_ms: Option<i64>,
    pub needs_review: bool,
}

/// A person on the manifest and how far they got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestEntry {
    pub person: PersonRef,
    pub boarded_at_ms: Option<i64>,
    pub arrived_at_ms: Option<i64>,
}

/// The transfer detail: the roll, the vehicles in full, what may be done now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferDetail {
    #[serde(flatten)]
    pub row: TransferRow,
    pub manifest: Vec<ManifestEntry>,
    /// Expected persons not boarded yet (masked).
    pub missing: Vec<PersonRef>,
    pub cancel_reason: Option<String>,
    /// assign_vehicle, cancel, board, complete_pickup, hotel_arrival, hotel_receive
    pub allowed: Vec<String>,
    pub reviews: Vec<ReviewNote>,
}

fn ms(at: &outpost_shared::hlc::Hlc) -> i64 {
    i64::try_from(at.wall_ms).unwrap_or(i64::MAX)
}

fn allowed_now(role: &str, state: &TransferState) -> Vec<String> {
    let community = ["worker", "escort", "leader", "admin"].contains(&role);
    let dispatcher = ["dispatcher", "admin"].contains(&role);
    let hotel = ["hotel", "admin"].contains(&role);
    let open = state.status.roll_open();
    let picked_up = state.status == TransferStatus::PickedUp;
    [
        ("assign_vehicle", dispatcher && open),
        ("cancel", (community || dispatcher) && open),
        ("board", community && open),
        (
            "complete_pickup",
            community && open && !state.boarded.is_empty(),
        ),
        ("hotel_arrival", hotel && picked_up),
        ("hotel_receive", hotel && picked_up),
    ]
    .into_iter()
    .filter(|(_, yes)| *yes)
    .map(|(code, _)| code.to_owned())
    .collect()
}

impl AppCore {
    pub(crate) fn transfer_state(
        &self,
        transfer_id: &str,
    ) -> Result<(Record, TransferState), AppError> {
        let record = self.load_kind(transfer_id, RecordKind::Transfer)?;
        let state = transfer::fold(&record.events().0);
        Ok((record, state))
    }

    fn vehicle_views(&self, state: &TransferState, masked: bool) -> Vec<VehicleView> {
        state
            .vehicles
            .iter()
            .map(|v| VehicleView {
                plate: v.plate.clone(),
                driver_phone: if masked {
                    mask_phone(&v.driver_phone)
                } else {
                    v.driver_phone.clone()
                },
                kind: v.kind,
                kind_label: v.kind.describe(self.lang()),
            })
            .collect()
    }

    fn transfer_row(&self, record: &Record, state: &TransferState, masked: bool) -> TransferRow {
        let lang = self.lang();
        let unit = record.state().unit.unwrap_or_default();
        let notice = state.notice.as_ref();
        TransferRow {
            transfer_id: record.id().to_string(),
            status: state.status,
            status_label: state.status.describe(lang),
            unit_name: self.unit_label(&unit),
            unit,
            pickup_address: notice.map(|n| n.pickup_address.clone()).unwrap_or_default(),
            close_contact_riders: notice.map_or(0, |n| n.close_contact_riders),
            other_riders: notice.map_or(0, |n| n.other_riders),
            expected: state.manifest.len(),
            boarded: state.boarded.len(),
            arrived: state.arrivals.len(),
            vehicles: self.vehicle_views(state, masked),
            notified_at_ms: notice.map(|n| ms(&n.stamp.at)),
            needs_review: !state.reviews.is_empty(),
        }
    }

    pub(crate) fn transfer_detail_of(
        &self,
        record: &Record,
        state: &TransferState,
    ) -> Result<TransferDetail, AppError> {
        let role = self.account()?.role.clone();
        let manifest = state
            .manifest
            .iter()
            .map(|p| ManifestEntry {
                person: self.person_ref(p),
                boarded_at_ms: state.boarding_of(p).map(|s| ms(&s.stamp.at)),
                arrived_at_ms: state.arrival_of(p).map(|s| ms(&s.stamp.at)),
            })
            .collect();
        let program = self.program(record.program()).ok();
        Ok(TransferDetail {
            row: self.transfer_row(record, state, false),
            manifest,
            missing: state
                .missing()
                .into_iter()
                .map(|p| self.person_ref(p))
                .collect(),
            cancel_reason: state.cancelled.as_ref().map(|(r, _)| r.clone()),
            allowed: allowed_now(&role, state),
            reviews: record
                .state()
                .reviews
                .iter()
                .map(|m| crate::views::review_note(self, program, m))
                .collect(),
        })
    }

    /// Transfers of this user's unit and below, newest first (dispatchers and hotels see every
    /// community in their scope).
    pub fn transfers(&self, input: &TransfersInput) -> Result<Vec<TransferRow>, AppError> {
        let lang = self.lang();
        let unit = self.account()?.unit.clone();
        let rows = self
            .session()?
            .replica
            .list_kind(RecordKind::Transfer, &unit, TRANSFER_LIMIT)
            .map_err(|e| AppError::replica(lang, e))?;
        let mut transfers = Vec::new();
        for row in rows {
            let (record, state) = self.transfer_state(&row.id)?;
            if input
                .status
                .as_deref()
                .is_none_or(|s| s.is_empty() || s == state.status.code())
            {
                transfers.push(self.transfer_row(&record, &state, true));
            }
        }
        Ok(transfers)
    }

    /// The transfer detail screen.
    pub fn transfer(&self, input: &TransferRef) -> Result<TransferDetail, AppError> {
        let (record, state) = self.transfer_state(&input.transfer_id)?;
        self.transfer_detail_of(&record, &state)
    }

    /// Another transfer (not cancelled) of this user's scope that lists `person`.
    pub(crate) fn other_transfer_of(&self, person: &str, except: &str) -> Option<String> {
        let unit = self.account().ok()?.unit.clone();
        let rows = self
            .session()
            .ok()?
            .replica
            .list_kind(RecordKind::Transfer, &unit, TRANSFER_LIMIT)
            .ok()?;
        rows.into_iter().filter(|r| r.id != except).find_map(|r| {
            let (_, state) = self.transfer_state(&r.id).ok()?;
            (state.status != TransferStatus::Cancelled && state.is_on_manifest(person))
                .then_some(r.id)
        })
    }

    /// 通知转运: creates the transfer for the chosen persons of one community; it reaches the
    /// dispatchers at the next sync.
    pub fn transfer_notice(
        &mut self,
        input: &TransferNoticeInput,
    ) -> Result<TransferDetail, AppError> {
        let lang = self.lang();
        let role = self.account()?.role.clone();
        let mut persons = Vec::new();
        let mut unit: Option<String> = None;
        let mut program_id: Option<String> = None;
        for id in &input.record_ids {
            let record = self.load_kind(id, RecordKind::Person)?;
            let program = self.program_allowing(&record, program::Action::TransferNotice)?;
            let person_unit = record.state().unit.unwrap_or_default();
            if unit.get_or_insert_with(|| person_unit.clone()) != &person_unit
                || program_id.get_or_insert_with(|| program.id().to_owned()) != program.id()
            {
                return Err(AppError::bad_input(
                    lang,
                    "一张转运单只能包含同一社区、同一流程的人员",
                    "One transfer takes persons of one community and one program",
                ));
            }
            persons.push(RecordId::new(id.as_str()).map_err(|_| AppError::not_found(lang))?);
        }
        let id = format!(
            "t-{}",
            hex::encode(crate::vault::random::<8>().map_err(|e| AppError::internal(lang, e))?)
        );
        let (new, notice) = command::notice(
            &role,
            &id,
            program_id.as_deref().unwrap_or_default(),
            unit.as_deref().unwrap_or_default(),
            &NoticeInput {
                close_contact_riders: input.close_contact_riders,
                other_riders: input.other_riders,
                pickup_address: input.pickup_address.clone(),
                persons,
            },
        )
        .map_err(|e| transfer_error(lang, &e))?;
        let now = self.now_u64();
        let session = self.session_mut()?;
        let mut record = Record::create(new, &session.author, &mut session.hlc, now)
            .map_err(|e| AppError::internal(lang, e))?;
        record
            .append(&session.author, &mut session.hlc, now, notice)
            .map_err(|e| AppError::internal(lang, e))?;
        session
            .replica
            .write(|w| w.save(&mut record))
            .map_err(|e| AppError::replica(lang, e))?;
        self.transfer(&TransferRef { transfer_id: id })
    }

    /// Checks `command` on a transfer and appends its event; returns the new state.
    pub(crate) fn act_on_transfer(
        &mut self,
        transfer_id: &str,
        command: &TransferCommand,
    ) -> Result<(Record, TransferState), AppError> {
        let lang = self.lang();
        let role = self.account()?.role.clone();
        let (mut record, state) = self.transfer_state(transfer_id)?;
        let action =
            command::check(&role, &state, command).map_err(|e| transfer_error(lang, &e))?;
        let now = self.now_u64();
        let session = self.session_mut()?;
        record
            .append(&session.author, &mut session.hlc, now, action)
            .map_err(|e| AppError::internal(lang, e))?;
        session
            .replica
            .write(|w| w.save(&mut record))
            .map_err(|e| AppError::replica(lang, e))?;
        let state = transfer::fold(&record.events().0);
        Ok((record, state))
    }

    /// 派车 (dispatchers): a vehicle with its plate and the driver's phone.
    pub fn assign_vehicle(
        &mut self,
        input: &AssignVehicleInput,
    ) -> Result<TransferDetail, AppError> {
        let (record, state) = self.act_on_transfer(
            &input.transfer_id,
            &TransferCommand::AssignVehicle {
                plate: input.plate.clone(),
                driver_phone: input.driver_phone.clone(),
                vehicle: input.vehicle,
            },
        )?;
        self.transfer_detail_of(&record, &state)
    }

    /// 取消转运通知, with the reason.
    pub fn cancel_transfer(
        &mut self,
        input: &CancelTransferInput,
    ) -> Result<TransferDetail, AppError> {
        let (record, state) = self.act_on_transfer(
            &input.transfer_id,
            &TransferCommand::Cancel {
                reason: input.reason.clone(),
            },
        )?;
        self.transfer_detail_of(&record, &state)
    }
}
