// The contract between the front-end and the app's Rust side (mobile/core, exposed as Tauri
// commands by mobile/src-tauri). Every command is called as
//   invoke<Result>(name, { input })          (commands without input: invoke(name))
// with `input` an object in snake_case exactly as below. A failed command rejects with an
// `AppError`. All times are milliseconds since the Unix epoch; the UI shows them in
// Asia/Shanghai. All labels arrive already in the user's language (zh-CN by default).
//
// Personal data: list rows carry only masked values (何*, 138****0000); `person` (the detail
// screen) carries full values.

export type Lang = "zh-CN" | "en";

/** A command's failure: a stable code for the UI's logic and a message for the user. */
export interface AppError {
  code:
    | "not_enrolled"
    | "locked"
    | "wrong_pin"
    | "bad_input"
    | "enrolment_refused"
    | "server_unreachable"
    | "not_found"
    | "not_allowed"
    | "internal";
  message: string;
}

// ---------------------------------------------------------------- app_status, set_lang, enrol, unlock, lock

/** `app_status` → AppStatus; `set_lang` {lang} → AppStatus. */
export interface AppStatus {
  enrolled: boolean;
  unlocked: boolean;
  lang: Lang;
  /** Present once enrolled (readable while locked: not personal data of citizens). */
  user: UserInfo | null;
  server_url: string | null;
  device_label: string | null;
  /** The programs this user works on, first one is the default. Empty while locked. */
  programs: ProgramSummary[];
}

export interface UserInfo {
  user_id: string;
  display_name: string;
  /** worker, leader, dispatcher, cdc, admin */
  role: string;
  role_label: string;
  unit: string;
  unit_name: string;
}

export interface ProgramSummary {
  id: string;
  name: string;
}

/** `enrol` {input: EnrolInput} → AppStatus (unlocked). */
export interface EnrolInput {
  /** What the QR code holds (`outpost-enrol:http://host:8080#ABCD-EFGH`) or just the code. */
  code: string;
  /** Needed when `code` is a bare code; ignored when the payload names the server. */
  server_url: string | null;
  /** What the user calls this device, e.g. 张三的手机. */
  device_label: string;
  /** 6 digits; it unlocks the app offline and protects the replica's key. */
  pin: string;
}

/** `unlock` {input: {pin}} → AppStatus; `lock` → AppStatus. Wrong PIN: AppError wrong_pin. */
export interface UnlockInput {
  pin: string;
}

// ---------------------------------------------------------------- sync_status, sync_now

/** `sync_status` → SyncStatus (cheap, poll it every second); `sync_now` → SyncStatus after one
 *  sync attempt (an unreachable server is not an error: online becomes false). The app also syncs
 *  by itself in the background every 30 s while unlocked. */
export interface SyncStatus {
  /** Result of the last attempt; null before the first attempt. */
  online: boolean | null;
  syncing: boolean;
  /** Changes made here that the server has not acknowledged. */
  pending_changes: number;
  /** When the oldest of them was made. */
  oldest_unsent_ms: number | null;
  last_success_ms: number | null;
  last_attempt_ms: number | null;
  /** Why the last attempt failed, in the user's language. */
  last_error: string | null;
}

// ---------------------------------------------------------------- tasks

export type Tab = "unclaimed" | "claimed" | "answered";

/** `task_counts` {input: {program}} → TabCounts */
export interface TabCounts {
  unclaimed: number;
  claimed: number;
  answered: number;
  overdue: number;
}

/** `tasks` {input: TasksInput} → TaskGroup[] — persons of one tab, grouped by task
 *  (one task = one batch at one unit), most urgent first. */
export interface TasksInput {
  program: string;
  tab: Tab;
  /** Name (any part), phone tail (4+ digits), or ID number fragment; empty = everything. */
  query: string;
}

export interface TaskGroup {
  task_id: string;
  batch: string | null;
  unit: string;
  unit_name: string;
  dispatched_at_ms: number | null;
  /** The next deadline of this task that has not passed or is overdue, if any. */
  deadline: Deadline | null;
  persons: PersonRow[];
}

export interface Deadline {
  /** e.g. 认领时限 / 反馈时限 */
  label: string;
  due_ms: number;
  overdue: boolean;
}

export interface PersonRow {
  record_id: string;
  masked_name: string;
  masked_phone: string;
  masked_id_number: string;
  status: string;
  status_label: string;
  /** Outcome path label once answered, e.g. 南沙区内 / 在家 / 已落实居家隔离 */
  outcome_label: string | null;
  needs_review: boolean;
  /** W2: scenarios 4–7 must be reported to CDC. */
  report_to_cdc: boolean;
}

// ---------------------------------------------------------------- person (detail screen)

