// The supervisor console's shell (指挥部控制台): sign-in, navigation between the views, the
// language switch and the message line. Loaded by console.html — served by the sync server at
// /console/ for browsers, and bundled in the desktop app, where it reads the local replica
// (`TauriConsoleApi`) with no sign-in and without the views that need the server. Views get a
// `ConsoleCtx`; `HttpConsoleApi` is the only part that knows HTTP.

import { fill, h, select } from "../dom.js";
import { LANGS, currentLang, setCurrentLang } from "../i18n.js";
import { type ConsoleApi, type Lang, type Me } from "./api.js";
import { HttpConsoleApi } from "./http-api.js";
import { type ConsoleCtx, type View, isConsoleError } from "./ctx.js";
import { ct, tx } from "./strings.js";
import { adminView } from "./views/admin.js";
import { healthView } from "./views/health.js";
import { importView } from "./views/import.js";
import { jurisdictionsView } from "./views/jurisdictions.js";
import { lockoutsView } from "./views/lockouts.js";
import { quarantineView } from "./views/quarantine.js";
import { notificationsView } from "./views/notifications.js";
import { programsView } from "./views/programs.js";
import { resultsView } from "./views/results.js";
import { TauriConsoleApi, tauriInvoke } from "./tauri-api.js";
import { signInView } from "./views/signin.js";
import { wallView } from "./views/wall.js";

/** Where the tab keeps its console session's token — only ever a session token, which a
 *  sign-out revokes on the server; the admin token is sent once at sign-in and never stored. */
const TOKEN_KEY = "outpost-console-token";
const LANG_KEY = "outpost-console-lang";

/** The views; `admin` ones are in the navigation for the administrator only (the server
 *  refuses their data to anyone else in any case), `server` ones only when the console talks to
 *  the server (not in the desktop app's offline console). */
const VIEWS: { id: string; key: Parameters<typeof ct>[0]; view: View; admin?: boolean; server?: boolean }[] = [
  { id: "results", key: "nav.results", view: resultsView },
  { id: "import", key: "nav.import", view: importView, server: true },
  { id: "wall", key: "nav.wall", view: wallView },
  { id: "health", key: "nav.health", view: healthView },
  { id: "admin", key: "nav.admin", view: adminView, server: true },
  { id: "jurisdictions", key: "nav.jurisdictions", view: jurisdictionsView, admin: true },
  { id: "notifications", key: "nav.notifications", view: notificationsView, admin: true },
  { id: "programs", key: "nav.programs", view: programsView, admin: true },
  { id: "lockouts", key: "nav.lockouts", view: lockoutsView, admin: true, server: true },
  { id: "quarantine", key: "nav.quarantine", view: quarantineView, admin: true, server: true },
];

const app = document.getElementById("app") as HTMLElement;
setCurrentLang((localStorage.getItem(LANG_KEY) as Lang | null) ?? "zh-CN");
const invoke = tauriInvoke();
/** In the desktop app: the local replica, and the app's own unlock instead of a sign-in. */
const local = invoke !== null;
const http = local ? null : new HttpConsoleApi("", currentLang, sessionStorage.getItem(TOKEN_KEY));
const api: ConsoleApi = invoke ? new TauriConsoleApi(invoke, currentLang) : (http as HttpConsoleApi);
let timers: number[] = [];
let current = location.hash.replace("#", "") || "results";
let me: Me | null = null;

function stopPolls(): void {
  for (const id of timers) clearInterval(id);
  timers = [];
}

/** Back to the field app's screens (which ask for the PIN when the app is locked). */
function backToFieldApp(): void {
  stopPolls();
  location.href = "index.html";
}

function signOut(): void {
  if (local) {
    backToFieldApp();
    return;
  }
  stopPolls();
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  void api.signOut().catch(() => undefined);
  showSignIn();
}

function langSelect(onChange: () => void): HTMLSelectElement {
  const el = select(
    { testid: "console-lang", "aria-label": "Language / 语言" },
    LANGS.map((l) => ({ value: l.lang, label: l.name })),
    currentLang(),
    null,
  );
  el.addEventListener("change", () => {
    setCurrentLang(el.value as Lang);
    localStorage.setItem(LANG_KEY, currentLang());
    document.documentElement.lang = currentLang();
    onChange();
  });
  return el;
}

