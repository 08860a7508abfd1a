//! Transfers (转运单): taking the persons of a community to a quarantine hotel (seed 003,
//! 社区转运准备 → 通知转运 → 接人上车 → 完成接人 → 隔离酒店).
//!
//! A transfer is a record of kind `Transfer`, created by a community worker with a
//! `TransferNotified` event (how many go by close-contact vehicle and by other vehicle, the
//! pickup address, the expected persons). Its unit is the community, so it syncs to that
//! community's devices and to the transfer dispatchers (转运调度) and hotel desks whose scope
//! holds the community. Dispatchers add `VehicleAssigned`; escorts scan wristbands
//! (`BoardingScanned`) and close the roll (`PickupCompleted`); the hotel desk scans arrivals
//! against the boarded list (`HotelArrivalScanned`) and closes them (`HotelReceived`).
//!
//! The roll lives in the transfer's own document, so two escorts scanning the same transfer on
//! two offline devices converge on one roll when they sync: a person scanned twice is boarded
//! once (the earlier scan stands), and counts are the fold of the same events everywhere. The
//! person's own record gets `Boarded` / `ArrivedAtHotel` too, for their history.
//!
//! Offline races are never lost: a scan made without seeing the roll's closure still counts and
//! is marked for review (`ScannedAfterRollClosed`); anything done without seeing a cancellation
//! is marked `ActionOnCancelledTransfer`.

pub mod command;
pub mod roll;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::i18n::{Describe, Lang};
use crate::record::{
    Action, ActionKind, Causality, Event, EventId, ReviewMark, ReviewReason, Stamp, VehicleKind,
    in_clock_order, settles, stamp,
};

/// Where a transfer stands (转运状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// 待派车: notified, no vehicle yet.
    AwaitingVehicle,
    /// 已派车
    VehicleAssigned,
    /// 接人中: the first wristband has been scanned onto the vehicle.
    Boarding,
    /// 已完成接人: the roll is closed and handed over to the hotel.
    PickedUp,
    /// 已送达酒店
    DeliveredToHotel,
    /// 已取消
    Cancelled,
}

impl TransferStatus {
    pub const ALL: [TransferStatus; 6] = [
        TransferStatus::AwaitingVehicle,
        TransferStatus::VehicleAssigned,
        TransferStatus::Boarding,
        TransferStatus::PickedUp,
        TransferStatus::DeliveredToHotel,
        TransferStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TransferStatus::AwaitingVehicle => "awaiting_vehicle",
            TransferStatus::VehicleAssigned => "vehicle_assigned",
            TransferStatus::Boarding => "boarding",
            TransferStatus::PickedUp => "picked_up",
            TransferStatus::DeliveredToHotel => "delivered_to_hotel",
            TransferStatus::Cancelled => "cancelled",
        }
    }

    /// Whether escorts may still scan persons onto the vehicle.
    pub fn roll_open(self) -> bool {
        matches!(
            self,
            TransferStatus::AwaitingVehicle
                | TransferStatus::VehicleAssigned
                | TransferStatus::Boarding
        )
    }
}

impl Describe for TransferStatus {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            TransferStatus::AwaitingVehicle => ("待派车", "Awaiting a vehicle"),
            TransferStatus::VehicleAssigned => ("已派车", "Vehicle assigned"),
            TransferStatus::Boarding => ("接人中", "Boarding"),
            TransferStatus::PickedUp => ("已完成接人", "Picked up"),
            TransferStatus::DeliveredToHotel => ("已送达酒店", "Delivered to the hotel"),
            TransferStatus::Cancelled => ("已取消", "Cancelled"),
        };
        match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The notice as the community worker sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// 密接车辆转运人数
    pub close_contact_riders: u32,
    /// 非密接车辆转运人数
    pub other_riders: u32,
    /// 接车地址
    pub pickup_address: String,
    pub stamp: Stamp,
}

