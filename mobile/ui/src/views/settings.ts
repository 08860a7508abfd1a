// 8. Settings: language (set_lang), lock, and who/what/where this device is.

import { type Ctx, type View } from "../ctx.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { langSelect } from "./lang.js";

export function renderSettings(ctx: Ctx): View {
  const s = ctx.status();
  const row = (label: string, testid: string, value: string | null | undefined) =>
    h("div", { class: "field-view" }, h("dt", {}, label), h("dd", { testid }, value || "—"));
  const lock = h(
    "button",
    {
      class: "danger wide",
      testid: "settings-lock",
      onclick: () => {
        lock.disabled = true;
        ctx.api.lock().then(
          (status) => ctx.statusChanged(status),
          (e) => {
            lock.disabled = false;
            ctx.error(e);
          },
        );
      },
    },
    t("settings.lock"),
  );
  return {
    el: h(
      "section",
      { class: "settings", testid: "settings" },
      h("h1", {}, t("settings.title")),
      h("section", { class: "card" }, h("label", { class: "field" }, h("span", {}, t("settings.lang")), langSelect(ctx))),
      h(
        "section",
        { class: "card" },
        h(
          "dl",
          { class: "fields" },
          row(t("settings.user"), "settings-user", s?.user ? `${s.user.display_name}（${s.user.user_id}）` : null),
          row(t("settings.role"), "settings-role", s?.user?.role_label),
          row(t("settings.unit"), "settings-unit", s?.user?.unit_name),
          row(t("settings.device"), "settings-device", s?.device_label),
          row(t("settings.server"), "settings-server", s?.server_url),
          row(t("settings.programs"), "settings-programs", s?.programs.map((p) => p.name).join("、")),
        ),
      ),
      lock,
    ),
  };
}
