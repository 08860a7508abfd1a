//! 接人上车 and the hotel's arrival check: one scan in, one verdict out.
//!
//! The scan → verdict path is what an escort waits on with a queue of people in front of the
//! bus, so it does the least it can: read the tag, one indexed lookup of who wears it, load and
//! fold the one transfer, judge, and — only for an accepted scan — append to the transfer and
//! the person in one replica transaction. Counts and the missing names come from the same fold.
//! (BENCHMARKS.md has the measured time.)

use outpost_shared::i18n::Describe;
use outpost_shared::record::{Action, RecordId, RecordKind};
use outpost_shared::replica::ReplicaError;
use outpost_shared::transfer::command::{self, TransferCommand};
use outpost_shared::transfer::roll::{self, Hop, ScanKind};
use outpost_shared::transfer::{self, TransferState};
use serde::{Deserialize, Serialize};

use super::transfers::{TransferDetail, TransferRef};
use super::{PersonRef, canonical_tag, transfer_error};
use crate::{AppCore, AppError};

#[derive(Debug, Clone, Deserialize)]
pub struct ScanInput {
    pub transfer_id: String,
    /// What the scanner read: keyboard-wedge text, a decoded QR payload or an NFC UID.
    pub scan: String,
}

/// What one scan did, for the escort's screen: its kind picks the sound and the colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanResult {
    pub kind: ScanKind,
    /// Whether the scan was recorded (green); otherwise a warning with its own sound.
    pub accepted: bool,
    pub message: String,
    pub person: Option<PersonRef>,
    pub other_transfer: Option<String>,
    /// Boarded (or, at the hotel, arrived) so far, and how many are expected.
    pub done: usize,
    pub expected: usize,
    /// Who is still missing (masked), in manifest order.
    pub missing: Vec<PersonRef>,
}

impl AppCore {
    fn scan_result(&self, hop: Hop, state: &TransferState, verdict: roll::Verdict) -> ScanResult {
        let lang = self.lang();
        let person = verdict.person.as_deref().map(|p| self.person_ref(p));
        let mut message = verdict.kind.describe(lang);
        if let Some(p) = &person
            && !p.masked_name.is_empty()
        {
            message = format!("{message}：{}", p.masked_name);
        }
        let (done, expected, missing) = match hop {
            Hop::Boarding => (state.boarded.len(), state.manifest.len(), state.missing()),
            Hop::Hotel => (
                state.arrivals.len(),
                state.boarded.len(),
                state.not_arrived(),
            ),
        };
        ScanResult {
            accepted: verdict.kind.accepted(),
            kind: verdict.kind,
            message,
            person,
            other_transfer: verdict.other_transfer,
            done,
            expected,
            missing: missing.into_iter().map(|p| self.person_ref(p)).collect(),
        }
    }

    fn scan_at(&mut self, hop: Hop, input: &ScanInput) -> Result<ScanResult, AppError> {
        let lang = self.lang();
        let role = self.account()?.role.clone();
        let (mut record, state) = self.transfer_state(&input.transfer_id)?;
        // The roll must be open at this hop (and the role entitled) before any verdict: after
        // 完成接人 an escort's scan is refused as such, not judged "already boarded".
        let gate = match hop {
            Hop::Boarding => TransferCommand::Board {
                person: String::new(),
                tag: String::new(),
            },
            Hop::Hotel => TransferCommand::HotelArrival {
                person: String::new(),
                tag: String::new(),
            },
        };
        command::check(&role, &state, &gate).map_err(|e| transfer_error(lang, &e))?;
        let tag = match canonical_tag(&input.scan) {
            Ok(tag) => tag,
            Err(error) => {
                let verdict = roll::Verdict {
                    kind: ScanKind::UnknownWristband,
                    person: None,
                    other_transfer: None,
                };
                let mut result = self.scan_result(hop, &state, verdict);
                result.message = format!("{}：{}", result.message, error.describe(lang));
                return Ok(result);
            }
        };
        let bound_to = self.bound_to(&tag)?;
        let verdict = roll::judge(hop, &state, &bound_to, |person| {
            self.other_transfer_of(person, &input.transfer_id)
        });
        let Some(person) = verdict.person.clone().filter(|_| verdict.kind.accepted()) else {
            return Ok(self.scan_result(hop, &state, verdict));
        };
        let (transfer_command, person_action) = match hop {
            Hop::Boarding => (
                TransferCommand::Board {
                    person: person.clone(),
                    tag,
                },
                Action::Boarded {
                    transfer: input.transfer_id.clone(),
                },
            ),
            Hop::Hotel => (
                TransferCommand::HotelArrival {
                    person: person.clone(),
                    tag,
                },
                Action::ArrivedAtHotel {
                    transfer: input.transfer_id.clone(),
                },
            ),
        };
        let action = command::check(&role, &state, &transfer_command)
            .map_err(|e| transfer_error(lang, &e))?;
        let person_id = RecordId::new(person.as_str()).map_err(|_| AppError::not_found(lang))?;
        let now = self.now_u64();
        let session = self.session_mut()?;
        let author = session.author.clone();
        let hlc = &mut session.hlc;
        session
            .replica
            .write(|w| {
                let damaged = |id: &str, e| ReplicaError::record(id.to_owned(), e);
                record
                    .append(&author, hlc, now, action)
                    .map_err(|e| damaged(record.id().as_str(), e))?;
                // The person's own history; a person this device does not hold (moved away
                // meanwhile) still counts on the transfer, which is the roll.
                if let Some(mut person) = w.load(&person_id)?
                    && person.kind() == RecordKind::Person
                {
                    person
                        .append(&author, hlc, now, person_action)
                        .map_err(|e| damaged(person_id.as_str(), e))?;
                    w.save(&mut person)?;
                }
                w.save(&mut record)
            })
            .map_err(|e| AppError::replica(lang, e))?;
        let state = transfer::fold(&record.events().0);
        Ok(self.scan_result(hop, &state, verdict))
    }

    /// 刷环上车: one wristband scanned at the vehicle door.
    pub fn boarding_scan(&mut self, input: &ScanInput) -> Result<ScanResult, AppError> {
        self.scan_at(Hop::Boarding, input)
    }

    /// 隔离酒店签收: one wristband scanned at the hotel desk, against the handed-over list.
    pub fn hotel_scan(&mut self, input: &ScanInput) -> Result<ScanResult, AppError> {
        self.scan_at(Hop::Hotel, input)
    }

    /// 完成接人: closes the roll; the boarded list is what the hotel checks arrivals against.
    pub fn complete_pickup(&mut self, input: &TransferRef) -> Result<TransferDetail, AppError> {
        let (record, state) =
            self.act_on_transfer(&input.transfer_id, &TransferCommand::CompletePickup)?;
        self.transfer_detail_of(&record, &state)
    }

    /// 已送达酒店: the hotel desk closes the arrivals.
    pub fn hotel_receive(&mut self, input: &TransferRef) -> Result<TransferDetail, AppError> {
        let (record, state) =
            self.act_on_transfer(&input.transfer_id, &TransferCommand::HotelReceive)?;
        self.transfer_detail_of(&record, &state)
    }
}
