// What every console view gets: the API, who is signed in, and how to report an error.

import { type ConsoleApi, type ConsoleError, type Me } from "./api.js";

export interface ConsoleCtx {
  api: ConsoleApi;
  me: Me;
  /** Shows a failure on the message line (a 401 signs out). */
  error(e: unknown): void;
  /** Starts `work` now and every `ms`, until the view is left; failures go to `error`. */
  poll(ms: number, work: () => Promise<void>): void;
}

/** A view draws into its element and may poll; leaving it stops the polls. */
export type View = (root: HTMLElement, ctx: ConsoleCtx) => void;

export function isConsoleError(e: unknown): e is ConsoleError {
  return typeof e === "object" && e !== null && "status" in e && "message" in e;
}

/** Saves a file the server made (an export, a failure workbook) under `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
