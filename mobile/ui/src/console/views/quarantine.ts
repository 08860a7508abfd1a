// Records that cannot be read (无法读取的记录, administrator): records whose data the server
// cannot load — stored before the server checked every change by applying it, or reported by a
// device. They are left out of lists and exports (which say how many) and take no changes; their
// changes stay in the ledger for whoever repairs them. Records are named by id only.

import { fill, h } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type QuarantinedRecord } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { ct } from "../strings.js";

function foundBy(by: string): string {
  switch (by) {
    case "console":
      return ct("quarantine.by.console");
    case "engine":
      return ct("quarantine.by.engine");
    case "sync":
      return ct("quarantine.by.sync");
    case "device":
      return ct("quarantine.by.device");
    default:
      return by;
  }
}

export function quarantineView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "admin-only" }, ct("admin.only")));
    return;
  }
  const table = h("div", { class: "table-wrap", testid: "quarantine" });
  const show = (list: QuarantinedRecord[]) => {
    if (list.length === 0) {
      fill(table, h("p", { class: "muted", testid: "quarantine-none" }, ct("quarantine.none")));
      return;
    }
    const headings = [ct("quarantine.record"), ct("quarantine.found_by"), ct("quarantine.first_seen"), ct("quarantine.detail")];
    fill(
      table,
      h(
        "table",
        { class: "grid" },
        h("thead", {}, h("tr", {}, headings.map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          list.map((r) =>
            h(
              "tr",
              { testid: "quarantine-row", "data-record": r.record },
              h("td", {}, h("code", {}, r.record)),
              h("td", {}, foundBy(r.found_by)),
              h("td", {}, formatDateTime(r.first_seen_ms, true)),
              h("td", { class: "muted" }, r.detail),
            ),
          ),
        ),
      ),
    );
  };
  const reload = async () => show((await ctx.api.quarantine()).records);
  const refresh = h("button", { type: "button", testid: "quarantine-refresh" }, ct("lockouts.refresh"));
  refresh.addEventListener("click", () => void reload().catch(ctx.error));
  fill(
    root,
    h("h1", {}, ct("nav.quarantine")),
    h("section", { class: "card" }, h("p", { class: "muted" }, ct("quarantine.intro")), refresh, table),
  );
  void reload().catch(ctx.error);
}
