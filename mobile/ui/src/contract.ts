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
  /** worker, escort, leader, dispatcher, hotel, cdc, admin */
  role: string;
  role_label: string;
  unit: string;
  unit_name: string;
}

export interface ProgramSummary {
  id: string;
  name: string;
  /** The program has the transfer chain (转运). */
  transfers: boolean;
  /** The program issues supplies (物资). */
  supplies: boolean;
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
  /** Records whose received data could not be applied here (无法读取，已报告). */
  unreadable_records: number;
  /** Records whose changes the server refused; they stay unsent. */
  refused_records: number;
}

/** A record whose sync went wrong: `unreadable` (the data received for it could not be applied
 *  here; the copy shown is the one from before; `reported` once the server has the device's
 *  report) or `refused` (the server refused this device's changes; `label` carries its reason).
 *  `label` is in the user's language, e.g. 无法读取，已报告 / 服务器拒收：该任务已被认领. */
export interface SyncProblemView {
  kind: "unreadable" | "refused";
  label: string;
  reported: boolean;
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
  sync_problem: SyncProblemView | null;
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
  /** The program's label of the status that stands (a declared one: 居家隔离中…). */
  status_label: string;
  /** The colour the program gives that status. */
  status_colour: StatusColour;
  fields: FieldView[];
  answer: { outcome: string[]; label: string; note: string | null; report_to_cdc: boolean } | null;
  /** The commands this user may run on this person now: claim, answer, reassign, forward,
   *  add_supplementary, correct (edit fields), cdc_judge. */
  allowed: string[];
  /** The program's declared steps (状态流转) this user may take now, in the program's order;
   *  empty for programs that declare none (W1, W2). */
  transitions: TransitionView[];
  history: HistoryEntry[];
  reviews: ReviewNote[];
  sync_problem: SyncProblemView | null;
  /** Supplementary person (补充人员) awaiting or past CDC judgement. */
  supplementary_of: string | null;
  /** The wristband bound now (canonical form). */
  wristband: string | null;
  /** Wristbands worn before (replaced or removed), oldest first. */
  wristband_history: WristbandEntry[];
  /** The issue log (发放记录), newest first. */
  supplies: IssueLogEntry[];
  /** Transfers the person boarded (transfer ids). */
  boarded_transfers: string[];
}

export interface WristbandEntry {
  tag: string;
  bound_at_ms: number;
  bound_by: string;
  ended_at_ms: number | null;
}