function showSignIn(): void {
  document.body.dataset.screen = "signin";
  document.title = ct("console.title");
  const root = h("main", { class: "console-main" });
  fill(app, h("header", { class: "console-head" }, h("strong", {}, ct("console.title")), langSelect(showSignIn)), root);
  signInView(root, api, (session) => {
    // The session's token only, whoever signed in: never the admin token typed in the form.
    if (http) sessionStorage.setItem(TOKEN_KEY, session.token);
    void start();
  });
}

function show(id: string): void {
  if (!me) return;
  stopPolls();
  document.body.classList.remove("wall-fullscreen");
  document.documentElement.classList.remove("wall-fullscreen");
  // An administration view opened by its address says it is for the administrator; a view
  // that needs the server is not there at all in the desktop app.
  current = VIEWS.some((v) => v.id === id && servedHere(v)) ? id : "results";
  location.hash = current;
  document.body.dataset.screen = current;
  document.title = `${ct(VIEWS.find((v) => v.id === current)?.key ?? "nav.results")} · ${ct("console.title")}`;
  const message = h("div", { class: "message", testid: "console-message", role: "alert", hidden: true });
  const ctx: ConsoleCtx = {
    api,
    me,
    error(e: unknown) {
      if (isConsoleError(e) && e.status === 401) {
        signOut();
        return;
      }
      message.textContent = isConsoleError(e) ? e.message : String(e);
      message.hidden = false;
    },
    poll(ms: number, work: () => Promise<void>) {
      const run = () =>
        work().then(
          () => {
            message.hidden = true;
          },
          (e) => ctx.error(e),
        );
      void run();
      timers.push(window.setInterval(run, ms));
    },
  };
  const nav = h(
    "nav",
    { class: "console-nav" },
    visibleViews().map((v) => {
      const b = h("button", { type: "button", testid: `nav-${v.id}`, class: v.id === current ? "active" : "" }, ct(v.key));
      b.addEventListener("click", () => show(v.id));
      return b;
    }),
  );
  const unit = me.viewer.unit === "" ? ct("console.all_units") : tx(me.unit_name);
  const signOutButton = local
    ? h("button", { type: "button", testid: "console-back" }, ct("console.back_to_app"))
    : h("button", { type: "button", testid: "console-sign-out" }, ct("console.sign_out"));
  signOutButton.addEventListener("click", signOut);
  // Offline figures say where they come from: this device's copy, as of its last sync.
  // What it leaves out is in the server's web console, named so an administrator knows where.
  const source =
    me.source === "replica"
      ? h(
          "div",
          { class: "console-source" },
          h("p", { testid: "console-source" }, ct("console.from_replica")),
          me.server_url
            ? h("p", { testid: "console-server-hint" }, ct("console.server_hint"), " ", h("code", { testid: "console-server-url" }, `${me.server_url.replace(/\/+$/, "")}/console/`))
            : null,
        )
      : null;
  const root = h("main", { class: "console-main", testid: `view-${current}` });
  fill(
    app,
    h(
      "header",
      { class: "console-head" },
      h("strong", {}, ct("console.title")),
      nav,
      h("span", { class: "who", testid: "console-who" }, ct("console.signed_in_as", { name: me.viewer.display_name, unit })),
      langSelect(() => show(current)),
      signOutButton,
    ),
    source,
    message,
    root,
  );
  VIEWS.find((v) => v.id === current)?.view(root, ctx);
}

/** Whether this console's data can fill `view` (not the server's views on the replica). */
function servedHere(view: (typeof VIEWS)[number]): boolean {
  return !view.server || me?.source !== "replica";
}

/** The views the navigation offers this viewer. */
function visibleViews(): typeof VIEWS {
  return VIEWS.filter((v) => (!v.admin || me?.viewer.administrator) && servedHere(v));
}

async function start(): Promise<void> {
  if (http && !http.sessionToken) {
    showSignIn();
    return;
  }
  fill(app, h("p", { class: "muted" }, ct("console.loading")));
  try {
    me = await api.me();
    show(current);
  } catch (e) {
    if (isConsoleError(e) && e.status === 401) signOut();
    else fill(app, h("p", { class: "message", role: "alert" }, isConsoleError(e) ? e.message : String(e)));
  }
}

window.addEventListener("hashchange", () => {
  const id = location.hash.replace("#", "");
  if (me && id && id !== current) show(id);
});
void start();
