// The shell: one window, a sticky header (sync bar, messages, reminder banner, navigation) that
// every screen shares, and the current screen below it.
//
// Timers: sync_status every second (the bar), reminders every 30 s, and a one-second tick that
// moves every countdown on screen (elements with data-due-ms) without asking the Rust side. A
// poll never overlaps itself, and none of them blocks the screen.

import { type Api, toAppError } from "./api.js";
import { type AppStatus, type ProgramView, type Reminder, type UnitNode } from "./contract.js";
import { type Ctx, type Route, type TaskListState, type View } from "./ctx.js";
import { fill, h } from "./dom.js";
import { currentLang, setCurrentLang, t } from "./i18n.js";
import { tickAll } from "./views/countdown.js";
import { SyncBar } from "./views/syncbar.js";
import { renderEnrol } from "./views/enrol.js";
import { renderUnlock } from "./views/unlock.js";
import { renderTasks } from "./views/tasks.js";
import { renderPerson } from "./views/person.js";
import { renderReviews } from "./views/reviews.js";
import { renderReminders } from "./views/reminders.js";
import { renderSettings } from "./views/settings.js";
import { renderRollCall } from "./views/roll-call.js";
import { navScreens, type NavScreen } from "./logic/nav.js";
import { renderSupplies } from "./views/supplies.js";
import { renderTransfer, renderTransferNotice, renderTransfers } from "./views/transfers.js";

const SYNC_POLL_MS = 1000;
const REMINDER_POLL_MS = 30_000;
/** Roles whose nav offers the offline console (the supervisors of a unit and below). */
const CONSOLE_ROLES = ["leader", "cdc", "admin"];

export class App implements Ctx {
  readonly api: Api;
  taskList: TaskListState = { tab: "unclaimed", query: "", selected: new Set() };

  private appStatus: AppStatus | null = null;
  private currentProgram: string | null = null;
  private stack: Route[] = [{ screen: "loading" }];
  private view: View | null = null;
  private programs = new Map<string, Promise<ProgramView>>();
  private unitLists = new Map<string, Promise<UnitNode[]>>();
  private reminders: Reminder[] = [];
  private lastSuccessMs: number | null = null;

  private readonly syncBar: SyncBar;
  private readonly errorLine: HTMLElement;
  private readonly errorText: HTMLElement;
  private readonly noticeLine: HTMLElement;
  private readonly reminderBanner: HTMLButtonElement;
  private readonly nav: HTMLElement;
  private readonly main: HTMLElement;
  private noticeTimer: number | undefined;

  constructor(api: Api, root: HTMLElement) {
    this.api = api;
    this.syncBar = new SyncBar(api, {
      onError: (e) => this.error(e),
      onStatus: (s) => {
        // Any change of the last success (the first sync after enrolment or unlocking too)
        // means records may have arrived: refresh what is on screen (forms being filled in
        // leave themselves alone).
        if (s.last_success_ms !== this.lastSuccessMs) {
          this.lastSuccessMs = s.last_success_ms;
          if (s.last_success_ms !== null) this.dataChanged();
        }
      },
    });
    this.errorText = h("span", { class: "msg-text", testid: "error-text" });
    this.errorLine = h(
      "div",
      { class: "msg msg-error", testid: "error-message", role: "alert", hidden: true },
      this.errorText,
      h(
        "button",
        {
          class: "msg-close",
          testid: "error-dismiss",
          "aria-label": "dismiss",
          onclick: () => this.clearMessages(),
        },
        "×",
      ),
    );
    this.noticeLine = h("div", {
      class: "msg msg-notice",
      testid: "notice-message",
      role: "status",
      hidden: true,
    });
    this.reminderBanner = h("button", {
      class: "reminder-banner",
      testid: "reminder-banner",
      hidden: true,
      onclick: () => this.reset({ screen: "reminders" }),
    });
    this.nav = h("nav", { class: "nav", testid: "nav", hidden: true });
    this.main = h("main", { class: "screen", testid: "screen" });
    fill(
      root,
      h(
        "header",
        { class: "top" },
        this.syncBar.el,
        this.errorLine,
        this.noticeLine,
      ),
      // Outside the sticky header: on a 640 px phone the header must stay small.
      this.nav,
      this.reminderBanner,
      this.main,
    );
  }

  /** Ask the Rust side where we are and show the right first screen; start the timers. */
  async start(): Promise<void> {
    this.show();
    this.syncBar.start(SYNC_POLL_MS);
    window.setInterval(() => this.tickCountdowns(), 1000);
    window.setInterval(() => void this.pollReminders(), REMINDER_POLL_MS);
    await this.loadStatus();
  }

