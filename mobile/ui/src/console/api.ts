// The console's one interface to its data: `ConsoleApi`. In a browser it is `HttpConsoleApi`
// (http-api.ts: fetch to the sync server's /console/api/ and /admin/imports); in the desktop app it is
// `TauriConsoleApi` (tauri-api.ts), over the local replica of the user's jurisdiction, and every
// console view serves both. Every method rejects with a `ConsoleError`, never a bare string.

export type Lang = "zh-CN" | "en";

/** A label in both languages, as the server sends program and unit names. */
export interface Text {
  zh: string;
  en: string;
}

export interface ConsoleError {
  /** HTTP status (0 when the server could not be reached). */
  status: number;
  code: string;
  message: string;
}

export interface Viewer {
  user_id: string;
  display_name: string;
  role: string;
  unit: string;
  administrator: boolean;
}

export interface OutcomeNode {
  code: string;
  label: Text;
  children: OutcomeNode[];
}

export interface ProgramInfo {
  id: string;
  name: Text;
  outcomes: OutcomeNode[];
  statuses: { code: string; label: Text }[];
}

export interface Me {
  viewer: Viewer;
  unit_name: Text;
  programs: ProgramInfo[];
  towns: { code: string; name: Text }[];
  /** Districts and towns in scope (for a new user's unit). */
  units: { code: string; name: Text }[];
  roles: { code: string; name: Text }[];
  now_ms: number;
  /** "server": the central ledger; "replica": this device's copy (the desktop app, offline). */
  source?: "server" | "replica";
  /** In the desktop app: the sync server, whose web console has imports and administration. */
  server_url?: string;
}

/** An export: the file for the browser to download, or where the desktop app saved it. */
export type Exported = { blob: Blob } | { saved_to: string };

export interface User {
  id: string;
  display_name: string;
  role: string;
  unit: string;
  created_at_ms: number;
}

export interface NewUser {
  id: string;
  display_name: string;
  role: string;
  unit: string;
}

/** A one-time code: signs a user in to the console, or enrols one device. */
export interface IssuedCode {
  code: string;
  user_id: string;
  expires_at_ms: number;
  /** `outpost-enrol:<server>#<code>`, what the QR code holds. */
  payload: string;
  qr_svg: string;
}

export interface Device {
  id: string;
  user_id: string;
  label: string;
  enrolled_at_ms: number;
  revoked_at_ms: number | null;
  last_sync_ms: number | null;
}

export interface Filter {
  program: string;
  batch?: string;
  unit?: string;
  status?: string;
  outcome?: string;
  search?: string;
  offset?: number;
  limit?: number;
}

export interface PersonRow {
  id: string;
  batch: string;
  task: string;
  unit: string;
  unit_name: Text;
  status: string;
  status_label: Text;
  outcome: Text[];
  outcome_codes: string[];
  note: string | null;
  fields: Record<string, string>;
  dispatched_ms: number | null;
  claimed_ms: number | null;
  answered_ms: number | null;
  needs_review: boolean;
}

export interface ResultsPage {
  total: number;
  offset: number;
  /** Records left out because they cannot be read (quarantined on the server). */
  unreadable?: number;
  rows: PersonRow[];
  columns: [string, Text][];
}

export interface FlowItem {
  at_ms: number;
  kind: string;
  label: Text;
  by: string;
  person: string;
  detail: Text;
}

export interface PersonDetail {
  person: PersonRow;
  masked: boolean;
  events: FlowItem[];
}

export interface TownCounts {
  unit: string;
  unit_name: Text;
  total: number;
  unclaimed: number;
  claimed: number;
  answered: number;
  overdue: number;
  completion: number;
}

export interface ProgressPoint {
  at_ms: number;
  dispatched: number;
  answered: number;
}

export interface FeedItem extends FlowItem {
  key: string;
  task: string;
  unit_name: Text;
}

export interface Feed {
  items: FeedItem[];
  cursor_ms: number;
}

export interface TaskSummary {
  id: string;
  batch: string;
  unit: string;
  unit_name: Text;
  members: number;
  claimed: number;
  answered: number;
  anchor_ms: number;
  standing_alerts: number;
  /** Of `members`, the persons moved to the unit since (修改所属单位 / 转发), counted in this row. */
  moved_in: number;
}

