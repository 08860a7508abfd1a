// Sign-in (登录): a one-time code for a user, or the administrator token — sent once to open a
// session and cleared from the form at once, so the page never holds it after sign-in.

import { h } from "../../dom.js";
import { type ConsoleApi, type Session } from "../api.js";
import { isConsoleError } from "../ctx.js";
import { ct } from "../strings.js";

export function signInView(root: HTMLElement, api: ConsoleApi, signedIn: (s: Session) => void): void {
  const code = h("input", { type: "text", testid: "signin-code", autocomplete: "one-time-code", placeholder: ct("signin.code_hint") });
  const token = h("input", { type: "password", testid: "signin-admin-token", autocomplete: "off" });
  const tokenRow = h("div", { class: "field", hidden: true }, h("label", {}, ct("signin.admin_token")), token);
  const error = h("div", { class: "field-error", testid: "signin-error", role: "alert", hidden: true });
  const submit = h("button", { class: "primary wide", type: "submit", testid: "signin-submit" }, ct("signin.submit"));
  const toggle = h("button", { type: "button", class: "link", testid: "signin-use-admin" }, ct("signin.admin"));
  toggle.addEventListener("click", () => {
    tokenRow.hidden = !tokenRow.hidden;
    if (!tokenRow.hidden) token.focus();
  });
  const form = h(
    "form",
    { class: "card signin", testid: "signin-form" },
    h("h1", {}, ct("signin.title")),
    h("p", { class: "muted" }, ct("signin.intro")),
    h("div", { class: "field" }, h("label", {}, ct("signin.code")), code),
    toggle,
    tokenRow,
    error,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const adminToken = token.value.trim();
    const typed = code.value.trim();
    token.value = "";
    if (!adminToken && !typed) {
      error.textContent = ct("signin.required");
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    api.signIn(adminToken ? { admin_token: adminToken } : { code: typed }).then(signedIn, (e) => {
      submit.disabled = false;
      error.textContent = isConsoleError(e) ? e.message : String(e);
      error.hidden = false;
    });
  });
  root.replaceChildren(form);
  code.focus();
}
