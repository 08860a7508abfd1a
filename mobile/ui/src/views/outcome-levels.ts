// The outcome tree level by level, as the answer form and a declared step that asks for an
// answer both show it: one native <select> per level (`<prefix>-level-0/1/2`), each offering the
// children of the choice above, the next one focused after each choice.

import { type OutcomeNode } from "../contract.js";
import { fill, h, select } from "../dom.js";
import { t } from "../i18n.js";
import { choose, levelOptions } from "../logic/outcome-form.js";

export interface OutcomeLevels {
  /** The container of the level rows (`<prefix>-levels`). */
  el: HTMLElement;
  /** The level selects on screen, root first. */
  selects(): HTMLSelectElement[];
}

/** The pickers over `form.path`, which they change; `changed` runs after every choice. The
 *  prefix keeps two forms on one screen apart (ids and test ids). */
export function outcomeLevels(
  tree: OutcomeNode[],
  form: { path: string[] },
  prefix: string,
  changed: () => void,
): OutcomeLevels {
  const el = h("div", { class: "levels", testid: `${prefix}-levels` });

  function render(): void {
    fill(
      el,
      ...levelOptions(tree, form.path).map((nodes, i) => {
        const id = `${prefix}-level-${i}`;
        const picker = select(
          { testid: id, id, "data-level": i },
          nodes.map((n) => ({ value: n.code, label: n.label })),
          form.path[i] ?? null,
          t("common.choose"),
        );
        picker.addEventListener("change", () => {
          form.path = choose(tree, form.path, i, picker.value);
          render();
          changed();
          // Move on to the next level when there is one.
          el.querySelector<HTMLSelectElement>(`#${prefix}-level-${i + 1}`)?.focus();
        });
        return h(
          "div",
          { class: "field" },
          h(
            "label",
            { for: id },
            i === 0 ? t("answer.outcome") : t("answer.level", { n: i + 1 }),
            h("span", { class: "req" }, " *"),
          ),
          picker,
        );
      }),
    );
  }

  render();
  return {
    el,
    selects: () => Array.from(el.querySelectorAll<HTMLSelectElement>("select")),
  };
}
