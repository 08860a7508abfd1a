// Times on screen: absolute times in Asia/Shanghai, deadlines as live countdowns.
//
// China has observed no daylight saving time since 1991, so Asia/Shanghai is a fixed UTC+8 and the
// formatting below is plain arithmetic: it gives the same result in the app's WebView, in a
// browser console on a laptop set to another zone, and in node's unit tests, without depending on
// the ICU time-zone data each of them may or may not carry.

import { type Lang } from "../contract.js";
import { translate } from "../i18n.js";

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Calendar fields of an instant as a clock in Asia/Shanghai shows it. */
export interface ShanghaiParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function shanghaiParts(ms: number): ShanghaiParts {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2022-03-18 17:19` (or with seconds) in Asia/Shanghai. */
export function formatDateTime(ms: number, withSeconds = false): string {
  const p = shanghaiParts(ms);
  const time = `${pad2(p.hour)}:${pad2(p.minute)}${withSeconds ? `:${pad2(p.second)}` : ""}`;
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)} ${time}`;
}

/** `17:19` when `ms` falls on the same Shanghai day as `nowMs`, `03-18 17:19` in the same year,
 *  the full date otherwise: short enough for a phone's status bar, never ambiguous. */
export function formatShort(ms: number, nowMs: number): string {
  const p = shanghaiParts(ms);
  const n = shanghaiParts(nowMs);
  const time = `${pad2(p.hour)}:${pad2(p.minute)}`;
  if (p.year === n.year && p.month === n.month && p.day === n.day) return time;
  if (p.year === n.year) return `${pad2(p.month)}-${pad2(p.day)} ${time}`;
  return formatDateTime(ms);
}

/** A duration as a countdown, in words so the unit is never guessed: under an hour minutes and
 *  seconds (`9分34秒`, `9 min 34 s`), from an hour on hours and minutes (`1小时10分`,
 *  `27小时30分`; `1 h 10 min`). A clock-like `1:10` or `09:34` read as either. The sign is
 *  dropped: whether it is time left or time overdue is `countdown`'s. */
export function formatCountdown(lang: Lang, durationMs: number): string {
  const totalSeconds = Math.floor(Math.abs(durationMs) / SECOND);
  if (totalSeconds < 3600) {
    return translate(lang, "countdown.minutes_seconds", {
      m: Math.floor(totalSeconds / 60),
      s: totalSeconds % 60,
    });
  }
  return translate(lang, "countdown.hours_minutes", {
    h: Math.floor(totalSeconds / 3600),
    m: Math.floor((totalSeconds % 3600) / 60),
  });
}

export interface CountdownView {
  /** The deadline has passed (by the clock, or the Rust side said so). */
  overdue: boolean;
  /** Time left, or time since the deadline when overdue. */
  text: string;
}

/** The live state of a deadline at `nowMs`. `overdueFlag` is the Rust side's verdict at the
 *  time of the query; the clock can only make a deadline more overdue, never less. */
export function countdown(
  lang: Lang,
  dueMs: number,
  nowMs: number,
  overdueFlag = false,
): CountdownView {
  const overdue = overdueFlag || nowMs >= dueMs;
  return { overdue, text: formatCountdown(lang, dueMs - nowMs) };
}

/** How long ago something happened, in words: 刚刚 / 5 分钟前 / 2 小时 5 分前 / 3 天前 (never
 *  "刚刚前": the 前 belongs to each wording, not to the caller). */
export function formatAge(lang: Lang, ageMs: number): string {
  const ms = Math.max(0, ageMs);
  if (ms < MINUTE) return translate(lang, "age.just_now");
  if (ms < HOUR) return translate(lang, "age.minutes", { m: Math.floor(ms / MINUTE) });
  if (ms < DAY) {
    return translate(lang, "age.hours", {
      h: Math.floor(ms / HOUR),
      m: Math.floor((ms % HOUR) / MINUTE),
    });
  }
  return translate(lang, "age.days", { d: Math.floor(ms / DAY) });
}
