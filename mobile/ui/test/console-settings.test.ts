import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type NotificationSettings } from "../src/console/api.js";
import {
  checkChannelId,
  checkSmtp,
  checkUnitEntry,
  childLevel,
  splitAliases,
  splitMailboxes,
  checkDuration,
  checkLadder,
  checkTime,
  checkUrl,
  consoleOverlay,
  depths,
  durationSeconds,
  durationText,
  programDuration,
  timeMinutes,
} from "../src/console/settings.js";
import { ct } from "../src/console/strings.js";
import { setCurrentLang } from "../src/i18n.js";

describe("deadline settings checks", () => {
  it("read durations as program files write them", () => {
    assert.equal(durationSeconds("10m"), 600);
    assert.equal(durationSeconds("1h30m"), 5400);
    assert.equal(durationSeconds("1d"), 86_400);
    assert.equal(durationSeconds("90s"), 90);
    assert.equal(durationSeconds(" 2h "), 7200);
    assert.equal(durationSeconds("10分钟"), 600);
    assert.equal(durationSeconds("1小时30分钟"), 5400);
    assert.equal(durationSeconds("1天"), 86_400);
    assert.equal(programDuration(5400), "1h30m");
    assert.equal(programDuration(0), "0m");
    for (const bad of ["", "10", "30m1h", "1h1h", "-5m", "10 m", "两小时", "1.5h"]) {
      assert.equal(durationSeconds(bad), null, bad);
    }
  });

  it("show durations in words in Chinese, never 10m or 2h", () => {
    setCurrentLang("zh-CN");
    assert.equal(durationText("10m"), "10分钟");
    assert.equal(durationText("2h"), "2小时");
    assert.equal(durationText("1h30m"), "1小时30分钟");
    assert.equal(durationText("0m"), "0分钟");
    setCurrentLang("en");
    assert.equal(durationText("10m"), "10m");
    setCurrentLang("zh-CN");
  });

  it("read times of day as HH:MM in range", () => {
    assert.equal(timeMinutes("17:00"), 1020);
    assert.equal(timeMinutes("9:05"), 545);
    for (const bad of ["24:00", "12:60", "1700", "12:5", "", "noon"]) assert.equal(timeMinutes(bad), null, bad);
  });

  it("explain each bad value in Chinese by default", () => {
    setCurrentLang("zh-CN");
    const say = (p: ReturnType<typeof checkDuration>) => (p ? ct(p.key, p.params ?? {}) : null);
    assert.equal(say(checkDuration("")), "请填写时长，如 10分钟、2小时");
    assert.equal(say(checkDuration("10")), "时长应写成 10分钟、2小时、1小时30分钟 或 1天（天、小时、分钟、秒按顺序）");
    assert.equal(say(checkDuration("0m")), "时长须大于 0");
    assert.equal(say(checkDuration("31d")), "时长不能超过 30 天");
    assert.equal(say(checkDuration("30d")), null);
    assert.equal(say(checkDuration("0m", true)), null, "a recurring rule's step at the occurrence");
    assert.equal(say(checkTime("25:00")), "钟点应写成 HH:MM，如 17:00");
    setCurrentLang("en");
    assert.equal(say(checkDuration("0m")), "The duration must be more than 0");
    setCurrentLang("zh-CN");
  });

  it("find the step that is not later than the one before, and steps without recipients", () => {
    const ok = checkLadder([
      { after: "10m", notify: ["town_leader"] },
      { after: "30m", notify: ["district_leader"] },
    ]);
    assert.equal(ok.size, 0);
    const early = checkLadder([
      { after: "1h", notify: ["town_leader"] },
      { after: "30m", notify: ["district_leader"] },
    ]);
    assert.deepEqual([...early.keys()], [1]);
    assert.equal(ct(early.get(1)!.key, early.get(1)!.params), "须晚于上一步（1小时）");
    const clock = checkLadder([
      { at: "17:00", days_after: 0, notify: ["town_leader"] },
      { at: "12:00", days_after: 1, notify: [] },
    ]);
    assert.equal(clock.get(1)?.key, "settings.err.no_recipients");
    const sameDay = checkLadder([
      { at: "17:00", days_after: 0, notify: ["a"] },
      { at: "12:00", days_after: 0, notify: ["b"] },
    ]);
    assert.equal(sameDay.get(1)?.key, "settings.err.order");
    assert.equal(checkLadder([{ after: "0m", notify: ["a"] }, { after: "1h", notify: ["b"] }], true).size, 0);
    assert.equal(checkLadder([{ after: "0m", notify: ["a"] }, { after: "1h", notify: ["b"] }]).get(0)?.key, "settings.err.duration_zero");
    // A bad value is reported as itself, not also as out of order.
    const bad = checkLadder([
      { after: "x", notify: ["a"] },
      { after: "5m", notify: ["b"] },
    ]);
    assert.deepEqual([...bad.entries()].map(([i, p]) => [i, p.key]), [[0, "settings.err.duration_format"]]);
  });
});

