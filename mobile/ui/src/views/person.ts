// 4. Person detail: full fields (this screen alone shows unmasked data), status in the colour
// its program gives it, answer, review notes with every version, history, the actions the Rust
// side allows now (`allowed`), and below them one panel per declared step offered now
// (`transitions`, step-form.ts).
//
// `cdc_judge` may appear in `allowed` but the contract has no command for it yet: it is not
// offered here (see the contract gaps in the hand-over notes).

import { type FieldView, type PersonDetail, type ProgramView, type ReviewNote } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { formatDateTime } from "../logic/time.js";
import { answerForm } from "./answer.js";
import { levelWord } from "./controls.js";
import { correctForm, forwardForm, reassignForm, supplementaryForm } from "./edit-forms.js";
import { stepForm } from "./step-form.js";
import { wristbandSection } from "./wristband.js";
import { problemBadgeClass } from "../logic/sync-problems.js";

export function backButton(ctx: Ctx): HTMLElement {
  return h("button", { class: "back", testid: "back", onclick: () => ctx.back() }, `‹ ${t("common.back")}`);
}

export function reviewNotes(notes: ReviewNote[]): HTMLElement {
  return h(
    "ul",
    { class: "review-notes" },
    ...notes.map((n) =>
      h(
        "li",
        { class: "review-note", testid: "review-note" },
        h("div", { class: "review-reason", testid: "review-reason" }, n.reason),
        h(
          "ol",
          { class: "versions" },
          ...n.versions.map((v, i) =>
            h(
              "li",
              { class: "review-version", testid: "review-version", "data-index": i },
              h("span", { class: "muted" }, `${t("person.version", { n: i + 1 })}：`),
              v,
            ),
          ),
        ),
      ),
    ),
  );
}

function fieldValue(f: FieldView): HTMLElement | string {
  const shown = f.display ?? f.value;
  if (shown === null || shown === "") return "—";
  if (f.type === "phone" && f.value) return h("a", { href: `tel:${f.value}` }, shown);
  return shown;
}

function section(title: string, testid: string, ...body: (HTMLElement | null)[]): HTMLElement {
  return h("section", { class: "card", testid }, h("h2", {}, title), ...body);
}

