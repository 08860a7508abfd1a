// Form controls for program fields (correction and supplementary-person forms).

import { type FieldView, type UnitNode } from "../contract.js";
import { h, select } from "../dom.js";
import { t } from "../i18n.js";
import { booleanOptions, controlKind } from "../logic/fields.js";

export type FieldControl = HTMLInputElement | HTMLSelectElement;

/** The control for `field`, holding `value`. Jurisdiction fields become a unit <select> filled
 *  when `units` resolves (it keeps `value` chosen). */
export function fieldControl(
  field: FieldView,
  value: string,
  testid: string,
  units: Promise<UnitNode[]> | null,
): FieldControl {
  const kind = controlKind(field);
  switch (kind) {
    case "select": {
      const options =
        field.type === "boolean"
          ? booleanOptions(field, t("common.yes"), t("common.no"))
          : field.options;
      return select(
        { testid },
        options.map((o) => ({ value: o.code, label: o.label })),
        value === "" ? null : value,
        t("common.choose"),
      );
    }
    case "unit": {
      const el = select({ testid }, value ? [{ value, label: field.display ?? value }] : [], value || null, t("common.choose"));
      units?.then(
        (list) => fillUnits(el, list, value || null, null),
        () => undefined,
      );
      return el;
    }
    case "tel":
      return h("input", { testid, type: "tel", inputmode: "tel", value });
    case "date":
      return h("input", { testid, type: "date", value });
    case "number":
      return h("input", { testid, type: "number", inputmode: "numeric", value });
    case "datetime":
      return h("input", { testid, type: "text", placeholder: "YYYY-MM-DD HH:mm", value });
    case "text":
      return h("input", { testid, type: "text", value });
  }
}

/** Put the units in a <select> (full names, so two 新村社区 in different towns differ), keeping
 *  `chosen` and leaving out `exclude` (the person's own unit, for moves and forwards). */
export function fillUnits(
  el: HTMLSelectElement,
  units: UnitNode[],
  chosen: string | null,
  exclude: string | null,
): void {
  el.replaceChildren(h("option", { value: "" }, t("common.choose")));
  for (const u of units) {
    if (u.code === exclude) continue;
    el.appendChild(h("option", { value: u.code, title: u.full_name }, u.full_name || u.name));
  }
  el.value = chosen ?? "";
  el.setAttribute("data-loaded", "true");
}

/** The word for a dispatch level (镇街 / 社区), for titles like 修改所属镇街. */
export function levelWord(level: string): string {
  if (level === "town") return t("level.town");
  if (level === "community") return t("level.community");
  return t("level.other");
}
