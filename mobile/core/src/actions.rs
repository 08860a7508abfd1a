//! What a worker does to a person, offline: each command is checked against the program, the
//! jurisdiction tree, the user's role and the record's state (`task::command::check`, the same
//! check the server runs), then appended as an event to the local replica in one transaction.
//! Sync carries it to the server later; nothing here needs the network.

use std::collections::BTreeMap;

use outpost_shared::i18n::Lang;
use outpost_shared::program::{self, Program};
use outpost_shared::record::{Action, Record, RecordId, TaskStatus};
use outpost_shared::task::command::{self, Command, Context, Facts, SUPPLEMENTARY_OF};
use serde::{Deserialize, Serialize};

use crate::views::PersonDetail;
use crate::{AppCore, AppError, ErrorCode};

#[derive(Debug, Clone, Deserialize)]
pub struct ClaimInput {
    pub record_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claimed {
    pub claimed: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AnswerInput {
    pub record_id: String,
    pub outcome: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub forward_to: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MoveInput {
    pub record_id: String,
    pub to_unit: String,
    /// The reason (reassign) or note (forward).
    #[serde(default, alias = "reason")]
    pub note: Option<String>,
}

/// A step the program declares (状态流转): its action code, the answer along the outcome tree
/// when the step asks for one, the fields it asks (key → typed text) and the note.
#[derive(Debug, Clone, Deserialize)]
pub struct StepInput {
    pub record_id: String,
    pub action: String,
    #[serde(default)]
    pub outcome: Vec<String>,
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// 疾控判定 of a supplementary person (补充人员): accepted or not, with a note.
#[derive(Debug, Clone, Deserialize)]
pub struct JudgeInput {
    pub record_id: String,
    pub accepted: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// Everything a worker does to a person, as the one entry the shell calls (`AppCore::act`):
/// the command's name in `command`, its input's fields beside it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum ActInput {
    Claim(ClaimInput),
    Answer(AnswerInput),
    Reassign(MoveInput),
    Forward(MoveInput),
    Correct(CorrectInput),
    AddSupplementary(SupplementaryInput),
    CdcJudge(JudgeInput),
    Step(StepInput),
}

/// What `AppCore::act` answers: how many were claimed, or the person as the act left them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Acted {
    Claimed(Claimed),
    Person(Box<PersonDetail>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct CorrectInput {
    pub record_id: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SupplementaryInput {
    pub source_record_id: String,
    pub fields: BTreeMap<String, String>,
}

/// Checks and normalises one typed value by its field's type (`program::normalise_value`, the
/// check the server runs again); the error names the field by its label.
fn normalise(program: &Program, key: &str, raw: &str, lang: Lang) -> Result<String, AppError> {
    let field = program.field(key).ok_or_else(|| {
        AppError::bad_input(
            lang,
            format!("未知字段 {key}"),
            format!("Unknown field {key}"),
        )
    })?;
    program::normalise_value(field, raw).map_err(|error| AppError {
        code: ErrorCode::BadInput,
        message: program::describe_value_error(&error, field.label.get(lang), lang),
    })
}

fn command_error(lang: Lang, error: &command::CommandError) -> AppError {
    let code = match error {
        command::CommandError::Answer(_) => ErrorCode::BadInput,
        command::CommandError::UnknownUnit(_)
        | command::CommandError::WrongLevel { .. }
        | command::CommandError::SameUnit(_)
        | command::CommandError::Value { .. }
        | command::CommandError::UnknownInput { .. }
        | command::CommandError::NoteRequired { .. } => ErrorCode::BadInput,
        _ => ErrorCode::NotAllowed,
    };
    AppError::described(code, lang, error)
}

/// What the command check needs of a record besides its state: whether it is a supplementary
/// person, and its fields' values (the guards of declared steps read them).
pub(crate) fn facts_of(record: &Record) -> Facts {
    Facts {
        supplementary: record.field(SUPPLEMENTARY_OF).is_some(),
        fields: record
            .fields()
            .into_iter()
            .map(|(key, value)| (key, value.value))
            .collect(),
    }
}

impl AppCore {
    fn load_record(&self, record_id: &str) -> Result<Record, AppError> {
        let lang = self.lang();
        let id = RecordId::new(record_id).map_err(|_| AppError::not_found(lang))?;
        self.session()?
            .replica
            .load(&id)
            .map_err(|e| AppError::replica(lang, e))?
            .ok_or_else(|| AppError::not_found(lang))
    }

    /// Checks `commands` in order against the record as each one leaves it, appends their events
    /// and stores the record, all or nothing.
    fn apply_commands(&mut self, record_id: &str, commands: &[Command]) -> Result<(), AppError> {
        let lang = self.lang();
        let mut record = self.load_record(record_id)?;
        let program = self.program(record.program())?.clone();
        let role = self.account()?.role.clone();
        let now = u64::try_from(self.now_ms()).unwrap_or(0);
        let context = Context {
            program: &program,
            jurisdictions: self.jurisdictions(),
            role: &role,
        };
        let facts = facts_of(&record);
        let mut actions: Vec<Action> = Vec::new();
        let mut scratch = record.clone();
        let session_author = self.session()?.author.clone();
        let mut scratch_clock = self.session()?.hlc.clone();
        for command in commands {
            let action = command::check(&context, &scratch.state(), &facts, command)
                .map_err(|e| command_error(lang, &e))?;
            scratch
                .append(&session_author, &mut scratch_clock, now, action.clone())
                .map_err(|e| AppError::internal(lang, e))?;
            actions.push(action);
        }
        let session = self.session_mut()?;
        for action in actions {
            // What a declared step asked for is a fact about the person (门磁是否完好, 隔离点):
            // written into the fields in the same change, so 基本信息, lists, exports and the
            // next step's guards see it; the event keeps what the step recorded.
            if let Action::Transitioned { inputs, .. } = &action {
                for (key, value) in inputs {
                    let current = record.field(key);
                    if current.is_none_or(|c| &c.value != value || !c.conflicting.is_empty()) {
                        record
                            .set_field(&session.author, key, value)
                            .map_err(|e| AppError::internal(lang, e))?;
                    }
                }
            }
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

    /// The one entry for a worker's acts on persons (the shell's `act` command): each is checked
    /// by `task::command::check`, as the server checks it again, and written offline.
    pub fn act(&mut self, input: &ActInput) -> Result<Acted, AppError> {
        let person = |detail: PersonDetail| Acted::Person(Box::new(detail));
        Ok(match input {
            ActInput::Claim(input) => Acted::Claimed(self.claim(input)?),
            ActInput::Answer(input) => person(self.answer(input)?),
            ActInput::Reassign(input) => person(self.reassign(input)?),
            ActInput::Forward(input) => person(self.forward(input)?),
            ActInput::Correct(input) => person(self.correct(input)?),
            ActInput::AddSupplementary(input) => person(self.add_supplementary(input)?),
            ActInput::CdcJudge(input) => person(self.cdc_judge(input)?),
            ActInput::Step(input) => person(self.step(input)?),
        })
    }

    /// 疾控判定 (W2): the CDC accepts or excludes a supplementary person.
    pub fn cdc_judge(&mut self, input: &JudgeInput) -> Result<PersonDetail, AppError> {
        self.apply_commands(
            &input.record_id,
            &[Command::CdcJudge {
                accepted: input.accepted,
                note: input.note.clone(),
            }],
        )?;
        self.person(&input.record_id)
    }

    /// 认领: claims each chosen person still unclaimed; the others are left as they are.
    pub fn claim(&mut self, input: &ClaimInput) -> Result<Claimed, AppError> {
        let lang = self.lang();
        if input.record_ids.is_empty() {
            return Err(AppError::bad_input(
                lang,
                "请先选择要认领的人员",
                "Choose the persons to claim first",
            ));
        }
        let mut claimed = 0;
        let mut last_error = None;
        for id in &input.record_ids {
            match self.apply_commands(id, &[Command::Claim]) {
                Ok(()) => claimed += 1,
                Err(e) => last_error = Some(e),
            }
        }
        match (claimed, last_error) {
            (0, Some(error)) => Err(error),
            _ => Ok(Claimed { claimed }),
        }
    }

    /// 反馈: answers with an outcome path; an unclaimed person is claimed first (answering is
    /// taking the task), and an outcome that forwards (W2 情景三) forwards in the same write.
    pub fn answer(&mut self, input: &AnswerInput) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let record = self.load_record(&input.record_id)?;
        let program = self.program(record.program())?.clone();
        let path: Vec<&str> = input.outcome.iter().map(String::as_str).collect();
        let forwards = program.outcomes().node(&path).is_some_and(|n| n.forward)
            || (1..path.len()).any(|n| {
                program
                    .outcomes()
                    .node(&path[..n])
                    .is_some_and(|x| x.forward)
            });
        let mut commands = Vec::new();
        if record.state().status == TaskStatus::Unclaimed && program.allows(program::Action::Claim)
        {
            commands.push(Command::Claim);
        }
        commands.push(Command::Answer {
            outcome: input.outcome.clone(),
            note: input.note.clone(),
        });
        if forwards {
            let target = input
                .forward_to
                .clone()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    AppError::bad_input(
                        lang,
                        "该情景须选择实际居住的社区",
                        "This outcome needs the community the person really lives in",
                    )
                })?;
            commands.push(Command::Forward {
                to_unit: target,
                note: input.note.clone(),
            });
        }
        self.apply_commands(&input.record_id, &commands)?;
        self.person(&input.record_id)
    }

    /// A declared step (状态流转, `program::Transition`): checked like every command, written
    /// offline in one change.
    pub fn step(&mut self, input: &StepInput) -> Result<PersonDetail, AppError> {
        self.apply_commands(
            &input.record_id,
            &[Command::Transition {
                action: input.action.clone(),
                outcome: input.outcome.clone(),
                inputs: input.inputs.clone(),
                note: input.note.clone(),
            }],
        )?;
        self.person(&input.record_id)
    }

    /// 修改所属镇街 (W1): the person moves to another unit and starts a fresh task there.
    pub fn reassign(&mut self, input: &MoveInput) -> Result<PersonDetail, AppError> {
        self.apply_commands(
            &input.record_id,
            &[Command::Reassign {
                to_unit: input.to_unit.clone(),
                reason: input.note.clone(),
            }],
        )?;
        self.person(&input.record_id)
    }

    /// 转发 (W2): forwarded to the community the person really belongs to.
    pub fn forward(&mut self, input: &MoveInput) -> Result<PersonDetail, AppError> {
        self.apply_commands(
            &input.record_id,
            &[Command::Forward {
                to_unit: input.to_unit.clone(),
                note: input.note.clone(),
            }],
        )?;
        self.person(&input.record_id)
    }

    /// Corrects fields (personal data, door magnet…): every value is checked before any is
    /// written; unchanged values are not written again.
    pub fn correct(&mut self, input: &CorrectInput) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let mut record = self.load_record(&input.record_id)?;
        let program = self.program(record.program())?.clone();
        let dispatch_key = program.dispatch().field.clone();
        let mut changes = Vec::new();
        for (key, raw) in &input.fields {
            let field = program.field(key);
            if key == &dispatch_key || field.is_some_and(|f| f.set_by.is_some()) {
                return Err(AppError::bad_input(
                    lang,
                    format!("字段 {key} 不能直接修改"),
                    format!("Field {key} cannot be edited"),
                ));
            }
            let value = normalise(&program, key, raw, lang)?;
            let current = record.field(key);
            let same = current
                .as_ref()
                .is_some_and(|c| c.value == value && c.conflicting.is_empty());
            let nothing_to_clear = value.is_empty() && current.is_none();
            if !(same || nothing_to_clear) {
                changes.push((key.clone(), value));
            }
        }
        if !changes.is_empty() {
            let session = self.session_mut()?;
            for (key, value) in &changes {
                record
                    .set_field(&session.author, key, value)
                    .map_err(|e| AppError::internal(lang, e))?;
            }
            session
                .replica
                .write(|w| w.save(&mut record))
                .map_err(|e| AppError::replica(lang, e))?;
        }
        self.person(&input.record_id)
    }

    /// 补充人员 (W2): a cohabitant or companion found while verifying someone, created in the
    /// same unit and batch and waiting for the CDC's judgement.
    pub fn add_supplementary(
        &mut self,
        input: &SupplementaryInput,
    ) -> Result<PersonDetail, AppError> {
        let lang = self.lang();
        let source = self.load_record(&input.source_record_id)?;
        let program = self.program(source.program())?.clone();
        let role = self.account()?.role.clone();
        let dispatch_key = program.dispatch().field.clone();
        let source_state = source.state();
        let mut fields = Vec::new();
        for field in program.fields() {
            if field.key == dispatch_key || field.set_by.is_some() {
                continue;
            }
            let raw = input
                .fields
                .get(&field.key)
                .map(String::as_str)
                .unwrap_or("");
            let value = normalise(&program, &field.key, raw, lang)?;
            if !value.is_empty() {
                fields.push((field.key.clone(), value));
            }
        }
        if let Some(unit) = &source_state.unit {
            fields.push((dispatch_key, unit.clone()));
        }
        let id = format!(
            "p-{}",
            hex::encode(crate::vault::random::<8>().map_err(|e| AppError::internal(lang, e))?)
        );
        let context = Context {
            program: &program,
            jurisdictions: self.jurisdictions(),
            role: &role,
        };
        let new = command::new_supplementary(&context, source.id(), &source_state, &id, fields)
            .map_err(|e| command_error(lang, &e))?;
        let now = u64::try_from(self.now_ms()).unwrap_or(0);
        let session = self.session_mut()?;
        let mut record = Record::create(new, &session.author, &mut session.hlc, now)
            .map_err(|e| AppError::internal(lang, e))?;
        session
            .replica
            .write(|w| w.save(&mut record))
            .map_err(|e| AppError::replica(lang, e))?;
        self.person(&id)
    }
}
