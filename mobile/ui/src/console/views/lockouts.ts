// Lockouts (登录锁定, administrator): the source addresses and codes/credentials that the server
// refuses for now after repeated wrong attempts, each with its kind, failures, which lockout it
// is and when it ends (Beijing time), and a button to lift it. Keys are addresses or the first
// hex digits of a hash: the server never says what was typed.

import { fill, h } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type Lockout } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { ct, tx } from "../strings.js";

export function lockoutsView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "admin-only" }, ct("admin.only")));
    return;
  }
  const table = h("div", { class: "table-wrap", testid: "lockouts" });
  const notice = h("p", { class: "muted", testid: "lockouts-notice" });

  const show = (list: Lockout[]) => {
    if (list.length === 0) {
      fill(table, h("p", { class: "muted", testid: "lockouts-none" }, ct("lockouts.none")));
      return;
    }
    const headings = [ct("lockouts.kind"), ct("lockouts.key"), ct("lockouts.failures"), ct("lockouts.times"), ct("lockouts.until"), ""];
    fill(
      table,
      h(
        "table",
        { class: "grid" },
        h("thead", {}, h("tr", {}, headings.map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          list.map((lockout) => {
            const lift = h("button", { type: "button", class: "danger", testid: "lockout-lift" }, ct("lockouts.lift"));
            lift.addEventListener("click", () => {
              lift.disabled = true;
              ctx.api.liftLockout(lockout.id).then(() => {
                notice.textContent = ct("lockouts.lifted", { key: lockout.key });
                return reload();
              }, (e) => {
                lift.disabled = false;
                ctx.error(e);
              });
            });
            const subject = lockout.subject === "source" ? ct("lockouts.source") : ct("lockouts.credential");
            return h(
              "tr",
              { testid: "lockout-row", "data-kind": lockout.kind, "data-key": lockout.key },
              h("td", {}, tx(lockout.kind_label)),
              h("td", {}, h("span", { class: "muted" }, `${subject} `), h("code", {}, lockout.key)),
              h("td", {}, lockout.failures),
              h("td", {}, lockout.lockouts),
              h("td", { testid: "lockout-until" }, formatDateTime(lockout.locked_until_ms, true)),
              h("td", {}, lift),
            );
          }),
        ),
      ),
    );
  };

  const reload = async () => show((await ctx.api.lockouts()).lockouts);
  const refresh = h("button", { type: "button", testid: "lockouts-refresh" }, ct("lockouts.refresh"));
  refresh.addEventListener("click", () => {
    notice.textContent = "";
    void reload().catch(ctx.error);
  });
  fill(
    root,
    h("h1", {}, ct("nav.lockouts")),
    h("section", { class: "card" }, h("p", { class: "muted" }, ct("lockouts.intro")), refresh, notice, table),
  );
  void reload().catch(ctx.error);
}
