// The form of a declared step (状态流转: 开始居家隔离, 解除隔离…), without a DOM.
//
// A program's step says what it asks (`TransitionView`): fields to type (each required or not),
// an answer along the outcome tree, a note (required, optional or none) and a confirmation
// question. The form holds what was typed; `toStepInput` turns it into the `step` command's
// input or names what is missing, all at once and each under the key of the row it belongs to:
// a field's key, `OUTCOME` or `NOTE`. What only the Rust side checks (an ID's check digit, a
// guard on the person's fields) comes back as one message, which `stepErrorsFromMessage` places
// the same way.

import { type FieldView, type OutcomeNode, type StepInput, type TransitionView } from "../contract.js";
import { fieldErrorsFromMessage } from "./fields.js";
import { chosenLeaf, noteRule as outcomeNoteRule, pathNodes, type NoteRule } from "./outcome-form.js";

/** Row keys besides the fields' own (field keys are identifiers, so these cannot clash). */
export const OUTCOME = "@outcome";
export const NOTE = "@note";

export interface StepFormState {
  /** Chosen outcome codes, root first (steps with `outcome` only). */
  path: string[];
  /** Field key → typed value (booleans as "true"/"false", "" when not chosen). */
  inputs: Record<string, string>;
  note: string;
}

/** The form as it opens: each field holding the person's current value. */
export function initialStepForm(step: TransitionView): StepFormState {
  return {
    path: [],
    inputs: Object.fromEntries(step.inputs.map((f) => [f.key, f.value ?? ""])),
    note: "",
  };
}

/** Whether the note is on screen and required. A step with an answer shows the note once a leaf
 *  is chosen, by the leaf's rule and the step's together; otherwise the step's rule alone. */
export function stepNoteRule(step: TransitionView, tree: OutcomeNode[], path: string[]): NoteRule {
  const stepRequires = step.note === "required";
  if (!step.outcome) {
    return { shown: step.note !== "none", required: stepRequires, hint: null };
  }
  if (chosenLeaf(tree, path) === null) return { shown: false, required: false, hint: null };
  const leaf = outcomeNoteRule(tree, path);
  const required = leaf.required || stepRequires;
  // A step without a note drops it, unless the chosen outcome itself needs one.
  const shown = required || (step.note !== "none" && leaf.shown);
  return { shown, required, hint: leaf.hint };
}

export type StepProblem = "required" | "choose_outcome" | "choose_next_level" | "note_required";

/** Everything that keeps the form from being sent, by row key, in screen order (outcome,
 *  fields, note); empty = ready. */
export function stepProblems(
  step: TransitionView,
  tree: OutcomeNode[],
  form: StepFormState,
): [string, StepProblem][] {
  const found: [string, StepProblem][] = [];
  if (step.outcome) {
    if (pathNodes(tree, form.path).length === 0) found.push([OUTCOME, "choose_outcome"]);
    else if (chosenLeaf(tree, form.path) === null) found.push([OUTCOME, "choose_next_level"]);
  }
  for (const field of step.inputs) {
    if (field.required && (form.inputs[field.key] ?? "").trim() === "") found.push([field.key, "required"]);
  }
  const rule = stepNoteRule(step, tree, form.path);
  if (rule.required && form.note.trim() === "") found.push([NOTE, "note_required"]);
  return found;
}

/** The `step` command's input, or the problems that keep the form from being one. Empty
 *  optional fields and a hidden note are not sent; nor an outcome the step does not ask. */
export function toStepInput(
  recordId: string,
  step: TransitionView,
  tree: OutcomeNode[],
  form: StepFormState,
): { ok: true; input: StepInput } | { ok: false; problems: [string, StepProblem][] } {
  const problems = stepProblems(step, tree, form);
  if (problems.length > 0) return { ok: false, problems };
  const inputs: Record<string, string> = {};
  for (const field of step.inputs) {
    const value = (form.inputs[field.key] ?? "").trim();
    if (value !== "") inputs[field.key] = value;
  }
  const rule = stepNoteRule(step, tree, form.path);
  const note = rule.shown && form.note.trim() !== "" ? form.note.trim() : null;
  return {
    ok: true,
    input: {
      record_id: recordId,
      action: step.action,
      outcome: step.outcome ? [...form.path] : [],
      inputs,
      note,
    },
  };
}

/** The Rust side's refusal placed by row: a part naming a field's label goes to that field
 *  (门磁是否完好：必填), one naming the note's label (请填写备注) to the note; the rest comes
 *  back under "" for the form's message line. */
export function stepErrorsFromMessage(
  message: string,
  step: TransitionView,
  noteLabel: string,
): Record<string, string> {
  const rows: FieldView[] = [...step.inputs];
  if (step.note !== "none" || step.outcome) {
    rows.push({
      key: NOTE,
      label: noteLabel,
      type: "text",
      value: null,
      options: [],
      display: null,
      required: step.note === "required",
      personal: false,
      editable: true,
      conflicting: [],
    });
  }
  return fieldErrorsFromMessage(message, rows);
}
