import assert from "node:assert/strict";
import { test } from "node:test";

import { captureSize, rgbaToLuma } from "../src/logic/luma.js";

test("grey values follow the scan crate's integer Rec. 601 weights, truncated", () => {
  const rgba = new Uint8Array([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255, 10, 200, 30, 0]);
  // White, black, pure red (299 × 255 / 1000 = 76.2), and (2990 + 117400 + 3420) / 1000 = 123.8.
  assert.deepEqual([...rgbaToLuma(rgba, 2, 2)], [255, 0, 76, 123]);
});

test("a frame whose bytes do not match its size is refused", () => {
  assert.throws(() => rgbaToLuma(new Uint8Array(12), 2, 2));
  assert.throws(() => rgbaToLuma(new Uint8Array(0), 0, 0));
});

test("frames are captured at most 640 pixels wide with the camera's aspect ratio", () => {
  assert.deepEqual(captureSize(1280, 720), { width: 640, height: 360 });
  assert.deepEqual(captureSize(640, 480), { width: 640, height: 480 });
  assert.deepEqual(captureSize(320, 240), { width: 320, height: 240 });
  assert.deepEqual(captureSize(0, 0), { width: 640, height: 480 });
});
