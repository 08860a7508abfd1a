import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  choose,
  chosenLeaf,
  emptyForm,
  levelOptions,
  needsForwardTarget,
  nextLevel,
  noteRule,
  problems,
  reportsToCdc,
  toAnswerInput,
} from "../src/logic/outcome-form.js";
import { W1_TREE, W2_TREE, node } from "./fixtures.js";

const W1 = { askDoorMagnet: false };
const W2 = { askDoorMagnet: true };

describe("W1 whereabouts tree, level by level", () => {
  it("offers the roots first and nothing deeper", () => {
    const levels = levelOptions(W1_TREE, []);
    assert.equal(levels.length, 1);
    assert.deepEqual(
      levels[0].map((n) => n.code),
      ["in_district", "not_in_district", "cannot_locate"],
    );
    assert.equal(nextLevel(W1_TREE, []), 0);
  });

  it("opens the next level with the children of the choice", () => {
    const path = choose(W1_TREE, [], 0, "in_district");
    assert.deepEqual(path, ["in_district"]);
    assert.equal(nextLevel(W1_TREE, path), 1);
    const levels = levelOptions(W1_TREE, path);
    assert.equal(levels.length, 2);
    assert.deepEqual(
      levels[1].map((n) => n.code),
      ["central_quarantine", "home_quarantine", "no_quarantine_room"],
    );
    const deeper = choose(W1_TREE, path, 1, "central_quarantine");
    assert.equal(levelOptions(W1_TREE, deeper).length, 3);
    assert.equal(nextLevel(W1_TREE, deeper), 2);
  });

  it("a leaf ends the path: no next level", () => {
    let path = choose(W1_TREE, [], 0, "in_district");
    path = choose(W1_TREE, path, 1, "no_quarantine_room");
    assert.equal(nextLevel(W1_TREE, path), null);
    assert.equal(chosenLeaf(W1_TREE, path)?.code, "no_quarantine_room");
    assert.equal(levelOptions(W1_TREE, path).length, 2);
  });

  it("changing a higher level drops the old branch's deeper choices", () => {
    let path = ["in_district", "central_quarantine", "zhujiang_jiayuan"];
    path = choose(W1_TREE, path, 0, "not_in_district");
    assert.deepEqual(path, ["not_in_district"]);
    path = choose(W1_TREE, ["in_district", "central_quarantine"], 1, "");
    assert.deepEqual(path, ["in_district"]);
  });

  it("ignores a code that is not offered at that level", () => {
    assert.deepEqual(choose(W1_TREE, ["in_district"], 1, "other_province"), ["in_district"]);
  });

  it("a non-leaf answer cannot be submitted", () => {
    const form = { ...emptyForm(), path: ["in_district", "central_quarantine"] };
    const result = toAnswerInput("r1", W1_TREE, form, W1);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.problems.includes("choose_next_level"));
  });

  it("shows no note field before a leaf is chosen", () => {
    assert.equal(noteRule(W1_TREE, ["in_district", "central_quarantine"]).shown, false);
    assert.equal(noteRule(W1_TREE, []).shown, false);
  });

  it("an empty form asks for an outcome", () => {
    assert.deepEqual(problems(W1_TREE, emptyForm(), W1), ["choose_outcome"]);
  });

  it("the note is required where the node says so, with its hint", () => {
    const path = ["in_district", "central_quarantine", "other_site"];
    const rule = noteRule(W1_TREE, path);
    assert.deepEqual(rule, { shown: true, required: true, hint: "备注填写隔离点名称" });
    const blank = toAnswerInput("r1", W1_TREE, { ...emptyForm(), path, note: "   " }, W1);
    assert.ok(!blank.ok && blank.problems.includes("note_required"));
    const filled = toAnswerInput("r1", W1_TREE, { ...emptyForm(), path, note: " 南沙酒店 " }, W1);
    assert.ok(filled.ok);
    assert.deepEqual(filled.input, {
      record_id: "r1",
      outcome: path,
      note: "南沙酒店",
      forward_to: null,
    });
  });

  it("the note is optional on a leaf without a rule, and sent as null when blank", () => {
    const path = ["in_district", "central_quarantine", "zhujiang_jiayuan"];
    assert.equal(noteRule(W1_TREE, path).required, false);
    const result = toAnswerInput("r1", W1_TREE, { ...emptyForm(), path }, W1);
    assert.ok(result.ok);
    assert.equal(result.input.note, null);
  });

  it("a root leaf with a required note (无法落地) needs the reason", () => {
    const path = choose(W1_TREE, [], 0, "cannot_locate");
    assert.equal(nextLevel(W1_TREE, path), null);
    assert.deepEqual(problems(W1_TREE, { ...emptyForm(), path }, W1), ["note_required"]);
  });
});

