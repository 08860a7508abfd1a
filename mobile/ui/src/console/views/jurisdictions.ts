// Jurisdictions (行政区划, administrator): the tree with national codes, levels and aliases,
// searched by code, name or alias. Read-only: the tree is the server's jurisdiction files.

import { fill, h } from "../../dom.js";
import { type JurisdictionTree } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { depths } from "../settings.js";
import { ct, tx } from "../strings.js";

export function jurisdictionsView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "settings-only" }, ct("settings.only")));
    return;
  }
  const table = h("div", { class: "table-wrap", testid: "juris-table" });
  const count = h("p", { class: "muted", testid: "juris-count" });
  const search = h("input", { type: "search", testid: "juris-search", placeholder: ct("juris.search"), "aria-label": ct("juris.search") });

  const show = (tree: JurisdictionTree, searching: boolean) => {
    count.textContent = searching
      ? `${ct("juris.matches", { n: tree.matches })} · ${ct("juris.count", { total: tree.total })}`
      : ct("juris.count", { total: tree.total });
    if (tree.units.length === 0) {
      fill(table, h("p", { class: "muted", testid: "juris-none" }, ct("juris.none")));
      return;
    }
    const depth = depths(tree.units);
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
            [ct("juris.name"), ct("juris.code"), ct("juris.level"), ct("juris.aliases"), ct("juris.name_en"), ct("juris.children")].map((t) =>
              h("th", {}, t),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          tree.units.map((unit) =>
            h(
              "tr",
              { testid: "juris-row", "data-code": unit.code, class: searching && unit.matched ? "matched" : "" },
              h("td", { style: `padding-left: ${0.5 + 1.5 * (depth.get(unit.code) ?? 0)}rem` }, tx(unit.name)),
              h("td", {}, h("code", {}, unit.code)),
              h("td", {}, tx(unit.level)),
              h("td", {}, unit.aliases.join("、")),
              h("td", {}, unit.name.en),
              h("td", { class: "num" }, unit.children),
            ),
          ),
        ),
      ),
    );
  };

  let pending = 0;
  const load = () => {
    const ticket = ++pending;
    const text = search.value;
    ctx.api.jurisdictions(text).then((tree) => {
      // A slower answer to an older search never replaces a newer one.
      if (ticket === pending) show(tree, text.trim() !== "");
    }, ctx.error);
  };
  let timer = 0;
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 200);
  });
  fill(
    root,
    h("h1", {}, ct("juris.title")),
    h("p", { class: "muted" }, ct("juris.intro")),
    h("section", { class: "card" }, h("div", { class: "filters" }, h("label", { class: "filter" }, h("span", {}, ct("juris.search")), search)), count, table),
  );
  load();
}
