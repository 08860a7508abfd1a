// Pure checks and helpers of the administration views (no DOM), unit-tested with node --test.
// They mirror the server's checks (shared `program::settings`, `admin::notifications`) so a
// mistake is shown beside its field before anything is sent; the server checks again and its
// message is shown when it refuses.

import { type NotificationOverlay, type NotificationSettings, type SmtpInput, type StepSettings } from "./api.js";
import { currentLang } from "../i18n.js";
import { type ConsoleKey } from "./strings.js";

/** The longest a deadline may be, in days (the server's `MAX_DAYS`). */
export const MAX_DAYS = 30;

/** A problem: a string key and its placeholders. */
export interface Problem {
  key: ConsoleKey;
  params?: Record<string, string | number>;
}

/** "1h30m" (as program files write durations: d, h, m, s, largest first) or "1小时30分钟" (as the
 *  console shows them: 天, 小时, 分钟, 秒) → seconds; null if it is neither. */
export function durationSeconds(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const match =
    /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed) ??
    /^(?:(\d+)天)?(?:(\d+)(?:小时|时))?(?:(\d+)(?:分钟|分))?(?:(\d+)秒)?$/.exec(trimmed.replace(/\s+/g, ""));
  if (!match) return null;
  const [d, hh, mm, ss] = match.slice(1).map((n) => (n === undefined ? 0 : Number(n)));
  return ((d * 24 + hh) * 60 + mm) * 60 + ss;
}

/** Seconds as a program file writes them ("1h30m"; "0m"), which the server takes. */
export function programDuration(seconds: number): string {
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor((seconds % 86_400) / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "m"],
    [seconds % 60, "s"],
  ];
  const text = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join("");
  return text === "" ? "0m" : text;
}

/** A duration in the user's words: "1小时30分钟", "10分钟" in Chinese (never the file's "10m");
 *  English keeps the file's short form ("1h30m"). Text that is not a duration is kept as it is. */
export function durationText(text: string): string {
  const seconds = durationSeconds(text);
  if (seconds === null || currentLang() === "en") return text;
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), "天"],
    [Math.floor((seconds % 86_400) / 3600), "小时"],
    [Math.floor((seconds % 3600) / 60), "分钟"],
    [seconds % 60, "秒"],
  ];
  const words = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join("");
  return words === "" ? "0分钟" : words;
}

/** "17:00" → minutes after midnight; null if it is not HH:MM in range. */
export function timeMinutes(text: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [hour, minute] = [Number(match[1]), Number(match[2])];
  if (hour > 23 || minute > 59) return null;
  return hour * 60 + minute;
}

/** `allowZero`: a recurring rule's "0m" (at the occurrence itself). */
export function checkDuration(text: string, allowZero = false): Problem | null {
  if (text.trim() === "") return { key: "settings.err.duration_empty" };
  const seconds = durationSeconds(text);
  if (seconds === null) return { key: "settings.err.duration_format" };
  if (seconds === 0 && !allowZero) return { key: "settings.err.duration_zero" };
  if (seconds > MAX_DAYS * 86_400) return { key: "settings.err.duration_long", params: { days: MAX_DAYS } };
  return null;
}

export function checkTime(text: string): Problem | null {
  return timeMinutes(text) === null ? { key: "settings.err.time_format" } : null;
}

export function checkDays(days: number): Problem | null {
  if (!Number.isInteger(days) || days < 0 || days > MAX_DAYS) {
    return { key: "settings.err.days", params: { days: MAX_DAYS } };
  }
  return null;
}

/** Where a step falls, comparable within one ladder (seconds, or days and minutes). */
function position(step: StepSettings): number | null {
  if (step.after !== undefined) return durationSeconds(step.after);
  if (step.at !== undefined) {
    const minutes = timeMinutes(step.at);
    return minutes === null ? null : (step.days_after ?? 0) * 1440 + minutes;
  }
  return null;
}

/** Every problem of one ladder, by step index (0-based): each value, the recipients, and each
 *  step strictly later than the one before. A recurring rule (`recurring`) may start at "0m". */
export function checkLadder(steps: StepSettings[], recurring = false): Map<number, Problem> {
  const problems = new Map<number, Problem>();
  steps.forEach((step, i) => {
    const problem =
      step.after !== undefined
        ? checkDuration(step.after, recurring)
        : checkTime(step.at ?? "") ?? checkDays(step.days_after ?? 0);
    if (problem) problems.set(i, problem);
    else if (step.notify.length === 0) problems.set(i, { key: "settings.err.no_recipients" });
  });
  for (let i = 1; i < steps.length; i++) {
    if (problems.has(i) || problems.has(i - 1)) continue;
    const [before, now] = [position(steps[i - 1]), position(steps[i])];
    if (before !== null && now !== null && now <= before) {
      const before = steps[i - 1];
      const previous = before.after !== undefined ? durationText(before.after) : before.at ?? "";
      problems.set(i, { key: "settings.err.order", params: { previous } });
    }
  }
  return problems;
}

/** A channel id: 1 to 40 lower-case letters, digits, - or _. */
export function checkChannelId(id: string, taken: string[]): Problem | null {
  if (!/^[a-z0-9_-]{1,40}$/.test(id)) return { key: "notify.err.id" };
  if (taken.includes(id)) return { key: "notify.err.id_taken", params: { id } };
  return null;
}