describe("notification settings checks", () => {
  it("accept channel ids of lower-case letters, digits, - and _ that are not taken", () => {
    assert.equal(checkChannelId("sms-adapter_1", ["town-wecom"]), null);
    assert.equal(checkChannelId("SMS", [])?.key, "notify.err.id");
    assert.equal(checkChannelId("", [])?.key, "notify.err.id");
    assert.equal(checkChannelId("a".repeat(41), [])?.key, "notify.err.id");
    assert.equal(checkChannelId("town-wecom", ["town-wecom"])?.key, "notify.err.id_taken");
  });

  it("accept only whole http(s) addresses", () => {
    assert.equal(checkUrl("https://sms.example/adapter?key=1"), null);
    assert.equal(checkUrl("http://127.0.0.1:8080/hook"), null);
    assert.equal(checkUrl("")?.key, "notify.err.url_empty");
    assert.equal(checkUrl("ftp://x.example")?.key, "notify.err.url");
    assert.equal(checkUrl("sms.example/adapter")?.key, "notify.err.url");
  });

  it("save only the console's channels and routes, channels without their address", () => {
    const text = { zh: "x", en: "x" };
    const settings: NotificationSettings = {
      channels: [
        { id: "town-wecom", kind: "wecom", host: "qyapi", signed: false, source: "file", smtp: null },
        { id: "sms", kind: "webhook", host: "sms.example", signed: true, source: "console", smtp: null },
      ],
      routes: [
        { unit: "440115001", unit_name: text, recipient: "town_leader", channels: ["town-wecom"], include_descendants: false, source: "file" },
        { unit: "440115", unit_name: text, recipient: "district_leader", channels: ["sms"], include_descendants: true, source: "console" },
      ],
      recipients: [],
      kinds: ["webhook"],
      updated_ms: null,
      updated_by: null,
      reach: null,
    };
    assert.deepEqual(consoleOverlay(settings), {
      channels: [{ id: "sms", kind: "webhook" }],
      routes: [{ unit: "440115", recipient: "district_leader", channels: ["sms"], include_descendants: true }],
    });
  });

  it("indent jurisdictions by their depth in the tree", () => {
    const d = depths([
      { code: "440115", parent: null },
      { code: "440115001", parent: "440115" },
      { code: "440115001001", parent: "440115001" },
    ]);
    assert.deepEqual([...d.values()], [0, 1, 2]);
  });
});