  private async loadStatus(): Promise<void> {
    try {
      this.statusChanged(await this.api.appStatus());
    } catch (e) {
      this.error(e);
      fill(
        this.main,
        h(
          "div",
          { class: "card center" },
          h("button", { class: "primary", testid: "retry", onclick: () => void this.loadStatus() }, "↻"),
        ),
      );
    }
  }

  // ------------------------------------------------------------------ Ctx

  status(): AppStatus | null {
    return this.appStatus;
  }

  program(): string | null {
    return this.currentProgram;
  }

  setProgram(id: string): void {
    this.currentProgram = id;
    this.taskList.selected.clear();
  }

  go(route: Route): void {
    this.stack.push(route);
    this.show();
  }

  reset(route: Route): void {
    this.stack = [route];
    this.show();
  }

  back(): void {
    if (this.stack.length > 1) this.stack.pop();
    else this.stack = [{ screen: "tasks" }];
    this.show();
  }

  statusChanged(status: AppStatus): void {
    const langChanged = status.lang !== currentLang();
    this.appStatus = status;
    setCurrentLang(status.lang);
    document.documentElement.lang = status.lang;
    if (langChanged) {
      this.programs.clear();
      this.unitLists.clear();
    }
    const ids = status.programs.map((p) => p.id);
    if (this.currentProgram === null || !ids.includes(this.currentProgram)) {
      this.currentProgram = ids[0] ?? null;
    }
    const where = this.stack[this.stack.length - 1];
    if (!status.enrolled) {
      this.stack = [{ screen: "enrol" }];
    } else if (!status.unlocked) {
      this.stack = [{ screen: "unlock" }];
    } else if (where.screen === "loading" || where.screen === "enrol" || where.screen === "unlock") {
      this.stack = [{ screen: "tasks" }];
      void this.pollReminders();
    }
    this.show();
  }

  error(reason: unknown): void {
    const e = toAppError(reason);
    if (typeof reason === "string" && e.code === "internal") {
      // A local validation message (the views pass plain strings for those).
      this.errorLine.setAttribute("data-error-code", "validation");
    } else {
      this.errorLine.setAttribute("data-error-code", e.code);
    }
    this.errorText.textContent = e.message;
    this.errorLine.hidden = false;
    this.noticeLine.hidden = true;
    if (e.code === "locked" || e.code === "not_enrolled") {
      // The Rust side locked (or lost) the replica under us: show the door, keep the message.
      this.api.appStatus().then(
        (s) => this.statusChanged(s),
        () => undefined,
      );
    }
  }

  notice(message: string): void {
    this.errorLine.hidden = true;
    this.noticeLine.textContent = message;
    this.noticeLine.hidden = false;
    window.clearTimeout(this.noticeTimer);
    this.noticeTimer = window.setTimeout(() => {
      this.noticeLine.hidden = true;
    }, 6000);
  }

  clearMessages(): void {
    this.errorLine.hidden = true;
    this.errorLine.removeAttribute("data-error-code");
    this.errorText.textContent = "";
    this.noticeLine.hidden = true;
  }

  programView(id: string): Promise<ProgramView> {
    const key = `${currentLang()}:${id}`;
    let p = this.programs.get(key);
    if (!p) {
      p = this.api.program(id);
      this.programs.set(key, p);
      p.catch(() => this.programs.delete(key));
    }
    return p;
  }

  units(level: string): Promise<UnitNode[]> {
    const key = `${currentLang()}:${level}`;
    let p = this.unitLists.get(key);
    if (!p) {
      p = this.api.units(level, null);
      this.unitLists.set(key, p);
      p.catch(() => this.unitLists.delete(key));
    }
    return p;
  }

  // ------------------------------------------------------------------ screens

  private show(): void {
    const route = this.stack[this.stack.length - 1];
    this.view?.dispose?.();
    this.view = null;
    document.body.setAttribute("data-screen", route.screen);
    this.clearMessagesOnNavigation();
    this.renderNav(route);
    this.renderReminderBanner();
    this.syncBar.render();
    const view = this.build(route);
    this.view = view;
    fill(this.main, view.el);
    this.tickCountdowns();
    window.scrollTo(0, 0);
  }

  private clearMessagesOnNavigation(): void {
    // An error stays visible when the shell itself moved the user (locked → unlock screen);
    // otherwise a new screen starts clean.
    const code = this.errorLine.getAttribute("data-error-code");
    if (code !== "locked" && code !== "not_enrolled" && code !== "wrong_pin") {
      this.errorLine.hidden = true;
    }
  }

