// 7. Reminders: this user's deadlines due within 30 min or overdue, from the local replica (the
// shell polls `reminders` every 30 s and shows a banner on every screen).

import { type Reminder } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { formatDateTime, formatShort } from "../logic/time.js";
import { countdownEl } from "./countdown.js";

export function renderReminders(ctx: Ctx, current: () => Reminder[]): View {
  const list = h("ul", { class: "reminder-list", testid: "reminder-list" });
  const root = h("section", { class: "reminders", testid: "reminders" }, h("h1", {}, t("reminders.title")), list);

  function render(items: Reminder[]): void {
    if (items.length === 0) {
      fill(list, h("li", { class: "card empty", testid: "reminders-empty" }, t("reminders.empty")));
      return;
    }
    const sorted = [...items].sort((a, b) => a.due_ms - b.due_ms);
    fill(
      list,
      ...sorted.map((r) =>
        h(
          "li",
          {
            class: r.overdue ? "card reminder-item overdue" : "card reminder-item",
            testid: "reminder-item",
            "data-task-id": r.task_id,
            "data-countdown-host": "",
          },
          h(
            "button",
            { class: "reminder-open", testid: "reminder-open", onclick: () => ctx.reset({ screen: "tasks" }) },
            h("strong", { testid: "reminder-unit" }, r.unit_name),
            h("span", { testid: "reminder-label" }, r.label),
            countdownEl("reminder-countdown", r.due_ms, r.overdue),
            h("span", { class: "muted", title: formatDateTime(r.due_ms, true) }, t("deadline.due", { t: formatShort(r.due_ms, Date.now()) })),
            h("span", { class: "muted", testid: "reminder-persons" }, t("reminders.persons", { n: r.persons })),
          ),
        ),
      ),
    );
  }

  render(current());
  // The shell's poll keeps `current` fresh; ask once more on opening so the list is not stale.
  ctx.api.reminders().then(render, (e) => ctx.error(e));
  return { el: root, refresh: () => render(current()) };
}
