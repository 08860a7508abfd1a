import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type FieldView, type TransitionView } from "../src/contract.js";
import {
  initialStepForm,
  NOTE,
  OUTCOME,
  stepErrorsFromMessage,
  stepNoteRule,
  stepProblems,
  toStepInput,
} from "../src/logic/step-form.js";
import { node, W1_TREE } from "./fixtures.js";

function input(key: string, label: string, type: string, required: boolean, value: string | null = null): FieldView {
  return {
    key,
    label,
    type,
    value,
    options: [],
    display: value,
    required,
    personal: false,
    editable: true,
    conflicting: [],
  };
}

/** Shaped like shared/tests/programs/isolation-follow-up.toml's steps, as PersonDetail sends them. */
const START_HOME: TransitionView = {
  action: "start_home_isolation",
  label: "开始居家隔离",
  to: "home_isolation",
  to_label: "居家隔离中",
  inputs: [input("seal_intact", "门磁是否完好", "boolean", true)],
  outcome: false,
  note: "none",
  confirm: null,
};

const RELEASE: TransitionView = {
  action: "release",
  label: "解除隔离",
  to: "released",
  to_label: "已解除隔离",
  inputs: [],
  outcome: false,
  note: "required",
  confirm: "确认解除该人员的隔离？",
};

const WITH_ANSWER: TransitionView = {
  ...START_HOME,
  action: "follow_up",
  inputs: [input("phone", "手机号码", "phone", false, "13800000000")],
  outcome: true,
  note: "optional",
};

describe("a declared step's form", () => {
  it("opens with the person's current values", () => {
    assert.deepEqual(initialStepForm(WITH_ANSWER).inputs, { phone: "13800000000" });
    assert.deepEqual(initialStepForm(START_HOME).inputs, { seal_intact: "" });
  });

  it("names a required field left empty, and sends it once chosen", () => {
    const form = initialStepForm(START_HOME);
    assert.deepEqual(stepProblems(START_HOME, [], form), [["seal_intact", "required"]]);
    form.inputs.seal_intact = "true";
    const result = toStepInput("p-1", START_HOME, [], form);
    assert.ok(result.ok);
    assert.deepEqual(result.input, {
      record_id: "p-1",
      action: "start_home_isolation",
      outcome: [],
      inputs: { seal_intact: "true" },
      note: null,
    });
  });

  it("asks for the note by the step's rule and never sends a note it has none for", () => {
    assert.deepEqual(stepNoteRule(RELEASE, [], []), { shown: true, required: true, hint: null });
    assert.deepEqual(stepProblems(RELEASE, [], initialStepForm(RELEASE)), [[NOTE, "note_required"]]);
    assert.equal(stepNoteRule(START_HOME, [], []).shown, false);
    const form = { ...initialStepForm(START_HOME), note: "typed before", inputs: { seal_intact: "false" } };
    const result = toStepInput("p-1", START_HOME, [], form);
    assert.ok(result.ok);
    assert.equal(result.input.note, null);
  });

  it("with an answer: the outcome to a leaf first, the leaf's note rule with the step's", () => {
    const form = initialStepForm(WITH_ANSWER);
    assert.deepEqual(stepProblems(WITH_ANSWER, W1_TREE, form), [[OUTCOME, "choose_outcome"]]);
    form.path = ["in_district", "central_quarantine"];
    assert.deepEqual(stepProblems(WITH_ANSWER, W1_TREE, form), [[OUTCOME, "choose_next_level"]]);
    assert.equal(stepNoteRule(WITH_ANSWER, W1_TREE, form.path).shown, false);
    form.path = ["in_district", "central_quarantine", "other_site"];
    const rule = stepNoteRule(WITH_ANSWER, W1_TREE, form.path);
    assert.deepEqual(rule, { shown: true, required: true, hint: "备注填写隔离点名称" });
    assert.deepEqual(stepProblems(WITH_ANSWER, W1_TREE, form), [[NOTE, "note_required"]]);
    form.note = " 南沙酒店 ";
    const result = toStepInput("p-2", WITH_ANSWER, W1_TREE, form);
    assert.ok(result.ok);
    assert.deepEqual(result.input.outcome, ["in_district", "central_quarantine", "other_site"]);
    assert.equal(result.input.note, "南沙酒店");
    // A leaf without a note keeps it hidden, even where the step would take one.
    const none = [node("reached", [], { note: "none" })];
    assert.equal(stepNoteRule(WITH_ANSWER, none, ["reached"]).shown, false);
  });

  it("leaves empty optional fields out", () => {
    const form = { ...initialStepForm(WITH_ANSWER), path: ["cannot_locate"], note: "关机", inputs: { phone: " " } };
    const result = toStepInput("p-3", WITH_ANSWER, W1_TREE, form);
    assert.ok(result.ok);
    assert.deepEqual(result.input.inputs, {});
  });

  it("places the Rust side's refusal beside the field or the note it names", () => {
    assert.deepEqual(stepErrorsFromMessage("门磁是否完好：必填", START_HOME, "备注"), {
      seal_intact: "门磁是否完好：必填",
    });
    assert.deepEqual(stepErrorsFromMessage("请填写备注", RELEASE, "备注"), { [NOTE]: "请填写备注" });
    // A guard's message names no field: it is for the message line.
    assert.deepEqual(stepErrorsFromMessage("来自湖北、河南的人员须集中隔离", START_HOME, "备注"), {
      "": "来自湖北、河南的人员须集中隔离",
    });
  });
});
