// The form of a declared step (状态流转), made from the step's `TransitionView`: the outcome
// tree when it asks for an answer (outcome-levels.ts, as the answer form), each field it asks as
// the field editors show that type (edit-forms.ts: choice and 是/否 as selects, phone, date,
// text…), the note when its rule shows one, required rows marked; a 确认/取消 question when
// the step has one; then `step`. Test ids start with `step-<action>` so that two open steps
// stay apart.

import { type PersonDetail, type ProgramView, type TransitionView } from "../contract.js";
import { type Ctx } from "../ctx.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { toAppError } from "../api.js";
import {
  initialStepForm,
  NOTE,
  OUTCOME,
  stepErrorsFromMessage,
  stepNoteRule,
  toStepInput,
  type StepProblem,
} from "../logic/step-form.js";
import { fieldSet } from "./edit-forms.js";
import { outcomeLevels } from "./outcome-levels.js";

export function stepForm(
  ctx: Ctx,
  person: PersonDetail,
  program: ProgramView,
  step: TransitionView,
  done: (detail: PersonDetail) => void,
): HTMLElement {
  const prefix = `step-${step.action}`;
  const tree = program.outcomes;
  const form = initialStepForm(step);

  const levels = step.outcome ? outcomeLevels(tree, form, `${prefix}-outcome`, () => update()) : null;
  const levelsRow = levels ? h("div", { class: "field", testid: `${prefix}-outcome-row` }, levels.el) : null;

  const set = fieldSet(ctx, step.inputs, prefix, (f) => f.value ?? "", program.dispatch_level, (f) => f.required);

  const noteId = `${prefix}-note`;
  const note = h("textarea", { testid: noteId, id: noteId, rows: 3 });
  note.addEventListener("input", () => {
    form.note = note.value;
  });
  const noteLabel = h("label", { for: noteId });
  const noteHint = h("div", { class: "hint", testid: `${prefix}-note-hint` });
  const noteRow = h("div", { class: "field", testid: `${prefix}-note-row` }, noteLabel, note, noteHint);

  const submit = h(
    "button",
    { type: "submit", class: "primary wide", testid: `${prefix}-submit` },
    step.label,
  );
  const el = h(
    "form",
    { class: "form", testid: "step-form", "data-action": step.action, novalidate: true },
    h("p", { class: "hint", testid: `${prefix}-to` }, t("step.to", { status: step.to_label })),
    levelsRow,
    ...set.rows,
    noteRow,
    submit,
  );

  function update(): void {
    const rule = stepNoteRule(step, tree, form.path);
    noteRow.hidden = !rule.shown;
    note.required = rule.required;
    note.setAttribute("data-required", String(rule.required));
    noteLabel.replaceChildren(
      program.note_label || t("person.note"),
      h(
        "span",
        { class: rule.required ? "req" : "muted" },
        rule.required ? ` *（${t("common.required")}）` : `（${t("common.optional")}）`,
      ),
    );
    noteHint.hidden = !rule.hint;
    noteHint.textContent = rule.hint ?? "";
  }

  /** The row of a key (a field's, OUTCOME or NOTE) and the control to mark and focus. */
  function placeOf(key: string): { row: HTMLElement; control: HTMLElement | null } | null {
    if (key === OUTCOME && levels && levelsRow) {
      const selects = levels.selects();
      const control = selects.find((s) => s.value === "") ?? selects[selects.length - 1] ?? null;
      return { row: levelsRow, control };
    }
    if (key === NOTE) return { row: noteRow, control: note };
    const row = set.rows.find((r) => r.getAttribute("data-key") === key);
    return row ? { row, control: row.querySelector<HTMLElement>("input, select, textarea") } : null;
  }

  function clearProblems(): void {
    set.showErrors({});
    for (const line of Array.from(el.querySelectorAll(".field-error[data-problem]"))) line.remove();
    for (const marked of Array.from(el.querySelectorAll('[aria-invalid="true"]'))) marked.removeAttribute("aria-invalid");
  }

  /** Each message beside its row and its control marked; the topmost brought to the middle of
   *  the window (the sticky top bar stays on screen) and focused. Messages that name no row
   *  (under "") are for the message line alone. */
  function showProblems(errors: Record<string, string>): void {
    clearProblems();
    const fieldErrors: Record<string, string> = {};
    for (const [key, message] of Object.entries(errors)) {
      if (key === OUTCOME || key === NOTE) {
        const place = placeOf(key);
        if (!place) continue;
        place.control?.setAttribute("aria-invalid", "true");
        const what = key.slice(1);
        place.row.append(
          h("div", { class: "field-error", testid: `${prefix}-${what}-error`, "data-problem": what, role: "alert" }, message),
        );
      } else if (key !== "") {
        fieldErrors[key] = message;
      }
    }
    set.showErrors(fieldErrors);
    const topmost = [OUTCOME, ...step.inputs.map((f) => f.key), NOTE].find((key) => errors[key]);
    const place = topmost === undefined ? null : placeOf(topmost);
    if (place) {
      place.row.scrollIntoView({ block: "center" });
      place.control?.focus({ preventScroll: true });
    }
  }

  const problemText = (problem: StepProblem): string =>
    problem === "required" ? t("common.required") : t(`answer.err.${problem}`);

  function send(): void {
    const result = toStepInput(person.record_id, step, tree, form);
    if (!result.ok) {
      showProblems(Object.fromEntries(result.problems.map(([key, problem]) => [key, problemText(problem)])));
      // In screen order: the outcome, the fields left empty (named), the note.
      const missing = result.problems.filter(([key]) => key !== OUTCOME && key !== NOTE);
      const line = [
        ...result.problems.filter(([key]) => key === OUTCOME).map(([, p]) => problemText(p)),
        ...(missing.length > 0
          ? [t("supp.err.required", { fields: missing.map(([key]) => step.inputs.find((f) => f.key === key)?.label ?? key).join("、") })]
          : []),
        ...result.problems.filter(([key]) => key === NOTE).map(([, p]) => problemText(p)),
      ];
      ctx.error(line.join("；"));
      return;
    }
    clearProblems();
    submit.disabled = true;
    ctx.api.step(result.input).then(
      (detail) => {
        ctx.notice(t("step.ok", { step: step.label, status: detail.status_label }));
        done(detail);
      },
      (e) => {
        submit.disabled = false;
        showProblems(stepErrorsFromMessage(toAppError(e).message, step, program.note_label || t("person.note")));
        ctx.error(e);
      },
    );
  }

  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    Object.assign(form.inputs, set.values());
    // What the form can tell is missing is shown before any question is asked.
    if (step.confirm && toStepInput(person.record_id, step, tree, form).ok) {
      clearProblems();
      ctx.clearMessages();
      el.append(confirmDialog(prefix, step.confirm, send, () => submit.focus()));
      return;
    }
    send();
  });

  update();
  return el;
}

/** A 确认/取消 question over the screen; 确认 runs `confirmed`, 取消 or Escape closes it. */
function confirmDialog(prefix: string, question: string, confirmed: () => void, cancelled: () => void): HTMLElement {
  const close = () => overlay.remove();
  const ok = h(
    "button",
    {
      type: "button",
      class: "primary",
      testid: `${prefix}-confirm-ok`,
      onclick: () => {
        close();
        confirmed();
      },
    },
    t("common.confirm"),
  );
  const cancel = h(
    "button",
    {
      type: "button",
      testid: `${prefix}-confirm-cancel`,
      onclick: () => {
        close();
        cancelled();
      },
    },
    t("common.cancel"),
  );
  const overlay = h(
    "div",
    { class: "dialog-backdrop", testid: `${prefix}-confirm` },
    h(
      "div",
      { class: "card dialog", role: "alertdialog", "aria-modal": "true", "aria-labelledby": `${prefix}-confirm-text` },
      h("p", { id: `${prefix}-confirm-text`, testid: `${prefix}-confirm-text` }, question),
      h("div", { class: "dialog-actions" }, cancel, ok),
    ),
  );
  overlay.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      close();
      cancelled();
    }
  });
  queueMicrotask(() => ok.focus());
  return overlay;
}
