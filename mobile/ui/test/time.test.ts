import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  countdown,
  formatAge,
  formatCountdown,
  formatDateTime,
  formatShort,
  shanghaiParts,
} from "../src/logic/time.js";

// 2022-03-18 17:19:05 in Shanghai = 09:19:05 UTC.
const T = Date.UTC(2022, 2, 18, 9, 19, 5);

describe("Asia/Shanghai clock", () => {
  it("is UTC+8 whatever the machine's zone", () => {
    assert.deepEqual(shanghaiParts(T), {
      year: 2022,
      month: 3,
      day: 18,
      hour: 17,
      minute: 19,
      second: 5,
    });
    assert.equal(formatDateTime(T), "2022-03-18 17:19");
    assert.equal(formatDateTime(T, true), "2022-03-18 17:19:05");
  });

  it("crosses midnight eight hours before UTC does", () => {
    const utcEvening = Date.UTC(2022, 11, 31, 16, 30, 0); // 2023-01-01 00:30 in Shanghai
    assert.equal(formatDateTime(utcEvening), "2023-01-01 00:30");
  });

  it("short form: time today, date this year, full date otherwise (Shanghai days)", () => {
    assert.equal(formatShort(T, T + 60_000), "17:19");
    // 23:59 Shanghai on the 18th vs 00:10 on the 19th: another day, though the same UTC day.
    const late = Date.UTC(2022, 2, 18, 15, 59, 0);
    const nextShanghaiDay = Date.UTC(2022, 2, 18, 16, 10, 0);
    assert.equal(formatShort(late, nextShanghaiDay), "03-18 23:59");
    assert.equal(formatShort(T, Date.UTC(2023, 0, 5)), "2022-03-18 17:19");
  });
});

describe("countdown", () => {
  it("shows mm:ss under an hour", () => {
    assert.equal(formatCountdown(4 * 60_000 + 59_000), "04:59");
    assert.equal(formatCountdown(59 * 60_000 + 59_999), "59:59");
    assert.equal(formatCountdown(0), "00:00");
  });

  it("shows h:mm from an hour on", () => {
    assert.equal(formatCountdown(60 * 60_000), "1:00");
    assert.equal(formatCountdown(65 * 60_000 + 30_000), "1:05");
    assert.equal(formatCountdown(27 * 3_600_000 + 30 * 60_000), "27:30");
  });

  it("counts down to the deadline, then up once overdue", () => {
    const due = T + 10 * 60_000;
    assert.deepEqual(countdown(due, T), { overdue: false, text: "10:00" });
    assert.deepEqual(countdown(due, due), { overdue: true, text: "00:00" });
    assert.deepEqual(countdown(due, due + 2 * 3_600_000 + 5 * 60_000), {
      overdue: true,
      text: "2:05",
    });
  });

  it("trusts the Rust side's overdue flag even when the device clock is behind", () => {
    assert.equal(countdown(T + 60_000, T, true).overdue, true);
  });
});

describe("age of the oldest unsent change", () => {
  it("reads in both languages", () => {
    assert.equal(formatAge("zh-CN", 10_000), "刚刚");
    assert.equal(formatAge("zh-CN", 5 * 60_000 + 10_000), "5 分钟");
    assert.equal(formatAge("zh-CN", 2 * 3_600_000 + 5 * 60_000), "2 小时 5 分");
    assert.equal(formatAge("en", 3 * 86_400_000 + 1), "3 days");
    assert.equal(formatAge("en", -5), "just now");
  });
});
