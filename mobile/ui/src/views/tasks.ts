// 3. The task list: tabs 待认领 / 已认领待反馈 / 已反馈 with counts and the 超时 badge, a search
// box, persons grouped by task (batch + unit) with a live deadline, selection and 认领.
// Lists carry masked data only (the Rust side masks; nothing is unmasked here).

import { type Tab, type TabCounts, type TaskGroup } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { fill, h, select } from "../dom.js";
import { t } from "../i18n.js";
import { formatDateTime, formatShort } from "../logic/time.js";
import { countdownEl } from "./countdown.js";
import { problemBadgeClass } from "../logic/sync-problems.js";

const TABS: Tab[] = ["unclaimed", "claimed", "answered"];
const SEARCH_DELAY_MS = 250;

export function renderTasks(ctx: Ctx): View {
  const state = ctx.taskList;
  const status = ctx.status();
  const programs = status?.programs ?? [];
  let groups: TaskGroup[] = [];
  let counts: TabCounts | null = null;
  let loadSeq = 0;
  let searchTimer: number | undefined;

  const root = h("section", { class: "tasks", testid: "tasks" });
  const program = ctx.program();
  if (program === null) {
    fill(root, h("div", { class: "card empty", testid: "tasks-no-program" }, t("tasks.no_program")));
    return { el: root };
  }

  const tabButtons = new Map<Tab, HTMLButtonElement>();
  const tabCounts = new Map<Tab, HTMLElement>();
  for (const tab of TABS) {
    const count = h("span", { class: "count", testid: `tab-${tab}-count`, "data-count": "" }, "–");
    tabCounts.set(tab, count);
    const button = h(
      "button",
      {
        class: "tab",
        role: "tab",
        testid: `tab-${tab}`,
        onclick: () => {
          if (state.tab === tab) return;
          state.tab = tab;
          state.selected.clear();
          void load();
        },
      },
      h("span", { class: "tab-label" }, t(`tab.${tab}`)),
      count,
    );
    tabButtons.set(tab, button);
  }
  const overdue = h("span", { class: "overdue-badge", testid: "tab-overdue-count", "data-count": "0", hidden: true });

  const search = h("input", {
    type: "search",
    class: "search",
    testid: "task-search",
    placeholder: t("tasks.search"),
    "aria-label": t("tasks.search"),
    value: state.query,
    enterkeyhint: "search",
  });
  search.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      state.query = search.value.trim();
      void load();
    }, SEARCH_DELAY_MS);
  });

  const claimButton = h("button", { class: "primary", testid: "claim-selected", onclick: () => void claim() });
  const claimBar = h("div", { class: "claim-bar", testid: "claim-bar" }, claimButton);
  const list = h("div", { class: "groups", testid: "task-list", "aria-busy": "true" });

  const programPicker =
    programs.length > 1
      ? (() => {
          const el = select(
            { testid: "program-select", "aria-label": t("tasks.program") },
            programs.map((p) => ({ value: p.id, label: p.name })),
            program,
            null,
          );
          el.addEventListener("change", () => {
            ctx.setProgram(el.value);
            ctx.reset({ screen: "tasks" });
          });
          return h("label", { class: "program-picker" }, h("span", {}, t("tasks.program")), el);
        })()
      : h("div", { class: "program-name", testid: "program-name" }, programs[0]?.name ?? "");

  fill(
    root,
    programPicker,
    h("div", { class: "tabs", role: "tablist" }, ...TABS.map((tab) => tabButtons.get(tab)), overdue),
    search,
    list,
    claimBar,
  );

  function renderTabs(): void {
    for (const tab of TABS) {
      const active = tab === state.tab;
      const b = tabButtons.get(tab);
      b?.classList.toggle("active", active);
      b?.setAttribute("aria-selected", String(active));
      const c = tabCounts.get(tab);
      if (c) {
        const n = counts ? counts[tab] : null;
        c.textContent = n === null ? "–" : String(n);
        c.setAttribute("data-count", n === null ? "" : String(n));
      }
    }
    const n = counts?.overdue ?? 0;
    overdue.hidden = n === 0;
    overdue.textContent = t("tasks.overdue", { n });
    overdue.setAttribute("data-count", String(n));
  }

  function renderClaimBar(): void {
    claimBar.hidden = state.tab !== "unclaimed";
    claimButton.textContent = t("tasks.claim", { n: state.selected.size });
    claimButton.disabled = state.selected.size === 0;
    claimButton.setAttribute("data-count", String(state.selected.size));
  }

  function renderList(): void {
    list.setAttribute("aria-busy", "false");
    if (groups.length === 0) {
      fill(list, h("div", { class: "card empty", testid: "tasks-empty" }, t("tasks.empty")));
      return;
    }
    fill(list, ...groups.map(renderGroup));
  }

  function renderGroup(g: TaskGroup): HTMLElement {
    const selectable = state.tab === "unclaimed";
    const ids = g.persons.map((p) => p.record_id);
    const allSelected = ids.length > 0 && ids.every((id) => state.selected.has(id));
    const selectTask = selectable
      ? h("input", {
          type: "checkbox",
          testid: "select-task",
          "aria-label": t("tasks.select_all"),
          checked: allSelected,
          onchange: (ev: Event) => {
            const on = (ev.target as HTMLInputElement).checked;
            for (const id of ids) {
              if (on) state.selected.add(id);
              else state.selected.delete(id);
            }
            renderList();
            renderClaimBar();
          },
        })
      : null;
    const deadline = g.deadline
      ? h(
          "div",
          { class: "deadline", "data-countdown-host": "" },
          h("span", { class: "deadline-label", testid: "task-deadline-label" }, g.deadline.label),
          " ",
          countdownEl("task-deadline", g.deadline.due_ms, g.deadline.overdue),
          " ",
          h(
            "span",
            { class: "due", testid: "task-deadline-due", title: formatDateTime(g.deadline.due_ms, true) },
            t("deadline.due", { t: formatShort(g.deadline.due_ms, Date.now()) }),
          ),
        )
      : null;
    return h(
      "article",
      {
        class: g.deadline?.overdue ? "card group overdue" : "card group",
        testid: "task-group",
        "data-task-id": g.task_id,
        "data-countdown-host": "",
      },
      h(
        "header",
        { class: "group-head" },
        selectTask ? h("label", { class: "check" }, selectTask) : null,
        h(
          "div",
          { class: "group-title" },
          h("strong", { testid: "task-unit" }, g.unit_name),
          g.batch ? h("span", { class: "muted", testid: "task-batch" }, t("tasks.batch", { b: g.batch })) : null,
          h("span", { class: "muted", testid: "task-person-count" }, t("tasks.persons", { n: g.persons.length })),
          g.dispatched_at_ms !== null
            ? h("span", { class: "muted" }, t("tasks.dispatched", { t: formatShort(g.dispatched_at_ms, Date.now()) }))
            : null,
        ),
      ),
      deadline,
      h("ul", { class: "persons" }, ...g.persons.map((p) => renderPerson(p, selectable))),
    );
  }

  function renderPerson(p: TaskGroup["persons"][number], selectable: boolean): HTMLElement {
    const box = selectable
      ? h("input", {
          type: "checkbox",
          testid: "select-person",
          "aria-label": t("tasks.select_person", { name: p.masked_name }),
          checked: state.selected.has(p.record_id),
          onchange: (ev: Event) => {
            if ((ev.target as HTMLInputElement).checked) state.selected.add(p.record_id);
            else state.selected.delete(p.record_id);
            renderClaimBar();
            // keep the task's select-all box honest
            const group = (ev.target as HTMLElement).closest("[data-testid=task-group]");
            const all = group?.querySelector<HTMLInputElement>("[data-testid=select-task]");
            const boxes = group ? Array.from(group.querySelectorAll<HTMLInputElement>("[data-testid=select-person]")) : [];
            if (all) all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
          },
        })
      : null;
    return h(
      "li",
      { class: "person-row", testid: "person-row", "data-record-id": p.record_id, "data-status": p.status },
      box ? h("label", { class: "check" }, box) : null,
      h(
        "button",
        {
          class: "person-open",
          testid: "person-open",
          onclick: () => ctx.go({ screen: "person", recordId: p.record_id }),
        },
        h(
          "span",
          { class: "person-line" },
          h("strong", { testid: "person-name" }, p.masked_name),
          h("span", { testid: "person-phone" }, p.masked_phone),
        ),
        h("span", { class: "person-line muted" }, h("span", { testid: "person-id" }, p.masked_id_number)),
        h(
          "span",
          { class: "person-line" },
          h("span", { class: `status status-${p.status}`, testid: "person-status" }, p.status_label),
          p.outcome_label ? h("span", { class: "outcome", testid: "person-outcome" }, p.outcome_label) : null,
          p.needs_review ? h("span", { class: "badge warn", testid: "person-needs-review" }, t("row.needs_review")) : null,
          p.report_to_cdc ? h("span", { class: "badge danger", testid: "person-report-cdc" }, t("row.report_cdc")) : null,
          p.sync_problem
            ? h(
                "span",
                { class: problemBadgeClass(p.sync_problem), testid: "person-sync-problem", "data-kind": p.sync_problem.kind },
                p.sync_problem.label,
              )
            : null,
        ),
      ),
    );
  }

  async function load(): Promise<void> {
    const seq = ++loadSeq;
    renderTabs();
    renderClaimBar();
    list.setAttribute("aria-busy", "true");
    try {
      const [c, g] = await Promise.all([
        ctx.api.taskCounts(program as string),
        ctx.api.tasks({ program: program as string, tab: state.tab, query: state.query }),
      ]);
      if (seq !== loadSeq) return; // a newer load (tab switch, typing) owns the screen
      counts = c;
      groups = g;
      // Forget selections that left the list (claimed elsewhere, moved to another town).
      const present = new Set(g.flatMap((x) => x.persons.map((p) => p.record_id)));
      for (const id of Array.from(state.selected)) if (!present.has(id)) state.selected.delete(id);
    } catch (e) {
      if (seq === loadSeq) {
        list.setAttribute("aria-busy", "false");
        ctx.error(e);
      }
      return;
    }
    renderTabs();
    renderClaimBar();
    renderList();
  }

  async function claim(): Promise<void> {
    const ids = Array.from(state.selected);
    if (ids.length === 0) return;
    claimButton.disabled = true;
    try {
      const result = await ctx.api.claim({ record_ids: ids });
      state.selected.clear();
      ctx.notice(t("tasks.claimed_ok", { n: result.claimed }));
    } catch (e) {
      ctx.error(e);
    }
    await load();
  }

  void load();
  return {
    el: root,
    refresh: () => void load(),
    dispose: () => window.clearTimeout(searchTimer),
  };
}
