import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type FeedItem } from "../src/console/api.js";
import { filterQuery } from "../src/console/http-api.js";
import { barWidths, curvePoints, mergeFeed, outcomeOptions, percent } from "../src/console/logic.js";
import { CONSOLE_DICTIONARY, ct } from "../src/console/strings.js";
import { setCurrentLang } from "../src/i18n.js";

function placeholders(s: string): string[] {
  return (s.match(/\{\w+\}/g) ?? []).slice().sort();
}

function item(key: string, at_ms: number): FeedItem {
  const text = { zh: key, en: key };
  return { key, at_ms, kind: "alert_raised", label: text, by: "", person: "", detail: text, task: "t", unit_name: text };
}

describe("console strings", () => {
  it("have every key in both languages with the same placeholders and no empty text", () => {
    const zh = CONSOLE_DICTIONARY["zh-CN"];
    const en = CONSOLE_DICTIONARY.en;
    assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      assert.notEqual(zh[key].trim(), "", key);
      assert.notEqual(en[key].trim(), "", key);
      assert.deepEqual(placeholders(en[key]), placeholders(zh[key]), key);
    }
  });

  it("speak Chinese by default and English when switched", () => {
    setCurrentLang("zh-CN");
    assert.equal(ct("wall.unclaimed"), "待认领");
    assert.equal(ct("wall.claimed"), "已认领待反馈");
    assert.equal(ct("results.total", { n: 3 }), "共 3 人");
    setCurrentLang("en");
    assert.equal(ct("results.total", { n: 3 }), "3 persons");
    setCurrentLang("zh-CN");
  });
});

describe("console logic", () => {
  it("merges polled alerts once per key, newest first", () => {
    const shown = [item("a:raised", 10), item("b:raised", 5)];
    const merged = mergeFeed(shown, [item("a:raised", 10), item("a:resolved", 20)]);
    assert.deepEqual(
      merged.map((i) => i.key),
      ["a:resolved", "a:raised", "b:raised"],
    );
    assert.equal(mergeFeed(merged, [], 2).length, 2);
  });

  it("shows completion as a percentage, a dash for a town without persons", () => {
    assert.equal(percent(0.4567, 10), "45.7%");
    assert.equal(percent(1, 3), "100.0%");
    assert.equal(percent(0, 0), "—");
  });

  it("flattens the outcome tree in order with depths", () => {
    const label = { zh: "x", en: "x" };
    const options = outcomeOptions([
      { code: "in", label, children: [{ code: "home", label, children: [] }] },
      { code: "out", label, children: [] },
    ]);
    assert.deepEqual(
      options.map((o) => [o.code, o.depth]),
      [
        ["in", 0],
        ["home", 1],
        ["out", 0],
      ],
    );
  });

  it("scales bars to the widest value, or to one for fractions", () => {
    assert.deepEqual(barWidths([1, 2, 4], false), [25, 50, 100]);
    assert.deepEqual(barWidths([0.5, 1.2], true), [50, 100]);
  });

  it("draws the completion curve from the bottom left, by time and share answered", () => {
    const points = [
      { at_ms: 0, dispatched: 4, answered: 0 },
      { at_ms: 50, dispatched: 4, answered: 2 },
      { at_ms: 100, dispatched: 4, answered: 4 },
    ];
    assert.equal(curvePoints(points, 200, 100), "0,100 100,50 200,0");
    assert.equal(curvePoints([], 200, 100), "");
  });

  it("leaves blank filters out of the query", () => {
    assert.equal(
      filterQuery({ program: "w1", batch: "", status: "answered", offset: 0 }, { lang: "zh" }),
      "program=w1&status=answered&offset=0&lang=zh",
    );
  });
});