export interface IssueLogEntry {
  at_ms: number;
  item: string;
  label: string;
  quantity: number;
  user: string;
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

/** The colours a status may be shown in (named, not CSS: each screen keeps its palette). */
export type StatusColour = "grey" | "blue" | "green" | "yellow" | "orange" | "red";

/** A declared step as its form shows it: its button, the status it leads to, the fields it
 *  asks (typed like every field, `required` as the step says, `value` the current one), whether
 *  it asks for an answer along the outcome tree, its note rule and its confirmation question. */
export interface TransitionView {
  action: string;
  label: string;
  to: string;
  to_label: string;
  inputs: FieldView[];
  outcome: boolean;
  note: "required" | "optional" | "none";
  confirm: string | null;
}

export interface HistoryEntry {
  at_ms: number;
  /** e.g. 派发至 南沙街道 / 认领 / 反馈：… / 修改所属单位为 … */
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
// One command, `act` {input: {command, ...fields of the command's input}}: `command` names the
// act below and the other fields are its input (e.g. {command: "claim", record_ids: […]}). Each
// returns the updated PersonDetail (claim returns the number claimed). They write to the local
// replica only; sync carries them to the server, which checks each again.

/** The acts `act` takes; the person view's `allowed` and `transitions` say which apply now. */
export type ActCommand =
  | "claim"
  | "answer"
  | "reassign"
  | "forward"
  | "correct"
  | "add_supplementary"
  | "cdc_judge"
  | "step";

/** act `claim` {record_ids} → {claimed: number} */
export interface ClaimInput {
  record_ids: string[];
}

/** act `answer` AnswerInput → PersonDetail. For an outcome with `forward`, `forward_to`
 *  (a unit code at the dispatch level) is required: the person is forwarded too. */
export interface AnswerInput {
  record_id: string;
  outcome: string[];
  note: string | null;
  forward_to: string | null;
}

/** act `reassign` {record_id, to_unit, reason} → PersonDetail (W1: 修改所属镇街) */
export interface ReassignInput {
  record_id: string;
  to_unit: string;
  reason: string | null;
}

/** act `forward` {record_id, to_unit, note} → PersonDetail (W2: 转发) */
export interface ForwardInput {
  record_id: string;
  to_unit: string;
  note: string | null;
}

/** act `correct` {record_id, fields} → PersonDetail — field key → new value (booleans as
 *  "true"/"false"); values are validated (ID check digit, phone) with errors per field. */
export interface CorrectInput {
  record_id: string;
  fields: Record<string, string>;
}

/** act `step` StepInput → PersonDetail — takes the declared step `action` (one of
 *  `PersonDetail.transitions`): `inputs` field key → typed value (booleans as "true"/"false"),
 *  `outcome` the answer's path when the step asks for one (else empty), `note` as its rule says.
 *  A refused value comes back as one message naming the field by its label
 *  (门磁是否完好：必填). */
export interface StepInput {
  record_id: string;
  action: string;
  outcome: string[];
  inputs: Record<string, string>;
  note: string | null;
}

/** act `cdc_judge` {record_id, accepted, note} → PersonDetail: 疾控判定 of a supplementary
 *  person, for the cdc role (no screen offers it yet). */
export interface JudgeInput {
  record_id: string;
  accepted: boolean;
  note?: string | null;
}

/** act `add_supplementary` {source_record_id, fields} → PersonDetail of the new person. */
export interface SupplementaryInput {
  source_record_id: string;
  fields: Record<string, string>;
}

// ---------------------------------------------------------------- review and reminders

/** `reviews` → ReviewItem[]: records with concurrent, incompatible edits. */
export interface ReviewItem {
  record_id: string;
  /** person, transfer or supply_ledger */
  kind: string;
  masked_name: string;
  notes: ReviewNote[];
  /** Records whose sync went wrong are listed here too, after those with conflicting edits. */
  sync_problem: SyncProblemView | null;
  /** This device holds the record (one whose whole data was refused is not held). */
  held: boolean;
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

// ---------------------------------------------------------------- transfer chain (seed 003, all offline)
// 发放物资, 扫码绑定, 通知转运, 派车, 接人上车, 完成接人, 隔离酒店签收. A `scan` is whatever the scanner
// read: a keyboard-wedge scanner's keystrokes (the Enter removed), a decoded QR payload or an NFC
// chip UID; the Rust side puts it in canonical form and checks it.

/** `supply_catalogue` → SupplyItem[] */
export interface SupplyItem {
  code: string;
  label: string;
  /** 个, 只, 份… */
  unit: string;
  /** What the issue form proposes for one person. */
  per_person: number;
}

/** `stock_report` {input: {unit}} → StockReport (unit null = the user's own). */
export interface StockReport {
  unit: string;
  unit_name: string;
  lines: StockLine[];
  /** Latest movements first (at most 50). */
  movements: Movement[];
}

export interface StockLine {
  item: string;
  label: string;
  unit: string;
  received: number;
  issued: number;
  adjusted: number;
  stock: number;
  /** More issued than known to be in stock: shown in red and listed for review. */
  short: boolean;
}

export interface Movement {
  at_ms: number;
  kind: "received" | "issued" | "adjusted";
  kind_label: string;
  item_label: string;
  delta: number;
  person: PersonRef | null;
  note: string | null;
  user: string;
}

export interface PersonRef {
  record_id: string;
  /** Masked (何*). */
  masked_name: string;
}

/** `receive_stock` {input: {item, quantity, note}} → StockReport (物资入库) */
export interface ReceiveInput {
  item: string;
  quantity: number;
  note: string | null;
}

/** `adjust_stock` {input: {item, delta, reason}} → StockReport (盘点调整; delta may be negative) */
export interface AdjustInput {
  item: string;
  delta: number;
  reason: string;
}

/** `issue_supplies` {input: IssueInput} → IssueResult (发放物资): to the person wearing the scanned
 *  wristband, or to the person picked (record_id). */
export interface IssueInput {
  record_id: string | null;
  scan: string | null;
  items: { item: string; quantity: number }[];
}

export interface IssueResult {
  person: PersonRef;
  /** Items now below zero in the ledger: issued anyway (offline), flagged for review. */
  over_issued: { item: string; label: string; stock: number }[];
  message: string;
  stock: StockReport;
}

/** `bind_wristband` {input: {record_id, scan}} → PersonDetail (扫码绑定) */
export interface BindInput {
  record_id: string;
  scan: string;
}

/** `replace_wristband` {input: {record_id, scan, reason}} → PersonDetail (lost or damaged band:
 *  the old one is unbound with the reason, the new one bound; the history keeps both). */
export interface ReplaceInput {
  record_id: string;
  scan: string;
  reason: string;
}

/** `unbind_wristband` {input: {record_id, reason}} → PersonDetail */
export interface UnbindInput {
  record_id: string;
  reason: string;
}

export type TransferStatus =
  | "awaiting_vehicle"
  | "vehicle_assigned"
  | "boarding"
  | "picked_up"
  | "delivered_to_hotel"
  | "cancelled";

export type VehicleKind = "close_contact" | "other";

/** `transfer_notice` {input: TransferNoticeInput} → TransferDetail (通知转运) */
export interface TransferNoticeInput {
  /** 密接车辆转运人数 */
  close_contact_riders: number;
  /** 非密接车辆转运人数 */
  other_riders: number;
  /** 接车地址 */
  pickup_address: string;
  /** The persons to transfer (one community, one program). */
  record_ids: string[];
}

/** `transfers` {input: {status}} → TransferRow[] (newest first; status null = all) */
export interface TransferRow {
  transfer_id: string;
  status: TransferStatus;
  /** 待派车 / 已派车 / 接人中 / 已完成接人 / 已送达酒店 / 已取消 */
  status_label: string;
  unit: string;
  unit_name: string;
  pickup_address: string;
  close_contact_riders: number;
  other_riders: number;
  expected: number;
  boarded: number;
  arrived: number;
  /** In lists the driver's phone is masked; in TransferDetail it is in full. */
  vehicles: VehicleView[];
  notified_at_ms: number | null;
  needs_review: boolean;
}

export interface VehicleView {
  plate: string;
  driver_phone: string;
  kind: VehicleKind;
  kind_label: string;
}

/** `transfer` {input: {transfer_id}} → TransferDetail; also returned by the actions below. */
export interface TransferDetail extends TransferRow {
  manifest: { person: PersonRef; boarded_at_ms: number | null; arrived_at_ms: number | null }[];
  /** Expected persons not boarded yet. */
  missing: PersonRef[];
  cancel_reason: string | null;
  /** assign_vehicle, cancel, board, complete_pickup, hotel_arrival, hotel_receive */
  allowed: string[];
  reviews: ReviewNote[];
}

/** `assign_vehicle` {input: {transfer_id, plate, driver_phone, vehicle}} → TransferDetail (派车) */
export interface AssignVehicleInput {
  transfer_id: string;
  plate: string;
  driver_phone: string;
  vehicle: VehicleKind;
}

/** `cancel_transfer` {input: {transfer_id, reason}} → TransferDetail (取消转运通知) */
export interface CancelTransferInput {
  transfer_id: string;
  reason: string;
}

/** `boarding_scan` / `hotel_scan` {input: {transfer_id, scan}} → ScanResult (接人上车 / 酒店签收).
 *  `complete_pickup` / `hotel_receive` {input: {transfer_id}} → TransferDetail. */
export interface ScanInput {
  transfer_id: string;
  scan: string;
}

/** Each kind has its own sound and colour on the roll-call screen. */
export type ScanKind =
  | "boarded"
  | "arrived"
  | "already_boarded"
  | "already_arrived"
  | "unknown_wristband"
  | "unbound_wristband"
  | "other_transfer"
  | "not_on_manifest"
  | "not_boarded"
  | "several_persons";

export interface ScanResult {
  kind: ScanKind;
  accepted: boolean;
  message: string;
  person: PersonRef | null;
  other_transfer: string | null;
  /** Boarded (hotel: arrived) so far, out of `expected`. */
  done: number;
  expected: number;
  missing: PersonRef[];
}

// ---------------------------------------------------------------- console_* (the offline console)

/* The desktop app's console (console.html inside the app) calls these; they answer the same
 * JSON as the server's /console/api/ (types in console/api.ts), from the local replica:
 *   `console_me` → Me (source "replica")
 *   `console_results` {input: Filter & {lang: "zh" | "en"}} → ResultsPage
 *   `console_export` {input: Filter & {lang}} → the saved file's path (string)
 *   `console_person` {input: {id, lang: Lang}} → PersonDetail
 *   `console_towns` / `console_progress` / `console_tasks` {input: {program, batch}}
 *   `console_alerts` {input: {since_ms: number | null}} → Feed
 *   `console_flow` {input: {task}} → Flow
 *   `console_devices` → DeviceHealth[] (this device only); `console_batches` → Batch[] */