export interface Flow {
  task: string;
  unit: string;
  unit_name: Text;
  batch: string;
  members: number;
  claimed: number;
  answered: number;
  items: FlowItem[];
}

export interface DeviceHealth {
  device: string;
  label: string;
  user: string;
  user_name: string;
  unit: string;
  unit_name: Text;
  revoked: boolean;
  last_sync_ms: number | null;
  waiting_records: number;
  oldest_unsent_ms: number | null;
  oldest_unsent_age_ms: number | null;
  ledger_positions_behind: number;
}

export interface Batch {
  batch: string;
  program: string;
  created_ms: number;
  creator?: string;
  file_name?: string | null;
  rows?: number;
  imported?: number;
  failed?: number;
  failures_url?: string | null;
}

export interface ImportOutcome {
  batch: string;
  rows: number;
  imported: number;
  failed: number;
  failures_url: string | null;
}

/** One administrative unit as the jurisdiction view shows it (行政区划). */
export interface JurisdictionUnit {
  code: string;
  name: Text;
  level: Text;
  parent: string | null;
  aliases: string[];
  children: number;
  /** Matched the search (the others shown are its ancestors). */
  matched: boolean;
  level_code: "district" | "town" | "community";
  /** As the files have it, changed in the console, or added there. */
  origin: "file" | "changed" | "added";
  /** The name in the jurisdiction file (null for a unit added in the console). */
  file_name: Text | null;
}

export interface JurisdictionTree {
  total: number;
  matches: number;
  /** Units added and file units changed in the console. */
  added: number;
  changed: number;
  updated_ms: number | null;
  updated_by: string | null;
  units: JurisdictionUnit[];
}

/** A unit as the console adds or renames it. */
export interface UnitEntry {
  code: string;
  name: string;
  name_en: string;
  aliases: string[];
}

/** A notification channel; its address and secret are never sent back. */
export interface ChannelInfo {
  id: string;
  kind: string;
  host: string;
  signed: boolean;
  /** "file": the server's config file (not editable here); "console": added here. */
  source: "file" | "console";
  /** An e-mail channel's relay, sender and recipients (never its password). */
  smtp: { port: number; tls: string; username: string | null; from: string; to: string[] } | null;
}

/** An e-mail channel as the console sends it; a blank password keeps the saved one. */
export interface SmtpInput {
  host: string;
  port?: number;
  tls: string;
  username?: string;
  password?: string;
  from: string;
  to: string[];
}

export interface RouteInfo {
  unit: string;
  unit_name: Text;
  recipient: string;
  channels: string[];
  include_descendants: boolean;
  source: "file" | "console";
}

/** For a unit: who one escalation step reaches, on which channels. */
export interface StepReach {
  program: string;
  program_name: Text;
  rule: string;
  rule_label: Text;
  step: number;
  when: string;
  recipients: { code: string; label: Text; unit: string; unit_name: Text; channels: string[] }[];
}

export interface NotificationSettings {
  channels: ChannelInfo[];
  routes: RouteInfo[];
  recipients: { code: string; label: Text }[];
  kinds: string[];
  updated_ms: number | null;
  updated_by: string | null;
  reach: StepReach[] | null;
}

/** What the console saves: its own channels (url/secret left out keep the saved ones) and routes. */
export interface NotificationOverlay {
  channels: { id: string; kind: string; url?: string; secret?: string; smtp?: SmtpInput }[];
  routes: { unit: string; recipient: string; channels: string[]; include_descendants: boolean }[];
}

export interface StepSettings {
  after?: string;
  at?: string;
  days_after?: number;
  notify: string[];
}

export interface RuleSettings {
  id: string;
  recurring_at?: string;
  every_days?: number;
  steps: StepSettings[];
}

export interface DeadlineSettings {
  rules: RuleSettings[];
}

export interface ProgramSettings {
  id: string;
  name: Text;
  customised: boolean;
  updated_ms: number | null;
  updated_by: string | null;
  recipients: { code: string; label: Text }[];
  rules: {
    id: string;
    label: Text;
    anchor: Text;
    until: Text | null;
    recurring: boolean;
    current: RuleSettings;
    default: RuleSettings;
  }[];
}

