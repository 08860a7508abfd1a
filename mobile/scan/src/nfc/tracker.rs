//! The watcher's rules, without I/O: what PC/SC reports (the reader list, one reader's state) in,
//! what happened (reader attached/detached, card removed, card arrived) out. Kept pure so every
//! rule — including a card swapped within one wait — is tested without readers.

use std::collections::BTreeMap;

/// Something that happened on the readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    Attached(String),
    Detached(String),
    /// The card left the reader.
    Removed(String),
    /// A card is on the reader and should be read (`mute`: it does not answer).
    Arrived {
        reader: String,
        mute: bool,
    },
}

/// What was last seen on one reader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    present: bool,
    /// The reader's card event counter (pcsc-lite and WinSCard count insertions and removals in
    /// the high word of the event state): a change while a card stays present means the card was
    /// swapped faster than one wait.
    events: u32,
}

/// The readers known and the card on each.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    slots: BTreeMap<String, Slot>,
}

impl Tracker {
    /// The reader list now: readers gone are detached (their card removed first), new ones
    /// attached, in name order.
    pub(super) fn readers(&mut self, names: &[String]) -> Vec<Change> {
        let gone: Vec<String> = self
            .slots
            .keys()
            .filter(|known| !names.contains(known))
            .cloned()
            .collect();
        let mut changes = Vec::new();
        for reader in gone {
            self.detach(reader, &mut changes);
        }
        for name in names {
            if !self.slots.contains_key(name) {
                self.slots.insert(name.clone(), Slot::default());
                changes.push(Change::Attached(name.clone()));
            }
        }
        changes
    }

    /// One reader's state after a change: whether a card is present (and mute), and the
    /// reader's event counter.
    pub(super) fn card(
        &mut self,
        reader: &str,
        present: bool,
        mute: bool,
        count: u32,
    ) -> Vec<Change> {
        let Some(slot) = self.slots.get_mut(reader) else {
            return Vec::new();
        };
        let was = *slot;
        *slot = Slot {
            present,
            events: count,
        };
        let swapped = was.present && present && was.events != count;
        let mut changes = Vec::new();
        if was.present && (!present || swapped) {
            changes.push(Change::Removed(reader.to_string()));
        }
        if present && (!was.present || swapped) {
            changes.push(Change::Arrived {
                reader: reader.to_string(),
                mute,
            });
        }
        changes
    }

    /// The PC/SC service went away: every reader is detached.
    pub(super) fn lost(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        let readers: Vec<String> = self.slots.keys().cloned().collect();
        for reader in readers {
            self.detach(reader, &mut changes);
        }
        changes
    }

    fn detach(&mut self, reader: String, changes: &mut Vec<Change>) {
        if self.slots.remove(&reader).is_some_and(|slot| slot.present) {
            changes.push(Change::Removed(reader.clone()));
        }
        changes.push(Change::Detached(reader));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn arrived(reader: &str) -> Change {
        Change::Arrived {
            reader: reader.into(),
            mute: false,
        }
    }

    #[test]
    fn readers_present_at_start_are_attached_and_listed_again_they_are_not() {
        let mut t = Tracker::default();
        assert_eq!(
            t.readers(&names(&["ACR122U 00 00", "ACR122U 01 00"])),
            vec![
                Change::Attached("ACR122U 00 00".into()),
                Change::Attached("ACR122U 01 00".into())
            ]
        );
        assert!(
            t.readers(&names(&["ACR122U 00 00", "ACR122U 01 00"]))
                .is_empty()
        );
    }

    #[test]
    fn an_unplugged_reader_with_a_card_on_it_loses_the_card_then_the_reader() {
        let mut t = Tracker::default();
        t.readers(&names(&["A", "B"]));
        assert_eq!(t.card("A", true, false, 1), vec![arrived("A")]);
        assert_eq!(
            t.readers(&names(&["B"])),
            vec![Change::Removed("A".into()), Change::Detached("A".into())]
        );
        // Plugged in again: a fresh reader, its card read again.
        assert_eq!(
            t.readers(&names(&["A", "B"])),
            vec![Change::Attached("A".into())]
        );
        assert_eq!(t.card("A", true, false, 1), vec![arrived("A")]);
    }

    #[test]
    fn a_card_is_read_once_while_it_stays_and_removed_once_when_it_leaves() {
        let mut t = Tracker::default();
        t.readers(&names(&["A"]));
        assert!(t.card("A", false, false, 0).is_empty());
        assert_eq!(t.card("A", true, false, 1), vec![arrived("A")]);
        // Our own connect changes the reader's state (in use) but not its card.
        assert!(t.card("A", true, false, 1).is_empty());
        assert_eq!(
            t.card("A", false, false, 2),
            vec![Change::Removed("A".into())]
        );
        assert!(t.card("A", false, false, 2).is_empty());
    }

    #[test]
    fn a_card_swapped_within_one_wait_is_a_removal_and_a_new_card() {
        let mut t = Tracker::default();
        t.readers(&names(&["A"]));
        t.card("A", true, false, 1);
        assert_eq!(
            t.card("A", true, false, 3),
            vec![Change::Removed("A".into()), arrived("A")]
        );
    }

    #[test]
    fn a_mute_card_is_reported_as_such() {
        let mut t = Tracker::default();
        t.readers(&names(&["A"]));
        assert_eq!(
            t.card("A", true, true, 1),
            vec![Change::Arrived {
                reader: "A".into(),
                mute: true
            }]
        );
    }

    #[test]
    fn states_of_unknown_readers_are_ignored() {
        let mut t = Tracker::default();
        assert!(t.card("ghost", true, false, 1).is_empty());
    }

    #[test]
    fn losing_the_service_detaches_every_reader() {
        let mut t = Tracker::default();
        t.readers(&names(&["A", "B"]));
        t.card("A", true, false, 1);
        assert_eq!(
            t.lost(),
            vec![
                Change::Removed("A".into()),
                Change::Detached("A".into()),
                Change::Detached("B".into())
            ]
        );
        assert_eq!(
            t.readers(&names(&["A"])),
            vec![Change::Attached("A".into())]
        );
    }
}