  private build(route: Route): View {
    switch (route.screen) {
      case "loading":
        return { el: h("div", { class: "card center", testid: "loading" }, t("app.loading")) };
      case "enrol":
        return renderEnrol(this);
      case "unlock":
        return renderUnlock(this);
      case "tasks":
        return renderTasks(this);
      case "person":
        return renderPerson(this, route.recordId);
      case "transfers":
        return renderTransfers(this);
      case "transfer":
        return renderTransfer(this, route.transferId);
      case "transfer-new":
        return renderTransferNotice(this);
      case "roll-call":
        return renderRollCall(this, route.transferId, route.hop);
      case "supplies":
        return renderSupplies(this);
      case "reviews":
        return renderReviews(this);
      case "reminders":
        return renderReminders(this, () => this.reminders);
      case "settings":
        return renderSettings(this);
    }
  }

  private renderNav(route: Route): void {
    const unlocked = this.appStatus?.unlocked === true;
    const inside = route.screen !== "enrol" && route.screen !== "unlock" && route.screen !== "loading";
    this.nav.hidden = !(unlocked && inside);
    if (this.nav.hidden) return;
    const item = (
      screen: NavScreen,
      label: string,
    ) =>
      h(
        "button",
        {
          class: route.screen === screen ? "nav-item active" : "nav-item",
          testid: `nav-${screen}`,
          "aria-current": route.screen === screen ? "page" : false,
          onclick: () => this.reset({ screen }),
        },
        label,
      );
    const labels: Record<NavScreen, string> = {
      tasks: t("nav.tasks"),
      transfers: t("nav.transfers"),
      supplies: t("nav.supplies"),
      reviews: t("nav.reviews"),
      reminders: t("nav.reminders"),
      settings: t("nav.settings"),
    };
    const screens = navScreens(this.appStatus?.user?.role ?? "", this.appStatus?.programs ?? []);
    fill(this.nav, ...screens.map((screen) => item(screen, labels[screen])), this.consoleLink());
  }

  /** Leaders, the CDC and administrators open the console over this device's replica. */
  private consoleLink(): HTMLElement | null {
    const role = this.appStatus?.user?.role ?? "";
    if (!CONSOLE_ROLES.includes(role)) return null;
    return h(
      "button",
      { class: "nav-item", testid: "nav-console", onclick: () => (location.href = "console.html") },
      t("nav.console"),
    );
  }

  private renderReminderBanner(): void {
    const route = this.stack[this.stack.length - 1];
    const show =
      this.appStatus?.unlocked === true &&
      this.reminders.length > 0 &&
      route.screen !== "reminders" &&
      route.screen !== "unlock" &&
      route.screen !== "enrol";
    this.reminderBanner.hidden = !show;
    this.reminderBanner.classList.toggle(
      "overdue",
      this.reminders.some((r) => r.overdue || r.due_ms <= Date.now()),
    );
    fill(
      this.reminderBanner,
      h("span", { testid: "reminder-count", "data-count": this.reminders.length }, t("reminders.banner", { n: this.reminders.length })),
    );
  }

  private async pollReminders(): Promise<void> {
    if (this.appStatus?.unlocked !== true) return;
    try {
      this.reminders = await this.api.reminders();
    } catch (e) {
      // A failed background poll is shown like any failure, except a lock, which error() handles.
      this.error(e);
      return;
    }
    this.renderReminderBanner();
    if (this.stack[this.stack.length - 1].screen === "reminders") this.view?.refresh?.();
  }

  private dataChanged(): void {
    if (this.appStatus?.unlocked !== true) return;
    // A sync may bring the server's program files (a program it added, a step it changed):
    // forms ask for the programs again, and the list of programs follows.
    this.programs.clear();
    void this.refreshPrograms();
    this.view?.refresh?.();
    void this.pollReminders();
  }

  /** Takes the user's programs anew; when they changed, the navigation and a task list (its
   *  program picker) are drawn again. Other screens keep what is being typed. */
  private async refreshPrograms(): Promise<void> {
    let status: AppStatus;
    try {
      status = await this.api.appStatus();
    } catch {
      return; // the next sync tries again; a lock is reported by the screens' own calls
    }
    const names = (s: AppStatus | null) => JSON.stringify((s?.programs ?? []).map((p) => [p.id, p.name]));
    if (!status.unlocked || names(status) === names(this.appStatus)) return;
    this.appStatus = status;
    const ids = status.programs.map((p) => p.id);
    if (this.currentProgram === null || !ids.includes(this.currentProgram)) {
      this.currentProgram = ids[0] ?? null;
    }
    const where = this.stack[this.stack.length - 1];
    if (where.screen === "tasks") this.show();
    else this.renderNav(where);
  }

  /** Move every countdown on screen. */
  private tickCountdowns(): void {
    tickAll(document);
  }

}
