// The answer form: the outcome tree level by level (outcome-levels.ts: outcome-level-0/1/2), the
// note where the chosen node asks for it, the forward target for 情景三, the 请向区疾控报告
// reminder for 情景四…七, and W2's door magnet (sent with `correct` before `answer`).

import { type PersonDetail, type ProgramView } from "../contract.js";
import { type Ctx } from "../ctx.js";
import { fill, h, select } from "../dom.js";
import { t } from "../i18n.js";
import {
  emptyForm,
  needsForwardTarget,
  noteRule,
  reportsToCdc,
  toAnswerInput,
  type FormProblem,
} from "../logic/outcome-form.js";
import { fillUnits } from "./controls.js";
import { outcomeLevels } from "./outcome-levels.js";

export const DOOR_MAGNET = "door_magnet";

export function answerForm(
  ctx: Ctx,
  person: PersonDetail,
  program: ProgramView,
  done: (detail: PersonDetail) => void,
): HTMLElement {
  const tree = program.outcomes;
  const form = emptyForm();
  if (person.answer) {
    form.path = [...person.answer.outcome];
    form.note = person.answer.note ?? "";
  }
  const magnetField =
    person.fields.find((f) => f.key === DOOR_MAGNET) ?? program.fields.find((f) => f.key === DOOR_MAGNET);
  const askDoorMagnet = magnetField !== undefined;
  if (magnetField?.value === "true") form.doorMagnet = true;
  if (magnetField?.value === "false") form.doorMagnet = false;

  const levels = outcomeLevels(tree, form, "outcome", () => update());
  const note = h("textarea", { testid: "answer-note", rows: 3, value: form.note });
  note.addEventListener("input", () => {
    form.note = note.value;
    if (note.value.trim() !== "") {
      note.removeAttribute("aria-invalid");
      noteRow.querySelector(".field-error[data-problem]")?.remove();
    }
  });
  const noteLabel = h("label", { for: "answer-note" });
  note.id = "answer-note";
  const noteHint = h("div", { class: "hint", testid: "answer-note-hint" });
  const noteRow = h("div", { class: "field", testid: "answer-note-row" }, noteLabel, note, noteHint);

  const forwardTo = select({ testid: "forward-to", id: "forward-to" }, [], null, t("common.choose"));
  forwardTo.addEventListener("change", () => {
    form.forwardTo = forwardTo.value || null;
  });
  ctx.units(program.dispatch_level).then(
    (units) => fillUnits(forwardTo, units, form.forwardTo, person.unit),
    (e) => ctx.error(e),
  );
  const forwardRow = h(
    "div",
    { class: "field", testid: "forward-to-row" },
    h("label", { for: "forward-to" }, t("answer.forward_to"), h("span", { class: "req" }, " *")),
    forwardTo,
  );

  const cdcReminder = h(
    "div",
    { class: "cdc-reminder", testid: "report-to-cdc-reminder", role: "alert" },
    h("strong", {}, t("answer.report_cdc")),
    h("div", {}, t("answer.report_cdc_detail")),
  );

  const yes = h("button", { type: "button", class: "toggle", testid: "door-magnet-yes" }, t("common.yes"));
  const no = h("button", { type: "button", class: "toggle", testid: "door-magnet-no" }, t("common.no"));
  yes.addEventListener("click", () => {
    form.doorMagnet = true;
    update();
  });
  no.addEventListener("click", () => {
    form.doorMagnet = false;
    update();
  });
  const magnetRow = askDoorMagnet
    ? h(
        "div",
        { class: "field", testid: "door-magnet-row" },
        h("div", { class: "label" }, magnetField?.label || t("answer.door_magnet"), h("span", { class: "req" }, " *")),
        h("div", { class: "toggles", role: "group" }, yes, no),
      )
    : null;

  const submit = h("button", { type: "submit", class: "primary wide", testid: "answer-submit" }, t("answer.submit"));

  function update(): void {
    const rule = noteRule(tree, form.path);
    noteRow.hidden = !rule.shown;
    note.required = rule.required;
    note.setAttribute("data-required", String(rule.required));
    fill(
      noteLabel,
      program.note_label || t("person.note"),
      h("span", { class: rule.required ? "req" : "muted" }, rule.required ? ` *（${t("common.required")}）` : `（${t("common.optional")}）`),
    );
    noteHint.hidden = !rule.hint;
    noteHint.textContent = rule.hint ?? "";
    note.placeholder = rule.hint ?? "";
    forwardRow.hidden = !needsForwardTarget(tree, form.path);
    cdcReminder.hidden = !reportsToCdc(tree, form.path);
    yes.classList.toggle("on", form.doorMagnet === true);
    no.classList.toggle("on", form.doorMagnet === false);
    yes.setAttribute("aria-pressed", String(form.doorMagnet === true));
    no.setAttribute("aria-pressed", String(form.doorMagnet === false));
  }

  const el = h(
    "form",
    { class: "form", testid: "answer-form", novalidate: true },
    levels.el,
    cdcReminder,
    forwardRow,
    noteRow,
    magnetRow,
    submit,
  );

  /** Where each problem is shown: the row it belongs to and the control to mark and focus. */
  function placeOf(problem: FormProblem): { row: HTMLElement; control: HTMLElement | null } | null {
    switch (problem) {
      case "choose_outcome":
      case "choose_next_level": {
        const selects = levels.selects();
        const control = selects.find((s) => s.value === "") ?? selects[selects.length - 1] ?? null;
        return { row: (control?.closest(".field") as HTMLElement | null) ?? levels.el, control };
      }
      case "note_required":
        return { row: noteRow, control: note };
      case "forward_target_required":
        return { row: forwardRow, control: forwardTo };
      case "door_magnet_required":
        return magnetRow ? { row: magnetRow, control: yes } : null;
    }
  }

  function clearProblems(): void {
    for (const line of Array.from(el.querySelectorAll(".field-error[data-problem]"))) line.remove();
    for (const marked of Array.from(el.querySelectorAll('[aria-invalid="true"]'))) marked.removeAttribute("aria-invalid");
  }

  /** Each problem beside its field, the field marked, the first one scrolled to and focused:
   *  a message at the top of a long form is out of view and looks like nothing happened. */
  function showProblems(found: FormProblem[]): void {
    clearProblems();
    let first: { row: HTMLElement; control: HTMLElement | null } | null = null;
    for (const problem of found) {
      const place = placeOf(problem);
      if (!place) continue;
      first ??= place;
      place.control?.setAttribute("aria-invalid", "true");
      place.row.append(
        h("div", { class: "field-error", testid: "field-error", "data-problem": problem, role: "alert" }, t(`answer.err.${problem}`)),
      );
    }
    if (first) {
      first.row.scrollIntoView({ block: "center" });
      first.control?.focus({ preventScroll: true });
    }
  }

  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const result = toAnswerInput(person.record_id, tree, form, { askDoorMagnet });
    if (!result.ok) {
      showProblems(result.problems);
      ctx.error(result.problems.map((p) => t(`answer.err.${p}`)).join("；"));
      return;
    }
    clearProblems();
    submit.disabled = true;
    const send = async (): Promise<PersonDetail> => {
      if (askDoorMagnet) {
        await ctx.api.correct({
          record_id: person.record_id,
          fields: { [DOOR_MAGNET]: String(form.doorMagnet) },
        });
      }
      return ctx.api.answer(result.input);
    };
    send().then(
      (detail) => {
        ctx.notice(t("answer.ok"));
        done(detail);
      },
      (e) => {
        submit.disabled = false;
        ctx.error(e);
      },
    );
  });

  update();
  return el;
}
