// The person screen's other actions: 修改所属镇街 (reassign, W1), 转发 (forward, W2), correcting
// personal data (correct) and 补充人员 (add_supplementary, W2). Each writes to the local replica
// only and hands back the updated PersonDetail.

import { type FieldView, type PersonDetail, type ProgramView } from "../contract.js";
import { type Ctx } from "../ctx.js";
import { field, h, select } from "../dom.js";
import { t } from "../i18n.js";
import { changedFields, fieldErrorsFromMessage, missingRequired } from "../logic/fields.js";
import { toAppError } from "../api.js";
import { type FieldControl, fieldControl, fillUnits, levelWord } from "./controls.js";

type Done = (detail: PersonDetail) => void;

/** Disable `button` while `work` runs; show its failure. */
function run(ctx: Ctx, button: HTMLButtonElement, work: () => Promise<void>): void {
  button.disabled = true;
  work().then(
    () => {
      button.disabled = false;
    },
    (e) => {
      button.disabled = false;
      ctx.error(e);
    },
  );
}

/** A unit picker at the program's dispatch level, without the person's own unit. */
function unitPicker(ctx: Ctx, testid: string, level: string, exclude: string): HTMLSelectElement {
  const el = select({ testid }, [], null, t("common.choose"));
  ctx.units(level).then(
    (units) => fillUnits(el, units, null, exclude),
    (e) => ctx.error(e),
  );
  return el;
}

export function reassignForm(ctx: Ctx, person: PersonDetail, program: ProgramView, done: Done): HTMLElement {
  const level = levelWord(program.dispatch_level);
  const unit = unitPicker(ctx, "reassign-unit", program.dispatch_level, person.unit);
  const reason = h("input", { testid: "reassign-reason", type: "text" });
  const submit = h("button", { type: "submit", class: "primary wide", testid: "reassign-submit" }, t("reassign.submit"));
  const el = h(
    "form",
    { class: "form", testid: "reassign-form", novalidate: true },
    field(t("reassign.to", { level }), unit, { required: true }),
    field(`${t("reassign.reason")}（${t("common.optional")}）`, reason),
    submit,
  );
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!unit.value) {
      ctx.error(t("reassign.err.unit", { level }));
      return;
    }
    run(ctx, submit, async () => {
      const detail = await ctx.api.reassign({
        record_id: person.record_id,
        to_unit: unit.value,
        reason: reason.value.trim() || null,
      });
      ctx.notice(t("reassign.ok", { level }));
      done(detail);
    });
  });
  return el;
}

export function forwardForm(ctx: Ctx, person: PersonDetail, program: ProgramView, done: Done): HTMLElement {
  const level = levelWord(program.dispatch_level);
  const unit = unitPicker(ctx, "forward-unit", program.dispatch_level, person.unit);
  const note = h("input", { testid: "forward-note", type: "text" });
  const submit = h("button", { type: "submit", class: "primary wide", testid: "forward-submit" }, t("forward.submit"));
  const el = h(
    "form",
    { class: "form", testid: "forward-form", novalidate: true },
    field(t("forward.to", { level }), unit, { required: true }),
    field(`${t("forward.note")}（${t("common.optional")}）`, note),
    submit,
  );
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!unit.value) {
      ctx.error(t("forward.err.unit", { level }));
      return;
    }
    run(ctx, submit, async () => {
      const detail = await ctx.api.forward({
        record_id: person.record_id,
        to_unit: unit.value,
        note: note.value.trim() || null,
      });
      ctx.notice(t("forward.ok"));
      done(detail);
    });
  });
  return el;
}

/** Controls and per-field error lines for a list of fields (also a declared step's inputs). */
export interface FieldSet {
  rows: HTMLElement[];
  values(): Record<string, string>;
  showErrors(errors: Record<string, string>): void;
}

/** One row per field (`<prefix>-field-<key>`, its error line `<prefix>-error-<key>`), each
 *  control as the field's type asks, holding `initial(f)`. */
