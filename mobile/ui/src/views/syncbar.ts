// The sync status bar, on every screen: 在线/离线, 待上传 N 条, last successful sync, age of the
// oldest unsent change, and 立即同步. It polls `sync_status` (cheap) every second; `sync_now`
// runs in the background with a small inline indicator — the screen is never blocked.

import { type Api } from "../api.js";
import { type SyncStatus } from "../contract.js";
import { fill, h } from "../dom.js";
import { currentLang, t } from "../i18n.js";
import { problemSummary } from "../logic/sync-problems.js";
import { formatAge, formatDateTime, formatShort } from "../logic/time.js";

export interface SyncBarHooks {
  onError(reason: unknown): void;
  onStatus(status: SyncStatus): void;
}

export class SyncBar {
  readonly el: HTMLElement;
  private readonly state: HTMLElement;
  private readonly indicator: HTMLElement;
  private readonly pending: HTMLElement;
  private readonly last: HTMLElement;
  private readonly oldest: HTMLElement;
  private readonly problems: HTMLElement;
  private readonly lastError: HTMLElement;
  private readonly button: HTMLButtonElement;
  private status: SyncStatus | null = null;
  private unavailable = false;
  private polling = false;
  private syncingHere = false;

  constructor(
    private readonly api: Api,
    private readonly hooks: SyncBarHooks,
  ) {
    this.state = h("span", { class: "sync-state", testid: "sync-state" });
    this.indicator = h("span", {
      class: "sync-indicator",
      testid: "sync-indicator",
      "aria-hidden": "true",
      hidden: true,
    });
    this.pending = h("span", { class: "sync-pending", testid: "sync-pending" });
    this.last = h("span", { class: "sync-last", testid: "sync-last" });
    this.oldest = h("span", { class: "sync-oldest", testid: "sync-oldest", hidden: true });
    this.problems = h("span", { class: "sync-problems", testid: "sync-problems", hidden: true });
    this.lastError = h("div", { class: "sync-error", testid: "sync-error", hidden: true });
    this.button = h(
      "button",
      { class: "sync-now", testid: "sync-now", onclick: () => void this.syncNow() },
      t("sync.now"),
    );
    this.el = h(
      "div",
      { class: "syncbar", testid: "sync-bar", role: "status", "aria-live": "polite" },
      h(
        "div",
        { class: "sync-facts" },
        this.state,
        this.indicator,
        this.pending,
        this.last,
        this.oldest,
        this.problems,
      ),
      this.button,
      this.lastError,
    );
    this.render();
  }

  start(intervalMs: number): void {
    void this.poll();
    window.setInterval(() => void this.poll(), intervalMs);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      this.take(await this.api.syncStatus());
      this.unavailable = false;
    } catch {
      // Before enrolment (or while the Rust side is busy) there is no status: say so in the
      // bar itself rather than flashing an error every second.
      this.unavailable = true;
    } finally {
      this.polling = false;
      this.render();
    }
  }

  private take(status: SyncStatus): void {
    this.status = status;
    this.hooks.onStatus(status);
  }

  private async syncNow(): Promise<void> {
    if (this.syncingHere) return;
    this.syncingHere = true;
    this.render();
    try {
      this.take(await this.api.syncNow());
      this.unavailable = false;
    } catch (e) {
      this.hooks.onError(e);
    } finally {
      this.syncingHere = false;
      this.render();
    }
  }

  /** Redraw from the last status (also after a language switch). */
  render(): void {
    const s = this.status;
    const now = Date.now();
    const lang = currentLang();
    this.button.textContent = t("sync.now");
    this.button.disabled = this.syncingHere;
    const syncing = this.syncingHere || s?.syncing === true;
    this.indicator.hidden = !syncing;
    this.indicator.title = t("sync.syncing");
    this.el.setAttribute("data-syncing", String(syncing));

    if (!s || this.unavailable) {
      this.state.textContent = this.unavailable && !s ? t("sync.unavailable") : t("sync.unknown");
      this.state.setAttribute("data-online", "unknown");
      this.state.className = "sync-state unknown";
      if (!s) {
        this.pending.textContent = "";
        this.pending.setAttribute("data-count", "0");
        this.last.textContent = t("sync.never");
        this.oldest.hidden = true;
        this.problems.hidden = true;
        this.lastError.hidden = true;
        return;
      }
    } else {
      const online = s.online === true ? "online" : s.online === false ? "offline" : "unknown";
      this.state.setAttribute("data-online", online);
      this.state.className = `sync-state ${online}`;
      this.state.textContent =
        online === "online" ? t("sync.online") : online === "offline" ? t("sync.offline") : t("sync.unknown");
    }

    this.pending.textContent = t("sync.pending", { n: s.pending_changes });
    this.pending.setAttribute("data-count", String(s.pending_changes));
    this.pending.classList.toggle("has-pending", s.pending_changes > 0);
    if (s.last_success_ms !== null) {
      this.last.textContent = t("sync.last", { t: formatShort(s.last_success_ms, now) });
      this.last.title = formatDateTime(s.last_success_ms, true);
      this.last.setAttribute("data-ms", String(s.last_success_ms));
    } else {
      this.last.textContent = t("sync.never");
      this.last.removeAttribute("data-ms");
    }
    if (s.oldest_unsent_ms !== null && s.pending_changes > 0) {
      this.oldest.hidden = false;
      this.oldest.textContent = t("sync.oldest", { age: formatAge(lang, now - s.oldest_unsent_ms) });
      this.oldest.setAttribute("data-ms", String(s.oldest_unsent_ms));
    } else {
      this.oldest.hidden = true;
    }
    const problems = problemSummary(lang, s);
    this.problems.hidden = problems === null;
    this.problems.textContent = problems ?? "";
    this.problems.setAttribute("data-unreadable", String(s.unreadable_records));
    this.problems.setAttribute("data-refused", String(s.refused_records));
    if (s.last_error && s.online === false) {
      this.lastError.hidden = false;
      fill(this.lastError, t("sync.failed", { e: s.last_error }));
    } else {
      this.lastError.hidden = true;
    }
  }
}
