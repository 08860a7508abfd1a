// 2. Unlock with the PIN (works offline). A wrong PIN shows the AppError's message (which may
// say how many tries are left) and clears the field.

import { type Ctx, type View } from "../ctx.js";
import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import { isSixDigitPin } from "../logic/enrol.js";
import { langSelect } from "./lang.js";

export function renderUnlock(ctx: Ctx): View {
  const status = ctx.status();
  const user = status?.user;
  const pin = h("input", {
    testid: "unlock-pin",
    type: "password",
    inputmode: "numeric",
    pattern: "[0-9]*",
    maxlength: 6,
    autocomplete: "current-password",
  });
  const submit = h("button", { class: "primary wide", testid: "unlock-submit", type: "submit" }, t("unlock.submit"));
  const form = h(
    "form",
    { class: "card form narrow", testid: "unlock-form", novalidate: true },
    h("div", { class: "row-between" }, h("h1", {}, t("unlock.title")), langSelect(ctx)),
    user
      ? h(
          "p",
          { class: "who", testid: "unlock-user" },
          h("strong", {}, user.display_name),
          ` · ${user.role_label} · ${user.unit_name}`,
        )
      : null,
    status?.device_label ? h("p", { class: "hint", testid: "unlock-device" }, status.device_label) : null,
    field(t("unlock.pin"), pin, { required: true }),
    submit,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!isSixDigitPin(pin.value)) {
      ctx.error(t("unlock.err.pin_format"));
      return;
    }
    submit.disabled = true;
    ctx.api.unlock(pin.value).then(
      (s) => {
        ctx.clearMessages();
        ctx.statusChanged(s);
      },
      (e) => {
        submit.disabled = false;
        pin.value = "";
        pin.focus();
        ctx.error(e);
      },
    );
  });
  window.setTimeout(() => pin.focus(), 0);
  return { el: form };
}
