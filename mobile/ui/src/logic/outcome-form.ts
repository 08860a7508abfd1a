// The answer form's logic (反馈核查情况 / 核实反馈结果), without a DOM.
//
// A program's outcome tree is answered level by level: W1's whereabouts tree has three levels
// (本区 → 集中隔离 → 珠江嘉园), W2's seven scenarios (情景一…七) are a tree of roots only. The
// form holds the chosen path; each level offers the children of the choice above it; an answer
// is complete only at a leaf. The chosen leaf decides the note (备注) — shown when `required` or
// `optional`, hidden when `none` and before a leaf is reached — and any node on the path can ask for a forward
// target (情景三) or a report to CDC (情景四…七).

import { type AnswerInput, type OutcomeNode } from "../contract.js";

export interface OutcomeFormState {
  /** Chosen codes, root first. */
  path: string[];
  note: string;
  /** Unit code at the program's dispatch level, for outcomes with `forward`. */
  forwardTo: string | null;
  /** W2's door magnet (门磁是否安装): null until chosen. Only asked when the program has it. */
  doorMagnet: boolean | null;
}

export function emptyForm(): OutcomeFormState {
  return { path: [], note: "", forwardTo: null, doorMagnet: null };
}

/** The nodes of the chosen path, root first; stops at the first code the tree does not know. */
export function pathNodes(tree: OutcomeNode[], path: string[]): OutcomeNode[] {
  const nodes: OutcomeNode[] = [];
  let level = tree;
  for (const code of path) {
    const node = level.find((n) => n.code === code);
    if (!node) break;
    nodes.push(node);
    level = node.children;
  }
  return nodes;
}

/** The choices to show, one list per level: the roots, then the children of each chosen node
 *  that has children. When the last chosen node has children, the last list is the next level
 *  to choose from. */
export function levelOptions(tree: OutcomeNode[], path: string[]): OutcomeNode[][] {
  const levels: OutcomeNode[][] = [tree];
  for (const node of pathNodes(tree, path)) {
    if (node.children.length === 0) break;
    levels.push(node.children);
  }
  return levels;
}

/** Index of the level still to choose, or null when the path ends at a leaf. */
export function nextLevel(tree: OutcomeNode[], path: string[]): number | null {
  const nodes = pathNodes(tree, path);
  const last = nodes[nodes.length - 1];
  if (last && last.children.length === 0) return null;
  return nodes.length;
}

/** Choose `code` at `level`: deeper choices are dropped (they belonged to the old branch); an
 *  empty code clears the level and everything below it. */
export function choose(tree: OutcomeNode[], path: string[], level: number, code: string): string[] {
  const kept = pathNodes(tree, path)
    .slice(0, level)
    .map((n) => n.code);
  if (code === "") return kept;
  const options = levelOptions(tree, kept)[level];
  if (!options || !options.some((n) => n.code === code)) return kept;
  return [...kept, code];
}

/** The chosen node when the path ends at a leaf, else null. */
export function chosenLeaf(tree: OutcomeNode[], path: string[]): OutcomeNode | null {
  const nodes = pathNodes(tree, path);
  const last = nodes[nodes.length - 1];
  return last && last.children.length === 0 && nodes.length === path.length ? last : null;
}

export interface NoteRule {
  /** Whether the note field is on screen. */
  shown: boolean;
  required: boolean;
  hint: string | null;
}

/** The note rule of a complete answer, as the core checks it (`OutcomeTree::validate_answer`):
 *  required when any level on the path requires one (外省 under 不在本区 …), with the hint of
 *  the requiring level or else the nearest one above the leaf; otherwise shown unless the leaf
 *  takes no note. Until the path reaches a leaf there is no rule yet, and no note field. */
export function noteRule(tree: OutcomeNode[], path: string[]): NoteRule {
  const last = chosenLeaf(tree, path);
  if (!last) return { shown: false, required: false, hint: null };
  const upward = pathNodes(tree, path).reverse();
  const requiring = upward.find((n) => n.note === "required");
  return {
    shown: requiring !== undefined || last.note !== "none",
    required: requiring !== undefined,
    hint: requiring?.note_hint ?? upward.find((n) => n.note_hint !== null)?.note_hint ?? null,
  };
}

/** Some node on the path forwards the person (W2 情景三): a target unit is needed. */
export function needsForwardTarget(tree: OutcomeNode[], path: string[]): boolean {
  return pathNodes(tree, path).some((n) => n.forward);
}

/** Some node on the path must also be reported to CDC by phone (W2 情景四…七). */
export function reportsToCdc(tree: OutcomeNode[], path: string[]): boolean {
  return pathNodes(tree, path).some((n) => n.report_to_cdc);
}

export type FormProblem =
  | "choose_outcome"
  | "choose_next_level"
  | "note_required"
  | "forward_target_required"
  | "door_magnet_required";

export interface FormOptions {
  /** The program asks for the door magnet with the answer (W2). */
  askDoorMagnet: boolean;
}

/** Everything that keeps the form from being submitted, in screen order; empty = ready. */
export function problems(
  tree: OutcomeNode[],
  form: OutcomeFormState,
  options: FormOptions,
): FormProblem[] {
  const found: FormProblem[] = [];
  if (pathNodes(tree, form.path).length === 0) {
    found.push("choose_outcome");
  } else if (chosenLeaf(tree, form.path) === null) {
    found.push("choose_next_level");
  }
  const rule = noteRule(tree, form.path);
  if (rule.required && form.note.trim() === "") found.push("note_required");
  if (needsForwardTarget(tree, form.path) && !form.forwardTo) found.push("forward_target_required");
  if (options.askDoorMagnet && form.doorMagnet === null) found.push("door_magnet_required");
  return found;
}

/** The `answer` command's input, or the problems that keep the form from being one. A hidden
 *  note is never sent, nor a forward target the chosen outcome does not ask for. */
export function toAnswerInput(
  recordId: string,
  tree: OutcomeNode[],
  form: OutcomeFormState,
  options: FormOptions,
): { ok: true; input: AnswerInput } | { ok: false; problems: FormProblem[] } {
  const found = problems(tree, form, options);
  if (found.length > 0) return { ok: false, problems: found };
  const rule = noteRule(tree, form.path);
  const note = rule.shown && form.note.trim() !== "" ? form.note.trim() : null;
  const forwardTo = needsForwardTarget(tree, form.path) ? form.forwardTo : null;
  return {
    ok: true,
    input: { record_id: recordId, outcome: [...form.path], note, forward_to: forwardTo },
  };
}
