// Notification channels and recipients (推送设置, administrator): the channels and routes in
// force (the config file's read-only, the console's editable), a form for each, and for a unit
// who every escalation step reaches on which channels. Saving sends the console's whole set;
// the server checks it and puts it in force at once.

import { fill, h, select } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type JurisdictionUnit, type NotificationOverlay, type NotificationSettings, type SmtpInput, type StepReach } from "../api.js";
import { type ConsoleCtx } from "../ctx.js";
import { type Problem, checkChannelId, checkSmtp, checkUrl, consoleOverlay, splitMailboxes } from "../settings.js";
import { type ConsoleKey, ct, tx } from "../strings.js";

const KIND_KEYS: Record<string, ConsoleKey> = {
  webhook: "notify.kind.webhook",
  wecom: "notify.kind.wecom",
  dingtalk: "notify.kind.dingtalk",
  feishu: "notify.kind.feishu",
  smtp: "notify.kind.smtp",
};

const kindName = (kind: string) => (KIND_KEYS[kind] ? ct(KIND_KEYS[kind]) : kind);
const say = (p: Problem) => ct(p.key, p.params ?? {});

export function notificationsView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "settings-only" }, ct("settings.only")));
    return;
  }
  let settings: NotificationSettings | null = null;
  let units: JurisdictionUnit[] = [];
  const updated = h("p", { class: "muted", testid: "notify-updated" });
  const notice = h("p", { class: "muted", testid: "notify-notice", role: "status" });
  const channels = h("div", { class: "table-wrap", testid: "notify-channels" });
  const routes = h("div", { class: "table-wrap", testid: "notify-routes" });
  const reach = h("div", { class: "table-wrap", testid: "notify-reach" });
  const channelForm = h("form", { class: "filters", testid: "notify-new-channel", novalidate: true });
  const routeForm = h("form", { class: "filters", testid: "notify-new-route", novalidate: true });
  const reachForm = h("form", { class: "filters", testid: "notify-reach-form" });

  const unitLabel = (code: string) => {
    const unit = units.find((u) => u.code === code);
    return unit ? `${tx(unit.name)}（${code}）` : code;
  };
  const recipientLabel = (code: string) => tx(settings?.recipients.find((r) => r.code === code)?.label) || code;
  const yes = (b: boolean) => (b ? ct("notify.yes") : ct("notify.no"));

  const save = (overlay: NotificationOverlay) =>
    ctx.api.saveNotifications(overlay).then((next) => {
      notice.textContent = ct("settings.saved");
      render(next);
    }, ctx.error);

  const render = (next: NotificationSettings) => {
    settings = next;
    updated.textContent =
      next.updated_ms === null
        ? ct("settings.never_changed")
        : ct("settings.updated", { by: next.updated_by ?? "", t: formatDateTime(next.updated_ms) });
    fill(
      channels,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [ct("notify.col.id"), ct("notify.col.kind"), ct("notify.col.host"), ct("notify.col.signed"), ct("notify.col.source"), ""].map((t) =>
              h("th", {}, t),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          next.channels.map((c) => {
            let action: HTMLElement | null = null;
            if (c.source === "console") {
              action = h("button", { type: "button", class: "danger", testid: "notify-delete-channel" }, ct("notify.delete"));
              action.addEventListener("click", () => {
                const overlay = consoleOverlay(next);
                overlay.channels = overlay.channels.filter((x) => x.id !== c.id);
                void save(overlay);
              });
            }
            return h(
              "tr",
              { testid: "notify-channel-row", "data-channel": c.id },
              h("td", {}, h("code", {}, c.id)),
              h("td", {}, kindName(c.kind)),
              h("td", {}, c.host, c.smtp ? h("div", { class: "muted" }, ct("notify.smtp.to_count", { to: c.smtp.to.join("、") })) : null),
              h("td", {}, yes(c.signed)),
              h("td", {}, h("span", { class: "badge" }, ct(c.source === "file" ? "notify.source.file" : "notify.source.console"))),
              h("td", {}, action),
            );
          }),
        ),
      ),
    );
    fill(
      routes,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [ct("notify.col.unit"), ct("notify.col.recipient"), ct("notify.col.channels"), ct("notify.col.subtree"), ct("notify.col.source"), ""].map(
              (t) => h("th", {}, t),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          next.routes.map((r, i) => {
            let action: HTMLElement | null = null;
            if (r.source === "console") {
              action = h("button", { type: "button", class: "danger", testid: "notify-delete-route" }, ct("notify.delete"));
              const index = next.routes.filter((x, j) => j < i && x.source === "console").length;
              action.addEventListener("click", () => {
                const overlay = consoleOverlay(next);
                overlay.routes.splice(index, 1);
                void save(overlay);
              });
            }
            return h(
              "tr",
              { testid: "notify-route-row", "data-unit": r.unit, "data-recipient": r.recipient },
              h("td", {}, `${tx(r.unit_name)}（${r.unit}）`),
              h("td", {}, recipientLabel(r.recipient)),
              h("td", {}, r.channels.join("、")),
              h("td", {}, yes(r.include_descendants)),
              h("td", {}, h("span", { class: "badge" }, ct(r.source === "file" ? "notify.source.file" : "notify.source.console"))),
              h("td", {}, action),
            );
          }),
        ),
      ),
    );
    drawChannelForm(next);
    drawRouteForm(next);
    if (next.reach) drawReach(next.reach);
  };

  const drawChannelForm = (current: NotificationSettings) => {
    const id = h("input", { type: "text", testid: "notify-channel-id", autocomplete: "off" });
    const kind = select({ testid: "notify-channel-kind" }, current.kinds.map((k) => ({ value: k, label: kindName(k) })), "webhook", null);
    const url = h("input", { type: "url", testid: "notify-channel-url", autocomplete: "off", title: ct("notify.url_hint") });
    const secret = h("input", { type: "password", testid: "notify-channel-secret", autocomplete: "new-password", title: ct("notify.secret_hint") });
    // An e-mail channel's fields, shown instead of the address and secret.
    const mail = {
      host: h("input", { type: "text", testid: "notify-smtp-host", autocomplete: "off" }),
      port: h("input", { type: "number", min: 1, max: 65535, testid: "notify-smtp-port" }),
      tls: select(
        { testid: "notify-smtp-tls" },
        (["starttls", "tls", "none"] as const).map((t) => ({ value: t, label: ct(`notify.smtp.tls.${t}`) })),
        "starttls",
        null,
      ),
      username: h("input", { type: "text", testid: "notify-smtp-username", autocomplete: "off" }),
      password: h("input", { type: "password", testid: "notify-smtp-password", autocomplete: "new-password" }),
      from: h("input", { type: "text", testid: "notify-smtp-from", autocomplete: "off" }),
      to: h("textarea", { testid: "notify-smtp-to", rows: 2 }),
    };
    const field = (key: ConsoleKey, input: HTMLElement) => h("label", { class: "filter" }, h("span", {}, ct(key)), input);
    const hookFields = [field("notify.url", url), field("notify.secret", secret)];
    const mailFields = [
      field("notify.smtp.host", mail.host),
      field("notify.smtp.port", mail.port),
      field("notify.smtp.tls", mail.tls),
      field("notify.smtp.username", mail.username),
      field("notify.smtp.password", mail.password),
      field("notify.smtp.from", mail.from),
      field("notify.smtp.to", mail.to),
    ];
    const showKind = () => {
      const isMail = kind.value === "smtp";
      for (const el of hookFields) el.hidden = isMail;
      for (const el of mailFields) el.hidden = !isMail;
    };
    kind.addEventListener("change", showKind);
    const error = h("p", { class: "settings-error", testid: "notify-channel-error", role: "alert", hidden: true });
    fill(
      channelForm,
      field("notify.col.id", id),
      field("notify.col.kind", kind),
      hookFields,
      mailFields,
      h("button", { class: "primary", type: "submit", testid: "notify-add-channel" }, ct("notify.add")),
      error,
    );
    showKind();
    const readMail = (): SmtpInput => {
      const input: SmtpInput = { host: mail.host.value.trim(), tls: mail.tls.value, from: mail.from.value.trim(), to: splitMailboxes(mail.to.value) };
      if (mail.port.value.trim() !== "") input.port = Number(mail.port.value);
      if (mail.username.value.trim() !== "") input.username = mail.username.value.trim();
      if (mail.password.value !== "") input.password = mail.password.value;
      return input;
    };
    channelForm.onsubmit = (event) => {
      event.preventDefault();
      const all = [id, url, secret, ...Object.values(mail)];
      for (const el of all) el.classList.remove("invalid");
      const taken = current.channels.map((c) => c.id);
      const problems: [HTMLElement, Problem | null][] = [[id, checkChannelId(id.value.trim(), taken)]];
      if (kind.value === "smtp") {
        const found = checkSmtp(readMail());
        for (const [key, el] of Object.entries(mail)) problems.push([el, found.get(key) ?? null]);
      } else {
        problems.push([url, checkUrl(url.value)]);
        problems.push([secret, kind.value === "webhook" && secret.value.trim() === "" ? { key: "notify.err.secret" } : null]);
      }
      const first = problems.find(([, p]) => p !== null);
      if (first) {
        first[0].classList.add("invalid");
        error.textContent = say(first[1] as Problem);
        error.hidden = false;
        return;
      }
      error.hidden = true;
      const overlay = consoleOverlay(current);
      const added: NotificationOverlay["channels"][number] = { id: id.value.trim(), kind: kind.value };
      if (kind.value === "smtp") added.smtp = readMail();
      else {
        added.url = url.value.trim();
        if (secret.value.trim() !== "") added.secret = secret.value.trim();
      }
      overlay.channels.push(added);
      void save(overlay);
    };
  };

  const drawRouteForm = (current: NotificationSettings) => {
    const unit = select({ testid: "notify-route-unit" }, units.map((u) => ({ value: u.code, label: unitLabel(u.code) })), null, "—");
    const recipient = select(
      { testid: "notify-route-recipient" },
      current.recipients.map((r) => ({ value: r.code, label: tx(r.label) })),
      null,
      "—",
    );
    const boxes = current.channels.map((c) => {
      const box = h("input", { type: "checkbox", value: c.id, testid: "notify-route-channel" });
      return { id: c.id, box, label: h("label", {}, box, c.id) };
    });
    const subtree = h("input", { type: "checkbox", testid: "notify-route-subtree" });
    const error = h("p", { class: "settings-error", testid: "notify-route-error", role: "alert", hidden: true });
    fill(
      routeForm,
      h("label", { class: "filter" }, h("span", {}, ct("notify.col.unit")), unit),
      h("label", { class: "filter" }, h("span", {}, ct("notify.col.recipient")), recipient),
      h("div", { class: "filter" }, h("span", {}, ct("notify.col.channels")), h("div", { class: "checks" }, boxes.map((b) => b.label))),
      h("label", { class: "filter" }, h("span", {}, ct("notify.col.subtree")), subtree),
      h("button", { class: "primary", type: "submit", testid: "notify-add-route" }, ct("notify.add")),
      error,
    );
    routeForm.onsubmit = (event) => {
      event.preventDefault();
      const chosen = boxes.filter((b) => b.box.checked).map((b) => b.id);
      const problem: Problem | null =
        unit.value === ""
          ? { key: "notify.err.unit" }
          : recipient.value === ""
            ? { key: "notify.err.recipient" }
            : chosen.length === 0
              ? { key: "notify.err.channels" }
              : null;
      if (problem) {
        error.textContent = say(problem);
        error.hidden = false;
        return;
      }
      error.hidden = true;
      const overlay = consoleOverlay(current);
      overlay.routes.push({ unit: unit.value, recipient: recipient.value, channels: chosen, include_descendants: subtree.checked });
      void save(overlay);
    };
  };

  const drawReach = (steps: StepReach[]) => {
    fill(
      reach,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, [ct("notify.col.step"), ct("notify.col.recipient"), ct("notify.col.at_unit"), ct("notify.col.channels")].map((t) => h("th", {}, t))),
        ),
        h(
          "tbody",
          {},
          steps.flatMap((step) =>
            step.recipients.map((r, i) =>
              h(
                "tr",
                { testid: "notify-reach-row", "data-rule": step.rule, "data-step": step.step, "data-recipient": r.code },
                h(
                  "td",
                  {},
                  i === 0 ? `${tx(step.program_name)} · ${tx(step.rule_label)} · ${ct("settings.step", { n: step.step })}（${step.when}）` : "",
                ),
                h("td", {}, tx(r.label)),
                h("td", {}, tx(r.unit_name)),
                h("td", { class: r.channels.length === 0 ? "overdue" : "" }, r.channels.length === 0 ? ct("notify.unrouted") : r.channels.join("、")),
              ),
            ),
          ),
        ),
      ),
    );
  };

  const reachUnit = select({ testid: "notify-reach-unit" }, [], null, "—");
  reachForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (reachUnit.value === "") return;
    ctx.api.notifications(reachUnit.value).then((next) => next.reach && drawReach(next.reach), ctx.error);
  });
  fill(
    reachForm,
    h("label", { class: "filter" }, h("span", {}, ct("notify.reach_unit")), reachUnit),
    h("button", { type: "submit", testid: "notify-reach-show" }, ct("notify.reach_show")),
  );

  fill(
    root,
    h("h1", {}, ct("notify.title")),
    h("p", { class: "muted" }, ct("notify.intro")),
    updated,
    notice,
    h("section", { class: "card" }, h("h2", {}, ct("notify.channels")), channels, h("h3", {}, ct("notify.new_channel")), channelForm),
    h("section", { class: "card" }, h("h2", {}, ct("notify.routes")), routes, h("h3", {}, ct("notify.new_route")), routeForm),
    h("section", { class: "card" }, h("h2", {}, ct("notify.reach")), h("p", { class: "muted" }, ct("notify.reach_intro")), reachForm, reach),
  );
  Promise.all([ctx.api.jurisdictions(""), ctx.api.notifications(null)]).then(([tree, current]) => {
    units = tree.units;
    for (const u of units) reachUnit.appendChild(h("option", { value: u.code }, unitLabel(u.code)));
    render(current);
  }, ctx.error);
}
