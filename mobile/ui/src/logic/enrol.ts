// Enrolment and PIN input rules, without a DOM.
//
// The server's enrolment QR code holds `outpost-enrol:http://host:8080#ABCD-EFGH`; a code read
// out over the phone is bare (`ABCD-EFGH`) and then the form must also ask for the server
// address. The Rust side parses the payload again: the UI only decides what to ask for.

import { type EnrolInput } from "../contract.js";

export const ENROL_PREFIX = "outpost-enrol:";

export type ParsedCode =
  | { kind: "empty" }
  | { kind: "payload"; server: string; code: string }
  | { kind: "bare"; code: string };

export function parseEnrolCode(text: string): ParsedCode {
  const trimmed = text.trim();
  if (trimmed === "") return { kind: "empty" };
  if (trimmed.toLowerCase().startsWith(ENROL_PREFIX)) {
    const rest = trimmed.slice(ENROL_PREFIX.length);
    const hash = rest.lastIndexOf("#");
    if (hash > 0) return { kind: "payload", server: rest.slice(0, hash), code: rest.slice(hash + 1) };
    return { kind: "payload", server: rest, code: "" };
  }
  return { kind: "bare", code: trimmed };
}

/** The server address field is needed only for a bare code. */
export function needsServerField(text: string): boolean {
  return parseEnrolCode(text).kind === "bare";
}

export function isSixDigitPin(pin: string): boolean {
  return /^[0-9]{6}$/.test(pin);
}

export function looksLikeServerUrl(url: string): boolean {
  return /^https?:\/\/[^\s/]+/i.test(url.trim());
}

export type EnrolProblem =
  | "code_required"
  | "payload_incomplete"
  | "server_required"
  | "server_invalid"
  | "label_required"
  | "pin_format"
  | "pin_mismatch";

export interface EnrolForm {
  code: string;
  server: string;
  label: string;
  pin: string;
  pinConfirm: string;
}

export function enrolProblems(form: EnrolForm): EnrolProblem[] {
  const found: EnrolProblem[] = [];
  const parsed = parseEnrolCode(form.code);
  if (parsed.kind === "empty") found.push("code_required");
  if (parsed.kind === "payload" && (parsed.code === "" || !looksLikeServerUrl(parsed.server))) {
    found.push("payload_incomplete");
  }
  if (parsed.kind === "bare") {
    if (form.server.trim() === "") found.push("server_required");
    else if (!looksLikeServerUrl(form.server)) found.push("server_invalid");
  }
  if (form.label.trim() === "") found.push("label_required");
  if (!isSixDigitPin(form.pin)) found.push("pin_format");
  else if (form.pin !== form.pinConfirm) found.push("pin_mismatch");
  return found;
}

/** The `enrol` command's input: the code as typed (trimmed), the server only for a bare code. */
export function toEnrolInput(form: EnrolForm): EnrolInput {
  const bare = parseEnrolCode(form.code).kind === "bare";
  return {
    code: form.code.trim(),
    server_url: bare ? form.server.trim() : null,
    device_label: form.label.trim(),
    pin: form.pin,
  };
}
