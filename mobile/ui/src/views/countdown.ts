// Live deadline countdowns. An element made here carries its deadline in data-due-ms (and the
// Rust side's verdict in data-overdue-flag); the shell calls `tickAll` every second, so every
// countdown on screen moves without asking the Rust side.

import { h } from "../dom.js";
import { currentLang, t } from "../i18n.js";
import { countdown } from "../logic/time.js";

export function countdownEl(testid: string, dueMs: number, overdueFlag: boolean): HTMLElement {
  const el = h("span", {
    class: "countdown",
    testid,
    "data-due-ms": dueMs,
    "data-overdue-flag": String(overdueFlag),
  });
  tick(el, Date.now());
  return el;
}

function tick(el: HTMLElement, now: number): void {
  const due = Number(el.getAttribute("data-due-ms"));
  if (!Number.isFinite(due)) return;
  const c = countdown(currentLang(), due, now, el.getAttribute("data-overdue-flag") === "true");
  el.textContent = c.overdue ? t("deadline.overdue", { t: c.text }) : t("deadline.left", { t: c.text });
  el.setAttribute("data-overdue", String(c.overdue));
  el.classList.toggle("overdue", c.overdue);
  el.closest("[data-countdown-host]")?.classList.toggle("overdue", c.overdue);
}

export function tickAll(root: ParentNode): void {
  const now = Date.now();
  for (const el of Array.from(root.querySelectorAll<HTMLElement>("[data-due-ms]"))) tick(el, now);
}
