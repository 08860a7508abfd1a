// Jurisdictions (行政区划, administrator): the tree with national codes, levels, aliases and
// where each unit comes from, searched by code, name or alias, and maintained here: a town or
// community added below a unit, names and aliases changed, an added unit withdrawn while nothing
// uses it, a file's unit back to the file's names. Each value is checked before saving
// (`settings.ts`); the server checks again, and a refusal (a unit in use) is shown as it says.

import { fill, h } from "../../dom.js";
import { formatDateTime } from "../../logic/time.js";
import { type JurisdictionTree, type JurisdictionUnit } from "../api.js";
import { type ConsoleCtx, isConsoleError } from "../ctx.js";
import { type Problem, checkUnitEntry, childLevel, depths, splitAliases } from "../settings.js";
import { ct, tx } from "../strings.js";

const say = (p: Problem) => ct(p.key, p.params ?? {});

export function jurisdictionsView(root: HTMLElement, ctx: ConsoleCtx): void {
  if (!ctx.me.viewer.administrator) {
    fill(root, h("p", { class: "card", testid: "settings-only" }, ct("settings.only")));
    return;
  }
  const table = h("div", { class: "table-wrap", testid: "juris-table" });
  const count = h("p", { class: "muted", testid: "juris-count" });
  const changes = h("p", { class: "muted", testid: "juris-changes" });
  const notice = h("p", { class: "muted", testid: "juris-notice", role: "status" });
  const error = h("p", { class: "settings-error", testid: "juris-error", role: "alert", hidden: true });
  const editor = h("section", { class: "card", testid: "juris-editor", hidden: true });
  const search = h("input", { type: "search", testid: "juris-search", placeholder: ct("juris.search"), "aria-label": ct("juris.search") });
  // The whole tree as last loaded, for the form's sibling checks (a search shows only part).
  let all: JurisdictionUnit[] = [];

  const refused = (e: unknown) => {
    error.textContent = isConsoleError(e) ? e.message : String(e);
    error.hidden = false;
    if (isConsoleError(e) && e.status === 401) ctx.error(e);
  };

  const closeEditor = () => {
    editor.hidden = true;
    fill(editor);
  };

  /** The form for a new unit below `parent`, or for `unit`'s names. */
  const openEditor = (parent: JurisdictionUnit | null, unit: JurisdictionUnit | null) => {
    error.hidden = true;
    notice.textContent = "";
    const isNew = unit === null;
    const parentCode = isNew ? parent?.code ?? "" : unit.parent ?? "";
    const level = isNew && parent ? childLevel(parent.level_code) : null;
    const field = (testid: string, value: string, label: string) => {
      const input = h("input", { type: "text", testid, value, "aria-label": label });
      const problem = h("span", { class: "settings-error", testid: `${testid}-error`, hidden: true });
      return { input, problem, row: h("label", { class: "filter" }, h("span", {}, label), input, problem) };
    };
    const code = field("juris-form-code", isNew ? parentCode : unit.code, ct("juris.form.code", { parent: parentCode }));
    if (!isNew) code.input.disabled = true;
    const name = field("juris-form-name", unit?.name.zh ?? "", ct("juris.name"));
    const nameEn = field("juris-form-name-en", unit?.name.en ?? "", ct("juris.name_en"));
    const aliases = field("juris-form-aliases", unit?.aliases.join("、") ?? "", ct("juris.form.aliases"));
    const save = h("button", { type: "button", class: "primary", testid: "juris-form-save" }, ct("juris.form.save"));
    const cancel = h("button", { type: "button", testid: "juris-form-cancel", onclick: closeEditor }, ct("juris.form.cancel"));
    save.addEventListener("click", () => {
      error.hidden = true;
      const entry = { code: code.input.value.trim(), name: name.input.value.trim(), name_en: nameEn.input.value.trim(), aliases: splitAliases(aliases.input.value) };
      const siblings = all.filter((u) => u.parent === parentCode).map((u) => ({ code: u.code, name: u.name.zh }));
      const problems = checkUnitEntry(entry, parentCode, siblings, isNew);
      for (const [key, f] of [["code", code], ["name", name], ["name_en", nameEn]] as const) {
        const p = problems.get(key);
        f.input.classList.toggle("invalid", p !== undefined);
        f.problem.textContent = p ? say(p) : "";
        f.problem.hidden = p === undefined;
      }
      if (problems.size > 0) {
        error.textContent = ct("juris.fix_first");
        error.hidden = false;
        return;
      }
      save.disabled = true;
      (isNew ? ctx.api.addUnit(entry) : ctx.api.renameUnit(entry)).then(
        () => {
          closeEditor();
          notice.textContent = ct("juris.saved");
          all = [];
          load();
        },
        (e) => {
          save.disabled = false;
          refused(e);
        },
      );
    });
    const title = isNew
      ? ct("juris.form.add", { parent: parent ? tx(parent.name) : "", level: level ? ct(`juris.level.${level}`) : "" })
      : ct("juris.form.edit", { name: tx(unit.name), code: unit.code });
    fill(editor, h("h2", {}, title), h("div", { class: "filters" }, code.row, name.row, nameEn.row, aliases.row), h("p", {}, save, " ", cancel));
    editor.hidden = false;
    editor.scrollIntoView({ block: "start" });
    (isNew ? code.input : name.input).focus();
  };

  const withdraw = (unit: JurisdictionUnit) => {
    error.hidden = true;
    notice.textContent = "";
    ctx.api.withdrawUnit(unit.code).then(() => {
      notice.textContent = ct("juris.withdrawn");
      all = [];
      load();
    }, refused);
  };

  const actions = (unit: JurisdictionUnit): HTMLElement => {
    const cell = h("td", { class: "actions" });
    const child = childLevel(unit.level_code);
    if (child) cell.append(h("button", { type: "button", testid: "juris-add-child", onclick: () => openEditor(unit, null) }, ct("juris.add_child")));
    cell.append(h("button", { type: "button", testid: "juris-edit", onclick: () => openEditor(null, unit) }, ct("juris.edit")));
    if (unit.origin === "added") cell.append(h("button", { type: "button", testid: "juris-withdraw", onclick: () => withdraw(unit) }, ct("juris.withdraw")));
    if (unit.origin === "changed") {
      cell.append(
        h(
          "button",
          { type: "button", testid: "juris-restore", title: unit.file_name ? ct("juris.restore_to", { name: tx(unit.file_name) }) : "", onclick: () => withdraw(unit) },
          ct("juris.restore"),
        ),
      );
    }
    return cell;
  };

  const show = (tree: JurisdictionTree, searching: boolean) => {
    if (!searching) all = tree.units;
    count.textContent = searching
      ? `${ct("juris.matches", { n: tree.matches })} · ${ct("juris.count", { total: tree.total })}`
      : ct("juris.count", { total: tree.total });
    changes.textContent =
      tree.added + tree.changed === 0
        ? ""
        : `${ct("juris.changes", { added: tree.added, changed: tree.changed })}${
            tree.updated_by && tree.updated_ms ? ` · ${ct("settings.updated", { by: tree.updated_by, t: formatDateTime(tree.updated_ms) })}` : ""
          }`;
    if (tree.units.length === 0) {
      fill(table, h("p", { class: "muted", testid: "juris-none" }, ct("juris.none")));
      return;
    }
    const depth = depths(tree.units);
    fill(
      table,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [ct("juris.name"), ct("juris.code"), ct("juris.level"), ct("juris.aliases"), ct("juris.name_en"), ct("juris.children"), ct("juris.origin"), ct("juris.actions")].map((t) =>
              h("th", {}, t),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          tree.units.map((unit) =>
            h(
              "tr",
              { testid: "juris-row", "data-code": unit.code, "data-origin": unit.origin, class: searching && unit.matched ? "matched" : "" },
              indented(h("td", {}, tx(unit.name)), depth.get(unit.code) ?? 0),
              h("td", {}, h("code", {}, unit.code)),
              h("td", {}, tx(unit.level)),
              h("td", {}, unit.aliases.join("、")),
              h("td", {}, unit.name.en),
              h("td", { class: "num" }, unit.children),
              h("td", { class: unit.origin === "file" ? "muted" : "", testid: "juris-origin" }, ct(`juris.origin.${unit.origin}`)),
              actions(unit),
            ),
          ),
        ),
      ),
    );
  };

  let pending = 0;
  function load() {
    const ticket = ++pending;
    const text = search.value;
    const searching = text.trim() !== "";
    // The whole tree is needed for the form's checks even while a search is shown.
    const whole = searching && all.length === 0 ? ctx.api.jurisdictions("").then((t) => (all = t.units)) : Promise.resolve();
    whole
      .then(() => ctx.api.jurisdictions(text))
      .then((tree) => {
        // A slower answer to an older search never replaces a newer one.
        if (ticket === pending) show(tree, searching);
      }, ctx.error);
  }
  let timer = 0;
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 200);
  });
  fill(
    root,
    h("h1", {}, ct("juris.title")),
    h("p", { class: "muted" }, ct("juris.intro")),
    editor,
    h("section", { class: "card" }, h("div", { class: "filters" }, h("label", { class: "filter" }, h("span", {}, ct("juris.search")), search)), count, changes, notice, error, table),
  );
  load();
}

/** A cell indented by its depth in the tree, through the CSSOM: the console's
 *  Content-Security-Policy refuses inline style attributes. */
function indented(cell: HTMLTableCellElement, depth: number): HTMLTableCellElement {
  cell.style.paddingLeft = `${0.5 + 1.5 * depth}rem`;
  return cell;
}
