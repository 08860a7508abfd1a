// 转运: the transfer list (every role sees the transfers of its scope), the detail with its
// vehicles and manifest, and the forms: 通知转运 (community workers), 派车 (dispatchers),
// 取消转运通知. From the detail, escorts open the roll call and the hotel desk its arrival check.

import { type TransferDetail, type TransferRow, type VehicleKind } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { field, fill, h, select } from "../dom.js";
import { t } from "../i18n.js";
import { formatDateTime } from "../logic/time.js";
import { backButton, reviewNotes } from "./person.js";

function row(ctx: Ctx, transfer: TransferRow): HTMLElement {
  return h(
    "article",
    {
      class: transfer.needs_review ? "card transfer-row needs-review" : "card transfer-row",
      testid: "transfer-row",
      "data-transfer-id": transfer.transfer_id,
      "data-status": transfer.status,
      onclick: () => ctx.go({ screen: "transfer", transferId: transfer.transfer_id }),
    },
    h(
      "div",
      { class: "row-between" },
      h("strong", {}, transfer.unit_name),
      h("span", { class: `badge status-${transfer.status}`, testid: "transfer-status" }, transfer.status_label),
    ),
    h("div", {}, transfer.pickup_address),
    h(
      "div",
      { class: "muted" },
      t("transfer.counts", {
        boarded: transfer.boarded,
        expected: transfer.expected,
        cc: transfer.close_contact_riders,
        other: transfer.other_riders,
      }),
    ),
    ...transfer.vehicles.map((v) =>
      h("div", { class: "muted", testid: "transfer-vehicle" }, `${v.kind_label} ${v.plate} ${v.driver_phone}`),
    ),
  );
}

export function renderTransfers(ctx: Ctx): View {
  const list = h("div", { class: "transfer-list", testid: "transfer-list", "aria-busy": "true" });
  const root = h(
    "section",
    { class: "transfers", testid: "transfers" },
    h(
      "div",
      { class: "row-between" },
      h("h1", {}, t("transfer.title")),
      h("button", { testid: "transfer-new", onclick: () => ctx.go({ screen: "transfer-new" }) }, t("transfer.new")),
    ),
    list,
  );
  function load(): void {
    ctx.api.transfers(null).then(
      (rows) => {
        list.setAttribute("aria-busy", "false");
        fill(
          list,
          ...(rows.length === 0
            ? [h("div", { class: "card empty", testid: "transfers-empty" }, t("transfer.empty"))]
            : rows.map((r) => row(ctx, r))),
        );
      },
      (e) => ctx.error(e),
    );
  }
  load();
  return { el: root, refresh: load };
}

