// What every view gets from the shell (app.ts): the Api, the app's status, navigation and the
// shared message line. Views never talk to each other; they go through this.

import { type Api } from "./api.js";
import { type AppStatus, type ProgramView, type Tab, type UnitNode } from "./contract.js";

export type Route =
  | { screen: "loading" }
  | { screen: "enrol" }
  | { screen: "unlock" }
  | { screen: "tasks" }
  | { screen: "person"; recordId: string }
  | { screen: "transfers" }
  | { screen: "transfer"; transferId: string }
  | { screen: "transfer-new" }
  | { screen: "roll-call"; transferId: string; hop: "boarding" | "hotel" }
  | { screen: "supplies" }
  | { screen: "reviews" }
  | { screen: "reminders" }
  | { screen: "settings" };

/** The task list's choices, kept while the user visits a person and comes back. */
export interface TaskListState {
  tab: Tab;
  query: string;
  selected: Set<string>;
}

export interface Ctx {
  readonly api: Api;
  status(): AppStatus | null;
  /** The program the lists show (the user's first unless switched). */
  program(): string | null;
  setProgram(id: string): void;
  taskList: TaskListState;
  /** Open a screen on top of the current one (`back` returns). */
  go(route: Route): void;
  /** Open a screen as a new start (the navigation bar). */
  reset(route: Route): void;
  back(): void;
  /** After enrol/unlock/lock/set_lang: take the new status and show the right screen. */
  statusChanged(status: AppStatus): void;
  /** Show a failure: AppError message, or a local validation message. */
  error(reason: unknown): void;
  /** Show a short confirmation (the action was saved locally). */
  notice(message: string): void;
  clearMessages(): void;
  /** Cached per language: labels arrive in the user's language. */
  programView(id: string): Promise<ProgramView>;
  units(level: string): Promise<UnitNode[]>;
}

/** A mounted screen. `refresh` is called when a sync brought new data; `dispose` on leaving. */
export interface View {
  el: HTMLElement;
  refresh?: () => void;
  dispose?: () => void;
}
