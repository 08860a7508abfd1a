// Results (结果列表): every person of a program in the caller's area with filters, live refresh
// by polling, a person's detail and the export of what is on screen.

import { fill, h, select } from "../../dom.js";
import { formatDateTime, formatShort } from "../../logic/time.js";
import { currentLang } from "../../i18n.js";
import { type Filter, type PersonRow, type ResultsPage, type Text } from "../api.js";
import { type ConsoleCtx, download } from "../ctx.js";
import { outcomeOptions } from "../logic.js";
import { ct, tx } from "../strings.js";

const PAGE = 50;
/** How often the list refreshes itself while shown. */
export const RESULTS_POLL_MS = 3000;

/** A time cell: short (`07:44` today, `12-07 17:19` this year) so the table fits a 1366 px
 *  laptop screen; the full date and time on hover. */
function time(ms: number | null): HTMLElement {
  return ms === null ? h("td", {}) : h("td", { class: "time", title: formatDateTime(ms) }, formatShort(ms, Date.now()));
}

export function resultsView(root: HTMLElement, ctx: ConsoleCtx): void {
  const programs = ctx.me.programs;
  const filter: Filter = { program: programs[0]?.id ?? "", offset: 0, limit: PAGE };
  const program = () => programs.find((p) => p.id === filter.program);

  const programSelect = select(
    { testid: "filter-program" },
    programs.map((p) => ({ value: p.id, label: tx(p.name) })),
    filter.program,
    null,
  );
  const batchSelect = select({ testid: "filter-batch" }, [], null, ct("filter.all"));
  const townSelect = select(
    { testid: "filter-town" },
    ctx.me.towns.map((t) => ({ value: t.code, label: tx(t.name) })),
    null,
    ct("filter.all"),
  );
  const statusSelect = h("select", { testid: "filter-status" });
  const outcomeSelect = h("select", { testid: "filter-outcome" });
  const search = h("input", { type: "search", testid: "filter-search", placeholder: ct("filter.search") });
  const apply = h("button", { class: "primary", testid: "filter-apply", type: "submit" }, ct("filter.apply"));
  const exportButton = h("button", { testid: "results-export", type: "button" }, ct("results.export"));
  // Where the desktop app saved an export (a browser downloads it instead).
  const savedTo = h("span", { class: "muted", testid: "results-saved-to", hidden: true });
  const total = h("span", { testid: "results-total", class: "total" });
  const unreadable = h("span", { testid: "results-unreadable", class: "warning" });
  const updated = h("span", { class: "muted", testid: "results-updated" });
  const table = h("div", { class: "table-wrap", testid: "results-table" });
  const pager = h("div", { class: "pager" });
  const detail = h("div", { class: "overlay", testid: "person-detail", hidden: true });

  const fillProgramOptions = () => {
    const p = program();
    fill(
      statusSelect,
      h("option", { value: "" }, ct("filter.all")),
      (p?.statuses ?? []).map((s) => h("option", { value: s.code }, tx(s.label))),
    );
    fill(
      outcomeSelect,
      h("option", { value: "" }, ct("filter.all")),
      outcomeOptions(p?.outcomes ?? []).map((o) =>
        h("option", { value: o.code }, `${"　".repeat(o.depth)}${tx(o.label)}`),
      ),
    );
  };
  fillProgramOptions();

  const readFilter = () => {
    filter.program = programSelect.value;
    filter.batch = batchSelect.value;
    filter.unit = townSelect.value;
    filter.status = statusSelect.value;
    filter.outcome = outcomeSelect.value;
    filter.search = search.value.trim();
  };

  let columns = new Map<string, Text>();
  const render = (page: ResultsPage) => {
    columns = new Map(page.columns);
    total.textContent = ct("results.total", { n: page.total });
    unreadable.textContent = page.unreadable ? ct("results.unreadable", { n: page.unreadable }) : "";
    updated.textContent = ct("results.updated", { t: formatDateTime(Date.now(), true) });
    if (page.rows.length === 0) {
      fill(table, h("p", { class: "empty", testid: "results-empty" }, ct("results.empty")));
    } else {
      const head = [
        ct("col.batch"),
        ...page.columns.map(([, label]) => tx(label)),
        ct("col.status"),
        ct("col.outcome"),
        ct("col.note"),
        ct("col.dispatched"),
        ct("col.claimed"),
        ct("col.answered"),
      ];
      const row = (r: PersonRow) =>
        h(
          "tr",
          { testid: "result-row", "data-id": r.id, "data-status": r.status, class: r.needs_review ? "review" : "" },
          h("td", {}, r.batch),
          page.columns.map(([key]) => h("td", { "data-field": key }, r.fields[key] ?? "")),
          h("td", {}, h("span", { class: `status status-${r.status}` }, tx(r.status_label))),
          h("td", { testid: "result-outcome", class: "wrap" }, r.outcome.map((o) => tx(o)).join(" / ")),
          h("td", { class: "wrap" }, r.note ?? ""),
          time(r.dispatched_ms),
          time(r.claimed_ms),
          time(r.answered_ms),
        );
      const body = h("tbody", {}, page.rows.map(row));
      body.addEventListener("click", (event) => {
        const tr = (event.target as HTMLElement).closest("tr");
        const id = tr?.getAttribute("data-id");
        if (id) showDetail(id);
      });
      fill(table, h("table", { class: "grid results-grid" }, h("thead", {}, h("tr", {}, head.map((t) => h("th", {}, t)))), body));
    }
    const from = page.total === 0 ? 0 : page.offset + 1;
    const to = page.offset + page.rows.length;
    const prev = h("button", { type: "button", testid: "results-prev", disabled: page.offset === 0 }, ct("results.prev"));
    const next = h("button", { type: "button", testid: "results-next", disabled: to >= page.total }, ct("results.next"));
    prev.addEventListener("click", () => {
      filter.offset = Math.max(0, (filter.offset ?? 0) - PAGE);
      void load();
    });
    next.addEventListener("click", () => {
      filter.offset = (filter.offset ?? 0) + PAGE;
      void load();
    });
    fill(pager, prev, h("span", { class: "muted" }, ct("results.page", { from, to })), next);
  };

  const load = async () => {
    render(await ctx.api.results({ ...filter }, currentLang()));
  };

  const loadBatches = async () => {
    const chosen = batchSelect.value;
    const batches = (await ctx.api.batches()).filter((b) => b.program === filter.program);
    fill(
      batchSelect,
      h("option", { value: "" }, ct("filter.all")),
      batches.map((b) => h("option", { value: b.batch }, `${b.batch}（${formatDateTime(b.created_ms)}）`)),
    );
    batchSelect.value = batches.some((b) => b.batch === chosen) ? chosen : "";
  };

  const showDetail = (id: string) => {
    ctx.api.person(id, currentLang()).then((d) => {
      const close = h("button", { type: "button", testid: "person-detail-close" }, ct("results.close"));
      close.addEventListener("click", () => (detail.hidden = true));
      fill(
        detail,
        h(
          "div",
          { class: "card dialog" },
          h("h2", {}, ct("results.detail")),
          d.masked ? h("p", { class: "muted" }, ct("results.masked_note")) : null,
          h(
            "dl",
            { class: "facts" },
            Object.entries(d.person.fields).flatMap(([k, v]) => [
              h("dt", {}, tx(columns.get(k)) || k),
              h("dd", { "data-field": k }, v),
            ]),
            h("dt", {}, ct("col.status")),
            h("dd", {}, tx(d.person.status_label)),
            h("dt", {}, ct("col.outcome")),
            h("dd", {}, d.person.outcome.map((o) => tx(o)).join(" / ")),
          ),
          h(
            "ol",
            { class: "flow" },
            d.events.map((e) => h("li", {}, `${formatDateTime(e.at_ms)} ${tx(e.label)} ${e.by} ${tx(e.detail)}`)),
          ),
          close,
        ),
      );
      detail.hidden = false;
    }, ctx.error);
  };

  programSelect.addEventListener("change", () => {
    readFilter();
    fillProgramOptions();
    filter.offset = 0;
    void loadBatches().then(load).catch(ctx.error);
  });
  exportButton.addEventListener("click", () => {
    readFilter();
    exportButton.disabled = true;
    exportButton.textContent = ct("results.exporting");
    ctx.api
      .exportResults({ ...filter }, currentLang())
      .then((exported) => {
        if ("blob" in exported) {
          // Named by what it holds and the day (Beijing time), not a millisecond timestamp.
          const date = formatDateTime(Date.now()).slice(0, 10);
          const batch = filter.batch === "" || filter.batch === undefined ? ct("results.all_batches") : filter.batch;
          download(exported.blob, ct("results.export_file", { program: tx(program()?.name), batch, date }));
          return;
        }
        savedTo.textContent = ct("results.saved_to", { path: exported.saved_to });
        savedTo.dataset.path = exported.saved_to;
        savedTo.hidden = false;
      }, ctx.error)
      .finally(() => {
        exportButton.disabled = false;
        exportButton.textContent = ct("results.export");
      });
  });
  const form = h(
    "form",
    { class: "filters", testid: "results-filters" },
    labelled(ct("filter.program"), programSelect),
    labelled(ct("filter.batch"), batchSelect),
    labelled(ct("filter.town"), townSelect),
    labelled(ct("filter.status"), statusSelect),
    labelled(ct("filter.outcome"), outcomeSelect),
    labelled(ct("filter.search"), search),
    apply,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    readFilter();
    filter.offset = 0;
    void load().catch(ctx.error);
  });
  fill(
    root,
    form,
    h("div", { class: "toolbar" }, total, unreadable, exportButton, savedTo, h("span", { class: "muted" }, ct("results.live", { s: RESULTS_POLL_MS / 1000 })), updated),
    table,
    pager,
    detail,
  );
  void loadBatches().catch(ctx.error);
  ctx.poll(RESULTS_POLL_MS, load);
}

function labelled(label: string, control: HTMLElement): HTMLElement {
  return h("label", { class: "filter" }, h("span", {}, label), control);
}