export interface Session {
  /** The console session's token: the only credential the browser keeps. */
  token: string;
  viewer: Viewer;
}

/** A lockout after repeated failed attempts (administrator only): the source address, or the
 *  first hex digits of the guessed value's hash — never the value. */
export interface Lockout {
  id: string;
  kind: "enrolment_code" | "sign_in_code" | "admin_token" | "device_credential";
  kind_label: Text;
  subject: "source" | "credential";
  key: string;
  failures: number;
  lockouts: number;
  locked_until_ms: number;
  /** The end in Beijing time, as the server wrote it. */
  locked_until: string;
}

export interface Lockouts {
  now_ms: number;
  lockouts: Lockout[];
}

/** A record the server cannot read: left out of lists and exports, kept in the ledger. */
export interface QuarantinedRecord {
  record: string;
  /** What failed, as the record layer said it (never field values). */
  detail: string;
  /** Where it was met first: console, engine, sync, device. */
  found_by: string;
  first_seen_ms: number;
}

export interface ConsoleApi {
  signIn(credential: { code: string } | { admin_token: string }): Promise<Session>;
  signOut(): Promise<void>;
  me(): Promise<Me>;
  results(filter: Filter, lang: Lang): Promise<ResultsPage>;
  /** The filtered results as an .xlsx file, as on screen. */
  exportResults(filter: Filter, lang: Lang): Promise<Exported>;
  person(id: string, lang: Lang): Promise<PersonDetail>;
  towns(program: string, batch: string): Promise<TownCounts[]>;
  /** Completion over time, cumulative, first dispatch to now. */
  progress(program: string, batch: string): Promise<ProgressPoint[]>;
  alerts(sinceMs: number | null): Promise<Feed>;
  tasks(program: string, batch: string): Promise<TaskSummary[]>;
  flow(task: string): Promise<Flow>;
  devices(): Promise<DeviceHealth[]>;
  batches(): Promise<Batch[]>;
  /** Administrator only: imports a list (the workbook's bytes) as one batch. */
  importList(program: string, file: File): Promise<ImportOutcome>;
  /** Administrator only: the program's import template (an .xlsx with its columns). */
  template(program: string): Promise<Blob>;
  /** Administrator only: a batch's failure workbook. */
  failures(url: string): Promise<Blob>;
  /** Administrator only: users, a new user, a one-time code, devices and revocation. */
  users(): Promise<User[]>;
  createUser(user: NewUser): Promise<User>;
  issueCode(userId: string): Promise<IssuedCode>;
  adminDevices(): Promise<Device[]>;
  revokeDevice(deviceId: string): Promise<void>;
  /** Administrator only: the jurisdiction tree, searched by code, name or alias. */
  jurisdictions(search: string): Promise<JurisdictionTree>;
  /** Administrator only: a town or community added below an existing unit. */
  addUnit(entry: UnitEntry): Promise<JurisdictionTree>;
  /** Administrator only: a unit's names and aliases. */
  renameUnit(entry: UnitEntry): Promise<JurisdictionTree>;
  /** Administrator only: an added unit withdrawn (while nothing uses it), or a file's unit back
   *  to the file's names. */
  withdrawUnit(code: string): Promise<JurisdictionTree>;
  /** Administrator only: channels and routes; with `unit`, who each step reaches there. */
  notifications(unit: string | null): Promise<NotificationSettings>;
  saveNotifications(overlay: NotificationOverlay): Promise<NotificationSettings>;
  /** Administrator only: every program's deadline rules, in force and as the file has them. */
  programSettings(): Promise<ProgramSettings[]>;
  saveDeadlines(program: string, settings: DeadlineSettings): Promise<ProgramSettings>;
  resetDeadlines(program: string): Promise<ProgramSettings>;
  /** Administrator only: the current lockouts of codes and tokens, and lifting one. */
  lockouts(): Promise<Lockouts>;
  /** Administrator only: the records the server cannot read. */
  quarantine(): Promise<{ records: QuarantinedRecord[] }>;
  liftLockout(id: string): Promise<void>;
}