/** `person` {input: {record_id}} → PersonDetail (full personal data). */
export interface PersonDetail {
  record_id: string;
  program: string;
  unit: string;
  unit_name: string;
  batch: string | null;
  status: string;
  status_label: string;
  fields: FieldView[];
  answer: { outcome: string[]; label: string; note: string | null; report_to_cdc: boolean } | null;
  /** The commands this user may run on this person now: claim, answer, reassign, forward,
   *  add_supplementary, correct (edit fields), cdc_judge. */
  allowed: string[];
  history: HistoryEntry[];
  reviews: ReviewNote[];
  /** Supplementary person (补充人员) awaiting or past CDC judgement. */
  supplementary_of: string | null;
}

export interface FieldView {
  key: string;
  label: string;
  /** text, resident_id, id_document, phone, jurisdiction, date, datetime, integer, boolean, choice */
  type: string;
  value: string | null;
  /** For choice: code + label; for boolean: "true"/"false" with 是/否. */
  options: { code: string; label: string }[];
  /** Display value (choice label, unit name, 是/否). */
  display: string | null;
  required: boolean;
  personal: boolean;
  /** Whether the worker may correct it (personal data and W2's door magnet etc.). */
  editable: boolean;
  /** Concurrent edits of this field on several devices: every value, for review. */
  conflicting: string[];
}

export interface HistoryEntry {
  at_ms: number;
  /** e.g. 派发至 南沙街道 / 认领 / 反馈：… / 改派至 … */
  label: string;
  user: string;
}

export interface ReviewNote {
  /** Why it needs review, in words. */
  reason: string;
  /** The competing versions, as the user would read them. */
  versions: string[];
}

// ---------------------------------------------------------------- program (forms)

/** `program` {input: {program}} → ProgramView */
export interface ProgramView {
  id: string;
  name: string;
  note_label: string;
  /** community or town: the level people are dispatched (and moved/forwarded) to. */
  dispatch_level: string;
  actions: string[];
  outcomes: OutcomeNode[];
  /** Fields for a supplementary person's form and for corrections. */
  fields: FieldView[];
}

export interface OutcomeNode {
  code: string;
  label: string;
  /** required | optional | none */
  note: "required" | "optional" | "none";
  note_hint: string | null;
  report_to_cdc: boolean;
  /** Choosing it forwards the person; the form must ask for the target unit. */
  forward: boolean;
  children: OutcomeNode[];
}

/** `units` {input: {level, within}} → UnitNode[] — units at `level` (town | community) under
 *  `within` (a unit code, null = the whole tree), with their full names for the picker. */
export interface UnitNode {
  code: string;
  name: string;
  full_name: string;
  level: string;
}

// ---------------------------------------------------------------- actions (all offline)
// Each returns the updated PersonDetail (claim returns the number claimed). They write to the
// local replica only; sync carries them to the server.

/** `claim` {input: {record_ids}} → {claimed: number} */
export interface ClaimInput {
  record_ids: string[];
}

/** `answer` {input: AnswerInput} → PersonDetail. For an outcome with `forward`, `forward_to`
 *  (a unit code at the dispatch level) is required: the person is forwarded too. */
export interface AnswerInput {
  record_id: string;
  outcome: string[];
  note: string | null;
  forward_to: string | null;
}

/** `reassign` {input: {record_id, to_unit, reason}} → PersonDetail (W1: 修改所属镇街) */
export interface ReassignInput {
  record_id: string;
  to_unit: string;
  reason: string | null;
}

/** `forward` {input: {record_id, to_unit, note}} → PersonDetail (W2: 转发) */
export interface ForwardInput {
  record_id: string;
  to_unit: string;
  note: string | null;
}

/** `correct` {input: {record_id, fields}} → PersonDetail — field key → new value (booleans as
 *  "true"/"false"); values are validated (ID check digit, phone) with errors per field. */
export interface CorrectInput {
  record_id: string;
  fields: Record<string, string>;
}

/** `add_supplementary` {input: {source_record_id, fields}} → PersonDetail of the new person. */
export interface SupplementaryInput {
  source_record_id: string;
  fields: Record<string, string>;
}

// ---------------------------------------------------------------- review and reminders

/** `reviews` → ReviewItem[]: records with concurrent, incompatible edits. */
export interface ReviewItem {
  record_id: string;
  masked_name: string;
  notes: ReviewNote[];
}

/** `reminders` → Reminder[]: deadlines of this user's tasks that are due within 30 min or
 *  overdue, computed from the local replica (works offline). The Rust side also raises a desktop
 *  notification once per reminder. */
export interface Reminder {
  task_id: string;
  unit_name: string;
  label: string;
  due_ms: number;
  overdue: boolean;
  persons: number;
}
