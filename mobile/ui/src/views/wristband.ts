// 扫码绑定 on the person detail: the wristband worn now, the earlier ones (a replaced band stays
// in the history), the issue log, and a scan field that binds — or, with a reason, replaces —
// the wristband. The field takes a keyboard-wedge scanner's keystrokes ending in Enter.

import { type PersonDetail } from "../contract.js";
import { type Ctx } from "../ctx.js";
import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import { ScanReader } from "../logic/scan.js";
import { attachNativeScans } from "../native-scan.js";
import { formatDateTime } from "../logic/time.js";

export function wristbandSection(
  ctx: Ctx,
  person: PersonDetail,
  done: (detail: PersonDetail) => void,
): HTMLElement {
  const reader = new ScanReader();
  const scan = h("input", {
    type: "text",
    class: "scan-input",
    testid: "wristband-scan",
    autocomplete: "off",
    placeholder: t("roll.scan_hint"),
  });
  const reason = h("input", { type: "text", testid: "wristband-reason" });
  const replacing = person.wristband !== null;
  scan.addEventListener("keydown", (event) => {
    const text = reader.key(event.key, scan.value, Date.now());
    if (event.key !== "Enter") return;
    event.preventDefault();
    scan.value = "";
    if (text === null) return;
    const call = replacing
      ? ctx.api.replaceWristband({ record_id: person.record_id, scan: text, reason: reason.value })
      : ctx.api.bindWristband({ record_id: person.record_id, scan: text });
    call.then(
      (detail) => {
        ctx.notice(t("person.wristband_bound"));
        done(detail);
      },
      (e) => ctx.error(e),
    );
  });
  // 发放物资 to this person, picked from the list: the catalogue's per-person quantities.
  const issue = h(
    "button",
    {
      testid: "person-issue-supplies",
      onclick: () =>
        ctx.api
          .supplyCatalogue()
          .then((items) =>
            ctx.api.issueSupplies({
              record_id: person.record_id,
              scan: null,
              items: items.map((i) => ({ item: i.code, quantity: i.per_person })),
            }),
          )
          .then((result) => ctx.api.person(person.record_id).then((detail) => {
            done(detail);
            ctx.notice(result.message);
          }))
          .catch((e: unknown) => ctx.error(e)),
    },
    t("person.issue_supplies"),
  );
  return h(
    "section",
    { class: "card", testid: "person-wristband" },
    h("h2", {}, t("person.wristband")),
    h("div", { testid: "wristband-current" }, person.wristband ?? t("person.wristband_none")),
    person.wristband_history.length > 0
      ? h(
          "div",
          { class: "muted" },
          `${t("person.wristband_history")}：`,
          ...person.wristband_history.map((w) => h("span", { testid: "wristband-old" }, `${w.tag} `)),
        )
      : null,
    replacing ? field(t("person.wristband_reason"), reason, { required: true }) : null,
    field(replacing ? t("person.wristband_replace") : t("person.wristband_bind"), scan),
    attachNativeScans(scan),
    replacing
      ? h(
          "button",
          {
            testid: "wristband-unbind",
            onclick: () =>
              ctx.api.unbindWristband({ record_id: person.record_id, reason: reason.value }).then(done, (e) => ctx.error(e)),
          },
          t("person.wristband_unbind"),
        )
      : null,
    issue,
    person.supplies.length > 0
      ? h(
          "div",
          {},
          h("h3", {}, t("person.supplies")),
          h(
            "ul",
            { testid: "person-supplies" },
            ...person.supplies.map((s) =>
              h("li", { testid: "person-supply" }, `${formatDateTime(s.at_ms)} ${s.label} × ${s.quantity} · ${s.user}`),
            ),
          ),
        )
      : null,
  );
}
