// Field forms (correct personal data / 补充人员), without a DOM.

import { type FieldView } from "../contract.js";

/** The HTML control a field type gets. Choice-like types are native <select>s (easy to drive). */
export type ControlKind = "text" | "tel" | "date" | "datetime" | "number" | "select" | "unit";

export function controlKind(field: FieldView): ControlKind {
  switch (field.type) {
    case "phone":
      return "tel";
    case "date":
      return "date";
    case "datetime":
      return "datetime";
    case "integer":
      return "number";
    case "boolean":
    case "choice":
      return "select";
    case "jurisdiction":
      return "unit";
    default:
      return "text";
  }
}

/** Choices of a boolean field: the Rust side sends 是/否 as options; if a program ever omits
 *  them, fall back to the given labels so the select is never empty. */
export function booleanOptions(
  field: FieldView,
  yes: string,
  no: string,
): { code: string; label: string }[] {
  if (field.options.length > 0) return field.options;
  return [
    { code: "true", label: yes },
    { code: "false", label: no },
  ];
}

/** The fields whose value changed (trimmed), as the `correct` command wants them. */
export function changedFields(
  fields: FieldView[],
  values: Record<string, string>,
): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const field of fields) {
    if (!(field.key in values)) continue;
    const next = values[field.key].trim();
    if (next !== (field.value ?? "").trim()) changed[field.key] = next;
  }
  return changed;
}

/** Required fields left empty, by key. */
export function missingRequired(fields: FieldView[], values: Record<string, string>): string[] {
  return fields.filter((f) => f.required && (values[f.key] ?? "").trim() === "").map((f) => f.key);
}

/** Attach a validation message to the fields it names. AppError carries one message (e.g.
 *  `身份证号码：校验位不正确；手机号码：应为 11 位数字`); each part that names a field's label or
 *  key goes beside that field. Parts that name no field come back under "" for the form. */
export function fieldErrorsFromMessage(
  message: string,
  fields: FieldView[],
): Record<string, string> {
  const errors: Record<string, string> = {};
  const parts = message
    .split(/[;；\n]+/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
  // Longest labels first, so 证件号码 is not taken for a field labelled 号码.
  const byLength = [...fields].sort((a, b) => b.label.length - a.label.length);
  for (const part of parts) {
    const field =
      byLength.find((f) => f.label !== "" && part.includes(f.label)) ??
      byLength.find((f) => new RegExp(`\\b${f.key}\\b`).test(part));
    const key = field ? field.key : "";
    errors[key] = errors[key] ? `${errors[key]}；${part}` : part;
  }
  return errors;
}
