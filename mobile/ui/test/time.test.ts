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
  it("says minutes and seconds under an hour, never a bare 09:34", () => {
    assert.equal(formatCountdown("zh-CN", 9 * 60_000 + 34_000), "9分34秒");
    assert.equal(formatCountdown("zh-CN", 59 * 60_000 + 59_999), "59分59秒");
    assert.equal(formatCountdown("zh-CN", 0), "0分0秒");
    assert.equal(formatCountdown("en", 9 * 60_000 + 34_000), "9 min 34 s");
  });

  it("says hours and minutes from an hour on, never a bare 1:10", () => {
    assert.equal(formatCountdown("zh-CN", 60 * 60_000), "1小时0分");
    assert.equal(formatCountdown("zh-CN", 70 * 60_000 + 30_000), "1小时10分");
    assert.equal(formatCountdown("zh-CN", 27 * 3_600_000 + 30 * 60_000), "27小时30分");
    assert.equal(formatCountdown("en", 70 * 60_000), "1 h 10 min");
  });

  it("counts down to the deadline, then up once overdue", () => {
    const due = T + 10 * 60_000;
    assert.deepEqual(countdown("zh-CN", due, T), { overdue: false, text: "10分0秒" });
    assert.deepEqual(countdown("zh-CN", due, due), { overdue: true, text: "0分0秒" });
    assert.deepEqual(countdown("zh-CN", due, due + 2 * 3_600_000 + 5 * 60_000), {
      overdue: true,
      text: "2小时5分",
    });
  });

  it("trusts the Rust side's overdue flag even when the device clock is behind", () => {
    assert.equal(countdown("zh-CN", T + 60_000, T, true).overdue, true);
  });
});

describe("age of the oldest unsent change", () => {
  it("reads in both languages, 刚刚 without 前", () => {
    assert.equal(formatAge("zh-CN", 10_000), "刚刚");
    assert.equal(formatAge("zh-CN", 5 * 60_000 + 10_000), "5 分钟前");
    assert.equal(formatAge("zh-CN", 2 * 3_600_000 + 5 * 60_000), "2 小时 5 分前");
    assert.equal(formatAge("en", 3 * 86_400_000 + 1), "3 days ago");
    assert.equal(formatAge("en", -5), "just now");
    assert.ok(!formatAge("zh-CN", 0).endsWith("前"));
  });
});
