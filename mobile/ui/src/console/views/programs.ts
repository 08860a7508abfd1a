// Program settings (时限设置, administrator): each program's deadline rules and escalation
// ladders, editable — durations, times of day, a recurring rule's time and period, and who each
// step notifies — beside what the program file says. Each value is checked before saving
// (`settings.ts`); the server checks again and answers in the user's language.

import { fill, h } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type ProgramSettings, type RuleSettings, type StepSettings } from "../api.js";
import { type ConsoleCtx, isConsoleError } from "../ctx.js";
import { type Problem, checkDays, checkLadder, checkTime, durationSeconds, durationText, programDuration } from "../settings.js";
import { ct, tx } from "../strings.js";

const say = (p: Problem) => ct(p.key, p.params ?? {});

/** How a step of the program file reads ("10分钟", "17:00 (+1d)"). */
function stepText(step: StepSettings | undefined): string {
  if (!step) return "";
  if (step.after !== undefined) return durationText(step.after);
  return step.days_after ? `${step.at ?? ""} (+${step.days_after}d)` : step.at ?? "";
}

export function programsView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "settings-only" }, ct("settings.only")));
    return;
  }
  const list = h("div", { testid: "settings-programs" });
  fill(root, h("h1", {}, ct("settings.title")), h("p", { class: "muted" }, ct("settings.intro")), list);

  const card = (program: ProgramSettings): HTMLElement => {
    const section = h("section", { class: "card", testid: "settings-program", "data-program": program.id });
    const notice = h("p", { class: "muted", testid: "settings-notice", role: "status" });
    const error = h("p", { class: "settings-error", testid: "settings-error", role: "alert", hidden: true });
    // Per rule: reads the form back into settings, marking what is wrong.
    const readers: (() => { rule: RuleSettings; ok: boolean })[] = [];

    const rules = program.rules.map((rule) => {
      const steps = rule.current.steps.map((step, i) => {
        const relative = step.after !== undefined;
        const value = h("input", {
          type: "text",
          testid: "settings-step-value",
          value: relative ? durationText(step.after ?? "") : step.at,
          "aria-label": `${tx(rule.label)} ${ct("settings.step", { n: i + 1 })}`,
        });
        const days = relative ? null : h("input", { type: "number", min: 0, max: 30, step: 1, testid: "settings-step-days", value: String(step.days_after ?? 0) });
        const boxes = program.recipients.map((r) => {
          const box = h("input", { type: "checkbox", value: r.code, checked: step.notify.includes(r.code), testid: "settings-step-recipient" });
          return { code: r.code, box, label: h("label", {}, box, tx(r.label)) };
        });
        const problem = h("div", { class: "settings-error", testid: "settings-step-error", hidden: true });
        const row = h(
          "tr",
          { testid: "settings-step", "data-rule": rule.id, "data-step": i + 1 },
          h("td", {}, ct("settings.step", { n: i + 1 })),
          h("td", {}, value, days ? h("span", {}, " +", days, ct("settings.days_after")) : null, problem),
          h("td", {}, h("div", { class: "checks" }, boxes.map((b) => b.label))),
          h("td", { class: "muted" }, ct("settings.default", { value: stepText(rule.default.steps[i]) })),
        );
        const read = (): StepSettings => {
          const notify = boxes.filter((b) => b.box.checked).map((b) => b.code);
          // Shown and typed in words ("15分钟") or as the file writes it ("15m"); sent as the file writes it.
          const seconds = durationSeconds(value.value);
          const after = seconds === null ? value.value.trim() : programDuration(seconds);
          return relative ? { after, notify } : { at: value.value.trim(), days_after: Number(days?.value ?? 0), notify };
        };
        const mark = (p: Problem | null) => {
          value.classList.toggle("invalid", p !== null);
          problem.textContent = p ? say(p) : "";
          problem.hidden = p === null;
        };
        return { row, read, mark };
      });
      let recurring: { at: HTMLInputElement; every: HTMLInputElement; problem: HTMLElement } | null = null;
      if (rule.recurring) {
        recurring = {
          at: h("input", { type: "text", testid: "settings-recurring-at", value: rule.current.recurring_at ?? "" }),
          every: h("input", { type: "number", min: 1, max: 30, step: 1, testid: "settings-every-days", value: String(rule.current.every_days ?? 1) }),
          problem: h("span", { class: "settings-error", hidden: true }),
        };
      }
      readers.push(() => {
        const read = steps.map((s) => s.read());
        const problems = checkLadder(read, rule.recurring);
        steps.forEach((s, i) => s.mark(problems.get(i) ?? null));
        let ok = problems.size === 0;
        const settings: RuleSettings = { id: rule.id, steps: read };
        if (recurring) {
          const every = Number(recurring.every.value);
          const p = checkTime(recurring.at.value) ?? (every < 1 ? { key: "settings.err.days", params: { days: 30 } } : checkDays(every));
          recurring.at.classList.toggle("invalid", p !== null);
          recurring.problem.textContent = p ? say(p as Problem) : "";
          recurring.problem.hidden = p === null;
          ok &&= p === null;
          settings.recurring_at = recurring.at.value.trim();
          settings.every_days = every;
        }
        return { rule: settings, ok };
      });
      return h(
        "div",
        { class: "settings-rule", testid: "settings-rule", "data-rule": rule.id },
        h("h3", {}, tx(rule.label)),
        h(
          "p",
          { class: "muted" },
          ct("settings.anchor", { anchor: tx(rule.anchor) }),
          rule.until ? ` · ${ct("settings.until", { until: tx(rule.until) })}` : "",
        ),
        recurring
          ? h(
              "p",
              {},
              h("label", {}, ct("settings.recurring_at"), " ", recurring.at),
              " ",
              h("label", {}, ct("settings.every_days"), " ", recurring.every),
              " ",
              recurring.problem,
            )
          : null,
        h(
          "table",
          { class: "grid settings-steps" },
          h("thead", {}, h("tr", {}, ["", ct(rule.current.steps[0]?.after !== undefined ? "settings.after" : "settings.at"), ct("settings.notify"), ""].map((t) => h("th", {}, t)))),
          h(
            "tbody",
            {},
            steps.map((s) => s.row),
          ),
        ),
      );
    });

    const saveButton = h("button", { type: "button", class: "primary", testid: "settings-save" }, ct("settings.save"));
    const resetButton = h("button", { type: "button", testid: "settings-reset", disabled: !program.customised }, ct("settings.reset"));
    const replace = (next: ProgramSettings, message: string) => {
      const fresh = card(next);
      section.replaceWith(fresh);
      const line = fresh.querySelector('[data-testid="settings-notice"]');
      if (line) line.textContent = message;
    };
    const refused = (e: unknown) => {
      error.textContent = isConsoleError(e) ? e.message : String(e);
      error.hidden = false;
      if (isConsoleError(e) && e.status === 401) ctx.error(e);
    };
    saveButton.addEventListener("click", () => {
      error.hidden = true;
      const read = readers.map((r) => r());
      if (read.some((r) => !r.ok)) {
        error.textContent = ct("settings.fix_first");
        error.hidden = false;
        return;
      }
      saveButton.disabled = true;
      ctx.api.saveDeadlines(program.id, { rules: read.map((r) => r.rule) }).then(
        (next) => replace(next, ct("settings.saved")),
        (e) => {
          saveButton.disabled = false;
          refused(e);
        },
      );
    });
    resetButton.addEventListener("click", () => {
      ctx.api.resetDeadlines(program.id).then((next) => replace(next, ct("settings.saved")), refused);
    });
    fill(
      section,
      h(
        "h2",
        {},
        tx(program.name),
        " ",
        program.customised ? h("span", { class: "badge", testid: "settings-customised" }, ct("settings.customised")) : null,
      ),
      h(
        "p",
        { class: "muted", testid: "settings-updated" },
        program.updated_ms === null
          ? ct("settings.never_changed")
          : ct("settings.updated", { by: program.updated_by ?? "", t: formatDateTime(program.updated_ms) }),
      ),
      rules,
      h("div", { class: "toolbar" }, saveButton, resetButton),
      error,
      notice,
    );
    return section;
  };

  ctx.api.programSettings().then((programs) => fill(list, programs.map(card)), ctx.error);
}
