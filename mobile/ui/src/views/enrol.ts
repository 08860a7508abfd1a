// 1. Enrolment (first run): the code or QR text, the server when the code is bare, the device's
// name and a 6-digit PIN typed twice. The only screen besides sync that needs the network.
//
// The code arrives typed, pasted, from a USB scanner that types like a keyboard, or from the
// computer's camera (the enrolment QR code on the administrator's screen; native-scan.ts). On
// phones the camera needs Tauri's barcode-scanner plugin, which these machines cannot build.

import { type Ctx, type View } from "../ctx.js";
import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import { enrolProblems, parseEnrolCode, toEnrolInput } from "../logic/enrol.js";
import { attachNativeScans } from "../native-scan.js";
import { langSelect } from "./lang.js";

export function renderEnrol(ctx: Ctx): View {
  const code = h("textarea", {
    testid: "enrol-code",
    rows: 2,
    autocapitalize: "off",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: t("enrol.code_hint"),
  });
  const server = h("input", {
    testid: "enrol-server",
    type: "url",
    inputmode: "url",
    autocapitalize: "off",
    placeholder: t("enrol.server_hint"),
  });
  const serverRow = h("div", { testid: "enrol-server-row", hidden: true }, field(t("enrol.server"), server, { required: true }));
  const serverFromCode = h("div", { class: "hint", testid: "enrol-server-from-code", hidden: true });
  const label = h("input", { testid: "enrol-label", type: "text", placeholder: t("enrol.label_hint"), maxlength: 40 });
  const pinProps = {
    type: "password",
    inputmode: "numeric",
    pattern: "[0-9]*",
    maxlength: 6,
    autocomplete: "new-password",
  };
  const pin = h("input", { ...pinProps, testid: "enrol-pin" });
  const pinConfirm = h("input", { ...pinProps, testid: "enrol-pin-confirm" });
  const submit = h("button", { class: "primary wide", testid: "enrol-submit", type: "submit" }, t("enrol.submit"));

  const updateServer = () => {
    const parsed = parseEnrolCode(code.value);
    serverRow.hidden = parsed.kind !== "bare";
    serverFromCode.hidden = parsed.kind !== "payload" || parsed.server === "";
    serverFromCode.textContent =
      parsed.kind === "payload" ? t("enrol.server_from_code", { s: parsed.server }) : "";
  };
  code.addEventListener("input", updateServer);

  const form = h(
    "form",
    { class: "card form", testid: "enrol-form", novalidate: true },
    h("div", { class: "row-between" }, h("h1", {}, t("enrol.title")), langSelect(ctx)),
    h("p", { class: "intro" }, t("enrol.intro")),
    field(t("enrol.code"), code, { required: true }),
    attachNativeScans(code),
    serverFromCode,
    serverRow,
    field(t("enrol.label"), label, { required: true }),
    field(t("enrol.pin"), pin, { required: true }),
    field(t("enrol.pin_confirm"), pinConfirm, { required: true, hint: t("enrol.pin_note") }),
    submit,
  );

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const values = {
      code: code.value,
      server: server.value,
      label: label.value,
      pin: pin.value,
      pinConfirm: pinConfirm.value,
    };
    const problems = enrolProblems(values);
    if (problems.length > 0) {
      ctx.error(problems.map((p) => t(`enrol.err.${p}`)).join("；"));
      return;
    }
    ctx.clearMessages();
    submit.disabled = true;
    submit.textContent = t("common.working");
    ctx.api.enrol(toEnrolInput(values)).then(
      (status) => ctx.statusChanged(status),
      (e) => {
        submit.disabled = false;
        submit.textContent = t("enrol.submit");
        ctx.error(e);
      },
    );
  });

  return { el: form };
}