export function renderPerson(ctx: Ctx, recordId: string): View {
  const root = h("section", { class: "person", testid: "person", "data-record-id": recordId, "aria-busy": "true" });
  fill(root, backButton(ctx), h("div", { class: "card center" }, t("app.loading")));
  let disposed = false;
  // Set by any typing or choosing in a form; a background refresh then leaves the screen alone.
  let dirty = false;
  root.addEventListener("input", () => {
    dirty = true;
  });
  root.addEventListener("change", () => {
    dirty = true;
  });
  // Which action panels are open survives a re-render (after an action or a sync).
  const open = new Set<string>(["answer"]);

  function render(person: PersonDetail, program: ProgramView): void {
    if (disposed) return;
    dirty = false;
    root.setAttribute("data-record-id", person.record_id);
    root.setAttribute("aria-busy", "false");
    const name = person.fields.find((f) => f.key === "name");
    const done = (detail: PersonDetail) => {
      if (detail.record_id !== person.record_id) {
        // add_supplementary hands back the new person: show them, `back` returns here.
        ctx.go({ screen: "person", recordId: detail.record_id });
        return;
      }
      render(detail, program);
    };
    const allowed = new Set(person.allowed);
    const panel = (key: string, title: string, body: () => HTMLElement): HTMLElement | null =>
      allowed.has(key) ? actionPanel(key, title, body) : null;
    const actionPanel = (key: string, title: string, body: () => HTMLElement): HTMLElement => {
      const details = h(
        "details",
        { class: "card action", testid: `panel-${key}`, open: open.has(key) },
        h("summary", { testid: `action-${key}` }, title),
      );
      // Build the form on first opening only (unit lists are loaded then).
      const build = () => {
        if (details.open && details.childElementCount === 1) details.appendChild(body());
        if (details.open) open.add(key);
        else open.delete(key);
      };
      details.addEventListener("toggle", build);
      build();
      return details;
    };

    const claim = allowed.has("claim")
      ? h("button", {
          class: "primary wide",
          testid: "action-claim",
          onclick: (ev: Event) => {
            const b = ev.currentTarget as HTMLButtonElement;
            b.disabled = true;
            ctx.api
              .claim({ record_ids: [person.record_id] })
              .then(() => ctx.api.person(person.record_id))
              .then(
                (detail) => {
                  ctx.notice(t("person.claim_ok"));
                  render(detail, program);
                },
                (e) => {
                  b.disabled = false;
                  ctx.error(e);
                },
              );
          },
        }, t("person.claim"))
      : null;

    const level = levelWord(program.dispatch_level);
    fill(
      root,
      backButton(ctx),
      h(
        "section",
        { class: "card person-head" },
        h("h1", { testid: "person-name" }, name?.display ?? name?.value ?? person.record_id),
        h(
          "div",
          { class: "facts" },
          h(
            "span",
            {
              class: `status colour-${person.status_colour}`,
              testid: "person-status",
              "data-status": person.status,
              "data-colour": person.status_colour,
            },
            person.status_label,
          ),
          h("span", { testid: "person-unit" }, `${t("person.unit")}：${person.unit_name}`),
          person.batch ? h("span", { testid: "person-batch" }, `${t("person.batch")}：${person.batch}`) : null,
        ),
        person.supplementary_of
          ? h("div", { class: "hint", testid: "person-supplementary-of" }, t("person.supplementary_of", { id: person.supplementary_of }))
          : null,
        person.sync_problem
          ? h(
              "div",
              { class: problemBadgeClass(person.sync_problem), testid: "person-sync-problem", "data-kind": person.sync_problem.kind },
              person.sync_problem.label,
            )
          : null,
      ),
      person.answer
        ? section(
            t("person.answer"),
            "person-answer",
            h("div", { testid: "person-answer-label" }, person.answer.label),
            person.answer.note ? h("div", { class: "muted", testid: "person-answer-note" }, `${t("person.note")}：${person.answer.note}`) : null,
            person.answer.report_to_cdc
              ? h("div", { class: "cdc-reminder", testid: "answer-report-cdc" }, h("strong", {}, t("answer.report_cdc")))
              : null,
          )
        : null,
      person.reviews.length > 0 ? section(t("person.reviews"), "person-reviews", reviewNotes(person.reviews)) : null,
      program.actions.includes("bind_tag") ? wristbandSection(ctx, person, done) : null,
      claim,
      panel("answer", t("answer.title"), () => answerForm(ctx, person, program, done)),
      panel("reassign", t("reassign.title", { level }), () => reassignForm(ctx, person, program, done)),
      panel("forward", t("forward.title"), () => forwardForm(ctx, person, program, done)),
      panel("correct", t("correct.title"), () => correctForm(ctx, person, program, done)),
      panel("add_supplementary", t("supp.title"), () => supplementaryForm(ctx, person, program, done)),
      // A step taken changes the status: its panel does not stay open for the next one.
      ...person.transitions.map((step) =>
        actionPanel(`step-${step.action}`, step.label, () =>
          stepForm(ctx, person, program, step, (detail) => {
            open.delete(`step-${step.action}`);
            done(detail);
          }),
        ),
      ),
      section(
        t("person.fields"),
        "person-fields",
        h(
          "dl",
          { class: "fields" },
          ...person.fields.map((f) =>
            h(
              "div",
              { class: "field-view", testid: "person-field", "data-key": f.key },
              h("dt", {}, f.label),
              h("dd", { testid: "person-field-value" }, fieldValue(f)),
              f.conflicting.length > 0
                ? h(
                    "dd",
                    { class: "conflicts", testid: "field-conflicts" },
                    t("person.conflicting"),
                    h("ul", {}, ...f.conflicting.map((v) => h("li", { testid: "field-conflict-value" }, v))),
                  )
                : null,
            ),
          ),
        ),
      ),
      section(
        t("person.history"),
        "person-history",
        person.history.length === 0
          ? h("div", { class: "muted" }, t("person.no_history"))
          : h(
              "ol",
              { class: "history" },
              ...person.history.map((e) =>
                h(
                  "li",
                  { testid: "history-entry" },
                  h("time", { class: "muted" }, formatDateTime(e.at_ms)),
                  " ",
                  h("span", {}, e.label),
                  e.user ? h("span", { class: "muted" }, ` · ${e.user}`) : null,
                ),
              ),
            ),
      ),
    );
  }

  async function load(): Promise<void> {
    try {
      const person = await ctx.api.person(recordId);
      const program = await ctx.programView(person.program);
      render(person, program);
    } catch (e) {
      root.setAttribute("aria-busy", "false");
      ctx.error(e);
    }
  }

  void load();
  return {
    el: root,
    // A sync may change this person; refresh unless the user is in the middle of a form.
    refresh: () => {
      if (!dirty) void load();
    },
    dispose: () => {
      disposed = true;
    },
  };
}