/// A vehicle a dispatcher assigned (车牌, 司机电话).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    pub plate: String,
    pub driver_phone: String,
    pub kind: VehicleKind,
    pub stamp: Stamp,
}

/// One person scanned onto the vehicle or in at the hotel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    pub person: String,
    pub tag: String,
    pub stamp: Stamp,
}

/// A transfer's state, as every replica computes it from the same events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferState {
    pub status: TransferStatus,
    pub notice: Option<Notice>,
    /// The expected persons (record ids), in the order they were listed, each once.
    pub manifest: Vec<String>,
    pub vehicles: Vec<Vehicle>,
    /// Each person's first boarding scan, in clock order.
    pub boarded: Vec<Scan>,
    /// 完成接人: the count the escort confirmed, and who closed the roll when.
    pub pickup_completed: Option<(u32, Stamp)>,
    /// Each person's first arrival scan at the hotel, in clock order.
    pub arrivals: Vec<Scan>,
    pub hotel_received: Option<(u32, Stamp)>,
    pub cancelled: Option<(String, Stamp)>,
    pub reviews: Vec<ReviewMark>,
}

impl TransferState {
    pub fn is_on_manifest(&self, person: &str) -> bool {
        self.manifest.iter().any(|p| p == person)
    }

    pub fn boarding_of(&self, person: &str) -> Option<&Scan> {
        self.boarded.iter().find(|s| s.person == person)
    }

    pub fn arrival_of(&self, person: &str) -> Option<&Scan> {
        self.arrivals.iter().find(|s| s.person == person)
    }

    /// Expected persons not boarded yet, in manifest order.
    pub fn missing(&self) -> Vec<&str> {
        self.manifest
            .iter()
            .filter(|p| self.boarding_of(p).is_none())
            .map(String::as_str)
            .collect()
    }

    /// Boarded persons who have not arrived at the hotel yet.
    pub fn not_arrived(&self) -> Vec<&str> {
        self.boarded
            .iter()
            .filter(|s| self.arrival_of(&s.person).is_none())
            .map(|s| s.person.as_str())
            .collect()
    }
}

/// Folds a transfer record's events. Order and duplicates of `events` do not matter.
pub fn fold(events: &[Event]) -> TransferState {
    let ordered = in_clock_order(events);
    let mut folder = Folder {
        causality: Causality::new(&ordered),
        state: TransferState {
            status: TransferStatus::AwaitingVehicle,
            notice: None,
            manifest: Vec::new(),
            vehicles: Vec::new(),
            boarded: Vec::new(),
            pickup_completed: None,
            arrivals: Vec::new(),
            hotel_received: None,
            cancelled: None,
            reviews: Vec::new(),
        },
        resolutions: Vec::new(),
    };
    for event in &ordered {
        folder.apply(event);
    }
    folder.finish()
}

struct Folder<'a> {
    causality: Causality<'a>,
    state: TransferState,
    resolutions: Vec<(&'a EventId, &'a [String])>,
}

impl<'a> Folder<'a> {
    fn flag(&mut self, kind: &str, reason: ReviewReason, events: Vec<EventId>) {
        let mark = ReviewMark::between(kind, reason, events);
        if !self.state.reviews.iter().any(|m| m.id == mark.id) {
            self.state.reviews.push(mark);
        }
    }

    /// Flags `event` if it was made without seeing the cancellation (it still takes effect:
    /// nothing is lost, someone decides).
    fn check_cancelled(&mut self, event: &'a Event) {
        if let Some((_, cancelled)) = self.state.cancelled.clone()
            && !self.causality.knows(&event.id, &cancelled.event)
        {
            self.flag(
                "cancelled",
                ReviewReason::ActionOnCancelledTransfer {
                    action: event.action.kind(),
                    by: event.user.clone(),
                },
                vec![cancelled.event, event.id.clone()],
            );
        }
    }

