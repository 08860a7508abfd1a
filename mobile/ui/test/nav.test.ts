import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { navScreens } from "../src/logic/nav.js";

const W1 = { transfers: false, supplies: false };
const W2 = { transfers: true, supplies: true };

describe("navigation", () => {
  it("offers a W1 worker no transfers or supplies", () => {
    assert.deepEqual(navScreens("worker", [W1]), ["tasks", "reviews", "reminders", "settings"]);
  });

  it("offers a W2 community worker transfers and supplies", () => {
    assert.deepEqual(navScreens("worker", [W2]), ["tasks", "transfers", "supplies", "reviews", "reminders", "settings"]);
    assert.deepEqual(navScreens("admin", [W1, W2]).includes("transfers"), true);
  });

  it("offers the transfer chain's roles transfers, not supplies", () => {
    for (const role of ["escort", "dispatcher", "hotel"]) {
      const screens = navScreens(role, [W2]);
      assert.ok(screens.includes("transfers"), role);
      assert.ok(!screens.includes("supplies"), role);
    }
  });
});
