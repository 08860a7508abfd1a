// The one interface between the views and whatever runs the commands of contract.ts.
//
// In the field app it is the Tauri implementation below (commands over the local replica); a
// browser console can pass another implementation (HTTP to the server) and reuse every view.
// Every method rejects with an `AppError` — never with a bare string or an Error — so views can
// branch on `code` and always show `message`.

import {
  type ActCommand,
  type AdjustInput,
  type AssignVehicleInput,
  type BindInput,
  type CancelTransferInput,
  type IssueInput,
  type IssueResult,
  type ReceiveInput,
  type ReplaceInput,
  type ScanInput,
  type ScanResult,
  type StockReport,
  type SupplyItem,
  type TransferDetail,
  type TransferNoticeInput,
  type TransferRow,
  type TransferStatus,
  type UnbindInput,
  type AnswerInput,
  type AppError,
  type AppStatus,
  type ClaimInput,
  type CorrectInput,
  type EnrolInput,
  type ForwardInput,
  type Lang,
  type PersonDetail,
  type ProgramView,
  type ReassignInput,
  type Reminder,
  type ReviewItem,
  type StepInput,
  type SupplementaryInput,
  type SyncStatus,
  type TabCounts,
  type TaskGroup,
  type TasksInput,
  type UnitNode,
} from "./contract.js";

export interface Api {
  appStatus(): Promise<AppStatus>;
  setLang(lang: Lang): Promise<AppStatus>;
  enrol(input: EnrolInput): Promise<AppStatus>;
  unlock(pin: string): Promise<AppStatus>;
  lock(): Promise<AppStatus>;
  syncStatus(): Promise<SyncStatus>;
  syncNow(): Promise<SyncStatus>;
  taskCounts(program: string): Promise<TabCounts>;
  tasks(input: TasksInput): Promise<TaskGroup[]>;
  person(recordId: string): Promise<PersonDetail>;
  program(program: string): Promise<ProgramView>;
  units(level: string, within: string | null): Promise<UnitNode[]>;
  claim(input: ClaimInput): Promise<{ claimed: number }>;
  answer(input: AnswerInput): Promise<PersonDetail>;
  step(input: StepInput): Promise<PersonDetail>;
  reassign(input: ReassignInput): Promise<PersonDetail>;
  forward(input: ForwardInput): Promise<PersonDetail>;
  correct(input: CorrectInput): Promise<PersonDetail>;
  addSupplementary(input: SupplementaryInput): Promise<PersonDetail>;
  reviews(): Promise<ReviewItem[]>;
  reminders(): Promise<Reminder[]>;
  supplyCatalogue(): Promise<SupplyItem[]>;
  stockReport(unit: string | null): Promise<StockReport>;
  receiveStock(input: ReceiveInput): Promise<StockReport>;
  adjustStock(input: AdjustInput): Promise<StockReport>;
  issueSupplies(input: IssueInput): Promise<IssueResult>;
  bindWristband(input: BindInput): Promise<PersonDetail>;
  replaceWristband(input: ReplaceInput): Promise<PersonDetail>;
  unbindWristband(input: UnbindInput): Promise<PersonDetail>;
  transferNotice(input: TransferNoticeInput): Promise<TransferDetail>;
  transfers(status: TransferStatus | null): Promise<TransferRow[]>;
  transfer(transferId: string): Promise<TransferDetail>;
  assignVehicle(input: AssignVehicleInput): Promise<TransferDetail>;
  cancelTransfer(input: CancelTransferInput): Promise<TransferDetail>;
  boardingScan(input: ScanInput): Promise<ScanResult>;
  completePickup(transferId: string): Promise<TransferDetail>;
  hotelScan(input: ScanInput): Promise<ScanResult>;
  hotelReceive(transferId: string): Promise<TransferDetail>;
}

const CODES: ReadonlySet<string> = new Set([
  "not_enrolled",
  "locked",
  "wrong_pin",
  "bad_input",
  "enrolment_refused",
  "server_unreachable",
  "not_found",
  "not_allowed",
  "internal",
]);

export function isAppError(value: unknown): value is AppError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { code?: unknown; message?: unknown };
  return typeof v.code === "string" && CODES.has(v.code) && typeof v.message === "string";
}

/** Whatever a command rejected with, as an AppError (Tauri may hand over a JSON string, an
 *  Error from the bridge itself, or the serialized error object). */
export function toAppError(reason: unknown): AppError {
  if (isAppError(reason)) return reason;
  if (typeof reason === "string") {
    try {
      const parsed: unknown = JSON.parse(reason);
      if (isAppError(parsed)) return parsed;
    } catch {
      // not JSON: the string is the message
    }
    return { code: "internal", message: reason };
  }
  if (reason instanceof Error) return { code: "internal", message: reason.message };
  if (typeof reason === "object" && reason !== null) {
    const message = (reason as { message?: unknown }).message;
    if (typeof message === "string") return { code: "internal", message };
  }
  return { code: "internal", message: String(reason) };
}

type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

interface TauriGlobal {
  core?: { invoke?: Invoke };
}