    fn apply(&mut self, event: &'a Event) {
        match &event.action {
            Action::TransferNotified {
                close_contact_riders,
                other_riders,
                pickup_address,
                persons,
            } => {
                // A later notice made after seeing the first one is an edit; a concurrent one
                // (not made by the app) only adds its persons.
                let replaces = self
                    .state
                    .notice
                    .as_ref()
                    .is_none_or(|n| self.causality.knows(&event.id, &n.stamp.event));
                if replaces {
                    self.state.notice = Some(Notice {
                        close_contact_riders: *close_contact_riders,
                        other_riders: *other_riders,
                        pickup_address: pickup_address.clone(),
                        stamp: stamp(event),
                    });
                }
                for person in persons {
                    if !self.state.is_on_manifest(person) {
                        self.state.manifest.push(person.clone());
                    }
                }
            }
            Action::VehicleAssigned {
                plate,
                driver_phone,
                vehicle,
            } => {
                self.check_cancelled(event);
                if !self.state.vehicles.iter().any(|v| &v.plate == plate) {
                    self.state.vehicles.push(Vehicle {
                        plate: plate.clone(),
                        driver_phone: driver_phone.clone(),
                        kind: *vehicle,
                        stamp: stamp(event),
                    });
                }
            }
            // The first cancellation stands; a later one changes nothing.
            Action::TransferCancelled { reason } if self.state.cancelled.is_none() => {
                self.state.cancelled = Some((reason.clone(), stamp(event)));
            }
            Action::BoardingScanned { person, tag } => {
                self.check_cancelled(event);
                if self.state.boarding_of(person).is_some() {
                    return;
                }
                if let Some((_, closed)) = self.state.pickup_completed.clone()
                    && !self.causality.knows(&event.id, &closed.event)
                {
                    self.flag(
                        "late-boarding",
                        ReviewReason::ScannedAfterRollClosed {
                            action: ActionKind::BoardingScanned,
                            person: person.clone(),
                        },
                        vec![closed.event, event.id.clone()],
                    );
                }
                self.state.boarded.push(Scan {
                    person: person.clone(),
                    tag: tag.clone(),
                    stamp: stamp(event),
                });
            }
            Action::PickupCompleted { boarded } => {
                self.check_cancelled(event);
                if self.state.pickup_completed.is_none() {
                    self.state.pickup_completed = Some((*boarded, stamp(event)));
                }
            }
            Action::HotelArrivalScanned { person, tag } => {
                if self.state.arrival_of(person).is_some() {
                    return;
                }
                if let Some((_, closed)) = self.state.hotel_received.clone()
                    && !self.causality.knows(&event.id, &closed.event)
                {
                    self.flag(
                        "late-arrival",
                        ReviewReason::ScannedAfterRollClosed {
                            action: ActionKind::HotelArrivalScanned,
                            person: person.clone(),
                        },
                        vec![closed.event, event.id.clone()],
                    );
                }
                self.state.arrivals.push(Scan {
                    person: person.clone(),
                    tag: tag.clone(),
                    stamp: stamp(event),
                });
            }
            Action::HotelReceived { arrived } if self.state.hotel_received.is_none() => {
                self.state.hotel_received = Some((*arrived, stamp(event)));
            }
            Action::ReviewResolved { marks, .. } => self.resolutions.push((&event.id, marks)),
            _ => {}
        }
    }

    fn finish(mut self) -> TransferState {
        let state = &mut self.state;
        state.status = if state.cancelled.is_some() {
            TransferStatus::Cancelled
        } else if state.hotel_received.is_some() {
            TransferStatus::DeliveredToHotel
        } else if state.pickup_completed.is_some() {
            TransferStatus::PickedUp
        } else if !state.boarded.is_empty() {
            TransferStatus::Boarding
        } else if !state.vehicles.is_empty() {
            TransferStatus::VehicleAssigned
        } else {
            TransferStatus::AwaitingVehicle
        };
        let resolutions = std::mem::take(&mut self.resolutions);
        let causality = &mut self.causality;
        self.state
            .reviews
            .retain(|mark| !settles(causality, &resolutions, mark));
        self.state
    }
}