describe("jurisdiction unit checks", () => {
  const siblings = [
    { code: "440115001001", name: "金沙社区" },
    { code: "440115001002", name: "港前社区" },
  ];
  const entry = (code: string, name = "滨海社区", name_en = "Binhai") => ({ code, name, name_en });

  it("accept a new community under its town", () => {
    assert.equal(checkUnitEntry(entry("440115001003"), "440115001", siblings, true).size, 0);
  });

  it("want the parent's code and three digits other than 000, not taken", () => {
    for (const bad of ["440115002003", "44011500100", "4401150010031", "440115001000", "440115001abc", ""]) {
      assert.equal(checkUnitEntry(entry(bad), "440115001", siblings, true).get("code")?.key, "juris.err.code", bad);
    }
    assert.equal(checkUnitEntry(entry("440115001002", "新社区"), "440115001", siblings, true).get("code")?.key, "juris.err.code_taken");
  });

  it("want both names, and no sibling with the same name", () => {
    const problems = checkUnitEntry(entry("440115001003", " ", ""), "440115001", siblings, true);
    assert.equal(problems.get("name")?.key, "juris.err.name_empty");
    assert.equal(problems.get("name_en")?.key, "juris.err.name_en_empty");
    setCurrentLang("zh-CN");
    const taken = checkUnitEntry(entry("440115001003", "金沙社区"), "440115001", siblings, true).get("name");
    assert.equal(ct(taken!.key, taken!.params), "同一上级下已有名为“金沙社区”的单位");
  });

  it("let a rename keep its own name and skip the code", () => {
    assert.equal(checkUnitEntry(entry("440115001001", "金沙社区"), "440115001", siblings, false).size, 0);
    assert.equal(checkUnitEntry(entry("440115001001", "港前社区"), "440115001", siblings, false).get("name")?.key, "juris.err.name_taken");
  });

  it("split aliases on commas, 、 and spaces, without blanks or repeats", () => {
    assert.deepEqual(splitAliases("南沙街, 南街，南沙、南沙  "), ["南沙街", "南街", "南沙"]);
    assert.deepEqual(splitAliases(" "), []);
  });

  it("add towns below districts and communities below towns only", () => {
    assert.equal(childLevel("district"), "town");
    assert.equal(childLevel("town"), "community");
    assert.equal(childLevel("community"), null);
  });
});

describe("e-mail channel checks", () => {
  const good = { host: "smtp.example.org", tls: "starttls", from: "Outpost 告警 <alerts@outpost.example>", to: ["duty@nansha.example"] };

  it("accept a relay with a sender and recipients, with or without a user", () => {
    assert.equal(checkSmtp(good).size, 0);
    assert.equal(checkSmtp({ ...good, port: 587, username: "outpost", password: "p" }).size, 0);
  });

  it("name the field that is wrong", () => {
    const keys = (input: Parameters<typeof checkSmtp>[0]) => [...checkSmtp(input).entries()].map(([f, p]) => `${f}:${p.key}`);
    assert.deepEqual(keys({ ...good, host: " " }), ["host:notify.err.smtp_host"]);
    assert.deepEqual(keys({ ...good, port: 70_000 }), ["port:notify.err.smtp_port"]);
    assert.deepEqual(keys({ ...good, username: "outpost" }), ["password:notify.err.smtp_credentials"]);
    assert.deepEqual(keys({ ...good, password: "p" }), ["username:notify.err.smtp_credentials"]);
    assert.deepEqual(keys({ ...good, from: "outpost" }), ["from:notify.err.smtp_from"]);
    assert.deepEqual(keys({ ...good, to: [] }), ["to:notify.err.smtp_to_empty"]);
    setCurrentLang("zh-CN");
    const bad = checkSmtp({ ...good, to: ["duty@nansha.example", "值班室"] }).get("to");
    assert.equal(ct(bad!.key, bad!.params), "收件人 值班室 不是有效的邮箱地址");
  });

  it("split recipients on lines, semicolons and commas", () => {
    assert.deepEqual(splitMailboxes("a@x.cn; 南沙值班室 <b@x.cn>\n\n c@x.cn ；d@x.cn，e@x.cn, "), ["a@x.cn", "南沙值班室 <b@x.cn>", "c@x.cn", "d@x.cn", "e@x.cn"]);
  });
});