export function fieldSet(
  ctx: Ctx,
  fields: FieldView[],
  prefix: string,
  initial: (f: FieldView) => string,
  level: string,
  required: (f: FieldView) => boolean,
): FieldSet {
  const controls = new Map<string, FieldControl>();
  const errorLines = new Map<string, HTMLElement>();
  const rows = fields.map((f) => {
    const control = fieldControl(f, initial(f), `${prefix}-field-${f.key}`, f.type === "jurisdiction" ? ctx.units(level) : null);
    controls.set(f.key, control);
    const row = field(f.label, control, { required: required(f), errorTestid: `${prefix}-error-${f.key}` });
    row.setAttribute("data-key", f.key);
    const line = row.querySelector<HTMLElement>(".field-error");
    if (line) errorLines.set(f.key, line);
    return row;
  });
  return {
    rows,
    values() {
      const v: Record<string, string> = {};
      for (const [key, control] of controls) v[key] = control.value;
      return v;
    },
    showErrors(errors) {
      for (const [key, line] of errorLines) {
        line.textContent = errors[key] ?? "";
        line.hidden = !errors[key];
        controls.get(key)?.setAttribute("aria-invalid", String(Boolean(errors[key])));
      }
    },
  };
}

export function correctForm(ctx: Ctx, person: PersonDetail, program: ProgramView, done: Done): HTMLElement {
  const editable = person.fields.filter((f) => f.editable);
  const set = fieldSet(ctx, editable, "correct", (f) => f.value ?? "", program.dispatch_level, (f) => f.required);
  const submit = h("button", { type: "submit", class: "primary wide", testid: "correct-submit" }, t("correct.submit"));
  const el = h("form", { class: "form", testid: "correct-form", novalidate: true }, ...set.rows, submit);
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    set.showErrors({});
    const values = set.values();
    const missing = missingRequired(editable, values);
    if (missing.length > 0) {
      const labels = editable.filter((f) => missing.includes(f.key)).map((f) => f.label);
      set.showErrors(Object.fromEntries(missing.map((k) => [k, t("common.required")])));
      ctx.error(t("supp.err.required", { fields: labels.join("、") }));
      return;
    }
    const changed = changedFields(editable, values);
    if (Object.keys(changed).length === 0) {
      ctx.error(t("correct.nothing"));
      return;
    }
    submit.disabled = true;
    ctx.api.correct({ record_id: person.record_id, fields: changed }).then(
      (detail) => {
        ctx.notice(t("correct.ok"));
        done(detail);
      },
      (e) => {
        submit.disabled = false;
        set.showErrors(fieldErrorsFromMessage(toAppError(e).message, editable));
        ctx.error(e);
      },
    );
  });
  return el;
}

const RELATION = "supplementary_relation";

export function supplementaryForm(ctx: Ctx, person: PersonDetail, program: ProgramView, done: Done): HTMLElement {
  const fields = program.fields;
  // The relation (同住人员 / 陪护人员) is what makes a supplementary person: always required.
  const required = (f: FieldView) => f.required || f.key === RELATION;
  const set = fieldSet(
    ctx,
    fields,
    "supp",
    (f) => (f.type === "jurisdiction" ? person.unit : ""),
    program.dispatch_level,
    required,
  );
  const submit = h("button", { type: "submit", class: "primary wide", testid: "supp-submit" }, t("supp.submit"));
  const el = h(
    "form",
    { class: "form", testid: "supp-form", novalidate: true },
    h("p", { class: "hint" }, t("supp.intro")),
    ...set.rows,
    submit,
  );
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    set.showErrors({});
    const values = set.values();
    const missing = missingRequired(fields.map((f) => ({ ...f, required: required(f) })), values);
    if (missing.length > 0) {
      const labels = fields.filter((f) => missing.includes(f.key)).map((f) => f.label);
      set.showErrors(Object.fromEntries(missing.map((k) => [k, t("common.required")])));
      ctx.error(t("supp.err.required", { fields: labels.join("、") }));
      return;
    }
    const filled: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (v.trim() !== "") filled[k] = v.trim();
    submit.disabled = true;
    ctx.api.addSupplementary({ source_record_id: person.record_id, fields: filled }).then(
      (detail) => {
        ctx.notice(t("supp.ok"));
        done(detail);
      },
      (e) => {
        submit.disabled = false;
        set.showErrors(fieldErrorsFromMessage(toAppError(e).message, fields));
        ctx.error(e);
      },
    );
  });
  return el;
}