/** A push address: an absolute http(s) URL with a host. */
export function checkUrl(text: string): Problem | null {
  if (text.trim() === "") return { key: "notify.err.url_empty" };
  try {
    const url = new URL(text.trim());
    if ((url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "") return null;
  } catch {
    // Not a URL at all.
  }
  return { key: "notify.err.url" };
}

/** What the console saves: the channels and routes that came from the console (file ones are
 *  the server's), channels without their address so the saved ones are kept. */
export function consoleOverlay(settings: NotificationSettings): NotificationOverlay {
  return {
    channels: settings.channels.filter((c) => c.source === "console").map((c) => ({ id: c.id, kind: c.kind })),
    routes: settings.routes
      .filter((r) => r.source === "console")
      .map((r) => ({
        unit: r.unit,
        recipient: r.recipient,
        channels: [...r.channels],
        include_descendants: r.include_descendants,
      })),
  };
}

/** The depth of each unit in the tree (0 for a district), from the parent links. */
export function depths(units: { code: string; parent: string | null }[]): Map<string, number> {
  const parent = new Map(units.map((u) => [u.code, u.parent]));
  const out = new Map<string, number>();
  for (const u of units) {
    let depth = 0;
    let up = u.parent;
    while (up !== null && up !== undefined && parent.has(up) && depth < 10) {
      depth++;
      up = parent.get(up) ?? null;
    }
    out.set(u.code, depth);
  }
  return out;
}

/** The level a unit's children have, or null below a community (nothing can be added there). */
export function childLevel(level: "district" | "town" | "community"): "town" | "community" | null {
  if (level === "district") return "town";
  if (level === "town") return "community";
  return null;
}

/** Aliases as typed: separated by commas (either width), 、 or spaces; blanks and repeats left
 *  out. */
export function splitAliases(text: string): string[] {
  const out: string[] = [];
  for (const alias of text.split(/[,，、\s]+/u).map((a) => a.trim())) {
    if (alias !== "" && !out.includes(alias)) out.push(alias);
  }
  return out;
}

/** What is wrong with a unit before it is sent, by field (`code`, `name`, `name_en`) — the
 *  server's checks (`jurisdiction::overlay`) in short: a new unit's code is its parent's plus
 *  three digits other than 000 and not taken; names are filled in; no sibling has the name.
 *  `siblings` are the other units under the same parent. */
export function checkUnitEntry(
  entry: { code: string; name: string; name_en: string },
  parentCode: string,
  siblings: { code: string; name: string }[],
  isNew: boolean,
): Map<string, Problem> {
  const problems = new Map<string, Problem>();
  if (isNew) {
    const own = entry.code.startsWith(parentCode) ? entry.code.slice(parentCode.length) : "";
    if (!/^\d{3}$/.test(own) || own === "000") {
      problems.set("code", { key: "juris.err.code", params: { parent: parentCode } });
    } else if (siblings.some((s) => s.code === entry.code)) {
      problems.set("code", { key: "juris.err.code_taken", params: { code: entry.code } });
    }
  }
  const name = entry.name.trim();
  if (name === "") problems.set("name", { key: "juris.err.name_empty" });
  else if (siblings.some((s) => s.code !== entry.code && s.name === name)) {
    problems.set("name", { key: "juris.err.name_taken", params: { name } });
  }
  if (entry.name_en.trim() === "") problems.set("name_en", { key: "juris.err.name_en_empty" });
  return problems;
}

/** An e-mail address as people write it, bare or with a display name (`值班室 <duty@x.cn>`):
 *  enough to catch a typo; the server parses it properly. */
function looksLikeMailbox(text: string): boolean {
  const inner = /<([^<>]+)>\s*$/.exec(text.trim());
  return /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test((inner ? inner[1] : text).trim());
}

/** Recipients as typed: one per line, or separated by ; or , (either width). */
export function splitMailboxes(text: string): string[] {
  return text
    .split(/[\n;；,，]+/u)
    .map((a) => a.trim())
    .filter((a) => a !== "");
}

/** What is wrong with an e-mail channel before it is sent, by field. */
export function checkSmtp(input: SmtpInput): Map<string, Problem> {
  const problems = new Map<string, Problem>();
  if (input.host.trim() === "") problems.set("host", { key: "notify.err.smtp_host" });
  if (input.port !== undefined && (!Number.isInteger(input.port) || input.port < 1 || input.port > 65_535)) {
    problems.set("port", { key: "notify.err.smtp_port" });
  }
  if ((input.username ?? "").trim() !== "" && (input.password ?? "").trim() === "") {
    problems.set("password", { key: "notify.err.smtp_credentials" });
  }
  if ((input.username ?? "").trim() === "" && (input.password ?? "").trim() !== "") {
    problems.set("username", { key: "notify.err.smtp_credentials" });
  }
  if (!looksLikeMailbox(input.from)) problems.set("from", { key: "notify.err.smtp_from" });
  if (input.to.length === 0) problems.set("to", { key: "notify.err.smtp_to_empty" });
  else {
    const bad = input.to.find((a) => !looksLikeMailbox(a));
    if (bad !== undefined) problems.set("to", { key: "notify.err.smtp_to", params: { address: bad } });
  }
  return problems;
}
