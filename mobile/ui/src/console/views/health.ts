// Sync health (同步状态): every device in the caller's area with its user, last sync, changes
// waiting and the age of the oldest unsent change — the longest silent first, so a supervisor
// knows whom to phone.

import { fill, h } from "../../dom.js";
import { currentLang } from "../../i18n.js";
import { formatAge, formatDateTime } from "../../logic/time.js";
import { type DeviceHealth } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { ct, tx } from "../strings.js";

export const HEALTH_POLL_MS = 10_000;

export function healthView(root: HTMLElement, ctx: ConsoleCtx): void {
  const table = h("div", { class: "table-wrap", testid: "health-table" });
  const show = (devices: DeviceHealth[]) => {
    if (devices.length === 0) {
      fill(table, h("p", { class: "empty" }, ct("health.empty")));
      return;
    }
    const now = Date.now();
    fill(
      table,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [ct("health.user"), ct("health.unit"), ct("health.device"), ct("health.last_sync"), ct("health.waiting"), ct("health.oldest")].map((t) =>
              h("th", {}, t),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          devices.map((d) =>
            h(
              "tr",
              { testid: "device-row", "data-device": d.device, class: d.revoked ? "revoked" : "" },
              h("td", {}, d.user_name),
              h("td", {}, tx(d.unit_name)),
              h("td", {}, d.label, d.revoked ? h("span", { class: "badge" }, ct("health.revoked")) : null),
              h(
                "td",
                { "data-col": "last-sync" },
                d.last_sync_ms === null
                  ? ct("health.never")
                  : `${formatDateTime(d.last_sync_ms)}（${ct("health.ago", { age: formatAge(currentLang(), now - d.last_sync_ms) })}）`,
              ),
              h("td", { class: "num", "data-col": "waiting" }, d.waiting_records),
              h(
                "td",
                { "data-col": "oldest" },
                d.oldest_unsent_age_ms === null ? "" : ct("health.ago", { age: formatAge(currentLang(), d.oldest_unsent_age_ms) }),
              ),
            ),
          ),
        ),
      ),
    );
  };
  fill(root, h("h1", {}, ct("health.title")), table);
  ctx.poll(HEALTH_POLL_MS, async () => show(await ctx.api.devices()));
}
