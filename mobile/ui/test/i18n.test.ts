import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DICTIONARY, LANGS, translate } from "../src/i18n.js";

function placeholders(s: string): string[] {
  return (s.match(/\{\w+\}/g) ?? []).slice().sort();
}

describe("i18n dictionary", () => {
  const zh = DICTIONARY["zh-CN"];
  const en = DICTIONARY.en;

  it("has every key in both languages", () => {
    const zhKeys = Object.keys(zh).sort();
    const enKeys = Object.keys(en).sort();
    assert.deepEqual(enKeys, zhKeys);
    assert.ok(zhKeys.length > 100, `only ${zhKeys.length} keys`);
  });

  it("has no empty string and the same placeholders in both", () => {
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      assert.notEqual(zh[key].trim(), "", `zh-CN ${key} is empty`);
      assert.notEqual(en[key].trim(), "", `en ${key} is empty`);
      assert.deepEqual(placeholders(en[key]), placeholders(zh[key]), `placeholders of ${key}`);
    }
  });

  it("is Chinese in zh-CN (every value has a CJK character or is a symbol-only string)", () => {
    for (const [key, value] of Object.entries(zh)) {
      if (/^[\s\d{}\w:…./-]*$/.test(value)) continue;
      assert.match(value, /[\u4e00-\u9fff]/, `zh-CN ${key} has no Chinese: ${value}`);
    }
  });

  it("uses the seeds' words for the tabs and the CDC reminder", () => {
    assert.equal(translate("zh-CN", "tab.unclaimed"), "待认领");
    assert.equal(translate("zh-CN", "tab.claimed"), "已认领待反馈");
    assert.equal(translate("zh-CN", "tab.answered"), "已反馈");
    assert.equal(translate("zh-CN", "answer.report_cdc"), "请向区疾控报告");
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    assert.equal(translate("zh-CN", "sync.pending", { n: 3 }), "待上传 3 条");
    assert.equal(translate("en", "sync.pending", { n: 3 }), "3 to upload");
    assert.equal(translate("en", "sync.pending"), "{n} to upload");
  });

  it("offers both languages in the switcher", () => {
    assert.deepEqual(
      LANGS.map((l) => l.lang),
      ["zh-CN", "en"],
    );
  });
});
