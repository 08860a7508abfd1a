// Users and devices (用户与设备, administrator): the users with their role and unit, a new
// user, a one-time code per user (signs in to the console or enrols one device, with its QR
// code), and the devices with revocation — over the server's existing /admin endpoints.

import { fill, h, select } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type Device, type IssuedCode, type User } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { ct, tx } from "../strings.js";

export function adminView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "admin-only" }, ct("admin.only")));
    return;
  }
  const unitName = (code: string) => tx(ctx.me.units.find((u) => u.code === code)?.name) || code;
  const roleName = (code: string) => tx(ctx.me.roles.find((r) => r.code === code)?.name) || code;
  const users = h("div", { class: "table-wrap", testid: "admin-users" });
  const devices = h("div", { class: "table-wrap", testid: "admin-devices" });
  const issued = h("div", { class: "card", testid: "admin-code", hidden: true });
  const notice = h("p", { class: "muted", testid: "admin-notice" });

  const showCode = (user: User, code: IssuedCode) => {
    // The QR code is the server's SVG shown as an image, never inserted as markup.
    const qr = h("img", {
      alt: code.payload,
      width: 200,
      height: 200,
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(code.qr_svg)}`,
    });
    fill(
      issued,
      h(
        "p",
        { testid: "admin-code-text", "data-code": code.code },
        ct("admin.code_for", { name: user.display_name, code: code.code, t: formatDateTime(code.expires_at_ms) }),
      ),
      h("code", {}, code.payload),
      h("div", {}, qr),
    );
    issued.hidden = false;
  };

  const showUsers = (list: User[]) => {
    fill(
      users,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, [ct("admin.user_id"), ct("admin.display_name"), ct("admin.role"), ct("admin.unit"), ""].map((t) => h("th", {}, t))),
        ),
        h(
          "tbody",
          {},
          list.map((user) => {
            const issue = h("button", { type: "button", testid: "admin-issue-code" }, ct("admin.issue_code"));
            issue.addEventListener("click", () => {
              ctx.api.issueCode(user.id).then((code) => showCode(user, code), ctx.error);
            });
            return h(
              "tr",
              { testid: "admin-user-row", "data-user": user.id },
              h("td", {}, user.id),
              h("td", {}, user.display_name),
              h("td", {}, roleName(user.role)),
              h("td", {}, unitName(user.unit)),
              h("td", {}, issue),
            );
          }),
        ),
      ),
    );
  };

  const showDevices = (list: Device[]) => {
    if (list.length === 0) {
      fill(devices, h("p", { class: "muted", testid: "admin-devices-empty" }, ct("admin.no_devices")));
      return;
    }
    fill(
      devices,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, [ct("health.device"), ct("health.user"), ct("admin.enrolled"), ct("health.last_sync"), ""].map((t) => h("th", {}, t))),
        ),
        h(
          "tbody",
          {},
          list.map((device) => {
            let action: HTMLElement = h("span", { class: "badge" }, ct("admin.revoked"));
            if (device.revoked_at_ms === null) {
              const revoke = h("button", { type: "button", class: "danger", testid: "admin-revoke" }, ct("admin.revoke"));
              revoke.addEventListener("click", () => {
                revoke.disabled = true;
                ctx.api.revokeDevice(device.id).then(reload, ctx.error);
              });
              action = revoke;
            }
            return h(
              "tr",
              { testid: "admin-device-row", "data-device": device.id },
              h("td", {}, device.label),
              h("td", {}, device.user_id),
              h("td", {}, formatDateTime(device.enrolled_at_ms)),
              h("td", {}, device.last_sync_ms === null ? ct("health.never") : formatDateTime(device.last_sync_ms)),
              h("td", {}, action),
            );
          }),
        ),
      ),
    );
  };

  const reload = async () => {
    const [u, d] = await Promise.all([ctx.api.users(), ctx.api.adminDevices()]);
    showUsers(u);
    showDevices(d);
  };

  // As long as the server takes them (a user id 1–64 characters, a name at most 64).
  const id = h("input", { type: "text", testid: "admin-new-id", required: true, pattern: "[A-Za-z0-9._-]+", maxlength: "64" });
  const name = h("input", { type: "text", testid: "admin-new-name", required: true, maxlength: "64" });
  const role = select(
    { testid: "admin-new-role" },
    ctx.me.roles.map((r) => ({ value: r.code, label: tx(r.name) })),
    "worker",
    null,
  );
  // No unit chosen in advance: the first unit of the files (another city's, 思明区, in a Nansha
  // deployment) is no better a guess than any other.
  const unit = select(
    { testid: "admin-new-unit" },
    ctx.me.units.map((u) => ({ value: u.code, label: `${tx(u.name)}（${u.code}）` })),
    null,
    ct("admin.choose_unit"),
  );
  const form = h(
    "form",
    { class: "filters", testid: "admin-new-user" },
    h("label", { class: "filter" }, h("span", {}, ct("admin.user_id")), id),
    h("label", { class: "filter" }, h("span", {}, ct("admin.display_name")), name),
    h("label", { class: "filter" }, h("span", {}, ct("admin.role")), role),
    h("label", { class: "filter" }, h("span", {}, ct("admin.unit")), unit),
    h("button", { class: "primary", type: "submit", testid: "admin-create" }, ct("admin.create")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (unit.value === "") {
      notice.textContent = ct("admin.choose_unit");
      unit.setAttribute("aria-invalid", "true");
      return;
    }
    unit.removeAttribute("aria-invalid");
    ctx.api
      .createUser({ id: id.value.trim(), display_name: name.value.trim(), role: role.value, unit: unit.value })
      .then((user) => {
        notice.textContent = ct("admin.created", { id: user.id });
        form.reset();
        return reload();
      }, ctx.error);
  });
  fill(
    root,
    h("h1", {}, ct("nav.admin")),
    h("section", { class: "card" }, h("h2", {}, ct("admin.new_user")), form, notice),
    issued,
    h("section", { class: "card" }, h("h2", {}, ct("admin.users")), users),
    h("section", { class: "card" }, h("h2", {}, ct("admin.devices")), devices),
  );
  void reload().catch(ctx.error);
}
