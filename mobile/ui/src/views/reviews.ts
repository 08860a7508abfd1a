// 6. Needs review (待复核): records with concurrent, incompatible edits, each with every version;
// then records whose sync went wrong (无法读取，已报告; 服务器拒收：…), with their label.

import { type ReviewItem } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { problemBadgeClass } from "../logic/sync-problems.js";
import { reviewNotes } from "./person.js";

/** What a review item is, for items without a person's name (transfers, supply ledgers). */
function kindLabel(kind: string): string {
  if (kind === "transfer") return t("reviews.kind_transfer");
  if (kind === "supply_ledger") return t("reviews.kind_supply_ledger");
  if (kind === "record") return t("reviews.kind_record");
  return t("reviews.kind_person");
}

export function renderReviews(ctx: Ctx): View {
  const list = h("div", { class: "review-list", testid: "review-list", "aria-busy": "true" });
  const root = h(
    "section",
    { class: "reviews", testid: "reviews" },
    h("h1", {}, t("reviews.title")),
    h("p", { class: "hint" }, t("reviews.intro")),
    h("p", { class: "hint" }, t("reviews.problems_intro")),
    list,
  );

  function render(items: ReviewItem[]): void {
    list.setAttribute("aria-busy", "false");
    if (items.length === 0) {
      fill(list, h("div", { class: "card empty", testid: "reviews-empty" }, t("reviews.empty")));
      return;
    }
    fill(
      list,
      ...items.map((item) =>
        h(
          "article",
          { class: "card review-item", testid: "review-item", "data-record-id": item.record_id },
          h(
            "div",
            { class: "row-between" },
            h("strong", { testid: "review-name" }, item.masked_name || kindLabel(item.kind)),
            item.held
              ? h(
              "button",
              {
                testid: "review-open",
                onclick: () =>
                  ctx.go(
                    item.kind === "transfer"
                      ? { screen: "transfer", transferId: item.record_id }
                      : item.kind === "supply_ledger"
                        ? { screen: "supplies" }
                        : { screen: "person", recordId: item.record_id },
                  ),
              },
              t("reviews.open"),
            )
              : h("span", { class: "muted", testid: "review-not-held" }, t("reviews.not_held")),
          ),
          item.sync_problem
            ? h(
                "div",
                { class: problemBadgeClass(item.sync_problem), testid: "review-sync-problem", "data-kind": item.sync_problem.kind },
                item.sync_problem.label,
              )
            : null,
          item.notes.length > 0 ? reviewNotes(item.notes) : null,
        ),
      ),
    );
  }

  function load(): void {
    ctx.api.reviews().then(render, (e) => {
      list.setAttribute("aria-busy", "false");
      ctx.error(e);
    });
  }

  load();
  return { el: root, refresh: load };
}
