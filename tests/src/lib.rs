//! Support for the end-to-end tests: simulated field devices, each with its own replica file,
//! user and clock.

pub mod in_process;
pub mod server;

use std::error::Error;
use std::path::Path;

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, RecordId, UserId};
use outpost_shared::replica::{Replica, ReplicaError};

/// A simulated device: a replica file on disk, the user signed in on it and its clock.
pub struct Device {
    pub replica: Replica,
    pub author: Author,
    pub clock: HlcClock,
}

impl Device {
    /// Opens (or creates) the device's replica in `dir`.
    pub fn open(dir: &Path, user: &str, device: &str) -> Result<Self, Box<dyn Error>> {
        let device_id = DeviceId::new(device)?;
        Ok(Self {
            replica: Replica::open(dir.join(format!("{device}.db")), None)?,
            author: Author {
                user: UserId::new(user)?,
                device: device_id.clone(),
            },
            clock: HlcClock::new(device_id),
        })
    }

    /// Does `action` on record `id` the way the app does: load, append, save, in one
    /// transaction. Returns whether the device holds the record.
    pub fn act(
        &mut self,
        id: &RecordId,
        now_ms: u64,
        action: Action,
    ) -> Result<bool, ReplicaError> {
        let author = self.author.clone();
        let clock = &mut self.clock;
        self.replica.write(|w| {
            let Some(mut record) = w.load(id)? else {
                return Ok(false);
            };
            record
                .append(&author, clock, now_ms, action)
                .map_err(|source| ReplicaError::record(id.to_string(), source))?;
            w.save(&mut record)?;
            Ok(true)
        })
    }
}
