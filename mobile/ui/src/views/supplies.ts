// 物资: the community's stock report, 物资入库, and 发放物资 to the person whose wristband is scanned
// (keyboard-wedge scanners type into the scan field and end with Enter). Issuing beyond the
// stock this device knows is allowed offline; the result says so and the line turns red.

import { type StockReport, type SupplyItem } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { field, fill, h, select } from "../dom.js";
import { t } from "../i18n.js";
import { ScanReader } from "../logic/scan.js";
import { attachNativeScans } from "../native-scan.js";
import { formatDateTime } from "../logic/time.js";

export function renderSupplies(ctx: Ctx): View {
  const table = h("table", { class: "stock", testid: "stock-table" });
  const movements = h("ul", { class: "movements", testid: "stock-movements" });
  const quantities = new Map<string, HTMLInputElement>();
  const issueItems = h("div", { class: "issue-items" });
  const scan = h("input", { type: "text", class: "scan-input", testid: "issue-scan", autocomplete: "off", placeholder: t("roll.scan_hint") });
  const result = h("div", { class: "issue-result", testid: "issue-result", hidden: true, role: "status" });
  const receiveItem = select({ testid: "receive-item" }, [], null, t("common.choose"));
  const receiveQty = h("input", { type: "number", min: "1", testid: "receive-quantity" });
  const adjustItem = select({ testid: "adjust-item" }, [], null, t("common.choose"));
  const adjustDelta = h("input", { type: "number", testid: "adjust-delta" });
  const adjustReason = h("input", { type: "text", testid: "adjust-reason" });
  const reader = new ScanReader();

  function renderReport(report: StockReport): void {
    fill(
      table,
      h("tr", {}, h("th", {}, t("supplies.item")), h("th", {}, t("supplies.received")), h("th", {}, t("supplies.issued")), h("th", {}, t("supplies.stock"))),
      ...report.lines.map((l) =>
        h(
          "tr",
          { class: l.short ? "short" : "", testid: "stock-line", "data-item": l.item, "data-stock": l.stock },
          h("td", {}, l.label),
          h("td", {}, `${l.received}`),
          h("td", {}, `${l.issued}`),
          h("td", {}, `${l.stock} ${l.unit}`, l.short ? h("span", { class: "badge danger" }, t("supplies.short")) : null),
        ),
      ),
    );
    fill(
      movements,
      ...report.movements.map((m) =>
        h(
          "li",
          { testid: "stock-movement" },
          `${formatDateTime(m.at_ms)} ${m.kind_label} ${m.item_label} ${m.delta > 0 ? "+" : ""}${m.delta}`,
          m.person ? ` · ${m.person.masked_name}` : "",
        ),
      ),
    );
  }

  function renderCatalogue(items: SupplyItem[]): void {
    fill(
      issueItems,
      ...items.map((item) => {
        const qty = h("input", { type: "number", min: "0", value: String(item.per_person), testid: "issue-quantity", "data-item": item.code });
        quantities.set(item.code, qty);
        return field(`${item.label}（${item.unit}）`, qty);
      }),
    );
    const chosen = receiveItem.value;
    fill(receiveItem, h("option", { value: "" }, t("common.choose")), ...items.map((i) => h("option", { value: i.code }, i.label)));
    receiveItem.value = chosen;
    const adjusting = adjustItem.value;
    fill(adjustItem, h("option", { value: "" }, t("common.choose")), ...items.map((i) => h("option", { value: i.code }, i.label)));
    adjustItem.value = adjusting;
  }

  async function issue(text: string): Promise<void> {
    scan.value = "";
    const items = [...quantities.entries()].map(([item, el]) => ({ item, quantity: Number(el.value) || 0 }));
    try {
      const done = await ctx.api.issueSupplies({ record_id: null, scan: text, items });
      result.textContent = `${done.person.masked_name}：${done.message}`;
      result.className = done.over_issued.length > 0 ? "issue-result tone-warn" : "issue-result tone-ok";
      result.hidden = false;
      renderReport(done.stock);
    } catch (e) {
      ctx.error(e);
    } finally {
      scan.focus();
    }
  }

  scan.addEventListener("keydown", (event) => {
    const text = reader.key(event.key, scan.value, Date.now());
    if (event.key === "Enter") {
      event.preventDefault();
      if (text !== null) void issue(text);
    }
  });

  const root = h(
    "section",
    { class: "supplies", testid: "supplies" },
    h("h1", {}, t("supplies.title")),
    h("section", { class: "card", testid: "issue-form" }, h("h2", {}, t("supplies.issue")), issueItems, field(t("supplies.scan"), scan), attachNativeScans(scan), result),
    h("section", { class: "card" }, h("h2", {}, t("supplies.report")), table),
    h(
      "section",
      { class: "card", testid: "receive-form" },
      h("h2", {}, t("supplies.receive")),
      field(t("supplies.item"), receiveItem, { required: true }),
      field(t("supplies.quantity"), receiveQty, { required: true }),
      h(
        "button",
        {
          testid: "receive-submit",
          onclick: () =>
            ctx.api.receiveStock({ item: receiveItem.value, quantity: Number(receiveQty.value) || 0, note: null }).then((r) => {
              ctx.notice(t("supplies.received_ok"));
              receiveQty.value = "";
              renderReport(r);
            }, (e) => ctx.error(e)),
        },
        t("supplies.receive"),
      ),
    ),
    h(
      "section",
      { class: "card", testid: "adjust-form" },
      h("h2", {}, t("supplies.adjust")),
      field(t("supplies.item"), adjustItem, { required: true }),
      field(t("supplies.delta"), adjustDelta, { required: true, hint: t("supplies.delta_hint") }),
      field(t("supplies.reason"), adjustReason, { required: true }),
      h(
        "button",
        {
          testid: "adjust-submit",
          onclick: () =>
            ctx.api
              .adjustStock({ item: adjustItem.value, delta: Number(adjustDelta.value) || 0, reason: adjustReason.value })
              .then((r) => {
                ctx.notice(t("supplies.adjusted_ok"));
                adjustDelta.value = "";
                adjustReason.value = "";
                renderReport(r);
              }, (e) => ctx.error(e)),
        },
        t("supplies.adjust"),
      ),
    ),
    h("section", { class: "card" }, h("h2", {}, t("supplies.movements")), movements),
  );

  function load(): void {
    ctx.api.supplyCatalogue().then(renderCatalogue, (e) => ctx.error(e));
    ctx.api.stockReport(null).then(renderReport, (e) => ctx.error(e));
  }
  load();
  return { el: root, refresh: load };
}