export function renderTransfer(ctx: Ctx, transferId: string): View {
  const root = h("section", { class: "transfer", testid: "transfer", "data-transfer-id": transferId });
  const plate = h("input", { type: "text", testid: "vehicle-plate", placeholder: "闽D12345" });
  const phone = h("input", { type: "tel", testid: "vehicle-phone" });
  const kind = select(
    { testid: "vehicle-kind" },
    [
      { value: "close_contact", label: t("transfer.vehicle_close_contact") },
      { value: "other", label: t("transfer.vehicle_other") },
    ],
    "close_contact",
    null,
  );
  const reason = h("input", { type: "text", testid: "cancel-reason" });

  function render(detail: TransferDetail): void {
    const can = (a: string) => detail.allowed.includes(a);
    fill(
      root,
      backButton(ctx),
      h("h1", {}, `${detail.unit_name} · `, h("span", { testid: "transfer-status" }, detail.status_label)),
      h(
        "section",
        { class: "card" },
        h("div", {}, `${t("transfer.address")}：${detail.pickup_address}`),
        h("div", {}, t("transfer.riders", { cc: detail.close_contact_riders, other: detail.other_riders })),
        detail.notified_at_ms !== null ? h("div", { class: "muted" }, formatDateTime(detail.notified_at_ms)) : null,
        detail.cancel_reason ? h("div", { testid: "cancel-reason-shown" }, `${t("transfer.cancelled")}：${detail.cancel_reason}`) : null,
        ...detail.vehicles.map((v) =>
          h("div", { testid: "transfer-vehicle" }, `${v.kind_label} ${v.plate} `, h("a", { href: `tel:${v.driver_phone}` }, v.driver_phone)),
        ),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", { testid: "roll-counts" }, t("roll.count", { done: detail.boarded, expected: detail.expected })),
        h(
          "ul",
          { testid: "manifest" },
          ...detail.manifest.map((m) =>
            h(
              "li",
              { testid: "manifest-person", "data-boarded": m.boarded_at_ms !== null, "data-arrived": m.arrived_at_ms !== null },
              m.person.masked_name,
              " ",
              h(
                "span",
                { class: "muted" },
                m.arrived_at_ms !== null ? t("transfer.arrived") : m.boarded_at_ms !== null ? t("transfer.boarded") : t("transfer.waiting"),
              ),
            ),
          ),
        ),
      ),
      detail.reviews.length > 0 ? h("section", { class: "card" }, h("h2", {}, t("person.reviews")), reviewNotes(detail.reviews)) : null,
      can("board")
        ? h("button", { class: "primary", testid: "open-roll-call", onclick: () => ctx.go({ screen: "roll-call", transferId, hop: "boarding" }) }, t("roll.open"))
        : null,
      can("hotel_arrival")
        ? h("button", { class: "primary", testid: "open-hotel-check", onclick: () => ctx.go({ screen: "roll-call", transferId, hop: "hotel" }) }, t("roll.hotel_open"))
        : null,
      can("assign_vehicle")
        ? h(
            "section",
            { class: "card", testid: "assign-vehicle" },
            h("h2", {}, t("transfer.assign")),
            field(t("transfer.plate"), plate, { required: true }),
            field(t("transfer.driver_phone"), phone, { required: true }),
            field(t("transfer.vehicle_kind"), kind),
            h(
              "button",
              {
                testid: "assign-submit",
                onclick: () =>
                  ctx.api
                    .assignVehicle({ transfer_id: transferId, plate: plate.value, driver_phone: phone.value, vehicle: kind.value as VehicleKind })
                    .then((d) => {
                      ctx.notice(t("transfer.assigned"));
                      render(d);
                    }, (e) => ctx.error(e)),
              },
              t("transfer.assign"),
            ),
          )
        : null,
      can("cancel")
        ? h(
            "section",
            { class: "card", testid: "cancel-transfer" },
            field(t("transfer.cancel_reason"), reason, { required: true }),
            h(
              "button",
              {
                class: "danger",
                testid: "cancel-submit",
                onclick: () =>
                  ctx.api.cancelTransfer({ transfer_id: transferId, reason: reason.value }).then(render, (e) => ctx.error(e)),
              },
              t("transfer.cancel"),
            ),
          )
        : null,
    );
  }
  function load(): void {
    ctx.api.transfer(transferId).then(render, (e) => ctx.error(e));
  }
  load();
  return { el: root, refresh: load };
}

/** 通知转运: the persons of the current program (answered or claimed), the counts and the address. */
export function renderTransferNotice(ctx: Ctx): View {
  const chosen = new Set<string>();
  const persons = h("ul", { class: "pick-list", testid: "notice-persons" });
  const cc = h("input", { type: "number", min: "0", value: "0", testid: "notice-cc" });
  const other = h("input", { type: "number", min: "0", value: "0", testid: "notice-other" });
  const address = h("input", { type: "text", testid: "notice-address" });
  const root = h(
    "section",
    { class: "transfer-notice", testid: "transfer-notice" },
    backButton(ctx),
    h("h1", {}, t("transfer.new")),
    h("section", { class: "card" }, h("h2", {}, t("transfer.persons")), persons),
    h(
      "section",
      { class: "card" },
      field(t("transfer.cc_riders"), cc, { required: true }),
      field(t("transfer.other_riders"), other, { required: true }),
      field(t("transfer.address"), address, { required: true }),
    ),
    h(
      "button",
      {
        class: "primary",
        testid: "notice-submit",
        onclick: () =>
          ctx.api
            .transferNotice({
              close_contact_riders: Number(cc.value) || 0,
              other_riders: Number(other.value) || 0,
              pickup_address: address.value,
              record_ids: [...chosen],
            })
            .then((d) => {
              ctx.notice(t("transfer.sent"));
              ctx.reset({ screen: "transfer", transferId: d.transfer_id });
            }, (e) => ctx.error(e)),
      },
      t("transfer.send"),
    ),
  );
  const program = ctx.program();
  if (program !== null) {
    Promise.all([
      ctx.api.tasks({ program, tab: "answered", query: "" }),
      ctx.api.tasks({ program, tab: "claimed", query: "" }),
    ]).then(
      (tabs) => {
        const rows = tabs.flat().flatMap((g) => g.persons);
        fill(
          persons,
          ...rows.map((p) => {
            const box = h("input", {
              type: "checkbox",
              testid: "notice-person",
              "data-record-id": p.record_id,
              onchange: (e: Event) => {
                if ((e.target as HTMLInputElement).checked) chosen.add(p.record_id);
                else chosen.delete(p.record_id);
                cc.value = String(chosen.size);
              },
            });
            return h("li", {}, h("label", {}, box, ` ${p.masked_name} `, h("span", { class: "muted" }, p.outcome_label ?? p.status_label)));
          }),
        );
      },
      (e) => ctx.error(e),
    );
  }
  return { el: root };
}
