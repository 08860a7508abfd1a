//! 扫码绑定: binding a scanned wristband to a person, and replacing a lost one.
//!
//! On one device a wristband already worn by someone else is refused. On two offline devices
//! nothing can stop it: the replica then lists both persons for review
//! (`TagBoundToSeveralRecords`, with each person's masked name), and a roll-call scan of that
//! wristband says so rather than guessing. A replacement is `TagUnbound` with its reason then
//! `TagBound`, so the person's wristband history keeps every band they wore.

use outpost_shared::program;
use outpost_shared::record::{Action, Record, RecordKind};
use serde::{Deserialize, Serialize};

use super::read_tag;
use super::supplies::IssueLogEntry;
use crate::views::PersonDetail;
use crate::{AppCore, AppError, ErrorCode};

#[derive(Debug, Clone, Deserialize)]
pub struct BindInput {
    pub record_id: String,
    pub scan: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReplaceInput {
    pub record_id: String,
    /// The new wristband.
    pub scan: String,
    /// Why the old one goes (lost, damaged…).
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UnbindInput {
    pub record_id: String,
    pub reason: String,
}

/// One wristband a person wore (or wears).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WristbandEntry {
    pub tag: String,
    pub bound_at_ms: i64,
    pub bound_by: String,
    pub ended_at_ms: Option<i64>,
}

/// What the detail screen shows of the transfer chain for one person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersonChain {
    /// The wristband bound now.
    pub wristband: Option<String>,
    /// Every wristband before the current one, oldest first.
    pub wristband_history: Vec<WristbandEntry>,
    /// The issue log (发放记录), newest first.
    pub supplies: Vec<IssueLogEntry>,
    /// Transfers the person boarded (record ids).
    pub boarded_transfers: Vec<String>,
}

fn ms(at: &outpost_shared::hlc::Hlc) -> i64 {
    i64::try_from(at.wall_ms).unwrap_or(i64::MAX)
}

impl AppCore {
    pub(crate) fn person_chain(&self, record: &Record) -> PersonChain {
        if record.kind() != RecordKind::Person {
            return PersonChain::default();
        }
        let state = record.state();
        let entry = |b: &outpost_shared::record::TagBinding| WristbandEntry {
            tag: b.tag.clone(),
            bound_at_ms: ms(&b.bound.at),
            bound_by: self.display_name(b.bound.by.as_str()),
            ended_at_ms: b.ended.as_ref().map(|e| ms(&e.at)),
        };
        PersonChain {
            wristband: state.tag.as_ref().map(|t| t.tag.clone()),
            wristband_history: state.tag_history.iter().map(entry).collect(),
            supplies: self.issue_log(record),
            boarded_transfers: state.boarded.iter().map(|(t, _)| t.clone()).collect(),
        }
    }

    /// Checks that the tag is free on this device (or already this person's) and returns it.
    fn free_tag(&self, record_id: &str, scan: &str) -> Result<String, AppError> {
        let lang = self.lang();
        let tag = read_tag(scan, lang)?;
        if let Some(other) = self.bound_to(&tag)?.into_iter().find(|p| p != record_id) {
            let name = self.masked_name_of(&other);
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                lang,
                format!("该手环已绑定 {name}，请换一个手环，或先为其解绑"),
                format!(
                    "This wristband is already bound to {name}: use another, or unbind it first"
                ),
            ));
        }
        Ok(tag)
    }

    fn write_person(&mut self, record_id: &str, actions: Vec<Action>) -> Result<(), AppError> {
        let lang = self.lang();
        let mut record = self.load_kind(record_id, RecordKind::Person)?;
        let now = self.now_u64();
        let session = self.session_mut()?;
        for action in actions {
            record
                .append(&session.author, &mut session.hlc, now, action)
                .map_err(|e| AppError::internal(lang, e))?;
        }
        session
            .replica
            .write(|w| w.save(&mut record))
            .map_err(|e| AppError::replica(lang, e))?;
        Ok(())
    }

    fn reason_text(&self, reason: &str) -> Result<String, AppError> {
        let reason: String = reason.trim().chars().take(200).collect();
        if reason.is_empty() {
            return Err(AppError::bad_input(
                self.lang(),
                "请填写原因（如手环丢失、损坏）",
                "Enter the reason (wristband lost, damaged…)",
            ));
        }
        Ok(reason)
    }

    /// 扫码绑定: binds the scanned wristband to a person who has none.
    pub fn bind_wristband(&mut self, input: &BindInput) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let record = self.load_kind(&input.record_id, RecordKind::Person)?;
        self.program_allowing(&record, program::Action::BindTag)?;
        let tag = self.free_tag(&input.record_id, &input.scan)?;
        match record.state().tag {
            Some(current) if current.tag == tag => return self.person(&input.record_id),
            Some(_) => {
                return Err(AppError::new(
                    ErrorCode::NotAllowed,
                    lang,
                    "该人员已绑定其他手环；如手环丢失，请用“更换手环”",
                    "This person already wears another wristband: use \"replace wristband\" if it was lost",
                ));
            }
            None => {}
        }
        self.write_person(&input.record_id, vec![Action::TagBound { tag }])?;
        self.person(&input.record_id)
    }

    /// 更换手环: the old wristband is unbound with the reason and the new one bound, in one write.
    pub fn replace_wristband(&mut self, input: &ReplaceInput) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let record = self.load_kind(&input.record_id, RecordKind::Person)?;
        self.program_allowing(&record, program::Action::BindTag)?;
        let reason = self.reason_text(&input.reason)?;
        let tag = self.free_tag(&input.record_id, &input.scan)?;
        let Some(old) = record.state().tag else {
            return Err(AppError::bad_input(
                lang,
                "该人员尚未绑定手环，请直接扫码绑定",
                "This person has no wristband yet: bind one",
            ));
        };
        if old.tag == tag {
            return Err(AppError::bad_input(
                lang,
                "扫描的是该人员现在的手环，请扫描新手环",
                "That is the person's current wristband: scan the new one",
            ));
        }
        self.write_person(
            &input.record_id,
            vec![
                Action::TagUnbound {
                    tag: old.tag,
                    reason: Some(reason),
                },
                Action::TagBound { tag },
            ],
        )?;
        self.person(&input.record_id)
    }

    /// 解绑: takes the wristband off a person (bound by mistake); the reason is kept.
    pub fn unbind_wristband(&mut self, input: &UnbindInput) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let record = self.load_kind(&input.record_id, RecordKind::Person)?;
        self.program_allowing(&record, program::Action::BindTag)?;
        let reason = self.reason_text(&input.reason)?;
        let Some(old) = record.state().tag else {
            return Err(AppError::bad_input(
                lang,
                "该人员没有绑定手环",
                "This person wears no wristband",
            ));
        };
        self.write_person(
            &input.record_id,
            vec![Action::TagUnbound {
                tag: old.tag,
                reason: Some(reason),
            }],
        )?;
        self.person(&input.record_id)
    }
}
