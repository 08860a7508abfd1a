import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { toAppError } from "../src/api.js";
import { type FieldView } from "../src/contract.js";
import { enrolProblems, needsServerField, parseEnrolCode, toEnrolInput } from "../src/logic/enrol.js";
import { changedFields, fieldErrorsFromMessage, missingRequired } from "../src/logic/fields.js";

function field(key: string, label: string, value: string | null, required = false): FieldView {
  return {
    key,
    label,
    type: "text",
    value,
    options: [],
    display: value,
    required,
    personal: true,
    editable: true,
    conflicting: [],
  };
}

describe("enrolment form", () => {
  const base = { code: "", server: "", label: "张三的手机", pin: "123456", pinConfirm: "123456" };

  it("reads the QR payload's server and code", () => {
    assert.deepEqual(parseEnrolCode(" outpost-enrol:http://10.0.0.5:8080#ABCD-EFGH "), {
      kind: "payload",
      server: "http://10.0.0.5:8080",
      code: "ABCD-EFGH",
    });
    assert.equal(needsServerField("outpost-enrol:http://h:8080#X"), false);
  });

  it("asks for the server only for a bare code", () => {
    assert.equal(needsServerField("ABCD-EFGH"), true);
    assert.equal(needsServerField(""), false);
    assert.deepEqual(enrolProblems({ ...base, code: "ABCD-EFGH" }), ["server_required"]);
    assert.deepEqual(enrolProblems({ ...base, code: "ABCD-EFGH", server: "10.0.0.5" }), [
      "server_invalid",
    ]);
    const input = toEnrolInput({ ...base, code: "ABCD-EFGH", server: " http://10.0.0.5:8080 " });
    assert.equal(input.server_url, "http://10.0.0.5:8080");
  });

  it("sends no server for a payload, whatever the field holds", () => {
    const input = toEnrolInput({ ...base, code: "outpost-enrol:http://h:8080#C", server: "junk" });
    assert.equal(input.server_url, null);
    assert.equal(input.code, "outpost-enrol:http://h:8080#C");
  });

  it("wants a 6-digit PIN typed twice alike", () => {
    const code = "outpost-enrol:http://h:8080#C";
    assert.deepEqual(enrolProblems({ ...base, code, pin: "12345", pinConfirm: "12345" }), [
      "pin_format",
    ]);
    assert.deepEqual(enrolProblems({ ...base, code, pin: "12a456", pinConfirm: "12a456" }), [
      "pin_format",
    ]);
    assert.deepEqual(enrolProblems({ ...base, code, pinConfirm: "654321" }), ["pin_mismatch"]);
    assert.deepEqual(enrolProblems({ ...base, code }), []);
  });

  it("rejects a payload without a code", () => {
    assert.deepEqual(enrolProblems({ ...base, code: "outpost-enrol:http://h:8080" }), [
      "payload_incomplete",
    ]);
  });
});

describe("field forms", () => {
  const fields = [
    field("name", "姓名", "何明", true),
    field("phone", "手机号码", "13800000000"),
    field("id_number", "证件号码", null),
  ];

  it("sends only changed fields", () => {
    assert.deepEqual(changedFields(fields, { name: "何明 ", phone: "13900000000", id_number: "" }), {
      phone: "13900000000",
    });
  });

  it("finds required fields left empty", () => {
    assert.deepEqual(missingRequired(fields, { name: "  " }), ["name"]);
  });

  it("puts each part of a validation message beside the field it names", () => {
    const errors = fieldErrorsFromMessage("证件号码：校验位不正确；手机号码：应为 11 位数字；请重试", fields);
    assert.equal(errors.id_number, "证件号码：校验位不正确");
    assert.equal(errors.phone, "手机号码：应为 11 位数字");
    assert.equal(errors[""], "请重试");
    assert.equal(errors.name, undefined);
  });
});

describe("command errors", () => {
  it("keep an AppError as it is", () => {
    const e = { code: "wrong_pin", message: "PIN 不正确，还可尝试 4 次" };
    assert.deepEqual(toAppError(e), e);
  });

  it("turn JSON strings, plain strings and Errors into AppErrors", () => {
    assert.deepEqual(toAppError('{"code":"locked","message":"已锁定"}'), {
      code: "locked",
      message: "已锁定",
    });
    assert.deepEqual(toAppError("boom"), { code: "internal", message: "boom" });
    assert.deepEqual(toAppError(new Error("ipc")), { code: "internal", message: "ipc" });
    assert.deepEqual(toAppError({ code: "nonsense", message: "x" }), {
      code: "internal",
      message: "x",
    });
  });
});
