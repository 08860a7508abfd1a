import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  REPEAT_WINDOW_MS,
  SCAN_KINDS,
  ScanReader,
  feedbackFor,
  scanText,
} from "../src/logic/scan.js";

describe("keyboard-wedge scan field", () => {
  it("submits what the scanner typed when it sends Enter, without control characters", () => {
    const reader = new ScanReader();
    assert.equal(reader.key("O", "O", 0), null);
    assert.equal(reader.key("Enter", " OPW1-00000042-7K3Q\t", 10), "OPW1-00000042-7K3Q");
  });

  it("ignores an Enter on an empty field", () => {
    assert.equal(new ScanReader().key("Enter", "   ", 0), null);
    assert.equal(scanText("\r\n"), null);
  });

  it("takes a quick repeat of the same code as one scan, but not a later one or another code", () => {
    const reader = new ScanReader();
    assert.equal(reader.key("Enter", "A-1", 1000), "A-1");
    assert.equal(reader.key("Enter", "A-1", 1000 + REPEAT_WINDOW_MS - 1), null);
    assert.equal(reader.key("Enter", "B-2", 1000 + REPEAT_WINDOW_MS), "B-2");
    assert.equal(reader.key("Enter", "A-1", 5000), "A-1");
  });
});

describe("roll-call feedback", () => {
  it("gives every verdict kind its own colour and its own sound", () => {
    const classes = new Set(SCAN_KINDS.map((k) => feedbackFor(k).cssClass));
    const sounds = new Set(SCAN_KINDS.map((k) => JSON.stringify(feedbackFor(k).beeps)));
    assert.equal(classes.size, SCAN_KINDS.length);
    assert.equal(sounds.size, SCAN_KINDS.length);
  });

  it("sounds green only for a recorded scan", () => {
    for (const kind of SCAN_KINDS) {
      const recorded = kind === "boarded" || kind === "arrived";
      assert.equal(feedbackFor(kind).tone === "ok", recorded, kind);
    }
  });
});