describe("W2 seven scenarios", () => {
  it("are one level of roots", () => {
    assert.equal(levelOptions(W2_TREE, []).length, 1);
    assert.equal(levelOptions(W2_TREE, [])[0].length, 7);
    assert.equal(nextLevel(W2_TREE, ["home_quarantine"]), null);
  });

  it("scenario 3 (forward) requires a target community", () => {
    const path = ["other_community_in_town"];
    assert.ok(needsForwardTarget(W2_TREE, path));
    const form = { ...emptyForm(), path, doorMagnet: false };
    assert.deepEqual(problems(W2_TREE, form, W2), ["forward_target_required"]);
    const ok = toAnswerInput("r2", W2_TREE, { ...form, forwardTo: "440115001001" }, W2);
    assert.ok(ok.ok);
    assert.equal(ok.input.forward_to, "440115001001");
  });

  it("a forward target is not sent with an outcome that does not forward", () => {
    const form = { ...emptyForm(), path: ["home_quarantine"], forwardTo: "x", doorMagnet: true };
    const result = toAnswerInput("r2", W2_TREE, form, W2);
    assert.ok(result.ok);
    assert.equal(result.input.forward_to, null);
  });

  it("scenarios 4–7 carry the report-to-CDC reminder, 1–3 do not", () => {
    const reminded = W2_TREE.filter((n) => reportsToCdc(W2_TREE, [n.code])).map((n) => n.code);
    assert.deepEqual(reminded, [
      "other_district_in_city",
      "outside_city",
      "refuses_address",
      "unreachable",
    ]);
    assert.equal(reportsToCdc(W2_TREE, []), false);
  });

  it("the door magnet must be chosen when the program asks for it", () => {
    const form = { ...emptyForm(), path: ["home_quarantine"] };
    assert.deepEqual(problems(W2_TREE, form, W2), ["door_magnet_required"]);
    assert.deepEqual(problems(W2_TREE, form, W1), []);
  });

  it("a hidden note (note: none) is never sent", () => {
    const form = { ...emptyForm(), path: ["home_quarantine"], note: "stale", doorMagnet: true };
    assert.equal(noteRule(W2_TREE, form.path).shown, false);
    const result = toAnswerInput("r2", W2_TREE, form, W2);
    assert.ok(result.ok);
    assert.equal(result.input.note, null);
  });
});

describe("a note required above the leaf", () => {
  // A level that requires a note for everything below it, as the core reads the tree.
  const tree = [
    node("elsewhere", [node("abroad", [], { note: "optional" }), node("unknown", [], { note: "none" })], {
      note: "required",
      note_hint: "备注填写去向",
    }),
  ];

  it("is required at every leaf below it, with its hint, as the core requires it", () => {
    for (const leaf of ["abroad", "unknown"]) {
      const rule = noteRule(tree, ["elsewhere", leaf]);
      assert.deepEqual(rule, { shown: true, required: true, hint: "备注填写去向" }, leaf);
      const form = { ...emptyForm(), path: ["elsewhere", leaf] };
      assert.ok(problems(tree, form, W1).includes("note_required"), leaf);
    }
  });
});
