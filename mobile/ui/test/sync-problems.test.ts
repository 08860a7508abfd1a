import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { problemBadgeClass, problemSummary } from "../src/logic/sync-problems.js";

describe("sync problems", () => {
  it("marks an unreadable record as a danger and a refused push as a warning", () => {
    assert.equal(
      problemBadgeClass({ kind: "unreadable", label: "无法读取，已报告", reported: true }),
      "badge danger sync-problem",
    );
    assert.equal(
      problemBadgeClass({ kind: "refused", label: "服务器拒收：该任务已被认领", reported: false }),
      "badge warn sync-problem",
    );
  });

  it("counts them in the sync bar, Chinese first, and says nothing when there are none", () => {
    assert.equal(problemSummary("zh-CN", { unreadable_records: 0, refused_records: 0 }), null);
    assert.equal(problemSummary("zh-CN", { unreadable_records: 2, refused_records: 0 }), "2 条无法读取，已报告");
    assert.equal(
      problemSummary("zh-CN", { unreadable_records: 1, refused_records: 3 }),
      "1 条无法读取，已报告 · 3 条被服务器拒收",
    );
    assert.equal(
      problemSummary("en", { unreadable_records: 1, refused_records: 1 }),
      "1 cannot be read; reported · 1 refused by the server",
    );
  });
});