function tauriInvoke(): Invoke | null {
  const tauri = (window as unknown as { __TAURI__?: TauriGlobal }).__TAURI__;
  return tauri?.core?.invoke ?? null;
}

/** Commands of contract.ts through `window.__TAURI__.core.invoke` (withGlobalTauri). */
export class TauriApi implements Api {
  private async call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    const invoke = tauriInvoke();
    if (!invoke) {
      throw {
        code: "internal",
        message: "window.__TAURI__ is missing: this page must run inside the Outpost app",
      } satisfies AppError;
    }
    try {
      return (await invoke(cmd, args)) as T;
    } catch (reason) {
      throw toAppError(reason);
    }
  }

  /** Every act on a person goes through the shell's one `act` command, named in `command`. */
  private act<T>(command: ActCommand, input: object): Promise<T> {
    return this.call("act", { input: { command, ...input } });
  }

  appStatus(): Promise<AppStatus> {
    return this.call("app_status");
  }
  setLang(lang: Lang): Promise<AppStatus> {
    // contract.ts writes this one as `set_lang {lang}`, not `{input: {lang}}`.
    return this.call("set_lang", { lang });
  }
  enrol(input: EnrolInput): Promise<AppStatus> {
    return this.call("enrol", { input });
  }
  unlock(pin: string): Promise<AppStatus> {
    return this.call("unlock", { input: { pin } });
  }
  lock(): Promise<AppStatus> {
    return this.call("lock");
  }
  syncStatus(): Promise<SyncStatus> {
    return this.call("sync_status");
  }
  syncNow(): Promise<SyncStatus> {
    return this.call("sync_now");
  }
  taskCounts(program: string): Promise<TabCounts> {
    return this.call("task_counts", { input: { program } });
  }
  tasks(input: TasksInput): Promise<TaskGroup[]> {
    return this.call("tasks", { input });
  }
  person(recordId: string): Promise<PersonDetail> {
    return this.call("person", { input: { record_id: recordId } });
  }
  program(program: string): Promise<ProgramView> {
    return this.call("program", { input: { program } });
  }
  units(level: string, within: string | null): Promise<UnitNode[]> {
    return this.call("units", { input: { level, within } });
  }
  claim(input: ClaimInput): Promise<{ claimed: number }> {
    return this.act("claim", input);
  }
  answer(input: AnswerInput): Promise<PersonDetail> {
    return this.act("answer", input);
  }
  step(input: StepInput): Promise<PersonDetail> {
    return this.act("step", input);
  }
  reassign(input: ReassignInput): Promise<PersonDetail> {
    return this.act("reassign", input);
  }
  forward(input: ForwardInput): Promise<PersonDetail> {
    return this.act("forward", input);
  }
  correct(input: CorrectInput): Promise<PersonDetail> {
    return this.act("correct", input);
  }
  addSupplementary(input: SupplementaryInput): Promise<PersonDetail> {
    return this.act("add_supplementary", input);
  }
  reviews(): Promise<ReviewItem[]> {
    return this.call("reviews");
  }
  reminders(): Promise<Reminder[]> {
    return this.call("reminders");
  }
  supplyCatalogue(): Promise<SupplyItem[]> {
    return this.call("supply_catalogue");
  }
  stockReport(unit: string | null): Promise<StockReport> {
    return this.call("stock_report", { input: { unit } });
  }
  receiveStock(input: ReceiveInput): Promise<StockReport> {
    return this.call("receive_stock", { input });
  }
  adjustStock(input: AdjustInput): Promise<StockReport> {
    return this.call("adjust_stock", { input });
  }
  issueSupplies(input: IssueInput): Promise<IssueResult> {
    return this.call("issue_supplies", { input });
  }
  bindWristband(input: BindInput): Promise<PersonDetail> {
    return this.call("bind_wristband", { input });
  }
  replaceWristband(input: ReplaceInput): Promise<PersonDetail> {
    return this.call("replace_wristband", { input });
  }
  unbindWristband(input: UnbindInput): Promise<PersonDetail> {
    return this.call("unbind_wristband", { input });
  }
  transferNotice(input: TransferNoticeInput): Promise<TransferDetail> {
    return this.call("transfer_notice", { input });
  }
  transfers(status: TransferStatus | null): Promise<TransferRow[]> {
    return this.call("transfers", { input: { status } });
  }
  transfer(transferId: string): Promise<TransferDetail> {
    return this.call("transfer", { input: { transfer_id: transferId } });
  }
  assignVehicle(input: AssignVehicleInput): Promise<TransferDetail> {
    return this.call("assign_vehicle", { input });
  }
  cancelTransfer(input: CancelTransferInput): Promise<TransferDetail> {
    return this.call("cancel_transfer", { input });
  }
  boardingScan(input: ScanInput): Promise<ScanResult> {
    return this.call("boarding_scan", { input });
  }
  completePickup(transferId: string): Promise<TransferDetail> {
    return this.call("complete_pickup", { input: { transfer_id: transferId } });
  }
  hotelScan(input: ScanInput): Promise<ScanResult> {
    return this.call("hotel_scan", { input });
  }
  hotelReceive(transferId: string): Promise<TransferDetail> {
    return this.call("hotel_receive", { input: { transfer_id: transferId } });
  }
}
