// Import (导入名单): upload a list through POST /admin/imports (administrator), see the batch,
// download its failure workbook; the latest batches below.

import { fill, h, select } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type Batch } from "../api.js";
import { type ConsoleCtx, download } from "../ctx.js";
import { ct, tx } from "../strings.js";

export function importView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "import-admin-only" }, ct("import.admin_only")));
    return;
  }
  const program = select(
    { testid: "import-program" },
    ctx.me.programs.map((p) => ({ value: p.id, label: tx(p.name) })),
    ctx.me.programs[0]?.id ?? null,
    null,
  );
  const file = h("input", { type: "file", testid: "import-file", accept: ".xlsx,.xls,.ods" });
  const submit = h("button", { class: "primary", type: "submit", testid: "import-submit" }, ct("import.submit"));
  const outcome = h("div", { testid: "import-outcome", class: "outcome", hidden: true });
  const batches = h("div", { class: "table-wrap", testid: "import-batches" });
  // The template first: a new administrator learns the columns from it, not from a failed import.
  const template = h("button", { type: "button", testid: "import-template" }, ct("import.template"));
  template.addEventListener("click", () => {
    const chosen = ctx.me.programs.find((p) => p.id === program.value);
    ctx.api.template(program.value).then((blob) => download(blob, ct("import.template_file", { program: tx(chosen?.name) })), ctx.error);
  });

  const failureLink = (url: string, batch: string) => {
    const link = h("button", { type: "button", class: "link", testid: "import-failures" }, ct("import.failures"));
    link.addEventListener("click", () => {
      ctx.api.failures(url).then((blob) => download(blob, `导入失败名单-${batch}.xlsx`), ctx.error);
    });
    return link;
  };

  const showBatches = (list: Batch[]) => {
    if (list.length === 0) {
      fill(batches, h("p", { class: "muted", testid: "import-batches-empty" }, ct("import.no_batches")));
      return;
    }
    fill(
      batches,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, [ct("filter.batch"), ct("filter.program"), ct("import.created"), ct("import.counts"), ""].map((t) => h("th", {}, t))),
        ),
        h(
          "tbody",
          {},
          list.map((b) =>
            h(
              "tr",
              { testid: "batch-row", "data-batch": b.batch },
              h("td", {}, b.batch),
              h("td", {}, tx(ctx.me.programs.find((p) => p.id === b.program)?.name) || b.program),
              h("td", {}, formatDateTime(b.created_ms)),
              h("td", {}, `${b.rows ?? ""} / ${b.imported ?? ""} / ${b.failed ?? ""}`),
              h("td", {}, b.failures_url ? failureLink(b.failures_url, b.batch) : ""),
            ),
          ),
        ),
      ),
    );
  };

  const form = h(
    "form",
    { class: "card", testid: "import-form" },
    h("h1", {}, ct("import.title")),
    h("p", { class: "muted" }, ct("import.intro")),
    h("label", { class: "filter" }, h("span", {}, ct("filter.program")), program),
    h("p", {}, template, " ", h("span", { class: "muted" }, ct("import.template_hint"))),
    h("label", { class: "filter" }, h("span", {}, ct("import.file")), file),
    submit,
    outcome,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      fill(outcome, ct("import.choose_file"));
      outcome.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = ct("import.working");
    ctx.api
      .importList(program.value, chosen)
      .then((done) => {
        fill(
          outcome,
          h("p", { testid: "import-summary", "data-batch": done.batch }, ct("import.done", { batch: done.batch, rows: done.rows, imported: done.imported, failed: done.failed })),
          done.failures_url ? failureLink(done.failures_url, done.batch) : null,
        );
        outcome.hidden = false;
        return ctx.api.batches().then(showBatches);
      }, ctx.error)
      .finally(() => {
        submit.disabled = false;
        submit.textContent = ct("import.submit");
      });
  });
  fill(root, form, h("h2", {}, ct("import.batches")), batches);
  ctx.api.batches().then(showBatches, ctx.error);
}
